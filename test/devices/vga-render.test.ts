import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Machine } from '../../emulator/machine';
import { decodePng, encodePng } from '../../emulator/png';
import { c6to8, Frame, frameSignature, renderFrame } from '../../emulator/devices/vga-render';
import { loadVgaFont } from '../../emulator/devices/vga-font';
import { DISPI, DISPI_ENABLED, DISPI_GETCAPS, DISPI_LFB_ENABLED, VBE_LFB_BASE } from '../../emulator/devices/vga-vbe';

const ROOT = path.resolve(__dirname, '../../..');

function boot(name: string): Machine {
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop' });
  m.boot(new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures/bin', `${name}.elf`))));
  const stop = m.run(100_000_000);
  assert.equal(stop.reason, 'halt', `${name} should draw and halt`);
  return m;
}

/** Pixels (RGB) that differ between a frame and a QEMU screendump PNG; sizes must match. */
function compareWithQemu(frame: Frame, golden: string): number {
  const q = decodePng(fs.readFileSync(path.join(ROOT, 'fixtures/golden', golden)));
  assert.deepEqual([frame.width, frame.height], [q.width, q.height], 'same raster size as QEMU');
  let diff = 0;
  for (let i = 0; i < q.width * q.height; i++) {
    const o = i * 4;
    if (frame.rgba[o] !== q.rgba[o] || frame.rgba[o + 1] !== q.rgba[o + 1] || frame.rgba[o + 2] !== q.rgba[o + 2]) diff++;
  }
  return diff;
}

function saveForHumans(frame: Frame, name: string): void {
  const dir = path.join(ROOT, 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.png`), encodePng(frame.width, frame.height, frame.rgba));
}

test('mode 13h fixture (VGA registers programmed directly) renders the same 640x400 pixels as QEMU screendump', () => {
  const m = boot('mode13h');
  const vga = m.devices.vga;
  assert.equal(vga.displayMode, 'graphics');
  const frame = renderFrame(vga, m.mem)!;
  saveForHumans(frame, 'mode13h');
  assert.equal(compareWithQemu(frame, 'mode13h.screen.png'), 0);
});

test('mode 12h fixture (planar: write modes 0 and 2, set/reset, XOR through the latches, map mask) renders the same 640x480 pixels as QEMU', () => {
  const m = boot('mode12h');
  const frame = renderFrame(m.devices.vga, m.mem)!;
  assert.equal(frame.mode, 'graphics');
  assert.equal(frame.unsupported, undefined);
  saveForHumans(frame, 'mode12h');
  assert.equal(compareWithQemu(frame, 'mode12h.screen.png'), 0);
});

test('planar reads: read mode 0 returns the plane GC4 selects, read mode 1 compares colours', () => {
  const m = boot('mode12h');
  const bus = m.bus;
  const gc = (i: number, v: number) => { bus.outPort(0x3ce, 1, i); bus.outPort(0x3cf, 1, v); };
  // Row 1, x = 40..47 is band colour 1 (plane 0 only).
  const a = 0xa0000n + 80n + 5n;
  gc(5, 0x00); gc(4, 0);
  assert.equal(m.readPhysical(a, 1)[0], 0xff, 'plane 0 all set');
  gc(4, 1);
  assert.equal(m.readPhysical(a, 1)[0], 0x00, 'plane 1 clear');
  gc(5, 0x08); gc(2, 1); gc(7, 0x0f);
  assert.equal(m.readPhysical(a, 1)[0], 0xff, 'every pixel has colour 1');
  gc(2, 2);
  assert.equal(m.readPhysical(a, 1)[0], 0x00, 'none has colour 2');
});

test('multiboot2 framebuffer fixture: the tag gets a 640x480x32 LFB at 0xfd000000 and renders as QEMU+GRUB shows it', () => {
  const m = boot('mb2-framebuffer');
  const serial = fs.readFileSync(path.join(ROOT, 'fixtures/golden/mb2-framebuffer.serial.txt'), 'latin1');
  assert.match(serial, /framebuffer at 0xfd000000 pitch 2560 size 640x480x32 type 1/);
  const vga = m.devices.vga;
  assert.equal(vga.displayMode, 'vbe');
  const frame = renderFrame(vga, m.mem)!;
  saveForHumans(frame, 'mb2-framebuffer');
  assert.equal(compareWithQemu(frame, 'mb2-framebuffer.screen.png'), 0);
});

test('frameSignature changes when the LFB or the mode 13h window is written, not otherwise', () => {
  const m = boot('mb2-framebuffer');
  const vga = m.devices.vga;
  const a = frameSignature(vga, m.mem);
  assert.equal(frameSignature(vga, m.mem), a);
  m.writePhysical(BigInt(VBE_LFB_BASE + 4000), Uint8Array.of(1, 2, 3, 4));
  assert.notEqual(frameSignature(vga, m.mem), a);
  const g = boot('mode13h');
  const b = frameSignature(g.devices.vga, g.mem);
  g.writePhysical(0xa0000n + 1000n, Uint8Array.of(77));
  assert.notEqual(frameSignature(g.devices.vga, g.mem), b);
});

test('Bochs VBE dispi registers: ID, GETCAPS maxima, mode set through ports, 16-bpp and 8-bpp pixels', () => {
  const m = Machine.create({ memoryMB: 16 });
  const bus = m.bus;
  const w = (i: number, v: number) => { bus.outPort(0x1ce, 2, i); bus.outPort(0x1cf, 2, v); };
  const r = (i: number) => { bus.outPort(0x1ce, 2, i); return bus.inPort(0x1cf, 2); };
  assert.equal(r(DISPI.id), 0xb0c5);
  w(DISPI.enable, DISPI_GETCAPS);
  assert.deepEqual([r(DISPI.xres), r(DISPI.yres), r(DISPI.bpp)], [16000, 12000, 32]);
  assert.equal(r(DISPI.videoMemory64k), 256);
  w(DISPI.enable, 0);
  w(DISPI.xres, 320); w(DISPI.yres, 200); w(DISPI.bpp, 16);
  w(DISPI.enable, DISPI_ENABLED | DISPI_LFB_ENABLED);
  assert.equal(r(DISPI.virtWidth), 320);
  m.writePhysical(BigInt(VBE_LFB_BASE + (10 * 320 + 5) * 2), Uint8Array.of(0x1f, 0xf8)); // 0xf81f: magenta
  let f = renderFrame(m.devices.vga, m.mem)!;
  assert.deepEqual([f.width, f.height, f.mode], [320, 200, 'vbe']);
  const o = (10 * 320 + 5) * 4;
  assert.deepEqual([...f.rgba.subarray(o, o + 4)], [0xf8, 0, 0xf8, 255]);
  // 8 bpp through the DAC (6-bit components widened as QEMU's c6_to_8 does)
  w(DISPI.enable, 0); w(DISPI.bpp, 8); w(DISPI.enable, DISPI_ENABLED | DISPI_LFB_ENABLED);
  bus.outPort(0x3c8, 1, 7);
  for (const c of [63, 32, 1]) bus.outPort(0x3c9, 1, c);
  m.writePhysical(BigInt(VBE_LFB_BASE + 3), Uint8Array.of(7));
  f = renderFrame(m.devices.vga, m.mem)!;
  assert.deepEqual([...f.rgba.subarray(12, 15)], [255, c6to8(32), c6to8(1)]);
  assert.equal(c6to8(32), 0x80);
  // disabling returns to VGA text
  w(DISPI.enable, 0);
  assert.equal(m.devices.vga.displayMode, 'text');
});

test('VBE state and LFB contents survive saveState/loadState (snapshots, reverse debugging)', () => {
  const m = boot('mb2-framebuffer');
  const vga = m.devices.vga;
  const before = renderFrame(vga, m.mem)!;
  const saved = JSON.parse(JSON.stringify(vga.saveState()));
  vga.reset();
  assert.equal(vga.displayMode, 'text');
  vga.loadState(saved);
  const after = renderFrame(vga, m.mem)!;
  assert.equal(Buffer.compare(Buffer.from(before.rgba), Buffer.from(after.rgba)), 0);
});

test('text mode renders with the VGA BIOS font: 720x400, 9-dot cells, a glyph where a character is', (t) => {
  const font = loadVgaFont();
  if (!font) { t.skip('no VGA BIOS image (seabios package) to take the font from'); return; }
  const m = Machine.create({ memoryMB: 16 });
  m.writePhysical(0xb8000n, Uint8Array.of(0x41, 0x0f)); // 'A', white on black
  const f = renderFrame(m.devices.vga, m.mem, font)!;
  assert.deepEqual([f.width, f.height, f.mode], [720, 400, 'text']);
  // Glyph 'A' row 2 is 0x10: one lit pixel at x = 3; row 0 is empty.
  const px = (x: number, y: number) => f.rgba[(y * f.width + x) * 4];
  assert.equal(px(3, 2), 0xff);
  assert.equal(px(2, 2), 0);
  assert.equal(px(3, 0), 0);
});

test('the text cursor covers all nine dots of its cell on its scan lines, as QEMU draws it (found by x86-bare-metal-examples)', (t) => {
  const font = loadVgaFont();
  if (!font) { t.skip('no VGA BIOS image (seabios package) to take the font from'); return; }
  const m = Machine.create({ memoryMB: 16 });
  m.writePhysical(0xb8000n, Uint8Array.of(0x41, 0x0f, 0x20, 0x1e)); // 'A' white on black, ' ' yellow on blue
  const crtc = (i: number, v: number) => { m.bus.outPort(0x3d4, 1, i); m.bus.outPort(0x3d5, 1, v); };
  crtc(0x0a, 0x0e); // cursor scan lines 14-15, enabled
  crtc(0x0b, 0x0f);
  crtc(0x0e, 0x00); // on cell 1
  crtc(0x0f, 0x01);
  const f = renderFrame(m.devices.vga, m.mem, font)!;
  const rgb = (x: number, y: number) => [...f.rgba.subarray((y * f.width + x) * 4, (y * f.width + x) * 4 + 3)];
  const yellow = rgb(9, 14);
  assert.notDeepEqual(yellow, rgb(9, 13), 'the cursor is drawn on line 14 only from its start line');
  for (let x = 9; x < 18; x++) for (const y of [14, 15]) assert.deepEqual(rgb(x, y), yellow, `dot ${x - 9} of line ${y}`);
  assert.deepEqual(rgb(17, 13), rgb(9, 13), 'above the cursor the ninth dot is background');
  assert.deepEqual(rgb(8, 14), [0, 0, 0], "cell 0's ninth dot stays background (no cursor, not a line-drawing character)");
  crtc(0x0a, 0x2e); // cursor off
  const off = renderFrame(m.devices.vga, m.mem, font)!;
  assert.deepEqual([...off.rgba.subarray((14 * f.width + 17) * 4, (14 * f.width + 17) * 4 + 3)], rgb(9, 13));
});

test('PNG encode/decode round trip', () => {
  const rgba = new Uint8Array(3 * 2 * 4).map((_, i) => (i * 37) & 0xff);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  const img = decodePng(encodePng(3, 2, rgba));
  assert.deepEqual([img.width, img.height], [3, 2]);
  assert.deepEqual([...img.rgba], [...rgba]);
});
