/**
 * Architectural CPU state, laid out for the hot loop: general-purpose registers as 32-bit lo/hi halves in
 * one Int32Array (register i: lo at 2*i, hi at 2*i+1), segment caches in typed arrays, no BigInt.
 *
 * Representation of addresses: RIP, segment bases, CR2 and DR0-3 hold *linear* values as plain numbers. In
 * 64-bit mode a canonical address is kept as its low 48 bits (0 .. 2^48-1), which is a bijection with the
 * canonical addresses; `toCanonical64` gives the sign-extended 64-bit value back for pushes and display.
 */
import { COUNT_FIELD } from '../clock';

export const enum Reg {
  RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7,
  R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15,
}

/** Segment register indices in the x86 encoding order, plus TR and LDTR. */
export const enum Seg {
  ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, TR = 6, LDTR = 7,
}

export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'tr', 'ldtr'] as const;

/** Segment attribute bits, packed like VMX access rights: type 0-3, S 4, DPL 5-6, P 7, AVL 12, L 13, D/B 14, G 15. */
export const enum Attr {
  TYPE = 0xf, ACCESSED = 0x1, RW = 0x2, DC = 0x4, CODE = 0x8, S = 0x10, DPL_SHIFT = 5, P = 0x80,
  AVL = 0x1000, L = 0x2000, DB = 0x4000, G = 0x8000,
}

export const enum Flag {
  CF = 1 << 0, FIXED1 = 1 << 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
  DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
  VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21,
}
export const ARITH_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

export const enum Cr0 {
  PE = 1 << 0, MP = 1 << 1, EM = 1 << 2, TS = 1 << 3, ET = 1 << 4, NE = 1 << 5, WP = 1 << 16, AM = 1 << 18,
  NW = 1 << 29, CD = 1 << 30, PG = 1 << 31,
}
export const enum Cr4 {
  VME = 1 << 0, PVI = 1 << 1, TSD = 1 << 2, DE = 1 << 3, PSE = 1 << 4, PAE = 1 << 5, MCE = 1 << 6, PGE = 1 << 7,
  PCE = 1 << 8, OSFXSR = 1 << 9, OSXMMEXCPT = 1 << 10, UMIP = 1 << 11, LA57 = 1 << 12, FSGSBASE = 1 << 16,
  PCIDE = 1 << 17, OSXSAVE = 1 << 18, SMEP = 1 << 20, SMAP = 1 << 21, PKE = 1 << 22, PKS = 1 << 24,
}
export const enum Efer {
  SCE = 1 << 0, LME = 1 << 8, LMA = 1 << 10, NXE = 1 << 11, SVME = 1 << 12, FFXSR = 1 << 14,
}

export const TWO32 = 4294967296;
export const TWO48 = 281474976710656;
export const TWO47 = 140737488355328;

/** Sign-extend a 48-bit linear value (0..2^48-1) to the canonical 64-bit value as a signed number. */
export function canonicalSigned(la: number): number {
  return la >= TWO47 ? la - TWO48 : la;
}

/** The canonical 64-bit value of a 48-bit linear value, as a bigint (inspection only). */
export function toCanonical64(la: number): bigint {
  return BigInt.asUintN(64, BigInt(canonicalSigned(la)));
}

/** 48-bit linear form of a 64-bit value given as bigint; undefined if not canonical. */
export function fromCanonical64(v: bigint): number | undefined {
  const s = BigInt.asIntN(64, v);
  if (s < -(1n << 47n) || s >= 1n << 47n) return undefined;
  const n = Number(s);
  return n < 0 ? n + TWO48 : n;
}

/**
 * Fields whose values leave V8's small-integer range (Smi: 31 bits and a sign) in ordinary use: linear and
 * physical addresses, the 32-bit words of the lazy-flags record, of MSRs and of CR0 (bit 31). V8 gives a field
 * the representation of the first value stored in it; the first value outside it (a double in a Smi field)
 * deprecates the object's map, and every optimized function that checked the old map (the run loop, the
 * instruction handlers, each translated block) deoptimizes at its next access ("wrong map") and is compiled again.
 * The Linux boot changed the CPU's map three times after its first 20 M instructions that way (when it first
 * wrote LSTAR, PKRU, KERNEL_GS_BASE...): 300-630 such deoptimizations a boot. widenFields stores -0 (never a
 * Smi) into each named field and then its value back, so the fields are doubles from construction on (as
 * COUNT_FIELD does for instruction counts).
 */
export const WIDE_STATE_FIELDS = [
  'rip', 'insnStart', 'lfRes', 'lfResHi', 'lfA', 'lfAHi', 'lfB', 'lfBHi', 'gdtrBase', 'idtrBase', 'cr0', 'cr2', 'cr3',
  'pkru', 'pkrs', 'star', 'starHi', 'lstarLo', 'lstarHi', 'cstarLo', 'cstarHi', 'fmask', 'kernelGsBase', 'sysenterEsp',
  'sysenterEip', 'tscOffset', 'tscAux', 'apicBase', 'fip', 'fdp',
] as const;

