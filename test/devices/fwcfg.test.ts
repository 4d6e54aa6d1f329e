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

/** The file directory (key 0x19): big-endian count, then per file size, key and name. */
function directory(pc: ReturnType<typeof makePc>): { name: string; size: number; key: number }[] {
  const be = (b: number[]) => b.reduce((v, x) => v * 256 + x, 0);
  const count = be(item(pc, 0x19, 4));
  const raw = item(pc, 0x19, 4 + 64 * count).slice(4);
  return Array.from({ length: count }, (_, i) => {
    const e = raw.slice(64 * i, 64 * i + 64);
    const name = String.fromCharCode(...e.slice(8, 8 + e.slice(8).indexOf(0)));
    return { name, size: be(e.slice(0, 4)), key: be(e.slice(4, 6)) };
  });
}

test('the file directory: QEMU 7.2 pc\'s files (traced with -trace fw_cfg*, with its kvmvapic.bin ROM), sorted by name, keys from 0x20 in that order', () => {
  const pc = makePc();
  const dir = directory(pc);
  assert.deepEqual(dir.map((f) => `${f.name} ${f.size}`),
    ['bios-geometry 0', 'bootorder 0', 'etc/boot-fail-wait 4', 'etc/e820 40', 'etc/system-states 6', 'etc/tpm/log 0', 'genroms/kvmvapic.bin 9216']);
  assert.deepEqual(dir.map((f) => f.key), [0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26]);
  // -boot reboot-timeout's default: -1 (SeaBIOS then waits forever after "No bootable device.")
  assert.deepEqual(item(pc, 0x22, 4), [0xff, 0xff, 0xff, 0xff]);
  // PIIX4 PM's S3 (SLP_TYP 1) and S4 (SLP_TYP 2) enabled, as QEMU's defaults and the DSDT's \_S3/\_S4
  assert.deepEqual(item(pc, 0x24, 6), [0x80, 0, 0, 0x81, 0x82, 0x80]);
  // A file added later goes in by name and moves the keys after it; replacing one keeps its place.
  assert.equal(pc.devices.fwcfg.addFile('etc/acpi/rsdp', new Uint8Array(20)), 0x22);
  assert.equal(pc.devices.fwcfg.addFile('bootorder', new Uint8Array(31)), 0x21);
  assert.deepEqual(directory(pc).map((f) => `${f.name} ${f.size} ${f.key.toString(16)}`),
    ['bios-geometry 0 20', 'bootorder 31 21', 'etc/acpi/rsdp 20 22', 'etc/boot-fail-wait 4 23', 'etc/e820 40 24', 'etc/system-states 6 25', 'etc/tpm/log 0 26', 'genroms/kvmvapic.bin 9216 27']);
  assert.deepEqual(item(pc, 0x23, 4), [0xff, 0xff, 0xff, 0xff]);
});

test('etc/e820: a RAM entry covering all memory, then QEMU\'s reserved AMD HyperTransport hole', () => {
  const pc = makePc({ memoryBytes: 64 << 20 });
  const f = directory(pc).find((d) => d.name === 'etc/e820')!;
  assert.equal(f.size, 40);
  const e = item(pc, f.key, 40);
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

test('wider reads as QEMU 7.2 answers them (GRUB\'s inl/inw): the DMA register\'s bytes in address order, and 0 from the selector port', () => {
  const pc = makePc();
  // Under qemu-system-x86_64 7.2: inl 0x514 = 0x554d4551 ("QEMU" in memory), inl 0x518 = 0x47464320 (" CFG").
  assert.equal(pc.inl(0x514) >>> 0, 0x554d4551);
  assert.equal(pc.inl(0x518) >>> 0, 0x47464320);
  assert.equal(pc.inw(0x516), 0x554d, 'bytes 2-3, "MU"');
  // inw/inl 0x510: not an access the port takes, which QEMU's memory core reads as 0.
  assert.equal(pc.inw(0x510), 0);
  assert.equal(pc.inl(0x510), 0);
  assert.equal(String.fromCharCode(...item(pc, 0, 4)), 'QEMU', 'and the data stream is not moved by them');
});
