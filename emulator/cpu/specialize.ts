import { aluOp, AluOp, incDec, rmw, Unary } from './alu';
import type { Cpu } from './cpu';
import { getCF, getOF, getPF, getSF, getZF, LF, setLazy } from './flags';
import { Handler, Insn } from './insn';

/**
 * Interpreter handlers specialised at decode time by operand form. The opcode table's handlers (alu.ts, mov.ts,
 * control.ts …) stay the reference and decide per execution between register and memory operands, among
 * operand sizes and ALU operations; for the most frequent forms of compiled code (MOV, ADD/SUB/AND/OR/XOR/CMP,
 * TEST, LEA, Jcc with 32- or 64-bit operands) the decoder installs one of these instead, which does the same
 * thing for that one form only. Each does exactly what its table handler does for that form, state for state:
 * the same memory accesses in the same order (so the same faults), the same lazy-flag record, the same c.hi
 * scratch value (the table handlers pass a stale c.hi as the high half of 32-bit operands: kept so a record
 * never depends on which handler ran). Anything else (LOCK, REP, 8/16-bit operands, ADC/SBB) keeps the table's.
 */

// ------------------------------------------------------------------------------------- MOV (89, 8B)
/** 89/8B with register operands, 32-bit: the destination's upper half is zeroed. */
const movRR32 = (dst: 'rm' | 'reg') => dst === 'rm'
  ? (c: Cpu, i: Insn): void => { const r = c.r; r[2 * i.rm] = r[2 * i.reg]; r[2 * i.rm + 1] = 0; }
  : (c: Cpu, i: Insn): void => { const r = c.r; r[2 * i.reg] = r[2 * i.rm]; r[2 * i.reg + 1] = 0; };
const movRR64 = (dst: 'rm' | 'reg') => dst === 'rm'
  ? (c: Cpu, i: Insn): void => { const r = c.r; const lo = r[2 * i.reg], hi = r[2 * i.reg + 1]; c.hi = hi; r[2 * i.rm] = lo; r[2 * i.rm + 1] = hi; }
  : (c: Cpu, i: Insn): void => { const r = c.r; const lo = r[2 * i.rm], hi = r[2 * i.rm + 1]; c.hi = hi; r[2 * i.reg] = lo; r[2 * i.reg + 1] = hi; };
const MOV_RR = [movRR32('rm'), movRR32('reg'), movRR64('rm'), movRR64('reg')];

function movLoad32(c: Cpu, i: Insn): void {
  const v = c.rd(c.memAddr(i, 4, false), 4);
  c.r[2 * i.reg] = v;
  c.r[2 * i.reg + 1] = 0;
}
function movLoad64(c: Cpu, i: Insn): void {
  const v = c.rd64(c.memAddr(i, 8, false));
  c.r[2 * i.reg] = v;
  c.r[2 * i.reg + 1] = c.hi;
}
function movStore32(c: Cpu, i: Insn): void {
  const v = c.r[2 * i.reg];
  c.wr(c.memAddr(i, 4, true), 4, v);
}
function movStore64(c: Cpu, i: Insn): void {
  const lo = c.r[2 * i.reg], hi = c.r[2 * i.reg + 1];
  c.hi = hi;
  c.wr64(c.memAddr(i, 8, true), lo, hi);
}

// ------------------------------------------------------------------------------------- ALU, register forms
// The table's aluEG/aluGE/group1 for mod = 3: `a` is the destination's value, `b` the source's (or the
// immediate); 32-bit forms pass c.hi as both high halves (readReg leaves it for size 4), 64-bit forms the
// registers' high halves (and readReg leaves c.hi at the second operand's).