export function widenFields(o: object, names: readonly string[]): void {
  const f = o as Record<string, unknown>;
  for (const k of names) {
    const v = f[k];
    f[k] = -0;
    f[k] = v;
  }
}

export class CpuState {
  constructor() {
    this.shadowUntil = -1;
    this.dbShadowUntil = -1;
    this.spinRip = -1;
    this.spinAt = 0;
    this.spinWait = 0;
    this.stallUntil = 0;
    this.stallFrom = 0;
    this.spinRead = 0;
    this.devStableUntil = Infinity;
    widenFields(this, WIDE_STATE_FIELDS);
  }

  /** GPRs as lo/hi halves. */
  readonly r = new Int32Array(32);
  /** RIP (linear form, see above; equals EIP outside 64-bit mode). */
  rip = 0;
  /** Start of the instruction being executed (for faults: RIP is rolled back here). */
  insnStart = 0;
  /** RFLAGS bits; the six arithmetic flags are stale while a lazy-flags op is recorded (see flags.ts). */
  flags = Flag.FIXED1;
  /** Lazy flags: the last flag-setting operation (LF.* in flags.ts), its size in bytes and operands. */
  lfOp = 0;
  lfSize = 4;
  lfRes = 0;
  lfResHi = 0;
  lfA = 0;
  lfAHi = 0;
  lfB = 0;
  lfBHi = 0;
  /** Carry-in for ADC/SBB, or the preserved CF for INC/DEC. */
  lfAux = 0;

  readonly segSel = new Int32Array(8);
  readonly segBase = new Float64Array(8);
  readonly segLimit = new Float64Array(8);
  readonly segAttr = new Int32Array(8);

  gdtrBase = 0;
  gdtrLimit = 0;
  idtrBase = 0;
  idtrLimit = 0x3ff;

  cr0 = Cr0.ET | Cr0.NW | Cr0.CD;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  cr8 = 0;
  efer = 0;
  /** Protection-key rights for user pages (RDPKRU/WRPKRU) and supervisor pages (IA32_PKRS), pkeys.ts. */
  pkru = 0;
  pkrs = 0;
  /** Machine-check bank registers MCi_CTL/STATUS/ADDR/MISC then MCG_CTL, as lo/hi pairs (mca.ts). */
  readonly mca = new Int32Array(2 * (4 * 10 + 1));
  xcr0 = 1;
  readonly dr = new Float64Array(8);

  cpl = 0;
  /** Derived mode bits, recomputed by updateMode(). */
  long = false; // EFER.LMA && CS.L: 64-bit mode
  lma = false;
  /** Default operand size of CS: 2 or 4 (8 never: 64-bit mode defaults to 4). */
  codeSize = 4;
  /** Default address size: 2, 4 or 8. */
  addrSize = 4;
  /** Default stack-pointer width from SS.B (2 or 4), or 8 in 64-bit mode. */
  stackSize = 4;

  /** MSRs that are plain storage. */
  star = 0; starHi = 0;
  lstarLo = 0; lstarHi = 0;
  cstarLo = 0; cstarHi = 0;
  fmask = 0;
  kernelGsBase = 0;
  sysenterCs = 0; sysenterEsp = 0; sysenterEip = 0;
  pat = [0x00070406, 0x00070406];
  tscOffset = 0;
  tscAux = 0;
  apicBase = 0xfee00900;
  miscEnable = 1;
  mtrr = new Map<number, [number, number]>();
  /** AMD family 0Fh Interrupt Pending Message register (C001_0055): storage, 0 at reset (no C1E, no SMI on halt). */
  amdIntPend = 0;
  /** AMD Hardware Configuration Register (C001_0015): its writable bits as written, 0 at reset. */
  amdHwcr = 0;

