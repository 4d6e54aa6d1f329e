import { ud } from './fault';
import { Imm } from './insn';
import { mmxCheck, mmxDone, mmxRead } from './mmx';
import { A, A8, A16, B, B8, B16, loadB, packed, pfx, sseCheck } from './sse';
import { def } from './table';

/**
 * The MMX/SSE2 integer operations beyond sse.ts's moves, logic and wrapping arithmetic (SDM Vol. 2):
 * saturating add/subtract (PADDS*, PADDUS*, PSUBS*, PSUBUS*), packs with saturation (PACKSSWB, PACKSSDW,
 * PACKUSWB), PAVGB/PAVGW, PMULHW/PMULHUW, PMULUDQ, PMADDWD, PSADBW, PMINSW/PMAXSW, and MASKMOVQ/MASKMOVDQU. Each is registered through sse.ts's packed(), so the NP
 * encoding is the MMX form on 64 bits and 66 the SSE2 form on 128 bits.
 */

const sat8 = (v: number): number => (v > 127 ? 127 : v < -128 ? -128 : v) & 0xff;
const satU8 = (v: number): number => (v > 255 ? 255 : v < 0 ? 0 : v);
const sat16 = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : v) & 0xffff;
const satU16 = (v: number): number => (v > 65535 ? 65535 : v < 0 ? 0 : v);
const s8 = (v: number): number => (v << 24) >> 24;
const s16 = (v: number): number => (v << 16) >> 16;

packed('paddsb', 0x1ec, () => { for (let k = 0; k < 16; k++) A8[k] = sat8(s8(A8[k]) + s8(B8[k])); });
packed('paddsw', 0x1ed, () => { for (let k = 0; k < 8; k++) A16[k] = sat16(s16(A16[k]) + s16(B16[k])); });
packed('paddusb', 0x1dc, () => { for (let k = 0; k < 16; k++) A8[k] = satU8(A8[k] + B8[k]); });
packed('paddusw', 0x1dd, () => { for (let k = 0; k < 8; k++) A16[k] = satU16(A16[k] + B16[k]); });
packed('psubsb', 0x1e8, () => { for (let k = 0; k < 16; k++) A8[k] = sat8(s8(A8[k]) - s8(B8[k])); });
packed('psubsw', 0x1e9, () => { for (let k = 0; k < 8; k++) A16[k] = sat16(s16(A16[k]) - s16(B16[k])); });
packed('psubusb', 0x1d8, () => { for (let k = 0; k < 16; k++) A8[k] = satU8(A8[k] - B8[k]); });
packed('psubusw', 0x1d9, () => { for (let k = 0; k < 8; k++) A16[k] = satU16(A16[k] - B16[k]); });

packed('pavgb', 0x1e0, () => { for (let k = 0; k < 16; k++) A8[k] = (A8[k] + B8[k] + 1) >> 1; });
packed('pavgw', 0x1e3, () => { for (let k = 0; k < 8; k++) A16[k] = (A16[k] + B16[k] + 1) >> 1; });
packed('pmulhuw', 0x1e4, () => { for (let k = 0; k < 8; k++) A16[k] = (A16[k] * B16[k]) >>> 16; });
packed('pmulhw', 0x1e5, () => { for (let k = 0; k < 8; k++) A16[k] = (s16(A16[k]) * s16(B16[k])) >> 16; });
packed('pminsw', 0x1ea, () => { for (let k = 0; k < 8; k++) if (s16(B16[k]) < s16(A16[k])) A16[k] = B16[k]; });
packed('pmaxsw', 0x1ee, () => { for (let k = 0; k < 8; k++) if (s16(B16[k]) > s16(A16[k])) A16[k] = B16[k]; });

