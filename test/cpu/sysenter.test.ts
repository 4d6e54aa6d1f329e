import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attr, Cr0, Seg } from '../../emulator/cpu/state';
import { Exit, makeCpu, runCode } from '../support/cpu-harness';

/** A bare CPU in 32-bit protected mode (flat segments, paging off). */
function prot32() {
  const cpu = makeCpu();
  cpu.efer = 0;
  cpu.cr0 = Cr0.PE | Cr0.ET | Cr0.NE;
  cpu.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
  cpu.updateMode();
  cpu.flushTlb();
  return cpu;
}

test('SYSENTER enters CPL 0 at SYSENTER_EIP with flat CS/SS from SYSENTER_CS; SYSEXIT returns to CPL 3 at EDX with ESP = ECX', () => {
  const cpu = prot32();
  cpu.sysenterCs = 0x10; cpu.sysenterEsp = 0x9000; cpu.sysenterEip = 0x1234;
  cpu.flags |= 0x200; // IF
  let r = runCode(cpu, [0x0f, 0x34]);
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(cpu.rip, 0x1234);
  assert.equal(cpu.segSel[Seg.CS], 0x10); assert.equal(cpu.segSel[Seg.SS], 0x18);
  assert.equal(cpu.r[8], 0x9000);
  assert.equal(cpu.flags & 0x200, 0, 'IF cleared');
  cpu.r[2] = 0x7000; cpu.r[4] = 0x1000; // ECX, EDX
  r = runCode(cpu, [0x0f, 0x35]);
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(cpu.rip, 0x1000);
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.CS], 0x23); assert.equal(cpu.segSel[Seg.SS], 0x2b);
  assert.equal(cpu.r[8], 0x7000);
});

test('SYSENTER raises #GP(0) with SYSENTER_CS = 0, SYSEXIT at CPL 3 raises #GP(0), and both are #UD in long mode (AMD model)', () => {
  const cpu = prot32();
  assert.equal(runCode(cpu, [0x0f, 0x34]).vector, 13);
  const lm = makeCpu();
  lm.sysenterCs = 0x10;
  assert.equal(runCode(lm, [0x0f, 0x34]).vector, 6);
  assert.equal(runCode(lm, [0x0f, 0x35]).vector, 6);
  cpu.sysenterCs = 0x10;
  cpu.setCpl(3);
  assert.equal(runCode(cpu, [0x0f, 0x35]).vector, 13);
});
