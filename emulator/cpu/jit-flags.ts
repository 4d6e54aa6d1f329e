import { LF } from './flags';
import type { Insn } from './insn';
import type { Gen } from './jit';
import { inlineKind, K, opSize, registerOnly } from './jit-classify';

/**
 * Translation (jit.ts): flags tracked symbolically inside a block. A flag-setting instruction leaves a Pending
 * record naming the JS locals of its operands; conditions (Jcc, SETcc, CMOVcc, ADC/SBB's carry in) are computed
 * from it inline, and it is written to the CPU's lazy record (flags.ts) only where something may observe it.
 */

/**
 * Flag-setting operation known at translation time: names of the JS locals that hold its operands. A rotate
 * (op ROT) changes only CF and OF: it keeps the record before it (prev) and its own CF/OF as 0/1 locals.
 */
export interface Pending {
  op: LF; size: number; res: string; resHi: string; a: string; aHi: string; b: string; bHi: string; aux: string;
  prev?: Pending | null; cf?: string; of?: string;
  /**
   * A loop's record at the start of an iteration, recomputed from registers (Gen.rematAtTop): the fields are
   * expressions over these guest registers' locals, valid while none of them is written; and only from the
   * second iteration on (fk !== 0): in the first one the CPU's own record (c.lf*) is current.
   */
  remat?: number[];
}

export const isRemat = (p: Pending | null): boolean => p !== null && p.remat !== undefined;

/** Pending.op of a rotate (ROL/ROR): not a lazy-record kind of flags.ts. */
export const ROT = -2 as LF;

/**
 * Inside a loop, the record the previous iteration's back edge left (or the CPU's at entry), held in
 * loop-carried locals instead of being written to the CPU on every iteration. Its operation is only known
 * at run time (op = -1), so conditions on it go through the materialized record.
 */
export const CARRIED: Pending = { op: -1 as LF, size: 0, res: 'fR', resHi: 'fRh', a: 'fA', aHi: 'fAh', b: 'fB', bHi: 'fBh', aux: 'fX' };
export const CARRY_LOAD = 'fOp = c.lfOp; fSize = c.lfSize; fR = c.lfRes; fRh = c.lfResHi; fA = c.lfA; fAh = c.lfAHi; fB = c.lfB; fBh = c.lfBHi; fX = c.lfAux;';

/** CF of the pending record as a JS boolean expression (materializes a record it cannot read). */
export function cfExpr(gen: Gen): string {
  const p = gen.p;
  if (!p || p === CARRIED) { gen.materialize(); return 'getCF(c)'; }
  if (p.remat) {
    gen.p = { ...p, remat: undefined };
    const e = cfExpr(gen);
    gen.p = p;
    return `(fk !== 0 ? ${e} : getCF(c))`;
  }
  switch (p.op) {
    case LF.ADD: return p.size === 8 ? carryOut(p, false) : below(p.size, p.res, p.resHi, p.a, p.aHi);
    // Compared from the operands: a CMP's result is otherwise dead (V8 drops it), and carryOut would need it.
    case LF.SUB: return below(p.size, p.a, p.aHi, p.b, p.bHi);
    case LF.ADC: return carryOut(p, false);
    case LF.SBB: return carryOut(p, true);
    case LF.LOGIC: return 'false';
    case LF.SHL: return msbExpr(p.size, p.a, p.aHi);
    case LF.SAR: return `((${p.a} & 1) !== 0)`;
    case ROT: return `(${p.cf} !== 0)`;
    case LF.IMUL64: return imulOvf(p);
    default: return `(${p.aux} !== 0)`;
  }
}

/**
 * CF of the pending record as a 0/1 JS number expression: a branch-free bit form where there is one (V8 compiles
 * `cond ? 1 : 0` to a branch and two moves), else cfExpr's boolean as 0/1. `kept`: for INC/DEC, which keep it.
 */
export function cfBit(gen: Gen, kept = false): string {
  const p = gen.p;
  if (kept && p && !p.remat && p !== CARRIED && p.op === LF.ADD && p.size === 8) {
    // INC/DEC keep CF, which is then mostly read by nothing but the exits, where V8 moves its computation: from
    // the result and the source alone (a + b carries iff r < b, unsigned), the destination's old value need not
    // stay live through the rest of the block (in bench-loop's `add rax, rcx; dec rcx; jnz` it took a register).
    const lb = borrowBit(p.res, p.b, `((${p.res} - ${p.b}) | 0)`);
    return borrowBit(p.resHi, p.bHi, `((${p.resHi} - ${p.bHi} - ${lb}) | 0)`);
  }
  if (p && !p.remat && p !== CARRIED && (p.size === 8 || p.size === 4)) {
    const w = p.size === 8;
    const a = w ? p.aHi : p.a, b = w ? p.bHi : p.b, r = w ? p.resHi : p.res;
    switch (p.op) {
      case LF.ADD: case LF.ADC: return carryBit(a, b, r);
      case LF.SUB: case LF.SBB: return borrowBit(a, b, r);
      case LF.LOGIC: return '0';
      case LF.SHL: return `(${a} >>> 31)`;
      case LF.SAR: return `(${p.a} & 1)`;
      case ROT: return p.cf as string;
      default: break;
    }
  }
  return `(${cfExpr(gen)} ? 1 : 0)`;
}

/**
 * The carry (borrow) out of the top bit of a 32-bit word x + y = r (x - y = r) as 0/1, whatever the carry
 * (borrow) in (carryWord). With y a constant whose top bit is clear, x & ~r (~x & r). Branch-free: the 64-bit
 * ADD/SUB/INC/DEC/LEA/PUSH/POP carry the low word's carry into the high word this way.
 */
