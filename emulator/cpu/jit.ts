import type { VirtualClock } from '../clock';
import type { Cpu } from './cpu';
import { getCF, getFlags, LF, setRecord, testCC } from './flags';
import type { Insn } from './insn';
import { shiftOp } from './shift';

/**
 * Block translation (PERFORMANCE.md "Translation"): a hot decoded block becomes one JS function built with
 * `new Function`, which V8 then optimizes. The common integer instructions (MOV/MOVZX/MOVSX/MOVSXD, LEA,
 * ADD/SUB/AND/OR/XOR/CMP/TEST at 8/32/64 bits, INC/DEC, Jcc/JMP rel) are emitted inline with the handlers'
 * semantics; every other instruction calls its interpreter handler, so the interpreter stays the reference.
 *
 * Memory operands (64-bit mode, 64-bit addressing, no FS/GS override) are computed and looked up in the
 * software TLB inline: a hit reads or writes the RAM views directly. The write TLB never maps code pages,
 * watched pages or MMIO (Cpu.translate), so a hit needs none of the after-write checks. A miss, an address
 * that is not exactly representable, or a non-canonical one, takes the interpreter's path (Cpu.memAddr,
 * Cpu.rd/wr), which walks the page tables and raises faults.
 *
 * Contract with Cpu.run (identical observable behaviour to interpreting the block):
 * - entered only when the whole block fits in the instruction budget and before the next timer deadline
 *   (the interpreter ends a block at a deadline); on return clock.instructions and RIP are exactly what the
 *   interpreter would leave;
 * - before anything that may fault (a TLB miss, a handler call, a branch target check) the function stores
 *   insnStart and the retired count, and materializes the lazy flags, so the run loop's fault path sees the
 *   interpreter's state;
 * - after every slow-path memory write or handler call it leaves early, like the interpreter, when the write
 *   hit decoded code (codeDirty), a stop was requested, an interrupt became deliverable, or the handler
 *   redirected RIP;
 * - flags are tracked symbolically inside the block: a flag-setting instruction's record is written to
 *   the CPU (cpu.lf*) only when something may observe it, and Jcc after a known operation tests the
 *   condition inline;
 * - a block may hold conditional branches before its end (Cpu.buildBlock continues past a Jcc): a taken
 *   one leaves the block; one that branches back to the block's start loops inside the function, checking
 *   exactly what the run loop checks between blocks (timer deadline, budget, stop request, interrupts).
 */
export type BlockFn = (c: Cpu, clock: VirtualClock, end: number) => void;

/**
 * Flag-setting operation known at translation time: names of the JS locals that hold its operands. A rotate
 * (op ROT) changes only CF and OF: it keeps the record before it (prev) and its own CF/OF as 0/1 locals.
 */
interface Pending {
  op: LF; size: number; res: string; resHi: string; a: string; aHi: string; b: string; bHi: string; aux: string;
  prev?: Pending | null; cf?: string; of?: string;
  /**
   * A loop's record at the start of an iteration, recomputed from registers (Gen.rematAtTop): the fields are
   * expressions over these guest registers' locals, valid while none of them is written; and only from the
   * second iteration on (fk !== 0): in the first one the CPU's own record (c.lf*) is current.
   */
  remat?: number[];
}

const isRemat = (p: Pending | null): boolean => p !== null && p.remat !== undefined;

/** Pending.op of a rotate (ROL/ROR): not a lazy-record kind of flags.ts. */
const ROT = -2 as LF;

/**
 * Inside a loop, the record the previous iteration's back edge left (or the CPU's at entry), held in
 * loop-carried locals instead of being written to the CPU on every iteration. Its operation is only known
 * at run time (op = -1), so conditions on it go through the materialized record.
 */
const CARRIED: Pending = { op: -1 as LF, size: 0, res: 'fR', resHi: 'fRh', a: 'fA', aHi: 'fAh', b: 'fB', bHi: 'fBh', aux: 'fX' };
const CARRY_LOAD = 'fOp = c.lfOp; fSize = c.lfSize; fR = c.lfRes; fRh = c.lfResHi; fA = c.lfA; fAh = c.lfAHi; fB = c.lfB; fBh = c.lfBHi; fX = c.lfAux;';

/** The interpreter ends a block after the instruction that made an interrupt deliverable (Cpu.irqLine). */
const IRQ = '((c.flags & 512) !== 0 && c.irqLine?.pending === true)';

const ALU_LF = [LF.ADD, LF.LOGIC, LF.ADC, LF.SBB, LF.LOGIC, LF.SUB, LF.LOGIC, LF.SUB];
const ALU_JS = ['+', '|', '+', '-', '&', '-', '^', '-'];
const TWO47 = 2 ** 47;
const LOOP_CHUNK = 1 << 18;
/** Calls of a new loop translation that run a single iteration (see Gen.emit). */
const WARM_CALLS = 16;
const TWO48 = 2 ** 48;

/** Translate a decoded block starting at linear RIP `c.rip` (position independent: RIP is read at entry). */
export function translateBlock(insns: readonly Insn[], long: boolean, tlbMask: number): BlockFn {
  const g = new Gen(insns, long, tlbMask);
  const src = g.emit();
  const factory = new Function('I', 'testCC', 'getCF', 'getFlags', 'setRec', 'shiftOp', src) as
    (I: readonly Insn[], t: typeof testCC, cf: typeof getCF, gf: typeof getFlags, sr: typeof setRecord, so: typeof shiftOp) => BlockFn;
  return factory(insns, testCC, getCF, getFlags, setRecord, shiftOp);
}

const enum K { JCC = 1, ALU = 2, INCDEC = 3, MOV = 4, MOVX = 5, SHIFT = 6, NOP = 7, SETCC = 8, CMOV = 9, IMUL = 10, STACK = 11, SHIFTCL = 12, STACK32 = 13 }

/** Conditional branch (Jcc rel8/rel32): Cpu.buildBlock lets a block continue past one. */
export function isCondBranch(i: Insn): boolean {
  return (i.op >= 0x70 && i.op <= 0x7f) || (i.op >= 0x180 && i.op <= 0x18f);
}

/** Can this instruction be emitted inline (otherwise its handler is called)? */
function inlineKind(i: Insn): number {
  // PUSH/POP r64, CALL rel32, RET in 64-bit mode (their only 8-byte operand size); REP before RET is ignored.
  if (i.osz === 8 && !i.lock && !i.vex && ((i.op >= 0x50 && i.op <= 0x5f && i.rep === 0) || (i.op === 0xe8 && i.rep === 0) || i.op === 0xc3)) return K.STACK;
  // PUSH/POP r32 (a 4-byte operand: outside 64-bit mode, where there is no REX).
  if (i.osz === 4 && !i.lock && !i.vex && i.rep === 0 && i.op >= 0x50 && i.op <= 0x5f) return K.STACK32;
  if (i.lock || i.rep !== 0 || i.vex) return 0;
  const op = i.op;
  if (isCondBranch(i) || op === 0xeb || op === 0xe9) return K.JCC;
  // NOP, NOP r/m, the prefetch hints and the reserved-NOP space (mov.ts: no operand is touched); 90 with
  // REX.B is XCHG r8, rAX.
  if ((op === 0x90 && (i.rex & 1) === 0) || op === 0x10d || (op >= 0x118 && op <= 0x11f)) return K.NOP;
  if (op >= 0x190 && op <= 0x19f) return K.SETCC;
  if (op >= 0x140 && op <= 0x14f) return K.CMOV;
  if ((op === 0x1af || op === 0x69 || op === 0x6b) && i.osz !== 8) return K.IMUL;
  if (op < 0x40 && (op & 7) <= 5) return K.ALU;
  if (op >= 0x80 && op <= 0x83 && op !== 0x82) return K.ALU;
  if (op === 0x84 || op === 0x85 || op === 0xa8 || op === 0xa9) return K.ALU;
  if ((op === 0xff || op === 0xfe) && (i.reg & 7) < 2) return K.INCDEC;
  if ((op >= 0x88 && op <= 0x8b) || (op >= 0xb0 && op <= 0xbf)) return K.MOV;
  if ((op === 0xc6 || op === 0xc7) && (i.reg & 7) === 0) return K.MOV;
  if (op === 0x8d && i.mod !== 3) return K.MOV;
  if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) return K.MOVX;
  if (op === 0x63 && i.osz === 8) return K.MOVX;
  // SHL/SHR/SAL/SAR r32/r64 by CL: shift.ts's shiftOp on the register locals (no sync, no handler call).
  if (op === 0xd3 && i.mod === 3 && (i.osz === 4 || i.osz === 8) && (i.reg & 7) >= 4) return K.SHIFTCL;
  if (op === 0xc0 || op === 0xc1 || op === 0xd0 || op === 0xd1) {
    // ROL ROR SHL SHR SAL SAR by an immediate or 1 whose masked count is not 0 (RCL/RCR read CF: handler).
    const kind = i.reg & 7;
    return kind !== 2 && kind !== 3 && shiftCount(i) !== 0 ? K.SHIFT : 0;
  }
  return 0;
}

/** The masked count of a shift by imm8 (C0/C1) or by 1 (D0/D1), as the interpreter masks it (shift.ts). */
function shiftCount(i: Insn): number {
  const raw = i.op === 0xc0 || i.op === 0xc1 ? i.imm : 1;
  return raw & (i.osz === 8 && (i.op & 1) === 1 ? 63 : 31);
}

