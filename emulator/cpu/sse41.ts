import type { Cpu } from './cpu';
import { ud } from './fault';
import { setArithFlags } from './flags';
import { Imm, Insn } from './insn';
import { A, A8, A16, AD, B, B8, B16, BD, laneShift, loadA, loadB, loadBScalar, loadMask, M, pfx, sseCheck, storeA } from './sse';
import { Arith, arith32, arith64, isNaN32, isNaN64, mx, mxDone, MxFlag, mxs, R64, setMxcsrRc } from './sse-float';
import { Flag } from './state';
import { def } from './table';

/**
 * SSE4.1 (CPUID.01H:ECX.SSE4_1[19]; SDM Vol. 2), all 66-prefixed, XMM only:
 *  0F38: PBLENDVB/BLENDVPS/BLENDVPD (10/14/15, mask in XMM0), PTEST (17), PMOVSX* (20-25), PMULDQ (28),
 *        PCMPEQQ (29), MOVNTDQA (2A), PACKUSDW (2B), PMOVZX* (30-35), PMIN/PMAX SB/SD/UW/UD (38-3F),
 *        PMULLD (40), PHMINPOSUW (41);
 *  0F3A: ROUNDPS/PD/SS/SD (08-0B), BLENDPS/PD (0C/0D), PBLENDW (0E), PEXTRB/W/D/Q (14-16), EXTRACTPS (17),
 *        PINSRB (20), INSERTPS (21), PINSRD/Q (22), DPPS/DPPD (40/41), MPSADBW (42).
 * 128-bit memory operands must be 16-byte aligned (legacy SSE); the PMOVSX/ZX, scalar, insert and extract
 * forms read or write only their element. Float results (ROUND*, DP*) follow sse-float.ts (DAZ/FTZ, the NaN
 * rules; MXCSR exception flags are not kept); ROUND* takes its rounding mode from imm8 or MXCSR.RC.
 */

const s8 = (v: number): number => (v << 24) >> 24;
const s16 = (v: number): number => (v << 16) >> 16;
const T = new Int32Array(4), T16 = new Uint16Array(T.buffer);

/** A 66-only 128-bit operation on A (destination) and B (source xmm/m128). */
function op66(name: string, op: number, f: (c: Cpu, imm: number) => void, imm = false): void {
  def(op, name, true, imm ? Imm.IB : Imm.NONE, (c, i) => {
    if (pfx(i) !== 1) ud();
    sseCheck(c);
    loadB(c, i, true);
    loadA(c, i.reg);
    f(c, i.imm & 0xff);
    storeA(c, i.reg);
  });
}

// ------------------------------------------------------------------------------------------ blends
/** Variable blends: elements whose XMM0 mask element has its top bit set come from the source. */
// The mask is XMM0 (legacy) or the VEX is4 register (loadMask); VEX.256 blends take the upper lane's imm8 bits.
op66('pblendvb', 0x210, (c) => { loadMask(c); for (let k = 0; k < 16; k++) if ((M[k >> 2] >>> (8 * (k & 3))) & 0x80) A8[k] = B8[k]; });
op66('blendvps', 0x214, (c) => { loadMask(c); for (let k = 0; k < 4; k++) if (M[k] < 0) A[k] = B[k]; });
op66('blendvpd', 0x215, (c) => { loadMask(c); for (let k = 0; k < 2; k++) if (M[2 * k + 1] < 0) { A[2 * k] = B[2 * k]; A[2 * k + 1] = B[2 * k + 1]; } });
op66('blendps', 0x30c, (_c, imm) => { imm >>>= laneShift(4); for (let k = 0; k < 4; k++) if (imm & (1 << k)) A[k] = B[k]; }, true);
op66('blendpd', 0x30d, (_c, imm) => { imm >>>= laneShift(2); for (let k = 0; k < 2; k++) if (imm & (1 << k)) { A[2 * k] = B[2 * k]; A[2 * k + 1] = B[2 * k + 1]; } }, true);
op66('pblendw', 0x30e, (_c, imm) => { for (let k = 0; k < 8; k++) if (imm & (1 << k)) A16[k] = B16[k]; }, true);

