import type { VirtualClock } from '../clock';
import type { Cpu } from './cpu';
import { getCF, LF, testCC } from './flags';
import type { Insn } from './insn';

/**
 * Block translation (PERFORMANCE.md "Translation"): a hot decoded block becomes one JS function built with
 * `new Function`, which V8 then optimizes. The common 32/64-bit integer instructions (MOV, LEA, ADD/SUB/
 * AND/OR/XOR/CMP/TEST, INC/DEC, Jcc/JMP rel) are emitted inline with the handlers' semantics; every other
 * instruction calls its interpreter handler, so the interpreter stays the reference for everything.
 *
 * Contract with Cpu.run (identical observable behaviour to interpreting the block):
 * - entered only when the whole block fits in the instruction budget and before the next timer deadline
 *   (the interpreter ends a block at a deadline); on return clock.instructions and RIP are exactly what the
 *   interpreter would leave;
 * - before anything that may fault (memory operand, handler call, branch target check) the function stores
 *   insnStart and the retired count, and materializes the lazy flags, so the run loop's fault path sees the
 *   interpreter's state;
 * - after every memory write or handler call it leaves early, like the interpreter, when the write hit
 *   decoded code (codeDirty), a stop was requested, an interrupt became deliverable, or the handler
 *   redirected RIP;
 * - flags are tracked symbolically inside the block: a flag-setting instruction's record is written to
 *   the CPU (cpu.lf*) only when something may observe it, and Jcc after a known operation tests the
 *   condition inline;
 * - a block whose last instruction branches back to its own start loops inside the function, checking
 *   exactly what the run loop checks between blocks (timer deadline, budget, stop request, interrupts).
 */
export type BlockFn = (c: Cpu, clock: VirtualClock, end: number) => void;

/** Flag-setting operation known at translation time: names of the JS locals that hold its operands. */
interface Pending { op: LF; size: number; res: string; resHi: string; a: string; aHi: string; b: string; bHi: string; aux: string }

/** The interpreter ends a block after the instruction that made an interrupt deliverable (Cpu.irqLine). */
const IRQ = '((c.flags & 512) !== 0 && c.irqLine?.pending === true)';

const ALU_LF = [LF.ADD, LF.LOGIC, -1, -1, LF.LOGIC, LF.SUB, LF.LOGIC, LF.SUB];
const ALU_JS = ['+', '|', '', '', '&', '-', '^', '-'];

/** Translate a decoded block starting at linear RIP `c.rip` (position independent: RIP is read at entry). */
export function translateBlock(insns: readonly Insn[], long: boolean): BlockFn {
  const g = new Gen(insns, long);
  const src = g.emit();
  const factory = new Function('I', 'testCC', 'getCF', src) as (I: readonly Insn[], t: typeof testCC, cf: typeof getCF) => BlockFn;
  return factory(insns, testCC, getCF);
}

/** Can this instruction be emitted inline (otherwise its handler is called)? */
function inlineKind(i: Insn): number {
  if (i.lock || i.rep !== 0) return 0;
  const op = i.op;
  const sz = i.osz === 4 || i.osz === 8;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f) || op === 0xeb || op === 0xe9) return K.JCC;
  if (!sz) return 0;
  if (op < 0x40 && (op & 7) <= 5 && (op & 7) !== 0 && (op & 7) !== 2 && (op & 7) !== 4) {
    const alu = op >> 3;
    if (alu === 2 || alu === 3) return 0; // ADC/SBB
    return K.ALU;
  }
  if (op === 0x81 || op === 0x83) { const alu = i.reg & 7; return alu === 2 || alu === 3 ? 0 : K.ALU; }
  if (op === 0x85 || op === 0xa9) return K.ALU;
  if (op === 0xff && (i.reg & 7) < 2) return K.INCDEC;
  if (op === 0x89 || op === 0x8b || (op >= 0xb8 && op <= 0xbf)) return K.MOV;
  if (op === 0xc7 && (i.reg & 7) === 0) return K.MOV;
  if (op === 0x8d && i.mod !== 3) return K.MOV;
  return 0;
}

const enum K { JCC = 1, ALU = 2, INCDEC = 3, MOV = 4 }

class Gen {
  private out: string[] = [];
  private p: Pending | null = null;
  private off = 0;
  private k = 0;
  private readonly n: number;
  private readonly loops: boolean;
  private readonly total: number;

  constructor(private readonly insns: readonly Insn[], private readonly long: boolean) {
    this.n = insns.length;
    let total = 0;
    for (const i of insns) total += i.len;
    this.total = total;
    const last = insns[insns.length - 1];
    this.loops = inlineKind(last) === K.JCC && total + last.imm === 0;
  }