export function carryBit(x: string, y: string, r: string): string {
  if (/^\d+$/.test(y) && Number(y) < 2 ** 31) return `((${x} & ~${r}) >>> 31)`;
  return `(${carryWord(x, y, r, false)} >>> 31)`;
}
export function borrowBit(x: string, y: string, r: string): string {
  if (/^\d+$/.test(y) && Number(y) < 2 ** 31) return `((~${x} & ${r}) >>> 31)`;
  return `(${carryWord(x, y, r, true)} >>> 31)`;
}

/** Condition cc (SDM Appendix B) as a JS expression; falls back to testCC on the materialized flags. */
export function ccExpr(gen: Gen, cc: number): string {
  const p = gen.p;
  const kind = cc >> 1;
  if (p && p.remat && kind !== 5) {
    gen.p = { ...p, remat: undefined };
    const e = ccExpr(gen, cc);
    gen.p = p;
    return `(fk !== 0 ? ${e} : testCC(c, ${cc}))`;
  }
  if (p && p.op === ROT && kind <= 1) {
    const e = kind === 0 ? `(${p.of} !== 0)` : `(${p.cf} !== 0)`;
    return cc & 1 ? `!${e}` : e;
  }
  if (!p || kind === 5 || p === CARRIED || p.op === ROT) {
    gen.materialize();
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
    case LF.IMUL64: of = imulOvf(p); break;
    default: of = 'false';
  }
  let e: string;
  switch (kind) {
    case 0: e = of; break;
    case 1: e = cfExpr(gen); break;
    case 2: e = zf; break;
    case 3: e = `(${cfExpr(gen)} || ${zf})`; break;
    case 4: e = sf; break;
    case 6: e = `(${sf} !== ${of})`; break;
    default: e = `(${zf} || ${sf} !== ${of})`; break;
  }
  return cc & 1 ? `!${e}` : e;
}

/**
 * The record a CMP or TEST of registers (or a register and an immediate), or an INC/DEC of a register, at 32
 * or 64 bits leaves, as expressions over the register locals (as alu and incDec in jit-integer.ts compute it; INC/DEC's
 * kept CF is the local fX), with the registers it depends on; undefined for any other instruction.
 */
export function registerRecord(i: Insn): Pending | undefined {
  const short = i.op >= 0x40 && i.op <= 0x4f; // INC/DEC r32 outside 64-bit mode
  if (inlineKind(i) === K.INCDEC && ((i.mod === 3 && i.op === 0xff) || short) && (i.osz === 4 || i.osz === 8)) {
    const r = short ? i.op & 7 : i.rm, wide = i.osz === 8, g = `g${r}`, gh = `g${r}h`;
    const dec = short ? i.op >= 0x48 : (i.reg & 7) === 1;
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

/** LF.IMUL64's CF = OF: the signed 128-bit product's overflow test (mul128.ts, the block's imulOvf), only where read. */
function imulOvf(p: Pending): string {
  return `imulOvf(${p.a}, ${p.aHi}, ${p.b}, ${p.bHi})`;
}

/** Write a known record to the CPU (flags.ts setRecord). */
export function recordCall(p: Pending): string {
  return `setRec(c, ${p.op}, ${p.size}, ${p.res}, ${p.resHi}, ${p.a}, ${p.aHi}, ${p.b}, ${p.bHi}, ${p.aux});`;
}

/** Assignments of a record's locals to the exit's fOp..fX. */
export function assignRecord(p: Pending): string {
  return `fOp = ${p.op}; fSize = ${p.size}; fR = ${p.res}; fRh = ${p.resHi}; fA = ${p.a}; fAh = ${p.aHi}; fB = ${p.b}; fBh = ${p.bHi}; fX = ${p.aux};`;
}

/** Top bit at `size` of a value held in locals, as a boolean expression. */
export function msbExpr(size: number, lo: string, hi: string): string {
  if (size === 8) return `(${hi} < 0)`;
  if (size === 4) return `(${lo} < 0)`;
  return `((${lo} & ${size === 1 ? 0x80 : 0x8000}) !== 0)`;
}

/**
 * The word whose top bit is the carry (borrow) out of the top bit of x + y = r (x - y = r), whatever the carry
 * (borrow) in: (x & y) | ((x | y) & ~r) ((~x & y) | (~(x ^ y) & r)).
 */
function carryWord(x: string, y: string, r: string, sub: boolean): string {
  return sub ? `((~${x} & ${y}) | (~(${x} ^ ${y}) & ${r}))` : `((${x} & ${y}) | ((${x} | ${y}) & ~${r}))`;
}

/**
 * CF of an ADD/ADC (SBB) record, branch-free from its operands and result (carryWord); at 64 bits, from the
 * high words alone. The compare form (below) branches on the high words, and V8 keeps that branch and both
 * compares: in bench-loop's `add rax, rcx; dec rcx; jnz`, the ADD's CF, which the DEC's record keeps, cost a
 * fifth of the loop's time that way and almost nothing this way.
 */
function carryOut(p: Pending, sub: boolean): string {
  const w = p.size === 8;
  const bits = carryWord(w ? p.aHi : p.a, w ? p.bHi : p.b, w ? p.resHi : p.res, sub);
  return msbExpr(p.size, bits, bits);
}

/** Unsigned x < y at `size` over locals. */
export function below(size: number, x: string, xh: string, y: string, yh: string): string {
  if (size === 8) return `(${xh} !== ${yh} ? (${xh} >>> 0) < (${yh} >>> 0) : (${x} >>> 0) < (${y} >>> 0))`;
  if (size === 4) return `((${x} >>> 0) < (${y} >>> 0))`;
  const m = size === 1 ? 255 : 65535;
  return `((${x} & ${m}) < (${y} & ${m}))`;
}