/** lo/hi expressions of the 64-bit value lo:hi shifted left by the constant m (0..63). */
function shl64(lo: string, hi: string, m: number): [string, string] {
  if (m === 0) return [lo, hi];
  if (m >= 32) return ['0', `(${lo} << ${m - 32})`];
  return [`(${lo} << ${m})`, `((${hi} << ${m}) | (${lo} >>> ${32 - m}))`];
}

/** lo/hi expressions of lo:hi shifted right by the constant m (0..63), arithmetic or logical. */
function shr64(lo: string, hi: string, m: number, arith: boolean): [string, string] {
  if (m === 0) return [lo, hi];
  const sh = arith ? '>>' : '>>>';
  if (m >= 32) return [`(${hi} ${sh} ${m - 32})`, arith ? `(${hi} >> 31)` : '0'];
  return [`((${lo} >>> ${m}) | (${hi} << ${32 - m}))`, `(${hi} ${sh} ${m})`];
}

/**
 * Whether the handler of `i`, when it completes, leaves every segment register, CR0 and the mode as they were,
 * so a translation need not recompute its flat-segment mask (Cpu.flatSegments) after calling it: stack
 * operations, near calls and returns, multiply/divide and string instructions (a fault or a control transfer
 * leaves the block anyway). Anything not listed recomputes it.
 */
function keepsSegments(i: Insn): boolean {
  const op = i.op;
  if (op >= 0x50 && op <= 0x61) return true; // PUSH/POP r, PUSHA/POPA
  if (op === 0x68 || op === 0x6a || op === 0x8f || op === 0x9c) return true; // PUSH imm, POP r/m, PUSHF
  if (op === 0xe8 || op === 0xc2 || op === 0xc3 || op === 0xc8 || op === 0xc9) return true; // CALL rel, RET (imm), ENTER, LEAVE
  if (op === 0xff) return [2, 4, 6].includes(i.reg & 7); // CALL/JMP near r/m, PUSH r/m
  if (op === 0xf6 || op === 0xf7) return true; // TEST/NOT/NEG/MUL/IMUL/DIV/IDIV
  if (op === 0x69 || op === 0x6b || op === 0x1af) return true; // IMUL
  return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf); // MOVS, CMPS, STOS, LODS, SCAS
}

/**
 * Guest registers a register-only instruction's handler may read or write, for instructions that touch
 * nothing else (no memory, no device, no fault, no control transfer: only these registers and the flags);
 * undefined when any of that may not hold. Such a handler is called with only these registers synced
 * (Gen.light). 8-bit operands without REX may name AH..BH: both readings are listed.
 */
function footprint(i: Insn): number[] | undefined {
  if (i.lock || i.vex || i.rep !== 0) return undefined;
  const op = i.op;
  const byteRm = (): number[] => (i.rex === 0 && i.rm >= 4 && i.rm < 8 ? [i.rm, i.rm - 4] : [i.rm]);
  const byteReg = (): number[] => (i.rex === 0 && i.reg >= 4 && i.reg < 8 ? [i.reg, i.reg - 4] : [i.reg]);
  const rmReg = (): number[] => [...byteRm(), ...byteReg()];
  if (op === 0x98) return [0];
  if (op === 0x99) return [0, 2];
  if (op >= 0x1c8 && op <= 0x1cf) return [(op & 7) | ((i.rex & 1) << 3)];
  if (op >= 0x91 && op <= 0x97) return [0, (op & 7) | ((i.rex & 1) << 3)];
  if (!i.hasModrm || i.mod !== 3) {
    // ADC/SBB AL/eAX, imm
    if (op < 0x20 && op >= 0x10 && (op & 7) >= 4 && (op & 7) <= 5) return [0];
    return undefined;
  }
  if (op >= 0x10 && op < 0x20 && (op & 7) <= 3) return rmReg(); // ADC/SBB r/m, r and r, r/m
  if (op < 0x40 && (op & 7) <= 3) return rmReg(); // 16-bit ALU forms the translator does not inline
  if (op === 0x80 || op === 0x81 || op === 0x83) return byteRm(); // (0x82 is #UD in 64-bit mode)
  if (op >= 0x84 && op <= 0x8b) return rmReg(); // TEST, XCHG, MOV (16-bit forms)
  if (op === 0xc0 || op === 0xc1 || op === 0xd0 || op === 0xd1) return byteRm();
  if (op === 0xd2 || op === 0xd3) return [...byteRm(), 1];
  if ((op === 0xf6 || op === 0xf7) && (i.reg & 7) <= 3) return byteRm();
  if ((op === 0xf6 || op === 0xf7) && (i.reg & 7) <= 5) return [...byteRm(), 0, 2]; // MUL/IMUL
  if ((op === 0xfe || op === 0xff) && (i.reg & 7) <= 1) return byteRm();
  if (op === 0x69 || op === 0x6b || op === 0x1af) return rmReg();
  if (op >= 0x140 && op <= 0x14f) return rmReg();
  if (op >= 0x190 && op <= 0x19f) return byteRm();
  if (op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb || op === 0x1bc || op === 0x1bd) return rmReg();
  if (op === 0x1ba && (i.reg & 7) >= 4) return byteRm();
  if (op === 0x1a4 || op === 0x1ac) return rmReg();
  if (op === 0x1a5 || op === 0x1ad) return [...rmReg(), 1];
  if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) return rmReg();
  return undefined;
}

/** ADC/SBB (an inline ALU instruction that reads CF). */
function readsCarry(i: Insn): boolean {
  const alu = i.op >= 0x80 && i.op <= 0x83 ? i.reg & 7 : i.op < 0x40 ? i.op >> 3 : -1;
  return alu === 2 || alu === 3;
}

/** An ALU instruction with no memory operand (register ModRM form, or the AL/eAX-immediate and TEST forms). */
function registerOnly(i: Insn): boolean {
  if (i.op < 0x40 && (i.op & 7) >= 4) return true;
  if (i.op === 0xa8 || i.op === 0xa9) return true;
  return i.mod === 3;
}

/** Operand size of an inline ALU/MOV instruction: byte forms are the even opcodes of each group. */
function opSize(i: Insn): number {
  const op = i.op;
  if (op < 0x40) return (op & 1) === 0 && (op & 7) !== 6 ? 1 : i.osz;
  if (op === 0x80 || op === 0x84 || op === 0xa8 || op === 0xfe || op === 0x88 || op === 0x8a || op === 0xc6) return 1;
  if (op >= 0xb0 && op <= 0xb7) return 1;
  return i.osz;
}

class Gen {
  private out: string[] = [];
  private p: Pending | null = null;
  private off = 0;
  private k = 0;
  private readonly n: number;
  private readonly loops: boolean;
  /**
   * The loop body starts with a register-only ALU instruction, which sets every arithmetic flag without
   * reading any and cannot fault: nothing in the next iteration observes the flag record the back edge
   * leaves, so it is written to the CPU only when the loop exits.
   */
  private readonly deferLoopFlags: boolean;
  /**
   * The loop's back edge is a Jcc right after a CMP or TEST of registers (or a register and an immediate), or
   * an INC/DEC of a register, at 32 or 64 bits: the record the back edge leaves is then recomputed from those
   * registers where the next iteration needs it (INC/DEC's kept CF in one local, fX), instead of being carried
   * round in nine locals (CARRIED), which cost a tight loop a third of its speed in register pressure.
   * undefined: CARRIED.
   */
  private readonly rematAtTop: Pending | undefined;
  private readonly total: number;
  /** Guest registers held in JS locals (g<n>, g<n>h), and those the block writes (spilled at sync points). */
  private readonly used = new Set<number>();
  private readonly written = new Set<number>();
  /** The block has memory operands outside 64-bit mode: it reads the flat-segment mask (Cpu.flatSegments). */
  private usesFlat = false;
  /** The instruction being emitted has a slow path (see afterSlow). */
  private slowHere = false;

  constructor(private readonly insns: readonly Insn[], private readonly long: boolean, private readonly tlbMask: number) {
    this.n = insns.length;
    let total = 0;
    let loops = false;
    for (const i of insns) {
      total += i.len;
      if (inlineKind(i) === K.JCC && total + i.imm === 0) loops = true;
    }
    this.total = total;
    this.loops = loops;
    const first = insns[0];
    this.deferLoopFlags = loops && inlineKind(first) === K.ALU && registerOnly(first) && !readsCarry(first);
    const last = insns[this.n - 1];
    this.rematAtTop = loops && !this.deferLoopFlags && this.n >= 2 && isCondBranch(last) && total + last.imm === 0
      ? registerRecord(insns[this.n - 2]) : undefined;
  }