  /**
   * The A20 gate (8042 output port bit 1 / port 0x92 bit 1, driven by the board): when false, physical
   * address bit 20 of every CPU access reads as 0, so addresses wrap at 1 MiB like an 8086 (Cpu.setA20).
   */
  a20 = true;
  /** Interrupt shadow after STI / MOV SS / POP SS: instruction count at which it ends (-1: none; a double field, see COUNT_FIELD). */
  shadowUntil = COUNT_FIELD;
  /** Debug-exception shadow after MOV SS / POP SS only (STI does not block #DB): instruction count at which it ends. */
  dbShadowUntil = COUNT_FIELD;
  /** DR0-3 data/I/O breakpoint hits of the current instruction, or pending across a MOV SS shadow (debug.ts). */
  dbHits = 0;
  /** Flag.RF when the exception being delivered is a fault (RF set in the pushed RFLAGS, SDM §18.3.1.1), else 0. */
  faultRf = 0;
  halted = false;
  /**
   * Waits on the TSC (spin-wait.ts): the last RDTSC/RDTSCP's RIP (-1: none) and the instruction count it ran at
   * (after a wait: the count its wait ends at); how many ran in a row at that RIP as one spin; the length of the
   * last wait (0: none yet in this spin); the count the CPU waits at its current instruction until (run(); 0 or
   * past: not waiting); and whether a port or MMIO access came since the last RDTSC.
   */
  spinRip = COUNT_FIELD;
  spinAt = COUNT_FIELD;
  spinStreak = 0;
  spinWait = COUNT_FIELD;
  stallUntil = COUNT_FIELD;
  /** The instruction count at which the current (or last) wait began, at its instruction (history stepBack). */
  stallFrom = COUNT_FIELD;
  devTouched = false;
  /** The earliest count until which the ports read since the last RDTSC keep their value (spin-wait.ts). */
  devStableUntil = COUNT_FIELD;
  /** The general registers at the last time read (RDTSC, RDTSCP, IN from a clock port; as `r`), and what it read. */
  readonly spinRegs = new Int32Array(32);
  spinRead = COUNT_FIELD;
  /** NMI blocking (after NMI delivery until IRET). */
  nmiBlocked = false;

  /** x87/SSE state: 8 x87 registers (80-bit as 16 bytes), 16 XMM registers (16 bytes each), control words. */
  readonly xmm = new Int32Array(16 * 4);
  /** Bits 255:128 of YMM0-15 (AVX; the low halves are `xmm`). */
  readonly ymmHi = new Int32Array(16 * 4);
  mxcsr = 0x1f80;
  /** Physical x87 registers R0-R7 (80-bit values, 16 bytes each; ST(i) = R((TOP + i) & 7), x87-stack.ts). */
  readonly fpuRegs = new Uint8Array(8 * 16);
  fcw = 0x37f;
  fsw = 0;
  ftw = 0; // abridged tag word (FXSAVE format)
  fop = 0;
  fip = 0; fdp = 0;
  /** FPU CS and DS selectors of the last non-control x87 instruction (FSTENV/FSAVE protected-mode images). */
  fcs = 0; fds = 0;

  // ------------------------------------------------------------------ GPR helpers (hot path)
  /** Register value as a signed number; exact while |value| < 2^53 (callers check). */
  regNum(i: number): number {
    return this.r[2 * i + 1] * TWO32 + (this.r[2 * i] >>> 0);
  }

  setReg64(i: number, lo: number, hi: number): void {
    this.r[2 * i] = lo;
    this.r[2 * i + 1] = hi;
  }

  /** 32-bit write: zero-extends into the upper half (SDM §3.4.1.1). */
  setReg32(i: number, v: number): void {
    this.r[2 * i] = v;
    this.r[2 * i + 1] = 0;
  }

  setReg16(i: number, v: number): void {
    this.r[2 * i] = (this.r[2 * i] & 0xffff0000) | (v & 0xffff);
  }

  /** 8-bit register by encoding: without REX, 4..7 are AH, CH, DH, BH. */
  getReg8(i: number, rex: number): number {
    if (rex === 0 && i >= 4 && i < 8) return (this.r[2 * (i - 4)] >>> 8) & 0xff;
    return this.r[2 * i] & 0xff;
  }

  setReg8(i: number, rex: number, v: number): void {
    if (rex === 0 && i >= 4 && i < 8) {
      const j = 2 * (i - 4);
      this.r[j] = (this.r[j] & 0xffff00ff) | ((v & 0xff) << 8);
    } else {
      this.r[2 * i] = (this.r[2 * i] & 0xffffff00) | (v & 0xff);
    }
  }

  /** Recompute the derived mode fields from CR0, EFER and the CS/SS caches. */
  updateMode(): void {
    this.lma = (this.efer & Efer.LMA) !== 0;
    const csAttr = this.segAttr[Seg.CS];
    this.long = this.lma && (csAttr & Attr.L) !== 0;
    if (this.long) {
      this.codeSize = 4;
      this.addrSize = 8;
      this.stackSize = 8;
    } else {
      // The default operand/address size comes from the CS cache's D bit in real mode too: real-mode far
      // transfers load only the selector and base (SDM §9.9.2), so a CS left with D=1 by protected mode keeps
      // running 32-bit code after CR0.PE=0, as on hardware and in QEMU. The reset state has D=0 (§9.1.4).
      const big = (csAttr & Attr.DB) !== 0;
      this.codeSize = big ? 4 : 2;
      this.addrSize = big ? 4 : 2;
      this.stackSize = (this.segAttr[Seg.SS] & Attr.DB) !== 0 ? 4 : 2;
    }
  }

  /** Architectural mode name. */
  modeName(): string {
    if (!(this.cr0 & Cr0.PE)) return 'real';
    if (this.long) return 'long';
    if (this.lma) return 'compatibility';
    return 'protected';
  }
}
