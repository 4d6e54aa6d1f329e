import type { Cpu } from './cpu';
import { ud } from './fault';
import { Imm, Insn } from './insn';
import { setArithFlags } from './flags';
import { A, A8, A16, B, loadA, loadB, pfx, sseCheck, storeA } from './sse';
import { Flag } from './state';
import { def } from './table';

/**
 * SSE4.2 (CPUID.01H:ECX.SSE4_2[20]; SDM Vol. 2): PCMPGTQ (66 0F38 37), a signed 64-bit compare; CRC32 (F2 0F38 F0/F1, registered with MOVBE in bmi.ts),
 * the accumulation of CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) over an 8/16/32/64-bit source into
 * the low 32 bits of the destination, with no pre- or post-inversion; a 64-bit destination's upper half is
 * zeroed. Flags are unchanged.
 */

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let v = n;
  for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x82f63b78 : v >>> 1;
  TABLE[n] = v;
}
function crcBytes(crc: number, v: number, n: number): number {
  for (let k = 0; k < n; k++) { crc = TABLE[(crc ^ v) & 0xff] ^ (crc >>> 8); v >>>= 8; }
  return crc;
}

/** CRC32 r32/r64, r/m8 (`byteSrc`) or r/m16/32/64 (by operand size). */
export function crc32(c: Cpu, i: Insn, byteSrc: boolean): void {
  const size = byteSrc ? 1 : i.osz;
  const v = c.readE(i, size), hi = c.hi;
  let crc = c.r[2 * i.reg];
  if (size === 8) crc = crcBytes(crcBytes(crc, v, 4), hi, 4);
  else crc = crcBytes(crc, v, size);
  c.r[2 * i.reg] = crc;
  c.r[2 * i.reg + 1] = 0;
}

def(0x237, 'pcmpgtq', true, Imm.NONE, (c, i) => {
  if (pfx(i) !== 1) ud();
  sseCheck(c);
  loadB(c, i, true);
  loadA(c, i.reg);
  for (let k = 0; k < 4; k += 2) {
    const gt = A[k + 1] > B[k + 1] || (A[k + 1] === B[k + 1] && A[k] >>> 0 > B[k] >>> 0) ? -1 : 0;
    A[k] = gt; A[k + 1] = gt;
  }
  storeA(c, i.reg);
});

// ------------------------------------------------------------------------------------------ string compares
/**
 * PCMPESTRM/PCMPESTRI/PCMPISTRM/PCMPISTRI (66 0F3A 60-63 ib; SDM Vol. 2 §4.1): compare the elements of
 * xmm1 (src1) with those of xmm2/m128 (src2, which need not be aligned). imm8[1:0] element format (unsigned
 * bytes, unsigned words, signed bytes, signed words), [3:2] aggregation (equal any, ranges, equal each,
 * equal ordered), [5:4] polarity, [6] the least/most significant index (…STRI) or a bit/element mask
 * (…STRM, into XMM0). Lengths: explicit (…E…: |rAX| and |rDX|, saturated) or implicit (…I…: up to the first
 * zero element). Flags: CF = result non-zero, ZF = src2 shorter than the register, SF = src1 shorter,
 * OF = result bit 0, AF = PF = 0. Comparisons with invalid (past-the-end) elements follow SDM Table 4-7.
 */
const S1 = new Int32Array(16), S2 = new Int32Array(16);

/** Elements of xmm (4 int32 words at `w`) by format into `out` (signed or unsigned values). */
function elements(x: Int32Array, w: number, fmt: number, out: Int32Array): void {
  const words = (fmt & 1) !== 0, signed = (fmt & 2) !== 0;
  const n = words ? 8 : 16;
  for (let k = 0; k < n; k++) {
    const v = words ? (x[w + (k >> 1)] >>> (16 * (k & 1))) & 0xffff : (x[w + (k >> 2)] >>> (8 * (k & 3))) & 0xff;
    out[k] = signed ? (words ? (v << 16) >> 16 : (v << 24) >> 24) : v;
  }
}
function implicitLength(v: Int32Array, n: number): number {
  for (let k = 0; k < n; k++) if (v[k] === 0) return k;
  return n;
}
/** |length register| (32 or 64 bits, signed) saturated to n. */
function explicitLength(c: Cpu, r: number, wide: boolean, n: number): number {
  const lo = c.r[2 * r], hi = wide ? c.r[2 * r + 1] : lo >> 31;
  if (hi === 0) return lo >>> 0 >= n ? n : lo;
  if (hi === -1) { const m = -lo >>> 0; return lo === 0 || m >= n ? n : m; }
  return n;
}

