import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiskImage } from '../../emulator/devices/disk-image';
import { Machine } from '../../emulator/machine';
import { ataCommand, driveState } from '../support/ide-pio';

/**
 * Data and task-file reads outside the ordinary 16-bit transfer, as QEMU 7.2's hw/ide/core.c answers them
 * (ide_ioport_read, ide_data_readw/readl; checked with GRUB's inb/inw under qemu-system-x86_64 -cdrom, which
 * leaves the primary channel empty): the values a driver probing for drives, or reading with the wrong width,
 * sees.
 */
const SECTOR = 512;
const disk = new Uint8Array(4 * SECTOR).map((_, i) => (i * 7 + 3) & 0xff);

function machine(hda = true): Machine {
  return Machine.create({ memoryMB: 16, board: { bios: new Uint8Array(128 * 1024), ...(hda ? { hda: DiskImage.fromBytes(disk) } : {}) } });
}

test('an 8-bit read of the data port takes a whole word and returns its low byte (the pre-GRUB Solaris loader reads IDENTIFY so)', () => {
  const m = machine();
  ataCommand(m, 0x20, 0, 1);
  const bytes: number[] = [];
  for (let i = 0; i < SECTOR / 2; i++) bytes.push(m.bus.inPort(0x1f0, 1));
  assert.deepEqual(bytes, Array.from({ length: SECTOR / 2 }, (_, i) => disk[i * 2]));
  assert.equal(driveState(m).status & 0x08, 0, '256 byte reads end the sector: DRQ is clear');
});

test('without DRQ the data port reads 0 at every width and moves nothing', () => {
  const m = machine();
  assert.deepEqual([m.bus.inPort(0x1f0, 1), m.bus.inPort(0x1f0, 2), m.bus.inPort(0x1f0, 4)], [0, 0, 0]);
  ataCommand(m, 0x20, 0, 1);
  assert.equal(m.bus.inPort(0x1f0, 2), disk[0] | (disk[1] << 8), 'the transfer starts at its first word');
});

test('a channel with no drive reads 0 in every task-file register, the device register included', () => {
  const m = machine(false);
  m.bus.outPort(0x1f6, 1, 0xb0);
  m.bus.outPort(0x1f2, 1, 0x12);
  // Under QEMU 7.2 with only -cdrom: 0x1F1-0x1F7 read 0 (the device register too, which kept 0xB0 here).
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((r) => m.bus.inPort(0x1f0 + r, 1)), [0, 0, 0, 0, 0, 0, 0]);
  assert.equal(m.bus.inPort(0x1f0, 2), 0);
});