  emit(): string {
    const head: string[] = [];
    for (let k = 0; k < this.n; k++) head.push(`const i${k} = I[${k}], h${k} = i${k}.exec;`);
    this.line('X: {');
    if (this.loops) this.line('for (;;) {');
    if (this.loops && !this.deferLoopFlags) this.p = this.rematAtTop ?? CARRIED;
    for (let k = 0; k < this.n; k++) {
      this.k = k;
      this.insn(this.insns[k], k === this.n - 1);
      this.off += this.insns[k].len;
    }
    const lastI = this.insns[this.n - 1];
    if (inlineKind(lastI) !== K.JCC && lastI.endsBlock !== true) {
      // The block ends at a page boundary or the size limit: fall through.
      this.exitTo(this.total, this.n, this.total - lastI.len);
    }
    if (this.loops) this.line('}');
    this.line('}');
    // The one way out but a handler's own exit (see exitTo): the flag record, registers, RIP, count.
    this.line('if (xf !== 0) {');
    this.line('if ((xf & 1) !== 0) { c.lfOp = fOp; c.lfSize = fSize; c.lfRes = fR; c.lfResHi = fRh; c.lfA = fA; c.lfAHi = fAh; c.lfB = fB; c.lfBHi = fBh; c.lfAux = fX; }');
    this.line('if (xf >= 2) c.flags = (getFlags(c) & -2050) | fC | (fO << 11);');
    this.line('}');
    this.line('@SPILL@ c.rip = base + xo; clock.instructions = ic + xk; c.insnStart = base + xs;');
    this.line('if (xj !== 0) { c.relTarget(xr, xj); clock.instructions = ic + xk + 1; }');
    const used = [...this.used].sort((a, b) => a - b);
    const written = [...this.written].sort((a, b) => a - b);
    const spill = written.map((g) => `r[${2 * g}] = g${g}; r[${2 * g + 1}] = g${g}h;`).join(' ');
    const reloadRegs = used.map((g) => `g${g} = r[${2 * g}]; g${g}h = r[${2 * g + 1}];`).join(' ');
    const reload = reloadRegs + (this.usesFlat ? ' flat = c.flatSegments();' : '');
    const pre = [
      'const r = c.r, rT = c.rTlb, wT = c.wTlb, m8 = c.u8, dv = c.dv;',
      'const base = c.rip;',
      'let ic = clock.instructions;',
      'let la = 0, ti = 0, off = 0, sl = false;',
      // The page the block last read / wrote through the TLB (pageOffset): linear page base (-65536: none) and
      // its physical base.
      'let rP = -65536, rB = 0, wP = -65536, wB = 0, d = 0;',
      // The exit (exitTo): RIP and insnStart as offsets from base, retired count past ic, the flag record to
      // write (bit 0: fOp..fX; bit 1: a rotate's CF/OF in fC/fO over it), a relative jump (operand size, rel).
      'let xo = 0, xk = 0, xs = 0, xf = 0, xj = 0, xr = 0;',
      'let fOp = 0, fSize = 0, fR = 0, fRh = 0, fA = 0, fAh = 0, fB = 0, fBh = 0, fX = 0, fC = 0, fO = 0;',
    ];
    if (used.length) pre.push(`let ${used.map((g) => `g${g} = r[${2 * g}], g${g}h = r[${2 * g + 1}]`).join(', ')};`);
    if (this.usesFlat) pre.push('let flat = c.flatSegments();');
    if (this.loops && !this.deferLoopFlags) pre.push(this.rematAtTop ? 'let fk = 0;' : CARRY_LOAD);
    if (this.loops) {
      // lim: the count the back edge may run up to without looking at anything else. Only helper calls and
      // slow paths run device code (which may request a stop, raise an interrupt line or move a timer
      // deadline), so they set lim = 0, and the next back edge does the run loop's full check; so does the
      // first one inside an interrupt shadow (MOV SS, STI), which ends during the loop.
      // A call returns to the run loop (which enters it again) at least every LOOP_CHUNK instructions: V8
      // then runs the loop in fully optimized code rather than its slower on-stack-replacement version.
      // The first WARM_CALLS calls run one iteration each and leave through the back edge's full check and
      // the epilogue. V8 allocates a function's type-feedback vector only after it has run a while, and code
      // without feedback deoptimizes the optimized function the first time it runs: this way both have
      // feedback before V8 optimizes the loop while it runs (on-stack replacement).
      pre.push(`if (warm > 0) { warm--; end = ic + ${this.n}; } else if (end > ic + ${LOOP_CHUNK}) end = ic + ${LOOP_CHUNK};`);
      pre.push('let lim = ic < c.shadowUntil ? 0 : clock.nextDeadline < end ? clock.nextDeadline : end;');
    }
    // A slow memory access (a TLB miss) calls Cpu.rd/wr/probeWrite with the registers still in locals: none of
    // them reads a register; when one faults, the catch writes them back (sp = 1: the locals are current; 0
    // while a handler runs, which owns the CPU's registers and may have changed some before it faulted). One
    // write-back here instead of one per memory operand keeps the translation small (V8 compiles less).
    pre.push('let sp = 1;');
    const wrapped = spill === '' ? this.out : ['try {', ...this.out, `} catch (e) { if (sp !== 0) { ${spill} } throw e; }`];
    const body = [...pre, ...wrapped].join('\n')
      .replace(/@S(\d+)@/g, (_, g: string) => `r[${2 * +g}] = g${g}; r[${2 * +g + 1}] = g${g}h;`)
      .replace(/@L(\d+)@/g, (_, g: string) => `g${g} = r[${2 * +g}]; g${g}h = r[${2 * +g + 1}];`).replace(/@SPILL@/g, spill).replace(/@RELOADR@/g, reloadRegs).replace(/@RELOAD@/g, reload).replace(/@SLOW@/g, this.loops ? 'lim = 0; sl = true; rP = -65536; wP = -65536;' : 'sl = true; rP = -65536; wP = -65536;').replace(/@Q@/g, this.loops ? 'lim = 0;' : '');
    if (this.loops) head.push(`let warm = ${WARM_CALLS};`);
    // Only the instructions the body names (handler calls, Cpu.memAddr/lea64/ea): most are inline.
    const refs = new Set<string>();
    for (const m of body.matchAll(/\b[ih](\d+)\b/g)) refs.add(m[1]);
    const named = head.filter((h) => !h.startsWith('const i') || refs.has(/^const i(\d+)/.exec(h)?.[1] ?? ''));
    return `${named.join('\n')}\nreturn function block(c, clock, end) {\n${body}\n};`;
  }

  private line(s: string): void { this.out.push(s); }

  /**
   * Leave the function through its one epilogue: RIP = base + rip, the count ic + count, insnStart at the
   * last instruction executed (base + at), as the interpreter leaves them (insnStart is CPU state); the
   * pending flag record and the guest registers are written there. An exit site only assigns locals: code
   * V8 has not run yet has no type feedback, and an optimized block deoptimizes the first time it reaches
   * such code, so every exit shares the epilogue's feedback (and the block's source stays short).
   * `jump`: assignments of xj/xr for a taken relative branch (Cpu.relTarget, which may fault, in the epilogue).
   */
  private exitTo(rip: number | string, count: number, at: number, jump = ''): void {
    const p = this.p;
    let rec = '';
    if (p === CARRIED) rec = 'xf = 1; ';
    else if (p !== null && p.remat) rec = `if (fk !== 0) { xf = 1; ${assignRecord(p)} } `;
    else if (p !== null && p.op === ROT) {
      const prev = p.prev ?? null;
      if (prev !== null && prev.op === ROT) this.materializeCopy(); // a rotate after a rotate: written here
      else rec = `${prev !== null ? `xf = 3; ${assignRecord(prev)} ` : 'xf = 2; '}fC = ${p.cf}; fO = ${p.of}; `;
    } else if (p !== null) rec = `xf = 1; ${assignRecord(p)} `;
    this.line(`${rec}xo = ${rip}; xk = ${count}; xs = ${at};${jump} break X;`);
  }

  // ------------------------------------------------------------------------------ registers
  private g(reg: number): string { this.used.add(reg); return `g${reg}`; }
  private gh(reg: number): string { this.used.add(reg); return `g${reg}h`; }

  /** Write the pending flag record to the CPU (cpu.lf*), so handlers and exception delivery see it. */
  private materialize(): void {
    const p = this.p;
    if (!p) return;
    if (p === CARRIED) {
      this.line('c.lfOp = fOp; c.lfSize = fSize; c.lfRes = fR; c.lfResHi = fRh; c.lfA = fA; c.lfAHi = fAh; c.lfB = fB; c.lfBHi = fBh; c.lfAux = fX;');
      this.p = null;
      return;
    }
    if (p.remat) {
      this.line(`if (fk !== 0) ${recordCall(p)}`);
      this.p = null;
      return;
    }
    if (p.op === ROT) {
      // The flags before the rotate, then its CF and OF (bits 0 and 11).
      this.p = p.prev ?? null;
      this.materialize();
      this.line(`c.flags = (getFlags(c) & -2050) | ${p.cf} | (${p.of} << 11);`);
      this.p = null;
      return;
    }
    this.line(recordCall(p));
    this.p = null;
  }

  /** Materialize inside a branch without forgetting the pending record on the main path. */
  private materializeCopy(): void {
    const p = this.p;
    this.materialize();
    this.p = p;
  }

  /** Precise state before something that may fault, inside a slow-path branch (the record stays pending). */
  private faultPoint(i: Insn, readsAddrRegs = false): void {
    this.slowHere = true;
    this.materializeCopy();
    this.line(`@SLOW@ ${readsAddrRegs ? this.syncAddrRegs(i) : ''}c.insnStart = base + ${this.off}; clock.instructions = ic + ${this.k};${i.ripRel ? ` c.rip = base + ${this.off + i.len};` : ''}`);
  }

  /**
   * Write back the registers a memory operand's address is computed from: Cpu.memAddr, Cpu.ea and Cpu.lea64
   * read only those (and RIP); the catch writes back the rest if they fault.
   */
  private syncAddrRegs(i: Insn): string {
    let s = '';
    for (const g of [i.base, i.index]) if (g >= 0) { this.used.add(g); s += `@S${g}@ `; }
    return s;
  }

