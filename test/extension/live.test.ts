/**
 * The tree models against the live adapter (dist/debug-adapter.js over stdio) on the seed kernels. Skipped,
 * with the reason, when the adapter is not bundled or a fixture is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultChainNodes } from '../../extension/views/model/faultChain';
import { gdtNodes } from '../../extension/views/model/gdt';
import { idtNodes } from '../../extension/views/model/idt';
import { pageTableNodes, pageWalkNodes, rootNode } from '../../extension/views/model/pageTables';
import { tssNodes } from '../../extension/views/model/tss';
import { renderScreenHtml } from '../../extension/screen/render';
import { endsInTripleFault, liveSkipReason, reachedDoubleFault, runLive } from './live-adapter';

test('live: the stack overflow without IST fills every view', { timeout: 120_000 }, async (t) => {
  const skip = liveSkipReason('stack-overflow-no-ist.elf');
  if (skip) return t.skip(skip);
  const r = await runLive('stack-overflow-no-ist.elf', endsInTripleFault);
  assert.equal(faultChainNodes(r.faultChain)[0].label, '#PF → #PF → #DF → triple fault');
  assert.match(tssNodes(r.tss)[0].label, /every IST slot is empty/);
  const idt = idtNodes(r.idt);
  assert.match(idt.find((n) => n.id === 'idt/8')!.description!, /^interrupt gate, DPL 0, 0x08:0x[0-9a-f]+ double_fault_handler$/);
  assert.ok(gdtNodes(r.gdt).some((n) => /◀ CS/.test(n.label)));
  assert.equal(rootNode(r.pageTableRoot).label, 'CR3 → PML4');
  for (const table of r.pageTableChildren) assert.ok(pageTableNodes(table).length > 0, `${table.level} has rows`);
  assert.match(pageWalkNodes(r.pageWalk).description!, /^stops: .*not present/);
  assert.match(renderScreenHtml(r.screen), /class="row"/);
});

test('live: the IST fix stops on #DF with IST1 set in the TSS and the #DF gate', { timeout: 120_000 }, async (t) => {
  const skip = liveSkipReason('ist-double-fault.elf');
  if (skip) return t.skip(skip);
  const r = await runLive('ist-double-fault.elf', reachedDoubleFault);
  assert.match(faultChainNodes(r.faultChain)[0].label, /#DF/);
  const ist1 = tssNodes(r.tss).find((n) => n.label === 'IST1')!;
  assert.match(ist1.description!, /mapped {2}ist1_top$/);
  assert.match(idtNodes(r.idt).find((n) => n.id === 'idt/8')!.description!, /IST1/);
  assert.ok(gdtNodes(r.gdt).some((n) => /TSS \(busy\) {2}◀ TR/.test(n.label)));
});

test('live: a 32-bit kernel whose #DF is a task gate: the TSS view shows the double-fault task and where the overflowing task stopped', { timeout: 120_000 }, async (t) => {
  const skip = liveSkipReason('task-gate-df.elf');
  if (skip) return t.skip(skip);
  // Stop at the #DF escalation, then Step Into: the CPU switches tasks.
  const r = await runLive('task-gate-df.elf', reachedDoubleFault, 1);
  assert.match(faultChainNodes(r.faultChain)[0].label, /^#PF → #PF → #DF, delivered to df_entry/);
  const tss = tssNodes(r.tss);
  const row = (label: string) => tss.find((n) => n.label === label)!;
  assert.match(tss[0].description!, /^0x20 base 0x[0-9a-f]+ limit 0x67 {2}32-bit TSS$/);
  assert.match(row('Back link').description!, /^0x18 {2}stopped at EIP 0x[0-9a-f]+ stack_overflow(\+0x[0-9a-f]+)?, ESP 0x104000$/);
  assert.ok(row('Back link').reveal, 'the back link reveals where the interrupted task stopped');
  assert.match(row('ESP0').description!, /zero {2}SS0 0x00/);
  const gate = idtNodes(r.idt).find((n) => n.id === 'idt/8')!;
  assert.match(gate.description!, /task gate/);
  assert.doesNotMatch(gate.description!, /MB1_FLAGS/, 'no symbol for a task gate (its offset is not an address)');
  assert.ok(gdtNodes(r.gdt).some((n) => /TSS \(busy\) {2}◀ TR/.test(n.label)));
});

test('live: a higher-half kernel: the GDT and TSS views show the TSS descriptor\'s full 64-bit base, the IDT its handlers by name', { timeout: 120_000 }, async (t) => {
  const skip = liveSkipReason('higher-half.elf');
  if (skip) return t.skip(skip);
  const r = await runLive('higher-half.elf', reachedDoubleFault);
  assert.match(faultChainNodes(r.faultChain)[0].label, /#PF → #NP → #DF/);
  const tss = tssNodes(r.tss);
  assert.match(tss[0].description!, /^0x10 base 0xffffffff8011[0-9a-f]{4} limit 0x67/);
  assert.match(tss.find((n) => n.label === 'IST1')!.description!, /^0xffffffff8010f000 {2}mapped {2}ist1_top$/);
  const tssRow = gdtNodes(r.gdt).find((n) => /TSS \(busy\) {2}◀ TR/.test(n.label))!;
  assert.ok(tssRow, 'the TSS descriptor is marked as TR');
  assert.match(JSON.stringify(tssRow), /base 0xffffffff8011[0-9a-f]{4}/);
  assert.equal(r.gdt.entries.find((e) => e.kind === 'tss-busy')!.base, r.tss.tss?.base);
  const idt = idtNodes(r.idt);
  assert.match(idt.find((n) => n.id === 'idt/8')!.description!, /0x08:0xffffffff8[0-9a-f]{7} double_fault_handler/);
  assert.match(idt.find((n) => n.id === 'idt/3')!.description!, /0x08:0xffffffff8[0-9a-f]{7} breakpoint_handler/);
});
