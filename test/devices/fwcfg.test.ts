import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc } from './harness';

/** Read `n` bytes of fw_cfg item `key` the way kvm-unit-tests does (16-bit select, byte reads). */
function item(pc: ReturnType<typeof makePc>, key: number, n: number): number[] {
  pc.outw(0x510, key);
  return Array.from({ length: n }, () => pc.inb(0x511));
}

const leNum = (b: number[]) => b.reduceRight((v, x) => v * 256 + x, 0);

test('signature "QEMU" and ID 3 (the I/O-port interface and DMA, as QEMU\'s pc)', () => {
  const pc = makePc();
  assert.equal(String.fromCharCode(...item(pc, 0, 4)), 'QEMU');
  assert.equal(leNum(item(pc, 1, 4)), 3);
  // The DMA address register reads "QEMU CFG" (big-endian), as QEMU's does.
  assert.equal(String.fromCharCode(...Array.from({ length: 8 }, (_, k) => pc.inb(0x514 + k))), 'QEMU CFG');
});

/** A FWCfgDmaAccess (big-endian control, length, address) at `at`, run by writing its address to 0x514/0x518. */
function dma(pc: ReturnType<typeof makePc>, at: number, control: number, length: number, address: number): number {
  const d = new DataView(new ArrayBuffer(16));
  d.setUint32(0, control, false);
  d.setUint32(4, length, false);
  d.setUint32(12, address, false);
  pc.phys.load(at, new Uint8Array(d.buffer));
  const bswap = (v: number) => ((v & 0xff) << 24 | (v & 0xff00) << 8 | (v >>> 8) & 0xff00 | v >>> 24) >>> 0;
  pc.outl(0x514, 0);
  pc.outl(0x518, bswap(at)); // what SeaBIOS's outl(cpu_to_be32(addr)) puts on the bus
  return new DataView(pc.phys.slice(at, 4).buffer).getUint32(0, false);
}

test('DMA: select and read copy an item into memory (zeros past its end), skip moves on, a write sets the error bit', () => {
  const pc = makePc({ memoryBytes: 64 << 20 });
  // SELECT (key 0, the signature) | READ, 6 bytes: "QEMU" then two zeros past the end.
  pc.phys.load(0x2000, Uint8Array.of(0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa));
  assert.equal(dma(pc, 0x1000, (0x0000 << 16) | 0x08 | 0x02, 6, 0x2000), 0, 'control 0: done');
  assert.deepEqual(Array.from(pc.phys.slice(0x2000, 7)), [0x51, 0x45, 0x4d, 0x55, 0, 0, 0xaa]);
  // The RAM size item (64 MiB = 00 00 00 04 00 00 00 00 little-endian): skip 3 bytes, then read 2.
  assert.equal(dma(pc, 0x1000, (0x03 << 16) | 0x08 | 0x04, 3, 0), 0);
  assert.equal(dma(pc, 0x1000, 0x02, 2, 0x3000), 0);
  assert.deepEqual(Array.from(pc.phys.slice(0x3000, 2)), [0x04, 0x00]);
  // The byte interface continues where DMA left the offset.
  assert.equal(pc.inb(0x511), 0);
  // Items are read-only: a WRITE ends with the error bit.
  assert.equal(dma(pc, 0x1000, (0x19 << 16) | 0x08 | 0x10, 4, 0x4000), 1);
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
