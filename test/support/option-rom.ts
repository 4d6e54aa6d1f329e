import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Assemble one of emulator/firmware's option ROM sources with nasm (as scripts/assemble-option-roms.sh does) and
 * check that the generated .ts image is that build, byte for byte but the checksum byte the script sets, and
 * that its bytes sum to 0. Returns false (the caller skips) when nasm is not installed.
 */
export function romMatchesSource(asm: string, rom: Uint8Array, defines: string[] = []): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optrom-'));
  try {
    const out = path.join(dir, 'rom.bin');
    try {
      execFileSync('nasm', ['-f', 'bin', '-I', `${path.dirname(asm)}/`, ...defines, asm, '-o', out], { stdio: 'pipe' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    const built = fs.readFileSync(out);
    assert.equal(built.length, rom.length, `${path.basename(asm)}: nasm builds ${built.length} bytes, the image has ${rom.length}`);
    assert.deepEqual([...built.subarray(0, built.length - 1)], [...rom.subarray(0, rom.length - 1)]);
    assert.equal(rom.reduce((a, b) => (a + b) & 0xff, 0), 0, 'the ROM\'s bytes sum to 0');
    return true;
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}