  /** An inline instruction took a slow path (sl), which may have run device code (MMIO) or written
   *  decoded code: once it completes, leave where the interpreter would end its block. */
  private afterSlow(i: Insn): void {
    this.line(`if (sl) { sl = false; if (c.codeDirty || c.stopRequested || ${IRQ}) {`);
    this.exitTo(this.off + i.len, this.k + 1, this.off);
    this.line('} }');
  }

  private insn(i: Insn, last: boolean): void {
    this.slowHere = false;
    switch (inlineKind(i)) {
      case K.JCC: this.jcc(i, last); return;
      case K.ALU: this.alu(i, last); break;
      case K.INCDEC: this.incDec(i, last); break;
      case K.MOV: this.mov(i, last); break;
      case K.MOVX: this.movx(i, last); break;
      case K.SHIFT: this.shift(i, last); break;
      case K.NOP: break;
      case K.SETCC: this.setcc(i, last); break;
      case K.CMOV: this.cmov(i, last); break;
      case K.IMUL: this.imul(i, last); break;
      case K.STACK: this.stack(i, last); return;
      case K.STACK32: this.stack32(i, last); return;
      case K.SHIFTCL: this.shiftCl(i); break;
      default: this.generic(i, last); return;
    }
    if (this.slowHere && !last) this.afterSlow(i);
  }

  private generic(i: Insn, last: boolean): void {
    const k = this.k;
    const next = this.off + i.len;
    this.materialize();
    const regs = last ? undefined : footprint(i);
    if (regs) {
      // Light call: the handler touches only these registers and the flags, and cannot fault or reach a
      // device, so only they are synced and nothing the run loop checks can have changed.
      for (const g of regs) this.used.add(g);
      this.line(`${regs.map((g) => `@S${g}@`).join(' ')} c.insnStart = base + ${this.off}; c.rip = base + ${next}; clock.instructions = ic + ${k};`);
      this.line(`h${k}(c, i${k});`);
      this.line(regs.map((g) => `@L${g}@`).join(' '));
      return;
    }
    this.callHandler(next, last, keepsSegments(i));
  }

  /**
   * Call instruction k's handler with the registers written back; then leave the block (`leave`: the
   * instruction ends it), or leave where the interpreter would end its block and otherwise reload the
   * registers (and the flat-segment mask unless `keepsSegs`: the handler cannot change segments or CR0).
   */
  private callHandler(next: number, leave: boolean, keepsSegs: boolean): void {
    const k = this.k;
    this.line(`@Q@ rP = -65536; wP = -65536; @SPILL@ c.insnStart = base + ${this.off}; c.rip = base + ${next}; clock.instructions = ic + ${k};`);
    this.line(`sp = 0; h${k}(c, i${k});`);
    if (leave) { this.line(`clock.instructions = ic + ${k + 1}; return;`); return; }
    this.line(`if (c.codeDirty || c.stopRequested || c.rip !== base + ${next} || ${IRQ}) { clock.instructions = ic + ${k + 1}; return; }`);
    this.line(keepsSegs ? '@RELOADR@ sp = 1;' : '@RELOAD@ sp = 1;');
  }

  // ---------------------------------------------------------------------------------- operands
  /** 8-bit register `reg` as a JS expression (AH..BH without REX). */
  private reg8(reg: number, rex: number): string {
    if (rex === 0 && reg >= 4 && reg < 8) return `((${this.g(reg - 4)} >>> 8) & 255)`;
    return `(${this.g(reg)} & 255)`;
  }

  /** Register operand of `size` bytes into locals v / vh. */
  private regVal(reg: number, rex: number, size: number, v: string): void {
    if (size === 1) this.line(`const ${v} = ${this.reg8(reg, rex)}, ${v}h = 0;`);
    else this.line(`const ${v} = ${this.g(reg)}, ${v}h = ${size === 8 ? this.gh(reg) : '0'};`);
  }

  private writeReg(reg: number, rex: number, size: number, lo: string, hi: string): void {
    // A record recomputed from registers is written out before one of them changes.
    const target = size === 1 && rex === 0 && reg >= 4 && reg < 8 ? reg - 4 : reg;
    if (this.p !== null && this.p.remat && this.p.remat.includes(target)) this.materialize();
    if (size === 1) {
      if (rex === 0 && reg >= 4 && reg < 8) {
        const g = this.g(reg - 4);
        this.written.add(reg - 4);
        this.line(`${g} = (${g} & -65281) | ((${lo} & 255) << 8);`);
      } else {
        const g = this.g(reg);
        this.written.add(reg);
        this.line(`${g} = (${g} & -256) | (${lo} & 255);`);
      }
      return;
    }
    this.written.add(reg);
    if (size === 2) { const g = this.g(reg); this.line(`${g} = (${g} & -65536) | (${lo} & 65535);`); return; }
    this.line(`${this.g(reg)} = ${lo}; ${this.gh(reg)} = ${size === 8 ? hi : '0'};`);
  }

  /** 64-bit effective address terms over the register locals, and the registers whose high halves bound it. */
  private ea64Terms(i: Insn): { terms: string[]; his: string[] } {
    const terms: string[] = [];
    const his: string[] = [];
    if (i.ripRel) {
      terms.push(`(base + ${this.off + i.len} >= ${TWO47} ? base + ${this.off + i.len - TWO48} : base + ${this.off + i.len})`);
    }
    if (i.base >= 0) {
      his.push(this.gh(i.base));
      terms.push(`${this.gh(i.base)} * 4294967296 + (${this.g(i.base)} >>> 0)`);
    }
    if (i.index >= 0) {
      his.push(this.gh(i.index));
      const sc = 1 << i.scale;
      terms.push(`(${this.gh(i.index)} * 4294967296 + (${this.g(i.index)} >>> 0))${sc === 1 ? '' : ` * ${sc}`}`);
    }
    if (i.disp !== 0 || terms.length === 0) terms.push(String(i.disp));
    return { terms, his };
  }

  /** 32- or 16-bit effective address (zero-extended) over the register locals; undefined for RIP-relative. */
  private ea32(i: Insn): string | undefined {
    if (i.ripRel) return undefined;
    const terms: string[] = [String(i.disp)];
    if (i.asz === 4) {
      if (i.base >= 0) terms.push(this.g(i.base));
      if (i.index >= 0) terms.push(i.scale ? `(${this.g(i.index)} << ${i.scale})` : this.g(i.index));
      return `((${terms.join(' + ')}) >>> 0)`;
    }
    if (i.asz === 2) {
      if (i.base >= 0) terms.push(`(${this.g(i.base)} & 65535)`);
      if (i.index >= 0) terms.push(`(${this.g(i.index)} & 65535)`);
      return `((${terms.join(' + ')}) & 65535)`;
    }
    return undefined;
  }

  /**
   * Emit `la = linear address of the memory operand`. Inline in 64-bit mode without FS/GS (segment base 0):
   * 64-bit addressing is exact while every register's high half is within ±2^20 (like Cpu.ea), and must be
   * canonical; 32-bit addressing is the zero-extended sum. Outside 64-bit mode, inline while the segment is
   * flat (base 0, limit 4 GiB, usable for the access: Cpu.flatSegments). Anything else goes through
   * c.memAddr, which computes exactly and faults.
   */
  private address(i: Insn, size: number, write: boolean): void {
    const k = this.k;
    const seg = i.seg >= 0 ? i.seg : i.defaultSS ? 2 : 3;
    if (this.long && i.asz === 8 && i.seg < 4) {
      const { terms, his } = this.ea64Terms(i);
      const exact = his.length === 0 ? 'true' : `((${his.map((h) => `(${h} + 1048576)`).join(' | ')}) >>> 21) === 0`;
      const general = `la = -1; if (${exact}) { const a = ${terms.join(' + ')}; if (a >= ${-TWO47} && a <= ${TWO47 - size}) la = a < 0 ? a + ${TWO48} : a; }`;
      if (his.length > 0 && !i.ripRel) {
        // Registers below 4 GiB (high halves 0), the common case: the sum of their low halves and the
        // displacement is within (-2^31, 2^36), so no multiply and no range check; a negative sum is a
        // canonical address in the upper half.
        const low: string[] = [];
        if (i.base >= 0) low.push(`(${this.g(i.base)} >>> 0)`);
        if (i.index >= 0) low.push(`(${this.g(i.index)} >>> 0)${i.scale ? ` * ${1 << i.scale}` : ''}`);
        if (i.disp !== 0) low.push(String(i.disp));
        const sum = low.join(' + ');
        const fast = i.disp >= 0 ? `la = ${sum};` : `{ const a = ${sum}; la = a < 0 ? a + ${TWO48} : a; }`;
        this.line(`if ((${his.join(' | ')}) === 0) ${fast} else { ${general} }`);
      } else {
        this.line(general);
      }
    } else if (this.long && i.seg < 4 && this.ea32(i) !== undefined) {
      this.line(`la = ${this.ea32(i)};`);
    } else if (!this.long && this.ea32(i) !== undefined) {
      this.usesFlat = true;
      // Write access needs a writable data segment; flatSegments has bit s for readable+writable, bit s+8
      // for readable (the read bit).
      const bit = write ? 1 << seg : 1 << (seg + 8);
      this.line(`la = -1;`);
      this.line(`if ((flat & ${bit}) !== 0) { const o = ${this.ea32(i)}; if (o <= ${2 ** 32 - size}) la = o; }`);
    } else {
      this.line('{');
      this.faultPoint(i, true);
      this.line(`la = c.memAddr(i${k}, ${size}, ${write}); }`);
      return;
    }
    this.line('if (la < 0) {');
    this.faultPoint(i, true);
    this.line(`la = c.memAddr(i${k}, ${size}, ${write}); }`);
  }

