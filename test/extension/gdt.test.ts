import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GdtResponseBody } from '../../debug-adapter/protocol';
import { gdtNodes, loadedMarks } from '../../extension/views/model/gdt';
import { findNode } from '../../extension/views/model/node';
import { recorded } from './recorded';

// Recorded from the live adapter: the boot stub's GDT, and the IST fix's GDT with a 16-byte TSS descriptor.
const boot = recorded<GdtResponseBody>('gdt-stack-overflow-no-ist');
const fix = recorded<GdtResponseBody>('gdt-ist-double-fault');

test('the boot GDT: GDTR first, then one row per selector with CS marked', () => {
  const nodes = gdtNodes(boot);
  assert.equal(nodes[0].label, 'GDTR');
  assert.equal(nodes[0].description, 'base 0x1009b0 limit 0x1f (4 slots)');
  assert.deepEqual(nodes.slice(1).map((n) => n.label), ['0x00 null', '0x08 64-bit code  ◀ CS', '0x10 data', '0x18 32-bit code']);
  assert.equal(nodes[1].dimmed, true, 'the null descriptor is dimmed');
  assert.equal(nodes[2].marked, true);
  assert.equal(nodes[2].description, 'DPL 0, P, L=1, D=0');
  assert.equal(nodes[4].description, 'DPL 0, P, L=0, D=1, base 0x0, limit 0xffffffff');
});

test('the raw descriptor is in the tooltip and in a child row', () => {
  const code = gdtNodes(boot)[2];
  const raw = boot.entries[1].raw[0];
  assert.ok(code.tooltip!.includes(`raw ${raw}`));
  assert.equal(findNode([code], 'gdt/1/raw')!.description, raw);
  assert.equal(findNode([code], 'gdt/1/L')!.description, '1 64-bit');
});

test('a 16-byte TSS descriptor is one row (its upper half hidden), busy, marked TR, with its base as a pointer', () => {
  const nodes = gdtNodes(fix);
  assert.deepEqual(nodes.map((n) => n.label), ['GDTR', '0x00 null', '0x08 64-bit code  ◀ CS', '0x10 64-bit TSS (busy)  ◀ TR', '0x20 data', '0x28 data']);
  const tss = nodes[3];
  assert.equal(tss.description, 'DPL 0, P, busy, base 0x110040, limit 0x67');
  assert.equal(tss.pointer, '0x110040');
  assert.equal(findNode([tss], 'gdt/2/busy')!.description, '1');
  assert.equal(findNode([tss], 'gdt/2/size')!.description, '16 bytes');
  assert.ok(tss.tooltip!.includes(`raw ${fix.entries[2].raw.join(' ')}`));
});

test('a non-present data descriptor is dimmed', () => {
  const np = gdtNodes(fix)[4];
  assert.equal(np.dimmed, true);
  assert.match(np.description!, /not present/);
});

test('decoder problems become a warning icon and tooltip lines', () => {
  const d = { ...fix.entries[4], problems: ['not present: loading it raises #NP(0x20)'] };
  const n = gdtNodes({ ...fix, entries: [d] })[1];
  assert.equal(n.icon, 'warning');
  assert.match(n.tooltip!, /⚠ not present: loading it raises #NP\(0x20\)/);
});

test('loaded selectors ignore null and LDT selectors and strip the RPL', () => {
  const m = loadedMarks({ cs: 0x0b, ds: 0, es: 0, fs: 0x14, gs: 0, ss: 0x13, tr: 0x28, ldtr: 0 });
  assert.deepEqual([...m.entries()], [[1, ['CS']], [2, ['SS']], [5, ['TR']]]);
});

test('an unreadable GDT shows the adapter\'s sentence', () => {
  const nodes = gdtNodes({ ...boot, entries: [], error: 'GDTR.base 0xdead0000 is not mapped' });
  assert.deepEqual(nodes.map((n) => [n.label, n.icon]), [['GDTR.base 0xdead0000 is not mapped', 'error']]);
});
