import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Exit } from '../../emulator/cpu/cpu';
import { FAULT } from '../../emulator/cpu/fault';
import { Flag } from '../../emulator/cpu/state';
import { diagnose } from '../../emulator/diagnose';
import { Machine } from '../../emulator/machine';
import { makeCpu, runCode } from '../support/cpu-harness';

/**
 * Hardware task switching (SDM §7.3) beyond what the QEMU comparison of the task-gate-df fixtures checks
 * (chain, serial output, exit status): the bookkeeping a switch leaves in the GDT, TR, EFLAGS and CR0.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const kernel = path.join(root, 'fixtures/bin/task-gate-df.elf');

function gdtEntryHigh(m: Machine, selector: number): number {
  const gdtr = m.state().gdtr;
  const b = m.readLinear(gdtr.base + BigInt(selector + 4), 4).data;
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

describe('task switches', { skip: !fs.existsSync(kernel) && 'fixtures/bin/task-gate-df.elf missing' }, () => {
  it('#DF through a task gate: TR, back link, busy bits, NT and CR0.TS as the SDM describes', () => {
    const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop' });
    let delivered = false;
    m.on('exception', (e) => { if (e.phase === 'delivered' && e.vector === 8) { delivered = true; m.pause(); } });
    m.boot(fs.readFileSync(kernel));
    const stop = m.run(1_000_000);
    assert.ok(delivered, `the #DF was delivered (stopped: ${stop.reason})`);
    const st = m.state();
    assert.equal(st.tr.selector, 0x20, 'TR names the double-fault task');
    const tssDf = st.tr.base;
    const link = m.readLinear(tssDf, 2).data;
    assert.equal(link[0] | (link[1] << 8), 0x18, 'back link to the interrupted (main) task');
    assert.ok(Number(st.regs.rflags) & Flag.NT, 'NT set in the nested task');
    assert.ok(Number(st.regs.cr0) & 8, 'CR0.TS set by the switch');
    // The interrupted task stays busy (nested), the new one is busy, the worker returned to with IRET is available.
    assert.equal((gdtEntryHigh(m, 0x18) >> 8) & 0xf, 0xb, 'main TSS busy');
    assert.equal((gdtEntryHigh(m, 0x20) >> 8) & 0xf, 0xb, 'double-fault TSS busy');
    assert.equal((gdtEntryHigh(m, 0x28) >> 8) & 0xf, 0x9, 'worker TSS available again after its IRET');
    // The error code (0) is on the new task's stack, which is the one in its TSS, not the overflowed one.
    const esp = st.regs.rsp;
    const tssEsp = m.readLinear(tssDf + 0x38n, 4).data;
    assert.equal(esp, BigInt(new DataView(tssEsp.buffer, tssEsp.byteOffset, 4).getUint32(0, true)) - 4n);
    assert.deepEqual([...m.readLinear(esp, 4).data], [0, 0, 0, 0]);
  });
});

describe('diagnosis of 32-bit double faults', { skip: !fs.existsSync(kernel) && 'fixtures/bin/task-gate-df.elf missing' }, () => {
  it('names the task gate and its TSS, and the overflowed stack', () => {
    const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop' });
    m.on('exception', (e) => { if (e.phase === 'delivered' && e.vector === 8) m.pause(); });
    m.boot(fs.readFileSync(kernel));
    m.run(1_000_000);
    const d = diagnose(m, m.faultChain()).join('\n');
    assert.match(d, /RSP 0x104000 is in an unmapped page/);
    assert.match(d, /the #DF gate is a task gate: the CPU switches to the task in TSS 0x20/);
  });
  it('a busy TSS in the #DF task gate: the reason says the task cannot be re-entered', () => {
    const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop' });
    m.boot(fs.readFileSync(path.join(root, 'fixtures/bin/task-gate-df-busy.elf')));
    assert.equal(m.run(1_000_000).reason, 'shutdown');
    assert.match(diagnose(m, m.faultChain()).join('\n'), /#GP while delivering #DF: task switch to TSS 0x18: that TSS is busy/);
  });
});

describe('IRET with NT = 1', () => {
  it('in IA-32e mode raises #GP(0): there is no task return in long mode (SDM Vol. 2 IRET)', () => {
    const c = makeCpu();
    c.flags |= Flag.NT;
    const r = runCode(c, [0x48, 0xcf]); // iretq
    assert.equal(r.exit, Exit.FAULT);
    assert.equal(r.vector, 13);
    assert.equal(r.errorCode, 0);
    assert.match(FAULT.reason, /NT=1 in IA-32e mode/);
  });
});
