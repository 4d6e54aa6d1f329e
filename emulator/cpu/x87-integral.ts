import {
  classify, Cls, copy, denormStop, EXT_EMAX, EXT_EMIN, F80, IE, NA, norm, PE, propagateNaN, roundPack, setIndefinite,
  setInf, setZero, shrSticky, st, unpackExp, W,
} from './x87-float80';

/**
 * The x87's integral operations on 80-bit values (SDM Vol. 2 FRNDINT, FPREM, FPREM1, FSCALE; FIST's and
 * FBSTP's rounding to an integer): exact, with one rounding where the result needs one.
 */

// ----------------------------------------------------------------------------- integer parts
/**
 * Round a finite value to an integer under rounding control rc. Returns the magnitude in INT.hi:INT.lo
 * (≤ 2^64 - 1; INT.big = true when it does not fit in 64 bits) and sets INT.inexact and INT.up.
 */
export const INT = { hi: 0, lo: 0, big: false, inexact: false, up: false };
export function toIntegerMag(a: F80, rc: number): void {
  INT.big = false; INT.inexact = false; INT.up = false;
  const k = classify(a);
  if (k === Cls.ZERO) { INT.hi = 0; INT.lo = 0; return; }
  const E = (a.e === 0 ? 1 : a.e) - 16383;
  if (E >= 64) { INT.big = true; INT.hi = a.hi; INT.lo = a.lo; return; }
  W[0] = a.hi; W[1] = a.lo; W[2] = 0; W[3] = 0;
  // integer part in W[0..1] after shifting right by 63 - E; fraction in W[2..3]
  if (E < 63) shrSticky(63 - E);
  const frac2 = W[2], frac3 = W[3];
  const half = (frac2 >>> 31) & 1, rest = ((frac2 & 0x7fffffff) | frac3) !== 0;
  const inexact = half !== 0 || rest;
  let up = false;
  if (inexact) {
    if (rc === 0) up = half !== 0 && (rest || (W[1] & 1) !== 0);
    else if (rc === 1) up = a.s === 1;
    else if (rc === 2) up = a.s === 0;
  }
  let hi = W[0], lo = W[1];
  if (up) { lo = lo + 1; if (lo > 0xffffffff) { lo = 0; hi = hi + 1; if (hi > 0xffffffff) { INT.big = true; hi = 0; } } }
  INT.hi = hi >>> 0; INT.lo = lo >>> 0; INT.inexact = inexact; INT.up = up;
}

/** d = the integer magnitude hi:lo with sign s, exactly (64 bits fit the 80-bit significand). */
export function fromInt(d: F80, s: number, hi: number, lo: number): void {
  hi >>>= 0; lo >>>= 0;
  if (hi === 0 && lo === 0) { setZero(d, s); return; }
  let z: number;
  if (hi !== 0) { z = Math.clz32(hi); if (z) { hi = ((hi << z) | (lo >>> (32 - z))) >>> 0; lo = (lo << z) >>> 0; } }
  else { z = 32 + Math.clz32(lo); hi = (lo << (z - 32)) >>> 0; lo = 0; }
  d.s = s; d.e = 16383 + 63 - z; d.hi = hi; d.lo = lo;
}

/** FRNDINT: round to an integral value in the register format. */
export function roundInt(d: F80, a: F80): void {
  const k = classify(a);
  if (propagateNaN(d, a, k, null, Cls.ZERO)) return;
  if (denormStop(k, Cls.ZERO)) return;
  if (k === Cls.ZERO || k === Cls.INF) { copy(d, a); return; }
  const E = (a.e === 0 ? 1 : a.e) - 16383;
  if (E >= 63) { copy(d, a); return; }
  toIntegerMag(a, st.rc);
  if (INT.inexact) st.exc |= PE;
  st.up = INT.up;
  if (INT.big) { d.s = a.s; d.e = 16383 + 64; d.hi = 0x80000000; d.lo = 0; return; }
  fromInt(d, a.s, INT.hi, INT.lo);
}

// --------------------------------------------------------------------------- FPREM / FPREM1
/** Remainder state after prem(): the low three quotient bits, and whether the reduction is partial (C2). */
export const PREM = { q: 0, partial: false, special: false };

