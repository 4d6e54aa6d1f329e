import { A, A8, A16, B, B8, B16, packed } from './sse';

/**
 * SSSE3 (CPUID.01H:ECX.SSSE3[9]; SDM Vol. 2): PSHUFB, PHADDW/D/SW, PHSUBW/D/SW, PMADDUBSW, PMULHRSW,
 * PSIGNB/W/D, PABSB/W/D (0F38 00-0B, 1C-1E) and PALIGNR (0F3A 0F ib). Each has an MMX form (NP, 64-bit
 * operands) and an XMM form (66); sse.ts's packed() registers both and runs the operation on its A
 * (destination) / B (source) buffers, where the MMX form's operands are the low 8 bytes (copied into both
 * halves). The lane-wise operations give the MMX result in the low half as they are; the horizontal ones,
 * PSHUFB and PALIGNR depend on the width, `n` bytes (8 for MMX, 16 for XMM).
 */

const s8 = (v: number): number => (v << 24) >> 24;
const s16 = (v: number): number => (v << 16) >> 16;
const sat16 = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : v) & 0xffff;
const T8 = new Uint8Array(16), T16 = new Uint16Array(8), T = new Int32Array(4);
const width = (p: number): number => (p === 0 ? 8 : 16);

// PSHUFB: each destination byte is the destination byte the source byte indexes (mod n), or 0 if its top bit is set.
packed('pshufb', 0x200, (_imm, p) => {
  const n = width(p);
  T8.set(A8);
  for (let k = 0; k < n; k++) A8[k] = B8[k] & 0x80 ? 0 : T8[B8[k] & (n - 1)];
});

/** Horizontal word operations: pairs of the destination, then pairs of the source. */
function hWords(f: (x: number, y: number) => number) {
  return (_imm: number, p: number): void => {
    const h = width(p) >> 2;
    for (let k = 0; k < h; k++) { T16[k] = f(A16[2 * k], A16[2 * k + 1]); T16[h + k] = f(B16[2 * k], B16[2 * k + 1]); }
    for (let k = 0; k < 2 * h; k++) A16[k] = T16[k];
  };
}
function hDwords(sub: boolean) {
  return (_imm: number, p: number): void => {
    const h = width(p) >> 3;
    for (let k = 0; k < h; k++) {
      T[k] = sub ? (A[2 * k] - A[2 * k + 1]) | 0 : (A[2 * k] + A[2 * k + 1]) | 0;
      T[h + k] = sub ? (B[2 * k] - B[2 * k + 1]) | 0 : (B[2 * k] + B[2 * k + 1]) | 0;
    }
    for (let k = 0; k < 2 * h; k++) A[k] = T[k];
  };
}
packed('phaddw', 0x201, hWords((x, y) => (x + y) & 0xffff));
packed('phaddd', 0x202, hDwords(false));
packed('phaddsw', 0x203, hWords((x, y) => sat16(s16(x) + s16(y))));
packed('phsubw', 0x205, hWords((x, y) => (x - y) & 0xffff));
packed('phsubd', 0x206, hDwords(true));
packed('phsubsw', 0x207, hWords((x, y) => sat16(s16(x) - s16(y))));

// PMADDUBSW: unsigned destination bytes times signed source bytes, adjacent products summed with saturation.
packed('pmaddubsw', 0x204, () => {
  for (let k = 0; k < 8; k++) A16[k] = sat16(A8[2 * k] * s8(B8[2 * k]) + A8[2 * k + 1] * s8(B8[2 * k + 1]));
});
// PMULHRSW: the signed product scaled by 2^-15 with rounding, bits 16:1 of (product >> 14) + 1.
packed('pmulhrsw', 0x20b, () => {
  for (let k = 0; k < 8; k++) A16[k] = (((s16(A16[k]) * s16(B16[k])) >> 14) + 1) >> 1;
});

// PSIGN: negate, zero or keep each destination element by the sign of the source element.
packed('psignb', 0x208, () => { for (let k = 0; k < 16; k++) { const b = s8(B8[k]); if (b < 0) A8[k] = -A8[k]; else if (b === 0) A8[k] = 0; } });
packed('psignw', 0x209, () => { for (let k = 0; k < 8; k++) { const b = s16(B16[k]); if (b < 0) A16[k] = -A16[k]; else if (b === 0) A16[k] = 0; } });
packed('psignd', 0x20a, () => { for (let k = 0; k < 4; k++) { const b = B[k]; if (b < 0) A[k] = -A[k] | 0; else if (b === 0) A[k] = 0; } });

// PABS: absolute values of the source (the most negative value stays, as an unsigned magnitude).
packed('pabsb', 0x21c, () => { for (let k = 0; k < 16; k++) A8[k] = Math.abs(s8(B8[k])); });
packed('pabsw', 0x21d, () => { for (let k = 0; k < 8; k++) A16[k] = Math.abs(s16(B16[k])); });
packed('pabsd', 0x21e, () => { for (let k = 0; k < 4; k++) A[k] = Math.abs(B[k]) | 0; });

// PALIGNR: destination:source (2n bytes) shifted right by imm8 bytes; the low n bytes.
packed('palignr', 0x30f, (imm, p) => {
  const n = width(p);
  for (let k = 0; k < n; k++) { const j = k + imm; T8[k] = j < n ? B8[j] : j < 2 * n ? A8[j - n] : 0; }
  for (let k = 0; k < n; k++) A8[k] = T8[k];
}, false, true);