  /**
   * Emit `d = offset of la in the page the block last read (rP) or wrote (wP) through the TLB`, refilling that
   * one-page cache from the TLB when la is elsewhere; out of [0, 4096 - size] means a TLB miss (or an access
   * that crosses the page), which takes the slow path. The cache holds what the TLB held: it is dropped at
   * every slow path and handler call (@SLOW@, generic), the only places the TLB, CPL or write epoch can change
   * inside a block, so a loop over one page reads no TLB array and no c.ub/c.wb per access.
   */
  private pageOffset(size: number, write: boolean): void {
    const [P, B, T, tag] = write ? ['wP', 'wB', 'wT', 'c.wb'] : ['rP', 'rB', 'rT', 'c.ub'];
    this.line(`d = la - ${P}; if (d < 0 || d > ${4096 - size}) { ti = ((la >>> 12) & ${this.tlbMask}) << 1; off = la & 4095; ` +
      `if (${T}[ti] === la - off + ${tag}) { ${P} = la - off; ${B} = ${T}[ti + 1]; d = off; } }`);
  }

  /** Emit a read of `size` bytes at `la` into locals v / vh (zero-extended for 1 and 2). */
  private load(i: Insn, size: number, v: string): void {
    this.line(`let ${v} = 0, ${v}h = 0;`);
    this.pageOffset(size, false);
    this.line(`if (d >= 0 && d <= ${4096 - size}) {`);
    switch (size) {
      case 1: this.line(`${v} = m8[rB + d];`); break;
      case 2: this.line(`${v} = dv.getUint16(rB + d, true);`); break;
      case 4: this.line(`${v} = dv.getInt32(rB + d, true);`); break;
      default: this.line(`const pa = rB + d; ${v} = dv.getInt32(pa, true); ${v}h = dv.getInt32(pa + 4, true);`);
    }
    this.line('} else {');
    this.faultPoint(i);
    if (size === 8) this.line(`${v} = c.rd64(la); ${v}h = c.hi;`);
    else this.line(`${v} = c.rd(la, ${size});`);
    this.line('}');
  }

  /** Emit a write of `size` bytes of lo/hi at `la`; the slow path leaves like the interpreter would. */
  private store(i: Insn, size: number, lo: string, hi: string): void {
    this.pageOffset(size, true);
    this.line(`if (d >= 0 && d <= ${4096 - size}) {`);
    switch (size) {
      case 1: this.line(`m8[wB + d] = ${lo};`); break;
      case 2: this.line(`dv.setUint16(wB + d, ${lo}, true);`); break;
      case 4: this.line(`dv.setInt32(wB + d, ${lo}, true);`); break;
      default: this.line(`const pa = wB + d; dv.setInt32(pa, ${lo}, true); dv.setInt32(pa + 4, ${hi}, true);`);
    }
    this.line('} else {');
    this.faultPoint(i);
    if (size === 8) this.line(`c.wr64(la, ${lo}, ${hi});`);
    else this.line(`c.wr(la, ${size}, ${lo});`);
    this.line('}');
  }

  /** Emit a read of the r/m operand into locals `${v}` / `${v}h`. */
  private readRm(i: Insn, v: string, write: boolean, size: number, last: boolean): void {
    if (i.mod === 3) { this.regVal(i.rm, i.rex, size, v); return; }
    this.address(i, size, write);
    this.load(i, size, v);
    if (!write) return;
    // Read-modify-write: the destination must be writable before the flags change (Cpu.probeWrite), so a fault
    // spills the previous instruction's flag record, not this one's.
    this.pageOffset(size, true);
    this.line(`if (d < 0 || d > ${4096 - size}) {`);
    this.faultPoint(i);
    this.line(`c.probeWrite(la, ${size}); }`);
  }

  /** Write the r/m operand; for memory `la` already holds the address (read-modify-write) unless `fresh`. */
  private writeRm(i: Insn, size: number, lo: string, hi: string, last: boolean, fresh: boolean): void {
    if (i.mod === 3) { this.writeReg(i.rm, i.rex, size, lo, hi); return; }
    if (fresh) this.address(i, size, true);
    this.store(i, size, lo, hi);
  }

  // -------------------------------------------------------------------------------- instructions
  private mov(i: Insn, last: boolean): void {
    const k = this.k;
    const op = i.op;
    const size = opSize(i);
    if (op >= 0xb0 && op <= 0xbf) {
      this.writeReg((op & 7) | ((i.rex & 1) << 3), i.rex, size, String(i.imm), String(i.immHi));
    } else if (op === 0x8b || op === 0x8a) {
      this.readRm(i, `v${k}`, false, size, last);
      this.writeReg(i.reg, i.rex, size, `v${k}`, `v${k}h`);
    } else if (op === 0x89) {
      this.line(`const s${k} = ${this.g(i.reg)}, s${k}h = ${this.gh(i.reg)};`);
      this.writeRm(i, size, `s${k}`, `s${k}h`, last, true);
    } else if (op === 0x88) {
      this.line(`const s${k} = ${this.reg8(i.reg, i.rex)};`);
      this.writeRm(i, size, `s${k}`, '0', last, true);
    } else if (op === 0xc6 || op === 0xc7) {
      this.writeRm(i, size, String(size === 1 ? i.imm & 0xff : i.imm), String(i.immHi), last, true);
    } else {
      this.lea(i);
    }
  }

  /** LEA: the effective address (no segment, no memory access, no fault), truncated to the operand size. */
  private lea(i: Insn): void {
    const k = this.k;
    if (i.asz === 8) {
      // Inline while the sum is an exact double: base within ±2^51 (high half within ±2^19), index × scale
      // within ±2^51, so |sum| < 2^53; otherwise Cpu.lea64's exact 64-bit sum (0xfefefefefefefeff constants).
      const { terms } = this.ea64Terms(i);
      const bounds: string[] = [];
      if (i.base >= 0) bounds.push(`((${this.gh(i.base)} + 524288) >>> 20) === 0`);
      if (i.index >= 0) bounds.push(`((${this.gh(i.index)} + ${2 ** (19 - i.scale)}) >>> ${20 - i.scale}) === 0`);
      this.line(`let e${k} = 0, e${k}h = 0;`);
      this.line(`if (${bounds.length ? bounds.join(' && ') : 'true'}) { const a = ${terms.join(' + ')}; e${k} = a | 0; e${k}h = Math.floor(a / 4294967296) | 0; }`);
      this.line(`else { ${this.syncAddrRegs(i)}${i.ripRel ? ` c.rip = base + ${this.off + i.len};` : ''} e${k} = c.lea64(i${k}); e${k}h = c.hi; }`);
      this.writeReg(i.reg, i.rex, i.osz, `e${k}`, `e${k}h`);
      return;
    }
    const e = this.ea32(i);
    if (e === undefined) {
      this.line(`${this.syncAddrRegs(i)}c.rip = base + ${this.off + i.len};`);
      this.line(`const e${k} = c.ea(i${k});`);
    } else {
      this.line(`const e${k} = ${e};`);
    }
    this.writeReg(i.reg, i.rex, i.osz, `(e${k} | 0)`, '0');
  }

  /** MOVZX/MOVSX r, r/m8|16 and MOVSXD r64, r/m32. */
  private movx(i: Insn, last: boolean): void {
    const k = this.k;
    const op = i.op;
    const src = op === 0x63 ? 4 : op === 0x1b6 || op === 0x1be ? 1 : 2;
    const v = `v${k}`;
    this.readRm(i, v, false, src, last);
    let lo: string;
    if (op === 0x1b6 || op === 0x1b7) lo = src === 2 ? `(${v} & 65535)` : v;
    else lo = src === 1 ? `((${v} << 24) >> 24)` : src === 2 ? `((${v} << 16) >> 16)` : `(${v} | 0)`;
    this.line(`const x${k} = ${lo};`);
    const signed = op !== 0x1b6 && op !== 0x1b7;
    this.writeReg(i.reg, i.rex, i.osz, `x${k}`, signed ? `(x${k} >> 31)` : '0');
  }

