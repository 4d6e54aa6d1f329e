import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IoBus } from '../../emulator/devices/bus';
import { Pic8259 } from '../../emulator/devices/pic8259';
import { initPicLikeLinux } from './harness';

function setup() {
  const bus = new IoBus();
  const pic = new Pic8259();
  pic.attach(bus);
  const outb = (p: number, v: number) => bus.outPort(p, 1, v);
  const inb = (p: number) => bus.inPort(p, 1);
  return { pic, outb, inb };
}

test('programmed like Linux, IRQ0 arrives as vector 0x20 and sits in ISR until EOI', () => {
  const { pic, outb, inb } = setup();
  initPicLikeLinux(outb);
  outb(0x21, 0xfa); // unmask IRQ0
  pic.setIrq(0, true);
  assert.equal(pic.hasInterrupt(), true);
  assert.equal(pic.acknowledge(), 0x20);
  assert.equal(pic.hasInterrupt(), false);
  outb(0x20, 0x0b); // OCW3: read ISR
  assert.equal(inb(0x20), 0x01);
  outb(0x20, 0x20); // non-specific EOI
  assert.equal(inb(0x20), 0x00);
  assert.equal(inb(0x21), 0xfa, 'IMR reads back');
});

test('edge triggering: a line held high requests once; it must drop and rise again', () => {
  const { pic, outb } = setup();
  initPicLikeLinux(outb);
  outb(0x21, 0xfa);
  pic.setIrq(0, true);
  assert.equal(pic.acknowledge(), 0x20);
  outb(0x20, 0x20);
  pic.setIrq(0, true);
  assert.equal(pic.hasInterrupt(), false);
  pic.setIrq(0, false);
  pic.setIrq(0, true);
  assert.equal(pic.hasInterrupt(), true);
});

test('slave IRQs cascade through IRQ2 and need EOI on both chips', () => {
  const { pic, outb, inb } = setup();
  initPicLikeLinux(outb);
  outb(0xa1, 0xfe); // unmask IRQ8
  pic.setIrq(8, true);
  assert.equal(pic.acknowledge(), 0x28);
  outb(0xa0, 0x0b);
  outb(0x20, 0x0b);
  assert.equal(inb(0xa0), 0x01);
  assert.equal(inb(0x20), 0x04);
  outb(0xa0, 0x20);
  outb(0x20, 0x20);
  assert.equal(inb(0xa0), 0x00);
  assert.equal(inb(0x20), 0x00);
});

test('priority: a lower-numbered IRQ preempts, a higher-numbered one waits for EOI', () => {
  const { pic, outb } = setup();
  initPicLikeLinux(outb);
  outb(0x21, 0x00);
  pic.setIrq(4, true);
  assert.equal(pic.acknowledge(), 0x24);
  pic.setIrq(5, true);
  assert.equal(pic.hasInterrupt(), false, 'IRQ5 waits behind IRQ4 in service');
  pic.setIrq(1, true);
  assert.equal(pic.acknowledge(), 0x21, 'IRQ1 nests');
  outb(0x20, 0x61); // specific EOI IRQ1
  outb(0x20, 0x64); // specific EOI IRQ4
  assert.equal(pic.acknowledge(), 0x25);
});

test('IRR shows masked requests; a request that vanishes before INTA gives spurious IRQ7', () => {
  const { pic, outb, inb } = setup();
  initPicLikeLinux(outb);
  pic.setIrq(3, true);
  outb(0x20, 0x0a); // read IRR
  assert.equal(inb(0x20) & 0x08, 0x08);
  assert.equal(pic.hasInterrupt(), false);
  assert.equal(pic.acknowledge(), 0x27);
  outb(0x20, 0x0b);
  assert.equal(inb(0x20), 0, 'spurious IRQ7 sets no ISR bit');
});

test('spurious IRQ15 when the slave request vanishes', () => {
  const { pic, outb, inb } = setup();
  initPicLikeLinux(outb);
  outb(0xa1, 0x00);
  pic.setIrq(12, true);
  assert.equal(pic.hasInterrupt(), true);
  outb(0xa1, 0xff); // masked before the CPU acknowledged; the master already latched the IR2 edge
  assert.equal(pic.acknowledge(), 0x2f);
  outb(0x20, 0x0b);
  assert.equal(inb(0x20), 0x04, 'the master still puts IR2 in service: the handler must EOI the master');
});

test('auto-EOI leaves ISR clear', () => {
  const { pic, outb, inb } = setup();
  outb(0x20, 0x11);
  outb(0x21, 0x08);
  outb(0x21, 0x04);
  outb(0x21, 0x03); // ICW4: AEOI, 8086
  outb(0x21, 0x00);
  pic.setIrq(1, true);
  assert.equal(pic.acknowledge(), 0x09);
  outb(0x20, 0x0b);
  assert.equal(inb(0x20), 0);
});

test('ELCR makes a line level-triggered: the request stays while the line is high', () => {
  const { pic, outb, inb } = setup();
  initPicLikeLinux(outb);
  outb(0x4d1, 0xff);
  assert.equal(inb(0x4d1), 0xde, 'IRQ8 and IRQ13 cannot be level');
  outb(0xa1, 0x00);
  pic.setIrq(10, true);
  assert.equal(pic.acknowledge(), 0x2a);
  outb(0xa0, 0x20);
  outb(0x20, 0x20);
  assert.equal(pic.hasInterrupt(), true, 'still high: requests again');
  pic.setIrq(10, false);
  outb(0xa0, 0x0a);
  assert.equal(inb(0xa0) & 0x04, 0, 'the slave request went away with the line');
});

test('OCW3 poll returns 0x80 | irq and acknowledges', () => {
  const { pic, outb, inb } = setup();
  initPicLikeLinux(outb);
  outb(0x21, 0x00);
  pic.setIrq(6, true);
  outb(0x20, 0x0c);
  assert.equal(inb(0x20), 0x86);
  outb(0x20, 0x0b);
  assert.equal(inb(0x20), 0x40);
});

test('state round-trips through JSON', () => {
  const a = setup();
  initPicLikeLinux(a.outb);
  a.outb(0x21, 0x00);
  a.pic.setIrq(3, true);
  const b = setup();
  b.pic.loadState(JSON.parse(JSON.stringify(a.pic.saveState())));
  assert.equal(b.pic.hasInterrupt(), true);
  assert.equal(b.pic.acknowledge(), 0x23);
});
