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

test('a 32-bit TSS: ESP0–2 with SS0–2, the back link and where that task stopped, saved state, CR3 = 0 flagged', () => {
  const gprs = { eax: '0x0', ecx: '0x0', edx: '0x0', ebx: '0x0', esp: '0x7000', ebp: '0x0', esi: '0x0', edi: '0x0' };
  const nodes = tssNodes({
    selector: 0x20,
    tss32: {
      base: '0x100360', limit: 0x67, link: 0x18, esp0: '0x9000', ss0: 0x10, esp1: '0x0', ss1: 0, esp2: '0x0', ss2: 0,
      cr3: '0x0', eip: '0x100189', eflags: '0x4002', gprs, es: 0x10, cs: 0x08, ss: 0x10, ds: 0x10, fs: 0x10, gs: 0x10, ldt: 0,
      trap: false, iopbOffset: 0x68, raw: '', problems: [],
    },
    eipSymbol: 'df_entry',
    link: { selector: 0x18, eip: '0x10014f', esp: '0x104000', eipSymbol: 'stack_overflow', busy: false },
    pointers: [{ name: 'ESP0', value: '0x9000', mapped: true, writable: true }, { name: 'ESP1', value: '0x0', mapped: false, writable: false },
      { name: 'ESP2', value: '0x0', mapped: false, writable: false }],
  });
  const row = (label: string) => nodes.find((n) => n.label === label)!;
  assert.equal(nodes[0].description, '0x20 base 0x100360 limit 0x67  32-bit TSS');
  assert.equal(row('ESP0').description, '0x9000  mapped  SS0 0x10');
  assert.equal(row('ESP1').description, '0x0  zero  SS1 0x00');
  assert.equal(row('Back link').description, '0x18  stopped at EIP 0x10014f stack_overflow, ESP 0x104000');
  assert.deepEqual(row('Back link').reveal, { address: '0x10014f' });
  assert.match(row('Back link').tooltip!, /not busy: the IRET would raise #TS/);
  assert.equal(row('Saved state').description, 'EIP 0x100189 df_entry, ESP 0x7000, EFLAGS 0x4002');
  assert.match(row('CR3').description!, /loads CR3 = 0/);
});