/** ADD/SUB/CMP/AND/OR/XOR at 32 bits on lo halves `a`, `b`; h = the stale c.hi the table handler would pass. */
function alu32(c: Cpu, op: number, a: number, b: number, h: number, bHi: number): number {
  switch (op) {
    case AluOp.ADD: {
      const lo = (a + b) | 0;
      c.lfAux = 0;
      setLazy(c, LF.ADD, 4, lo, 0, a, h, b, bHi);
      c.hi = 0;
      return lo;
    }
    case AluOp.SUB:
    case AluOp.CMP: {
      const lo = (a - b) | 0;
      c.lfAux = 0;
      setLazy(c, LF.SUB, 4, lo, 0, a, h, b, bHi);
      c.hi = 0;
      return lo;
    }
    case AluOp.OR: { const lo = a | b, hi = h | bHi; setLazy(c, LF.LOGIC, 4, lo, hi, 0, 0, 0, 0); c.hi = hi; return lo; }
    case AluOp.AND: { const lo = a & b, hi = h & bHi; setLazy(c, LF.LOGIC, 4, lo, hi, 0, 0, 0, 0); c.hi = hi; return lo; }
    default: { const lo = a ^ b, hi = h ^ bHi; setLazy(c, LF.LOGIC, 4, lo, hi, 0, 0, 0, 0); c.hi = hi; return lo; }
  }
}

/** op r/m, reg (EG) or op reg, r/m (GE), both registers, 32-bit. */
function aluRR32(op: number, dstRm: boolean): Handler {
  const write = op !== AluOp.CMP;
  return dstRm
    ? (c, i) => {
      const r = c.r, h = c.hi, d = 2 * i.rm;
      const v = alu32(c, op, r[d], r[2 * i.reg], h, h);
      if (write) { r[d] = v; r[d + 1] = 0; }
    }
    : (c, i) => {
      const r = c.r, h = c.hi, d = 2 * i.reg;
      const v = alu32(c, op, r[d], r[2 * i.rm], h, h);
      if (write) { r[d] = v; r[d + 1] = 0; }
    };
}

/** Group 1 (81, 83) on a register, 32-bit: op r32, imm. */
function aluRI32(op: number): Handler {
  const write = op !== AluOp.CMP;
  return (c, i) => {
    const r = c.r, d = 2 * i.rm;
    const v = alu32(c, op, r[d], i.imm, c.hi, i.immHi);
    if (write) { r[d] = v; r[d + 1] = 0; }
  };
}

/** 64-bit register forms: the table's aluOp with the registers' halves (no size or mod test per execution). */
function aluRR64(op: number, dstRm: boolean): Handler {
  const write = op !== AluOp.CMP;
  return (c, i) => {
    const r = c.r;
    const d = 2 * (dstRm ? i.rm : i.reg), s = 2 * (dstRm ? i.reg : i.rm);
    // (aluOp sets c.hi and reads no c.hi: what readReg left there before it does not matter.)
    const v = aluOp(c, op, 8, r[d], r[d + 1], r[s], r[s + 1]);
    if (write) { r[d] = v; r[d + 1] = c.hi; }
  };
}
function aluRI64(op: number): Handler {
  const write = op !== AluOp.CMP;
  return (c, i) => {
    const r = c.r, d = 2 * i.rm;
    const v = aluOp(c, op, 8, r[d], r[d + 1], i.imm, i.immHi);
    if (write) { r[d] = v; r[d + 1] = c.hi; }
  };
}

/** CMP with a memory operand, 32-bit: 39 (cmp [m], reg), 3B (cmp reg, [m]), 81/83 /7 (cmp [m], imm). */
function cmpMR32(c: Cpu, i: Insn): void {
  const a = c.rd(c.memAddr(i, 4, false), 4), h = c.hi;
  alu32(c, AluOp.CMP, a, c.r[2 * i.reg], h, h);
}
function cmpRM32(c: Cpu, i: Insn): void {
  const b = c.rd(c.memAddr(i, 4, false), 4), h = c.hi;
  alu32(c, AluOp.CMP, c.r[2 * i.reg], b, h, h);
}
function cmpMI32(c: Cpu, i: Insn): void {
  const a = c.rd(c.memAddr(i, 4, false), 4);
  alu32(c, AluOp.CMP, a, i.imm, c.hi, i.immHi);
}

/** The same at 64 bits (aluOp's CMP: the memory value's high half from rd64, the register's from r). */
function cmpMR64(c: Cpu, i: Insn): void {
  const a = c.rd64(c.memAddr(i, 8, false)), aHi = c.hi;
  const bHi = c.r[2 * i.reg + 1];
  c.hi = bHi;
  aluOp(c, AluOp.CMP, 8, a, aHi, c.r[2 * i.reg], bHi);
}
function cmpRM64(c: Cpu, i: Insn): void {
  const b = c.rd64(c.memAddr(i, 8, false)), bHi = c.hi;
  const aHi = c.r[2 * i.reg + 1];
  c.hi = aHi;
  aluOp(c, AluOp.CMP, 8, c.r[2 * i.reg], aHi, b, bHi);
}
function cmpMI64(c: Cpu, i: Insn): void {
  const a = c.rd64(c.memAddr(i, 8, false));
  aluOp(c, AluOp.CMP, 8, a, c.hi, i.imm, i.immHi);
}

