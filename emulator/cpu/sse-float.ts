/**
 * NaN rules of the SSE floating-point instructions (SDM Vol. 1 §4.8.3.5, Table 4-7 "SSE/SSE2/SSE3"): when an
 * operand is a NaN the result is the first source (destination) operand's NaN, else the second's, quietened;
 * an invalid operation on non-NaN operands gives the default QNaN (the "real indefinite", sign set). MIN/MAX
 * return the second operand unchanged when either is a NaN. JS arithmetic is only trusted for non-NaN
 * results: it neither keeps payloads nor produces the indefinite's sign.
 */

const F32 = new Float32Array(1), I32 = new Int32Array(F32.buffer);

export function isNaN32(bits: number): boolean {
  return (bits & 0x7fffffff) > 0x7f800000;
}

export function isNaN64(hi: number, lo: number): boolean {
  const h = hi & 0x7fffffff;
  return h > 0x7ff00000 || (h === 0x7ff00000 && lo !== 0);
}

/** MXCSR.DAZ (denormal sources read as zero) and MXCSR.FTZ (denormal results become zero), SDM §10.2.3.4. */
export const DAZ = 0x40, FTZ = 0x8000;
/** The MXCSR bits the lanes look at (setMxcsrRc, by the instruction handler before its lanes). */
export const mx = { daz: false, ftz: false };
function setMxcsr(v: number): void { mx.daz = (v & DAZ) !== 0; mx.ftz = (v & FTZ) !== 0; }

const daz32 = (b: number): number => (mx.daz && (b & 0x7f800000) === 0 ? b & 0x80000000 : b);

/** A binary64 result (hi, lo halves). */
export const R64 = { hi: 0, lo: 0 };
const F64 = new Float64Array(1), I64 = new Int32Array(F64.buffer);

// ------------------------------------------------------------------------------------------ MXCSR
/**
 * Exact binary32 arithmetic under MXCSR (SDM Vol. 1 §4.8.3-4.9, §10.2.3): the rounding control RC, and the
 * exception flags IE (invalid), DE (denormal operand), ZE (divide by zero), OE (overflow), UE (underflow,
 * masked: tiny and inexact, or flushed by FTZ) and PE (inexact), with the SDM's priority: an SNaN operand (IE),
 * then a QNaN operand (no flag), then the other invalid operations and divide-by-zero, then DE, then OE/UE
 * with PE. Exceptions are taken as masked (no #XM). The double result of two binary32 operands is within half
 * a double ulp of the true value, and the sign of (true − candidate) is computed exactly: TwoSum's error for
 * ADD/SUB, an exact product for MUL, the 48-bit products f·y (DIV) and f·f (SQRT) for the others.
 */
export const enum MxFlag { IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32 }
export const enum Arith { ADD = 0, SUB = 1, MUL = 2, DIV = 3, SQRT = 4, MIN = 5, MAX = 6 }
/** Flags raised by the lanes since setMxcsr (OR them into MXCSR with mxDone). */
export const mxs = { rc: 0, flags: 0 };
export function setMxcsrRc(v: number): void { setMxcsr(v); mxs.rc = (v >>> 13) & 3; mxs.flags = 0; }
export function mxDone(c: { mxcsr: number }): void { c.mxcsr |= mxs.flags; }

const MAX32 = 3.4028234663852886e38, TINY32 = 1.1754943508222875e-38;
let ex = 0, ey = 0, er = 0, eerr = 0, ekind = 0;
/** sign(true result − t) for the current operation (t a double with at most 25 significant bits). */
function sgnTrue(t: number): number {
  if (er !== t) return er > t ? 1 : -1;
  let s: number;
  switch (ekind) {
    case Arith.DIV: s = (ex - t * ey) * (ey > 0 ? 1 : -1); break;
    case Arith.SQRT: s = ey - t * t; break;
    default: s = eerr;
  }
  return s > 0 ? 1 : s < 0 ? -1 : 0;
}
const stepUp = (b: number): number => (b === (0x80000000 | 0) ? 1 : b >= 0 ? b + 1 : b - 1);
const stepDown = (b: number): number => (b === 0 ? 0x80000001 | 0 : b >= 0 ? b - 1 : b + 1);

