import type { Cpu } from './cpu';
import { ud } from './fault';
import { ARITH_FLAGS, Flag } from './state';
import { getFlags } from './flags';
import { Imm, Insn } from './insn';
import { def } from './table';
import {
  add, classify, Cls, compare, copy, div, F80, IE, mul,
  setIndefinite, setInf, setZero, sqrt, st, W, roundPack, EXT_EMIN, EXT_EMAX,
} from './x87-float80';
import { fromF32, fromF64, OUT, toF32, toF64 } from './x87-convert';
import { prem, PREM, roundInt, scale } from './x87-integral';
import {
  begin, blocked, CC_MASK, finish, FSW_C0, FSW_C1, FSW_C2, FSW_C3, fpuCheck, isEmpty, pendingCheck, phys, pop,
  pushChecked, readST, setTop, sourcesEmpty, syncES, top, underflow, writeST,
} from './x87-stack';
import { fbld, fbstp, fild, fist } from './x87-integer';
import { fldenv, frstor, fsave, fstenv, initX87 } from './x87-env';
import { transcendental } from './x87-transcendental';

/**
 * x87 instruction semantics (SDM Vol. 2 F2XM1…FYL2XP1, opcode map Vol. 2 Tables A-7…A-22): the D8-DF
 * escape opcodes and FWAIT. Arithmetic is x87-float80.ts (exact, correctly rounded under PC/RC; conversions
 * x87-convert.ts, FRNDINT/FPREM/FSCALE x87-integral.ts), the stack and
 * status bookkeeping x87-stack.ts, integer/BCD memory operands x87-integer.ts, the environment images
 * x87-env.ts, the transcendental functions x87-transcendental.ts.
 */

const A = new F80(), B = new F80(), R = new F80();

/** Last-instruction pointers (FIP/FCS, FDP/FDS, FOP) of a non-control instruction (SDM §8.1.8-8.1.9). */
function notePointers(c: Cpu, i: Insn): void {
  c.fop = ((i.op & 7) << 8) | (i.mod << 6) | ((i.reg & 7) << 3) | (i.rm & 7);
  c.fip = c.insnStart >>> 0;
  c.fcs = c.segSel[1];
  if (i.mod !== 3) { c.fdp = c.ea(i) >>> 0; c.fds = c.segSel[c.segOf(i)]; }
}

// ----------------------------------------------------------------------------- memory operands
function loadReal(c: Cpu, i: Insn, size: number, d: F80): void {
  const la = c.memAddr(i, size, false);
  if (size === 4) fromF32(d, c.rd(la, 4));
  else if (size === 8) { const lo = c.rd64(la); fromF64(d, lo, c.hi); }
  else {
    d.lo = c.rd(la, 4) >>> 0; d.hi = c.rd(c.addLinear(la, 4), 4) >>> 0;
    const se = c.rd(c.addLinear(la, 8), 2); d.e = se & 0x7fff; d.s = se >>> 15;
  }
}

/** FST/FSTP m32/m64/m80 of ST(0). Returns false when nothing was stored (blocked by an unmasked exception). */
function storeReal(c: Cpu, i: Insn, size: number, a: F80): boolean {
  const la = c.memAddr(i, size, true);
  if (size === 10) {
    c.wr64(la, a.lo | 0, a.hi | 0);
    c.wr(c.addLinear(la, 8), 2, (a.s << 15) | a.e);
    return true;
  }
  const ok = size === 4 ? toF32(a) : toF64(a);
  if (!ok || blocked()) return false;
  if (size === 4) c.wr(la, 4, OUT.lo); else c.wr64(la, OUT.lo, OUT.hi);
  return true;
}

/** Source operand of a D8/DA/DC/DE memory form: m32real, m32int, m64real, m16int. */
function loadArith(c: Cpu, i: Insn, d: F80): void {
  switch (i.op) {
    case 0xd8: loadReal(c, i, 4, d); break;
    case 0xdc: loadReal(c, i, 8, d); break;
    case 0xda: fild(c, i, 4, d); break;
    default: fild(c, i, 2, d); break;
  }
}

