import type { Cpu } from './cpu';
import {
  classify, Cls, copy, F80, IE, mul, PE, propagateNaN, setIndefinite, setInf, setZero, st, ZE,
} from './x87-float80';
import { fromNumber, toNumber } from './x87-convert';
import { blocked, FSW_C2, isEmpty, pop, pushChecked, readST, sourcesEmpty, writeST } from './x87-stack';

/**
 * The x87 transcendental instructions (SDM Vol. 2 F2XM1, FCOS, FPATAN, FPTAN, FSIN, FSINCOS, FYL2X,
 * FYL2XP1). Special operands (zeros, infinities, NaNs, domain errors) follow the SDM tables exactly; finite
 * results are computed in binary64 and converted exactly to the register format, so they agree with the host
 * x87 to about 2^-52 relative error rather than bit for bit (hardware keeps 64+ bits; see docs/x87.md).
 * FYL2X/FYL2XP1 multiply the binary64 logarithm by ST(1) in extended precision, so exact cases
 * (y × log2(2^k)) are exact.
 */

const A = new F80(), B = new F80(), R = new F80(), R2 = new F80();
const TWO63 = 9223372036854775808;

/** A binary64 result (exact in the register format; precision control does not apply, SDM §8.1.5.2). */
function fromDouble(d: F80, v: number): void {
  fromNumber(d, v);
  st.exc |= PE;
}

/** log2 of a finite positive value of any exponent (toNumber would underflow or overflow). */
function log2Of(a: F80): number {
  const e = (a.e === 0 ? 1 : a.e) - 16383;
  const m = ((a.hi >>> 0) * 4294967296 + (a.lo >>> 0)) / 9223372036854775808; // [0, 2)
  return e + Math.log2(m);
}

/** Trig operand check: |x| ≥ 2^63 leaves ST(0) unchanged and sets C2 (SDM FSIN "out of range"). */
function outOfRange(c: Cpu, x: number): boolean {
  if (Math.abs(x) >= TWO63) { c.fsw |= FSW_C2; return true; }
  c.fsw &= ~FSW_C2;
  return false;
}

export function transcendental(c: Cpu, m: number): void {
  st.pc = 64; // precision control does not apply to these instructions
  switch (m) {
    case 0x30: f2xm1(c); return;
    case 0x31: fyl2x(c, false); return;
    case 0x39: fyl2x(c, true); return;
    case 0x33: fpatan(c); return;
    default: trig(c, m); return;
  }
}

function f2xm1(c: Cpu): void {
  if (sourcesEmpty(c, 0)) { if (st.masks & IE) { setIndefinite(R); writeST(c, 0, R); } return; }
  readST(c, 0, A);
  const k = classify(A);
  if (propagateNaN(R, A, k, null, Cls.ZERO)) { if (!blocked()) writeST(c, 0, R); return; }
  if (k === Cls.ZERO) return;
  if (k === Cls.INF) { if (A.s) { fromNumber(R, -1); writeST(c, 0, R); } return; }
  if (k === Cls.DENORMAL) { st.exc |= 2; if (blocked()) return; }
  const x = toNumber(A);
  fromDouble(R, Math.expm1(x * Math.LN2));
  writeST(c, 0, R);
}

function trig(c: Cpu, m: number): void {
  // 0x32 FPTAN, 0x3b FSINCOS, 0x3e FSIN, 0x3f FCOS
  const pushes = m === 0x32 || m === 0x3b;
  if (sourcesEmpty(c, 0)) {
    c.fsw &= ~FSW_C2;
    if (st.masks & IE) { setIndefinite(R); writeST(c, 0, R); if (pushes) pushChecked(c, R); }
    return;
  }
  if (pushes && !isEmpty(c, 7)) {
    // stack overflow: masked, ST(0) and the new top both become the indefinite
    c.fsw &= ~FSW_C2;
    setIndefinite(R);
    if (!pushChecked(c, R)) return;
    writeST(c, 1, R);
    return;
  }
  readST(c, 0, A);
  const k = classify(A);
  if (k >= Cls.QNAN || k === Cls.INF) {
    if (k === Cls.INF) { st.exc |= IE; setIndefinite(R); } else propagateNaN(R, A, k, null, Cls.ZERO);
    if (blocked()) return;
    c.fsw &= ~FSW_C2;
    writeST(c, 0, R);
    if (pushes) pushChecked(c, R);
    return;
  }
  if (k === Cls.DENORMAL) { st.exc |= 2; if (blocked()) return; }
  const x = toNumber(A);
  if (outOfRange(c, x)) return;
  if (Math.abs(x) < 1 / 4294967296 / 65536) {
    // |x| < 2^-48: sin x and tan x round to x and cos x to 1 at 64 bits (with PE)
    copy(R, A); fromNumber(R2, 1); st.exc |= PE;
    if (m === 0x3f) { writeST(c, 0, R2); return; }
    writeST(c, 0, R);
    if (pushes) pushChecked(c, R2);
    return;
  }
  if (k === Cls.ZERO) {
    // sin/tan(±0) = ±0, cos(0) = 1 exactly
    copy(R, A); fromNumber(R2, 1);
    if (m === 0x3f) { writeST(c, 0, R2); return; }
    writeST(c, 0, R);
    if (pushes) pushChecked(c, R2);
    return;
  }
  switch (m) {
    case 0x3e: fromDouble(R, Math.sin(x)); writeST(c, 0, R); return;
    case 0x3f: fromDouble(R, Math.cos(x)); writeST(c, 0, R); return;
    case 0x32:
      fromDouble(R, Math.tan(x)); writeST(c, 0, R);
      fromNumber(R2, 1); pushChecked(c, R2);
      return;
    default:
      fromDouble(R, Math.sin(x)); fromDouble(R2, Math.cos(x));
      writeST(c, 0, R); pushChecked(c, R2);
  }
}

