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
import { resetCpu } from '../../emulator/cpu/reset';
import { Attr, Cr0, Cr4, Efer, Flag, Seg } from '../../emulator/cpu/state';

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
  enterFlatLongMode(cpu);
  return cpu;
}

/** Put a CPU (a bare one, or a Machine's) into the harness's 64-bit state: see the comment at the top. */
export function enterFlatLongMode(cpu: Cpu): void {
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
}

/**
 * A bare Cpu in real-address mode, as after RESET (cpu/reset.ts) but with CS = 0 (base 0) and IP = CODE, SS:SP
 * = 0:8000h: segment caches 16-bit with FFFFh limits, CR0.PE = 0, A20 on.
 */
export function makeRealModeCpu(): Cpu {
  const cpu = makeCpu();
  resetCpu(cpu);
  cpu.segSel[Seg.CS] = 0;
  cpu.segBase[Seg.CS] = 0;
  cpu.rip = CODE;
  cpu.setReg32(4, 0x8000);
  cpu.updateMode();
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
  // The threshold these comparisons were written for (short loops get translated), whatever Cpu's default.
  c.jitThreshold = 64;
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

/**
 * An interrupt raised by a timer at instruction `at`, then a stop requested by one: with translation off and on,
 * each run ends with that exit at exactly `at` instructions (sameWithAndWithoutTranslation's checks too).
 */
export function interruptAndStopAt(code: number[], at: number, setup: (c: Cpu) => void): void {
  const irq = sameWithAndWithoutTranslation(code, 100_000, (c) => {
    setup(c);
    c.flags |= Flag.IF;
    let raised = false;
    c.clock.schedule(at, () => { raised = true; c.irqLine.pending = true; }, 0);
    c.irqPending = () => raised;
  });
  assert.deepEqual([irq.on.exits[irq.on.exits.length - 1], irq.on.n], [Exit.IRQ, at], `interrupt at ${at}`);
  const stop = sameWithAndWithoutTranslation(code, 100_000, (c) => {
    setup(c);
    c.clock.schedule(at, () => { c.stopRequested = true; }, 0);
  });
  assert.deepEqual([stop.on.exits[stop.on.exits.length - 1], stop.on.n], [Exit.STOP, at], `stop at ${at}`);
}

/** Where enablePaging() puts its page tables: the top 256 KiB of the harness's 4 MiB of RAM. */
export const PAGE_TABLES = MEM_SIZE - 0x40000;

/**
 * Turns on 4-level paging with the first 4 MiB identity-mapped (two 2 MiB pages), so tests can put
 * descriptor tables, TSSs and handlers at higher-half linear addresses. Returns map(la, pa): maps the 4 KiB
 * page holding canonical linear address `la` (a 64-bit bigint) to physical page `pa`, writable, supervisor.
 */
export function enablePaging(cpu: Cpu): (la: bigint, pa: number) => void {
  let next = PAGE_TABLES;
  const view = new DataView(cpu.mem.u8.buffer, cpu.mem.u8.byteOffset);
  const alloc = (): number => {
    assert.ok(next < MEM_SIZE, 'enablePaging: out of page-table pages');
    cpu.mem.u8.fill(0, next, next + 0x1000);
    next += 0x1000;
    return next - 0x1000;
  };
  const entry = (table: number, index: number) => table + index * 8;
  const walk = (table: number, index: number): number => {
    const at = entry(table, index);
    const lo = view.getUint32(at, true);
    if (lo & 1) return lo & ~0xfff;
    const t = alloc();
    view.setUint32(at, t | 3, true);
    view.setUint32(at + 4, 0, true);
    return t;
  };
  const pml4 = alloc();
  const pd0 = walk(walk(pml4, 0), 0);
  view.setUint32(entry(pd0, 0), 0x000000 | 0x83, true);
  view.setUint32(entry(pd0, 1), 0x200000 | 0x83, true);
  cpu.cr3 = pml4;
  cpu.cr0 |= Cr0.PG;
  cpu.flushTlb();
  return (la: bigint, pa: number) => {
    const idx = (shift: bigint) => Number((la >> shift) & 511n);
    const pt = walk(walk(walk(pml4, idx(39n)), idx(30n)), idx(21n));
    view.setUint32(entry(pt, idx(12n)), (pa & ~0xfff) | 3, true);
    view.setUint32(entry(pt, idx(12n)) + 4, 0, true);
    cpu.flushTlb();
  };
}