// ------------------------------------------------------------------------------------------ PTEST
// ZF = (dest AND src) is all zero, CF = (NOT dest AND src) is all zero; AF, OF, PF, SF cleared.
def(0x217, 'ptest', true, Imm.NONE, (c, i) => {
  if (pfx(i) !== 1) ud();
  sseCheck(c);
  loadB(c, i, true);
  loadA(c, i.reg);
  let and = 0, andn = 0;
  for (let k = 0; k < 4; k++) { and |= A[k] & B[k]; andn |= ~A[k] & B[k]; }
  setArithFlags(c, (and === 0 ? Flag.ZF : 0) | (andn === 0 ? Flag.CF : 0));
});

// ------------------------------------------------------------------------------------------ PMOVSX/ZX
/** Sign (0F38 20-25) or zero (30-35) extension of the source's low elements: [element bytes, result bytes]. */
const EXT: [number, number][] = [[1, 2], [1, 4], [1, 8], [2, 4], [2, 8], [4, 8]];
for (let n = 0; n < 6; n++) {
  for (const signed of [true, false]) {
    const [from, to] = EXT[n];
    const names = ['bw', 'bd', 'bq', 'wd', 'wq', 'dq'];
    def((signed ? 0x220 : 0x230) + n, `pmov${signed ? 's' : 'z'}x${names[n]}`, true, Imm.NONE, (c, i) => {
      if (pfx(i) !== 1) ud();
      sseCheck(c);
      const bytes = (16 / to) * from;
      if (i.mod === 3) { const s = i.rm * 4; B[0] = c.xmm[s]; B[1] = c.xmm[s + 1]; }
      else {
        const la = c.memAddr(i, bytes, false);
        if (bytes === 8) { B[0] = c.rd64(la); B[1] = c.hi; } else B[0] = c.rd(la, bytes);
      }
      for (let k = 0; k < 16 / to; k++) {
        const v = from === 1 ? (signed ? s8(B8[k]) : B8[k]) : from === 2 ? (signed ? s16(B16[k]) : B16[k]) : signed ? B[k] : B[k] >>> 0;
        if (to === 2) T16[k] = v;
        else if (to === 4) T[k] = v;
        else { T[2 * k] = v; T[2 * k + 1] = v < 0 ? -1 : 0; }
      }
      A[0] = T[0]; A[1] = T[1]; A[2] = T[2]; A[3] = T[3];
      storeA(c, i.reg);
    });
  }
}