  emit(): string {
    const head: string[] = [];
    for (let k = 0; k < this.n; k++) head.push(`const i${k} = I[${k}], h${k} = i${k}.exec;`);
    this.line('const r = c.r;');
    this.line('const base = c.rip;');
    this.line('let ic = clock.instructions;');
    this.line('let la = 0;');
    if (this.loops) this.line('for (;;) {');
    for (let k = 0; k < this.n; k++) {
      this.k = k;
      this.insn(this.insns[k], k === this.n - 1);
      this.off += this.insns[k].len;
    }
    const lastI = this.insns[this.n - 1];
    if (inlineKind(lastI) !== K.JCC && lastI.endsBlock !== true) {
      // The block ends at a page boundary or the size limit: fall through.
      this.materialize();
      this.line(`c.rip = base + ${this.total}; clock.instructions = ic + ${this.n}; return;`);
    }
    if (this.loops) this.line('}');
    return `${head.join('\n')}\nreturn function block(c, clock, end) {\n${this.out.join('\n')}\n};`;
  }

  private line(s: string): void { this.out.push(s); }

  /** Write the pending flag record to the CPU (cpu.lf*), so handlers and exception delivery see it. */
  private materialize(): void {
    const p = this.p;
    if (!p) return;
    this.line(`c.lfOp = ${p.op}; c.lfSize = ${p.size}; c.lfRes = ${p.res}; c.lfResHi = ${p.resHi}; c.lfA = ${p.a}; c.lfAHi = ${p.aHi}; c.lfB = ${p.b}; c.lfBHi = ${p.bHi}; c.lfAux = ${p.aux};`);
    this.p = null;
  }

  /** Precise state before something that may fault. */
  private faultPoint(i: Insn): void {
    this.materialize();
    this.line(`c.insnStart = base + ${this.off}; clock.instructions = ic + ${this.k};${i.ripRel ? ` c.rip = base + ${this.off + i.len};` : ''}`);
  }

  /** After a memory write: leave like the interpreter does when the write hit code or asked to stop. */
  private afterWrite(i: Insn, last: boolean): void {
    if (last) return;
    this.line(`if (c.codeDirty || c.stopRequested || ${IRQ}) {`);
    this.materializeCopy();
    this.line(`c.rip = base + ${this.off + i.len}; clock.instructions = ic + ${this.k + 1}; return; }`);
  }

  /** Materialize inside an early-exit branch without forgetting the pending record on the main path. */
  private materializeCopy(): void {
    const p = this.p;
    this.materialize();
    this.p = p;
  }

  private insn(i: Insn, last: boolean): void {
    switch (inlineKind(i)) {
      case K.JCC: this.jcc(i); return;
      case K.ALU: this.alu(i, last); return;
      case K.INCDEC: this.incDec(i, last); return;
      case K.MOV: this.mov(i, last); return;
      default: this.generic(i, last);
    }
  }

  private generic(i: Insn, last: boolean): void {
    const k = this.k;
    const next = this.off + i.len;
    this.materialize();
    this.line(`c.insnStart = base + ${this.off}; c.rip = base + ${next}; clock.instructions = ic + ${k};`);
    this.line(`h${k}(c, i${k});`);
    if (last) { this.line(`clock.instructions = ic + ${k + 1}; return;`); return; }
    this.line(`if (c.codeDirty || c.stopRequested || c.rip !== base + ${next} || ${IRQ}) { clock.instructions = ic + ${k + 1}; return; }`);
  }

  // ---------------------------------------------------------------------------------- operands
  /** Emit a read of the r/m operand into locals `${v}` / `${v}h`; returns true if it was memory. */
  private readRm(i: Insn, v: string, write: boolean): void {
    const size = i.osz;
    if (i.mod === 3) {
      this.line(`const ${v} = r[${2 * i.rm}], ${v}h = ${size === 8 ? `r[${2 * i.rm + 1}]` : '0'};`);
      return;
    }
    this.faultPoint(i);
    this.line(`la = c.memAddr(i${this.k}, ${size}, ${write});`);
    if (size === 8) this.line(`const ${v} = c.rd64(la), ${v}h = c.hi;`);
    else this.line(`const ${v} = c.rd(la, 4), ${v}h = 0;`);
  }

  private writeReg(reg: number, size: number, lo: string, hi: string): void {
    this.line(`r[${2 * reg}] = ${lo}; r[${2 * reg + 1}] = ${size === 8 ? hi : '0'};`);
  }