// --------------------------------------------------------------------------------- arithmetic
/** op: 0 add, 1 mul, 4 a-b, 5 b-a, 6 a/b, 7 b/a (ModRM.reg of D8). */
function arith(op: number, d: F80, a: F80, b: F80): void {
  switch (op) {
    case 0: add(d, a, b, 0); break;
    case 1: mul(d, a, b); break;
    case 4: add(d, a, b, 1); break;
    case 5: add(d, b, a, 1); break;
    case 6: div(d, a, b); break;
    default: div(d, b, a); break;
  }
}

/** FCOM/FUCOM condition codes: C3 C2 C0 = 000 (>), 001 (<), 100 (=), 111 (unordered); C1 = 0. */
function setCompareCC(c: Cpu, r: number): void {
  const cc = r === 1 ? 0 : r === -1 ? FSW_C0 : r === 0 ? FSW_C3 : FSW_C0 | FSW_C2 | FSW_C3;
  c.fsw = (c.fsw & ~CC_MASK) | cc;
}

/** FCOMI/FUCOMI: ZF PF CF like C3 C2 C0; OF, SF, AF cleared. */
function setCompareFlags(c: Cpu, r: number): void {
  if (c.lfOp !== 0) getFlags(c);
  const f = r === 1 ? 0 : r === -1 ? Flag.CF : r === 0 ? Flag.ZF : Flag.ZF | Flag.PF | Flag.CF;
  c.flags = (c.flags & ~ARITH_FLAGS) | f;
}

/** D8 / DC / DA / DE memory and register forms of the eight arithmetic/compare operations. */
function arithForm(c: Cpu, i: Insn): void {
  const op = i.reg & 7;
  const reg = i.mod === 3;
  const popAfter = i.op === 0xde && reg;
  // destination ST(0) for D8 and the memory forms, ST(i) for the DC/DE register forms
  const dst = reg && (i.op === 0xdc || i.op === 0xde) ? i.rm & 7 : 0;
  if (op === 2 || op === 3) {
    // FCOM/FCOMP (D8, DC, D8 mem, DC mem), FICOM/FICOMP; DC D0/D8 and DE D0 are aliases; DE D9 is FCOMPP
    if (i.op === 0xde && reg && !(op === 3 && (i.rm & 7) === 1)) ud();
    const other = reg ? i.rm & 7 : -1;
    if (!reg) loadArith(c, i, B);
    if (sourcesEmpty(c, 0, other)) { c.fsw |= FSW_C0 | FSW_C2 | FSW_C3; }
    else {
      readST(c, 0, A);
      if (reg) readST(c, other, B);
      setCompareCC(c, compare(A, B, false));
    }
    if (blocked()) return;
    if (op === 3) pop(c);
    if (popAfter) pop(c); // FCOMPP pops twice
    return;
  }
  let aop = op;
  if (dst !== 0 && op >= 4) aop ^= 1; // DC/DE E0-FF: the reversed forms store into ST(i)
  if (reg) {
    if (sourcesEmpty(c, 0, i.rm & 7)) { underflowStore(c, dst); if (popAfter && !blocked()) pop(c); return; }
    readST(c, dst, A);
    readST(c, dst === 0 ? i.rm & 7 : 0, B);
  } else {
    loadArith(c, i, B);
    if (sourcesEmpty(c, 0)) { underflowStore(c, 0); return; }
    readST(c, 0, A);
  }
  arith(aop, R, A, B);
  if (blocked()) return;
  writeST(c, dst, R);
  if (popAfter) pop(c);
}

/** Masked stack underflow of an arithmetic instruction stores the indefinite in the destination. */
function underflowStore(c: Cpu, dst: number): void {
  if (st.masks & IE) { setIndefinite(R); writeST(c, dst, R); }
}

