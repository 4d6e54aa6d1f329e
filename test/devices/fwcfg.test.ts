import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc } from './harness';

/** Read `n` bytes of fw_cfg item `key` the way kvm-unit-tests does (16-bit select, byte reads). */
function item(pc: ReturnType<typeof makePc>, key: number, n: number): number[] {
  pc.outw(0x510, key);
  return Array.from({ length: n }, () => pc.inb(0x511));
}

const leNum = (b: number[]) => b.reduceRight((v, x) => v * 256 + x, 0);

test('signature "QEMU" and ID 1 (no DMA)', () => {
  const pc = makePc();
  assert.equal(String.fromCharCode(...item(pc, 0, 4)), 'QEMU');
  assert.equal(leNum(item(pc, 1, 4)), 1);
});

test('RAM size (64-bit LE) and CPU counts (16-bit)', () => {
  const pc = makePc({ memoryBytes: 256 << 20 });
  assert.equal(leNum(item(pc, 0x03, 8)), 256 << 20);
  assert.equal(leNum(item(pc, 0x05, 2)), 1);
  assert.equal(leNum(item(pc, 0x0f, 2)), 1);
});

test('reads past the end of an item and of unknown keys return 0', () => {
  const pc = makePc();
  assert.deepEqual(item(pc, 0, 6).slice(4), [0, 0]);
  assert.deepEqual(item(pc, 0x1234, 2), [0, 0]);
});

test('the file directory lists etc/e820: a RAM entry covering all memory, then QEMU\'s reserved AMD HyperTransport hole', () => {
  const pc = makePc({ memoryBytes: 64 << 20 });
  const dir = item(pc, 0x19, 4 + 64);
  assert.equal((dir[0] << 24) | (dir[1] << 16) | (dir[2] << 8) | dir[3], 1);
  const size = (dir[4] << 24) | (dir[5] << 16) | (dir[6] << 8) | dir[7];
  const key = (dir[8] << 8) | dir[9];
  assert.equal(String.fromCharCode(...dir.slice(12, 20)), 'etc/e820');
  assert.equal(size, 40);
  const e = item(pc, key, 40);
  assert.equal(leNum(e.slice(0, 8)), 0);
  assert.equal(leNum(e.slice(8, 16)), 64 << 20);
  assert.equal(leNum(e.slice(16, 20)), 1);
  // QEMU 7.2 with an AMD vCPU of 40 physical address bits (qemu64): 0xfd00000000-0xffffffffff reserved
  assert.equal(leNum(e.slice(20, 28)), 0xfd_0000_0000);
  assert.equal(leNum(e.slice(28, 36)), 0x3_0000_0000);
  assert.equal(leNum(e.slice(36, 40)), 2);
});

test('command line item', () => {
  const pc = makePc();
  pc.devices.fwcfg.setCmdline('console=ttyS0');
  assert.equal(leNum(item(pc, 0x14, 4)), 14);
  assert.equal(String.fromCharCode(...item(pc, 0x15, 13)), 'console=ttyS0');
});