// ------------------------------------------------------------------------------------- MOV r/m, imm (C7 /0)
function movRI32(c: Cpu, i: Insn): void { c.r[2 * i.rm] = i.imm; c.r[2 * i.rm + 1] = 0; }
function movRI64(c: Cpu, i: Insn): void { c.r[2 * i.rm] = i.imm; c.r[2 * i.rm + 1] = i.immHi; }
function movMI32(c: Cpu, i: Insn): void { c.wr(c.memAddr(i, 4, true), 4, i.imm); }
function movMI64(c: Cpu, i: Insn): void { c.wr64(c.memAddr(i, 8, true), i.imm, i.immHi); }

// ------------------------------------------------------------------------------------- MOVZX r32/r64, m8/m16 (0F B6/B7)
// A 32-bit write zero-extends, so both operand sizes store (value, 0).
function movzxM8(c: Cpu, i: Insn): void {
  const v = c.rd(c.memAddr(i, 1, false), 1);
  c.r[2 * i.reg] = v;
  c.r[2 * i.reg + 1] = 0;
}
function movzxM16(c: Cpu, i: Insn): void {
  const v = c.rd(c.memAddr(i, 2, false), 2);
  c.r[2 * i.reg] = v;
  c.r[2 * i.reg + 1] = 0;
}

// ------------------------------------------------------------------------------------- INC/DEC r/m (FF /0, /1)
// The table's grp5 → rmw → incDec: a 32-bit register passes the stale c.hi as its high half.
const INC_DEC_REG: Handler[] = [
  (c, i) => { const r = c.r, d = 2 * i.rm; r[d] = incDec(c, 4, r[d], c.hi, false); r[d + 1] = 0; },
  (c, i) => { const r = c.r, d = 2 * i.rm; r[d] = incDec(c, 4, r[d], c.hi, true); r[d + 1] = 0; },
  (c, i) => { const r = c.r, d = 2 * i.rm; r[d] = incDec(c, 8, r[d], r[d + 1], false); r[d + 1] = c.hi; },
  (c, i) => { const r = c.r, d = 2 * i.rm; r[d] = incDec(c, 8, r[d], r[d + 1], true); r[d + 1] = c.hi; },
];
// The memory forms: alu.ts's read-modify-write, without the FF group's dispatch.
const INC_DEC_MEM: Handler[] = [(c, i) => rmw(c, i, i.osz, Unary.INC), (c, i) => rmw(c, i, i.osz, Unary.DEC)];

// ------------------------------------------------------------------------------------- TEST (85)
function testRR32(c: Cpu, i: Insn): void {
  const h = c.hi;
  setLazy(c, LF.LOGIC, 4, c.r[2 * i.rm] & c.r[2 * i.reg], h, 0, 0, 0, 0);
}
function testMR32(c: Cpu, i: Insn): void {
  const a = c.rd(c.memAddr(i, 4, false), 4), h = c.hi;
  setLazy(c, LF.LOGIC, 4, a & c.r[2 * i.reg], h, 0, 0, 0, 0);
}
function testMR64(c: Cpu, i: Insn): void {
  const a = c.rd64(c.memAddr(i, 8, false)), aHi = c.hi;
  const bHi = c.r[2 * i.reg + 1];
  c.hi = bHi;
  setLazy(c, LF.LOGIC, 8, a & c.r[2 * i.reg], aHi & bHi, 0, 0, 0, 0);
}
function testRR64(c: Cpu, i: Insn): void {
  const r = c.r;
  const bHi = r[2 * i.reg + 1];
  c.hi = bHi;
  setLazy(c, LF.LOGIC, 8, r[2 * i.rm] & r[2 * i.reg], r[2 * i.rm + 1] & bHi, 0, 0, 0, 0);
}

