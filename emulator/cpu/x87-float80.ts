/**
 * Software 80-bit extended-precision arithmetic for the x87 (SDM Vol. 1 §4.2, §4.8, §8.1.5-8.1.6), without
 * BigInt: a value is an F80 (sign, 15-bit biased exponent field, 64-bit significand as two uint32 halves with
 * the explicit integer bit J at bit 31 of `hi`). Intermediate results are exact 128-bit significands in the
 * module scratch W (four uint32 words, W[0] most significant) plus a sticky bit, rounded once by roundPack
 * under the precision control (24/53/64 bits) and rounding control of the caller, with the exponent range of
 * the destination (80-bit register, or binary32/binary64 for stores). Nothing allocates per operation.
 *
 * Exception flags accumulate in `st.exc` (FSW bit order: IE=1 DE=2 ZE=4 OE=8 UE=16 PE=32); `st.up` records
 * that the last rounding increased the magnitude (FSW.C1 for PE). The caller sets st.pc/st.rc/st.masks.
 */

export const IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32;

export class F80 {
  s = 0;
  e = 0;
  hi = 0;
  lo = 0;
}

export const st = {
  exc: 0,
  /** The memory operand just converted (binary32/binary64) was a denormal: DE unless a NaN wins. */
  srcDenormal: false,
  up: false,
  /** Significand precision in bits: 24, 53 or 64 (FCW.PC). */
  pc: 64,
  /** FCW.RC: 0 nearest-even, 1 down, 2 up, 3 toward zero. */
  rc: 0,
  /** FCW exception masks (bits 0-5). */
  masks: 0x3f,
};

/** Operand classes (FXAM order is different; see x87.ts). */
export const enum Cls { ZERO, DENORMAL, NORMAL, INF, QNAN, SNAN, UNSUPPORTED }

export function classify(a: F80): Cls {
  const j = (a.hi & 0x80000000) !== 0;
  if (a.e === 0x7fff) {
    if (!j) return Cls.UNSUPPORTED; // pseudo-infinity / pseudo-NaN
    if ((a.hi & 0x7fffffff) === 0 && a.lo === 0) return Cls.INF;
    return a.hi & 0x40000000 ? Cls.QNAN : Cls.SNAN;
  }
  if (a.e === 0) return a.hi === 0 && a.lo === 0 ? Cls.ZERO : Cls.DENORMAL; // pseudo-denormals (J=1) included
  return j ? Cls.NORMAL : Cls.UNSUPPORTED; // unnormal
}

export function copy(d: F80, a: F80): void { d.s = a.s; d.e = a.e; d.hi = a.hi; d.lo = a.lo; }
export function setZero(d: F80, s: number): void { d.s = s; d.e = 0; d.hi = 0; d.lo = 0; }
export function setInf(d: F80, s: number): void { d.s = s; d.e = 0x7fff; d.hi = 0x80000000; d.lo = 0; }
/** The real indefinite (SDM §4.8.3.7): negative QNaN with significand 1.1000…0. */
export function setIndefinite(d: F80): void { d.s = 1; d.e = 0x7fff; d.hi = 0xc0000000; d.lo = 0; }
export function isNaNish(k: Cls): boolean { return k >= Cls.QNAN; }

/**
 * The denormal-operand check of an operation whose operands are not NaNs (SDM §8.5.2): sets DE; true when DE
 * is unmasked, so the operation stops before computing anything (no other flag, no result).
 */
export function denormStop(ka: Cls, kb: Cls): boolean {
  if (ka !== Cls.DENORMAL && kb !== Cls.DENORMAL && !st.srcDenormal) return false;
  st.exc |= DE;
  return !(st.masks & DE);
}

// ------------------------------------------------------------------------------ 128-bit scratch
export const W = new Uint32Array(4);
const Q3 = new Uint32Array(3), R3 = new Uint32Array(3), T3 = new Uint32Array(3);

function clz32(x: number): number { return Math.clz32(x); }

