import type { Cpu } from './cpu';
import { ud } from './fault';
import { Imm, Insn } from './insn';
import { mmxCheck, mmxDone, mmxRead, mmxWrite } from './mmx';
import { A, AD, AF, B, BD, BF, loadA, loadB, loadBScalar, pfx, sseCheck, storeA } from './sse';
import { cmpFlags, cmpVal32, cmpVal64, isNaN32, isNaN64, mx, mxDone, MxFlag, mxs, setMxcsrRc } from './sse-float';
import { def } from './table';

/**
 * SSE/SSE2 packed conversions and compares (SDM Vol. 2): CVTPS2PD/CVTPD2PS (0F 5A), CVTDQ2PS/CVTPS2DQ/
 * CVTTPS2DQ (0F 5B), CVTDQ2PD/CVTPD2DQ/CVTTPD2DQ (0F E6), the MMX-operand forms CVTPI2PS/PD (0F 2A),
 * CVT(T)PS2PI/CVT(T)PD2PI (0F 2C/2D), CMPPS/PD/SS/SD (0F C2), RCPPS/RCPSS and RSQRTPS/RSQRTSS (0F 53/52).
 * Float→integer conversions round by MXCSR.RC (truncating for the CVTT forms); an out-of-range or NaN source
 * gives the integer indefinite 0x80000000. Float results round by MXCSR.RC too (MXCSR flags are not kept).
 * RCP/RSQRT return the correctly rounded binary32 result, within the architectural 1.5×2^-12 bound but not
 * the host's table values (they differ between processors).
 */

/** Round by MXCSR.RC (or truncate). */
export function roundMx(c: Cpu, x: number, trunc: boolean): number {
  if (trunc) return Math.trunc(x);
  switch ((c.mxcsr >>> 13) & 3) {
    case 0: { const r = Math.round(x); return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r; }
    case 1: return Math.floor(x);
    case 2: return Math.ceil(x);
    default: return Math.trunc(x);
  }
}

/** A denormal binary32 (`single`) or binary64 source reads as a zero of its sign under MXCSR.DAZ. */
export function dazValue(x: number, single: boolean): number {
  return mx.daz && x !== 0 && Math.abs(x) < (single ? 2 ** -126 : 2 ** -1022) ? (x < 0 ? -0 : 0) : x;
}

/** x rounded to int32 by MXCSR.RC (or truncated): NaN or out of range → the integer indefinite and IE, else PE if inexact. */
export function toInt32(c: Cpu, x: number, trunc: boolean, single = false): number {
  if (x !== x) { mxs.flags |= MxFlag.IE; return 0x80000000 | 0; }
  x = dazValue(x, single);
  const r = roundMx(c, x, trunc);
  if (!(r >= -2147483648 && r <= 2147483647)) { mxs.flags |= MxFlag.IE; return 0x80000000 | 0; }
  if (r !== x) mxs.flags |= MxFlag.PE;
  return r | 0;
}

const F32 = new Float32Array(1), I32 = new Int32Array(F32.buffer);

/**
 * The binary32 bits of x (a double or an integer) rounded by MXCSR.RC, with PE when inexact, OE when the
 * result rounded with an unbounded exponent exceeds the largest binary32, UE when tiny (|x| < 2^-126, before
 * rounding) and inexact, and FTZ flushing such results to zero.
 */
