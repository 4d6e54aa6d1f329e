import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'os';
import * as path from 'path';
import { bootKernel, loadKernelFile } from '../../emulator/boot';
import { buildElf, concatBytes, multiboot1Header, multiboot2Header } from '../support/elf-builder';
import { ram } from './helpers';

const code = Uint8Array.from([0xfa, 0xf4]);

test('an ELF without a multiboot header asks whether the header section is linked first', () => {
  const { bytes } = buildElf({ class: 64, entry: 0x100000, segments: [{ paddr: 0x100000, data: code }] });
  assert.throws(() => bootKernel(bytes, ram(), { fileName: 'kernel.elf' }), {
    name: 'BootError',
    message: 'kernel.elf has no multiboot header in its first 32 KiB; is it linked with the header section first?',
  });
});

test('an ELF note of Xen\'s that is not the PVH entry (type 18) does not make a PVH kernel', () => {
  // (PVH kernels themselves boot: test/boot/pvh.test.ts.)
  const note = (name: string, type: number, desc: number[]) => {
    const n = new TextEncoder().encode(name + '\0');
    const pad = (b: number[]) => [...b, ...new Array((4 - (b.length % 4)) % 4).fill(0)];
    const u32 = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24];
    return [...u32(n.length), ...u32(desc.length), ...u32(type), ...pad([...n]), ...pad(desc)];
  };
  const other = Uint8Array.from([...note('Linux', 1, [1, 2, 3]), ...note('Xen', 17, [0x40, 0x12, 0x00, 0x01])]);
  const { bytes } = buildElf({ class: 64, entry: 0x1000000, segments: [{ paddr: 0x1000000, data: code }, { paddr: 0, data: other, type: 4 }] });
  assert.throws(() => bootKernel(bytes, ram(), { fileName: 'k.elf' }), /k\.elf has no multiboot header in its first 32 KiB/);
});

test('a multiboot header past the search window is not found', () => {
  const late = concatBytes(new Uint8Array(0x2000), multiboot1Header(0), code);
  const { bytes } = buildElf({ class: 32, entry: 0x100000, segments: [{ paddr: 0x100000, data: late }] });
  assert.throws(() => bootKernel(bytes, ram(), { fileName: 'k.elf' }), /k\.elf has no multiboot header/);
});

test('a garbage file names its first bytes', () => {
  const mz = Uint8Array.from([0x4d, 0x5a, 0x90, 0x00, 1, 2, 3, 4]);
  assert.throws(() => bootKernel(mz, ram(), { fileName: 'x.bin' }), /^BootError: x\.bin is not an ELF file \(it starts with 4d 5a 90 00 \.\.\.\) and has no multiboot header/);
});

test('a non-ELF with a multiboot1 header but no a.out kludge is refused with advice', () => {
  const flat = concatBytes(multiboot1Header(0), code);
  assert.throws(() => bootKernel(flat, ram(), { fileName: 'flat.bin' }), /flat\.bin is not an ELF file .* does not set flag bit 16/);
  const flat2 = concatBytes(multiboot2Header([]), code);
  assert.throws(() => bootKernel(flat2, ram(), { fileName: 'flat2.bin' }), /flat2\.bin is not an ELF file .* no address tag/);
});

test('a wrong checksum is reported at its offset', () => {
  const h = multiboot1Header(0);
  h[8] ^= 1;
  const { bytes } = buildElf({ class: 32, entry: 0x100000, segments: [{ paddr: 0x100000, data: concatBytes(h, code) }] });
  assert.throws(() => bootKernel(bytes, ram(), {}), /has the multiboot magic 0x1badb002 at offset 0x\w+ but its checksum is wrong/);
});

test('a segment beyond RAM says how much memory it needs', () => {
  const text = concatBytes(multiboot1Header(0), code);
  const { bytes } = buildElf({ class: 32, entry: 0x100000, segments: [{ paddr: 0x1000000, data: text, memsz: 0x100000 }] });
  assert.throws(() => bootKernel(bytes, ram(16), {}), {
    message: 'segment at 0x1000000 needs 17 MiB of RAM; the machine has 16 MiB: raise memoryMB',
  });
});

test('a 64-bit entry point above 4 GiB is refused with advice', () => {
  const text = concatBytes(multiboot1Header(0), code);
  const { bytes } = buildElf({ class: 64, entry: 0xffffffff90000000n, segments: [{ paddr: 0x100000, vaddr: 0xffffffff80000000n, data: text }] });
  assert.throws(() => bootKernel(bytes, ram(), { fileName: 'k.elf' }), /k\.elf has entry point 0xffffffff90000000, above 4 GiB/);
});

test('truncated kernels give BootErrors at every length', () => {
  const text = concatBytes(multiboot1Header(3), code);
  const { bytes } = buildElf({ class: 64, entry: 0x10000c, segments: [{ paddr: 0x100000, data: text }] });
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => bootKernel(bytes.subarray(0, n), ram(2), {}), { name: 'BootError' }, `length ${n}`);
  }
});

test('loadKernelFile names a missing file', () => {
  const p = path.join(os.tmpdir(), 'faultline-no-such-dir', 'y.elf');
  assert.throws(() => loadKernelFile(p), { name: 'BootError', message: new RegExp(`^kernel file ${p.replace(/[.\\/]/g, '\\$&')} does not exist`) });
});