/** Shift W right by n (any n ≥ 0), OR-ing every bit shifted out into bit 0 (sticky). */
export function shrSticky(n: number): void {
  if (n <= 0) return;
  let sticky = 0;
  if (n >= 128) {
    sticky = W[0] | W[1] | W[2] | W[3];
    W[0] = W[1] = W[2] = W[3] = 0;
    W[3] = sticky !== 0 ? 1 : 0;
    return;
  }
  const words = n >>> 5, bits = n & 31;
  for (let k = 0; k < words; k++) sticky |= W[3 - k];
  for (let k = 3; k >= 0; k--) W[k] = k - words >= 0 ? W[k - words] : 0;
  if (bits) {
    sticky |= W[3] << (32 - bits);
    for (let k = 3; k > 0; k--) W[k] = (W[k] >>> bits) | (W[k - 1] << (32 - bits));
    W[0] = W[0] >>> bits;
  }
  if (sticky !== 0) W[3] |= 1;
}

export function shl(n: number): void {
  const words = n >>> 5, bits = n & 31;
  for (let k = 0; k < 4; k++) W[k] = k + words < 4 ? W[k + words] : 0;
  if (bits) {
    for (let k = 0; k < 3; k++) W[k] = (W[k] << bits) | (W[k + 1] >>> (32 - bits));
    W[3] = W[3] << bits;
  }
}

export function wClz(): number {
  for (let k = 0; k < 4; k++) if (W[k] !== 0) return 32 * k + clz32(W[k]);
  return 128;
}

// --------------------------------------------------------------------------------- rounding
/** Exponent-range description of a destination: minimum and maximum unbiased exponent of a normal. */
export const EXT_EMIN = -16382, EXT_EMAX = 16383;
export const DBL_EMIN = -1022, DBL_EMAX = 1023;
export const SGL_EMIN = -126, SGL_EMAX = 127;
const REBIAS = 24576;

/**
 * Round the value (-1)^s × W × 2^x (x = exponent of W's bit 0) to p significand bits in [emin, emax] and
 * write it to d as an 80-bit encoding (a result that is denormal in a narrower format is stored normalised).
 * Sets PE/UE/OE and st.up. `toReg`: the destination is an x87 register, so unmasked OE/UE rebias the exponent
 * by 24576 (SDM §8.5.3, §8.5.4); for memory destinations the caller discards the result when they are
 * unmasked. Returns false when the result must not be stored (unmasked OE/UE on a memory destination).
 */
export function roundPack(d: F80, s: number, x: number, p: number, emin: number, emax: number, toReg: boolean, rc: number = st.rc): boolean {
  st.up = false;
  const lz = wClz();
  if (lz === 128) { setZero(d, s); return true; }
  shl(lz);
  let E = x + 127 - lz; // exponent of W's bit 127
  let store = true;
  let tiny = E < emin;
  let rebiased = false;
  // unmasked underflow to a register: the exponent is rebiased by +24576 when that brings it into range
  // (FSCALE can go further; then the masked response is delivered, as the hardware does)
  if (tiny && toReg && !(st.masks & UE)) {
    if (E + REBIAS < emin) { st.exc |= UE | PE; st.up = false; setZero(d, s); return true; } // beyond the wrap: ±0
    E += REBIAS; tiny = false; rebiased = true;
  }
  if (tiny) { shrSticky(emin - E); E = emin; }
  // keep bits 127..128-p; unit at bit u = 128 - p
  const u = 128 - p;
  const uw = 3 - (u >>> 5), ub = u & 31; // word and bit of the unit
  // examine lost bits (below u)
  let half = 0, rest = 0;
  const hb = u - 1, hw = 3 - (hb >>> 5), hbit = hb & 31;
  half = (W[hw] >>> hbit) & 1;
  // bits below the half bit
  for (let k = 3; k > hw; k--) rest |= W[k];
  rest |= hbit === 0 ? 0 : W[hw] & ((1 << hbit) - 1);
  const inexact = half !== 0 || rest !== 0;
  let up = false;
  if (inexact) {
    if (rc === 0) up = half !== 0 && (rest !== 0 || ((W[uw] >>> ub) & 1) !== 0);
    else if (rc === 1) up = s === 1;
    else if (rc === 2) up = s === 0;
  }
  // clear lost bits
  for (let k = 3; k > uw; k--) W[k] = 0;
  W[uw] = ub === 0 ? W[uw] : (W[uw] & ~((1 << ub) - 1)) >>> 0;
  if (up) {
    let carry = 1 << ub;
    for (let k = uw; k >= 0 && carry; k--) {
      const v = W[k] + (carry >>> 0);
      W[k] = v >>> 0;
      carry = v > 0xffffffff ? 1 : 0;
    }
    if (carry) { W[0] = 0x80000000; E++; } // all ones rounded to the next power of two
  }
  const normal = (W[0] & 0x80000000) !== 0;
  if (tiny && inexact) st.exc |= UE;
  if (rebiased) st.exc |= UE;
  if (tiny && !(st.masks & UE)) {
    st.exc |= UE;
    if (!toReg) { st.exc &= ~PE; st.up = false; return false; } // memory destination: nothing stored, only UE
  }
  if (inexact) st.exc |= PE;
  st.up = up;
  if (normal && E > emax) {
    st.exc |= OE;
    if (!(st.masks & OE) && !toReg) { st.exc &= ~PE; st.up = false; return false; }
    if (!(st.masks & OE) && E - REBIAS > emax) { st.exc |= PE; st.up = true; setInf(d, s); return true; } // beyond the wrap: ±∞
    if (!(st.masks & OE)) {
      E -= REBIAS;
    } else {
      st.exc |= PE;
      const toInf = rc === 0 || (rc === 1 && s === 1) || (rc === 2 && s === 0);
      st.up = toInf;
      if (toInf) { setInf(d, s); return store; }
      // largest finite with p bits
      W[0] = W[1] = 0xffffffff; W[2] = W[3] = 0;
      W[uw] = ub === 0 ? W[uw] : (W[uw] & ~((1 << ub) - 1)) >>> 0;
      for (let k = 3; k > uw; k--) W[k] = 0;
      E = emax;
    }
  }
  d.s = s;
  if (normal) {
    d.e = E + 16383; d.hi = W[0]; d.lo = W[1];
  } else if (W[0] === 0 && W[1] === 0) {
    setZero(d, s);
  } else if (emin === EXT_EMIN) {
    d.e = 0; d.hi = W[0]; d.lo = W[1];
  } else {
    // denormal of a narrower format: normal as an 80-bit value
    const z = wClz(); shl(z);
    d.e = E - z + 16383; d.hi = W[0]; d.lo = W[1];
  }
  return store;
}

