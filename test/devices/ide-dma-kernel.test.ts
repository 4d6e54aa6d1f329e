import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DiskImage } from '../../emulator/devices/disk-image';
import { findSeabiosDir, loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { captureDevices } from '../../emulator/snapshot';

/**
 * IDE bus-master DMA as a kernel drives it, against QEMU: fixtures/src/ide-dma/kernel.asm reads BAR 4, IDENTIFY's
 * DMA words and SET FEATURES transfer mode, runs READ/WRITE DMA [EXT] over descriptor tables (shorter and longer
 * than the command, the start bit first, a 64 KiB descriptor, over code that already ran), ATAPI READ(10) by DMA,
 * nIEN, bus mastering off and an LBA past the end, and prints the engine's and the drive's status and the
 * interrupts after each. Golden: `bash fixtures/record-golden.sh ide-dma` (manifest.json `deviceKernels`: QEMU
 * 7.2 -nodefaults -m 128 -cpu qemu64 -kernel, the disk image on the primary master with snapshot=on, the CD image
 * on the secondary master), identical over repeated recordings. Without a NIC BAR 4 lands at 0xC000 in both.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const bin = (f: string) => path.join(root, 'fixtures/bin', f);
const missing = !fs.existsSync(bin('ide-dma.elf')) && 'fixtures/bin/ide-dma.elf is missing (bash fixtures/build.sh)';

function boot(firmware: boolean) {
  const fw = firmware ? loadFirmware() : undefined;
  const disk = new Uint8Array(fs.readFileSync(bin('ide-dma-disk.img')));
  const before = disk.slice();
  const m = Machine.create({
    memoryMB: 128, cpu: 'qemu64',
    board: { bios: fw?.bios, nodefaults: true, hda: DiskImage.fromBytes(disk), cdrom: DiskImage.fromBytes(new Uint8Array(fs.readFileSync(bin('ide-dma-cd.iso')))) },
  });
  let serial = '';
  m.on('serial', (b) => { serial += String.fromCharCode(b); });
  m.boot(new Uint8Array(fs.readFileSync(bin('ide-dma.elf'))));
  return { m, serial: () => serial, untouched: () => Buffer.compare(disk, before) === 0 };
}

const golden = () => fs.readFileSync(path.join(root, 'fixtures/golden/ide-dma.serial.txt'), 'latin1');

describe('IDE bus-master DMA: the ide-dma fixture against QEMU', { skip: missing }, () => {
  it('through SeaBIOS and the multiboot option ROM, as qemu -kernel: QEMU\'s output line for line', { skip: !findSeabiosDir() && 'SeaBIOS is not installed' }, () => {
    const g = boot(true);
    assert.deepEqual(g.m.run(400_000_000), { reason: 'exit', exitCode: 33 });
    assert.equal(g.serial(), golden());
    assert.ok(g.untouched(), 'WRITE DMA went to the overlay, not the image bytes');
  });

  it('direct load (pci-setup.ts places BAR 4 as SeaBIOS does): the same output', () => {
    const g = boot(false);
    assert.deepEqual(g.m.run(400_000_000), { reason: 'exit', exitCode: 33 });
    assert.equal(g.serial(), golden());
  });

  it('reverse debugging: goto back into the transfers restores the engines and drives; running on ends the same', () => {
    const g = boot(false);
    g.m.enableHistory({ snapshotInterval: 100_000 });
    const state = () => JSON.stringify({ hash: g.m.stateHash(), devices: captureDevices(g.m.devices.all) });
    const seen = new Map<number, string>();
    // Points across the run (3.1 million instructions, most in the waits after each transfer): snapshots land between
    // them, so each goto restores the IDE state of an earlier snapshot and re-executes transfers up to the point.
    for (const n of [800_000, 1_600_000, 2_400_000, 3_000_000]) {
      g.m.run(n - g.m.instructionCount);
      seen.set(n, state());
    }
    assert.deepEqual(g.m.run(400_000_000), { reason: 'exit', exitCode: 33 });
    const end = { state: state(), at: g.m.instructionCount };
    for (const [n, s] of [...seen].reverse()) {
      g.m.goto(n);
      assert.equal(state(), s, `state at ${n}`);
    }
    assert.deepEqual(g.m.run(400_000_000), { reason: 'exit', exitCode: 33 });
    assert.equal(g.m.instructionCount, end.at);
    assert.equal(state(), end.state);
    assert.equal(g.serial(), golden());
  });
});