/** IntRes2 of the compare (bit k = element k of src2), with the flags set. */
function compareStrings(c: Cpu, ctl: number, la: number, lb: number, n: number): number {
  const agg = (ctl >>> 2) & 3;
  // BoolRes(i, j): src1 element i against src2 element j, with Table 4-7's values for invalid elements
  const boolRes = (i: number, j: number, upperBound: boolean): boolean => {
    const v1 = i < la, v2 = j < lb;
    if (!v1 && !v2) return agg >= 2;
    if (!v1) return agg === 3;
    if (!v2) return false;
    if (agg === 1) return upperBound ? S1[i] >= S2[j] : S1[i] <= S2[j];
    return S1[i] === S2[j];
  };
  let res = 0;
  for (let j = 0; j < n; j++) {
    let bit = false;
    switch (agg) {
      case 0: for (let i = 0; i < n && !bit; i++) bit = boolRes(i, j, false); break;
      case 1: for (let i = 0; i < n && !bit; i += 2) bit = boolRes(i, j, false) && boolRes(i + 1, j, true); break;
      case 2: bit = boolRes(j, j, false); break;
      default: bit = true; for (let i = 0; i < n - j && bit; i++) bit = boolRes(i, j + i, false); break;
    }
    if (bit) res |= 1 << j;
  }
  const all = (1 << n) - 1;
  switch ((ctl >>> 4) & 3) {
    case 1: res ^= all; break;
    case 3: res ^= (1 << lb) - 1; break;
  }
  setArithFlags(c, (res !== 0 ? Flag.CF : 0) | (lb < n ? Flag.ZF : 0) | (la < n ? Flag.SF : 0) | (res & 1 ? Flag.OF : 0));
  return res;
}

function pcmpstr(explicit: boolean, index: boolean) {
  return (c: Cpu, i: Insn): void => {
    if (pfx(i) !== 1) ud();
    sseCheck(c);
    loadB(c, i, false);
    const ctl = i.imm & 0xff;
    const n = ctl & 1 ? 8 : 16;
    elements(c.xmm, i.reg * 4, ctl & 3, S1);
    elements(B, 0, ctl & 3, S2);
    const wide = (i.rex & 8) !== 0;
    const la = explicit ? explicitLength(c, 0, wide, n) : implicitLength(S1, n);
    const lb = explicit ? explicitLength(c, 2, wide, n) : implicitLength(S2, n);
    const res = compareStrings(c, ctl, la, lb, n);
    if (index) {
      const k = res === 0 ? n : ctl & 0x40 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
      c.r[2] = k; c.r[3] = 0; // ECX (RCX's upper half cleared)
      return;
    }
    if (ctl & 0x40) { // an element mask
      for (let k = 0; k < n; k++) {
        const m = (res >>> k) & 1 ? (n === 16 ? 0xff : 0xffff) : 0;
        if (n === 16) A8[k] = m; else A16[k] = m;
      }
    } else { A[0] = res; A[1] = 0; A[2] = 0; A[3] = 0; }
    storeA(c, 0);
  };
}
def(0x360, 'pcmpestrm', true, Imm.IB, pcmpstr(true, false));
def(0x361, 'pcmpestri', true, Imm.IB, pcmpstr(true, true));
def(0x362, 'pcmpistrm', true, Imm.IB, pcmpstr(false, false));
def(0x363, 'pcmpistri', true, Imm.IB, pcmpstr(false, true));
