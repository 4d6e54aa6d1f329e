import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc } from './harness';

test('isa-debug-exit: writing v at 0xF4 exits with (v << 1) | 1, for any width', () => {
  const pc = makePc();
  pc.outb(0xf4, 0);
  pc.outl(0xf4, 1);
  pc.outw(0xf6, 0x20);
  assert.deepEqual(pc.exits, [1, 3, 0x41]);
});

test('debugcon: bytes written to 0xE9 are output; reads return 0xE9', () => {
  const pc = makePc();
  for (const c of 'ok') pc.outb(0xe9, c.charCodeAt(0));
  assert.equal(String.fromCharCode(...pc.debugcon), 'ok');
  assert.equal(pc.inb(0xe9), 0xe9);
});

test('createPcDevices wires COM1 to the serial callback', () => {
  const pc = makePc();
  pc.outb(0x3f8, 0x41);
  assert.deepEqual(pc.serial, [0x41]);
});
