import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IoBus } from '../../emulator/devices/bus';
import { Uart16550 } from '../../emulator/devices/uart16550';
import { IrqRecorder } from './harness';

function setup() {
  const bus = new IoBus();
  const irq = new IrqRecorder();
  const out: number[] = [];
  const uart = new Uart16550(irq, (b) => out.push(b));
  uart.attach(bus);
  return { bus, irq, out, uart, inb: (p: number) => bus.inPort(p, 1), outb: (p: number, v: number) => bus.outPort(p, 1, v) };
}

test('bytes written to THR reach onTransmit and LSR always shows THR empty and TEMT', () => {
  const { out, inb, outb } = setup();
  assert.equal(inb(0x3fd) & 0x60, 0x60);
  for (const c of 'hi\n') outb(0x3f8, c.charCodeAt(0));
  assert.deepEqual(out, [0x68, 0x69, 0x0a]);
  assert.equal(inb(0x3fd), 0x60);
});

test('the divisor latch is reached with DLAB and hides THR/IER meanwhile', () => {
  const { out, inb, outb } = setup();
  outb(0x3fb, 0x80); // DLAB
  outb(0x3f8, 0x01); // 115200 baud
  outb(0x3f9, 0x00);
  assert.equal(inb(0x3f8), 0x01);
  assert.equal(inb(0x3f9), 0x00);
  outb(0x3fb, 0x03); // 8N1, DLAB off
  assert.equal(inb(0x3fb), 0x03);
  assert.equal(inb(0x3f9), 0x00, 'IER is back and still zero');
  assert.deepEqual(out, [], 'divisor writes are not transmitted');
  outb(0x3fb, 0x83);
  assert.equal(inb(0x3f8) | (inb(0x3f9) << 8), 1);
});

test('queued input sets DR, is read from RBR in order, and raises RDA on IRQ4 when enabled', () => {
  const { uart, irq, inb, outb } = setup();
  outb(0x3f9, 0x01); // IER: RDA
  assert.equal(inb(0x3fa) & 0x0f, 0x01, 'no interrupt pending yet');
  uart.receive([0x41, 0x42]);
  assert.equal(irq.levels[4], true);
  assert.equal(inb(0x3fd) & 1, 1);
  assert.equal(inb(0x3fa) & 0x0f, 0x04, 'IIR reports received data available');
  assert.equal(inb(0x3f8), 0x41);
  assert.equal(inb(0x3f8), 0x42);
  assert.equal(inb(0x3fd) & 1, 0);
  assert.equal(irq.levels[4], false);
});

test('THRE interrupt: raised when enabled, cleared by reading IIR, raised again after each write', () => {
  const { irq, inb, outb } = setup();
  outb(0x3f9, 0x02);
  assert.equal(irq.levels[4], true);
  assert.equal(inb(0x3fa) & 0x0f, 0x02);
  assert.equal(irq.levels[4], false, 'reading IIR acknowledges THRE');
  assert.equal(inb(0x3fa) & 0x0f, 0x01);
  const before = irq.rises(4).length;
  outb(0x3f8, 0x2e);
  assert.equal(irq.rises(4).length, before + 1, 'a new edge after the byte left');
});

test('loopback mode returns transmitted bytes as input and mirrors MCR into MSR', () => {
  const { out, inb, outb } = setup();
  outb(0x3fc, 0x1e); // loopback, RTS, OUT1, OUT2
  outb(0x3f8, 0xae);
  assert.deepEqual(out, []);
  assert.equal(inb(0x3f8), 0xae);
  assert.equal(inb(0x3fe) & 0xf0, 0xd0, 'CTS, RI, DCD from RTS, OUT1, OUT2');
  outb(0x3fc, 0x0f);
  assert.equal(inb(0x3fe) & 0xf0, 0xb0);
});

test('FCR enables FIFOs (IIR bits 6-7) and clears the receive FIFO; SCR is scratch', () => {
  const { uart, inb, outb } = setup();
  uart.receive([1, 2, 3]);
  outb(0x3fa, 0xc7);
  assert.equal(inb(0x3fa) & 0xc0, 0xc0);
  assert.equal(inb(0x3fd) & 1, 0);
  outb(0x3ff, 0x5a);
  assert.equal(inb(0x3ff), 0x5a);
});

test('state round-trips through JSON, including queued input', () => {
  const a = setup();
  a.outb(0x3fb, 0x83);
  a.outb(0x3f8, 0x0c);
  a.outb(0x3fb, 0x03);
  a.uart.receive([7, 8]);
  const saved = JSON.parse(JSON.stringify(a.uart.saveState()));
  const b = setup();
  b.uart.loadState(saved);
  assert.equal(b.inb(0x3fb), 0x03);
  assert.equal(b.inb(0x3f8), 7);
  assert.equal(b.uart.pendingInput, 1);
});
