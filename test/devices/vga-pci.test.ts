import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc } from './harness';
import { renderFrame } from '../../emulator/devices/vga-render';

/**
 * The stdvga's MMIO BAR 2 (QEMU hw/display/vga-pci.c, docs/specs/standard-vga.rst): VGA ports at 0x400, the
 * Bochs dispi registers at 0x500, QEMU's extended registers at 0x600, mapped where the BAR points while memory
 * decoding is on.
 */
function pcWithBar(at = 0xfebf0000) {
  const pc = makePc();
  const vga = pc.devices.board.pci.function(2, 0)!;
  assert.ok(vga, 'the VGA function is on the board');
  vga.write(0x18, 4, 0xffffffff);
  assert.equal(vga.read(0x18, 4), 0xfffff000, 'BAR 2 sizes as 4 KiB of 32-bit non-prefetchable memory');
  vga.write(0x18, 4, at);
  vga.write(0x04, 2, 0x0003);
  return { ...pc, fn: vga, at };
}

test('BAR 2 dispi window: register n at 2n, selecting the index as QEMU does; a 4-byte access reads two registers', () => {
  const { phys, devices, at } = pcWithBar();
  assert.equal(phys.read(at + 0x500, 2), 0xb0c5, 'VBE_DISPI_ID5 after reset (QEMU vga_common_reset)');
  phys.write(at + 0x502, 2, 800); // XRES
  phys.write(at + 0x504, 2, 600); // YRES
  phys.write(at + 0x506, 2, 32); // BPP
  assert.equal(phys.read(at + 0x502, 4), (600 << 16) | 800);
  assert.equal(devices.vga.vbe.readIndex(), 2, 'the index port reads back the last register the window selected');
  assert.equal(phys.read(at + 0x514, 2), 256, 'VIDEO_MEMORY_64K: 16 MiB');
  assert.equal(phys.read(at + 0x503, 1), 800 & 0xff, 'a byte access is a 16-bit access to register offset >> 1, low byte');
  phys.write(at + 0x508, 2, 0x41); // ENABLE | LFB
  assert.equal(devices.vga.displayMode, 'vbe');
  assert.deepEqual([devices.vga.vbe.mode()!.width, devices.vga.vbe.mode()!.height], [800, 600]);
});

test('BAR 2 port window: 0x400 + (port - 0x3C0); a word write sets an index and its data, low byte first', () => {
  const { phys, devices, at } = pcWithBar();
  phys.write(at + 0x414, 2, 0x2a0e); // CRTC index 0x0E, data 0x2A (cursor location high)
  assert.equal(devices.vga.regs().crtc[0x0e], 0x2a);
  assert.equal(phys.read(at + 0x414, 1), 0x0e);
  phys.write(at + 0x408, 1, 5); // DAC write index
  phys.write(at + 0x409, 1, 0x3f);
  phys.write(at + 0x409, 1, 0x00);
  phys.write(at + 0x409, 1, 0x15);
  assert.deepEqual(devices.vga.regs().dac.slice(15, 18), [0x3f, 0x00, 0x15]);
  assert.equal(phys.read(at + 0x410, 1), 0, 'a port the VGA does not decode (0x3D0) reads 0 through the window');
  assert.equal(phys.read(at + 0x400 + 0x0c, 1), devices.vga.regs().misc, 'misc output read at 0x3CC');
});

test('BAR 2 extended registers: size 8 and the framebuffer byte order, which the renderer follows', () => {
  const { phys, devices, at } = pcWithBar();
  assert.equal(phys.read(at + 0x600, 4), 8);
  assert.equal(phys.read(at + 0x604, 4), 0x1e1e1e1e);
  assert.equal(phys.read(at + 0x604, 2), 0, 'the extended registers take 32-bit accesses only');
  phys.write(at + 0x604, 4, 0x12345678);
  assert.equal(phys.read(at + 0x604, 4), 0x1e1e1e1e, 'only the two byte-order values are accepted');
  // A 2x1 32 bpp mode. Little endian a pixel is B, G, R, X: red then green; big endian X, R, G, B: green then red.
  const vbe = [[1, 2], [2, 1], [3, 32], [4, 0x41]];
  for (const [i, v] of vbe) phys.write(at + 0x500 + 2 * i, 2, v);
  devices.vga.vram.bytes.set([0x00, 0x00, 0xff, 0x00, 0x00, 0xff, 0x00, 0x00]);
  const px = () => { const f = renderFrame(devices.vga, phys)!; return [...f.rgba.slice(0, 3), ...f.rgba.slice(4, 7)]; };
  assert.deepEqual(px(), [0xff, 0, 0, 0, 0xff, 0]);
  phys.write(at + 0x604, 4, 0xbebebebe);
  assert.equal(phys.read(at + 0x604, 4), 0xbebebebe);
  assert.deepEqual(px(), [0, 0xff, 0, 0xff, 0, 0]);
  const saved = devices.vga.saveState();
  devices.vga.reset();
  assert.equal(devices.vga.bigEndianFb, false);
  devices.vga.loadState(saved);
  assert.equal(devices.vga.bigEndianFb, true, 'the byte order is part of the saved state');
});

test('BAR 2 follows the BAR: unmapped with memory decoding off, moved when rewritten, never at all-ones', () => {
  const { phys, fn, at } = pcWithBar();
  assert.equal(phys.read(at + 0x600, 4), 8);
  fn.write(0x04, 2, 0x0001);
  assert.notEqual(phys.read(at + 0x600, 4), 8, 'memory decoding off');
  fn.write(0x04, 2, 0x0003);
  fn.write(0x18, 4, 0xfe000000);
  assert.equal(phys.read(0xfe000600, 4), 8);
  assert.notEqual(phys.read(at + 0x600, 4), 8, 'the old address no longer answers');
  fn.write(0x18, 4, 0xffffffff);
  assert.notEqual(phys.read(0xfffff600, 4), 8, 'a BAR being sized is not mapped (QEMU pci_bar_address)');
});
