import {
  classify, Cls, DBL_EMAX, DBL_EMIN, F80, IE, roundPack, setZero, SGL_EMAX, SGL_EMIN, shl, shrSticky, st, unpackExp, W, wClz,
} from './x87-float80';

/**
 * Conversions between the x87's 80-bit values and IEEE binary32/binary64 (FLD/FST m32/m64 and the
 * arithmetic forms with m32real/m64real operands; SDM Vol. 1 §4.2, §8.2), and to/from JS numbers for the
 * transcendental instructions. Stores round once (roundPack) with the destination's precision and exponent
 * range under RC; NaNs keep their payload (quietened).
 */

// --------------------------------------------------------------------------- binary32/binary64
/** F80 from an IEEE binary32 bit pattern (exact; a denormal sets st.srcDenormal, an SNaN stays an SNaN). */
export function fromF32(d: F80, bits: number): void {
  const s = bits >>> 31, e = (bits >>> 23) & 0xff, f = bits & 0x7fffff;
  d.s = s;
  if (e === 0xff) {
    d.e = 0x7fff; d.hi = (0x80000000 | (f << 8)) >>> 0; d.lo = 0; // an SNaN stays signalling (FLD quietens it)
    return;
  }
  if (e === 0) {
    if (f === 0) { setZero(d, s); return; }
    st.srcDenormal = true;
    const z = Math.clz32(f) - 8; // leading zeros within 23 bits + 1
    d.e = 16383 - 126 - z; d.hi = (f << (8 + z)) >>> 0; d.lo = 0;
    return;
  }
  d.e = e - 127 + 16383; d.hi = (0x80000000 | (f << 8)) >>> 0; d.lo = 0;
}

export function fromF64(d: F80, lo: number, hi: number): void {
  const s = hi >>> 31, e = (hi >>> 20) & 0x7ff, fh = hi & 0xfffff;
  lo >>>= 0;
  d.s = s;
  const mh = ((fh << 11) | (lo >>> 21)) >>> 0, ml = (lo << 11) >>> 0;
  if (e === 0x7ff) {
    d.e = 0x7fff; d.hi = (0x80000000 | mh) >>> 0; d.lo = ml;
    return;
  }
  if (e === 0) {
    if ((fh | lo) === 0) { setZero(d, s); return; }
    st.srcDenormal = true;
    // value = 0.f × 2^-1022: with f at bits 126..75 of W, bit 127 stands for 2^-1022
    W[0] = mh; W[1] = ml; W[2] = W[3] = 0;
    const z = wClz(); shl(z);
    d.hi = W[0]; d.lo = W[1];
    d.e = 16383 - 1022 - z;
    return;
  }
  d.e = e - 1023 + 16383; d.hi = (0x80000000 | mh) >>> 0; d.lo = ml;
}

/** Result of toF32/toF64: the bit pattern (F32 in OUT.lo; F64 in OUT.hi:OUT.lo); false when not stored. */
export const OUT = { lo: 0, hi: 0 };
const TMP = new F80();

export function toF32(a: F80): boolean {
  const k = classify(a);
  if (k === Cls.UNSUPPORTED) { st.exc |= IE; OUT.lo = 0xffc00000 | 0; return !!(st.masks & IE); }
  if (k === Cls.QNAN || k === Cls.SNAN) {
    if (k === Cls.SNAN) st.exc |= IE;
    OUT.lo = ((a.s << 31) | 0x7fc00000 | ((a.hi >>> 8) & 0x3fffff)) | 0;
    return k !== Cls.SNAN || !!(st.masks & IE);
  }
  if (k === Cls.INF) { OUT.lo = ((a.s << 31) | 0x7f800000) | 0; return true; }
  if (k === Cls.ZERO) { OUT.lo = (a.s << 31) | 0; return true; }
  const x = unpackExp(a); // no DE for a denormal source (hardware)
  if (!roundPack(TMP, a.s, x, 24, SGL_EMIN, SGL_EMAX, false)) return false;
  OUT.lo = encodeF32(TMP);
  return true;
}

