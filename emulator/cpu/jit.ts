import type { VirtualClock } from '../clock';
import type { Cpu } from './cpu';
import { getCF, getFlags, setRecord, testCC } from './flags';
import type { Insn } from './insn';
import { jcc } from './jit-branch';
import { footprint, inlineKind, isCondBranch, K, keepsSegments, readsCarry, registerOnly } from './jit-classify';
import { assignRecord, CARRIED, CARRY_LOAD, Pending, recordCall, registerRecord, ROT } from './jit-flags';
import { alu, cmov, imul, incDec, moffs, mov, movx, mulWide, setcc, shift, shiftCl, unary, xchg } from './jit-integer';
import { stack, stack32 } from './jit-stack';
import { stringOp } from './jit-string';
import { flagControl, invlpg } from './jit-system';
import { imul64Overflows, mulS64, mulU64, P } from './mul128';
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
 * - after every slow-path memory access or handler call it leaves early, like the interpreter, when the write
 *   hit decoded code (codeDirty), a stop was requested, device code moved the timer deadline into the rest of
 *   the block, an interrupt became deliverable, or the handler redirected RIP;
 * - flags are tracked symbolically inside the block: a flag-setting instruction's record is written to
 *   the CPU (cpu.lf*) only when something may observe it, and Jcc after a known operation tests the
 *   condition inline;
 * - a block may hold conditional branches before its end (Cpu.buildBlock continues past a Jcc): a taken
 *   one leaves the block; one that branches back to the block's start loops inside the function, checking
 *   exactly what the run loop checks between blocks (timer deadline, budget, stop request, interrupts).
 */
export type BlockFn = (c: Cpu, clock: VirtualClock, end: number) => number;

/**
 * What a translated block returns when it ran inline code only: no handler call (but the light ones, which touch
 * only registers and arithmetic flags) and no slow memory path, so it changed nothing but guest registers, the
 * arithmetic flags, RAM through the TLB (never a code page, MMIO or a watched page), RIP and the count. Device
 * code did not run, so no interrupt line, timer deadline or stop request moved; nor did the mode, segments,
 * IF/TF/RF, the TLB or decoded code. Cpu.run then enters the next translated block with fewer checks (runChain).
 * Anything else returns BLOCK_EVENTFUL.
 */
export const BLOCK_QUIET = 0;
export const BLOCK_EVENTFUL = 1;

/**
 * After a slow memory path (which may reach device code: MMIO, a code page, a watched page), the block is still
 * quiet (BLOCK_QUIET) when everything the run loop checks between blocks that device code can change is as it was
 * at the block's entry: the timer deadline (runChain holds it), the interrupt and NMI lines, the TLB epoch (a
 * memory-map change flushes the TLB), no stop request and no code written. Nothing else such code reaches (mode,
 * segments, IF/TF/RF, DR7, halt) can change. xv6 reads its LAPIC ID (MMIO) at every lock: its blocks stay quiet.
 */
const UNCHANGED = 'clock.nextDeadline === dl0 && c.irqLine.pending === ip0 && c.irqLine.nmiPending === np0 && c.tlbEpoch === te0 && !c.stopRequested && !c.codeDirty';

const LOOP_CHUNK = 1 << 18;
/**
 * Calls of a new loop translation that run a single iteration (see Gen.emit). V8 allocates a function's
 * type-feedback vector only once it has run 8 times its bytecode size (--interrupt-budget-factor-for-feedback-
 * allocation), and one iteration runs part of the function (not its slow paths and exits): with 16, bench-paging's
 * copy and remap loops still had no feedback for their back edge's full check when V8 optimized them, and
 * deoptimized there (each deoptimization: a 20-80 ms recompile, the loop in V8's bytecode interpreter meanwhile).
 */
const WARM_CALLS = 32;

/**
 * Whether the arithmetic flags are dead at instruction t: from there, register moves (which neither read the
 * flags nor can fault) lead to a register-only ALU instruction that sets every flag without reading any. Nothing
 * can observe the record on the way (no exit, fault or handler call), so a branch to t need not carry it.
 */
function flagsDeadAt(insns: readonly Insn[], t: number): boolean {
  for (let k = t; k < insns.length; k++) {
    const i = insns[k];
    const kind = inlineKind(i);
    if (kind === K.ALU) return registerOnly(i) && !readsCarry(i);
    const move = (kind === K.MOV || kind === K.MOVX) && ((i.op >= 0xb0 && i.op <= 0xbf) || i.op === 0x8d || (i.hasModrm && i.mod === 3));
    if (!move && kind !== K.NOP) return false;
  }
  return false;
}