/** FYL2X: ST(1) × log2(ST(0)); FYL2XP1: ST(1) × log2(ST(0) + 1); both pop. */
function fyl2x(c: Cpu, plus1: boolean): void {
  if (sourcesEmpty(c, 0, 1)) { if (st.masks & IE) { setIndefinite(R); writeST(c, 1, R); pop(c); } return; }
  readST(c, 0, A); readST(c, 1, B);
  const ka = classify(A), kb = classify(B);
  if (propagateNaN(R, A, ka, B, kb)) { if (!blocked()) { writeST(c, 1, R); pop(c); } return; }
  if (ka === Cls.DENORMAL || kb === Cls.DENORMAL) st.exc |= 2;
  const x = ka === Cls.DENORMAL || ka === Cls.NORMAL ? (A.s ? -1 : 1) : toNumber(A), y = toNumber(B);
  let invalid = false, zdiv = false;
  if (!plus1) {
    if (x < 0) invalid = true;
    else if (x === 0) { if (y === 0 || Number.isNaN(y)) invalid = true; else zdiv = true; }
    else if (ka !== Cls.INF && log2Of(A) === 0 && !Number.isFinite(y)) invalid = true;
    else if (x === Infinity && y === 0) invalid = true;
  }
  if (invalid) { st.exc |= IE; setIndefinite(R); }
  else if (zdiv) { st.exc |= ZE; setInf(R, y > 0 ? 1 : 0); }
  else {
    const l = plus1 ? Math.log1p(toNumber(A)) / Math.LN2 : ka === Cls.INF ? Infinity : log2Of(A);
    if (l === 0) setZero(R, (y < 0 || Object.is(y, -0)) !== (plus1 && Object.is(l, -0)) ? 1 : 0);
    else {
      fromNumber(R2, l);
      mul(R, B, R2);
      if (Number.isFinite(l) && (!Number.isInteger(l) || plus1)) st.exc |= PE;
    }
  }
  if (blocked()) return;
  writeST(c, 1, R);
  pop(c);
}

/** FPATAN: ST(1) = atan2(ST(1), ST(0)), pop (SDM FPATAN Table 3-29: the C99 atan2 special cases). */
function fpatan(c: Cpu): void {
  if (sourcesEmpty(c, 0, 1)) { if (st.masks & IE) { setIndefinite(R); writeST(c, 1, R); pop(c); } return; }
  readST(c, 0, A); readST(c, 1, B);
  const ka = classify(A), kb = classify(B);
  if (propagateNaN(R, A, ka, B, kb)) { if (!blocked()) { writeST(c, 1, R); pop(c); } return; }
  if (ka === Cls.DENORMAL || kb === Cls.DENORMAL) { st.exc |= 2; if (blocked()) return; }
  // scale both by the same power of two so that neither overflows or vanishes as a double
  const ea = ka === Cls.ZERO || ka === Cls.INF ? 0 : (A.e === 0 ? 1 : A.e) - 16383;
  const eb = kb === Cls.ZERO || kb === Cls.INF ? 0 : (B.e === 0 ? 1 : B.e) - 16383;
  const sh = Math.max(ea, eb);
  const sa = copyScaled(A, ka, sh), sb = copyScaled(B, kb, sh);
  const v = Math.atan2(sb, sa);
  if (v === 0 || Object.is(v, -0)) setZero(R, Object.is(v, -0) ? 1 : 0);
  else fromDouble(R, v);
  writeST(c, 1, R);
  pop(c);
}

function copyScaled(a: F80, k: Cls, sh: number): number {
  if (k === Cls.ZERO || k === Cls.INF) return toNumber(a);
  const e = (a.e === 0 ? 1 : a.e) - 16383 - sh;
  if (e < -1070) return a.s ? -0 : 0;
  const m = ((a.hi >>> 0) * 4294967296 + (a.lo >>> 0)) / 9223372036854775808;
  return (a.s ? -m : m) * Math.pow(2, e);
}
