import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIdt } from '../../emulator/inspect/idt';
import { decodeTss32, decodeTss64, istProblems } from '../../emulator/inspect/tss';
import { Buffer64 } from './buffer';

function tss64(): Buffer64 {
  const m = new Buffer64(0x1000);
  const t = 0x100;
  m.q(t + 4, 0xffffffff80200000n); // RSP0
  m.q(t + 36, 0xffffffff80210000n); // IST1
  m.q(t + 44, 0n); // IST2 = 0
  m.q(t + 52, 0xffffffff80220008n); // IST3 misaligned
  m.w(t + 102, 0x68);
  return m;
}

test('a 64-bit TSS decodes RSP0-2, IST1-7 and the I/O map base', () => {
  const t = decodeTss64(tss64().read, 0x100n, 0x67);
  assert.equal(t.rsp[0], '0xffffffff80200000');
  assert.equal(t.rsp[1], '0x0');
  assert.equal(t.ist.length, 7);
  assert.equal(t.ist[0], '0xffffffff80210000');
  assert.equal(t.iopbOffset, 0x68);
  assert.deepEqual(t.problems, []);
  assert.equal(t.raw.length, 208);
});

test('a short TSS limit, an unreadable TSS and a non-canonical RSP are reported', () => {
  assert.deepEqual(decodeTss64(tss64().read, 0x100n, 0x20).problems, ['limit 0x20 is smaller than a 64-bit TSS needs (0x67 is the minimum)']);
  assert.match(decodeTss64(tss64().read, 0x2000n, 0x67).problems[0], /not readable/);
  const m = tss64();
  m.q(0x100 + 4, 0x0000900000000000n);
  assert.match(decodeTss64(m.read, 0x100n, 0x67).problems[0], /RSP0 0x900000000000 is not canonical/);
});

test('istProblems names the gate whose IST entry is zero', () => {
  const idt = new Buffer64(256 * 16);
  const gate = (v: number, ist: number, attr = 0x8e) => {
    idt.w(v * 16, 0x1000);
    idt.w(v * 16 + 2, 0x08);
    idt.bytes[v * 16 + 4] = ist;
    idt.bytes[v * 16 + 5] = attr;
  };
  gate(8, 2); // #DF on IST2, which is 0
  gate(2, 1); // NMI on IST1: fine
  gate(18, 3); // #MC on IST3: misaligned
  gate(14, 2, 0x0e); // not present: ignored
  const gates = decodeIdt(idt.read, 0n, 256 * 16 - 1, true);
  const t = decodeTss64(tss64().read, 0x100n, 0x67);
  assert.deepEqual(istProblems(t, gates), [
    'the #DF gate uses IST2 but TSS.IST2 is 0',
    'the #MC gate uses IST3 = 0xffffffff80220008, which is not 16-byte aligned (the CPU aligns it down)',
  ]);
});

test('a 32-bit TSS decodes ESP0/SS0 and flags a null SS0', () => {
  const m = new Buffer64(0x200);
  m.d(0x4, 0x90000);
  m.w(0x8, 0x10);
  m.d(0x1c, 0x1000);
  m.w(0x4c, 0x08);
  m.w(0x66, 0x68);
  const t = decodeTss32(m.read, 0n, 0x67);
  assert.equal(t.esp0, '0x90000');
  assert.equal(t.ss0, 0x10);
  assert.equal(t.cr3, '0x1000');
  assert.equal(t.cs, 0x08);
  assert.equal(t.iopbOffset, 0x68);
  assert.deepEqual(t.problems, []);
  m.w(0x8, 0);
  assert.match(decodeTss32(m.read, 0n, 0x67).problems[0], /SS0 is null/);
});

test('a TSS at a higher-half base is read there and its base shown in full', () => {
  const base = 0xffff_ff80_0010_4048n;
  const m = new Buffer64(0x100);
  m.q(0x48 + 0x24, 0xffff_ff80_0010_7000n); // IST1
  const reader = (addr: bigint, len: number) => m.read(addr - base + 0x48n, len);
  const t = decodeTss64(reader, base, 0x67);
  assert.equal(t.base, '0xffffff8000104048');
  assert.equal(t.ist[0], '0xffffff8000107000');
  assert.deepEqual(t.problems, []);
});
