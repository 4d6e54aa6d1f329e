import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultChainResponseBody } from '../../debug-adapter/protocol';
import { faultChainNodes } from '../../extension/views/model/faultChain';
import { decodeErrorCode } from '../../extension/views/model/errorCode';
import { findNode, nodesToText } from '../../extension/views/model/node';
import { recorded } from './recorded';

const overflow = recorded<FaultChainResponseBody>('faultChain-stack-overflow-no-ist');
const ist = recorded<FaultChainResponseBody>('faultChain-ist-double-fault');

test('the stack overflow chain reads #PF → #PF → #DF → triple fault, then the diagnosis', () => {
  const nodes = faultChainNodes(overflow);
  assert.equal(nodes[0].label, '#PF → #PF → #DF → triple fault');
  assert.equal(nodes[0].icon, 'error');
  assert.deepEqual(nodes.slice(1, 5).map((n) => n.label), ['1. #PF raised', '2. #PF raised', '3. #DF escalated to #DF', '4. triple fault']);
  const diag = nodes[5];
  assert.equal(diag.label, 'Diagnosis');
  assert.match(diag.children![0].label, /unmapped page .*guard page/);
  assert.match(diag.children![1].label, /IST1/);
});

test('a link shows its RIP with symbol, CR2 as a pointer and the page-fault bits', () => {
  const link = faultChainNodes(overflow)[1];
  assert.equal(link.description, 'at 0x1009a4 stack_overflow+0x4');
  assert.deepEqual(link.reveal, { address: '0x00000000001009a4', source: { path: '/work/main/fixtures/src/common/handlers.c', line: 41 } });
  const cr2 = findNode([link], 'chain/1/cr2')!;
  assert.equal(cr2.description, '0x105ff8');
  assert.equal(cr2.pointer, '0x0000000000105ff8');
  assert.match(cr2.contextValue!, /pointer/);
  const ec = findNode([link], 'chain/1/error')!;
  assert.equal(ec.description, 'write, not-present, supervisor');
  assert.deepEqual(ec.children!.map((c) => c.label), ['P=0', 'W/R=1', 'U/S=0', 'RSVD=0', 'I/D=0']);
  assert.equal(findNode([link], 'chain/1/rip')!.description, '0x1009a4 stack_overflow+0x4  handlers.c:41');
});

test('the second #PF says it happened while delivering the first', () => {
  const link = faultChainNodes(overflow)[2];
  assert.equal(findNode([link], 'chain/2/during')!.description, 'vector 14');
  assert.match(findNode([link], 'chain/2/reason')!.description!, /pushing the #PF frame/);
});

test('the triple fault link carries its reason and is marked as the last', () => {
  const last = faultChainNodes(overflow)[4];
  assert.equal(last.marked, true);
  assert.match(last.description!, /while delivering #DF/);
  assert.equal(last.iconColor, 'errorForeground');
});

test('a #NP from a missing gate decodes its selector error code as IDT vector 14, external', () => {
  const np = faultChainNodes(ist)[2];
  assert.equal(np.label, '2. #NP raised');
  const ec = findNode([np], 'chain/2/error')!;
  assert.deepEqual(ec.children!.map((c) => `${c.label} ${c.description}`), [
    'EXT=1 during delivery of an external event or an earlier exception',
    'IDT=1 index refers to an IDT gate',
    'index=14 IDT vector 14',
  ]);
  assert.equal(faultChainNodes(ist).some((n) => n.label === 'Diagnosis'), false, 'no diagnosis node when there is none');
});

test('an empty chain says so', () => {
  const nodes = faultChainNodes({ links: [], diagnosis: [], summary: '' });
  assert.equal(nodes.length, 1);
  assert.match(nodes[0].label, /No exception/);
});

test('a chain without a summary builds one from the links', () => {
  const nodes = faultChainNodes({ ...overflow, summary: '' });
  assert.equal(nodes[0].label, '#PF → #PF → #DF → triple fault');
});

test('the chain copies as indented text', () => {
  const text = nodesToText(faultChainNodes(overflow));
  assert.match(text, /^#PF → #PF → #DF → triple fault\n1\. #PF raised  at 0x1009a4 stack_overflow\+0x4\n  vector 14  #PF\n/);
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