/** Translate a decoded block starting at linear RIP `c.rip` (position independent: RIP is read at entry). */
export function translateBlock(insns: readonly Insn[], long: boolean, tlbMask: number): BlockFn {
  const g = new Gen(insns, long, tlbMask);
  const src = g.emit();
  const factory = new Function('I', 'testCC', 'getCF', 'getFlags', 'setRec', 'shiftOp', 'imulOvf', 'mulU64', 'mulS64', 'P', src) as
    (I: readonly Insn[], t: typeof testCC, cf: typeof getCF, gf: typeof getFlags, sr: typeof setRecord, so: typeof shiftOp,
      io: typeof imul64Overflows, mu: typeof mulU64, ms: typeof mulS64, p: typeof P) => BlockFn;
  return factory(insns, testCC, getCF, getFlags, setRecord, shiftOp, imul64Overflows, mulU64, mulS64, P);
}

/**
 * The code generator of one block: the state shared by the instruction families' emitters (jit-*.ts), the
 * per-instruction dispatch, handler calls, exits and the function's prologue and epilogue.
 */
export class Gen {
  /** The body's lines; the pending flag record (jit-flags.ts); the byte offset and index of the instruction. */
  out: string[] = [];
  p: Pending | null = null;
  off = 0;
  k = 0;
  /** Instruction count; whether a Jcc/JMP branches back to the block's start (the body loops in place). */
  readonly n: number;
  readonly loops: boolean;
  /**
   * The loop body starts with a register-only ALU instruction, which sets every arithmetic flag without
   * reading any and cannot fault: nothing in the next iteration observes the flag record the back edge
   * leaves, so it is written to the CPU only when the loop exits.
   */
  readonly deferLoopFlags: boolean;
  /**
   * The loop's back edge is a Jcc right after a CMP or TEST of registers (or a register and an immediate), or
   * an INC/DEC of a register, at 32 or 64 bits: the record the back edge leaves is then recomputed from those
   * registers where the next iteration needs it (INC/DEC's kept CF in one local, fX), instead of being carried
   * round in nine locals (CARRIED), which cost a tight loop a third of its speed in register pressure.
   * undefined: CARRIED.
   */
  readonly rematAtTop: Pending | undefined;
  readonly total: number;
  /**
   * Forward branches inside the block: a Jcc's index → the index of the instruction it branches to, when that
   * instruction is a later one of this block (64-bit code, or 32-bit operands: see jcc in jit-branch.ts). A taken
   * one continues there inside the function (a labelled block T<t> closes right before instruction t) instead
   * of leaving to the run loop, which would chain straight back into the block translated at t.
   */
  readonly inner = new Map<number, number>();
  /** Per target index: whether the flags are dead there (see flagsDeadAt); the targets, highest first. */
  readonly deadAt = new Map<number, boolean>();
  readonly targets: number[];
  /** Byte offset of each instruction from the block's start. */
  readonly offs: number[] = [];
  /** Guest registers held in JS locals (g<n>, g<n>h), and those the block writes (spilled at sync points). */
  readonly used = new Set<number>();
  readonly written = new Set<number>();
  /** The block has memory operands outside 64-bit mode: it reads the segment masks (Cpu.flatSegments). */
  usesFlat = false;
  /** Segments whose base and limit the block holds in locals (sb<s>, sl<s>; see segment()). */
  readonly segs = new Set<number>();
  /** The instruction being emitted has a slow path (see afterSlow). */
  slowHere = false;
  /** A loop block's page caches, one per memory access site (see pageCache), as `${r|w}${n}`. */
  readonly sites: string[] = [];

