/**
 * A bare Cpu for instruction tests: no Machine, no devices. The CPU is put straight into 64-bit mode by
 * writing state (EFER.LME|LMA, CR0.PE, a CS cache with L=1, flat data segments) with CR0.PG=0, so linear
 * addresses are physical addresses (translate() maps la → la mod 2^32 when paging is off). This is not a
 * state real hardware can reach, but every instruction family below paging sees exactly long mode.
 * CR4.OSFXSR and OSXSAVE are set so SSE/XSAVE work; tests that want the #UD/#NM rules clear them.
 */
import assert from 'node:assert/strict';
import { VirtualClock } from '../../emulator/clock';
import { IoBus } from '../../emulator/devices/bus';
import { PhysicalMemory } from '../../emulator/memory/phys';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { FAULT } from '../../emulator/cpu/fault';
import { getFlags } from '../../emulator/cpu/flags';
import { TABLE, UNDEFINED } from '../../emulator/cpu/opcodes';
import { Attr, Cr0, Cr4, Efer, Seg } from '../../emulator/cpu/state';

export const CODE = 0x1000;
export const MEM_SIZE = 4 << 20;

export interface RunResult {
  exit: Exit;
  /** Vector of the fault when exit is Exit.FAULT, else -1. */
  vector: number;
  errorCode: number;
}

export function makeCpu(): Cpu {
  const bus = new IoBus();
  const mem = new PhysicalMemory(MEM_SIZE, bus);
  const cpu = new Cpu(mem, bus, new VirtualClock(), TABLE, UNDEFINED);
  cpu.cr0 = Cr0.PE | Cr0.ET | Cr0.NE | Cr0.MP;
  cpu.cr4 = Cr4.PAE | Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.OSXSAVE;
  cpu.efer = Efer.LME | Efer.LMA;
  const data = 0x3 | Attr.S | Attr.P | Attr.DB | Attr.G;
  for (let s = 0; s < 6; s++) {
    cpu.segSel[s] = s === Seg.CS ? 8 : 16;
    cpu.segBase[s] = 0;
    cpu.segLimit[s] = 0xffffffff;
    cpu.segAttr[s] = data;
  }
  cpu.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.L | Attr.G;
  cpu.updateMode();
  cpu.flushTlb();
  cpu.rip = CODE;
  cpu.setReg64(4, 0x80000, 0); // RSP
  return cpu;
}

/** Write bytes at a physical (= linear) address. */
export function poke(cpu: Cpu, addr: number, bytes: ArrayLike<number>): void {
  for (let k = 0; k < bytes.length; k++) cpu.mem.u8[addr + k] = bytes[k] & 0xff;
}

export function peek(cpu: Cpu, addr: number, len: number): number[] {
  return Array.from(cpu.mem.u8.subarray(addr, addr + len));
}

/** Load code at CODE (flushing decoded blocks), set RIP there, run `n` instructions. */
export function runCode(cpu: Cpu, code: ArrayLike<number>, n = 1): RunResult {
  poke(cpu, CODE, code);
  cpu.flushCode();
  cpu.rip = CODE;
  const exit = cpu.run(n);
  return { exit, vector: exit === Exit.FAULT ? FAULT.vector : -1, errorCode: exit === Exit.FAULT ? FAULT.errorCode : -1 };
}

/** 64-bit register as a bigint (tests only). */
export function reg(cpu: Cpu, r: number): bigint {
  return (BigInt(cpu.r[2 * r + 1] >>> 0) << 32n) | BigInt(cpu.r[2 * r] >>> 0);
}

export function setReg(cpu: Cpu, r: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  cpu.setReg64(r, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
}

/** RFLAGS with the lazy flags materialized. */
export function rflags(cpu: Cpu): number {
  return getFlags(cpu);
}

export function setFlags(cpu: Cpu, f: number): void {
  cpu.lfOp = 0;
  cpu.flags = (f & 0x3f7fd5) | 2;
}

export { Exit };

/**
 * Runs a snippet at CODE on a fresh CPU for `budget` instructions with block translation on or off, resuming
 * after each budget exit; `midway` runs once after the first 5,000 instructions (e.g. to patch code or data
 * under a translated block). What the translation-vs-interpreter tests compare.
 */
export function runSnippet(code: number[], jit: boolean, budget: number, setup?: (c: Cpu) => void, midway?: (c: Cpu) => void) {
  const c = makeCpu();
  c.jit = jit;
  poke(c, CODE, code);
  setup?.(c);
  const exits: Exit[] = [];
  let left = budget;
  let first = true;
  while (left > 0) {
    const before = c.clock.instructions;
    const e = c.run(first && midway ? Math.min(left, 5_000) : left);
    if (first && midway) { midway(c); first = false; }
    exits.push(e);
    left -= c.clock.instructions - before;
    if (e !== Exit.BUDGET) break;
  }
  return { c, exits, regs: Array.from(c.r), rip: c.rip, flags: getFlags(c), n: c.clock.instructions, insnStart: c.insnStart };
}

/** runSnippet with translation off and on; asserts the same registers, RIP, flags, count, exits and insnStart (CPU state). */
export function sameWithAndWithoutTranslation(code: number[], budget: number, setup?: (c: Cpu) => void, midway?: (c: Cpu) => void) {
  const off = runSnippet(code, false, budget, setup, midway);
  const on = runSnippet(code, true, budget, setup, midway);
  assert.deepEqual({ regs: on.regs, rip: on.rip, flags: on.flags, n: on.n, exits: on.exits, insnStart: on.insnStart },
    { regs: off.regs, rip: off.rip, flags: off.flags, n: off.n, exits: off.exits, insnStart: off.insnStart });
  return { on, off };
}