// ---------------------------------------------------------------------------------- D9 group
const CONSTS: [number, number, number, number][] = [
  // [exponent field, hi, lo, bits 63..32 below the 64-bit significand] (values to 96 bits, SDM FLD1…FLDZ)
  [0x3fff, 0x80000000, 0x00000000, 0], // 1
  [0x4000, 0xd49a784b, 0xcd1b8afe, 0x492bf6ff], // log2(10)
  [0x3fff, 0xb8aa3b29, 0x5c17f0bb, 0xbe87fed0], // log2(e)
  [0x4000, 0xc90fdaa2, 0x2168c234, 0xc4c6628b], // pi
  [0x3ffd, 0x9a209a84, 0xfbcff798, 0x8f8959ac], // log10(2)
  [0x3ffe, 0xb17217f7, 0xd1cf79ab, 0xc9e3b398], // ln(2)
];

function loadConst(c: Cpu, k: number): void {
  if (k === 6) setZero(R, 0);
  else {
    const [e, hi, lo, ext] = CONSTS[k];
    W[0] = hi; W[1] = lo; W[2] = ext; W[3] = 0;
    const saved = st.exc;
    roundPack(R, 0, e - 16383 - 127, 64, EXT_EMIN, EXT_EMAX, true, st.rc);
    st.exc = saved; // the constants never signal PE (SDM FLD1…FLDZ: only stack overflow)
  }
  pushChecked(c, R);
}

function fxam(c: Cpu): void {
  let cc: number;
  readST(c, 0, A);
  if (isEmpty(c, 0)) cc = FSW_C3 | FSW_C0;
  else {
    switch (classify(A)) {
      case Cls.UNSUPPORTED: cc = 0; break;
      case Cls.QNAN: case Cls.SNAN: cc = FSW_C0; break;
      case Cls.NORMAL: cc = FSW_C2; break;
      case Cls.INF: cc = FSW_C2 | FSW_C0; break;
      case Cls.ZERO: cc = FSW_C3; break;
      default: cc = FSW_C3 | FSW_C2; break;
    }
  }
  c.fsw = (c.fsw & ~CC_MASK) | cc | (A.s ? FSW_C1 : 0);
}

function d9reg(c: Cpu, i: Insn): void {
  const m = ((i.reg & 7) << 3) | (i.rm & 7);
  const r = i.rm & 7;
  switch (m >> 3) {
    case 0: // FLD ST(i): an empty source pushes the indefinite (masked) with C1 = 0
      if (isEmpty(c, r)) { underflow(c, R); if (blocked()) return; setTop(c, top(c) - 1); writeST(c, 0, R); return; }
      readST(c, r, R);
      pushChecked(c, R);
      return;
    case 1: fxch(c, r); return;
    case 3: fstReg(c, r, true); return; // FSTP1 (D9 D8+i), an alias of FSTP ST(i)
  }
  switch (m) {
    case 0x10: return; // FNOP
    case 0x20: case 0x21: // FCHS, FABS
      if (sourcesEmpty(c, 0)) { underflowStore(c, 0); return; }
      readST(c, 0, R);
      R.s = m === 0x20 ? R.s ^ 1 : 0;
      c.fsw &= ~FSW_C1;
      writeST(c, 0, R);
      return;
    case 0x24: // FTST
      if (sourcesEmpty(c, 0)) { c.fsw |= FSW_C0 | FSW_C2 | FSW_C3; return; }
      readST(c, 0, A); setZero(B, 0);
      setCompareCC(c, compare(A, B, false));
      return;
    case 0x25: fxam(c); return;
    case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e:
      c.fsw &= ~FSW_C1;
      loadConst(c, m - 0x28);
      return;
    case 0x34: fxtract(c); return;
    case 0x35: case 0x38: fprem(c, m === 0x35); return;
    case 0x36: setTop(c, top(c) - 1); c.fsw &= ~FSW_C1; return; // FDECSTP
    case 0x37: setTop(c, top(c) + 1); c.fsw &= ~FSW_C1; return; // FINCSTP
    case 0x3a: unary(c, sqrt); return;
    case 0x3c: unary(c, roundInt); return;
    case 0x3d: // FSCALE
      if (sourcesEmpty(c, 0, 1)) { underflowStore(c, 0); return; }
      readST(c, 0, A); readST(c, 1, B);
      scale(R, A, B);
      if (!blocked()) writeST(c, 0, R);
      return;
    case 0x30: case 0x31: case 0x32: case 0x33: case 0x39: case 0x3b: case 0x3e: case 0x3f:
      transcendental(c, m);
      return;
    default: ud();
  }
}