/** d = a REM b (FPREM: quotient truncated; FPREM1: quotient rounded to nearest-even). SDM Vol. 2 FPREM. */
export function prem(d: F80, a: F80, b: F80, nearest: boolean): void {
  PREM.q = 0; PREM.partial = false; PREM.special = true;
  const ka = classify(a), kb = classify(b);
  if (propagateNaN(d, a, ka, b, kb)) return;
  if (ka === Cls.INF || kb === Cls.ZERO) { st.exc |= IE; setIndefinite(d); return; }
  PREM.special = false;
  if (denormStop(ka, kb)) return;
  if (kb === Cls.INF || ka === Cls.ZERO) {
    // ST(0) unchanged; a pseudo-denormal comes back with its exponent field 1 (hardware)
    copy(d, a);
    if (d.e === 0 && (d.hi & 0x80000000)) d.e = 1;
    return;
  }
  norm(a); const ah = NA.hi, al = NA.lo, Ea = NA.E;
  norm(b); const bh = NA.hi, bl = NA.lo, Eb = NA.E;
  let D = Ea - Eb;
  if (D < 0 && !(nearest && D === -1)) { roundPack(d, a.s, unpackExp(a), 64, EXT_EMIN, EXT_EMAX, true); return; }
  let scale = Eb;
  if (D >= 64) {
    // partial remainder: reduce the exponent difference by D mod 32 + 32 (Bochs/hardware behaviour)
    const n = (D & 31) | 32;
    scale = Eb + (D - n);
    D = n;
    PREM.partial = true;
  }
  let rh = ah, rl = al, q = 0;
  if (D >= 0) {
    for (let k = 0; k <= D; k++) {
      q = (q * 2) & 0xff;
      if (rh > bh || (rh === bh && rl >= bl)) {
        let t = rl - bl; let br = 0; if (t < 0) { t += 4294967296; br = 1; }
        rl = t; rh = rh - bh - br; q |= 1;
      }
      if (k < D) { rh = rh * 2 + (rl >>> 31); rl = (rl * 2) % 4294967296; }
    }
  } else {
    // D = -1 (FPREM1 only): a/b in [0.25, 1); quotient 0 or 1 by rounding; remainder at a's scale
    scale = Ea; // rh:rl are a's significand at a's exponent; b is twice as large there
  }
  let s = a.s;
  if (nearest && !PREM.partial) {
    // compare 2R with B (for D = -1, R at scale Ea and B' = 2B at that scale → compare R with B)
    let gt: boolean, eq: boolean;
    if (D >= 0) {
      const r2h = rh * 2 + (rl >>> 31), r2l = (rl * 2) % 4294967296;
      gt = r2h > bh || (r2h === bh && r2l > bl); eq = r2h === bh && r2l === bl;
    } else {
      gt = rh > bh || (rh === bh && rl > bl); eq = rh === bh && rl === bl;
    }
    if (gt || (eq && (q & 1))) {
      // R = B - R, q + 1
      if (D >= 0) {
        let t = bl - rl; let br = 0; if (t < 0) { t += 4294967296; br = 1; }
        rl = t; rh = bh - rh - br;
      } else {
        // B' - R = 2B - R at scale Ea: compute with 65-bit numbers
        let t = bl * 2 % 4294967296 - rl; let br = 0; if (t < 0) { t += 4294967296; br = 1; }
        const b2h = bh * 2 + (bl >>> 31);
        rl = t; rh = b2h - rh - br;
      }
      q = (q + 1) & 0xff;
      s ^= 1;
    }
  }
  PREM.q = q & 7;
  // remainder value = R × 2^(scale - 63); R < 2^65
  W[0] = 0; W[1] = Math.floor(rh / 4294967296) >>> 0; W[2] = rh >>> 0; W[3] = rl >>> 0;
  if ((W[1] | W[2] | W[3]) === 0) { setZero(d, a.s); return; }
  roundPack(d, s, scale - 63, 64, EXT_EMIN, EXT_EMAX, true);
}

// ------------------------------------------------------------------------------ FSCALE / FXTRACT
/** d = a × 2^trunc(b) (SDM Vol. 2 FSCALE). */
export function scale(d: F80, a: F80, b: F80): void {
  const ka = classify(a), kb = classify(b);
  if (propagateNaN(d, a, ka, b, kb)) return;
  if (denormStop(ka, kb)) return;
  if (kb === Cls.INF) {
    if (b.s === 0) { if (ka === Cls.ZERO) { st.exc |= IE; setIndefinite(d); } else setInf(d, a.s); }
    else { if (ka === Cls.INF) { st.exc |= IE; setIndefinite(d); } else setZero(d, a.s); }
    return;
  }
  if (ka === Cls.ZERO || ka === Cls.INF) { copy(d, a); return; }
  let n: number;
  if (kb === Cls.ZERO) n = 0;
  else {
    const E = (b.e === 0 ? 1 : b.e) - 16383;
    if (E >= 30) n = b.s ? -(1 << 30) : 1 << 30;
    else { toIntegerMag(b, 3); n = b.s ? -INT.lo : INT.lo; }
  }
  roundPack(d, a.s, unpackExp(a) + n, 64, EXT_EMIN, EXT_EMAX, true);
}