  private alu(i: Insn, last: boolean): void {
    const k = this.k;
    const op = i.op;
    const size = opSize(i);
    let alu: number;
    let bSrc: 'reg' | 'imm';
    let dstIsRm = true;
    if (op === 0x84 || op === 0x85) { alu = 8; bSrc = 'reg'; }
    else if (op === 0xa8 || op === 0xa9) { alu = 8; bSrc = 'imm'; }
    else if (op >= 0x80 && op <= 0x83) { alu = i.reg & 7; bSrc = 'imm'; }
    else {
      alu = op >> 3;
      const form = op & 7;
      bSrc = form >= 4 ? 'imm' : 'reg';
      dstIsRm = form <= 1;
    }
    const writes = alu !== 7 && alu !== 8;
    const accForm = op === 0xa8 || op === 0xa9 || (op < 0x40 && (op & 7) >= 4);
    // a = destination operand, b = source operand
    if (accForm) this.regVal(0, 1, size, `a${k}`);
    else if (dstIsRm) this.readRm(i, `a${k}`, writes, size, last);
    else this.regVal(i.reg, i.rex, size, `a${k}`);
    if (bSrc === 'imm') this.line(`const b${k} = ${size === 1 ? i.imm & 0xff : i.imm}, b${k}h = ${size === 8 ? i.immHi : 0};`);
    else if (dstIsRm) this.regVal(i.reg, i.rex, size, `b${k}`);
    else this.readRm(i, `b${k}`, false, size, last);
    const a = `a${k}`, ah = `a${k}h`, b = `b${k}`, bh = `b${k}h`, lo = `r${k}`, hi = `r${k}h`;
    if (alu === 0 || alu === 5 || alu === 7 || alu === 2 || alu === 3) {
      const sign = ALU_JS[alu];
      // ADC/SBB: the carry in (alu.ts aluOp), kept in the record's aux.
      let cin = '';
      let aux = '0';
      if (alu === 2 || alu === 3) {
        this.line(`const ci${k} = ${this.cfExpr()} ? 1 : 0;`);
        cin = ` ${sign} ci${k}`;
        aux = `ci${k}`;
      }
      if (size === 8) {
        this.line(`const s${k} = (${a} >>> 0) ${sign} (${b} >>> 0)${cin}, ${lo} = s${k} | 0;`);
        this.line(sign === '+'
          ? `const ${hi} = (${ah} + ${bh} + (s${k} > 4294967295 ? 1 : 0)) | 0;`
          : `const ${hi} = (${ah} - ${bh} - (s${k} < 0 ? 1 : 0)) | 0;`);
      } else {
        this.line(`const ${lo} = (${a} ${sign} ${b}${cin}) | 0, ${hi} = 0;`);
      }
      this.p = { op: ALU_LF[alu], size, res: lo, resHi: hi, a, aHi: ah, b, bHi: bh, aux };
    } else {
      const sign = alu === 8 ? '&' : ALU_JS[alu];
      this.line(`const ${lo} = ${a} ${sign} ${b}, ${hi} = ${size === 8 ? `${ah} ${sign} ${bh}` : '0'};`);
      this.p = { op: LF.LOGIC, size, res: lo, resHi: hi, a: '0', aHi: '0', b: '0', bHi: '0', aux: '0' };
    }
    if (!writes) return;
    if (accForm) this.writeReg(0, 1, size, lo, hi);
    else if (dstIsRm) this.writeRm(i, size, lo, hi, last, false);
    else this.writeReg(i.reg, i.rex, size, lo, hi);
  }

  /**
   * SHL/SHR/SAR/ROL/ROR r/m by a constant non-zero count (shift.ts semantics). Shifts leave the lazy record
   * LF.SHL/LF.SAR (the operand shifted by count-1, and the result); rotates a ROT pending record.
   */
  private shift(i: Insn, last: boolean): void {
    const k = this.k;
    const kind = i.reg & 7;
    const size = (i.op & 1) === 0 ? 1 : i.osz;
    const n = shiftCount(i);
    const a = `a${k}`, ah = `a${k}h`, lo = `r${k}`, hi = `r${k}h`, t = `t${k}`, th = `t${k}h`;
    this.readRm(i, a, true, size, last);
    const bits = size * 8;
    if (kind === 0 || kind === 1) {
      const right = kind === 1;
      const m = n % bits;
      if (size === 8) {
        if (m === 0) this.line(`const ${lo} = ${a}, ${hi} = ${ah};`);
        else {
          const [xl, xh] = right ? shr64(a, ah, m, false) : shl64(a, ah, m);
          const [yl, yh] = right ? shl64(a, ah, 64 - m) : shr64(a, ah, 64 - m, false);
          this.line(`const ${lo} = ${xl} | ${yl}, ${hi} = ${xh} | ${yh};`);
        }
      } else {
        const mask = (1 << bits) - 1;
        const v = size === 4 ? a : `(${a} & ${mask})`;
        const r = m === 0 ? v : right ? `((${v} >>> ${m}) | (${v} << ${bits - m}))` : `((${v} << ${m}) | (${v} >>> ${bits - m}))`;
        this.line(`const ${lo} = ${size === 4 ? `${r} | 0` : `${r} & ${mask}`}, ${hi} = 0;`);
      }
      const top = size === 8 ? `(${hi} >>> 31)` : `((${lo} >>> ${bits - 1}) & 1)`;
      if (!right) this.line(`const c${k} = ${lo} & 1, o${k} = ${top} ^ c${k};`);
      else this.line(`const c${k} = ${top}, o${k} = c${k} ^ ${size === 8 ? `((${hi} >>> 30) & 1)` : `((${lo} >>> ${bits - 2}) & 1)`};`);
      const prev = this.p === CARRIED || isRemat(this.p) ? (this.materialize(), null) : this.p;
      this.p = { op: ROT, size, res: lo, resHi: hi, a: '0', aHi: '0', b: '0', bHi: '0', aux: '0', prev, cf: `c${k}`, of: `o${k}` };
    } else {
      const left = kind === 4 || kind === 6;
      const arith = kind === 7;
      if (size === 8) {
        const [tl, tth] = left ? shl64(a, ah, n - 1) : shr64(a, ah, n - 1, arith);
        this.line(`const ${t} = ${tl} | 0, ${th} = ${tth} | 0;`);
        const [rl, rh] = left ? shl64(t, th, 1) : shr64(t, th, 1, arith);
        this.line(`const ${lo} = ${rl} | 0, ${hi} = ${rh} | 0;`);
      } else if (left) {
        this.line(`const ${t} = ${a} << ${n - 1}, ${th} = 0, ${lo} = ${t} << 1, ${hi} = 0;`);
      } else {
        const v = arith ? (size === 4 ? a : `((${a} << ${32 - bits}) >> ${32 - bits})`) : size === 4 ? a : `(${a} & ${(1 << bits) - 1})`;
        const sh = arith ? '>>' : '>>>';
        this.line(`const ${t} = (${v} ${sh} ${n - 1}) | 0, ${th} = 0, ${lo} = (${t} ${sh} 1) | 0, ${hi} = 0;`);
      }
      this.p = { op: left ? LF.SHL : LF.SAR, size, res: lo, resHi: hi, a: t, aHi: th, b: '0', bHi: '0', aux: '0' };
    }
    this.writeRm(i, size, lo, hi, last, false);
  }

  /**
   * SHL/SHR/SAL/SAR r32/r64, CL as the interpreter does it (shift.ts group2): the count masked to 5 or 6 bits;
   * 0 leaves the flags (so the pending record is written first) and, at 32 bits, still zero-extends the register;
   * otherwise shiftOp computes the result and writes the LF.SHL/LF.SAR record itself.
   */
  private shiftCl(i: Insn): void {
    const k = this.k;
    const size = i.osz;
    const kind = i.reg & 7;
    const dst = i.rm;
    this.materialize();
    const a = this.g(dst), ah = size === 8 ? this.gh(dst) : '0';
    this.line(`const n${k} = ${this.g(1)} & ${size === 8 ? 63 : 31};`);
    this.written.add(dst);
    this.line(`if (n${k} !== 0) { const x${k} = shiftOp(c, ${kind === 6 ? 4 : kind}, ${size}, ${a}, ${ah}, n${k}); ${a} = x${k}; ${this.gh(dst)} = ${size === 8 ? 'c.hi' : '0'}; }${size === 4 ? ` else ${this.gh(dst)} = 0;` : ''}`);
  }

  /** SETcc r/m8: 1 or 0 by the condition (mov.ts). */
  private setcc(i: Insn, last: boolean): void {
    const k = this.k;
    const cond = this.ccExpr(i.op & 0xf);
    this.line(`const z${k} = ${cond} ? 1 : 0;`);
    this.writeRm(i, 1, `z${k}`, '0', last, true);
  }

  /** CMOVcc r, r/m: the source is read whatever the condition; a 32-bit destination is zero-extended even when not moved (mov.ts). */
  private cmov(i: Insn, last: boolean): void {
    const k = this.k;
    const size = i.osz;
    this.readRm(i, `v${k}`, false, size, last);
    const cond = this.ccExpr(i.op & 0xf);
    // The write below is conditional: a record recomputed from its register is written out before the branch.
    if (this.p !== null && this.p.remat && this.p.remat.includes(i.reg)) this.materialize();
    this.line(`if (${cond}) {`);
    this.writeReg(i.reg, i.rex, size, `v${k}`, `v${k}h`);
    if (size === 4) { this.line('} else {'); this.line(`${this.gh(i.reg)} = 0;`); }
    this.line('}');
  }

  /** IMUL r, r/m and IMUL r, r/m, imm at 16 and 32 bits (muldiv.ts imul2): lazy record LF.MUL, overflow in aux. */
  private imul(i: Insn, last: boolean): void {
    const k = this.k;
    const size = i.osz;
    this.readRm(i, `a${k}`, false, size, last);
    const b = i.op === 0x1af ? this.g(i.reg) : String(i.imm);
    const a = `a${k}`, lo = `r${k}`, o = `o${k}`;
    if (size === 4) this.line(`const ${lo} = Math.imul(${a}, ${b}), ${o} = (${a} | 0) * (${b} | 0) !== ${lo} ? 1 : 0;`);
    else this.line(`const p${k} = ((${a} << 16) >> 16) * ((${b} << 16) >> 16), ${lo} = p${k} & 65535, ${o} = p${k} !== ((p${k} << 16) >> 16) ? 1 : 0;`);
    this.writeReg(i.reg, i.rex, size, lo, '0');
    this.p = { op: LF.MUL, size, res: lo, resHi: '0', a: '0', aHi: '0', b: '0', bHi: '0', aux: o };
  }

