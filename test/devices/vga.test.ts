import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc } from './harness';

function put(phys: { u8: Uint8Array }, row: number, col: number, s: string, attr = 0x07): void {
  for (let i = 0; i < s.length; i++) {
    const a = 0xb8000 + (row * 80 + col + i) * 2;
    phys.u8[a] = s.charCodeAt(i);
    phys.u8[a + 1] = attr;
  }
}

test('text() reads the buffer from guest RAM and trims trailing spaces', () => {
  const { phys, devices } = makePc();
  for (let i = 0; i < 2000; i++) {
    phys.u8[0xb8000 + i * 2] = 0x20;
    phys.u8[0xb8000 + i * 2 + 1] = 0x07;
  }
  put(phys, 0, 0, 'Hello');
  put(phys, 24, 75, 'end');
  const lines = devices.vga.text().split('\n');
  assert.equal(lines.length, 25);
  assert.equal(lines[0], 'Hello');
  assert.equal(lines[1], '');
  assert.equal(lines[24], ' '.repeat(75) + 'end');
});

test('screen() decodes CP437, colours and blink', () => {
  const { phys, devices } = makePc();
  phys.u8[0xb8000] = 0xc9; // ╔
  phys.u8[0xb8001] = 0x9e; // blink, bg 1, fg 14
  phys.u8[0xb8002] = 0x01;
  phys.u8[0xb8003] = 0x4f;
  const s = devices.vga.screen();
  assert.equal(s.cols, 80);
  assert.equal(s.rows, 25);
  assert.deepEqual(s.cells[0][0], { ch: '╔', fg: 14, bg: 1, blink: true });
  assert.deepEqual(s.cells[0][1], { ch: '☺', fg: 15, bg: 4, blink: false });
});

test('cursor location and shape come from the CRTC, including 16-bit OUTs to 0x3D4', () => {
  const { devices, outb, outw, inb } = makePc();
  const pos = 3 * 80 + 10;
  outw(0x3d4, ((pos & 0xff) << 8) | 0x0f);
  outw(0x3d4, (pos & 0xff00) | 0x0e);
  assert.deepEqual(devices.vga.screen().cursor, { row: 3, col: 10, visible: true });
  outb(0x3d4, 0x0a);
  outb(0x3d5, 0x20); // cursor disable
  assert.equal(devices.vga.cursor().visible, false);
  outb(0x3d4, 0x0e);
  assert.equal(inb(0x3d5), pos >> 8);
});

test('the start address scrolls the displayed window', () => {
  const { phys, devices, outb } = makePc();
  put(phys, 1, 0, 'second');
  outb(0x3d4, 0x0c);
  outb(0x3d5, 0);
  outb(0x3d4, 0x0d);
  outb(0x3d5, 80);
  assert.equal(devices.vga.text().split('\n')[0], 'second');
});

test('pollChanged reports text and cursor changes once each', () => {
  const { phys, devices, outb } = makePc();
  assert.equal(devices.vga.pollChanged(), true);
  assert.equal(devices.vga.pollChanged(), false);
  put(phys, 5, 5, 'x');
  assert.equal(devices.vga.pollChanged(), true);
  assert.equal(devices.vga.pollChanged(), false);
  outb(0x3d4, 0x0f);
  outb(0x3d5, 0x22);
  assert.equal(devices.vga.pollChanged(), true);
  assert.equal(devices.vga.version, 3);
});

test('attribute controller flip-flop is reset by reading 0x3DA; misc output reads at 0x3CC', () => {
  const { inb, outb } = makePc();
  inb(0x3da);
  outb(0x3c0, 0x10);
  outb(0x3c0, 0x04); // mode control: blink off
  inb(0x3da);
  outb(0x3c0, 0x10);
  assert.equal(inb(0x3c1), 0x04);
  outb(0x3c2, 0x63);
  assert.equal(inb(0x3cc), 0x63);
});

test('input status 1 shows vertical retrace for part of every frame', () => {
  const { clock, inb } = makePc();
  const seen = new Set<number>();
  for (let t = 0; t < 17_000_000; t += 100_000) {
    clock.instructions = t;
    seen.add(inb(0x3da) & 0x08);
  }
  assert.deepEqual([...seen].sort(), [0, 8]);
});
