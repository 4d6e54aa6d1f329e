import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { Flag } from '../../emulator/cpu/state';
import { cpuModel } from '../../emulator/cpu/system';
import { CODE, Exit, makeCpu, poke, runCode, setFlags } from '../support/cpu-harness';

const NOPS = [0x90, 0x90, 0x90, 0x90];

test('a DR0 instruction breakpoint raises #DB before the instruction with DR6.B0; with RF=1 it executes, and RF clears', () => {
  const cpu = makeCpu();
  cpu.dr[0] = CODE + 1;
  cpu.dr[7] = 0x402; // G0, R/W0 = 00 (execute), LEN0 = 00
  const r = runCode(cpu, NOPS, 3);
  assert.equal(r.exit, Exit.FAULT);
  assert.equal(r.vector, 1);
  assert.equal(cpu.rip, CODE + 1);
  assert.equal(cpu.dr[6] & 0xf, 1);
  cpu.flags |= Flag.RF; // what a #DB handler's IRET restores
  assert.equal(cpu.run(1), Exit.BUDGET);
  assert.equal(cpu.rip, CODE + 2);
  assert.equal(cpu.flags & Flag.RF, 0);
});

test('a data breakpoint (R/W = 01) in DR7 does not fire on instruction fetch', () => {
  const cpu = makeCpu();
  cpu.dr[0] = CODE + 1;
  cpu.dr[7] = 0x10402; // G0, R/W0 = 01
  assert.equal(runCode(cpu, NOPS, 3).exit, Exit.BUDGET);
});

test('TF=1: the single-step trap (#DB, DR6.BS) follows one instruction, RIP after it', () => {
  const cpu = makeCpu();
  setFlags(cpu, Flag.TF);
  const r = runCode(cpu, NOPS, 3);
  assert.equal(r.exit, Exit.FAULT);
  assert.equal(r.vector, 1);
  assert.equal(cpu.rip, CODE + 1);
  assert.ok(cpu.dr[6] & 0x4000);
});

test('an instruction breakpoint right after MOV SS is delivered on AMD and suppressed on Intel (MOV SS blocking)', () => {
  const saved = cpuModel.current;
  try {
    for (const vendor of ['AuthenticAMD', 'GenuineIntel']) {
      cpuModel.current = { ...CPU_MODELS.faultline, vendor };
      const cpu = makeCpu();
      // GDT at 0x3000 with a flat writable data segment at selector 0x10.
      cpu.gdtrBase = 0x3000; cpu.gdtrLimit = 0x17;
      poke(cpu, 0x3010, [0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]);
      cpu.dr[0] = CODE + 4;
      cpu.dr[7] = 0x402;
      // mov ax, ss; mov ss, ax; nop (breakpoint); nop
      const r = runCode(cpu, [0x8c, 0xd0, 0x8e, 0xd0, 0x90, 0x90], 4);
      if (vendor === 'AuthenticAMD') {
        assert.equal(r.vector, 1, vendor);
        assert.equal(cpu.rip, CODE + 4);
      } else {
        assert.equal(r.exit, Exit.BUDGET, vendor);
        assert.equal(cpu.rip, CODE + 6);
      }
    }
  } finally {
    cpuModel.current = saved;
  }
});
