import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DiskImage } from '../../emulator/devices/disk-image';
import { exceptionChain, parseQemuIntLog } from '../support/qemu-log';
import { bootWithFirmware, firmwareMissing, grubIso, protectedModeChain, ROOT } from '../support/firmware';

/**
 * SeaBIOS from the reset vector on the PC board, booting the fixture disk and floppy images and GRUB ISOs: each must
 * reach what QEMU recorded for the same image (fixtures/manifest.json `images`, and the `multiboot2-iso`
 * kernels, whose golden files record-golden.sh made by booting a grub-mkrescue ISO with -cdrom), on the board
 * QEMU had for them (-nodefaults: no VGA, no empty CD-ROM drive).
 */
interface Entry {
  name: string; file: string; boot: string; cmdline: string | null;
  golden: { log: string; serial: string; exit: string };
  serialComparedBy?: string;
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/manifest.json'), 'utf8')) as { kernels: Entry[]; images: Entry[] };
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const skip = firmwareMissing();

function assertLikeQemu(k: Entry, r: ReturnType<typeof bootWithFirmware>): void {
  const golden = parseQemuIntLog(read(k.golden.log));
  assert.deepEqual(protectedModeChain(r.events), exceptionChain(golden), 'exception chain (protected mode, as QEMU logs it)');
  const qemuPf = golden.filter((e) => e.kind === 'exception' && e.vector === 14).map((e) => BigInt((e as { cr2: string }).cr2));
  const ourPf = r.events.filter(({ ev }) => ev.phase === 'raised' && ev.vector === 14).map(({ ev }) => ev.cr2);
  for (const cr2 of qemuPf) assert.ok(ourPf.includes(cr2), `CR2 0x${cr2.toString(16)} from QEMU's log`);
  // A firmware-state probe (lowmem-probe*) prints what the loader left in memory; its output is compared field by
  // field, with each known difference named, by the test in `serialComparedBy` (the direct-load path) and, for
  // multiboot1 through SeaBIOS, by test/firmware/kernel-rom.test.ts; here only its chain and exit status.
  if (!k.serialComparedBy) assertSerial(r.serial, read(k.golden.serial), r.firmwareLog);
  assert.equal(r.exit, Number(read(k.golden.exit).trim()), 'exit status');
}

/**
 * The serial output must be QEMU's, line for line; where a kernel prints the memory map, the lines must be exactly
 * the E820 map SeaBIOS itself reported on port 0x402 (and mem_upper its RAM above 1 MiB). With QEMU's ACPI tables
 * handed over through etc/table-loader (padded to 128 KiB) that map is QEMU's too.
 */
function assertSerial(ours: string, qemu: string, firmwareLog: string): void {
  const e820 = [...firmwareLog.matchAll(/^ {2}\d+: ([0-9a-f]{16}) - ([0-9a-f]{16}) = (\d+)/gm)].map((m) => ({ base: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), type: Number(m[3]) }));
  const mmapLines = e820.map((e) => `  mmap base 0x${e.base.toString(16)} length 0x${(e.end - e.base).toString(16)} type ${e.type}`);
  const high = e820.find((e) => e.base === 0x100000n && e.type === 1);
  const isMap = (l: string) => l.startsWith('  mmap base ') || l.startsWith('  mem_lower ');
  const o = ours.split('\n');
  const q = qemu.split('\n');
  assert.deepEqual(o.filter((l) => !isMap(l)), q.filter((l) => !isMap(l)), 'serial output (memory map lines aside)');
  assert.deepEqual(o.filter((l) => l.startsWith('  mmap base ')), q.some((l) => l.startsWith('  mmap base ')) ? mmapLines : [], 'the memory map is the E820 map SeaBIOS reported');
  for (const l of o.filter((x) => x.startsWith('  mem_lower '))) {
    assert.equal(l, `  mem_lower 639 KiB, mem_upper ${high ? Number((high.end - high.base) / 1024n) : 0} KiB`);
  }
}

describe('SeaBIOS boots disks and CDs as under QEMU', { skip }, () => {
  for (const k of manifest.images ?? []) {
    // boot "hda": on the primary IDE channel (qemu -hda); "fda": in floppy drive A: (qemu -fda).
    const floppy = k.boot === 'fda';
    it(`${k.name}: SeaBIOS boots the image from ${floppy ? 'floppy drive A:' : 'IDE'}; same chain, CR2, serial output and exit status as QEMU`, () => {
      const image = DiskImage.open(path.join(ROOT, k.file));
      const r = bootWithFirmware({ ...(floppy ? { fda: image } : { hda: image }), nodefaults: true }, 100_000_000);
      assert.match(r.firmwareLog, /^SeaBIOS \(version [^)]+\)\n/, 'the SeaBIOS banner on port 0x402');
      assert.match(r.firmwareLog, /Running on QEMU \(i440fx\)/, 'SeaBIOS recognises the i440FX board');
      if (floppy) {
        // SeaBIOS found drive A: through CMOS 0x10 and boots it with its own FDC driver (DMA channel 2, IRQ 6).
        assert.match(r.firmwareLog, /Searching bootorder for: \/pci@i0cf8\/isa@1\/fdc@03f0\/floppy@0/, 'the floppy drive is found');
        assert.match(r.firmwareLog, /Booting from Floppy\.\.\.\nBooting from 0000:7c00/);
      } else {
        assert.match(r.firmwareLog, /ata0-0: QEMU HARDDISK ATA-7 Hard-Disk/, 'the IDE disk is found');
        assert.match(r.firmwareLog, /Booting from Hard Disk\.\.\.\nBooting from 0000:7c00/);
      }
      assertLikeQemu(k, r);
    });
  }

  for (const k of manifest.kernels.filter((x) => x.boot === 'multiboot2-iso')) {
    it(`${k.name}: a grub-mkrescue ISO boots through SeaBIOS and GRUB to the chain, serial output and exit status QEMU -cdrom recorded`, (t) => {
      const { iso, missing } = grubIso(k.name, k.file, k.cmdline ?? '');
      if (!iso) { t.skip(missing); return; }
      const r = bootWithFirmware({ cdrom: DiskImage.open(iso), bootOrder: 'd', nodefaults: true }, 400_000_000);
      assert.match(r.firmwareLog, /Booting from DVD\/CD\.\.\.\nBooting from 0000:7c00/);
      assertLikeQemu(k, r);
    });
  }
});