function unary(c: Cpu, f: (d: F80, a: F80) => void): void {
  if (sourcesEmpty(c, 0)) { underflowStore(c, 0); return; }
  readST(c, 0, A);
  f(R, A);
  if (!blocked()) writeST(c, 0, R);
}

function fxch(c: Cpu, r: number): void {
  const e0 = isEmpty(c, 0), er = isEmpty(c, r);
  if (e0 || er) {
    underflow(c, null);
    if (!(st.masks & IE)) return;
    setIndefinite(A);
    if (e0) writeST(c, 0, A);
    if (er) writeST(c, r, A);
  }
  readST(c, 0, A); readST(c, r, B);
  writeST(c, 0, B); writeST(c, r, A);
  c.fsw &= ~FSW_C1;
}

/** FST/FSTP ST(i). */
function fstReg(c: Cpu, r: number, popAfter: boolean): void {
  if (isEmpty(c, 0)) { underflow(c, R); if (blocked()) return; } else { readST(c, 0, R); c.fsw &= ~FSW_C1; }
  writeST(c, r, R);
  if (popAfter) pop(c);
}

function fxtract(c: Cpu): void {
  if (sourcesEmpty(c, 0)) {
    // stack underflow: masked, ST(0) and the new top are the indefinite (no overflow check on the push)
    if (st.masks & IE) { setIndefinite(R); writeST(c, 0, R); setTop(c, top(c) - 1); writeST(c, 0, R); }
    return;
  }
  if (!isEmpty(c, 7)) {
    // stack overflow: masked, ST(0) and the new top both become the indefinite
    pushChecked(c, R);
    if (blocked()) return;
    setIndefinite(R); writeST(c, 1, R);
    return;
  }
  readST(c, 0, A);
  const k = classify(A);
  if (k === Cls.ZERO) {
    // ZE: exponent -inf, significand ±0 (SDM FXTRACT)
    st.exc |= 4;
    if (blocked()) return;
    setInf(B, 1); copy(R, A);
  } else if (k === Cls.INF) { setInf(B, 0); copy(R, A); }
  else if (k >= Cls.QNAN) {
    if (k !== Cls.QNAN) { st.exc |= IE; if (blocked()) return; }
    if (k === Cls.UNSUPPORTED) setIndefinite(B); else { copy(B, A); B.hi = (B.hi | 0x40000000) >>> 0; }
    copy(R, B);
  } else {
    if (k === Cls.DENORMAL) { st.exc |= 2; if (blocked()) return; }
    // significand in [1, 2) with A's sign; exponent as a value
    W[0] = A.hi; W[1] = A.lo; W[2] = W[3] = 0;
    let E = (A.e === 0 ? 1 : A.e) - 16383;
    if (!(A.hi & 0x80000000)) { let z = 0; while (!(W[0] & 0x80000000)) { W[0] = (W[0] << 1 | W[1] >>> 31) >>> 0; W[1] = (W[1] << 1) >>> 0; z++; } E -= z; }
    R.s = A.s; R.e = 16383; R.hi = W[0]; R.lo = W[1];
    const mag = Math.abs(E);
    if (mag === 0) setZero(B, 0);
    else { const z = Math.clz32(mag); B.s = E < 0 ? 1 : 0; B.e = 16383 + 31 - z; B.hi = (mag << z) >>> 0; B.lo = 0; }
  }
  writeST(c, 0, B);
  pushChecked(c, R);
}

