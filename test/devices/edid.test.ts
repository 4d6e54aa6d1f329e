import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEdid } from '../../emulator/devices/edid';
import { makePc } from './harness';

/**
 * The standard VGA's EDID (edid.ts), against QEMU 7.2's: the 256 bytes at offset 0 of the VGA's BAR 2 under
 * `qemu-system-x86_64 -m 128` (read with the monitor's `xp /256xb`, BAR 2 at 0xfebf0000 after SeaBIOS). GRUB's
 * `auto` mode, SeaBIOS's VBE/DDC and Linux read it; without it GRUB gives a multiboot2 kernel 640x480 where QEMU
 * gives 1280x800.
 */
const QEMU_7_2_EDID =
  '00ffffffffffff0049143412000000002a180104a520147806ee91a3544c99260f5054210800e1c0d1c0d100a940b300950081808140' +
  'ea2900c051201c304026444045cb10000018000000f7000a004082002820000000000000000000fd00327d1ea0ff010a202020202020' +
  '000000fc0051454d55204d6f6e69746f720a013a02030b00467d6560591f610000001000000000000000000000000000000000001000' +
  '000000000000000000000000000000001000000000000000000000000000000000001000000000000000000000000000000000001000' +
  '0000000000000000000000000000000010000000000000000000000000000000000000000000002f';

test('the EDID is QEMU 7.2\'s, byte for byte: 1280x800 preferred at 75 Hz, RHT "QEMU Monitor", one CTA extension', () => {
  const e = generateEdid();
  assert.equal(Buffer.from(e).toString('hex'), QEMU_7_2_EDID);
  // What a guest decodes from it (E-EDID 1.4): the preferred detailed timing, 32 x 20 cm, valid checksums.
  assert.equal(e[54] | (e[55] << 8), 10730, 'pixel clock 107.30 MHz');
  assert.equal(e[56] | ((e[58] & 0xf0) << 4), 1280);
  assert.equal(e[59] | ((e[61] & 0xf0) << 4), 800);
  assert.deepEqual([e[21], e[22]], [32, 20]);
  for (const block of [0, 128]) assert.equal(e.subarray(block, block + 128).reduce((a, b) => a + b, 0) % 256, 0, `block at ${block} sums to 0`);
});

test('the EDID limits its mode lists to maxx x maxy and fills unused standard timing slots with 01 01', () => {
  const e = generateEdid({ prefx: 1024, prefy: 768, maxx: 1280, maxy: 1024, refreshMilliHz: 75_000, vendor: 'RHT', name: 'QEMU Monitor' });
  const std: string[] = [];
  for (let at = 38; at < 54; at += 2) std.push(e[at] === 1 && e[at + 1] === 1 ? 'unused' : `${(e[at] + 31) * 8}:${e[at + 1] >> 6}`);
  // 1280x1024 (5:4) and 1280x960 (4:3) fit; 1280x768 (15:9) has no standard-timing form; the rest are wider.
  assert.deepEqual(std, ['1280:2', '1280:1', 'unused', 'unused', 'unused', 'unused', 'unused', 'unused']);
  assert.equal(e[35], 0x21, '640x480 and 800x600 established');
  assert.equal(e[36], 0x08, '1024x768 established');
  assert.equal(e[128 + 2], 0x05, 'no CTA video mode fits, so the video data block is empty');
});

test('BAR 2 reads the EDID at offset 0 in 1-, 2- and 4-byte accesses (little-endian), zeros after it, and ignores writes', () => {
  const pc = makePc();
  const vga = pc.devices.board.pci.function(2, 0)!;
  const at = 0xfebf0000;
  vga.write(0x18, 4, at);
  vga.write(0x04, 2, 0x0003);
  const e = generateEdid();
  assert.equal(pc.phys.read(at + 1, 1), 0xff);
  assert.equal(pc.phys.read(at, 4), 0xffffff00);
  assert.equal(pc.phys.read(at + 8, 2), e[8] | (e[9] << 8), 'the vendor id bytes, low address first');
  assert.equal(pc.phys.read(at + 0x100, 4), 0, 'past the 256 bytes');
  pc.phys.write(at + 8, 1, 0);
  assert.equal(pc.phys.read(at + 8, 1), e[8], 'read-only');
});
