import type { Cpu } from './cpu';
import { Insn } from './insn';
import { Access } from './paging';
import { classify, Cls, F80, IE, mul64, PE, st, W } from './x87-float80';
import { fromInt, INT, toIntegerMag } from './x87-integral';
import { blocked, isEmpty, pop, readST, underflow } from './x87-stack';

/**
 * Integer and packed-BCD memory operands of the x87 (SDM Vol. 2 FILD, FIST/FISTP, FISTTP, FBLD, FBSTP):
 * conversions are exact on load; stores round under RC (FISTTP truncates) and an out-of-range, NaN or
 * infinite source raises IE and, masked, stores the integer indefinite (the most negative integer) or the
 * BCD indefinite (FF FF C0 00 … 00 from byte 9 down, SDM §4.8.3.7).
 */

const A = new F80();

/** FILD m16/m32/m64 into d (exact). */
export function fild(c: Cpu, i: Insn, size: number, d: F80): void {
  const la = c.memAddr(i, size, false);
  let lo: number, hi: number;
  if (size === 8) { lo = c.rd64(la); hi = c.hi; }
  else { const v = c.rd(la, size); lo = size === 2 ? (v << 16) >> 16 : v | 0; hi = lo < 0 ? -1 : 0; }
  let s = 0;
  if (hi < 0) {
    s = 1;
    // two's complement negate the 64-bit value
    lo = (~lo + 1) | 0; hi = ~hi + (lo === 0 ? 1 : 0);
  }
  fromInt(d, s, hi >>> 0, lo >>> 0);
}

/** FIST/FISTP m16/m32/m64, FISTTP (truncate) of ST(0). */
export function fist(c: Cpu, i: Insn, size: number, popAfter: boolean, truncate: boolean): void {
  const la = c.memAddr(i, size, true);
  let lo = 0, hi = 0, bad = false;
  if (isEmpty(c, 0)) { underflow(c, null); bad = true; }
  else {
    readST(c, 0, A);
    const k = classify(A);
    if (k >= Cls.INF) bad = true;
    else {
      toIntegerMag(A, truncate ? 3 : st.rc);
      const bits = size * 8;
      // magnitude limit: 2^(bits-1) - 1 for positive, 2^(bits-1) for negative
      let fits: boolean;
      if (INT.big) fits = false;
      else if (bits === 64) fits = INT.hi < 0x80000000 || (A.s === 1 && INT.hi === 0x80000000 && INT.lo === 0);
      else {
        const lim = bits === 32 ? 0x80000000 : 0x8000;
        fits = INT.hi === 0 && (INT.lo < lim || (A.s === 1 && INT.lo === lim));
      }
      if (!fits) bad = true;
      else {
        if (INT.inexact) { st.exc |= PE; st.up = INT.up; }
        lo = INT.lo; hi = INT.hi;
        if (A.s) { lo = (~lo + 1) | 0; hi = ~hi + (lo === 0 ? 1 : 0); }
      }
    }
  }
  if (bad) {
    st.exc |= IE;
    if (!(st.masks & IE)) return;
    lo = size === 8 ? 0 : size === 4 ? 0x80000000 | 0 : 0x8000; hi = size === 8 ? 0x80000000 | 0 : 0;
  }
  if (blocked()) return;
  if (size === 8) c.wr64(la, lo | 0, hi | 0); else c.wr(la, size, lo);
  if (popAfter) pop(c);
}

/** FBLD m80bcd into d (exact; invalid digits give an undefined but deterministic value). */
export function fbld(c: Cpu, i: Insn, d: F80): void {
  const la = c.memAddr(i, 10, false);
  let low = 0, high = 0;
  for (let k = 8; k >= 0; k--) {
    const b = c.rd(c.addLinear(la, k), 1);
    const two = (b >>> 4) * 10 + (b & 15);
    // digits 17..9 (bytes 8..5 and the high nibble of byte 4) go to `high`, 8..0 to `low`
    if (k > 4) high = high * 100 + two;
    else if (k === 4) { high = high * 10 + (b >>> 4); low = b & 15; }
    else low = low * 100 + two;
  }
  const sign = c.rd(c.addLinear(la, 9), 1) >>> 7;
  mul64(0, high >>> 0, 0, 1e9);
  let lo = W[3] + low, hi = W[2];
  if (lo > 0xffffffff) { lo -= 4294967296; hi++; }
  fromInt(d, sign, hi, lo);
}

/** FBSTP m80bcd: ST(0) rounded under RC, then popped. */
export function fbstp(c: Cpu, i: Insn): void {
  const la = c.memAddr(i, 10, true);
  // both pages writable before any byte is stored (a faulting FBSTP changes nothing)
  c.translate(la, Access.WRITE, c.cpl === 3);
  c.translate(c.addLinear(la, 9), Access.WRITE, c.cpl === 3);
  let bad = false, sign = 0, digitsHigh = 0, digitsLow = 0;
  if (isEmpty(c, 0)) { underflow(c, null); bad = true; }
  else {
    readST(c, 0, A);
    const k = classify(A);
    sign = A.s;
    if (k >= Cls.INF) bad = true;
    else {
      toIntegerMag(A, st.rc);
      // |v| must be below 10^18 = 0x0DE0B6B3_A7640000
      if (INT.big || INT.hi > 0x0de0b6b3 || (INT.hi === 0x0de0b6b3 && INT.lo >= 0xa7640000)) bad = true;
      else {
        if (INT.inexact) { st.exc |= PE; st.up = INT.up; }
        // divide by 10^9 in 16-bit limbs (every step below 2^53)
        const limbs = [INT.hi >>> 16, INT.hi & 0xffff, INT.lo >>> 16, INT.lo & 0xffff];
        let rem = 0, q = 0;
        for (const l of limbs) { const cur = rem * 65536 + l; const qd = Math.floor(cur / 1e9); rem = cur - qd * 1e9; q = q * 65536 + qd; }
        digitsHigh = q; digitsLow = rem;
      }
    }
  }
  if (bad) {
    st.exc |= IE;
    if (!(st.masks & IE)) return;
    for (let k = 0; k < 7; k++) c.wr(c.addLinear(la, k), 1, 0);
    c.wr(c.addLinear(la, 7), 1, 0xc0); c.wr(c.addLinear(la, 8), 1, 0xff); c.wr(c.addLinear(la, 9), 1, 0xff);
    pop(c);
    return;
  }
  if (blocked()) return;
  const bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, sign ? 0x80 : 0];
  for (let k = 0; k < 18; k++) {
    let dgt: number;
    if (k < 9) { dgt = digitsLow % 10; digitsLow = Math.floor(digitsLow / 10); }
    else { dgt = digitsHigh % 10; digitsHigh = Math.floor(digitsHigh / 10); }
    bytes[k >> 1] |= k & 1 ? dgt << 4 : dgt;
  }
  for (let k = 0; k < 10; k++) c.wr(c.addLinear(la, k), 1, bytes[k]);
  pop(c);
}
