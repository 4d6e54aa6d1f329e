import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IdtResponseBody } from '../../debug-adapter/protocol';
import { idtNodes } from '../../extension/views/model/idt';
import { findNode } from '../../extension/views/model/node';
import { recorded } from './recorded';

const overflow = recorded<IdtResponseBody>('idt-stack-overflow-no-ist');
const fix = recorded<IdtResponseBody>('idt-ist-double-fault');

test('all 256 gates after IDTR, named by vector', () => {
  const nodes = idtNodes(overflow);
  assert.equal(nodes.length, 257);
  assert.equal(nodes[0].description, 'base 0x10f040 limit 0xfff (256 gates)');
  assert.equal(nodes[1].label, '0 #DE');
  assert.equal(nodes[15].label, '14 #PF');
  assert.equal(nodes[33].label, `32 ${overflow.gates[32].vectorName}`);
});

test('vector 8 without IST: interrupt gate, DPL 0, handler and symbol; a click reveals its source', () => {
  const df = idtNodes(overflow)[9];
  assert.equal(df.label, '8 #DF');
  assert.equal(df.description, 'interrupt gate, DPL 0, 0x08:0x1008ff double_fault_handler');
  assert.equal(df.dimmed, false);
  assert.equal(df.reveal!.address, overflow.gates[8].offset);
  assert.match(df.reveal!.source!.path, /handlers\.c$/);
  assert.match(df.contextValue!, /code/);
  assert.equal(findNode([df], 'idt/8/IST')!.description, '0 (no stack switch)');
});

test('vector 8 with IST1 says so', () => {
  const df = idtNodes(fix)[9];
  assert.equal(df.description, 'interrupt gate, DPL 0, IST1, 0x08:0x100914 double_fault_handler');
  assert.equal(df.icon, 'layers');
  assert.match(df.tooltip!, /IST 1/);
});

test('non-present gates are dimmed, say "not present" and have no click action', () => {
  const pf = idtNodes(fix)[15];
  assert.equal(pf.description, 'not present');
  assert.equal(pf.dimmed, true);
  assert.equal(pf.reveal, undefined);
  assert.match(pf.tooltip!, /NOT present/);
  assert.match(pf.tooltip!, /raw 0x00000e0000000000 0x0000000000000000/);
  assert.match(pf.tooltip!, /delivering vector 14 through this gate raises #NP\(0x72\)/);
});

test('an IDT shorter than 256 gates warns about the vectors beyond its limit', () => {
  const nodes = idtNodes({ ...overflow, limit: 16 * 32 - 1, gates: overflow.gates.slice(0, 32) });
  assert.match(nodes.at(-1)!.label, /vectors 32–255 lie beyond IDTR.limit/);
});