/** Round an 80-bit value to the register format under PC/RC (FLD of a wider value, FSCALE, …). */
export function roundReg(d: F80, a: F80): void {
  unpack(a);
  roundPack(d, a.s, X, st.pc, EXT_EMIN, EXT_EMAX, true);
}

// ---------------------------------------------------------------------------------- unpacking
/** Exponent of W's bit 0 after unpack(). */
let X = 0;
/** W = significand of a (finite, non-zero) at bits 127..64; X set so that value = W × 2^X. */
function unpack(a: F80): void {
  W[0] = a.hi; W[1] = a.lo; W[2] = 0; W[3] = 0;
  X = (a.e === 0 ? 1 : a.e) - 16383 - 127;
}

/** unpack() for the other float files: returns X. */
export function unpackExp(a: F80): number {
  unpack(a);
  return X;
}

/** Normalised significand (J set) and unbiased exponent of a finite non-zero value, in NA. */
export const NA = { hi: 0, lo: 0, E: 0 };
export function norm(a: F80): void {
  let hi = a.hi, lo = a.lo, E = (a.e === 0 ? 1 : a.e) - 16383;
  if (!(hi & 0x80000000)) {
    if (hi === 0) { const z = clz32(lo); hi = z === 31 ? 0 : 0; hi = (lo << z) >>> 0; lo = 0; E -= 32 + z; }
    else { const z = clz32(hi); hi = ((hi << z) | (lo >>> (32 - z))) >>> 0; lo = (lo << z) >>> 0; E -= z; }
  }
  NA.hi = hi >>> 0; NA.lo = lo >>> 0; NA.E = E;
}

// ------------------------------------------------------------------------------- NaN handling
/**
 * Result of an operation with a NaN or unsupported operand (SDM Vol. 1 Table 4-7): an SNaN or unsupported
 * operand raises IE; the result is the QNaN with the larger significand (the quietened SNaN), the indefinite
 * for unsupported operands. Returns true when it handled the operation.
 */
