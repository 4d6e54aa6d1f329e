import * as fs from 'fs';
import * as path from 'path';
import { BootError } from '../boot/errors';
import { bytesOf } from '../bytes';

/**
 * Where the machine's firmware comes from: Debian's `seabios` package (LGPL-3.0; source: the Debian source
 * package `seabios`, upstream https://www.seabios.org), the same files QEMU uses. The .vsix carries a copy in
 * firmware/seabios/ (scripts/copy-seabios.js at package time, with the licence and the package version); the
 * CLI and the tests use that copy when it exists, else /usr/share/seabios. FAULTLINE_SEABIOS_DIR overrides
 * both, and `--bios FILE` (QEMU's -bios) names the system BIOS itself.
 *
 * Public API: findSeabiosDir(), loadFirmware({ bios? }), SEABIOS_FILES.
 */
export const SEABIOS_FILES = { bios: 'bios-256k.bin', vga: 'vgabios-stdvga.bin' } as const;
export const SYSTEM_SEABIOS_DIR = '/usr/share/seabios';

/** The directory holding bios-256k.bin: $FAULTLINE_SEABIOS_DIR, the packaged copy, or /usr/share/seabios. */
export function findSeabiosDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.FAULTLINE_SEABIOS_DIR) candidates.push(process.env.FAULTLINE_SEABIOS_DIR);
  const root = packageRoot();
  if (root) candidates.push(path.join(root, 'firmware', 'seabios'));
  candidates.push(SYSTEM_SEABIOS_DIR);
  return candidates.find((d) => fs.existsSync(path.join(d, SEABIOS_FILES.bios)));
}

/** The system BIOS and the VGA BIOS as byte arrays; a missing BIOS file is a BootError sentence. */
export function loadFirmware(opts: { bios?: string } = {}): { bios: Uint8Array; vgaBios?: Uint8Array; biosPath: string } {
  let biosPath = opts.bios;
  let dir: string | undefined;
  if (!biosPath) {
    dir = findSeabiosDir();
    if (!dir) {
      throw new BootError(`SeaBIOS (${SEABIOS_FILES.bios}) was not found in $FAULTLINE_SEABIOS_DIR, the extension's firmware/seabios folder or ${SYSTEM_SEABIOS_DIR}; install Debian's seabios package (apt-get install seabios) or pass --bios FILE`);
    }
    biosPath = path.join(dir, SEABIOS_FILES.bios);
  }
  let bios: Uint8Array;
  try {
    bios = bytesOf(fs.readFileSync(biosPath));
  } catch {
    throw new BootError(`BIOS file ${biosPath} does not exist or cannot be read; check the path or install Debian's seabios package`);
  }
  if (bios.length === 0 || bios.length % 0x10000 !== 0 || bios.length > 16 << 20) {
    throw new BootError(`BIOS file ${biosPath} is ${bios.length} bytes; a system BIOS image is a multiple of 64 KiB (SeaBIOS's bios-256k.bin is 262144 bytes)`);
  }
  // The VGA card's option ROM: beside the BIOS file, else SeaBIOS's (QEMU's -bios FILE keeps its own VGA BIOS).
  const vgaDirs = dir ? [dir] : [path.dirname(biosPath), findSeabiosDir()];
  const vgaPath = vgaDirs.map((d) => d && path.join(d, SEABIOS_FILES.vga)).find((p) => p !== undefined && fs.existsSync(p));
  const vgaBios = vgaPath ? bytesOf(fs.readFileSync(vgaPath)) : undefined;
  return { bios, vgaBios, biosPath };
}

function packageRoot(): string | undefined {
  let d = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    d = path.dirname(d);
  }
  return undefined;
}