/** a ∘ b on binary32 bit patterns (SQRT: of b; MIN/MAX: the SSE rules), with MXCSR rounding and flags. */
export function arith32(a: number, b: number, kind: number): number {
  if (kind === Arith.SQRT) a = b;
  const an = kind !== Arith.SQRT && isNaN32(a), bn = isNaN32(b);
  if (an || bn) {
    if (kind >= Arith.MIN || (an && !(a & 0x400000)) || (bn && !(b & 0x400000))) mxs.flags |= MxFlag.IE;
    if (kind >= Arith.MIN) return daz32(b);
    return (an ? a : b) | 0x00400000;
  }
  let den = false;
  if (kind !== Arith.SQRT && (a & 0x7f800000) === 0 && (a & 0x7fffff) !== 0) { if (mx.daz) a &= 0x80000000; else den = true; }
  if ((b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0) { if (mx.daz) b &= 0x80000000; else den = true; }
  I32[0] = a; const x = F32[0];
  I32[0] = b; const y = F32[0];
  if (kind >= Arith.MIN) {
    if (den) mxs.flags |= MxFlag.DE;
    const r = kind === Arith.MIN ? (x < y ? x : y) : (x > y ? x : y);
    return r === x && !(x === y) ? a : b;
  }
  let r: number;
  switch (kind) {
    case Arith.ADD: r = x + y; break;
    case Arith.SUB: r = x - y; break;
    case Arith.MUL: r = x * y; break;
    case Arith.DIV: r = x / y; break;
    default: r = Math.sqrt(y);
  }
  if (r !== r) { mxs.flags |= MxFlag.IE; return 0xffc00000 | 0; } // ∞−∞, 0·∞, 0/0, ∞/∞, √negative
  if (kind === Arith.DIV && y === 0 && x === x && Number.isFinite(x)) { mxs.flags |= MxFlag.ZE; F32[0] = r; return I32[0]; }
  if (den) mxs.flags |= MxFlag.DE;
  if (!Number.isFinite(x) || !Number.isFinite(y)) { F32[0] = r; return I32[0]; } // exact infinities and zeros
  ex = x; ey = kind === Arith.SUB ? -y : y; er = r; ekind = kind;
  if (kind === Arith.ADD || kind === Arith.SUB) { const bb = r - ex; eerr = (ex - (r - bb)) + (ey - bb); } else eerr = 0;
  if (kind === Arith.SUB) ekind = Arith.ADD;
  if (kind === Arith.DIV || kind === Arith.SQRT) ey = y;
  // an exact zero sum of non-zero or opposite zero addends is -0 when rounding down, +0 otherwise (IEEE 754 §6.3)
  if (r === 0 && ekind === Arith.ADD && mxs.rc === 1 && !(Object.is(ex, 0) && Object.is(ey, 0))) r = -0;
  F32[0] = r;
  let bits = I32[0];
  const f = F32[0];
  const d = Number.isFinite(f) ? sgnTrue(f) : f > 0 ? -1 : 1;
  const rc = mxs.rc;
  if (d !== 0 && rc !== 0) {
    if (rc === 1) { if (d < 0) bits = stepDown(bits); }
    else if (rc === 2) { if (d > 0) bits = stepUp(bits); }
    else if (bits >= 0 ? d < 0 : d > 0) bits = bits >= 0 ? stepDown(bits) : stepUp(bits);
  }
  if (d === 0) {
    // exact: only an exact denormal result under FTZ changes anything
    if (mx.ftz && (bits & 0x7f800000) === 0 && (bits & 0x7fffff) !== 0) { mxs.flags |= MxFlag.UE | MxFlag.PE; return bits & 0x80000000; }
    return bits;
  }
  let fl = MxFlag.PE;
  const neg = r < 0, mag = Math.abs;
  // overflow: the result rounded with an unbounded exponent exceeds MAX32
  const away = (rc === 2 && !neg) || (rc === 1 && neg);
  const over = rc === 0 ? !Number.isFinite(f) : away ? sgnTrue(neg ? -MAX32 : MAX32) * (neg ? -1 : 1) > 0 : mag(r) >= 2 ** 128 && sgnTrue(neg ? -(2 ** 128) : 2 ** 128) * (neg ? -1 : 1) >= 0;
  if (over) fl |= MxFlag.OE;
  // underflow: tiny (|true| < 2^-126, before rounding) and inexact
  if (sgnTrue(neg ? -TINY32 : TINY32) * (neg ? -1 : 1) < 0) {
    fl |= MxFlag.UE;
    if (mx.ftz) bits &= 0x80000000;
  }
  mxs.flags |= fl;
  return bits;
}

/**
 * binary64 version of arith32 (result in R64). The true result is op(x', y')·2^E with x', y' the operands scaled
 * to [1, 2) (the square root's to [1, 4)): the sign of (true − t) for a candidate t is computed exactly on the
 * scaled values, with Dekker's product (Veltkamp splitting, safe in that range) and TwoSum.
 */
const MAX64 = 1.7976931348623157e308, TINY64 = 2.2250738585072014e-308;
let sx = 0, sy = 0, sE = 0, sKind = 0, sApprox = 0;
function ldexp(t: number, n: number): number {
  while (n > 1000) { t *= 2 ** 1000; n -= 1000; }
  while (n < -1000) { t *= 2 ** -1000; n += 1000; }
  return t * 2 ** n;
}
function exponentOf(v: number): number {
  F64[0] = v;
  let e = (I64[1] >>> 20) & 0x7ff;
  if (e === 0) { F64[0] = v * 2 ** 54; e = ((I64[1] >>> 20) & 0x7ff) - 54; }
  return e - 1023;
}
const SPLIT = 134217729;
/** The rounding error of the double product a·b = p (exact for operands within 2^±500). */
function prodErr(a: number, b: number, p: number): number {
  let c = SPLIT * a; const ah = c - (c - a), al = a - ah;
  c = SPLIT * b; const bh = c - (c - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
const sgn = (v: number): number => (v > 0 ? 1 : v < 0 ? -1 : 0);
/** v/2 for an addend beside one above 2^1020 (see arith64's ADD): an addend below 2^-1000 keeps its sign. */
const halfSum = (v: number): number => (v !== 0 && Math.abs(v) < 2 ** -1000 ? (v > 0 ? 2 ** -1001 : -(2 ** -1001)) : v / 2);
/** sign(true result − t·2^adj). */
function cmp64(t: number, adj: number): number {
  const tp = ldexp(t, adj - sE);
  const m = Math.abs(tp);
  // far from the scaled result (within [2^-2, 2^2]) the plain comparison decides; TwoSum needs no guard
  if (sKind !== Arith.ADD && !(m < 2 ** 500 && m > 2 ** -500)) return sgn(sApprox - tp);
  switch (sKind) {
    case Arith.ADD: { const s = sx + sy, bb = s - sx, err = (sx - (s - bb)) + (sy - bb); return sgn((s - tp) + err); }
    case Arith.MUL: { const p = sx * sy; return sgn((p - tp) + prodErr(sx, sy, p)); }
    case Arith.DIV: { const p = tp * sy; return sgn((sx - p) - prodErr(tp, sy, p)) * (sy > 0 ? 1 : -1); }
    default: { if (tp < 0) return 1; const p = tp * tp; return sgn((sy - p) - prodErr(tp, tp, p)); }
  }
}
function step64(hi: number, lo: number, up: boolean): void {
  // move one ulp toward +∞ (up) or −∞ on the bit pattern
  const neg = hi < 0;
  if (hi === (0x80000000 | 0) && lo === 0 && up) { R64.hi = 0; R64.lo = 1; return; }
  if (hi === 0 && lo === 0 && !up) { R64.hi = 0x80000000 | 0; R64.lo = 1; return; }
  if (up !== neg) { R64.lo = (lo + 1) | 0; R64.hi = R64.lo === 0 ? hi + 1 : hi; } // magnitude up
  else { R64.lo = (lo - 1) | 0; R64.hi = lo === 0 ? hi - 1 : hi; } // magnitude down
}

export function arith64(ahi: number, alo: number, bhi: number, blo: number, kind: number): void {
  if (kind === Arith.SQRT) { ahi = bhi; alo = blo; }
  const an = kind !== Arith.SQRT && isNaN64(ahi, alo), bn = isNaN64(bhi, blo);
  if (an || bn) {
    if (kind >= Arith.MIN || (an && !(ahi & 0x80000)) || (bn && !(bhi & 0x80000))) mxs.flags |= MxFlag.IE;
    if (kind >= Arith.MIN) {
      if (mx.daz && (bhi & 0x7ff00000) === 0) { bhi &= 0x80000000; blo = 0; }
      R64.hi = bhi; R64.lo = blo; return;
    }
    if (an) { R64.hi = ahi | 0x00080000; R64.lo = alo; } else { R64.hi = bhi | 0x00080000; R64.lo = blo; }
    return;
  }
  let den = false;
  if (kind !== Arith.SQRT && (ahi & 0x7ff00000) === 0 && ((ahi & 0xfffff) | alo) !== 0) { if (mx.daz) { ahi &= 0x80000000; alo = 0; } else den = true; }
  if ((bhi & 0x7ff00000) === 0 && ((bhi & 0xfffff) | blo) !== 0) { if (mx.daz) { bhi &= 0x80000000; blo = 0; } else den = true; }
  I64[0] = alo; I64[1] = ahi; const x = F64[0];
  I64[0] = blo; I64[1] = bhi; const y = F64[0];
  const out = (v: number): void => { F64[0] = v; R64.lo = I64[0]; R64.hi = I64[1]; };
  if (kind >= Arith.MIN) {
    if (den) mxs.flags |= MxFlag.DE;
    const r = kind === Arith.MIN ? (x < y ? x : y) : (x > y ? x : y);
    if (r === x && !(x === y)) { R64.hi = ahi; R64.lo = alo; } else { R64.hi = bhi; R64.lo = blo; }
    return;
  }
  const yy = kind === Arith.SUB ? -y : y;
  let r = kind === Arith.ADD || kind === Arith.SUB ? x + yy : kind === Arith.MUL ? x * y : kind === Arith.DIV ? x / y : Math.sqrt(y);
  if (r !== r) { mxs.flags |= MxFlag.IE; R64.hi = 0xfff80000 | 0; R64.lo = 0; return; }
  if (kind === Arith.DIV && y === 0 && Number.isFinite(x)) { mxs.flags |= MxFlag.ZE; out(r); return; }
  if (den) mxs.flags |= MxFlag.DE;
  if (!Number.isFinite(x) || !Number.isFinite(y) || (r === 0 && (x === 0 || y === 0) && kind !== Arith.ADD && kind !== Arith.SUB)) { out(r); return; }
  const rc = mxs.rc;
  sKind = kind === Arith.SUB ? Arith.ADD : kind;
  if (sKind === Arith.ADD) {
    if (r === 0 && rc === 1 && !(Object.is(x, 0) && Object.is(yy, 0))) r = -0;
    // halved when the sum may overflow, so 2^1024 stays comparable. Halving is exact but for an operand below
    // 2^-1000 beside the huge one: it lies far under half an ulp of the other (≥ 2^967), so only its sign
    // matters, and ±2^-1000 (which halves exactly) stands for it; halved, a denormal would become 0.
    const big = Math.abs(x) > 2 ** 1020 || Math.abs(yy) > 2 ** 1020;
    sx = big ? halfSum(x) : x; sy = big ? halfSum(yy) : yy; sE = big ? 1 : 0;
  } else if (sKind === Arith.SQRT) {
    const e = exponentOf(y), k = Math.floor(e / 2);
    sy = ldexp(y, -2 * k); sx = 0; sE = k;
  } else {
    const ea = exponentOf(x), eb = exponentOf(y);
    sx = ldexp(x, -ea); sy = ldexp(y, -eb); sE = sKind === Arith.MUL ? ea + eb : ea - eb;
  }
  sApprox = sKind === Arith.ADD ? sx + sy : sKind === Arith.MUL ? sx * sy : sKind === Arith.DIV ? sx / sy : Math.sqrt(sy);
  out(r);
  const d = Number.isFinite(r) ? cmp64(r, 0) : r > 0 ? -1 : 1;
  if (d !== 0 && rc !== 0) {
    const pos = R64.hi >= 0;
    if (rc === 1) { if (d < 0) step64(R64.hi, R64.lo, false); }
    else if (rc === 2) { if (d > 0) step64(R64.hi, R64.lo, true); }
    else if (pos ? d < 0 : d > 0) step64(R64.hi, R64.lo, !pos);
  }
  if (d === 0) {
    if (mx.ftz && (R64.hi & 0x7ff00000) === 0 && ((R64.hi & 0xfffff) | R64.lo) !== 0) { mxs.flags |= MxFlag.UE | MxFlag.PE; R64.hi &= 0x80000000; R64.lo = 0; }
    return;
  }
  let fl = MxFlag.PE;
  const neg = r < 0, s = neg ? -1 : 1;
  const away = (rc === 2 && !neg) || (rc === 1 && neg);
  const over = rc === 0 ? !Number.isFinite(r) : away ? cmp64(s * MAX64, 0) * s > 0 : cmp64(s * 2 ** 1023, 1) * s >= 0;
  if (over) fl |= MxFlag.OE;
  if (cmp64(s * TINY64, 0) * s < 0) {
    fl |= MxFlag.UE;
    if (mx.ftz) { R64.hi &= 0x80000000; R64.lo = 0; }
  }
  mxs.flags |= fl;
}

/**
 * Compare operands (CMPPS/PD/SS/SD, COMISS/UCOMISS, …): cmpVal32/64 return an operand's value with DAZ applied
 * and note NaNs (QNaN 1, SNaN 2) and denormals; cmpFlags then raises IE for an SNaN, or for any NaN when the
 * predicate signals, else DE for a denormal (a NaN operand outranks DE, SDM Vol. 1 §4.9.2).
 */
const cmpSt = { nan: 0, den: false };
export function cmpVal32(bits: number): number {
  if (isNaN32(bits)) { cmpSt.nan = Math.max(cmpSt.nan, bits & 0x400000 ? 1 : 2); return NaN; }
  if ((bits & 0x7f800000) === 0 && (bits & 0x7fffff) !== 0) { if (mx.daz) return 0; cmpSt.den = true; }
  I32[0] = bits;
  return F32[0];
}
export function cmpVal64(hi: number, lo: number): number {
  if (isNaN64(hi, lo)) { cmpSt.nan = Math.max(cmpSt.nan, hi & 0x80000 ? 1 : 2); return NaN; }
  if ((hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0) { if (mx.daz) return 0; cmpSt.den = true; }
  I64[0] = lo; I64[1] = hi;
  return F64[0];
}
export function cmpFlags(signaling: boolean): void {
  if (cmpSt.nan) { if (signaling || cmpSt.nan === 2) mxs.flags |= MxFlag.IE; }
  else if (cmpSt.den) mxs.flags |= MxFlag.DE;
  cmpSt.nan = 0; cmpSt.den = false;
}
