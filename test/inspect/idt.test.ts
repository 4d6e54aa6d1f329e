import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGate, decodeIdt, idtLimitProblem } from '../../emulator/inspect/idt';
import { Buffer64 } from './buffer';

/** 64-bit gate: offset, selector, IST, type/attr byte. */
function gate64(m: Buffer64, vector: number, offset: bigint, selector: number, attr: number, ist = 0) {
  const p = vector * 16;
  m.w(p, Number(offset & 0xffffn));
  m.w(p + 2, selector);
  m.bytes[p + 4] = ist;
  m.bytes[p + 5] = attr;
  m.w(p + 6, Number((offset >> 16n) & 0xffffn));
  m.d(p + 8, Number((offset >> 32n) & 0xffffffffn));
}

function idt(): Buffer64 {
  const m = new Buffer64(256 * 16);
  gate64(m, 3, 0xffffffff80101000n, 0x08, 0xee); // #BP: interrupt gate, DPL 3
  gate64(m, 8, 0xffffffff80102000n, 0x08, 0x8e, 1); // #DF on IST1
  gate64(m, 13, 0xffffffff80103000n, 0x08, 0x8f); // #GP trap gate
  gate64(m, 14, 0xffffffff80104000n, 0x08, 0x0e); // #PF: type ok, not present (blog_os Entry::missing)
  gate64(m, 32, 0x101000n, 0x00, 0x8e); // null selector
  gate64(m, 33, 0x0000800000000000n, 0x08, 0x8e); // non-canonical handler
  return m;
}

test('present 64-bit gates decode handler, selector, DPL and IST', () => {
  const g = decodeIdt(idt().read, 0n, 256 * 16 - 1, true);
  assert.equal(g.length, 256);
  assert.equal(g[3].kind, 'interrupt-gate');
  assert.equal(g[3].dpl, 3);
  assert.equal(g[3].vectorName, '#BP');
  assert.equal(g[8].ist, 1);
  assert.equal(g[8].offset, '0xffffffff80102000');
  assert.equal(g[8].summary, 'interrupt gate → 0x8:0xffffffff80102000, DPL 0, IST1, present');
  assert.deepEqual(g[8].problems, []);
  assert.equal(g[8].fault, undefined);
  assert.equal(g[13].kind, 'trap-gate');
});

test('a missing gate raises #NP(vector*8+2); an all-zero gate raises #GP(vector*8+2) first', () => {
  const g = decodeIdt(idt().read, 0n, 256 * 16 - 1, true);
  assert.deepEqual(g[14].problems, ['not present']);
  assert.deepEqual(g[14].fault, { vector: 11, mnemonic: '#NP', errorCode: 14 * 8 + 2 });
  assert.equal(g[0].summary, 'empty (all zero)');
  assert.equal(g[0].problems[0], 'type 0x0 is not an interrupt or trap gate');
  assert.deepEqual(g[0].fault, { vector: 13, mnemonic: '#GP', errorCode: 2 });
  assert.ok(g[0].problems.includes('not present'));
  assert.ok(g[0].problems.includes('selector 0x0 is null'));
});

test('null selectors and non-canonical handlers are reported with #GP(0)', () => {
  const g = decodeIdt(idt().read, 0n, 256 * 16 - 1, true);
  assert.deepEqual(g[32].problems, ['selector 0x0 is null']);
  assert.deepEqual(g[32].fault, { vector: 13, mnemonic: '#GP', errorCode: 0 });
  assert.equal(g[32].vectorName, 'vector 0x20');
  assert.deepEqual(g[33].problems, ['handler offset 0x800000000000 is not canonical']);
});

test('protected-mode gates are 8 bytes; task gates are valid there', () => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, 0x00108e0000081234n, true);
  const g = decodeGate(b, 14, false);
  assert.equal(g.kind, 'interrupt-gate');
  assert.equal(g.offset, '0x101234');
  assert.equal(g.selector, 0x08);
  const t = new Uint8Array(8);
  new DataView(t.buffer).setBigUint64(0, 0x0000850000280000n, true);
  const tg = decodeGate(t, 8, false);
  assert.equal(tg.kind, 'task-gate');
  assert.equal(tg.summary, 'task gate → TSS selector 0x28, DPL 0, present');
  assert.deepEqual(tg.problems, []);
});

test('the IDT limit bounds the decoded vectors and explains #GP for vectors past it', () => {
  assert.equal(decodeIdt(idt().read, 0n, 15 * 16 - 1, true).length, 15);
  assert.equal(idtLimitProblem(14, 15 * 16 - 1, true), undefined);
  assert.match(idtLimitProblem(15, 15 * 16 - 1, true)!, /beyond the IDT limit 0xef .* #GP\(0x7a\)/);
});
