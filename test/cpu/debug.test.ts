import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CPU_MODELS } from '../../emulator/cpu/cpuid';
import { Flag } from '../../emulator/cpu/state';
import { cpuModel } from '../../emulator/cpu/system';
import { debugRegsChanged } from '../../emulator/cpu/debug';
import { deliver, EventKind } from '../../emulator/cpu/exceptions';
import { Cr4 } from '../../emulator/cpu/state';
import { Cpu, WATCH_WRITE } from '../../emulator/cpu/cpu';
import { FAULT } from '../../emulator/cpu/fault';
import { CODE, Exit, makeCpu, peek, poke, runCode, setFlags } from '../support/cpu-harness';

const FAULT_VECTOR = (): number => FAULT.vector;

/** Write debug registers the way MOV DR does (the CPU recomputes which breakpoints are armed). */
function setDr(cpu: Cpu, regs: Record<number, number>): void {
  for (const [n, v] of Object.entries(regs)) cpu.dr[Number(n)] = v;
  debugRegsChanged(cpu);
}

const NOPS = [0x90, 0x90, 0x90, 0x90];

test('a DR0 instruction breakpoint raises #DB before the instruction with DR6.B0; with RF=1 it executes, and RF clears', () => {
  const cpu = makeCpu();
  setDr(cpu, { 0: CODE + 1, 7: 0x402 }); // G0, R/W0 = 00 (execute), LEN0 = 00
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
  setDr(cpu, { 0: CODE + 1, 7: 0x10402 }); // G0, R/W0 = 01
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
      setDr(cpu, { 0: CODE + 4, 7: 0x402 });
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

// ------------------------------------------------------------------ guest data, I/O and general-detect breakpoints
const DATA = 0x5000;
// mov [0x5000], eax (absolute disp32 through SIB, no RIP-relative): 89 04 25 00 50 00 00
const STORE = [0x89, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00];
// mov eax, [0x5004]: 8b 04 25 04 50 00 00
const LOAD4 = [0x8b, 0x04, 0x25, 0x04, 0x50, 0x00, 0x00];

test('a write data breakpoint (DR1, R/W = 01, LEN 4) traps after the store with DR6.B1 and keeps DR6.BS', () => {
  const cpu = makeCpu();
  setDr(cpu, { 1: DATA + 2, 6: 0xffff4ff0, 7: 0x00d0040a }); // G1, R/W1 = 01, LEN1 = 11 (4 bytes: 0x5000-0x5003)
  const r = runCode(cpu, [...STORE, 0x90], 2);
  assert.equal(r.exit, Exit.FAULT);
  assert.equal(r.vector, 1);
  assert.equal(cpu.rip, CODE + STORE.length, 'a trap: RIP after the store');
  assert.equal(cpu.dr[6], 0xffff4ff2, 'B1 set, BS left as software set it');
  assert.equal(cpu.faultRf, 0, 'a trap: no RF in the frame');
  // A read of the watched bytes does not match R/W = 01.
  setDr(cpu, { 1: DATA, 6: 0xffff0ff0 });
  assert.equal(runCode(cpu, [0x8b, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00, 0x90], 2).exit, Exit.BUDGET);
});

test('a read/write data breakpoint (R/W = 11) matches a read overlapping its aligned range; a disjoint read does not', () => {
  const cpu = makeCpu();
  setDr(cpu, { 0: DATA + 6, 7: 0x000f0402 }); // G0, R/W0 = 11, LEN0 = 11 (4 bytes: 0x5004-0x5007)
  let r = runCode(cpu, [...LOAD4, 0x90], 2);
  assert.equal(r.vector, 1);
  assert.equal(cpu.dr[6] & 0xf, 1);
  setDr(cpu, { 0: DATA + 0x10, 6: 0xffff0ff0 });
  r = runCode(cpu, [...LOAD4, 0x90], 2);
  assert.equal(r.exit, Exit.BUDGET);
  assert.equal(cpu.dr[6], 0xffff0ff0);
});

test('with no data breakpoint enabled the watched page is in the software TLB; enabling one takes it out', () => {
  const cpu = makeCpu();
  setDr(cpu, { 0: DATA }); // address set, DR7 enables nothing
  runCode(cpu, [...LOAD4], 1);
  const slot = (DATA >>> 12) & 0xff; // any TLB size: the page's slot holds its tag if filled
  // A live entry's tag is the page plus the current bias (Cpu.rb: user bit and flush generation).
  const tagged = (): boolean => Array.from({ length: cpu.rTlb.length / 2 }, (_, i) => cpu.rTlb[2 * i]).includes(DATA + cpu.rb);
  assert.ok(tagged(), `page 0x${DATA.toString(16)} cached (slot ${slot})`);
  setDr(cpu, { 7: 0x000f0402 });
  assert.ok(!tagged(), 'enabling a data breakpoint on the page flushes it');
  runCode(cpu, [...LOAD4], 1);
  assert.ok(!tagged(), 'and it does not come back');
});

test('MOV SS: the single-step trap after it is not reported; the next instruction traps (SDM §6.8.3)', () => {
  const cpu = makeCpu();
  cpu.gdtrBase = 0x3000; cpu.gdtrLimit = 0x17;
  poke(cpu, 0x3010, [0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]);
  setFlags(cpu, Flag.TF);
  // mov ax, ss; (trap) mov ss, ax; (suppressed) nop; (trap here) nop
  let r = runCode(cpu, [0x8c, 0xd0, 0x8e, 0xd0, 0x90, 0x90], 1);
  assert.equal(r.vector, 1);
  assert.equal(cpu.rip, CODE + 2);
  cpu.dr[6] = 0xffff0ff0;
  r = { exit: cpu.run(3), vector: -1, errorCode: -1 };
  assert.equal(r.exit, Exit.FAULT);
  assert.equal(cpu.rip, CODE + 5, 'one #DB, after the instruction following MOV SS');
  assert.equal(cpu.dr[6], 0xffff4ff0);
});

test('MOV SS reading a watched location: the data #DB waits for the next instruction, then reports B0', () => {
  const cpu = makeCpu();
  cpu.gdtrBase = 0x3000; cpu.gdtrLimit = 0x17;
  poke(cpu, 0x3010, [0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]);
  poke(cpu, DATA, [0x10, 0]);
  setDr(cpu, { 0: DATA, 7: 0x00070402 }); // G0, R/W0 = 11, LEN0 = 01 (2 bytes)
  // mov ss, [0x5000] (8e 14 25 00 50 00 00); nop; nop
  const r = runCode(cpu, [0x8e, 0x14, 0x25, 0x00, 0x50, 0x00, 0x00, 0x90, 0x90], 3);
  assert.equal(r.vector, 1);
  assert.equal(cpu.rip, CODE + 8, 'after the NOP that follows MOV SS');
  assert.equal(cpu.dr[6] & 0xf, 1);
});

test('an I/O breakpoint (R/W = 10) needs CR4.DE: OUT to the port traps with DR6.B2', () => {
  const cpu = makeCpu();
  setDr(cpu, { 2: 0x80, 7: 0x02000420 }); // G2, R/W2 = 10, LEN2 = 00
  cpu.cr4 &= ~Cr4.DE;
  assert.equal(runCode(cpu, [0xe6, 0x80, 0x90], 2).exit, Exit.BUDGET, 'CR4.DE = 0: no I/O breakpoints');
  cpu.cr4 |= Cr4.DE;
  const r = runCode(cpu, [0xe6, 0x80, 0x90], 2);
  assert.equal(r.vector, 1);
  assert.equal(cpu.rip, CODE + 2);
  assert.equal(cpu.dr[6] & 0xf, 4);
  cpu.dr[6] = 0xffff0ff0;
  assert.equal(runCode(cpu, [0xe6, 0x81, 0x90], 2).exit, Exit.BUDGET, 'another port');
});

test('DR7.GD: MOV DR raises the #DB fault before it, with DR6.BD, GD cleared and RF for the frame', () => {
  const cpu = makeCpu();
  setDr(cpu, { 7: 0x2400 });
  // mov rax, dr6 (0f 21 f0)
  const r = runCode(cpu, [0x0f, 0x21, 0xf0, 0x90], 1);
  assert.equal(r.vector, 1);
  assert.equal(cpu.rip, CODE, 'a fault: RIP at the MOV');
  assert.equal(cpu.dr[6] & 0x2000, 0x2000);
  assert.equal(cpu.dr[7], 0x400);
  assert.equal(cpu.faultRf, Flag.RF);
  assert.equal(cpu.run(1), Exit.BUDGET, 'GD clear: the MOV runs');
});

test('ICEBP (F1) is a #DB trap that sets no DR6 status bit, also with TF=1', () => {
  const cpu = makeCpu();
  setFlags(cpu, Flag.TF);
  cpu.dr[6] = 0xffff0ff0;
  // Under TF, the instruction before ICEBP traps first.
  const r = runCode(cpu, [0xf1, 0x90], 1);
  assert.equal(r.vector, 1);
  assert.equal(cpu.rip, CODE + 1);
  assert.equal(cpu.dr[6], 0xffff0ff0);
  assert.equal(cpu.faultRf, 0);
});

/** A 64-bit IDT at 0x6000 whose gates all point at 0x7000, and a GDT at 0x3000 with the 64-bit code segment at 8. */
function withIdt(cpu: Cpu): void {
  cpu.gdtrBase = 0x3000; cpu.gdtrLimit = 0x17;
  poke(cpu, 0x3008, [0xff, 0xff, 0, 0, 0, 0x9b, 0xaf, 0]);
  cpu.idtrBase = 0x6000; cpu.idtrLimit = 0xfff;
  for (let v = 0; v < 32; v++) poke(cpu, 0x6000 + 16 * v, [0x00, 0x70, 0x08, 0x00, 0x00, 0x8e, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
}

test('RF is set in the RFLAGS image a fault pushes (#UD, #GP), not in a trap\'s or an instruction breakpoint\'s (SDM §18.3.1.1)', () => {
  const frameFlags = (code: number[], setup?: (c: Cpu) => void): [number, number] => {
    const cpu = makeCpu();
    withIdt(cpu);
    setup?.(cpu);
    const r = runCode(cpu, code, 1);
    assert.equal(r.exit, Exit.FAULT);
    deliver(cpu, r.vector, r.vector === 13 ? r.errorCode : -1, cpu.softIntPending ? EventKind.SOFTWARE : EventKind.EXCEPTION);
    const rsp = cpu.r[8] >>> 0;
    const fl = peek(cpu, rsp + (r.vector === 13 ? 24 : 16), 4);
    return [r.vector, fl[0] | (fl[1] << 8) | (fl[2] << 16) | (fl[3] << 24)];
  };
  let [v, fl] = frameFlags([0x0f, 0x0b]); // ud2
  assert.equal(v, 6); assert.equal(fl & Flag.RF, Flag.RF, '#UD');
  [v, fl] = frameFlags([0x0f, 0x22, 0xe0], (c) => c.setReg64(0, 0, 1)); // mov cr4, rax with reserved bit 32
  assert.equal(v, 13); assert.equal(fl & Flag.RF, Flag.RF, '#GP');
  [v, fl] = frameFlags([0x90], (c) => setFlags(c, Flag.TF)); // single-step trap
  assert.equal(v, 1); assert.equal(fl & Flag.RF, 0, 'single-step trap');
  [v, fl] = frameFlags([0x90], (c) => setDr(c, { 0: CODE, 7: 0x402 })); // instruction breakpoint
  assert.equal(v, 1); assert.equal(fl & Flag.RF, 0, 'instruction breakpoint: the handler sets RF itself');
});

test('the guest\'s breakpoints and the debugger\'s work at once: same instruction, same written bytes', () => {
  const cpu = makeCpu();
  // Debugger breakpoint and guest DR0 instruction breakpoint on the store; debugger watchpoint and guest
  // DR1 write breakpoint on the stored dword.
  cpu.breakpoints.add(CODE);
  cpu.watch = [{ start: DATA, end: DATA + 4, kinds: WATCH_WRITE }];
  cpu.flushTlb();
  setDr(cpu, { 0: CODE, 1: DATA, 7: 0x00d0040a | 0x2 });
  poke(cpu, CODE, [...STORE, 0x90]);
  cpu.flushCode();
  cpu.rip = CODE;
  assert.equal(cpu.run(2), Exit.STOP, 'the debugger\'s breakpoint stops first');
  assert.ok(cpu.breakpointHit);
  cpu.breakpointHit = false; cpu.stopRequested = false;
  assert.equal(cpu.run(2, CODE), Exit.FAULT, 'resumed past it: the guest\'s instruction breakpoint');
  assert.equal(FAULT_VECTOR(), 1);
  assert.equal(cpu.dr[6] & 0xf, 1);
  cpu.flags |= Flag.RF; // the guest's #DB handler returns with RF
  cpu.dr[6] = 0xffff0ff0;
  assert.equal(cpu.run(2, CODE), Exit.FAULT, 'the store: the guest\'s data breakpoint');
  assert.equal(cpu.rip, CODE + STORE.length);
  assert.equal(cpu.dr[6] & 0xf, 2);
  assert.equal(cpu.watchHitAddr, DATA, 'and the debugger\'s watchpoint saw the write');
  assert.ok(cpu.stopRequested);
});