/** PMULUDQ: the unsigned 32-bit lanes 0 and 2 multiplied into 64-bit results (16-bit pieces keep it exact). */
packed('pmuludq', 0x1f4, () => {
  for (let k = 0; k < 4; k += 2) {
    const a = A[k] >>> 0, b = B[k] >>> 0;
    const al = a & 0xffff, ah = a >>> 16;
    const lo = al * b; // < 2^48
    const hiPart = ah * b; // < 2^48, weight 2^16
    const total = lo + (hiPart % 65536) * 65536; // < 2^49
    A[k] = total % 4294967296 | 0;
    A[k + 1] = (Math.floor(hiPart / 65536) + Math.floor(total / 4294967296)) | 0;
  }
});
packed('pmaddwd', 0x1f5, () => {
  for (let k = 0; k < 4; k++) A[k] = (s16(A16[2 * k]) * s16(B16[2 * k]) + s16(A16[2 * k + 1]) * s16(B16[2 * k + 1])) | 0;
});
packed('psadbw', 0x1f6, () => {
  for (let h = 0; h < 2; h++) {
    let sum = 0;
    for (let k = 0; k < 8; k++) sum += Math.abs(A8[8 * h + k] - B8[8 * h + k]);
    A[2 * h] = sum; A[2 * h + 1] = 0;
  }
});

const T8 = new Uint8Array(16), T16 = new Uint16Array(8);
/**
 * Packs: the destination's elements then the source's, each saturated. On MMX (both 64-bit operands copied
 * into both halves by packedMmx) the 128-bit result's low half holds dest-low, src-low: what PACK* mm gives.
 */
function packFrom(mmxLayout: boolean, n: number, get: (src: 0 | 1, k: number) => number, put: (k: number, v: number) => void): void {
  const half = mmxLayout ? n / 4 : n / 2;
  for (let k = 0; k < half; k++) put(k, get(0, k));
  for (let k = 0; k < half; k++) put(half + k, get(1, k));
}
packed('packsswb', 0x163, (_n, p) => {
  packFrom(p === 0, 16, (s, k) => s16((s ? B16 : A16)[k]), (k, v) => { T8[k] = sat8(v); });
  A8.set(T8);
});
packed('packuswb', 0x167, (_n, p) => {
  packFrom(p === 0, 16, (s, k) => s16((s ? B16 : A16)[k]), (k, v) => { T8[k] = satU8(v); });
  A8.set(T8);
});
packed('packssdw', 0x16b, (_n, p) => {
  packFrom(p === 0, 8, (s, k) => (s ? B : A)[k], (k, v) => { T16[k] = v > 32767 ? 32767 : v < -32768 ? 0x8000 : v & 0xffff; });
  for (let k = 0; k < 8; k++) A16[k] = T16[k];
});

/** MASKMOVQ mm, mm (NP 0F F7) / MASKMOVDQU xmm, xmm (66 0F F7): bytes with the mask's top bit set go to [rDI]. */
def(0x1f7, 'maskmovq', true, Imm.NONE, (c, i) => {
  const p = pfx(i);
  if (i.mod !== 3 || p >= 2) ud();
  let n: number;
  if (p === 0) {
    mmxCheck(c);
    A[0] = mmxRead(c, i.reg & 7); A[1] = c.hi;
    B[0] = mmxRead(c, i.rm & 7); B[1] = c.hi;
    n = 8;
  } else {
    sseCheck(c);
    const s = i.reg * 4;
    A[0] = c.xmm[s]; A[1] = c.xmm[s + 1]; A[2] = c.xmm[s + 2]; A[3] = c.xmm[s + 3];
    loadB(c, i, false);
    n = 16;
  }
  // the destination is DS:rDI (segment override allowed), address size from the instruction
  const base = i.asz === 8 ? c.regNum(7) : i.asz === 4 ? c.r[14] >>> 0 : c.r[14] & 0xffff;
  const seg = i.seg >= 0 ? i.seg : 3;
  for (let k = 0; k < n; k++) {
    if (B8[k] & 0x80) c.wr(c.lin(seg, base + k, 1, true), 1, A8[k]);
  }
  if (p === 0) mmxDone(c);
});