  private incDec(i: Insn, last: boolean): void {
    const k = this.k;
    const size = i.op === 0xfe ? 1 : i.osz;
    const dec = (i.reg & 7) === 1;
    // CF survives INC/DEC: kept as an expression over the previous operation's locals (evaluated only if
    // the record is materialized), or read from the CPU's record now when there is none.
    let aux: string;
    if (this.p === CARRIED) this.materialize();
    // Computed here (a few operations) so that exits only copy locals.
    if (this.p) this.line(`const cf${k} = ${this.cfExpr()} ? 1 : 0;`);
    else this.line(`const cf${k} = getCF(c) ? 1 : 0;`);
    aux = `cf${k}`;
    this.readRm(i, `a${k}`, true, size, last);
    const a = `a${k}`, ah = `a${k}h`, lo = `r${k}`, hi = `r${k}h`;
    if (dec) this.line(`const ${lo} = (${a} - 1) | 0, ${hi} = ${size === 8 ? `(${ah} - (${a} === 0 ? 1 : 0)) | 0` : '0'};`);
    else this.line(`const ${lo} = (${a} + 1) | 0, ${hi} = ${size === 8 ? `(${ah} + (${a} === -1 ? 1 : 0)) | 0` : '0'};`);
    this.p = { op: dec ? LF.DEC : LF.INC, size, res: lo, resHi: hi, a, aHi: ah, b: '1', bHi: '0', aux };
    this.writeRm(i, size, lo, hi, last, false);
  }

  /**
   * PUSH r64, POP r64, CALL rel32, RET (stack.ts, control.ts) in 64-bit mode: RSP as a canonical linear address
   * (SS has base 0 and no limit there) looked up in the TLB inline, 8 bytes read or written in RAM, RSP moved
   * only once the access is done. Anything else (a TLB miss, a non-canonical RSP or return address, a page end
   * inside the 8 bytes) calls the instruction's handler, which faults or completes exactly as interpreted.
   */
  private stack(i: Insn, last: boolean): void {
    const k = this.k;
    const op = i.op;
    const next = this.off + i.len;
    const reg = (op & 7) | ((i.rex & 1) << 3);
    const p = this.p;
    // A record recomputed from registers is written out before RSP or the popped register changes.
    if (p !== null && p.remat && (p.remat.includes(4) || (op >= 0x58 && op <= 0x5f && p.remat.includes(reg)))) this.materialize();
    const push = op === 0xe8 || op <= 0x57;
    const rsp = this.g(4), rsph = this.gh(4);
    this.written.add(4);
    if (push) {
      if (op === 0xe8) {
        this.line(`const s${k} = (base + ${next}) | 0, s${k}h = base + ${next} >= ${TWO47} ? (Math.floor((base + ${next}) / 4294967296) | -65536) : Math.floor((base + ${next}) / 4294967296);`);
      } else {
        this.line(`const s${k} = ${this.g(reg)}, s${k}h = ${this.gh(reg)};`);
      }
      this.line(`const n${k} = (${rsp} - 8) | 0, n${k}h = (${rsph} - ((${rsp} >>> 0) < 8 ? 1 : 0)) | 0;`);
    } else {
      this.line(`const n${k} = ${rsp}, n${k}h = ${rsph};`);
    }
    this.line(`la = ((n${k}h << 16) >> 16) === n${k}h ? (n${k}h & 65535) * 4294967296 + (n${k} >>> 0) : -1;`);
    this.line('if (la < 0) d = -1; else {');
    this.pageOffset(8, push);
    this.line('}');
    if (push) {
      this.line('if (d >= 0 && d <= 4088) {');
      this.line(`const pa = wB + d; dv.setInt32(pa, s${k}, true); dv.setInt32(pa + 4, s${k}h, true); ${rsp} = n${k}; ${rsph} = n${k}h;`);
      if (op === 0xe8) this.exitTo(next, k, this.off, ` xj = 8; xr = ${i.imm};`);
    } else {
      this.line(`let ok${k} = false;`);
      this.line('if (d >= 0 && d <= 4088) {');
      this.line(`const pa = rB + d, v = dv.getInt32(pa, true), vh = dv.getInt32(pa + 4, true);`);
      if (op === 0xc3) {
        // RET: the return address must be canonical (else the handler raises #GP with RSP unchanged).
        this.line(`if (((vh << 16) >> 16) === vh) { ok${k} = true; ${rsp} = (n${k} + 8) | 0; ${rsph} = (n${k}h + ((n${k} >>> 0) >= 4294967288 ? 1 : 0)) | 0;`);
        this.exitTo(`(vh & 65535) * 4294967296 + (v >>> 0) - base`, k + 1, this.off);
        this.line('}');
      } else {
        this.written.add(reg);
        // POP RSP loads RSP with the value read (the increment is overwritten).
        this.line(`ok${k} = true; ${rsp} = (n${k} + 8) | 0; ${rsph} = (n${k}h + ((n${k} >>> 0) >= 4294967288 ? 1 : 0)) | 0; ${this.g(reg)} = v; ${this.gh(reg)} = vh;`);
      }
      this.line('}');
      this.line(`if (!ok${k}) {`);
    }
    if (push) this.line('} else {');
    this.materializeCopy();
    this.callHandler(next, last || op === 0xe8 || op === 0xc3, false);
    this.line('}');
  }

  /**
   * PUSH/POP r32 outside 64-bit mode with a 32-bit stack (SS.B = 1) whose segment is flat (Cpu.flatSegments:
   * base 0, limit 4 GiB, writable for PUSH): ESP is the linear address, looked up in the TLB inline, 4 bytes
   * written or read in RAM, ESP moved once the access is done (its upper half zeroed, as Cpu.push/pop do).
   * Anything else (another stack, a TLB miss, a page end inside the 4 bytes, ESP at the 4 GiB end) calls the
   * handler, which faults or completes exactly as interpreted.
   */
  private stack32(i: Insn, last: boolean): void {
    const k = this.k;
    const op = i.op;
    const next = this.off + i.len;
    const reg = op & 7;
    const p = this.p;
    // A record recomputed from registers is written out before ESP or the popped register changes.
    if (p !== null && p.remat && (p.remat.includes(4) || (op >= 0x58 && p.remat.includes(reg)))) this.materialize();
    this.usesFlat = true;
    const push = op <= 0x57;
    const esp = this.g(4), esph = this.gh(4);
    this.written.add(4);
    if (push) {
      this.line(`const s${k} = ${this.g(reg)}, n${k} = (${esp} - 4) >>> 0;`);
      this.line(`la = (flat & 4) !== 0 && c.stackSize === 4 && n${k} <= 4294967292 ? n${k} : -1;`);
    } else {
      this.line(`const n${k} = ${esp} >>> 0;`);
      this.line(`la = (flat & 1024) !== 0 && c.stackSize === 4 && n${k} <= 4294967292 ? n${k} : -1;`);
    }
    this.line('if (la < 0) d = -1; else {');
    this.pageOffset(4, push);
    this.line('}');
    this.line('if (d >= 0 && d <= 4092) {');
    if (push) {
      this.line(`dv.setInt32(wB + d, s${k}, true); ${esp} = n${k} | 0; ${esph} = 0;`);
    } else {
      this.written.add(reg);
      // POP ESP loads ESP with the value read (the increment is overwritten).
      this.line(`const v${k} = dv.getInt32(rB + d, true); ${esp} = (n${k} + 4) | 0; ${esph} = 0; ${this.g(reg)} = v${k}; ${this.gh(reg)} = 0;`);
    }
    this.line('} else {');
    this.materializeCopy();
    this.callHandler(next, last, true);
    this.line('}');
  }

  /** The back edge of a loop: continue while the run loop would enter this block again right away. */
  private backEdge(): void {
    const n = this.n;
    this.line(`ic += ${this.k + 1};`);
    this.line(`if (ic + ${n} <= lim) continue;`);
    this.line(`{ const l = clock.nextDeadline < end ? clock.nextDeadline : end; if (ic + ${n} <= l && !c.stopRequested && !(c.irqLine.nmiPending && !c.nmiBlocked && ic >= c.shadowUntil) && ((c.flags & 512) === 0 || ic < c.shadowUntil || !c.irqPending())) { lim = ic < c.shadowUntil ? 0 : l; continue; } }`);
  }

  private jcc(i: Insn, last: boolean): void {
    const k = this.k;
    const next = this.off + i.len;
    const uncond = i.op === 0xeb || i.op === 0xe9;
    const cond = uncond ? 'true' : this.ccExpr(i.op & 0xf);
    const toStart = next + i.imm === 0;
    this.line(`if (${cond}) {`);
    if (toStart && this.deferLoopFlags) {
      this.backEdge();
      this.exitTo(0, 0, this.off);
      this.line('}');
      if (last) this.exitTo(next, k + 1, this.off);
      return;
    }
    if (toStart && this.rematAtTop) {
      // The next iteration recomputes this record from the registers (rematAtTop), which the Jcc leaves as the
      // CMP/TEST/INC/DEC left them; the first iteration's record was the CPU's. INC/DEC's CF goes round in fX.
      const p = this.p;
      this.line(`fk = 1;${this.rematAtTop.aux === 'fX' ? ` fX = ${p !== null ? p.aux : 'c.lfAux'};` : ''}`);
      this.backEdge();
      this.exitTo(0, 0, this.off);
      this.line('}');
      if (last) this.exitTo(next, k + 1, this.off);
      return;
    }
    if (toStart) {
      // The record goes round to the next iteration in locals (CARRIED); written to the CPU if the loop leaves.
      if (this.p !== null && this.p.op === ROT) this.materialize();
      const p = this.p;
      if (p === null) this.line(CARRY_LOAD);
      else if (p !== CARRIED) this.line(`fOp = ${p.op}; fSize = ${p.size}; fR = ${p.res}; fRh = ${p.resHi}; fA = ${p.a}; fAh = ${p.aHi}; fB = ${p.b}; fBh = ${p.bHi}; fX = ${p.aux};`);
      this.backEdge();
      const saved = this.p;
      this.p = CARRIED;
      this.exitTo(0, 0, this.off);
      this.p = saved;
    } else {
      this.exitTo(next, k, this.off, ` xj = ${i.osz}; xr = ${i.imm};`);
    }
    this.line('}');
    if (last) this.exitTo(next, k + 1, this.off);
  }

