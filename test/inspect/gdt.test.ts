import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDescriptor, decodeGdt } from '../../emulator/inspect/gdt';
import { Buffer64 } from './buffer';

function longModeGdt(tssLimit = 0x67): Buffer64 {
  const m = new Buffer64(0x100);
  m.q(0x00, 0n);
  m.q(0x08, 0x00af9a000000ffffn); // 64-bit code, DPL 0
  m.q(0x10, 0x00cf92000000ffffn); // data, read/write
  m.q(0x18, 0x00affa000000ffffn); // 64-bit code, DPL 3
  // 64-bit TSS at 0xffffffff80123450, limit tssLimit, available (type 9), present.
  m.q(0x20, 0x80008912_3450_0000n | BigInt(tssLimit));
  m.q(0x28, 0x00000000ffffffffn);
  return m;
}

test('a long-mode GDT decodes null, 64-bit code, data, a 16-byte TSS and its upper half', () => {
  const m = longModeGdt();
  const d = decodeGdt(m.read, 0n, 0x2f, true);
  assert.deepEqual(d.map((x) => x.kind), ['null', 'code', 'data', 'code', 'tss-available', 'upper-half']);
  assert.equal(d[1].summary, '64-bit code, readable, DPL 0, present');
  assert.equal(d[1].selector, 0x08);
  assert.equal(d[1].long, true);
  assert.deepEqual(d[1].raw, ['0x00af9a000000ffff']);
  assert.equal(d[2].summary, 'data, read/write, DPL 0, present');
  assert.equal(d[3].dpl, 3);
  assert.equal(d[4].size, 16);
  assert.equal(d[4].base, '0xffffffff80123450');
  assert.equal(d[4].limit, '0x67');
  assert.equal(d[4].summary, '64-bit TSS (available), base 0xffffffff80123450, limit 0x67, DPL 0, present');
  assert.deepEqual(d[4].problems, []);
  assert.equal(d[4].raw.length, 2);
  assert.equal(d[5].selector, 0x28);
  assert.match(d[5].summary, /upper half of the 16-byte tss-available descriptor at index 4 \(selector 0x20\)/);
});

test('a TSS limit below 0x67 is reported', () => {
  const d = decodeGdt(longModeGdt(0x20).read, 0n, 0x2f, true);
  assert.deepEqual(d[4].problems, ['limit 0x20 is smaller than a 64-bit TSS needs (0x67 is the minimum)']);
});

test('a 16-byte descriptor cut by the GDT limit is reported', () => {
  const d = decodeGdt(longModeGdt().read, 0n, 0x27, true);
  assert.equal(d.length, 5);
  assert.match(d[4].problems[0], /runs past the GDT limit 0x27/);
});

test('protected-mode descriptors show bitness, base and scaled limit', () => {
  const m = new Buffer64(0x40);
  m.q(0x08, 0x00cf9a000000ffffn);
  m.q(0x10, 0x0040920b8000ffffn); // 32-bit data, base 0xb8000, byte granular limit 0xffff
  m.q(0x18, 0x00008900_2000_0067n); // 32-bit TSS at 0x2000
  const d = decodeGdt(m.read, 0n, 0x1f, false);
  assert.equal(d[1].summary, '32-bit code, readable, base 0x0, limit 0xffffffff, DPL 0, present');
  assert.equal(d[2].base, '0xb8000');
  assert.equal(d[2].limit, '0xffff');
  assert.equal(d[2].summary, '32-bit data, read/write, base 0xb8000, limit 0xffff, DPL 0, present');
  assert.equal(d[3].kind, 'tss-available');
  assert.equal(d[3].size, 8);
  assert.match(d[3].summary, /^32-bit TSS \(available\), base 0x2000, limit 0x67/);
});

test('descriptor oddities: L and D both set, not present, a gate type in a long-mode GDT', () => {
  const ld = new Uint8Array(8);
  new DataView(ld.buffer).setBigUint64(0, 0x00ef9a000000ffffn, true);
  assert.match(decodeDescriptor(ld, 1, true).problems[0], /L and D are both set/);
  const np = new Uint8Array(8);
  new DataView(np.buffer).setBigUint64(0, 0x00af1a000000ffffn, true);
  assert.equal(decodeDescriptor(np, 1, true).summary, '64-bit code, readable, DPL 0, not present');
  const gate = new Uint8Array(8);
  new DataView(gate.buffer).setBigUint64(0, 0x00008e0000000000n, true);
  assert.match(decodeDescriptor(gate, 2, true).problems[0], /type 0xe is not a valid system descriptor in IA-32e mode/);
});

