import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PageTableResponseBody, PageWalkResponseBody } from '../../debug-adapter/protocol';
import { flagTable, pageTableNodes, pageWalkNodes, rootNode, walkSummary } from '../../extension/views/model/pageTables';
import { recorded } from './recorded';

test('the root row is CR3 → PML4 with one lazy entry pointing at the PDPT', () => {
  const root = rootNode(recorded<PageTableResponseBody>('pageTable-root'));
  assert.equal(root.label, 'CR3 → PML4');
  assert.equal(root.description, '0x101000 (4-level paging)');
  const e = root.children![0];
  assert.equal(e.label, 'PML4[0]');
  assert.equal(e.description, '→ PDPT 0x102000  [P RW A]  0x0–0x7fffffffff');
  assert.deepEqual(e.lazy, { physAddr: '0x102000', level: 'PDPT', baseVirtual: '0x0' });
});

test('a 1 GiB page is a leaf with PS and NX, not expandable', () => {
  const nodes = pageTableNodes(recorded<PageTableResponseBody>('pageTable-pdpt-hand'), 'pt/0');
  assert.equal(nodes[1].id, 'pt/0/3');
  assert.equal(nodes[1].description, '→ page 0xc0000000  [P RW A D PS NX]  0xc0000000–0xffffffff');
  assert.equal(nodes[1].lazy, undefined);
  assert.equal(nodes[1].icon, 'file-binary');
});

test('PT entries: present pages, the guard page not present and dimmed, reserved bits warned', () => {
  const nodes = pageTableNodes(recorded<PageTableResponseBody>('pageTable-pt-hand'), 'pt/0/0/0');
  assert.deepEqual(nodes.map((n) => n.label), ['PT[256]', 'PT[260]', 'PT[261]', 'PT[262]', 'PT[270]']);
  assert.equal(nodes[0].description, '→ page 0x100000  [P A]  0x100000–0x100fff');
  assert.equal(nodes[2].description, 'not present  0x105000–0x105fff');
  assert.equal(nodes[2].dimmed, true);
  assert.equal(nodes[4].icon, 'warning');
  assert.match(nodes[4].tooltip!, /reserved bits set: 0x0008000000000000/);
  assert.equal(flagTable(recorded<PageTableResponseBody>('pageTable-pt-hand').entries[1]), 'P=1 RW=1 US=0 PWT=0 PCD=0 A=1 D=1 PS=0 G=0 NX=0');
});

test('walking the guard-page address stops at PT[261] and says why', () => {
  const w = recorded<PageWalkResponseBody>('pageWalk-guard');
  const n = pageWalkNodes(w);
  assert.equal(n.label, 'Walk 0x105ff8');
  assert.equal(n.description, `stops: ${w.stopReason}`);
  assert.match(w.stopReason!, /PT entry .* is not present/);
  assert.deepEqual(n.children!.map((c) => c.label), ['PML4[0]', 'PDPT[0]', 'PD[0]', 'PT[261]', 'stops']);
  assert.equal(n.children![3].icon, 'close');
  assert.match(n.children![3].description!, /not present/);
});

test('the live PT around the guard pages: the stack guard (PT[261]) is absent, its neighbours present', () => {
  const pt = recorded<PageTableResponseBody>('pageTable-pt');
  const nodes = pageTableNodes(pt, 'pt/0/0/0');
  assert.ok(!nodes.some((n) => n.label === 'PT[261]'), 'non-present entries are left out by default');
  const e = nodes.find((n) => n.label === 'PT[262]')!;
  assert.match(e.description!, /^→ page 0x106000 {2}\[P RW( A)?( D)?\] {2}0x106000–0x106fff$/);
});

test('walking a code address ends in its frame with the effective permissions', () => {
  const w = recorded<PageWalkResponseBody>('pageWalk-mapped');
  assert.equal(walkSummary(w), 'mapped → 0x1009a4 (4 KiB page, RO, supervisor, X)');
  assert.equal(pageWalkNodes(w).children!.at(-1)!.label, '→ 0x1009a4');
});

test('paging off and adapter errors become one message row', () => {
  assert.match(pageTableNodes({ physAddr: '0x0', level: 'PML4', mode: 'none', entries: [] })[0].label, /Paging is off/);
  assert.equal(pageTableNodes({ physAddr: '0x0', level: 'PML4', mode: '4-level', entries: [], error: 'CR3 points outside RAM' })[0].label, 'CR3 points outside RAM');
});