  constructor(readonly insns: readonly Insn[], readonly long: boolean, readonly tlbMask: number) {
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
    let off = 0;
    const at = new Map<number, number>();
    for (let k = 0; k < this.n; k++) { this.offs.push(off); at.set(off, k); off += insns[k].len; }
    for (let k = 0; k < this.n - 1; k++) {
      const i = insns[k];
      if (!isCondBranch(i) || (!long && i.osz !== 4)) continue;
      const t = at.get(this.offs[k] + i.len + i.imm);
      // A loop whose next iteration recomputes the back edge's record from the CMP/TEST before it
      // (rematAtTop) must run that CMP/TEST: its back edge is no target.
      if (t === undefined || t <= k || (this.rematAtTop !== undefined && t === this.n - 1)) continue;
      this.inner.set(k, t);
      if (!this.deadAt.has(t)) this.deadAt.set(t, flagsDeadAt(insns, t));
    }
    this.targets = [...this.deadAt.keys()].sort((a, b) => b - a);
  }

  emit(): string {
    const head: string[] = [];
    for (let k = 0; k < this.n; k++) head.push(`const i${k} = I[${k}], h${k} = i${k}.exec;`);
    this.line('X: {');
    if (this.loops) this.line('for (;;) {');
    if (this.loops && !this.deferLoopFlags) this.p = this.rematAtTop ?? CARRIED;
    // Every forward branch's labelled block opens here, so that they nest (the lowest target innermost).
    for (const t of this.targets) this.line(`T${t}: {`);
    for (let k = 0; k < this.n; k++) {
      this.k = k;
      if (this.deadAt.has(k)) {
        // The fall-through into a branch target: the flag record in the form every branch to it leaves.
        this.joinFlags(k);
        this.line('}');
      }
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
    // A taken branch: the target inline while it stays in RIP's half of the canonical space (64-bit) or inside
    // CS's limit; Cpu.relTarget for the rest (wrapping, the #GP cases).
    this.line(this.long
      ? 'if (xj !== 0) { const s = base + xo, t = s + xr; if (s < 140737488355328 ? t >= 0 && t < 140737488355328 : t >= 140737488355328 && t < 281474976710656) c.rip = t; else c.relTarget(xr, xj); clock.instructions = ic + xk + 1; }'
      : 'if (xj !== 0) { const t = xj === 2 ? (base + xo + xr) & 65535 : (base + xo + xr) >>> 0; if (t <= c.segLimit[1] || (c.cr0 & 1) === 0) c.rip = t; else c.relTarget(xr, xj); clock.instructions = ic + xk + 1; }');
    // A slow memory path (sw) ran device code only if something the run loop looks at between blocks changed.
    const slow = this.out.some((l) => l.includes('@SLOW@'));
    // A loop's warm-up calls (see WARM_CALLS) evaluate the test whatever ran, so that V8 has its type feedback when
    // it optimizes the loop: else the first slow path after that (a write to a page the history just took a
    // snapshot of, a TLB flush) deoptimized the optimized loop here, at its exit, again at every such pass.
    this.line(this.loops && slow
      ? `if ((sw || warm !== 0) && ev === 0 && !(${UNCHANGED}) && sw) ev = ${BLOCK_EVENTFUL};`
      : `if (sw && ev === 0 && !(${UNCHANGED})) ev = ${BLOCK_EVENTFUL};`);
    this.line('return ev;');
    const used = [...this.used].sort((a, b) => a - b);
    const written = [...this.written].sort((a, b) => a - b);
    const spill = written.map((g) => `r[${2 * g}] = g${g}; r[${2 * g + 1}] = g${g}h;`).join(' ');
    const reloadRegs = used.map((g) => `g${g} = r[${2 * g}]; g${g}h = r[${2 * g + 1}];`).join(' ');
    const segs = [...this.segs].sort((a, b) => a - b);
    const reload = reloadRegs + (this.usesFlat ? ' flat = c.flatSegments();' : '') + segs.map((s) => ` sb${s} = c.segBase[${s}]; sl${s} = c.segLimit[${s}];`).join('');
    // The page caches are dropped wherever the TLB, CPL or write epoch may change (a slow path, a handler).
    const drop = ['rP', 'wP', ...this.sites.map((s) => `${s}P`)].map((v) => `${v} = -65536;`).join(' ');
    const pre = [
      'const r = c.r, rT = c.rTlb, wT = c.wTlb, m8 = c.u8, dv = c.dv;',
      'const base = c.rip;',
      'let ic = clock.instructions;',
      'let la = 0, ti = 0, off = 0, pg = 0, sl = false;',
      // The page the block last read / wrote through the TLB (pageOffset): linear page base (-65536: none) and
      // its physical base.
      'let rP = -65536, rB = 0, wP = -65536, wB = 0, d = 0;',
      ...this.sites.map((s) => `let ${s}P = -65536, ${s}B = 0;`),
      // The exit (exitTo): RIP and insnStart as offsets from base, retired count past ic, the flag record to
      // write (bit 0: fOp..fX; bit 1: a rotate's CF/OF in fC/fO over it), a relative jump (operand size, rel).
      'let xo = 0, xk = 0, xs = 0, xf = 0, xj = 0, xr = 0;',
      'let fOp = 0, fSize = 0, fR = 0, fRh = 0, fA = 0, fAh = 0, fB = 0, fBh = 0, fX = 0, fC = 0, fO = 0;',
    ];
    if (used.length) pre.push(`let ${used.map((g) => `g${g} = r[${2 * g}], g${g}h = r[${2 * g + 1}]`).join(', ')};`);
    // Cpu.flatMask: flatSegments() as run() computed it for this chain of quiet blocks.
    if (this.usesFlat) pre.push('let flat = c.flatMask;');
    if (segs.length) pre.push(`let ${segs.map((s) => `sb${s} = c.segBase[${s}], sl${s} = c.segLimit[${s}]`).join(', ')};`);
    if (this.loops && !this.deferLoopFlags) pre.push(this.rematAtTop ? 'let fk = 0;' : CARRY_LOAD);
    if (this.loops) {
      // lim: the count up to which the back edge may start another iteration (of at most n instructions)
      // without looking at anything else. Only helper calls and slow paths run device code (which may request
      // a stop, raise an interrupt line or move a timer deadline), so they set lim = -1, and the next back edge
      // does the run loop's full check; so does the first one inside an interrupt shadow (MOV SS, STI), which
      // ends during the loop.
      // A call returns to the run loop (which enters it again) at least every LOOP_CHUNK instructions: V8
      // then runs the loop in fully optimized code rather than its slower on-stack-replacement version.
      // The first WARM_CALLS calls run one iteration each and leave through the back edge's full check and
      // the epilogue. V8 allocates a function's type-feedback vector only after it has run a while, and code
      // without feedback deoptimizes the optimized function the first time it runs: this way both have
      // feedback before V8 optimizes the loop while it runs (on-stack replacement).
      // `end + 0.5 - 0.5`: a number to V8 (a parameter is of any type), so that lim, a loop phi of it, is an unboxed
      // double (else the back edge's count test unboxes it on every iteration); exact for any count (< 2^52). Not
      // `+end`: the run loop passes counts below 2^30 as small integers, V8 specializes `+end` on them, and every
      // loop optimized before the count passed 2^30 deoptimized there ("not a Smi": 17 on the Linux boot); a sum
      // with 0.5 has a double result, so its feedback takes any number. The cap is computed and compared in every
      // call, warm-up or not: code only the calls after the warm-up run would have no type feedback either.
      pre.push(`end = end + 0.5 - 0.5; let cap = ic + ${LOOP_CHUNK}; if (warm > 0) { warm--; cap = ic + ${this.n}; } if (end > cap) end = cap;`);
      pre.push(`let lim = ic < c.shadowUntil ? -1 : (clock.nextDeadline < end ? clock.nextDeadline : end) - ${this.n};`);
    }
    // A slow memory access (a TLB miss) calls Cpu.rd/wr/probeWrite with the registers still in locals: none of
    // them reads a register; when one faults, the catch writes them back (sp = 1: the locals are current; 0
    // while a handler runs, which owns the CPU's registers and may have changed some before it faulted). One
    // write-back here instead of one per memory operand keeps the translation small (V8 compiles less).
    pre.push('let sp = 1;');
    // sw: a slow memory path ran (@SLOW@: a TLB miss, MMIO, a code page, Cpu.memAddr); what the run loop checks
    // between blocks and device code may change, as it was at entry (see UNCHANGED).
    pre.push('let sw = false;');
    if (slow) pre.push('const dl0 = clock.nextDeadline, ip0 = c.irqLine.pending, np0 = c.irqLine.nmiPending, te0 = c.tlbEpoch;');
    // ev: BLOCK_EVENTFUL once a handler ran (callHandler), or a slow path changed what UNCHANGED compares; the return value.
    pre.push(`let ev = ${BLOCK_QUIET};`);
    const wrapped = spill === '' ? this.out : ['try {', ...this.out, `} catch (e) { if (sp !== 0) { ${spill} } throw e; }`];
    const body = [...pre, ...wrapped].join('\n')
      .replace(/@S(\d+)@/g, (_, g: string) => `r[${2 * +g}] = g${g}; r[${2 * +g + 1}] = g${g}h;`)
      .replace(/@L(\d+)@/g, (_, g: string) => `g${g} = r[${2 * +g}]; g${g}h = r[${2 * +g + 1}];`).replace(/@SPILL@/g, spill).replace(/@RELOADR@/g, reloadRegs).replace(/@RELOAD@/g, reload).replace(/@SLOW@/g, `${this.loops ? 'lim = -1; ' : ''}sw = true; sl = true; @DROP@`).replace(/@DROP@/g, drop).replace(/@Q@/g, this.loops ? 'lim = -1;' : '');
    if (this.loops) head.push(`let warm = ${WARM_CALLS};`);
    // Only the instructions the body names (handler calls, Cpu.memAddr/lea64/ea): most are inline.
    const refs = new Set<string>();
    for (const m of body.matchAll(/\b[ih](\d+)\b/g)) refs.add(m[1]);
    const named = head.filter((h) => !h.startsWith('const i') || refs.has(/^const i(\d+)/.exec(h)?.[1] ?? ''));
    // Named for profiles and V8's traces: a loop's translation is `loop`, any other `block`.
    return `'use strict';\n${named.join('\n')}\nreturn function ${this.loops ? 'loop' : 'block'}(c, clock, end) {\n${body}\n};`;
  }

  line(s: string): void { this.out.push(s); }

  /** Whether the block is still quiet here (see BLOCK_QUIET, UNCHANGED), as a JS expression. */
  quiet(): string {
    return this.out.some((l) => l.includes('@SLOW@')) ? `ev === 0 && (!sw || (${UNCHANGED}))` : 'ev === 0';
  }

  /**
   * Leave the function through its one epilogue: RIP = base + rip, the count ic + count, insnStart at the
   * last instruction executed (base + at), as the interpreter leaves them (insnStart is CPU state); the
   * pending flag record and the guest registers are written there. An exit site only assigns locals: code
   * V8 has not run yet has no type feedback, and an optimized block deoptimizes the first time it reaches
   * such code, so every exit shares the epilogue's feedback (and the block's source stays short).
   * `jump`: assignments of xj/xr for a taken relative branch (Cpu.relTarget, which may fault, in the epilogue).
   */
  exitTo(rip: number | string, count: number, at: number, jump = ''): void {
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

  /**
   * Bring the pending flag record into the form it has where control flow from several places joins (at the
   * target of a forward branch inside the block): none at all when the flags are dead there, else the
   * loop-carried locals fOp..fX (CARRIED), which every path assigns; the names of one path's locals would not
   * be in scope on another.
   */
  joinFlags(target: number): void {
    if (this.deadAt.get(target) === true) { this.p = null; return; }
    const p = this.p;
    if (p === CARRIED) return;
    if (p === null) this.line(CARRY_LOAD);
    else if (p.op === ROT) { this.materialize(); this.line(CARRY_LOAD); }
    else if (p.remat) this.line(`if (fk !== 0) { ${assignRecord({ ...p, remat: undefined })} } else { ${CARRY_LOAD} }`);
    else this.line(assignRecord(p));
    this.p = CARRIED;
  }

  /**
   * The locals holding segment `s`'s base and limit, read at entry and again with the segment masks after a
   * handler that may load a segment register (@RELOAD@). Uses the segment masks too.
   */
  segment(s: number): [string, string] {
    this.usesFlat = true;
    this.segs.add(s);
    return [`sb${s}`, `sl${s}`];
  }

  /**
   * The page cache a memory access site uses (pageOffset): the names of its linear page base (-65536: none) and
   * physical base. Outside a loop, one per direction for the whole block (rP/rB, wP/wB): consecutive accesses
   * mostly stay on one page (the stack, a structure). A loop gives each site its own: a loop that reads a
   * structure and a buffer, or two buffers, on different pages would otherwise miss at every access and look
   * the TLB up again (the decompressor's LZ copy loop, mpihelp's multiply-accumulate over two vectors).
   */
  pageCache(write: boolean): [string, string] {
    if (!this.loops) return write ? ['wP', 'wB'] : ['rP', 'rB'];
    const s = `${write ? 'w' : 'r'}${this.sites.length}`;
    this.sites.push(s);
    return [`${s}P`, `${s}B`];
  }

  g(reg: number): string { this.used.add(reg); return `g${reg}`; }
  gh(reg: number): string { this.used.add(reg); return `g${reg}h`; }

  /** Write the pending flag record to the CPU (cpu.lf*), so handlers and exception delivery see it. */
  materialize(): void {
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
  materializeCopy(): void {
    const p = this.p;
    this.materialize();
    this.p = p;
  }

  /** Precise state before something that may fault, inside a slow-path branch (the record stays pending). */
  faultPoint(i: Insn, readsAddrRegs = false): void {
    this.slowHere = true;
    this.materializeCopy();
    this.line(`@SLOW@ ${readsAddrRegs ? this.syncAddrRegs(i) : ''}c.insnStart = base + ${this.off}; clock.instructions = ic + ${this.k};${i.ripRel ? ` c.rip = base + ${this.off + i.len};` : ''}`);
  }

  /**
   * Write back the registers a memory operand's address is computed from: Cpu.memAddr, Cpu.ea and Cpu.lea64
   * read only those (and RIP); the catch writes back the rest if they fault.
   */
  syncAddrRegs(i: Insn): string {
    let s = '';
    for (const g of [i.base, i.index]) if (g >= 0) { this.used.add(g); s += `@S${g}@ `; }
    return s;
  }

  /**
   * Whether the block must leave after device code may have run (a slow memory path, a handler), as a JS
   * expression: Cpu.endsBlock, given the count at the end of this pass through the block (a timer deadline moved
   * before it: the run loop interprets the rest and stops at the deadline as the interpreter does).
   */
  endsBlock(): string { return `c.endsBlock(ic + ${this.n})`; }

  /** An inline instruction took a slow path (sl), which may have run device code (MMIO) or written
   *  decoded code: once it completes, leave where the interpreter would end its block. */
  afterSlow(i: Insn): void {
    this.line(`if (sl) { sl = false; if (${this.endsBlock()}) {`);
    this.exitTo(this.off + i.len, this.k + 1, this.off);
    this.line('} }');
  }

  insn(i: Insn, last: boolean): void {
    this.slowHere = false;
    switch (inlineKind(i)) {
      case K.JCC: jcc(this, i, last); return;
      case K.ALU: alu(this, i, last); break;
      case K.INCDEC: incDec(this, i, last); break;
      case K.MOV: mov(this, i, last); break;
      case K.MOVX: movx(this, i, last); break;
      case K.SHIFT: shift(this, i, last); break;
      case K.NOP: break;
      case K.SETCC: setcc(this, i, last); break;
      case K.CMOV: cmov(this, i, last); break;
      case K.IMUL: imul(this, i, last); break;
      case K.UNARY: unary(this, i, last); break;
      case K.MULWIDE: mulWide(this, i, last); break;
      case K.STACK: stack(this, i, last); return;
      case K.STACK32: stack32(this, i, last); return;
      case K.MOFFS: moffs(this, i, last); return;
      case K.SHIFTCL: shiftCl(this, i); break;
      case K.INVLPG: invlpg(this, i, last); return;
      case K.STRING: stringOp(this, i, last); return;
      case K.FLAGCTL: flagControl(this, i, last); return;
      case K.XCHG: xchg(this, i, last); break;
      default: this.generic(i, last); return;
    }
    if (this.slowHere && !last) this.afterSlow(i);
  }

  generic(i: Insn, last: boolean): void {
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
  callHandler(next: number, leave: boolean, keepsSegs: boolean): void {
    const k = this.k;
    this.line(`@Q@ ev = ${BLOCK_EVENTFUL}; @DROP@ @SPILL@ c.insnStart = base + ${this.off}; c.rip = base + ${next}; clock.instructions = ic + ${k};`);
    this.line(`sp = 0; h${k}(c, i${k});`);
    if (leave) { this.line(`clock.instructions = ic + ${k + 1}; return ${BLOCK_EVENTFUL};`); return; }
    this.line(`if (c.rip !== base + ${next} || ${this.endsBlock()}) { clock.instructions = ic + ${k + 1}; return ${BLOCK_EVENTFUL}; }`);
    this.line(keepsSegs ? '@RELOADR@ sp = 1;' : '@RELOAD@ sp = 1;');
  }

}
