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
/** The MXCSR bits op32/op64 look at (set by the instruction handler before its lanes). */
export const mx = { daz: false, ftz: false };
export function setMxcsr(v: number): void { mx.daz = (v & DAZ) !== 0; mx.ftz = (v & FTZ) !== 0; }

const daz32 = (b: number): number => (mx.daz && (b & 0x7f800000) === 0 ? b & 0x80000000 : b);

/** The result bits of a binary32 operation a ∘ b given as bit patterns; `f` computes the non-NaN case. */
export function op32(a: number, b: number, minMax: boolean, f: (x: number, y: number) => number): number {
  const an = isNaN32(a), bn = isNaN32(b);
  a = daz32(a); b = daz32(b);
  if (an || bn) {
    if (minMax) return b; // the source, as DAZ read it
    return (an ? a : b) | 0x00400000;
  }
  I32[0] = a; const x = F32[0];
  I32[0] = b; const y = F32[0];
  const r = f(x, y);
  if (r !== r) return 0xffc00000 | 0;
  if (minMax) return r === x && !(x === y) ? a : b;
  F32[0] = r;
  const bits = I32[0];
  return mx.ftz && (bits & 0x7f800000) === 0 ? bits & 0x80000000 : bits;
}

/** binary64 version: operands as hi/lo halves; the result in R64 (hi, lo). */
export const R64 = { hi: 0, lo: 0 };
const F64 = new Float64Array(1), I64 = new Int32Array(F64.buffer);
export function op64(ahi: number, alo: number, bhi: number, blo: number, minMax: boolean, f: (x: number, y: number) => number): void {
  const an = isNaN64(ahi, alo), bn = isNaN64(bhi, blo);
  if (mx.daz && (ahi & 0x7ff00000) === 0) { ahi &= 0x80000000; alo = 0; }
  if (mx.daz && (bhi & 0x7ff00000) === 0) { bhi &= 0x80000000; blo = 0; }
  if (an || bn) {
    if (minMax) { R64.hi = bhi; R64.lo = blo; return; } // the source, as DAZ read it
    if (an) { R64.hi = ahi | 0x00080000; R64.lo = alo; } else { R64.hi = bhi | 0x00080000; R64.lo = blo; }
    return;
  }
  I64[0] = alo; I64[1] = ahi; const x = F64[0];
  I64[0] = blo; I64[1] = bhi; const y = F64[0];
  const r = f(x, y);
  if (r !== r) { R64.hi = 0xfff80000 | 0; R64.lo = 0; return; }
  if (minMax) {
    if (r === x && !(x === y)) { R64.hi = ahi; R64.lo = alo; } else { R64.hi = bhi; R64.lo = blo; }
    return;
  }
  F64[0] = r;
  R64.lo = I64[0]; R64.hi = I64[1];
  if (mx.ftz && (R64.hi & 0x7ff00000) === 0) { R64.hi &= 0x80000000; R64.lo = 0; }
}