  /** Write the r/m operand; for memory `la` already holds the address (read-modify-write) unless `fresh`. */
  private writeRm(i: Insn, lo: string, hi: string, last: boolean, fresh: boolean): void {
    if (i.mod === 3) { this.writeReg(i.rm, i.osz, lo, hi); return; }
    if (fresh) {
      this.faultPoint(i);
      this.line(`la = c.memAddr(i${this.k}, ${i.osz}, true);`);
    }
    if (i.osz === 8) this.line(`c.wr64(la, ${lo}, ${hi});`);
    else this.line(`c.wr(la, 4, ${lo});`);
    this.afterWrite(i, last);
  }

  // -------------------------------------------------------------------------------- instructions
  private mov(i: Insn, last: boolean): void {
    const k = this.k;
    const op = i.op;
    if (op >= 0xb8 && op <= 0xbf) {
      this.writeReg((op - 0xb8) | ((i.rex & 1) << 3), i.osz, String(i.imm), String(i.immHi));
    } else if (op === 0x8b) {
      this.readRm(i, `v${k}`, false);
      this.writeReg(i.reg, i.osz, `v${k}`, `v${k}h`);
    } else if (op === 0x89) {
      this.writeRm(i, `r[${2 * i.reg}]`, `r[${2 * i.reg + 1}]`, last, true);
    } else if (op === 0xc7) {
      this.writeRm(i, String(i.imm), String(i.immHi), last, true);
    } else {
      // LEA: the effective address, no memory access, no fault.
      if (i.ripRel) this.line(`c.rip = base + ${this.off + i.len};`);
      this.line(`const e${k} = c.ea(i${k});`);
      this.writeReg(i.reg, i.osz, `(e${k} | 0)`, i.asz === 8 ? `(Math.floor(e${k} / 4294967296) | 0)` : '0');
    }
  }

  private alu(i: Insn, last: boolean): void {
    const k = this.k;
    const op = i.op;
    let alu: number;
    let bSrc: 'reg' | 'imm';
    let dstIsRm = true;
    if (op === 0x85) { alu = 8; bSrc = 'reg'; }
    else if (op === 0xa9) { alu = 8; bSrc = 'imm'; }
    else if (op === 0x81 || op === 0x83) { alu = i.reg & 7; bSrc = 'imm'; }
    else {
      alu = op >> 3;
      const form = op & 7;
      bSrc = form === 5 ? 'imm' : 'reg';
      dstIsRm = form === 1;
      if (form === 3) dstIsRm = false;
    }
    const size = i.osz;
    const writes = alu !== 7 && alu !== 8;
    const accForm = op === 0xa9 || (op < 0x40 && (op & 7) === 5);
    // a = destination operand, b = source operand
    if (accForm) {
      this.line(`const a${k} = r[0], a${k}h = ${size === 8 ? 'r[1]' : '0'};`);
    } else if (dstIsRm) {
      this.readRm(i, `a${k}`, writes);
    } else {
      this.line(`const a${k} = r[${2 * i.reg}], a${k}h = ${size === 8 ? `r[${2 * i.reg + 1}]` : '0'};`);
    }
    if (bSrc === 'imm') this.line(`const b${k} = ${i.imm}, b${k}h = ${size === 8 ? i.immHi : 0};`);
    else if (dstIsRm || op === 0x85) this.line(`const b${k} = r[${2 * i.reg}], b${k}h = ${size === 8 ? `r[${2 * i.reg + 1}]` : '0'};`);
    else this.readRm(i, `b${k}`, false);
    const a = `a${k}`, ah = `a${k}h`, b = `b${k}`, bh = `b${k}h`, lo = `r${k}`, hi = `r${k}h`;
    if (alu === 0 || alu === 5 || alu === 7) {
      const sign = ALU_JS[alu];
      if (size === 8) {
        this.line(`const s${k} = (${a} >>> 0) ${sign} (${b} >>> 0), ${lo} = s${k} | 0;`);
        this.line(alu === 0
          ? `const ${hi} = (${ah} + ${bh} + (s${k} > 4294967295 ? 1 : 0)) | 0;`
          : `const ${hi} = (${ah} - ${bh} - (s${k} < 0 ? 1 : 0)) | 0;`);
      } else {
        this.line(`const ${lo} = (${a} ${sign} ${b}) | 0, ${hi} = 0;`);
      }
      this.p = { op: ALU_LF[alu], size, res: lo, resHi: hi, a, aHi: ah, b, bHi: bh, aux: '0' };
    } else {
      const sign = alu === 8 ? '&' : ALU_JS[alu];
      this.line(`const ${lo} = ${a} ${sign} ${b}, ${hi} = ${size === 8 ? `${ah} ${sign} ${bh}` : '0'};`);
      this.p = { op: LF.LOGIC, size, res: lo, resHi: hi, a: '0', aHi: '0', b: '0', bHi: '0', aux: '0' };
    }
    if (!writes) return;
    if (accForm) this.writeReg(0, size, lo, hi);
    else if (dstIsRm) this.writeRm(i, lo, hi, last, false);
    else this.writeReg(i.reg, size, lo, hi);
  }

