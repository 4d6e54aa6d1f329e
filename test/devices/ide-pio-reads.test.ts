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

test('a command written while DRQ is set is ignored (QEMU 7.2: IDENTIFY\'s data goes on), DEVICE RESET to the CD-ROM is taken', () => {
  const m = machine();
  m.bus.outPort(0x1f6, 1, 0xa0);
  m.bus.outPort(0x1f7, 1, 0xec); // IDENTIFY DEVICE
  const first = [m.bus.inPort(0x1f0, 2), m.bus.inPort(0x1f0, 2)];
  ataCommand(m, 0x20, 1, 1); // READ SECTORS while IDENTIFY's block is half read
  assert.equal(m.bus.inPort(0x1f7, 1) & 0x89, 0x08, 'still DRQ, no error');
  const rest = Array.from({ length: 254 }, () => m.bus.inPort(0x1f0, 2));
  assert.equal(first[0], 0x0040, 'IDENTIFY word 0: fixed disk');
  assert.equal(rest[1], 16, 'word 3: the heads of the IDENTIFY block, not sector 1\'s bytes');
  assert.equal(m.bus.inPort(0x1f7, 1) & 0x08, 0, 'the block ended');
  // The CD-ROM: PACKET asks for its command (DRQ); DEVICE RESET is still taken and ends it.
  m.bus.outPort(0x176, 1, 0xa0);
  m.bus.outPort(0x177, 1, 0xa0);
  assert.equal(m.bus.inPort(0x177, 1) & 0x08, 0x08);
  m.bus.outPort(0x177, 1, 0x08);
  assert.equal(m.bus.inPort(0x177, 1) & 0x08, 0, 'DEVICE RESET ended the PACKET command');
  assert.deepEqual([m.bus.inPort(0x174, 1), m.bus.inPort(0x175, 1)], [0x14, 0xeb], 'and left the ATAPI signature');
});

test('while DRQ is set the task-file registers ignore writes, the device register too (QEMU 7.2: GRUB\'s SMART register writes behind a half-read IDENTIFY left them reading 0, as before)', () => {
  const m = machine();
  m.bus.outPort(0x1f6, 1, 0xa0);
  m.bus.outPort(0x1f7, 1, 0xec); // IDENTIFY DEVICE: DRQ, 256 words to read
  m.bus.inPort(0x1f0, 2);
  const before = [1, 2, 3, 4, 5, 6].map((r) => m.bus.inPort(0x1f0 + r, 1));
  m.bus.outPort(0x1f1, 1, 0xda);
  m.bus.outPort(0x1f4, 1, 0x4f);
  m.bus.outPort(0x1f5, 1, 0xc2);
  m.bus.outPort(0x1f6, 1, 0xb0); // would select the absent slave
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((r) => m.bus.inPort(0x1f0 + r, 1)), before);
  assert.equal(m.bus.inPort(0x1f7, 1) & 0x08, 0x08, 'the master is still selected, its block still pending');
  for (let i = 0; i < 255; i++) m.bus.inPort(0x1f0, 2);
  m.bus.outPort(0x1f4, 1, 0x4f);
  assert.equal(m.bus.inPort(0x1f4, 1), 0x4f, 'with DRQ clear they take writes again');
});