function fprem(c: Cpu, nearest: boolean): void {
  // C1 and C2 are cleared whatever happens; C0 and C3 change only with a computed remainder (hardware)
  c.fsw &= ~(FSW_C1 | FSW_C2);
  if (sourcesEmpty(c, 0, 1)) { underflowStore(c, 0); return; }
  readST(c, 0, A); readST(c, 1, B);
  prem(R, A, B, nearest);
  if (blocked()) return;
  writeST(c, 0, R);
  if (PREM.special) return;
  const q = PREM.q;
  let cc = PREM.partial ? FSW_C2 : 0;
  if (!PREM.partial) cc |= (q & 4 ? FSW_C0 : 0) | (q & 2 ? FSW_C3 : 0) | (q & 1 ? FSW_C1 : 0);
  c.fsw = (c.fsw & ~CC_MASK) | cc;
}

// ----------------------------------------------------------------------------------- FCMOVcc
function fcmov(c: Cpu, i: Insn): void {
  const f = getFlags(c);
  const k = ((i.op === 0xdb ? 4 : 0) | (i.reg & 3));
  let cond: boolean;
  switch (k & 3) {
    case 0: cond = (f & Flag.CF) !== 0; break;
    case 1: cond = (f & Flag.ZF) !== 0; break;
    case 2: cond = (f & (Flag.CF | Flag.ZF)) !== 0; break;
    default: cond = (f & Flag.PF) !== 0; break;
  }
  if (k & 4) cond = !cond;
  // an empty source is a stack underflow whatever the condition (ST(0) gets the indefinite when masked)
  if (sourcesEmpty(c, 0, i.rm & 7)) { underflowStore(c, 0); return; }
  if (!cond) return;
  readST(c, i.rm & 7, R);
  writeST(c, 0, R);
}

/** FCOMI/FCOMIP/FUCOMI/FUCOMIP ST(0), ST(i). */
function fcomi(c: Cpu, i: Insn, quiet: boolean, popAfter: boolean): void {
  if (sourcesEmpty(c, 0, i.rm & 7)) setCompareFlags(c, 2);
  else {
    readST(c, 0, A); readST(c, i.rm & 7, B);
    setCompareFlags(c, compare(A, B, quiet)); // set even when an unmasked IE blocks the pop (hardware)
  }
  if (blocked()) return;
  if (popAfter) pop(c);
}

/** FUCOM/FUCOMP/FUCOMPP. */
function fucom(c: Cpu, r: number, pops: number): void {
  if (sourcesEmpty(c, 0, r)) c.fsw = (c.fsw & ~CC_MASK) | FSW_C0 | FSW_C2 | FSW_C3;
  else { readST(c, 0, A); readST(c, r, B); setCompareCC(c, compare(A, B, true)); }
  if (blocked()) return;
  for (let k = 0; k < pops; k++) pop(c);
}

// --------------------------------------------------------------------------------- dispatch
function keepsC1(op: number, m: number): boolean {
  if (m < 0) return false;
  return ((op === 0xdb || op === 0xdf) && m >= 0xe8 && m < 0xf8) || ((op === 0xda || op === 0xdb) && m < 0xe0) || (op === 0xd9 && m === 0xd0);
}