// ------------------------------------------------------------------------------------------ integer arithmetic
/** The signed 64-bit product of two int32 (exact through 16-bit pieces) into lanes k, k+1 of A. */
function mulS32(a: number, b: number, k: number): void {
  const neg = (a ^ b) < 0 && a !== 0 && b !== 0;
  const x = Math.abs(a), y = Math.abs(b);
  const xl = x % 65536, xh = (x - xl) / 65536;
  const lo = xl * y, hiPart = xh * y;
  const total = lo + (hiPart % 65536) * 65536;
  let rl = total % 4294967296, rh = Math.floor(hiPart / 65536) + Math.floor(total / 4294967296);
  if (neg) { rh = rl === 0 ? -rh : ~rh; rl = -rl; }
  A[k] = rl | 0; A[k + 1] = rh | 0;
}
op66('pmuldq', 0x228, () => { const a0 = A[0], a2 = A[2]; mulS32(a0, B[0], 0); mulS32(a2, B[2], 2); });
op66('pmulld', 0x240, () => { for (let k = 0; k < 4; k++) A[k] = Math.imul(A[k], B[k]); });
op66('pcmpeqq', 0x229, () => {
  for (let k = 0; k < 4; k += 2) { const eq = A[k] === B[k] && A[k + 1] === B[k + 1] ? -1 : 0; A[k] = eq; A[k + 1] = eq; }
});
op66('packusdw', 0x22b, () => {
  const sat = (v: number): number => (v < 0 ? 0 : v > 65535 ? 65535 : v);
  for (let k = 0; k < 4; k++) { T16[k] = sat(A[k]); T16[4 + k] = sat(B[k]); }
  for (let k = 0; k < 4; k++) A[k] = T[k];
});
op66('pminsb', 0x238, () => { for (let k = 0; k < 16; k++) if (s8(B8[k]) < s8(A8[k])) A8[k] = B8[k]; });
op66('pminsd', 0x239, () => { for (let k = 0; k < 4; k++) if (B[k] < A[k]) A[k] = B[k]; });
op66('pminuw', 0x23a, () => { for (let k = 0; k < 8; k++) if (B16[k] < A16[k]) A16[k] = B16[k]; });
op66('pminud', 0x23b, () => { for (let k = 0; k < 4; k++) if (B[k] >>> 0 < A[k] >>> 0) A[k] = B[k]; });
op66('pmaxsb', 0x23c, () => { for (let k = 0; k < 16; k++) if (s8(B8[k]) > s8(A8[k])) A8[k] = B8[k]; });
op66('pmaxsd', 0x23d, () => { for (let k = 0; k < 4; k++) if (B[k] > A[k]) A[k] = B[k]; });
op66('pmaxuw', 0x23e, () => { for (let k = 0; k < 8; k++) if (B16[k] > A16[k]) A16[k] = B16[k]; });
op66('pmaxud', 0x23f, () => { for (let k = 0; k < 4; k++) if (B[k] >>> 0 > A[k] >>> 0) A[k] = B[k]; });
// PHMINPOSUW: the smallest unsigned source word and its (lowest) index; the rest of the destination is zeroed.
op66('phminposuw', 0x241, () => {
  let m = B16[0], at = 0;
  for (let k = 1; k < 8; k++) if (B16[k] < m) { m = B16[k]; at = k; }
  A[0] = m | (at << 16); A[1] = 0; A[2] = 0; A[3] = 0;
});
// MPSADBW: eight sums of absolute differences between 4-byte windows of the destination (offset imm8[2]·4, sliding)
// and one 4-byte block of the source (offset imm8[1:0]·4).
op66('mpsadbw', 0x342, (_c, imm) => {
  const d = (imm & 4) ? 4 : 0, s = (imm & 3) * 4;
  for (let k = 0; k < 8; k++) {
    let sum = 0;
    for (let j = 0; j < 4; j++) sum += Math.abs(A8[d + k + j] - B8[s + j]);
    T16[k] = sum;
  }
  for (let k = 0; k < 4; k++) A[k] = T[k];
}, true);

// MOVNTDQA xmm, m128 (66 0F38 2A): an aligned load (the non-temporal hint changes nothing here).
def(0x22a, 'movntdqa', true, Imm.NONE, (c, i) => {
  if (pfx(i) !== 1 || i.mod === 3) ud();
  sseCheck(c);
  loadB(c, i, true);
  const d = i.reg * 4;
  c.xmm[d] = B[0]; c.xmm[d + 1] = B[1]; c.xmm[d + 2] = B[2]; c.xmm[d + 3] = B[3];
});