export function f32Round(c: Cpu, x: number): number {
  F32[0] = x;
  let bits = I32[0];
  const fr = F32[0], rc = (c.mxcsr >>> 13) & 3;
  if (fr === x || x !== x) return bits;
  let fl = MxFlag.PE;
  const ax = Math.abs(x), away = (rc === 2 && x > 0) || (rc === 1 && x < 0);
  if (rc === 0 ? !Number.isFinite(fr) : away ? ax > MAX32 : ax >= 2 ** 128) fl |= MxFlag.OE;
  if (ax < 2 ** -126) fl |= MxFlag.UE;
  mxs.flags |= fl;
  if (rc !== 0) {
    if (!Number.isFinite(fr) && Number.isFinite(x)) {
      // overflow: infinity only when rounding away from zero
      const toInf = (rc === 1 && x < 0) || (rc === 2 && x > 0);
      bits = toInf ? bits : ((x < 0 ? 0x80000000 : 0) | 0x7f7fffff) | 0;
    } else {
      const wantLess = rc === 1 || (rc === 3 && x > 0), wantGreater = rc === 2 || (rc === 3 && x < 0);
      if (wantLess && fr > x) bits = bits >= 0 ? (bits === 0 ? 0x80000001 | 0 : bits - 1) : bits + 1;
      if (wantGreater && fr < x) bits = bits >= 0 ? bits + 1 : (bits === (0x80000000 | 0) ? 1 : bits - 1);
    }
  }
  if ((fl & MxFlag.UE) && mx.ftz) bits &= 0x80000000;
  return bits;
}
const MAX32 = 3.4028234663852886e38;

/**
 * A signed 64-bit integer (lo, hi halves) as binary32 bits rounded once by MXCSR.RC (CVTSI2SS r/m64). Going
 * through a binary64 would round twice (2^60 + 2^36 + 1 would become the tie 2^60 + 2^36, then round to
 * even): the magnitude's top 32 significant bits with every lower bit ORed into bit 0 (a sticky bit) are
 * exact as a double and round to 24 bits exactly as the whole integer does.
 */
export function i64ToF32(c: Cpu, lo: number, hi: number): number {
  const neg = hi < 0;
  let l = lo >>> 0, h = hi >>> 0;
  if (neg) { h = l === 0 ? (0x100000000 - h) % 0x100000000 : 0xffffffff - h; l = (0x100000000 - l) % 0x100000000; }
  let r: number;
  if (h === 0) r = l;
  else {
    const s = 32 - Math.clz32(h);
    let top: number, sticky: boolean;
    if (s === 32) { top = h; sticky = l !== 0; } else { top = ((h << (32 - s)) | (l >>> s)) >>> 0; sticky = (l & ((1 << s) - 1)) !== 0; }
    r = ((top | (sticky ? 1 : 0)) >>> 0) * 2 ** s;
  }
  return f32Round(c, neg ? -r : r);
}

const D64 = new Float64Array(1), DI = new Int32Array(D64.buffer);
/**
 * A signed 64-bit integer as a binary64 rounded by MXCSR.RC (CVTSI2SD r/m64): the sum hi·2^32 + lo rounds to
 * nearest; its exact error (Knuth's two-sum) says which way, and a directed mode moves one ulp when needed.
 */
export function i64ToF64(c: Cpu, lo: number, hi: number): number {
  const a = hi * 4294967296, b = lo >>> 0;
  const s = a + b;
  const bb = s - a;
  const err = (a - (s - bb)) + (b - bb);
  const rc = (c.mxcsr >>> 13) & 3;
  if (err !== 0) mxs.flags |= MxFlag.PE;
  if (err === 0 || rc === 0) return s;
  // the exact value is s + err: step s one ulp toward it when the mode rounds that way
  const down = rc === 1 || (rc === 3 && s > 0);
  if (down ? err > 0 : err < 0) return s;
  D64[0] = s;
  // s is a non-zero finite integer: a magnitude step on the bit pattern moves one ulp
  const away = (s > 0) !== down;
  if (away) { DI[0] = (DI[0] + 1) | 0; if (DI[0] === 0) DI[1]++; } else { if (DI[0] === 0) DI[1]--; DI[0] = (DI[0] - 1) | 0; }
  return D64[0];
}