  private incDec(i: Insn, last: boolean): void {
    const k = this.k;
    const size = i.osz;
    const dec = (i.reg & 7) === 1;
    const cf = this.cfExpr();
    this.line(`const cf${k} = ${cf} ? 1 : 0;`);
    this.readRm(i, `a${k}`, true);
    const a = `a${k}`, ah = `a${k}h`, lo = `r${k}`, hi = `r${k}h`;
    if (dec) this.line(`const ${lo} = (${a} - 1) | 0, ${hi} = ${size === 8 ? `(${ah} - (${a} === 0 ? 1 : 0)) | 0` : '0'};`);
    else this.line(`const ${lo} = (${a} + 1) | 0, ${hi} = ${size === 8 ? `(${ah} + (${a} === -1 ? 1 : 0)) | 0` : '0'};`);
    this.p = { op: dec ? LF.DEC : LF.INC, size, res: lo, resHi: hi, a, aHi: ah, b: '1', bHi: '0', aux: `cf${k}` };
    this.writeRm(i, lo, hi, last, false);
  }

  private jcc(i: Insn): void {
    const k = this.k;
    const next = this.off + i.len;
    const uncond = i.op === 0xeb || i.op === 0xe9;
    const cond = uncond ? 'true' : this.ccExpr(i.op & 0xf);
    const toSelf = this.loops && k === this.n - 1;
    this.line(`if (${cond}) {`);
    this.materializeCopy();
    if (toSelf) {
      // Back edge: continue only while the run loop would enter this block again right away.
      this.line(`ic += ${this.n};`);
      this.line(`if (ic + ${this.n} <= clock.nextDeadline && ic + ${this.n} <= end && !c.stopRequested && ((c.flags & 512) === 0 || ic < c.shadowUntil || !c.irqPending())) continue;`);
      this.line(`c.rip = base; clock.instructions = ic; return;`);
    } else {
      this.line(`c.insnStart = base + ${this.off}; clock.instructions = ic + ${k}; c.rip = base + ${next};`);
      this.line(`c.relTarget(${i.imm}, ${i.osz}); clock.instructions = ic + ${k + 1}; return;`);
    }
    this.line('}');
    this.materialize();
    this.line(`c.rip = base + ${next}; clock.instructions = ic + ${k + 1}; return;`);
  }

  // ------------------------------------------------------------------------------------- flags
  private cfExpr(): string {
    const p = this.p;
    if (!p) return 'getCF(c)';
    switch (p.op) {
      case LF.ADD: return below(p.size, p.res, p.resHi, p.a, p.aHi);
      case LF.SUB: return below(p.size, p.a, p.aHi, p.b, p.bHi);
      case LF.LOGIC: return 'false';
      default: return `(${p.aux} !== 0)`;
    }
  }

  /** Condition cc (SDM Appendix B) as a JS expression; falls back to testCC on the materialized flags. */
  private ccExpr(cc: number): string {
    const p = this.p;
    const kind = cc >> 1;
    if (!p || kind === 5) {
      this.materialize();
      return `testCC(c, ${cc})`;
    }
    const zf = p.size === 8 ? `((${p.res} | ${p.resHi}) === 0)` : p.size === 4 ? `(${p.res} === 0)` : '';
    const sf = p.size === 8 ? `(${p.resHi} < 0)` : `(${p.res} < 0)`;
    let of: string;
    switch (p.op) {
      case LF.ADD: case LF.INC:
        of = p.size === 8 ? `(((${p.aHi} ^ ${p.resHi}) & (${p.bHi} ^ ${p.resHi})) < 0)` : `(((${p.a} ^ ${p.res}) & (${p.b} ^ ${p.res})) < 0)`;
        break;
      case LF.SUB: case LF.DEC:
        of = p.size === 8 ? `(((${p.aHi} ^ ${p.bHi}) & (${p.aHi} ^ ${p.resHi})) < 0)` : `(((${p.a} ^ ${p.b}) & (${p.a} ^ ${p.res})) < 0)`;
        break;
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

/** Unsigned x < y at `size` (4 or 8) over locals. */
function below(size: number, x: string, xh: string, y: string, yh: string): string {
  if (size === 8) return `(${xh} !== ${yh} ? (${xh} >>> 0) < (${yh} >>> 0) : (${x} >>> 0) < (${y} >>> 0))`;
  return `((${x} >>> 0) < (${y} >>> 0))`;
}