export function propagateNaN(d: F80, a: F80, ka: Cls, b: F80 | null, kb: Cls): boolean {
  if (ka === Cls.UNSUPPORTED || kb === Cls.UNSUPPORTED) { st.exc |= IE; setIndefinite(d); return true; }
  const an = ka === Cls.QNAN || ka === Cls.SNAN, bn = kb === Cls.QNAN || kb === Cls.SNAN;
  if (!an && !bn) return false;
  if (ka === Cls.SNAN || kb === Cls.SNAN) st.exc |= IE;
  let pick: F80 = an ? a : b!;
  if (an && bn && ka !== kb) pick = ka === Cls.QNAN ? a : b!; // an SNaN and a QNaN: the QNaN
  else if (an && bn) {
    const ah = a.hi | 0x40000000, bh = b!.hi | 0x40000000;
    const cmp = ah !== bh ? (ah >>> 0) - (bh >>> 0) : (a.lo >>> 0) - (b!.lo >>> 0);
    pick = cmp > 0 ? a : cmp < 0 ? b! : (a.s === 0 ? a : b!);
  }
  copy(d, pick);
  d.hi = (d.hi | 0x40000000) >>> 0;
  return true;
}

// -------------------------------------------------------------------------------- arithmetic
/** d = a + (-1)^negB × b. */
export function add(d: F80, a: F80, b: F80, negB: number): void {
  const ka = classify(a), kb = classify(b);
  if (propagateNaN(d, a, ka, b, kb)) return;
  const bs = b.s ^ negB;
  if (ka === Cls.INF || kb === Cls.INF) {
    if (ka === Cls.INF && kb === Cls.INF && a.s !== bs) { st.exc |= IE; setIndefinite(d); return; }
    if (denormStop(ka, kb)) return;
    setInf(d, ka === Cls.INF ? a.s : bs);
    return;
  }
  if (denormStop(ka, kb)) return;
  if (ka === Cls.ZERO && kb === Cls.ZERO) { setZero(d, a.s === bs ? a.s : st.rc === 1 ? 1 : 0); return; }
  if (kb === Cls.ZERO) { roundSingle(d, a, a.s); return; }
  if (ka === Cls.ZERO) { roundSingle(d, b, bs); return; }
  const ea = a.e === 0 ? 1 : a.e, eb = b.e === 0 ? 1 : b.e;
  // larger exponent first
  let big = a, small = b, sb = a.s, ss = bs, diff = ea - eb;
  if (diff < 0) { big = b; small = a; sb = bs; ss = a.s; diff = -diff; }
  // W = small significand shifted to big's scale, one bit headroom: bits 126..63
  W[0] = small.hi; W[1] = small.lo; W[2] = 0; W[3] = 0;
  shrSticky(diff + 1);
  const s0 = W[0], s1 = W[1], s2 = W[2], s3 = W[3];
  const bh = big.hi >>> 1, bl = ((big.hi << 31) | (big.lo >>> 1)) >>> 0, b2 = (big.lo << 31) >>> 0;
  let rs = sb;
  if (sb === ss) {
    let t = s3; W[3] = t;
    t = s2 + b2; W[2] = t >>> 0; let c = t > 0xffffffff ? 1 : 0;
    t = s1 + bl + c; W[1] = t >>> 0; c = t > 0xffffffff ? 1 : 0;
    W[0] = (s0 + bh + c) >>> 0;
  } else {
    // big - small, or small - big when small's magnitude is larger (same exponent)
    let x0 = bh, x1 = bl, x2 = b2, x3 = 0, y0 = s0, y1 = s1, y2 = s2, y3 = s3;
    if (y0 > x0 || (y0 === x0 && (y1 > x1 || (y1 === x1 && (y2 > x2 || (y2 === x2 && y3 > x3)))))) {
      x0 = s0; x1 = s1; x2 = s2; x3 = s3; y0 = bh; y1 = bl; y2 = b2; y3 = 0; rs = ss;
    }
    let t = x3 - y3; W[3] = t >>> 0; let br = t < 0 ? 1 : 0;
    t = x2 - y2 - br; W[2] = t >>> 0; br = t < 0 ? 1 : 0;
    t = x1 - y1 - br; W[1] = t >>> 0; br = t < 0 ? 1 : 0;
    W[0] = (x0 - y0 - br) >>> 0;
    if ((W[0] | W[1] | W[2] | W[3]) === 0) { setZero(d, st.rc === 1 ? 1 : 0); return; }
  }
  // W bit 127 now stands for 2^(Ebig+1)
  const Ebig = (big === a ? ea : eb) - 16383;
  roundPack(d, rs, Ebig + 1 - 127, st.pc, EXT_EMIN, EXT_EMAX, true);
}