/** binary64 → binary32 bits by MXCSR.RC, with a NaN's payload kept (quietened, truncated); IE for an SNaN, DE/DAZ. */
export function d2f(c: Cpu, hi: number, lo: number, v: number): number {
  if (isNaN64(hi, lo)) {
    if (!(hi & 0x80000)) mxs.flags |= MxFlag.IE;
    return ((hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29)) | 0;
  }
  if ((hi & 0x7ff00000) === 0 && v !== 0) { if (mx.daz) return hi & 0x80000000; mxs.flags |= MxFlag.DE; }
  return f32Round(c, v);
}
/** binary32 → binary64 (as AD lane) with a NaN's payload kept; IE for an SNaN, DE/DAZ for a denormal. */
export function f2d(bits: number, v: number, lane: number): void {
  if (isNaN32(bits)) {
    if (!(bits & 0x400000)) mxs.flags |= MxFlag.IE;
    A[2 * lane + 1] = (bits & 0x80000000) | 0x7ff80000 | ((bits & 0x3fffff) >>> 3); A[2 * lane] = bits << 29; return;
  }
  if ((bits & 0x7f800000) === 0 && v !== 0) { if (mx.daz) { A[2 * lane + 1] = bits & 0x80000000; A[2 * lane] = 0; return; } mxs.flags |= MxFlag.DE; }
  AD[lane] = v;
}

const T = new Int32Array(4), TF = new Float32Array(T.buffer);

def(0x15b, 'cvtdq2ps', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p === 3) ud();
  loadB(c, i, true);
  setMxcsrRc(c.mxcsr);
  if (p === 0) for (let k = 0; k < 4; k++) A[k] = f32Round(c, B[k]);
  else for (let k = 0; k < 4; k++) A[k] = toInt32(c, BF[k], p === 2, true);
  mxDone(c);
  storeA(c, i.reg);
});

def(0x1e6, 'cvtdq2pd', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p === 0) ud();
  setMxcsrRc(c.mxcsr);
  if (p === 2) { // CVTDQ2PD: the low two int32 (m64 source)
    loadBScalar(c, i, 8);
    const lo = B[0], hi = B[1];
    AD[0] = lo; AD[1] = hi;
  } else { // CVTTPD2DQ (66), CVTPD2DQ (F2)
    loadB(c, i, true);
    A[0] = toInt32(c, BD[0], p === 1);
    A[1] = toInt32(c, BD[1], p === 1);
    A[2] = 0; A[3] = 0;
  }
  mxDone(c);
  storeA(c, i.reg);
});

/** CVTPS2PD (NP 0F 5A) and CVTPD2PS (66 0F 5A); sse.ts dispatches them here. */
export function cvtPacked5a(c: Cpu, i: Insn, p: number): void {
  setMxcsrRc(c.mxcsr);
  if (p === 0) {
    loadBScalar(c, i, 8);
    const b0 = B[0], b1 = B[1], v0 = BF[0], v1 = BF[1];
    f2d(b0, v0, 0); f2d(b1, v1, 1);
  } else {
    loadB(c, i, true);
    A[0] = d2f(c, B[1], B[0], BD[0]); A[1] = d2f(c, B[3], B[2], BD[1]); A[2] = 0; A[3] = 0;
  }
  mxDone(c);
  storeA(c, i.reg);
}

/** CVTPI2PS (NP 0F 2A) / CVTPI2PD (66 0F 2A): two int32 from mm/m64. */
export function cvtpi2p(c: Cpu, i: Insn, p: number): void {
  setMxcsrRc(c.mxcsr);
  let lo: number, hi: number;
  if (i.mod === 3) { mmxCheck(c); lo = mmxRead(c, i.rm & 7); hi = c.hi; mmxDone(c); }
  else { lo = c.rd64(c.memAddr(i, 8, false)); hi = c.hi; }
  loadA(c, i.reg);
  if (p === 0) { A[0] = f32Round(c, lo); A[1] = f32Round(c, hi); } else { AD[0] = lo; AD[1] = hi; }
  mxDone(c);
  storeA(c, i.reg);
}

/** CVT(T)PS2PI (NP 0F 2D/2C) / CVT(T)PD2PI (66): into an MMX register. */
export function cvtp2pi(c: Cpu, i: Insn, p: number, trunc: boolean): void {
  setMxcsrRc(c.mxcsr);
  mmxCheck(c);
  let r0: number, r1: number;
  if (p === 0) {
    loadBScalar(c, i, 8);
    r0 = toInt32(c, BF[0], trunc, true);
    r1 = toInt32(c, BF[1], trunc, true);
  } else {
    loadB(c, i, true);
    r0 = toInt32(c, BD[0], trunc);
    r1 = toInt32(c, BD[1], trunc);
  }
  mxDone(c);
  mmxWrite(c, i.reg & 7, r0, r1);
  mmxDone(c);
}

