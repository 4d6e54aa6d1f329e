import { TWO32 } from './state';

/**
 * Wide products in plain numbers (no BigInt on the hot path, PERFORMANCE.md), shared by MUL/IMUL (muldiv.ts),
 * the lazy IMUL r64 record's overflow test (flags.ts LF.IMUL64) and translated blocks (jit-integer.ts emits the
 * same arithmetic inline). A 32x32 product is built from 16-bit partial products, each exact in a double; a
 * 64x64 product from four 32x32 ones. The 128-bit results go to module scratch (P) instead of being allocated.
 */

/** High 32 bits of the unsigned 32x32 product (Hacker's Delight mulhu: every partial sum stays below 2^32). */
export function mulU32Hi(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const t = a1 * b0 + ((a0 * b0) >>> 16);
  const u = a0 * b1 + (t & 0xffff);
  return (a1 * b1 + (t >>> 16) + (u >>> 16)) | 0;
}

/**
 * High half of the low 64 bits of a 64x64 product (signed and unsigned alike): the low product's carry plus
 * the two cross products' low halves (the lo half is Math.imul(aLo, bLo)).
 */
export function mul64Hi(aLo: number, aHi: number, bLo: number, bHi: number): number {
  return (mulU32Hi(aLo, bLo) + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
}

/** The 128-bit product's 32-bit words, least significant first (int32 bit patterns). */
export const P = new Int32Array(4);

/** Unsigned 64x64 -> 128 into P. */
export function mulU64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const w0 = Math.imul(aLo, bLo), ll = mulU32Hi(aLo, bLo) >>> 0;
  const lhLo = Math.imul(aLo, bHi) >>> 0, lhHi = mulU32Hi(aLo, bHi) >>> 0;
  const hlLo = Math.imul(aHi, bLo) >>> 0, hlHi = mulU32Hi(aHi, bLo) >>> 0;
  const hhLo = Math.imul(aHi, bHi) >>> 0, hhHi = mulU32Hi(aHi, bHi) >>> 0;
  const s1 = ll + lhLo + hlLo;
  const s2 = lhHi + hlHi + hhLo + Math.floor(s1 / TWO32);
  P[0] = w0; P[1] = s1 | 0; P[2] = s2 | 0; P[3] = (hhHi + Math.floor(s2 / TWO32)) | 0;
}

/** Signed 64x64 -> 128 into P: the unsigned product, minus b·2^64 when a < 0 and a·2^64 when b < 0. */
export function mulS64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  mulU64(aLo, aHi, bLo, bHi);
  if (aHi < 0) subHigh(bLo, bHi);
  if (bHi < 0) subHigh(aLo, aHi);
}
function subHigh(lo: number, hi: number): void {
  const d = (P[2] >>> 0) - (lo >>> 0);
  P[2] = d | 0;
  P[3] = (P[3] - hi - (d < 0 ? 1 : 0)) | 0;
}

/**
 * Whether the signed 64x64 product does not fit in 64 bits (IMUL r64's CF = OF, SDM Vol. 2 IMUL): the 128-bit
 * product's high half is not the sign extension of its low half. Operands that are both sign-extended 32-bit
 * values never overflow (|product| <= 2^62), without the 128-bit product.
 */
export function imul64Overflows(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  if (aHi === aLo >> 31 && bHi === bLo >> 31) return false;
  mulS64(aLo, aHi, bLo, bHi);
  const s = P[1] >> 31;
  return P[2] !== s || P[3] !== s;
}