/** Round a single finite non-zero operand to the current precision (x + 0, x × 1). */
export function roundSingle(d: F80, a: F80, s: number): void {
  unpack(a);
  roundPack(d, s, X, st.pc, EXT_EMIN, EXT_EMAX, true);
}

export function mul(d: F80, a: F80, b: F80): void {
  const ka = classify(a), kb = classify(b);
  if (propagateNaN(d, a, ka, b, kb)) return;
  const s = a.s ^ b.s;
  if ((ka === Cls.INF && kb === Cls.ZERO) || (ka === Cls.ZERO && kb === Cls.INF)) { st.exc |= IE; setIndefinite(d); return; }
  if (denormStop(ka, kb)) return;
  if (ka === Cls.INF || kb === Cls.INF) { setInf(d, s); return; }
  if (ka === Cls.ZERO || kb === Cls.ZERO) { setZero(d, s); return; }
  mul64(a.hi, a.lo, b.hi, b.lo);
  const x = ((a.e === 0 ? 1 : a.e) - 16383 - 63) + ((b.e === 0 ? 1 : b.e) - 16383 - 63);
  roundPack(d, s, x, st.pc, EXT_EMIN, EXT_EMAX, true);
}

/** W = (ah:al) × (bh:bl), exact 128-bit product (16-bit limbs; every partial sum stays below 2^53). */
export function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, a2 = ah & 0xffff, a3 = ah >>> 16;
  const b0 = bl & 0xffff, b1 = bl >>> 16, b2 = bh & 0xffff, b3 = bh >>> 16;
  let c = a0 * b0;
  const r0 = c % 65536; c = Math.floor(c / 65536);
  c += a0 * b1 + a1 * b0; const r1 = c % 65536; c = Math.floor(c / 65536);
  c += a0 * b2 + a1 * b1 + a2 * b0; const r2 = c % 65536; c = Math.floor(c / 65536);
  c += a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0; const r3 = c % 65536; c = Math.floor(c / 65536);
  c += a1 * b3 + a2 * b2 + a3 * b1; const r4 = c % 65536; c = Math.floor(c / 65536);
  c += a2 * b3 + a3 * b2; const r5 = c % 65536; c = Math.floor(c / 65536);
  c += a3 * b3; const r6 = c % 65536; c = Math.floor(c / 65536);
  const r7 = c;
  W[3] = (r1 * 65536 + r0) >>> 0; W[2] = (r3 * 65536 + r2) >>> 0;
  W[1] = (r5 * 65536 + r4) >>> 0; W[0] = (r7 * 65536 + r6) >>> 0;
}

export function div(d: F80, a: F80, b: F80): void {
  const ka = classify(a), kb = classify(b);
  if (propagateNaN(d, a, ka, b, kb)) return;
  const s = a.s ^ b.s;
  if ((ka === Cls.INF && kb === Cls.INF) || (ka === Cls.ZERO && kb === Cls.ZERO)) { st.exc |= IE; setIndefinite(d); return; }
  // division by zero is recognised before a denormal operand (hardware: ZE without DE)
  if (kb === Cls.ZERO && ka !== Cls.INF) { st.exc |= ZE; setInf(d, s); return; }
  if (denormStop(ka, kb)) return;
  if (ka === Cls.INF) { setInf(d, s); return; }
  if (kb === Cls.INF) { setZero(d, s); return; }
  if (ka === Cls.ZERO) { setZero(d, s); return; }
  norm(a); const ah = NA.hi, al = NA.lo, Ea = NA.E;
  norm(b); const bh = NA.hi, bl = NA.lo, Eb = NA.E;
  // restoring division: 67 quotient bits, the first is the integer bit of a/b in (0.5, 2)
  let rh = ah, rl = al;
  W[0] = W[1] = W[2] = W[3] = 0;
  for (let k = 0; k < 67; k++) {
    if (rh > bh || (rh === bh && rl >= bl)) {
      let t = rl - bl; let br = 0;
      if (t < 0) { t += 4294967296; br = 1; }
      rl = t; rh = rh - bh - br;
      W[k >>> 5] |= 1 << (31 - (k & 31));
    }
    rh = rh * 2 + (rl >>> 31); rl = (rl * 2) % 4294967296;
  }
  if (rh !== 0 || rl !== 0) W[3] |= 1;
  roundPack(d, s, Ea - Eb - 127, st.pc, EXT_EMIN, EXT_EMAX, true);
}