// ------------------------------------------------------------------------------------- LEA (8D)
function lea32(c: Cpu, i: Insn): void {
  c.hi = 0;
  c.r[2 * i.reg] = c.ea(i) | 0;
  c.r[2 * i.reg + 1] = 0;
}
function lea64(c: Cpu, i: Insn): void {
  const v = c.lea64(i);
  c.r[2 * i.reg] = v;
  c.r[2 * i.reg + 1] = c.hi;
}

// ------------------------------------------------------------------------------------- Jcc (70-7F, 0F 80-8F)
// One function per condition, so none switches on the condition code per execution (flags.ts testCC).
const JCC: Handler[] = [
  (c, i) => { if (getOF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (!getOF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (getCF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (!getCF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (getZF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (!getZF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (getCF(c) || getZF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (!(getCF(c) || getZF(c))) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (getSF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (!getSF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (getPF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (!getPF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (getSF(c) !== getOF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (getSF(c) === getOF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (getZF(c) || getSF(c) !== getOF(c)) c.relTarget(i.imm, i.osz); },
  (c, i) => { if (!(getZF(c) || getSF(c) !== getOF(c))) c.relTarget(i.imm, i.osz); },
];

// Handlers built once per (operation, form): the decoder only picks one.
const ALU_OPS = [AluOp.ADD, AluOp.OR, AluOp.AND, AluOp.SUB, AluOp.XOR, AluOp.CMP];
const RR32: Handler[][] = [], RR64: Handler[][] = [], RI32: Handler[] = [], RI64: Handler[] = [];
for (const op of ALU_OPS) {
  RR32[op] = [aluRR32(op, true), aluRR32(op, false)];
  RR64[op] = [aluRR64(op, true), aluRR64(op, false)];
  RI32[op] = aluRI32(op);
  RI64[op] = aluRI64(op);
}

/**
 * The specialised handler for a decoded instruction, or null to keep its table handler. Called by the decoder
 * with the instruction fully decoded (the opcode table's row for `i.op` is the one in use).
 */
export function specialize(i: Insn): Handler | null {
  if (i.lock || i.rep !== 0 || i.vex) return null;
  const op = i.op;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) return JCC[op & 15];
  const osz = i.osz;
  if (osz !== 4 && osz !== 8) return null;
  const w = osz === 8;
  const reg = i.mod === 3;
  if (op < 0x40 && (op & 7) <= 3 && (op & 1) === 1) {
    // 01/03 (ADD), 09/0B (OR), 21/23 (AND), 29/2B (SUB), 31/33 (XOR), 39/3B (CMP): not ADC/SBB.
    const alu = op >> 3;
    if (alu === AluOp.ADC || alu === AluOp.SBB) return null;
    const dstRm = (op & 2) === 0;
    if (reg) return (w ? RR64 : RR32)[alu][dstRm ? 0 : 1];
    if (alu === AluOp.CMP) return w ? (dstRm ? cmpMR64 : cmpRM64) : dstRm ? cmpMR32 : cmpRM32;
    return null;
  }
  if (op === 0x81 || op === 0x83) {
    const alu = i.reg & 7;
    if (alu === AluOp.ADC || alu === AluOp.SBB) return null;
    if (reg) return (w ? RI64 : RI32)[alu];
    if (alu === AluOp.CMP) return w ? cmpMI64 : cmpMI32;
    return null;
  }
  switch (op) {
    case 0x89: return reg ? MOV_RR[w ? 2 : 0] : w ? movStore64 : movStore32;
    case 0x8b: return reg ? MOV_RR[w ? 3 : 1] : w ? movLoad64 : movLoad32;
    case 0x85: return reg ? (w ? testRR64 : testRR32) : w ? testMR64 : testMR32;
    case 0xc7:
      if ((i.reg & 7) !== 0) return null;
      return reg ? (w ? movRI64 : movRI32) : w ? movMI64 : movMI32;
    case 0xff:
      if ((i.reg & 7) > 1) return null;
      return reg ? INC_DEC_REG[(w ? 2 : 0) + (i.reg & 1)] : INC_DEC_MEM[i.reg & 1];
    case 0x1b6: return reg ? null : movzxM8;
    case 0x1b7: return reg ? null : movzxM16;
    case 0x8d:
      if (reg) return null;
      if (i.asz === 8 && w) return lea64;
      if (i.asz === 4 && !w) return lea32;
      return null;
  }
  return null;
}
