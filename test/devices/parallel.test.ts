import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootWithFirmware, firmwareMissing } from '../support/firmware';
import { makePc } from './harness';

/** LPT1 at 0x378 as QEMU's hw/char/parallel.c behaves with no printer (null chardev, software-emulated SPP). */

test('reset state: data 0xFF, control 0xCC, status BUSY#/ACK#/SELECT/ERROR# and bit 0; ports +3..+7 read 0xFF', () => {
  const { inb } = makePc();
  assert.equal(inb(0x378), 0xff);
  assert.equal(inb(0x37a), 0xcc);
  assert.equal(inb(0x379), 0xd9);
  for (let p = 0x37b; p < 0x380; p++) assert.equal(inb(p), 0xff);
});

test('SeaBIOS\'s detect_parport: the data latch reads back what was written (0xAA), in output mode only', () => {
  const { inb, outb } = makePc();
  outb(0x37a, inb(0x37a) & 0xdf);
  outb(0x378, 0xaa);
  assert.equal(inb(0x378), 0xaa);
  outb(0x37a, 0x2c); // direction: input
  assert.equal(inb(0x378), 0xff, 'nothing drives the lines');
  assert.equal(inb(0x37a), 0xec, 'control bits 7:6 read 1');
});

test('QEMU\'s printer handshake: a strobe clears BUSY#, then status reads toggle ACK# and BUSY#', () => {
  const { inb, outb } = makePc();
  outb(0x378, 0x41);
  outb(0x37a, 0x0d); // SELECT_IN | INIT# | STROBE
  assert.equal(inb(0x379) & 0xc0, 0x40, 'BUSY# clear, ACK# still set');
  outb(0x37a, 0x0c); // strobe released
  assert.equal(inb(0x379) & 0xc0, 0x40);
  assert.equal(inb(0x379) & 0xc0, 0x00, 'ACK# cleared by the previous read');
  assert.equal(inb(0x379) & 0xc0, 0xc0, 'then ACK# and BUSY# set again');
  outb(0x37a, 0x08); // INIT# low: status reset
  assert.equal(inb(0x379), 0xd8);
});

test('IRQ 7: a control write with SELECT_IN while interrupts were enabled requests it until the status is read', () => {
  const { inb, outb, devices } = makePc();
  const irr = () => { outb(0x20, 0x0a); return inb(0x20) & 0x80; };
  outb(0x4d0, 0x80); // level-sensitive IRQ 7, so IRR follows the line
  outb(0x37a, 0x1c); // enable interrupts (the previous control had them off: no request yet)
  assert.equal(irr(), 0);
  outb(0x37a, 0x1c);
  assert.equal(irr(), 0x80);
  inb(0x379);
  assert.equal(irr(), 0);
  assert.ok(devices.lpt, 'LPT1 is on the default board');
});

test('no parallel port with the board option parallel: false or nodefaults (QEMU -parallel none, -nodefaults)', () => {
  assert.equal(makePc({ board: { parallel: false } }).inb(0x379), 0xff);
  assert.equal(makePc({ board: { nodefaults: true } }).devices.lpt, undefined);
});

test('SeaBIOS finds LPT1 by its data latch: BDA 0x408 = 0x378, timeout 0x14, one parallel port in the equipment word', { skip: firmwareMissing() }, () => {
  for (const parallel of [true, false]) {
    const { m } = bootWithFirmware({ nodefaults: true, parallel }, 12_000_000);
    const w = (a: number) => m.mem.read(a, 2);
    assert.deepEqual([w(0x408), m.mem.read(0x478, 1), w(0x410) >> 14], parallel ? [0x378, 0x14, 1] : [0, 0, 0], `parallel: ${parallel}`);
  }
});