// small 96-bit helpers on Uint32Array(3), [0] most significant
function cmp3(a: Uint32Array, b: Uint32Array): number {
  for (let k = 0; k < 3; k++) if (a[k] !== b[k]) return a[k] > b[k] ? 1 : -1;
  return 0;
}
function sub3(a: Uint32Array, b: Uint32Array): void {
  let br = 0;
  for (let k = 2; k >= 0; k--) { let t = a[k] - b[k] - br; br = t < 0 ? 1 : 0; if (t < 0) t += 4294967296; a[k] = t; }
}
function shl3(a: Uint32Array, n: number, bits: number): void {
  a[0] = (a[0] << n) | (a[1] >>> (32 - n)); a[1] = (a[1] << n) | (a[2] >>> (32 - n)); a[2] = (a[2] << n) | bits;
}

export function sqrt(d: F80, a: F80): void {
  const ka = classify(a);
  if (propagateNaN(d, a, ka, null, Cls.ZERO)) return;
  if (ka === Cls.ZERO) { copy(d, a); return; }
  if (a.s) { st.exc |= IE; setIndefinite(d); return; }
  if (denormStop(ka, Cls.ZERO)) return;
  if (ka === Cls.INF) { copy(d, a); return; }
  norm(a);
  const mh = NA.hi, ml = NA.lo;
  // value = m × 2^t, t = E - 63; N = m × 2^k with t - k even, k ∈ {68, 69}: sqrt(N) has 67 bits
  const t = NA.E - 63;
  const k = ((t - 68) & 1) === 0 ? 68 : 69;
  const L = 64 + k + ((64 + k) & 1); // bits of N processed, even
  const bit = (j: number): number => (j >= k && j < k + 64 ? (j - k >= 32 ? (mh >>> (j - k - 32)) & 1 : (ml >>> (j - k)) & 1) : 0);
  Q3.fill(0); R3.fill(0);
  for (let j = L - 1; j >= 1; j -= 2) {
    shl3(R3, 2, (bit(j) << 1) | bit(j - 1));
    T3.set(Q3); shl3(T3, 2, 1);
    if (cmp3(R3, T3) >= 0) { sub3(R3, T3); shl3(Q3, 1, 1); } else shl3(Q3, 1, 0);
  }
  W[0] = 0; W[1] = Q3[0]; W[2] = Q3[1]; W[3] = Q3[2];
  shl(1);
  if (R3[0] | R3[1] | R3[2]) W[3] |= 1;
  roundPack(d, 0, (t - k) / 2 - 1, st.pc, EXT_EMIN, EXT_EMAX, true);
}

// ------------------------------------------------------------------------------- comparisons
/** Compare a with b: -1 less, 0 equal, 1 greater, 2 unordered. `quiet`: only SNaN raise IE (FUCOM). */
export function compare(a: F80, b: F80, quiet: boolean): number {
  const ka = classify(a), kb = classify(b);
  if (ka === Cls.UNSUPPORTED || kb === Cls.UNSUPPORTED) { st.exc |= IE; return 2; }
  if (isNaNish(ka) || isNaNish(kb)) {
    if (!quiet || ka === Cls.SNAN || kb === Cls.SNAN) st.exc |= IE;
    return 2;
  }
  denormStop(ka, kb);
  const za = ka === Cls.ZERO, zb = kb === Cls.ZERO;
  if (za && zb) return 0;
  if (za) return b.s ? 1 : -1;
  if (zb) return a.s ? -1 : 1;
  if (a.s !== b.s) return a.s ? -1 : 1;
  const m = magCompare(a, b);
  return a.s ? -m : m;
}

/** Compare magnitudes of finite non-zero or infinite values. */
function magCompare(a: F80, b: F80): number {
  if (classify(a) === Cls.INF || classify(b) === Cls.INF) {
    return classify(a) === classify(b) ? 0 : classify(a) === Cls.INF ? 1 : -1;
  }
  norm(a); const ah = NA.hi, al = NA.lo, Ea = NA.E;
  norm(b);
  if (Ea !== NA.E) return Ea > NA.E ? 1 : -1;
  if (ah !== NA.hi) return ah > NA.hi ? 1 : -1;
  if (al !== NA.lo) return al > NA.lo ? 1 : -1;
  return 0;
}
