import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IoBus } from '../../emulator/devices/bus';
import { Ps2Controller } from '../../emulator/devices/ps2';
import { IrqRecorder } from './harness';

function setup() {
  const bus = new IoBus();
  const irq = new IrqRecorder();
  let resets = 0;
  const ps2 = new Ps2Controller(irq, () => resets++);
  ps2.attach(bus);
  const inb = (p: number) => bus.inPort(p, 1);
  const outb = (p: number, v: number) => bus.outPort(p, 1, v);
  /** Read one byte when the output buffer is full, like a polling driver; undefined if empty. */
  const read = () => (inb(0x64) & 1 ? inb(0x60) : undefined);
  return { ps2, irq, inb, outb, read, resets: () => resets };
}

test('controller self test answers 0x55, interface test 0x00', () => {
  const { outb, read } = setup();
  outb(0x64, 0xaa);
  assert.equal(read(), 0x55);
  outb(0x64, 0xab);
  assert.equal(read(), 0x00);
  assert.equal(read(), undefined);
});

test('command byte read (0x20) and write (0x60); disabling the keyboard port sets bit 4', () => {
  const { outb, read } = setup();
  outb(0x64, 0x20);
  assert.equal(read(), 0x65);
  outb(0x64, 0x60);
  outb(0x60, 0x45);
  outb(0x64, 0x20);
  assert.equal(read(), 0x45);
  outb(0x64, 0xad);
  outb(0x64, 0x20);
  assert.equal(read(), 0x55);
  outb(0x64, 0xae);
  outb(0x64, 0x20);
  assert.equal(read(), 0x45);
});

test('keyboard reset answers ACK then BAT OK; echo; identify; LEDs; scancode set', () => {
  const { ps2, outb, read } = setup();
  outb(0x60, 0xff);
  assert.deepEqual([read(), read()], [0xfa, 0xaa]);
  outb(0x60, 0xee);
  assert.equal(read(), 0xee);
  outb(0x60, 0xf2);
  assert.deepEqual([read(), read(), read()], [0xfa, 0xab, 0x41]);
  outb(0x60, 0xed);
  assert.equal(read(), 0xfa);
  outb(0x60, 0x05);
  assert.equal(read(), 0xfa);
  assert.equal(ps2.leds, 5);
  outb(0x60, 0xf0);
  assert.equal(read(), 0xfa);
  outb(0x60, 0x01);
  assert.deepEqual([read(), read()], [0xfa, undefined]);
  outb(0x64, 0x60);
  outb(0x60, 0x05); // translation off
  outb(0x60, 0xf0);
  assert.equal(read(), 0xfa);
  outb(0x60, 0x00);
  assert.deepEqual([read(), read(), read()], [0xfa, 0x01, undefined], 'ACK, then the current set');
});

test('a byte sent to the keyboard drops its unread answers to earlier commands, not the keys it queued (as QEMU)', () => {
  // QEMU 7.2 (-trace 'ps2_*'), a kernel writing F0 then 00 to port 0x60 back to back and reading twice: FA, then 41
  // (set 2, translated): the ACK of F0 was discarded when 00 arrived (ps2_cqueue_reset).
  const { ps2, irq, outb, read } = setup();
  outb(0x60, 0xf0);
  outb(0x60, 0x00);
  assert.deepEqual([read(), read(), read()], [0xfa, 0x41, undefined]);
  // Scancodes queued before a command stay, behind its answer.
  ps2.pressKey([0x1e, 0x9e]);
  assert.equal(read(), 0x1e);
  outb(0x60, 0xee); // echo
  const rises = irq.rises(1).length;
  outb(0x60, 0xf4); // enable: drops the unread echo answer
  assert.equal(irq.rises(1).length, rises, 'IRQ1 stays up: the answer refills the buffer, no new edge');
  assert.deepEqual([read(), read(), read()], [0xfa, 0x9e, undefined], 'the enable ACK first, then the key still queued');
});

test('pressed keys arrive one byte at a time, each raising IRQ1', () => {
  const { ps2, irq, read } = setup();
  ps2.pressKey([0x1e, 0x9e]);
  assert.equal(irq.levels[1], true);
  assert.equal(read(), 0x1e);
  assert.equal(read(), 0x9e);
  assert.equal(irq.levels[1], false);
  assert.equal(irq.rises(1).length, 2);
  assert.equal(read(), undefined);
});

test('no IRQ1 with the keyboard interrupt disabled in the command byte; data still polls', () => {
  const { ps2, irq, outb, read } = setup();
  outb(0x64, 0x60);
  outb(0x60, 0x44);
  ps2.pressKey([0x10]);
  assert.equal(irq.rises(1).length, 0);
  assert.equal(read(), 0x10);
});

test('reset requests: 0x64 command 0xFE, output port bit 0, port 0x92 bit 0; A20 state', () => {
  const { ps2, outb, inb, resets } = setup();
  outb(0x64, 0xfe);
  assert.equal(resets(), 1);
  outb(0x92, 0x02);
  assert.equal(resets(), 1);
  assert.equal(inb(0x92), 0x02);
  outb(0x92, 0x03);
  assert.equal(resets(), 2);
  outb(0x64, 0xdd);
  outb(0x92, 0x00);
  assert.equal(ps2.a20, false);
  outb(0x64, 0xd1);
  outb(0x60, 0xdf);
  assert.equal(ps2.a20, true);
  outb(0x64, 0xd1);
  outb(0x60, 0xde);
  assert.equal(resets(), 3);
});

test('state round-trips with queued bytes', () => {
  const a = setup();
  a.ps2.pressKey([1, 2, 3]);
  a.read();
  const b = setup();
  b.ps2.loadState(JSON.parse(JSON.stringify(a.ps2.saveState())));
  assert.deepEqual([b.read(), b.read(), b.read()], [2, 3, undefined]);
});