/** Non-waiting control instructions (SDM §8.3.11): they neither check pending exceptions nor set FIP/FOP. */
function x87(c: Cpu, i: Insn): void {
  fpuCheck(c);
  const op = i.op, reg = i.reg & 7, m = i.mod === 3 ? 0xc0 | (reg << 3) | (i.rm & 7) : -1;
  // the non-waiting forms first
  if (op === 0xdb && (m === 0xe2 || m === 0xe3)) { if (m === 0xe3) initX87(c); else c.fsw &= 0x7f00; c.ferr?.(false); return; }
  if (op === 0xdb && (m === 0xe0 || m === 0xe1 || m === 0xe4)) return; // FENI/FDISI/FSETPM: no-ops since the 387
  if (op === 0xdf && m === 0xe0) { c.writeReg(0, 0, 2, c.fsw, 0); return; } // FNSTSW AX
  if (m < 0) {
    if (op === 0xd9 && reg === 7) { c.wr(c.memAddr(i, 2, true), 2, c.fcw); return; } // FNSTCW
    if (op === 0xdd && reg === 7) { c.wr(c.memAddr(i, 2, true), 2, c.fsw); return; } // FNSTSW m16
    if (op === 0xd9 && reg === 6) { fstenv(c, i); return; }
    if (op === 0xdd && reg === 6) { fsave(c, i); return; }
  }
  pendingCheck(c);
  begin(c);
  // control instructions that keep the last-instruction pointers (SDM §8.1.8)
  if (m < 0 && op === 0xd9 && reg === 5) { c.fcw = (c.rd(c.memAddr(i, 2, false), 2) & 0x1f7f) | 0x40; syncES(c); return; }
  if (m < 0 && op === 0xd9 && reg === 4) { fldenv(c, i); return; }
  if (m < 0 && op === 0xdd && reg === 4) { frstor(c, i); return; }
  const fop = c.fop, fip = c.fip, fcs = c.fcs, fdp = c.fdp, fds = c.fds;
  try {
    notePointers(c, i);
    // C1 is 0 after an instruction unless it says otherwise; FCOMI/FUCOMI(P), FCMOVcc and FNOP leave it
    // (what the hardware does, although the SDM lists C1 as cleared for FCOMI)
    if (!keepsC1(op, m)) c.fsw &= ~FSW_C1;
    exec(c, i, op, reg, m);
  } catch (e) {
    c.fop = fop; c.fip = fip; c.fcs = fcs; c.fdp = fdp; c.fds = fds;
    throw e;
  }
  finish(c);
}

function exec(c: Cpu, i: Insn, op: number, reg: number, m: number): void {
  switch (op) {
    case 0xd8: arithForm(c, i); return;
    case 0xdc: arithForm(c, i); return;
    case 0xda:
      if (m < 0) { arithForm(c, i); return; }
      if (m < 0xe0) { fcmov(c, i); return; }
      if (m === 0xe9) { fucom(c, 1, 2); return; }
      ud();
      return;
    case 0xde:
      if (m < 0) { arithForm(c, i); return; }
      if (reg === 2) { fcomAlias(c, i, 1); return; } // FCOMP5 (DE D0+i)
      if (reg === 3 && (i.rm & 7) !== 1) ud();
      arithForm(c, i);
      return;
    case 0xd9:
      if (m >= 0) { d9reg(c, i); return; }
      switch (reg) {
        case 0: loadPush(c, i, 4); return;
        case 2: case 3: fstMem(c, i, 4, reg === 3); return;
        default: ud();
      }
      return;
    case 0xdd:
      if (m >= 0) {
        const r = i.rm & 7;
        switch (reg) {
          case 0: c.ftw &= ~(1 << phys(c, r)); c.fsw &= ~FSW_C1; return; // FFREE
          case 1: fxch(c, r); return; // FXCH4
          case 2: fstReg(c, r, false); return;
          case 3: fstReg(c, r, true); return;
          case 4: fucom(c, r, 0); return;
          case 5: fucom(c, r, 1); return;
          default: ud();
        }
      }
      switch (reg) {
        case 0: loadPush(c, i, 8); return;
        case 1: fist(c, i, 8, true, true); return;
        case 2: case 3: fstMem(c, i, 8, reg === 3); return;
        default: ud();
      }
      return;
    case 0xdb:
      if (m >= 0) {
        if (m < 0xe0) { fcmov(c, i); return; }
        if (reg === 5) { fcomi(c, i, true, false); return; }
        if (reg === 6) { fcomi(c, i, false, false); return; }
        ud();
      }
      switch (reg) {
        case 0: fild(c, i, 4, R); c.fsw &= ~FSW_C1; pushChecked(c, R); return;
        case 1: fist(c, i, 4, true, true); return;
        case 2: case 3: fist(c, i, 4, reg === 3, false); return;
        case 5: loadPush(c, i, 10); return;
        case 7: fstMem(c, i, 10, true); return;
        default: ud();
      }
      return;
    case 0xdf:
      if (m >= 0) {
        const r = i.rm & 7;
        switch (reg) {
          case 0: c.ftw &= ~(1 << phys(c, r)); pop(c); c.fsw &= ~FSW_C1; return; // FFREEP
          case 1: fxch(c, r); return; // FXCH7
          case 2: case 3: fstReg(c, r, true); return; // FSTP8/FSTP9
          case 5: fcomi(c, i, true, true); return;
          case 6: fcomi(c, i, false, true); return;
          default: ud();
        }
      }
      switch (reg) {
        case 0: fild(c, i, 2, R); c.fsw &= ~FSW_C1; pushChecked(c, R); return;
        case 1: fist(c, i, 2, true, true); return;
        case 2: case 3: fist(c, i, 2, reg === 3, false); return;
        case 4: fbld(c, i, R); c.fsw &= ~FSW_C1; pushChecked(c, R); return;
        case 5: fild(c, i, 8, R); c.fsw &= ~FSW_C1; pushChecked(c, R); return;
        case 6: fbstp(c, i); return;
        default: fist(c, i, 8, true, false); return;
      }
  }
}