function encodeF32(v: F80): number {
  if (v.e === 0x7fff) return ((v.s << 31) | 0x7f800000) | 0;
  if (v.e === 0 && v.hi === 0) return (v.s << 31) | 0;
  const E = v.e - 16383;
  if (E >= SGL_EMIN) return ((v.s << 31) | ((E + 127) << 23) | ((v.hi >>> 8) & 0x7fffff)) | 0;
  return ((v.s << 31) | (v.hi >>> (8 + SGL_EMIN - E))) | 0;
}

export function toF64(a: F80): boolean {
  const k = classify(a);
  if (k === Cls.UNSUPPORTED) { st.exc |= IE; OUT.hi = 0xfff80000 | 0; OUT.lo = 0; return !!(st.masks & IE); }
  if (k === Cls.QNAN || k === Cls.SNAN) {
    if (k === Cls.SNAN) st.exc |= IE;
    OUT.hi = ((a.s << 31) | 0x7ff80000 | ((a.hi >>> 11) & 0x7ffff)) | 0;
    OUT.lo = ((a.hi << 21) | (a.lo >>> 11)) | 0;
    return k !== Cls.SNAN || !!(st.masks & IE);
  }
  if (k === Cls.INF) { OUT.hi = ((a.s << 31) | 0x7ff00000) | 0; OUT.lo = 0; return true; }
  if (k === Cls.ZERO) { OUT.hi = (a.s << 31) | 0; OUT.lo = 0; return true; }
  const x = unpackExp(a); // no DE for a denormal source (hardware)
  if (!roundPack(TMP, a.s, x, 53, DBL_EMIN, DBL_EMAX, false)) return false;
  encodeF64(TMP);
  return true;
}

function encodeF64(v: F80): void {
  if (v.e === 0x7fff) { OUT.hi = ((v.s << 31) | 0x7ff00000) | 0; OUT.lo = 0; return; }
  if (v.e === 0 && v.hi === 0) { OUT.hi = (v.s << 31) | 0; OUT.lo = 0; return; }
  const E = v.e - 16383;
  let mh = v.hi, ml = v.lo, ex: number;
  if (E >= DBL_EMIN) { ex = E + 1023; mh &= 0x7fffffff; }
  else {
    ex = 0;
    W[0] = v.hi; W[1] = v.lo; W[2] = W[3] = 0;
    shrSticky(DBL_EMIN - E);
    mh = W[0]; ml = W[1];
  }
  // 64-bit significand → 52-bit fraction: drop 11 low bits (already zero after rounding) and J
  OUT.hi = ((v.s << 31) | (ex << 20) | ((mh >>> 11) & 0xfffff)) | 0;
  OUT.lo = ((mh << 21) | (ml >>> 11)) | 0;
}

/** Nearest double of a finite F80 (for the transcendental functions; exact when the value fits). */
export function toNumber(a: F80): number {
  const k = classify(a);
  if (k === Cls.ZERO) return a.s ? -0 : 0;
  if (k === Cls.INF) return a.s ? -Infinity : Infinity;
  if (k >= Cls.QNAN) return NaN;
  const E = (a.e === 0 ? 1 : a.e) - 16383;
  const m = (a.hi >>> 0) * 4294967296 + (a.lo >>> 0); // rounded to 53 bits by the FPU: fine below
  const v = m * Math.pow(2, E - 63);
  return a.s ? -v : v;
}

/** d = the double v exactly. */
const NUM = new Float64Array(1), NUM32 = new Uint32Array(NUM.buffer);
export function fromNumber(d: F80, v: number): void {
  NUM[0] = v;
  const saved = st.exc;
  fromF64(d, NUM32[0], NUM32[1]);
  st.exc = saved;
}
