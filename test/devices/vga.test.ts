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

test('register read-back as QEMU 7.2 answers GRUB\'s inb/outb: DAC state, feature control, the 8-bit CRTC index', () => {
  const pc = makePc();
  // Under qemu-system-x86_64 7.2: 0x3C7 reads 3 after a write to 0x3C7 and 0 after one to 0x3C8.
  pc.outb(0x3c7, 0);
  assert.equal(pc.inb(0x3c7), 3);
  pc.outb(0x3c8, 0);
  assert.equal(pc.inb(0x3c7), 0);
  // Feature control: written at 0x3DA, read at 0x3CA (QEMU keeps bit 4): 0x18 reads back 0x10.
  pc.outb(0x3da, 0x18);
  assert.equal(pc.inb(0x3ca), 0x10);
  pc.outb(0x3da, 0);
  assert.equal(pc.inb(0x3ca), 0);
  // The CRTC index keeps all 8 bits, and a register past 0x18 keeps what is written.
  pc.outb(0x3d4, 0x30);
  assert.equal(pc.inb(0x3d4), 0x30);
  assert.equal(pc.inb(0x3d5), 0);
  pc.outb(0x3d5, 0xa5);
  assert.equal(pc.inb(0x3d5), 0xa5);
  pc.outb(0x3d4, 0x0e);
  assert.equal(pc.inb(0x3d4), 0x0e);
});

test('CR11 bit 7 protects CR0-CR7 but for CR7\'s line compare bit; clearing it lets them be written', () => {
  const pc = makePc();
  const crtc = (i: number) => {
    pc.outb(0x3d4, i);
    return pc.inb(0x3d5);
  };
  const setCrtc = (i: number, v: number) => {
    pc.outb(0x3d4, i);
    pc.outb(0x3d5, v);
  };
  assert.equal(crtc(0x11) & 0x80, 0x80, 'mode 3 as the VGA BIOS leaves it: protected');
  setCrtc(1, 0x27);
  assert.equal(crtc(1), 0x4f, 'the horizontal display end is protected');
  setCrtc(7, 0x00);
  assert.equal(crtc(7), 0x0f, 'CR7 keeps all but bit 4, which the write cleared');
  setCrtc(0x11, crtc(0x11) & 0x7f);
  setCrtc(1, 0x27);
  assert.equal(crtc(1), 0x27);
  assert.equal(pc.devices.vga.regs().crtc[1], 0x27, 'the renderer sees it');
});

test('the Bochs VBE ports take 16-bit accesses only, data also at 0x1D0, as QEMU 7.2 (GRUB\'s inb/inw/outb)', () => {
  const pc = makePc();
  pc.outw(0x1ce, 0); // VBE_DISPI_INDEX_ID
  assert.equal(pc.inw(0x1cf), 0xb0c5);
  assert.equal(pc.inw(0x1d0), 0xb0c5, 'the second data port');
  assert.deepEqual([pc.inb(0x1cf), pc.inb(0x1ce)], [0xff, 0xff], 'byte reads: all ones');
  pc.outw(0x1ce, 1);
  pc.outb(0x1ce, 3);
  assert.equal(pc.inw(0x1ce), 1, 'a byte write is dropped');
});
