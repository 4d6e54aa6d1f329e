import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TssResponseBody } from '../../debug-adapter/protocol';
import { tssNodes } from '../../extension/views/model/tss';
import { recorded } from './recorded';

test('without TR the TSS view says no TSS is loaded and the IST is empty', () => {
  const nodes = tssNodes(recorded<TssResponseBody>('tss-stack-overflow-no-ist'));
  assert.equal(nodes.length, 1);
  assert.match(nodes[0].label, /TR is not loaded .*every IST slot is empty/);
  assert.equal(nodes[0].icon, 'warning');
});

test('the IST fix: IST1 mapped with its symbol, IST2–7 flagged empty, RSP0–2 zero, IOPB beyond the limit', () => {
  const nodes = tssNodes(recorded<TssResponseBody>('tss-ist-double-fault'));
  const row = (label: string) => nodes.find((n) => n.label === label)!;
  assert.equal(nodes[0].description, '0x10 base 0x110040 limit 0x67');
  assert.equal(row('IST1').description, '0x10d000  mapped  ist1_top');
  assert.equal(row('IST1').pointer, '0x10d000');
  assert.equal(row('IST1').icon, 'pass');
  assert.equal(row('IST2').description, '0x0  empty');
  assert.equal(row('IST2').dimmed, true);
  assert.match(row('IST7').tooltip!, /switches to RSP 0/);
  assert.equal(row('RSP0').description, '0x0  zero');
  assert.equal(row('IOPB offset').description, '0x68 (beyond limit: no I/O permission bitmap)');
});

test('a pointer into an unmapped page is flagged', () => {
  const nodes = tssNodes({
    selector: 0x28, tss: { base: '0x1000', limit: 0x67, rsp: [], ist: [], iopbOffset: 0x68, raw: '', problems: [] },
    pointers: [{ name: 'IST1', value: '0x105000', mapped: false, writable: false }],
  });
  assert.equal(nodes[1].description, '0x105000  unmapped');
  assert.equal(nodes[1].icon, 'warning');
  assert.match(nodes[1].tooltip!, /NOT mapped/);
});