// ------------------------------------------------------------------------------------------ rounding
/** Round to an integral value: 0 nearest-even, 1 down, 2 up, 3 toward zero (signs of zeros kept). */
function roundInt(x: number, mode: number): number {
  switch (mode) {
    case 0: { const r = Math.round(x); return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r; }
    case 1: return Math.floor(x);
    case 2: return Math.ceil(x);
    default: return Math.trunc(x);
  }
}
const F32 = new Float32Array(1), I32 = new Int32Array(F32.buffer);
/** ROUND* flags: IE for an SNaN, PE for an inexact result unless imm8[3] suppresses it (SDM ROUNDPS). */
let roundPe = 0;
/** ROUNDSS lane: a NaN is quietened, a denormal under DAZ reads as zero. */
function round32(bits: number, mode: number): number {
  if (isNaN32(bits)) { if (!(bits & 0x400000)) mxs.flags |= MxFlag.IE; return bits | 0x00400000; }
  if (mx.daz && (bits & 0x7f800000) === 0) bits &= 0x80000000;
  I32[0] = bits;
  const x = F32[0];
  F32[0] = roundInt(x, mode);
  if (F32[0] !== x) mxs.flags |= roundPe;
  return I32[0];
}
/** ROUNDSD lane k of A from lane k of B. */
function round64(k: number, mode: number): void {
  const hi = B[2 * k + 1], lo = B[2 * k];
  if (isNaN64(hi, lo)) { if (!(hi & 0x80000)) mxs.flags |= MxFlag.IE; A[2 * k] = lo; A[2 * k + 1] = hi | 0x00080000; return; }
  if (mx.daz && (hi & 0x7ff00000) === 0) { A[2 * k] = 0; A[2 * k + 1] = hi & 0x80000000; return; }
  AD[k] = roundInt(BD[k], mode);
  if (AD[k] !== BD[k]) mxs.flags |= roundPe;
}
const roundMode = (c: Cpu, imm: number): number => {
  setMxcsrRc(c.mxcsr);
  roundPe = imm & 8 ? 0 : MxFlag.PE;
  return imm & 4 ? (c.mxcsr >>> 13) & 3 : imm & 3;
};
op66('roundps', 0x308, (c, imm) => { const m = roundMode(c, imm); for (let k = 0; k < 4; k++) A[k] = round32(B[k], m); mxDone(c); }, true);
op66('roundpd', 0x309, (c, imm) => { const m = roundMode(c, imm); round64(0, m); round64(1, m); mxDone(c); }, true);
function roundScalar(double: boolean) {
  return (c: Cpu, i: Insn): void => {
    if (pfx(i) !== 1) ud();
    sseCheck(c);
    loadBScalar(c, i, double ? 8 : 4);
    loadA(c, i.reg);
    const m = roundMode(c, i.imm & 0xff);
    if (double) round64(0, m); else A[0] = round32(B[0], m);
    mxDone(c);
    storeA(c, i.reg);
  };
}
def(0x30a, 'roundss', true, Imm.IB, roundScalar(false));
def(0x30b, 'roundsd', true, Imm.IB, roundScalar(true));

// ------------------------------------------------------------------------------------------ dot products
const P = new Int32Array(4);
// DPPS: products of the lanes imm8[7:4] selects (others +0.0), summed as the SDM's pseudocode does,
// (p0 + p1) + (p2 + p3), each step rounded; the sum goes to the lanes imm8[3:0] selects, +0.0 elsewhere. With
// several NaN products the first operand's NaN wins at each step, so every selected lane holds the same NaN: the
// SDM and this host (AMD EPYC, the vendor of our CPU models) agree. An Intel host measured earlier summed per
// lane (lane k = (p[k^1] + p[k]) + (p[k^3] + p[k^2])), which gives different NaNs in different lanes.
op66('dpps', 0x340, (c, imm) => {
  setMxcsrRc(c.mxcsr);
  for (let k = 0; k < 4; k++) P[k] = imm & (16 << k) ? arith32(A[k], B[k], Arith.MUL) : 0;
  const sum = arith32(arith32(P[0], P[1], Arith.ADD), arith32(P[2], P[3], Arith.ADD), Arith.ADD);
  for (let k = 0; k < 4; k++) A[k] = imm & (1 << k) ? sum : 0;
  mxDone(c);
}, true);
op66('dppd', 0x341, (c, imm) => {
  setMxcsrRc(c.mxcsr);
  for (let k = 0; k < 2; k++) {
    if (imm & (16 << k)) { arith64(A[2 * k + 1], A[2 * k], B[2 * k + 1], B[2 * k], Arith.MUL); P[2 * k] = R64.lo; P[2 * k + 1] = R64.hi; }
    else { P[2 * k] = 0; P[2 * k + 1] = 0; }
  }
  // p0 + p1 into the selected lanes (SDM pseudocode; this host agrees, the earlier Intel host kept each lane's own NaN)
  arith64(P[1], P[0], P[3], P[2], Arith.ADD);
  for (let k = 0; k < 2; k++) { A[2 * k] = imm & (1 << k) ? R64.lo : 0; A[2 * k + 1] = imm & (1 << k) ? R64.hi : 0; }
  mxDone(c);
}, true);