/** DC D0+i / DC D8+i / DE D0+i: aliases of FCOM/FCOMP ST(i). */
function fcomAlias(c: Cpu, i: Insn, pops: number): void {
  const r = i.rm & 7;
  if (sourcesEmpty(c, 0, r)) c.fsw = (c.fsw & ~CC_MASK) | FSW_C0 | FSW_C2 | FSW_C3;
  else { readST(c, 0, A); readST(c, r, B); setCompareCC(c, compare(A, B, false)); }
  if (blocked()) return;
  for (let k = 0; k < pops; k++) pop(c);
}

/**
 * FLD m32/m64/m80: a full stack (ST(7) in use) is checked first (IE+SF, C1=1; masked: the indefinite is
 * pushed and the operand not converted), then the conversion's own exceptions (SNaN → IE, denormal → DE).
 */
function loadPush(c: Cpu, i: Insn, size: number): void {
  if (!isEmpty(c, 7)) { pushChecked(c, R); return; }
  loadReal(c, i, size, R);
  if (st.srcDenormal) st.exc |= 2; // flagged, but the load still happens (hardware)
  if (size !== 10 && classify(R) === Cls.SNAN) { st.exc |= IE; R.hi = (R.hi | 0x40000000) >>> 0; }
  if (!(st.exc & ~st.masks & IE)) pushChecked(c, R);
}

/** FST/FSTP m32/m64 (rounded under RC to the memory format), FSTP m80. */
function fstMem(c: Cpu, i: Insn, size: number, popAfter: boolean): void {
  if (isEmpty(c, 0)) {
    underflow(c, A);
    if (blocked()) return;
  } else readST(c, 0, A);
  c.fsw &= ~FSW_C1;
  if (!storeReal(c, i, size, A)) return;
  if (popAfter) pop(c);
}

for (let op = 0xd8; op <= 0xdf; op++) def(op, 'x87', true, Imm.NONE, x87);

/** FWAIT (9B): #NM when CR0.MP=1 and CR0.TS=1 (SDM Vol. 3 §2.5), then the pending-exception check. */
def(0x9b, 'fwait', false, Imm.NONE, (c) => {
  if ((c.cr0 & 0xa) === 0xa) fpuCheck(c);
  pendingCheck(c);
});