/**
 * CMPPS/CMPPD/CMPSS/CMPSD xmm, xmm/m, imm8: predicates 0-7 (EQ LT LE UNORD NEQ NLT NLE ORD); the VEX forms
 * take all 32 (SDM VCMPPS Table 3-1): 8-15 are EQ_UQ NGE NGT FALSE NEQ_OQ GE GT TRUE, and 16-31 repeat 0-15
 * with the other signalling behaviour (which only changes MXCSR.IE, not the result).
 */
function cmpPred(pred: number, unordered: boolean, x: number, y: number): boolean {
  switch (pred & 15) {
    case 0: return !unordered && x === y;
    case 1: return !unordered && x < y;
    case 2: return !unordered && x <= y;
    case 3: return unordered;
    case 4: return unordered || x !== y;
    case 5: return unordered || !(x < y);
    case 6: return unordered || !(x <= y);
    case 7: return !unordered;
    case 8: return unordered || x === y;
    case 9: return unordered || x < y;
    case 10: return unordered || x <= y;
    case 11: return false;
    case 12: return !unordered && x !== y;
    case 13: return !unordered && x >= y;
    case 14: return !unordered && x > y;
    default: return true;
  }
}
def(0x1c2, 'cmpps', true, Imm.IB, (c, i) => {
  sseCheck(c);
  const p = pfx(i), n = i.imm & (i.vex ? 31 : 7);
  loadA(c, i.reg);
  if (p >= 2) loadBScalar(c, i, p === 2 ? 4 : 8); else loadB(c, i, true);
  setMxcsrRc(c.mxcsr);
  // the signalling predicates (IE for a QNaN too): LT LE NLT NLE NGE NGT GE GT; 16-31 swap quiet and signalling
  const signaling = ((0x6666 >>> (n & 15)) & 1) !== (n >>> 4);
  if (p === 0 || p === 2) {
    for (let k = 0; k < (p === 0 ? 4 : 1); k++) {
      const x = cmpVal32(A[k]), y = cmpVal32(B[k]);
      cmpFlags(signaling);
      A[k] = cmpPred(n, x !== x || y !== y, x, y) ? -1 : 0;
    }
  } else {
    for (let k = 0; k < (p === 1 ? 2 : 1); k++) {
      const x = cmpVal64(A[2 * k + 1], A[2 * k]), y = cmpVal64(B[2 * k + 1], B[2 * k]);
      cmpFlags(signaling);
      const r = cmpPred(n, x !== x || y !== y, x, y) ? -1 : 0;
      A[2 * k] = r; A[2 * k + 1] = r;
    }
  }
  mxDone(c);
  storeA(c, i.reg);
});

/** RSQRTPS/SS (0F 52), RCPPS/SS (0F 53): NP packed, F3 scalar. */
function approx(rsqrt: boolean) {
  return (c: Cpu, i: Insn): void => {
    sseCheck(c);
    const p = pfx(i);
    if (p === 1 || p === 3) ud();
    loadA(c, i.reg);
    if (p === 2) loadBScalar(c, i, 4); else loadB(c, i, true);
    for (let k = 0; k < (p === 0 ? 4 : 1); k++) {
      const bits = B[k];
      if (isNaN32(bits)) { T[k] = bits | 0x00400000; continue; }
      // denormal sources count as zero (hardware)
      const x = (bits & 0x7f800000) === 0 ? (bits < 0 ? -0 : 0) : BF[k];
      TF[k] = rsqrt ? (x < 0 ? NaN : 1 / Math.sqrt(x)) : 1 / x;
      if (TF[k] !== TF[k]) T[k] = 0xffc00000 | 0;
      else if ((T[k] & 0x7f800000) === 0) T[k] &= 0x80000000; // tiny results flush to zero
    }
    for (let k = 0; k < (p === 0 ? 4 : 1); k++) A[k] = T[k];
    storeA(c, i.reg);
  };
}
def(0x152, 'rsqrtps', true, Imm.NONE, approx(true));
def(0x153, 'rcpps', true, Imm.NONE, approx(false));