test('an unreadable GDT entry is reported, not thrown', () => {
  const d = decodeGdt(new Buffer64(8).read, 0n, 0xf, true);
  assert.equal(d[1].summary, 'unreadable');
  assert.match(d[1].problems[0], /not readable/);
});

/** A 16-byte system descriptor (SDM Figure 7-4 / 5-9) as two qwords: type byte, 64-bit base, limit, dword at +12. */
function wide(typeByte: number, base: bigint, limit: number, upper = 0): [bigint, bigint] {
  const b = BigInt.asUintN(64, base);
  const lo = (BigInt(limit) & 0xffffn) | ((b & 0xffffffn) << 16n) | (BigInt(typeByte) << 40n) |
    ((BigInt(limit) >> 16n & 0xfn) << 48n) | (((b >> 24n) & 0xffn) << 56n);
  return [lo, (b >> 32n) | (BigInt(upper >>> 0) << 32n)];
}

test('higher-half TSS and LDT descriptors decode their full 64-bit base; only bits 12:8 at +12 are a problem', () => {
  const bases = [0x0000_0000_0010_3048n, 0xffff_8000_0020_3048n, 0xffff_ff80_0010_4048n, 0xffff_ffff_8010_5048n];
  for (const base of bases) {
    const m = new Buffer64(0x60);
    m.q(0x08, 0x00af9a000000ffffn);
    const [tLo, tHi] = wide(0x8b, base, 0x67, 0xffffe0ff); // reserved bits set, bits 12:8 clear
    m.q(0x10, tLo); m.q(0x18, tHi);
    const [lLo, lHi] = wide(0x82, base + 0x1000n, 0xfff);
    m.q(0x20, lLo); m.q(0x28, lHi);
    const [bLo, bHi] = wide(0x89, base, 0x67, 0x1000); // bit 12 at +12: LTR raises #GP(0x30)
    m.q(0x30, bLo); m.q(0x38, bHi);
    const d = decodeGdt(m.read, 0n, 0x3f, true);
    assert.deepEqual(d.map((x) => x.kind), ['null', 'code', 'tss-busy', 'upper-half', 'ldt', 'upper-half', 'tss-available', 'upper-half']);
    const hexBase = '0x' + base.toString(16);
    assert.equal(d[2].base, hexBase);
    assert.equal(d[2].summary, `64-bit TSS (busy), base ${hexBase}, limit 0x67, DPL 0, present`);
    assert.deepEqual(d[2].problems, [], `${hexBase}: reserved bits outside 12:8 are no problem`);
    assert.equal(d[4].base, '0x' + (base + 0x1000n).toString(16));
    assert.deepEqual(d[4].problems, []);
    assert.deepEqual(d[6].problems, ['bits 12:8 of the upper half must be 0 but are 0x10 (SDM Figure 7-4): LTR, LLDT or a far JMP/CALL through it raises #GP(0x30)']);
  }
});

test('a non-canonical 64-bit TSS or LDT base is reported with the #GP that LTR/LLDT raise', () => {
  const m = new Buffer64(0x30);
  const [tLo, tHi] = wide(0x89, 0x0000_8000_0010_0000n, 0x67);
  m.q(0x10, tLo); m.q(0x18, tHi);
  const [lLo, lHi] = wide(0x82, 0x1234_0000_0000_0000n, 0xfff);
  m.q(0x20, lLo); m.q(0x28, lHi);
  const d = decodeGdt(m.read, 0n, 0x2f, true);
  assert.deepEqual(d[2].problems, ['base 0x800000100000 is not canonical: LTR raises #GP(0x10)']);
  assert.deepEqual(d[4].problems, ['base 0x1234000000000000 is not canonical: LLDT raises #GP(0x20)']);
});

test('a 64-bit call gate shows its full 64-bit target offset', () => {
  const m = new Buffer64(0x20);
  const offset = 0xffff_ffff_8012_3456n;
  m.q(0x10, (offset & 0xffffn) | (0x08n << 16n) | (0x8cn << 40n) | (((offset >> 16n) & 0xffffn) << 48n));
  m.q(0x18, offset >> 32n);
  const d = decodeGdt(m.read, 0n, 0x1f, true);
  assert.equal(d[2].kind, 'call-gate');
  assert.equal(d[2].summary, '64-bit call gate → 0x8:0xffffffff80123456, DPL 0, present');
});
