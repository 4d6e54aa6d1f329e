import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultChainResponseBody } from '../../debug-adapter/protocol';
import { faultChainNodes, foldTripleFault } from '../../extension/views/model/faultChain';
import { decodeErrorCode } from '../../extension/views/model/errorCode';
import { findNode, nodesToText } from '../../extension/views/model/node';
import { recorded } from './recorded';

// Recorded from the live adapter (test/extension/record-live.ts) on fixtures/bin/*.elf.
const overflow = recorded<FaultChainResponseBody>('faultChain-stack-overflow-no-ist');
const ist = recorded<FaultChainResponseBody>('faultChain-ist-double-fault');

test('the stack overflow chain reads #PF → #PF → #DF → triple fault, then the diagnosis', () => {
  const nodes = faultChainNodes(overflow);
  assert.equal(nodes[0].label, '#PF → #PF → #DF → triple fault');
  assert.equal(nodes[0].icon, 'error');
  assert.deepEqual(nodes.slice(1, 5).map((n) => n.label), ['1. #PF raised', '2. #PF raised', '3. #DF escalated to #DF', '4. triple fault']);
  const diag = nodes[5];
  assert.equal(diag.label, 'Diagnosis');
  assert.equal(diag.expanded, true);
  assert.ok(diag.children!.some((d) => /unmapped page .*guard page/.test(d.label)));
  assert.ok(diag.children!.some((d) => /IST/.test(d.label)));
});

test('the fault raised while delivering #DF is folded into the triple fault row, its details underneath', () => {
  const folded = foldTripleFault(overflow.links);
  assert.equal(folded.length, overflow.links.length - 1);
  const tf = faultChainNodes(overflow)[4];
  assert.equal(tf.description, '#PF while delivering #DF: the CPU shuts down (triple fault)');
  assert.equal(tf.marked, true);
  assert.equal(tf.iconColor, 'errorForeground');
  assert.equal(findNode([tf], `chain/${overflow.links[3].seq}/during`)!.description, 'vector 8');
  assert.match(tf.tooltip!, /caused by:\n#PF \(vector 14\) raised/);
});

test('a link shows its RIP with symbol and source line, CR2 as a pointer and the page-fault bits', () => {
  const link = faultChainNodes(overflow)[1];
  const seq = overflow.links[0].seq;
  assert.equal(link.description, 'at 0x1009a4 stack_overflow+0x4');
  assert.equal(link.reveal!.address, overflow.links[0].rip);
  assert.match(link.reveal!.source!.path, /handlers\.c$/);
  const cr2 = findNode([link], `chain/${seq}/cr2`)!;
  assert.equal(cr2.description, '0x105ff8');
  assert.match(cr2.contextValue!, /pointer/);
  const ec = findNode([link], `chain/${seq}/error`)!;
  assert.equal(ec.description, overflow.links[0].errorCodeText);
  assert.deepEqual(ec.children!.map((c) => c.label), ['P=0', 'W/R=1', 'U/S=0', 'RSVD=0', 'I/D=0']);
  assert.match(findNode([link], `chain/${seq}/rip`)!.description!, /^0x1009a4 stack_overflow\+0x4 {2}handlers\.c:\d+$/);
});

test('the second #PF says it happened while delivering the first', () => {
  const link = faultChainNodes(overflow)[2];
  const seq = overflow.links[1].seq;
  assert.equal(findNode([link], `chain/${seq}/during`)!.description, 'vector 14');
  assert.match(findNode([link], `chain/${seq}/reason`)!.description!, /not present/);
});

test('IST fix: #PF → #NP → #DF, the #NP error code decoded as IDT vector 14, external', () => {
  const nodes = faultChainNodes(ist);
  assert.equal(nodes[0].label, '#PF → #NP → #DF');
  assert.equal(nodes[2].label, '2. #NP raised');
  const ec = findNode([nodes[2]], `chain/${ist.links[1].seq}/error`)!;
  assert.deepEqual(ec.children!.map((c) => `${c.label} ${c.description}`), [
    'EXT=1 during delivery of an external event or an earlier exception',
    'IDT=1 index refers to an IDT gate',
    'index=14 IDT vector 14',
  ]);
});

test('an empty chain says so', () => {
  const nodes = faultChainNodes({ links: [], diagnosis: [], summary: '' });
  assert.equal(nodes.length, 1);
  assert.match(nodes[0].label, /No exception/);
});

test('the chain copies as indented text', () => {
  const text = nodesToText(faultChainNodes(overflow));
  assert.match(text, /^#PF → #PF → #DF → triple fault\n1\. #PF raised {2}at 0x1009a4 stack_overflow\+0x4\n {2}vector 14 {2}#PF\n/);
});

test('error codes: #PF bits, selector codes, #GP(0), vectors without one', () => {
  assert.equal(decodeErrorCode(14, 0x11).summary, '0x11: fetch, protection violation, supervisor');
  assert.equal(decodeErrorCode(14, 0x0b).summary, '0xb: write, protection violation, supervisor, reserved bit');
  assert.equal(decodeErrorCode(13, 0).summary, '0 (not related to a particular segment or gate)');
  assert.equal(decodeErrorCode(13, 0x28).summary, '0x28: GDT selector 0x28');
  assert.equal(decodeErrorCode(10, 0x2c).summary, '0x2c: LDT selector 0x28');
  assert.equal(decodeErrorCode(13, 8 * 0x80 + 2).summary, '0x402: IDT vector 128');
  assert.equal(decodeErrorCode(21, 3).summary, '0x3: missing ENDBRANCH');
  assert.equal(decodeErrorCode(8, 0).kind, 'zero');
  assert.equal(decodeErrorCode(3, undefined).kind, 'none');
});

test('a delivered #DF ends the summary with its handler instead of repeating #DF; escalation without shutdown warns', () => {
  const delivered = {
    ...ist.links[2], seq: 99, phase: 'delivered' as const, rip: '0x100914', symbol: 'double_fault_handler', reason: 'delivered',
  };
  const nodes = faultChainNodes({ ...ist, links: [...ist.links, delivered] });
  assert.equal(nodes[0].label, '#PF → #NP → #DF, delivered to double_fault_handler');
  assert.equal(nodes[0].icon, 'warning');
  assert.equal(nodes[4].label, '4. #DF delivered');
});