  // ------------------------------------------------------------------------------------- flags
  private cfExpr(): string {
    const p = this.p;
    if (!p || p === CARRIED) { this.materialize(); return 'getCF(c)'; }
    if (p.remat) {
      this.p = { ...p, remat: undefined };
      const e = this.cfExpr();
      this.p = p;
      return `(fk !== 0 ? ${e} : getCF(c))`;
    }
    switch (p.op) {
      case LF.ADD: return below(p.size, p.res, p.resHi, p.a, p.aHi);
      case LF.SUB: return below(p.size, p.a, p.aHi, p.b, p.bHi);
      // flags.ts getCF: a carry in makes res == a (ADC) or a == b (SBB) carry too.
      case LF.ADC: return `(${below(p.size, p.res, p.resHi, p.a, p.aHi)} || (${p.aux} !== 0 && !${below(p.size, p.a, p.aHi, p.res, p.resHi)}))`;
      case LF.SBB: return `(${below(p.size, p.a, p.aHi, p.b, p.bHi)} || (${p.aux} !== 0 && !${below(p.size, p.b, p.bHi, p.a, p.aHi)}))`;
      case LF.LOGIC: return 'false';
      case LF.SHL: return msbExpr(p.size, p.a, p.aHi);
      case LF.SAR: return `((${p.a} & 1) !== 0)`;
      case ROT: return `(${p.cf} !== 0)`;
      default: return `(${p.aux} !== 0)`;
    }
  }

  /** Condition cc (SDM Appendix B) as a JS expression; falls back to testCC on the materialized flags. */
  private ccExpr(cc: number): string {
    const p = this.p;
    const kind = cc >> 1;
    if (p && p.remat && kind !== 5) {
      this.p = { ...p, remat: undefined };
      const e = this.ccExpr(cc);
      this.p = p;
      return `(fk !== 0 ? ${e} : testCC(c, ${cc}))`;
    }
    if (p && p.op === ROT && kind <= 1) {
      const e = kind === 0 ? `(${p.of} !== 0)` : `(${p.cf} !== 0)`;
      return cc & 1 ? `!${e}` : e;
    }
    if (!p || kind === 5 || p === CARRIED || p.op === ROT) {
      this.materialize();
      return `testCC(c, ${cc})`;
    }
    const s = p.size;
    const neg = (e: string): string => (s === 8 || s === 4 ? `(${e} < 0)` : `((${e} & ${s === 1 ? 0x80 : 0x8000}) !== 0)`);
    const zf = s === 8 ? `((${p.res} | ${p.resHi}) === 0)` : s === 4 ? `(${p.res} === 0)` : `((${p.res} & ${s === 1 ? 255 : 65535}) === 0)`;
    const sf = s === 8 ? `(${p.resHi} < 0)` : neg(p.res);
    let of: string;
    switch (p.op) {
      case LF.ADD: case LF.ADC: case LF.INC:
        of = s === 8 ? `(((${p.aHi} ^ ${p.resHi}) & (${p.bHi} ^ ${p.resHi})) < 0)` : neg(`((${p.a} ^ ${p.res}) & (${p.b} ^ ${p.res}))`);
        break;
      case LF.SUB: case LF.SBB: case LF.DEC:
        of = s === 8 ? `(((${p.aHi} ^ ${p.bHi}) & (${p.aHi} ^ ${p.resHi})) < 0)` : neg(`((${p.a} ^ ${p.b}) & (${p.a} ^ ${p.res}))`);
        break;
      case LF.SHL: case LF.SAR:
        of = s === 8 ? `((${p.aHi} ^ ${p.resHi}) < 0)` : neg(`(${p.a} ^ ${p.res})`);
        break;
      case LF.MUL: of = `(${p.aux} !== 0)`; break;
      default: of = 'false';
    }
    let e: string;
    switch (kind) {
      case 0: e = of; break;
      case 1: e = this.cfExpr(); break;
      case 2: e = zf; break;
      case 3: e = `(${this.cfExpr()} || ${zf})`; break;
      case 4: e = sf; break;
      case 6: e = `(${sf} !== ${of})`; break;
      default: e = `(${zf} || ${sf} !== ${of})`; break;
    }
    return cc & 1 ? `!${e}` : e;
  }
}

/**
 * The record a CMP or TEST of registers (or a register and an immediate), or an INC/DEC of a register, at 32
 * or 64 bits leaves, as expressions over the register locals (as Gen.alu and Gen.incDec compute it; INC/DEC's
 * kept CF is the local fX), with the registers it depends on; undefined for any other instruction.
 */
function registerRecord(i: Insn): Pending | undefined {
  if (inlineKind(i) === K.INCDEC && i.mod === 3 && i.op === 0xff && (i.osz === 4 || i.osz === 8)) {
    const r = i.rm, wide = i.osz === 8, g = `g${r}`, gh = `g${r}h`;
    const dec = (i.reg & 7) === 1;
    // The operand before the instruction: the result plus or minus one, with the borrow or carry between halves.
    const a = dec ? `((${g} + 1) | 0)` : `((${g} - 1) | 0)`;
    const aHi = !wide ? '0' : dec ? `((${gh} + (${g} === -1 ? 1 : 0)) | 0)` : `((${gh} - (${g} === 0 ? 1 : 0)) | 0)`;
    return { op: dec ? LF.DEC : LF.INC, size: i.osz, res: g, resHi: wide ? gh : '0', a, aHi, b: '1', bHi: '0', aux: 'fX', remat: [r] };
  }
  if (inlineKind(i) !== K.ALU || !registerOnly(i)) return undefined;
  const op = i.op;
  const size = opSize(i);
  if (size !== 4 && size !== 8) return undefined;
  let test: boolean;
  let ra: number;
  let rb = -1;
  if (op === 0x39 || op === 0x85) { test = op === 0x85; ra = i.rm; rb = i.reg; }
  else if (op === 0x3b) { test = false; ra = i.reg; rb = i.rm; }
  else if (op === 0x3d || op === 0xa9) { test = op === 0xa9; ra = 0; }
  else if ((op === 0x81 || op === 0x83) && (i.reg & 7) === 7) { test = false; ra = i.rm; }
  else return undefined;
  const wide = size === 8;
  const A = `g${ra}`, Ah = wide ? `g${ra}h` : '0';
  const B = rb >= 0 ? `g${rb}` : String(i.imm), Bh = wide ? (rb >= 0 ? `g${rb}h` : String(i.immHi)) : '0';
  const remat = rb >= 0 ? [ra, rb] : [ra];
  if (test) {
    return { op: LF.LOGIC, size, res: `(${A} & ${B})`, resHi: wide ? `(${Ah} & ${Bh})` : '0', a: '0', aHi: '0', b: '0', bHi: '0', aux: '0', remat };
  }
  const res = wide ? `(((${A} >>> 0) - (${B} >>> 0)) | 0)` : `((${A} - ${B}) | 0)`;
  const resHi = wide ? `((${Ah} - ${Bh} - ((${A} >>> 0) < (${B} >>> 0) ? 1 : 0)) | 0)` : '0';
  return { op: LF.SUB, size, res, resHi, a: A, aHi: Ah, b: B, bHi: Bh, aux: '0', remat };
}

/** Assignments of a record's locals to the exit's fOp..fX. */
/** Write a known record to the CPU (flags.ts setRecord). */
function recordCall(p: Pending): string {
  return `setRec(c, ${p.op}, ${p.size}, ${p.res}, ${p.resHi}, ${p.a}, ${p.aHi}, ${p.b}, ${p.bHi}, ${p.aux});`;
}

function assignRecord(p: Pending): string {
  return `fOp = ${p.op}; fSize = ${p.size}; fR = ${p.res}; fRh = ${p.resHi}; fA = ${p.a}; fAh = ${p.aHi}; fB = ${p.b}; fBh = ${p.bHi}; fX = ${p.aux};`;
}

/** Top bit at `size` of a value held in locals, as a boolean expression. */
function msbExpr(size: number, lo: string, hi: string): string {
  if (size === 8) return `(${hi} < 0)`;
  if (size === 4) return `(${lo} < 0)`;
  return `((${lo} & ${size === 1 ? 0x80 : 0x8000}) !== 0)`;
}

/** Unsigned x < y at `size` over locals. */
function below(size: number, x: string, xh: string, y: string, yh: string): string {
  if (size === 8) return `(${xh} !== ${yh} ? (${xh} >>> 0) < (${yh} >>> 0) : (${x} >>> 0) < (${y} >>> 0))`;
  if (size === 4) return `((${x} >>> 0) < (${y} >>> 0))`;
  const m = size === 1 ? 255 : 65535;
  return `((${x} & ${m}) < (${y} & ${m}))`;
}
