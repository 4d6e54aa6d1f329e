import type { Cpu } from './cpu';
import { getCF, LF, setLazy } from './flags';
import { Imm, Insn } from './insn';
import { def } from './table';

/**
 * Integer ALU: ADD OR ADC SBB AND SUB XOR CMP in all their encodings (00-3D, 80-83), TEST (84/85, A8/A9,
 * F6/F7 /0), INC/DEC (FE/FF /0-1, 40-4F outside 64-bit mode), NOT/NEG (F6/F7 /2-3). Exact flags through
 * lazy flags (flags.ts). LOCK is accepted on the memory forms (one CPU: every RMW is already atomic).
 */

const enum Op { ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7 }

/**
 * Compute a op b at `size` (1, 2, 4, 8), record flags, return the low half of the result; high half in c.hi.
 * Inputs for sizes < 8 may carry garbage above the size: results are masked by the writer.
 */
export function aluOp(c: Cpu, op: number, size: number, a: number, aHi: number, b: number, bHi: number): number {
  let lo: number, hi = 0;
  switch (op) {
    case Op.ADD:
    case Op.ADC: {
      const cin = op === Op.ADC && getCF(c) ? 1 : 0;
      if (size === 8) {
        // The low words' carry out, branch-free and whatever the carry in: the top bit of (a & b) | ((a | b) & ~lo).
        lo = (a + b + cin) | 0;
        hi = (aHi + bHi + (((a & b) | ((a | b) & ~lo)) >>> 31)) | 0;
      } else {
        lo = (a + b + cin) | 0;
      }
      c.lfAux = cin;
      setLazy(c, op === Op.ADC ? LF.ADC : LF.ADD, size, lo, hi, a, aHi, b, bHi);
      break;
    }
    case Op.SUB:
    case Op.CMP:
    case Op.SBB: {
      const bin = op === Op.SBB && getCF(c) ? 1 : 0;
      if (size === 8) {
        // The low words' borrow out, whatever the borrow in: the top bit of (~a & b) | (~(a ^ b) & lo).
        lo = (a - b - bin) | 0;
        hi = (aHi - bHi - (((~a & b) | (~(a ^ b) & lo)) >>> 31)) | 0;
      } else {
        lo = (a - b - bin) | 0;
      }
      c.lfAux = bin;
      setLazy(c, op === Op.SBB ? LF.SBB : LF.SUB, size, lo, hi, a, aHi, b, bHi);
      break;
    }
    case Op.OR: lo = a | b; hi = aHi | bHi; setLazy(c, LF.LOGIC, size, lo, hi, 0, 0, 0, 0); break;
    case Op.AND: lo = a & b; hi = aHi & bHi; setLazy(c, LF.LOGIC, size, lo, hi, 0, 0, 0, 0); break;
    default: lo = a ^ b; hi = aHi ^ bHi; setLazy(c, LF.LOGIC, size, lo, hi, 0, 0, 0, 0); break;
  }
  c.hi = hi;
  return lo;
}

function sizeOf(i: Insn, byteForm: boolean): number {
  return byteForm ? 1 : i.osz;
}

/** op r/m, reg (00, 01, 08, 09 …). */
function aluEG(op: number, byteForm: boolean) {
  return (c: Cpu, i: Insn): void => {
    const size = sizeOf(i, byteForm);
    if (i.mod === 3) {
      const a = c.readReg(i.rm, i.rex, size); const aHi = c.hi;
      const b = c.readReg(i.reg, i.rex, size); const bHi = c.hi;
      const r = aluOp(c, op, size, a, aHi, b, bHi);
      if (op !== Op.CMP) c.writeReg(i.rm, i.rex, size, r, c.hi);
      return;
    }
    const la = c.memAddr(i, size, op !== Op.CMP);
    const a = size === 8 ? c.rd64(la) : c.rd(la, size); const aHi = c.hi;
    const b = c.readReg(i.reg, i.rex, size); const bHi = c.hi;
    if (op !== Op.CMP) c.probeWrite(la, size);
    const r = aluOp(c, op, size, a, aHi, b, bHi);
    if (op === Op.CMP) return;
    if (size === 8) c.wr64(la, r, c.hi); else c.wr(la, size, r);
  };
}

/** op reg, r/m (02, 03, 0A, 0B …). */
function aluGE(op: number, byteForm: boolean) {
  return (c: Cpu, i: Insn): void => {
    const size = sizeOf(i, byteForm);
    const b = c.readE(i, size); const bHi = c.hi;
    const a = c.readReg(i.reg, i.rex, size); const aHi = c.hi;
    const r = aluOp(c, op, size, a, aHi, b, bHi);
    if (op !== Op.CMP) c.writeReg(i.reg, i.rex, size, r, c.hi);
  };
}

/** op AL/eAX, imm (04, 05, 0C, 0D …). */
function aluAI(op: number, byteForm: boolean) {
  return (c: Cpu, i: Insn): void => {
    const size = sizeOf(i, byteForm);
    const a = c.readReg(0, 0, size); const aHi = c.hi;
    const r = aluOp(c, op, size, a, aHi, i.imm, i.immHi);
    if (op !== Op.CMP) c.writeReg(0, 0, size, r, c.hi);
  };
}