// ------------------------------------------------------------------------------------------ extract / insert
/** Byte k of XMM register r. */
const xmmByte = (c: Cpu, r: number, k: number): number => (c.xmm[r * 4 + (k >> 2)] >>> (8 * (k & 3))) & 0xff;

// PEXTRB/PEXTRW/PEXTRD/PEXTRQ/EXTRACTPS r/m, xmm, imm8: a register destination is zero-extended.
function extract(bytes: (i: Insn) => number) {
  return (c: Cpu, i: Insn): void => {
    if (pfx(i) !== 1) ud();
    sseCheck(c);
    const n = bytes(i);
    const lane = i.imm & (16 / n - 1);
    let lo: number, hi = 0;
    if (n === 1) lo = xmmByte(c, i.reg, lane);
    else if (n === 2) lo = (c.xmm[i.reg * 4 + (lane >> 1)] >>> (16 * (lane & 1))) & 0xffff;
    else if (n === 4) lo = c.xmm[i.reg * 4 + lane];
    else { lo = c.xmm[i.reg * 4 + 2 * lane]; hi = c.xmm[i.reg * 4 + 2 * lane + 1]; }
    if (i.mod === 3) c.writeReg(i.rm, i.rex, n === 8 ? 8 : 4, lo, hi);
    else c.writeE(i, n, lo, hi);
  };
}
def(0x314, 'pextrb', true, Imm.IB, extract(() => 1));
def(0x315, 'pextrw', true, Imm.IB, extract(() => 2));
def(0x316, 'pextrd/q', true, Imm.IB, extract((i) => (i.rex & 8 ? 8 : 4)));
def(0x317, 'extractps', true, Imm.IB, extract(() => 4));

// PINSRB/PINSRD/PINSRQ xmm, r/m, imm8: a register source gives its low byte/dword/qword.
function insert(bytes: (i: Insn) => number) {
  return (c: Cpu, i: Insn): void => {
    if (pfx(i) !== 1) ud();
    sseCheck(c);
    const n = bytes(i);
    const lane = i.imm & (16 / n - 1);
    let lo: number, hi = 0;
    if (i.mod === 3) { lo = c.r[2 * i.rm]; hi = c.r[2 * i.rm + 1]; }
    else { lo = c.readE(i, n); hi = c.hi; }
    loadA(c, i.reg);
    if (n === 1) A8[lane] = lo;
    else if (n === 4) A[lane] = lo;
    else { A[2 * lane] = lo; A[2 * lane + 1] = hi; }
    storeA(c, i.reg);
  };
}
def(0x320, 'pinsrb', true, Imm.IB, insert(() => 1));
def(0x322, 'pinsrd/q', true, Imm.IB, insert((i) => (i.rex & 8 ? 8 : 4)));

// INSERTPS xmm, xmm/m32, imm8: source lane imm8[7:6] (register form) or m32 into lane imm8[5:4], then the
// lanes imm8[3:0] names are zeroed.
def(0x321, 'insertps', true, Imm.IB, (c, i) => {
  if (pfx(i) !== 1) ud();
  sseCheck(c);
  const imm = i.imm & 0xff;
  const v = i.mod === 3 ? c.xmm[i.rm * 4 + (imm >>> 6)] : c.rd(c.memAddr(i, 4, false), 4);
  loadA(c, i.reg);
  A[(imm >>> 4) & 3] = v;
  for (let k = 0; k < 4; k++) if (imm & (1 << k)) A[k] = 0;
  storeA(c, i.reg);
});