/** Group 1 (80, 81, 83): op r/m, imm; the operation is ModRM.reg. */
function group1(byteForm: boolean) {
  return (c: Cpu, i: Insn): void => {
    const op = i.reg & 7;
    const size = sizeOf(i, byteForm);
    if (i.mod === 3) {
      const a = c.readReg(i.rm, i.rex, size); const aHi = c.hi;
      const r = aluOp(c, op, size, a, aHi, i.imm, i.immHi);
      if (op !== Op.CMP) c.writeReg(i.rm, i.rex, size, r, c.hi);
      return;
    }
    const la = c.memAddr(i, size, op !== Op.CMP);
    const a = size === 8 ? c.rd64(la) : c.rd(la, size); const aHi = c.hi;
    if (op !== Op.CMP) c.probeWrite(la, size);
    const r = aluOp(c, op, size, a, aHi, i.imm, i.immHi);
    if (op === Op.CMP) return;
    if (size === 8) c.wr64(la, r, c.hi); else c.wr(la, size, r);
  };
}

const NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
for (let op = 0; op < 8; op++) {
  const base = op * 8;
  def(base + 0, NAMES[op], true, Imm.NONE, aluEG(op, true));
  def(base + 1, NAMES[op], true, Imm.NONE, aluEG(op, false));
  def(base + 2, NAMES[op], true, Imm.NONE, aluGE(op, true));
  def(base + 3, NAMES[op], true, Imm.NONE, aluGE(op, false));
  def(base + 4, NAMES[op], false, Imm.IB, aluAI(op, true));
  def(base + 5, NAMES[op], false, Imm.IZ, aluAI(op, false));
}
def(0x80, 'grp1', true, Imm.IB, group1(true));
def(0x81, 'grp1', true, Imm.IZ, group1(false));
def(0x82, 'grp1', true, Imm.IB, group1(true), { i64: true });
def(0x83, 'grp1', true, Imm.IB, group1(false));

// TEST
function test(c: Cpu, size: number, a: number, aHi: number, b: number, bHi: number): void {
  setLazy(c, LF.LOGIC, size, a & b, aHi & bHi, 0, 0, 0, 0);
}
def(0x84, 'test', true, Imm.NONE, (c, i) => { const a = c.readE(i, 1); test(c, 1, a, 0, c.readReg(i.reg, i.rex, 1), 0); });
def(0x85, 'test', true, Imm.NONE, (c, i) => {
  const a = c.readE(i, i.osz); const aHi = c.hi;
  const b = c.readReg(i.reg, i.rex, i.osz);
  test(c, i.osz, a, aHi, b, c.hi);
});
def(0xa8, 'test', false, Imm.IB, (c, i) => test(c, 1, c.r[0], 0, i.imm, 0));
def(0xa9, 'test', false, Imm.IZ, (c, i) => { const a = c.readReg(0, 0, i.osz); test(c, i.osz, a, c.hi, i.imm, i.immHi); });

/** INC/DEC keep CF (SDM): the lazy record saves it in lfAux. */
export function incDec(c: Cpu, size: number, a: number, aHi: number, dec: boolean): number {
  const cf = getCF(c) ? 1 : 0;
  let lo: number, hi = 0;
  if (dec) {
    lo = (a - 1) | 0;
    hi = size === 8 ? (aHi - ((a | 0) === 0 ? 1 : 0)) | 0 : 0;
    setLazy(c, LF.DEC, size, lo, hi, a, aHi, 1, 0);
  } else {
    lo = (a + 1) | 0;
    hi = size === 8 ? (aHi + ((a | 0) === -1 ? 1 : 0)) | 0 : 0;
    setLazy(c, LF.INC, size, lo, hi, a, aHi, 1, 0);
  }
  c.lfAux = cf;
  c.hi = hi;
  return lo;
}

/** The unary read-modify-write operations on r/m (rmw). */
export const enum Unary { INC = 0, DEC = 1, NOT = 2, NEG = 3 }

function unaryOp(c: Cpu, op: Unary, size: number, a: number, aHi: number): number {
  switch (op) {
    case Unary.INC: return incDec(c, size, a, aHi, false);
    case Unary.DEC: return incDec(c, size, a, aHi, true);
    case Unary.NOT: c.hi = ~aHi; return ~a;
    default: return aluOp(c, Op.SUB, size, 0, 0, a, aHi);
  }
}

/** Read-modify-write of a unary op on r/m (an operation code, not a callback: no closure per instruction). */
export function rmw(c: Cpu, i: Insn, size: number, op: Unary): void {
  if (i.mod === 3) {
    const a = c.readReg(i.rm, i.rex, size);
    const r = unaryOp(c, op, size, a, c.hi);
    c.writeReg(i.rm, i.rex, size, r, c.hi);
    return;
  }
  const la = c.memAddr(i, size, true);
  const a = size === 8 ? c.rd64(la) : c.rd(la, size);
  const aHi = c.hi;
  c.probeWrite(la, size);
  const r = unaryOp(c, op, size, a, aHi);
  if (size === 8) c.wr64(la, r, c.hi); else c.wr(la, size, r);
}

for (let r = 0; r < 8; r++) {
  def(0x40 + r, 'inc', false, Imm.NONE, (c, i) => { const v = incDec(c, i.osz, c.r[2 * r], c.r[2 * r + 1], false); c.writeReg(r, 0, i.osz, v, c.hi); }, { i64: true });
  def(0x48 + r, 'dec', false, Imm.NONE, (c, i) => { const v = incDec(c, i.osz, c.r[2 * r], c.r[2 * r + 1], true); c.writeReg(r, 0, i.osz, v, c.hi); }, { i64: true });
}

/** NOT (no flags) and NEG (flags as 0 - x). */
export function notNeg(c: Cpu, i: Insn, size: number, neg: boolean): void {
  rmw(c, i, size, neg ? Unary.NEG : Unary.NOT);
}

export { Op as AluOp };
