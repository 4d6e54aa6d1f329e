import type { Cpu } from './cpu';
import { gp, raise, ud } from './fault';
import { setArithFlags } from './flags';
import { Imm, Insn } from './insn';
import { Access } from './paging';
import { Cr0, Cr4, Flag } from './state';
import { mmxCheck, mmxDone, mmxRead, mmxWrite } from './mmx';
import { def } from './table';
import { Arith, arith32, arith64, cmpFlags, cmpVal32, cmpVal64, MxFlag, mxDone, R64, setMxcsrRc } from './sse-float';
import { cvtp2pi, cvtpi2p, cvtPacked5a, d2f, dazValue, f2d, f32Round, i64ToF32, i64ToF64, roundMx } from './sse-convert';

/**
 * SSE/SSE2 moves and the integer and scalar-float operations compilers emit for memcpy/memset, struct
 * copies and simple vector code. XMM registers live in c.xmm (4 int32 per register). The handlers work on two
 * module-level 16-byte scratch buffers (A = destination, B = source) with typed views, so nothing is
 * allocated per instruction. Legacy-SSE 128-bit memory operands must be 16-byte aligned (#GP(0)) except for
 * the unaligned moves (MOVUPS/MOVUPD/MOVDQU) and 64/32-bit scalar accesses (SDM Vol. 1 §10.4, Vol. 2 §2.4).
 *
 * The arithmetic honours MXCSR.RC/DAZ/FTZ and sets its exception flags (sse-float.ts). SSE3's arithmetic is
 * sse3.ts, SSSE3 ssse3.ts, SSE4.1 sse41.ts, SSE4.2 sse42.ts, the conversions sse-convert.ts. The MMX forms (NP) of the moves and of the integer operations
 * listed here run on the MMX register file of mmx.ts; the saturating, averaging, multiply-high, pack and
 * sum-of-differences operations are sse-int.ts.
 */

const bufA = new ArrayBuffer(16), bufB = new ArrayBuffer(16);
/** Scratch operands shared with the other SSE family files (sse-int.ts): A = destination, B = source. */
export const A = new Int32Array(bufA), B = new Int32Array(bufB);
export const A8 = new Uint8Array(bufA), B8 = new Uint8Array(bufB);
export const A16 = new Uint16Array(bufA), B16 = new Uint16Array(bufB);
export const AF = new Float32Array(bufA), BF = new Float32Array(bufB);
export const AD = new Float64Array(bufA), BD = new Float64Array(bufB);
const T = new Int32Array(4);

/**
 * VEX execution of a legacy SSE handler (avx-sse.ts runs the handler with `vx.on`; twice for VEX.256, `hi` = 0
 * then 1): loadA reads the first source (VEX.vvvv for the non-destructive NDS forms), loadB/loadBScalar read
 * without the legacy 16-byte alignment rule (unless `aligned`) from the 128-bit lane `hi` names, storeA
 * collects the lane in VR for avx-sse.ts to commit (to VEX.vvvv for the NDD forms), and sseCheck leaves the
 * #UD/#NM rules to avx-sse.ts. `mask` is the register of a VEX blend's is4 operand (legacy: XMM0).
 */
export const vx = { on: false, nds: false, ndd: false, vvvv: 0, hi: 0, bytes: 16, aligned: false, dst: -1, mask: 0 };
/** The result lanes storeA collected in VEX execution (0-3 low, 4-7 high). */
export const VR = new Int32Array(8);
/** The imm8 of an instruction whose VEX.256 form takes the upper lane's controls from higher imm8 bits. */
export function laneImm(i: Insn, shift: number): number {
  return (i.imm & 0xff) >>> (vx.on && vx.hi ? shift : 0);
}
/** How far the upper lane's imm8 controls sit above the lower lane's (0 outside the upper VEX.256 pass). */
export function laneShift(shift: number): number {
  return vx.on && vx.hi ? shift : 0;
}
/** The blend mask (legacy: XMM0; VEX: the is4 register) of the current lane into M. */
export const M = new Int32Array(4);
export function loadMask(c: Cpu): void {
  const x = vx.on && vx.hi ? c.ymmHi : c.xmm, s = vx.on ? vx.mask * 4 : 0;
  M[0] = x[s]; M[1] = x[s + 1]; M[2] = x[s + 2]; M[3] = x[s + 3];
}

/** #UD/#NM rules for SSE instructions (SDM Vol. 3 §13.1.3, Table 2-18 / 22-x): EM or !OSFXSR → #UD, TS → #NM. */
export function sseCheck(c: Cpu): void {
  if (vx.on) return; // VEX: avx-sse.ts checked CR4.OSXSAVE/XCR0/TS (SDM Vol. 2 Table 2-18: CR0.EM is legacy-SSE only)
  if ((c.cr0 & Cr0.EM) || !(c.cr4 & Cr4.OSFXSR)) ud('SSE instruction with CR0.EM=1 or CR4.OSFXSR=0');
  if (c.cr0 & Cr0.TS) raise(7, -1, 'SSE instruction with CR0.TS=1 (device not available)');
}

/** Mandatory prefix: 0 none, 1 = 66, 2 = F3, 3 = F2 (F2/F3 win over 66). */
export function pfx(i: Insn): number {
  return i.rep === 1 ? 2 : i.rep === 2 ? 3 : i.p66 ? 1 : 0;
}

/** Linear address of a 16-byte memory operand; #GP(0) if `aligned` and not 16-byte aligned. */
function addr128(c: Cpu, i: Insn, aligned: boolean, write: boolean): number {
  const la = c.memAddr(i, 16, write);
  if (aligned && (la & 15) !== 0) gp(0, 'misaligned 16-byte SSE memory operand');
  return la;
}

export function rd128(c: Cpu, la: number, out: Int32Array): void {
  out[0] = c.rd64(la); out[1] = c.hi;
  const la2 = c.addLinear(la, 8);
  out[2] = c.rd64(la2); out[3] = c.hi;
}

export function wr128(c: Cpu, la: number, v: Int32Array, off: number): void {
  // Check the second page first so a faulting store writes nothing.
  if ((la & 0xfff) > 0xff0) c.translate(c.addLinear(la, 15), Access.WRITE, c.cpl === 3);
  c.wr64(la, v[off], v[off + 1]);
  c.wr64(c.addLinear(la, 8), v[off + 2], v[off + 3]);
}

/** Source operand (xmm/m128) into B. */
export function loadB(c: Cpu, i: Insn, aligned: boolean): void {
  if (i.mod === 3) {
    const s = i.rm * 4, x = vx.on && vx.hi ? c.ymmHi : c.xmm;
    B[0] = x[s]; B[1] = x[s + 1]; B[2] = x[s + 2]; B[3] = x[s + 3];
  } else if (vx.on) {
    // VEX: only the explicitly aligned moves check alignment, on the whole 16/32-byte operand (SDM §2.4)
    const la = c.memAddr(i, vx.bytes, false);
    if (vx.aligned && la % vx.bytes !== 0) gp(0, `misaligned ${vx.bytes}-byte AVX memory operand`);
    rd128(c, vx.hi ? c.addLinear(la, 16) : la, B);
  } else {
    rd128(c, addr128(c, i, aligned, false), B);
  }
}

/** Low 32 or 64 bits of the source (xmm or m32/m64) into B (rest of B undefined). */
export function loadBScalar(c: Cpu, i: Insn, size: number): void {
  if (i.mod === 3) {
    const s = i.rm * 4, x = vx.on && vx.hi ? c.ymmHi : c.xmm;
    B[0] = x[s]; B[1] = x[s + 1];
  } else {
    // VEX.256 VMOVDDUP: the element at the start of each 16-byte half of its m256 source
    let la = c.memAddr(i, vx.on && vx.bytes === 32 ? 32 : size, false);
    if (vx.on && vx.hi) la = c.addLinear(la, 16);
    if (size === 8) { B[0] = c.rd64(la); B[1] = c.hi; } else B[0] = c.rd(la, 4);
  }
}

export function loadA(c: Cpu, r: number): void {
  let x = c.xmm;
  if (vx.on) { if (vx.nds) r = vx.vvvv; if (vx.hi) x = c.ymmHi; }
  const s = r * 4;
  A[0] = x[s]; A[1] = x[s + 1]; A[2] = x[s + 2]; A[3] = x[s + 3];
}
export function storeA(c: Cpu, r: number): void {
  if (vx.on) {
    vx.dst = vx.ndd ? vx.vvvv : r;
    const o = vx.hi * 4;
    VR[o] = A[0]; VR[o + 1] = A[1]; VR[o + 2] = A[2]; VR[o + 3] = A[3];
    return;
  }
  const s = r * 4, x = c.xmm;
  x[s] = A[0]; x[s + 1] = A[1]; x[s + 2] = A[2]; x[s + 3] = A[3];
}

// ------------------------------------------------------------------------------------------ moves
/** Full 128-bit load/store moves: 0F 10/11 (UPS/UPD), 28/29 (APS/APD), 6F/7F (DQA/DQU). */
function move128(c: Cpu, i: Insn, store: boolean, aligned: boolean): void {
  const x = c.xmm;
  if (i.mod === 3) {
    const s = (store ? i.reg : i.rm) * 4, d = (store ? i.rm : i.reg) * 4;
    x[d] = x[s]; x[d + 1] = x[s + 1]; x[d + 2] = x[s + 2]; x[d + 3] = x[s + 3];
  } else if (store) {
    wr128(c, addr128(c, i, aligned, true), x, i.reg * 4);
  } else {
    rd128(c, addr128(c, i, aligned, false), B);
    const d = i.reg * 4;
    x[d] = B[0]; x[d + 1] = B[1]; x[d + 2] = B[2]; x[d + 3] = B[3];
  }
}

/** MOVSS/MOVSD: register forms merge the low element; a load from memory zeroes the rest (SDM MOVSS). */
function moveScalar(c: Cpu, i: Insn, store: boolean, size: number): void {
  const x = c.xmm;
  const n = size >> 2;
  if (i.mod === 3) {
    const s = (store ? i.reg : i.rm) * 4, d = (store ? i.rm : i.reg) * 4;
    for (let k = 0; k < n; k++) x[d + k] = x[s + k];
  } else if (store) {
    const la = c.memAddr(i, size, true);
    if (size === 8) c.wr64(la, x[i.reg * 4], x[i.reg * 4 + 1]); else c.wr(la, 4, x[i.reg * 4]);
  } else {
    loadBScalar(c, i, size);
    const d = i.reg * 4;
    x[d] = B[0]; x[d + 1] = size === 8 ? B[1] : 0; x[d + 2] = 0; x[d + 3] = 0;
  }
}

def(0x110, 'movups', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p >= 2) moveScalar(c, i, false, p === 2 ? 4 : 8); else move128(c, i, false, false);
});
def(0x111, 'movups', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p >= 2) moveScalar(c, i, true, p === 2 ? 4 : 8); else move128(c, i, true, false);
});
def(0x128, 'movaps', true, Imm.NONE, (c, i) => { sseCheck(c); if (pfx(i) >= 2) ud(); move128(c, i, false, true); });
def(0x129, 'movaps', true, Imm.NONE, (c, i) => { sseCheck(c); if (pfx(i) >= 2) ud(); move128(c, i, true, true); });
def(0x16f, 'movdqa', true, Imm.NONE, (c, i) => {
  const p = pfx(i);
  if (p === 0) { movqMmx(c, i, false); return; }
  sseCheck(c);
  if (p === 3) ud();
  move128(c, i, false, p === 1);
});
def(0x17f, 'movdqa', true, Imm.NONE, (c, i) => {
  const p = pfx(i);
  if (p === 0) { movqMmx(c, i, true); return; }
  sseCheck(c);
  if (p === 3) ud();
  move128(c, i, true, p === 1);
});

/** MOVQ mm, mm/m64 (NP 0F 6F) and MOVQ mm/m64, mm (NP 0F 7F). MMX registers ignore REX.R/REX.B. */
function movqMmx(c: Cpu, i: Insn, store: boolean): void {
  mmxCheck(c);
  if (store) {
    const lo = mmxRead(c, i.reg & 7), hi = c.hi;
    if (i.mod === 3) mmxWrite(c, i.rm & 7, lo, hi); else c.wr64(c.memAddr(i, 8, true), lo, hi);
  } else if (i.mod === 3) {
    const lo = mmxRead(c, i.rm & 7);
    mmxWrite(c, i.reg & 7, lo, c.hi);
  } else {
    const lo = c.rd64(c.memAddr(i, 8, false));
    mmxWrite(c, i.reg & 7, lo, c.hi);
  }
  mmxDone(c);
}
// Non-temporal stores: memory only, aligned (MOVNTPS/PD 0F 2B, MOVNTDQ 66 0F E7).
def(0x12b, 'movntps', true, Imm.NONE, (c, i) => { sseCheck(c); if (i.mod === 3 || pfx(i) >= 2) ud(); move128(c, i, true, true); });
def(0x1e7, 'movntdq', true, Imm.NONE, (c, i) => {
  if (i.mod === 3 || pfx(i) >= 2) ud();
  if (pfx(i) === 0) { mmxCheck(c); const la = c.memAddr(i, 8, true); const lo = mmxRead(c, i.reg & 7); c.wr64(la, lo, c.hi); mmxDone(c); return; } // MOVNTQ
  sseCheck(c);
  move128(c, i, true, true);
});
// MOVNTI m32/m64, r (NP 0F C3): an ordinary store here.
def(0x1c3, 'movnti', true, Imm.NONE, (c, i) => {
  if (i.mod === 3 || pfx(i) !== 0) ud();
  const size = i.osz === 8 ? 8 : 4;
  const v = c.readReg(i.reg, i.rex, size);
  c.writeE(i, size, v, c.hi);
});

/**
 * MOVLPS/MOVLPD (0F 12/13) and MOVHPS/MOVHPD (0F 16/17); register forms of 12/16 are MOVHLPS/MOVLHPS. Loads
 * merge into the destination through loadA/storeA, so the VEX forms take the other half from VEX.vvvv.
 */
function movHalf(high: boolean, store: boolean) {
  return (c: Cpu, i: Insn): void => {
    sseCheck(c);
    const p = pfx(i);
    const x = c.xmm, d = i.reg * 4, h = high ? 2 : 0;
    if (!store && p === 2) { // MOVSLDUP / MOVSHDUP (SSE3)
      loadB(c, i, true);
      const k = high ? 1 : 0;
      A[0] = B[k]; A[1] = B[k]; A[2] = B[k + 2]; A[3] = B[k + 2];
      storeA(c, i.reg);
      return;
    }
    if (!store && p === 3 && !high) { // MOVDDUP (SSE3): m64 source
      loadBScalar(c, i, 8);
      A[0] = B[0]; A[1] = B[1]; A[2] = B[0]; A[3] = B[1];
      storeA(c, i.reg);
      return;
    }
    if (p >= 2) ud();
    if (i.mod === 3) {
      if (store || p === 1) ud();
      loadA(c, i.reg);
      loadB(c, i, false);
      // MOVHLPS: low ← source high; MOVLHPS: high ← source low.
      if (!high) { A[0] = B[2]; A[1] = B[3]; } else { A[2] = B[0]; A[3] = B[1]; }
      storeA(c, i.reg);
      return;
    }
    const la = c.memAddr(i, 8, store);
    if (store) { c.wr64(la, x[d + h], x[d + h + 1]); return; }
    loadA(c, i.reg);
    A[h] = c.rd64(la); A[h + 1] = c.hi;
    storeA(c, i.reg);
  };
}
def(0x112, 'movlps', true, Imm.NONE, movHalf(false, false));
def(0x113, 'movlps', true, Imm.NONE, movHalf(false, true));
def(0x116, 'movhps', true, Imm.NONE, movHalf(true, false));
def(0x117, 'movhps', true, Imm.NONE, movHalf(true, true));

// MOVD/MOVQ between GPRs/memory and XMM (66 0F 6E / 66 0F 7E, REX.W selects 64 bits).
def(0x16e, 'movd', true, Imm.NONE, (c, i) => {
  const p = pfx(i);
  const size = i.rex & 8 ? 8 : 4;
  if (p === 0) { // MOVD/MOVQ mm, r/m32/64
    mmxCheck(c);
    const v = c.readE(i, size);
    mmxWrite(c, i.reg & 7, v, size === 8 ? c.hi : 0);
    mmxDone(c);
    return;
  }
  sseCheck(c);
  if (p !== 1) ud();
  A[0] = c.readE(i, size); A[1] = size === 8 ? c.hi : 0; A[2] = 0; A[3] = 0;
  storeA(c, i.reg);
});
def(0x17e, 'movd', true, Imm.NONE, (c, i) => {
  const p = pfx(i);
  if (p === 0) { // MOVD/MOVQ r/m32/64, mm
    mmxCheck(c);
    const lo = mmxRead(c, i.reg & 7);
    c.writeE(i, i.rex & 8 ? 8 : 4, lo, c.hi);
    mmxDone(c);
    return;
  }
  sseCheck(c);
  if (p === 2) { // MOVQ xmm, xmm/m64
    loadBScalar(c, i, 8);
    A[0] = B[0]; A[1] = B[1]; A[2] = 0; A[3] = 0;
    storeA(c, i.reg);
    return;
  }
  if (p !== 1) ud();
  const size = i.rex & 8 ? 8 : 4;
  c.writeE(i, size, c.xmm[i.reg * 4], c.xmm[i.reg * 4 + 1]);
});
def(0x1d6, 'movq', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p >= 2) { // MOVQ2DQ xmm, mm (F3) / MOVDQ2Q mm, xmm (F2): register forms
    if (i.mod !== 3) ud();
    mmxCheck(c);
    if (p === 2) { const lo = mmxRead(c, i.rm & 7), d = i.reg * 4; c.xmm[d] = lo; c.xmm[d + 1] = c.hi; c.xmm[d + 2] = 0; c.xmm[d + 3] = 0; }
    else mmxWrite(c, i.reg & 7, c.xmm[i.rm * 4], c.xmm[i.rm * 4 + 1]);
    mmxDone(c);
    return;
  }
  if (p !== 1) ud();
  const s = i.reg * 4;
  if (i.mod === 3) {
    A[0] = c.xmm[s]; A[1] = c.xmm[s + 1]; A[2] = 0; A[3] = 0;
    storeA(c, i.rm);
  } else {
    c.wr64(c.memAddr(i, 8, true), c.xmm[s], c.xmm[s + 1]);
  }
});

// ---------------------------------------------------------------------------------- integer ops
/**
 * A packed operation on A (destination) and B (source); `np` means the no-prefix form is the PS form. Otherwise
 * the no-prefix form is the MMX form (except PUNPCKLQDQ/PUNPCKHQDQ, which have none): see packedMmx.
 */
export function packed(name: string, op: number, f: (imm: number, p: number) => void, np = false, imm = false): void {
  const mmxForm = !np && op !== 0x16c && op !== 0x16d;
  const highHalf = op === 0x168 || op === 0x169 || op === 0x16a;
  def(op, name, true, imm ? Imm.IB : Imm.NONE, (c, i) => {
    const p = pfx(i);
    if (p === 0 && mmxForm) { packedMmx(c, i, f, highHalf); return; }
    sseCheck(c);
    if (p >= 2 || (p === 0 && !np)) ud();
    loadB(c, i, true);
    loadA(c, i.reg);
    f(i.imm & 0xff, p);
    storeA(c, i.reg);
  });
}

/**
 * The MMX form of a packed operation: both 64-bit operands are copied into both halves of A and B and the
 * 128-bit operation runs; lane-wise operations and the low unpacks give the MMX result in the low half, the
 * high unpacks (PUNPCKH*, which interleave the operands' high halves) in the high half.
 */
function packedMmx(c: Cpu, i: Insn, f: (imm: number, p: number) => void, highHalf: boolean): void {
  mmxCheck(c);
  if (i.mod === 3) { B[0] = B[2] = mmxRead(c, i.rm & 7); B[1] = B[3] = c.hi; }
  else { B[0] = B[2] = c.rd64(c.memAddr(i, 8, false)); B[1] = B[3] = c.hi; }
  A[0] = A[2] = mmxRead(c, i.reg & 7); A[1] = A[3] = c.hi;
  f(i.imm & 0xff, 0);
  if (highHalf) mmxWrite(c, i.reg & 7, A[2], A[3]); else mmxWrite(c, i.reg & 7, A[0], A[1]);
  mmxDone(c);
}

// Logic: PS (NP), PD (66) and P* (66) forms are the same bitwise operation.
packed('andps', 0x154, () => { for (let k = 0; k < 4; k++) A[k] &= B[k]; }, true);
packed('andnps', 0x155, () => { for (let k = 0; k < 4; k++) A[k] = ~A[k] & B[k]; }, true);
packed('orps', 0x156, () => { for (let k = 0; k < 4; k++) A[k] |= B[k]; }, true);
packed('xorps', 0x157, () => { for (let k = 0; k < 4; k++) A[k] ^= B[k]; }, true);
packed('pand', 0x1db, () => { for (let k = 0; k < 4; k++) A[k] &= B[k]; });
packed('pandn', 0x1df, () => { for (let k = 0; k < 4; k++) A[k] = ~A[k] & B[k]; });
packed('por', 0x1eb, () => { for (let k = 0; k < 4; k++) A[k] |= B[k]; });
packed('pxor', 0x1ef, () => { for (let k = 0; k < 4; k++) A[k] ^= B[k]; });

packed('pcmpeqb', 0x174, () => { for (let k = 0; k < 16; k++) A8[k] = A8[k] === B8[k] ? 0xff : 0; });
packed('pcmpeqw', 0x175, () => { for (let k = 0; k < 8; k++) A16[k] = A16[k] === B16[k] ? 0xffff : 0; });
packed('pcmpeqd', 0x176, () => { for (let k = 0; k < 4; k++) A[k] = A[k] === B[k] ? -1 : 0; });
packed('pcmpgtb', 0x164, () => { for (let k = 0; k < 16; k++) A8[k] = ((A8[k] << 24) >> 24) > ((B8[k] << 24) >> 24) ? 0xff : 0; });
packed('pcmpgtw', 0x165, () => { for (let k = 0; k < 8; k++) A16[k] = ((A16[k] << 16) >> 16) > ((B16[k] << 16) >> 16) ? 0xffff : 0; });
packed('pcmpgtd', 0x166, () => { for (let k = 0; k < 4; k++) A[k] = A[k] > B[k] ? -1 : 0; });

packed('paddb', 0x1fc, () => { for (let k = 0; k < 16; k++) A8[k] += B8[k]; });
packed('paddw', 0x1fd, () => { for (let k = 0; k < 8; k++) A16[k] += B16[k]; });
packed('paddd', 0x1fe, () => { for (let k = 0; k < 4; k++) A[k] += B[k]; });
packed('psubb', 0x1f8, () => { for (let k = 0; k < 16; k++) A8[k] -= B8[k]; });
packed('psubw', 0x1f9, () => { for (let k = 0; k < 8; k++) A16[k] -= B16[k]; });
packed('psubd', 0x1fa, () => { for (let k = 0; k < 4; k++) A[k] -= B[k]; });
packed('paddq', 0x1d4, () => {
  for (let k = 0; k < 4; k += 2) {
    const lo = (A[k] >>> 0) + (B[k] >>> 0);
    A[k] = lo | 0;
    A[k + 1] = (A[k + 1] + B[k + 1] + (lo > 0xffffffff ? 1 : 0)) | 0;
  }
});
packed('psubq', 0x1fb, () => {
  for (let k = 0; k < 4; k += 2) {
    const lo = (A[k] >>> 0) - (B[k] >>> 0);
    A[k] = lo | 0;
    A[k + 1] = (A[k + 1] - B[k + 1] - (lo < 0 ? 1 : 0)) | 0;
  }
});
packed('pminub', 0x1da, () => { for (let k = 0; k < 16; k++) if (B8[k] < A8[k]) A8[k] = B8[k]; });
packed('pmaxub', 0x1de, () => { for (let k = 0; k < 16; k++) if (B8[k] > A8[k]) A8[k] = B8[k]; });
packed('pmullw', 0x1d5, () => { for (let k = 0; k < 8; k++) A16[k] = Math.imul(A16[k], B16[k]); });

// Unpacks interleave the low (L) or high (H) halves of A and B; UNPCKLPS/PD are the same permutations.
function unpack(elem: number, high: boolean): () => void {
  return () => {
    const off = high ? 8 : 0;
    const n = 8 / elem;
    for (let k = n - 1; k >= 0; k--) {
      for (let b = elem - 1; b >= 0; b--) {
        tmp8[(2 * k + 1) * elem + b] = B8[off + k * elem + b];
        tmp8[2 * k * elem + b] = A8[off + k * elem + b];
      }
    }
    A8.set(tmp8);
  };
}
const tmp8 = new Uint8Array(16);
packed('punpcklbw', 0x160, unpack(1, false));
packed('punpcklwd', 0x161, unpack(2, false));
packed('punpckldq', 0x162, unpack(4, false));
packed('punpcklqdq', 0x16c, unpack(8, false));
packed('punpckhbw', 0x168, unpack(1, true));
packed('punpckhwd', 0x169, unpack(2, true));
packed('punpckhdq', 0x16a, unpack(4, true));
packed('punpckhqdq', 0x16d, unpack(8, true));
const unpckLo4 = unpack(4, false), unpckHi4 = unpack(4, true), unpckLo8 = unpack(8, false), unpckHi8 = unpack(8, true);
packed('unpcklps', 0x114, (_n, p) => { (p === 1 ? unpckLo8 : unpckLo4)(); }, true);
packed('unpckhps', 0x115, (_n, p) => { (p === 1 ? unpckHi8 : unpckHi4)(); }, true);

// PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2): 66/F3/F2 0F 70 /r ib.
def(0x170, 'pshufd', true, Imm.IB, (c, i) => {
  if (pfx(i) !== 0) sseCheck(c);
  const p = pfx(i);
  const n = i.imm & 0xff;
  if (p === 0) { // PSHUFW mm, mm/m64, imm8
    mmxCheck(c);
    if (i.mod === 3) { B[0] = mmxRead(c, i.rm & 7); B[1] = c.hi; } else { B[0] = c.rd64(c.memAddr(i, 8, false)); B[1] = c.hi; }
    for (let k = 0; k < 4; k++) A16[k] = B16[(n >>> (2 * k)) & 3];
    mmxWrite(c, i.reg & 7, A[0], A[1]);
    mmxDone(c);
    return;
  }
  loadB(c, i, true);
  if (p === 1) for (let k = 0; k < 4; k++) A[k] = B[(n >>> (2 * k)) & 3];
  else if (p === 2) { A[0] = B[0]; A[1] = B[1]; for (let k = 0; k < 4; k++) A16[4 + k] = B16[4 + ((n >>> (2 * k)) & 3)]; }
  else { A[2] = B[2]; A[3] = B[3]; for (let k = 0; k < 4; k++) A16[k] = B16[(n >>> (2 * k)) & 3]; }
  storeA(c, i.reg);
});

// SHUFPS (NP 0F C6) / SHUFPD (66 0F C6).
def(0x1c6, 'shufps', true, Imm.IB, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p >= 2) ud();
  loadB(c, i, true);
  loadA(c, i.reg);
  // VEX.256 SHUFPD: the upper lane's selectors are imm8[3:2] (SHUFPS uses the same imm8 in both lanes)
  const n = laneImm(i, p === 1 ? 2 : 0);
  if (p === 0) {
    T[0] = A[n & 3]; T[1] = A[(n >>> 2) & 3]; T[2] = B[(n >>> 4) & 3]; T[3] = B[(n >>> 6) & 3];
  } else {
    const a = (n & 1) * 2, b = ((n >>> 1) & 1) * 2;
    T[0] = A[a]; T[1] = A[a + 1]; T[2] = B[b]; T[3] = B[b + 1];
  }
  A[0] = T[0]; A[1] = T[1]; A[2] = T[2]; A[3] = T[3];
  storeA(c, i.reg);
});

// PMOVMSKB r32, xmm (66 0F D7, register source only).
def(0x1d7, 'pmovmskb', true, Imm.NONE, (c, i) => {
  if (pfx(i) === 0 && i.mod === 3) { // PMOVMSKB r32, mm
    mmxCheck(c);
    B[0] = mmxRead(c, i.rm & 7); B[1] = c.hi;
    let m = 0;
    for (let k = 0; k < 8; k++) m |= (B8[k] >>> 7) << k;
    c.writeReg(i.reg, i.rex, 4, m, 0);
    mmxDone(c);
    return;
  }
  sseCheck(c);
  if (pfx(i) !== 1 || i.mod !== 3) ud();
  loadB(c, i, false);
  let m = 0;
  for (let k = 0; k < 16; k++) m |= (B8[k] >>> 7) << k;
  c.writeReg(i.reg, i.rex, 4, m, 0);
});
// MOVMSKPS / MOVMSKPD (0F 50).
def(0x150, 'movmskps', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p >= 2 || i.mod !== 3) ud();
  loadB(c, i, false);
  const m = p === 0 ? (B[0] >>> 31) | ((B[1] >>> 31) << 1) | ((B[2] >>> 31) << 2) | ((B[3] >>> 31) << 3) : (B[1] >>> 31) | ((B[3] >>> 31) << 1);
  c.writeReg(i.reg, i.rex, 4, m, 0);
});

// PINSRW xmm, r32/m16, imm8 (66 0F C4) and PEXTRW r32, xmm, imm8 (66 0F C5).
def(0x1c4, 'pinsrw', true, Imm.IB, (c, i) => {
  if (pfx(i) === 0) { // PINSRW mm, r32/m16, imm8
    mmxCheck(c);
    const v = c.readE(i, 2);
    A[0] = mmxRead(c, i.reg & 7); A[1] = c.hi;
    A16[i.imm & 3] = v;
    mmxWrite(c, i.reg & 7, A[0], A[1]);
    mmxDone(c);
    return;
  }
  sseCheck(c);
  if (pfx(i) !== 1) ud();
  const v = c.readE(i, 2);
  loadA(c, i.reg);
  A16[i.imm & 7] = v;
  storeA(c, i.reg);
});
def(0x1c5, 'pextrw', true, Imm.IB, (c, i) => {
  if (pfx(i) === 0 && i.mod === 3) { // PEXTRW r32, mm, imm8
    mmxCheck(c);
    B[0] = mmxRead(c, i.rm & 7); B[1] = c.hi;
    c.writeReg(i.reg, i.rex, 4, B16[i.imm & 3], 0);
    mmxDone(c);
    return;
  }
  sseCheck(c);
  if (pfx(i) !== 1 || i.mod !== 3) ud();
  loadB(c, i, false);
  c.writeReg(i.reg, i.rex, 4, B16[i.imm & 7], 0);
});

// Shifts by an xmm/m128 count (66 0F D1-D3, E1-E2, F1-F3) and by imm8 (66 0F 71-73 groups).
function shiftLanes(kind: number, elem: number, count: number): void {
  // kind: 2 = logical right, 4 = arithmetic right, 6 = left.
  if (elem === 2) {
    for (let k = 0; k < 8; k++) {
      const v = A16[k];
      A16[k] = kind === 6 ? (count > 15 ? 0 : v << count) : kind === 2 ? (count > 15 ? 0 : v >>> count) : ((v << 16) >> 16) >> Math.min(count, 15);
    }
  } else if (elem === 4) {
    for (let k = 0; k < 4; k++) {
      const v = A[k];
      A[k] = kind === 6 ? (count > 31 ? 0 : v << count) : kind === 2 ? (count > 31 ? 0 : v >>> count) : v >> Math.min(count, 31);
    }
  } else {
    for (let k = 0; k < 4; k += 2) {
      const lo = A[k], hi = A[k + 1];
      if (count > 63) { A[k] = 0; A[k + 1] = 0; }
      else if (kind === 6) {
        if (count >= 32) { A[k + 1] = lo << (count - 32); A[k] = 0; }
        else if (count > 0) { A[k + 1] = (hi << count) | (lo >>> (32 - count)); A[k] = lo << count; }
      } else {
        if (count >= 32) { A[k] = hi >>> (count - 32); A[k + 1] = 0; }
        else if (count > 0) { A[k] = (lo >>> count) | (hi << (32 - count)); A[k + 1] = hi >>> count; }
      }
    }
  }
}

/** PSRLDQ / PSLLDQ: byte shifts of the whole register. */
function shiftBytes(left: boolean, n: number): void {
  const s = n > 16 ? 16 : n;
  for (let k = 0; k < 16; k++) tmp8[k] = 0;
  for (let k = 0; k < 16 - s; k++) {
    if (left) tmp8[k + s] = A8[k]; else tmp8[k] = A8[k + s];
  }
  A8.set(tmp8);
}

function shiftImmGroup(elem: number) {
  return (c: Cpu, i: Insn): void => {
    const kind = i.reg & 7;
    if (pfx(i) === 0) { // the MMX form: PSRLW/PSRAW/PSLLW mm, imm8 …; no byte shifts
      if (i.mod !== 3 || kind === 3 || kind === 7 || !(kind === 2 || kind === 6 || (kind === 4 && elem !== 8))) ud();
      mmxCheck(c);
      A[0] = mmxRead(c, i.rm & 7); A[1] = c.hi;
      shiftLanes(kind, elem, i.imm & 0xff);
      mmxWrite(c, i.rm & 7, A[0], A[1]);
      mmxDone(c);
      return;
    }
    sseCheck(c);
    if (pfx(i) !== 1) ud();
    if (i.mod !== 3) ud();
    const n = i.imm & 0xff;
    loadA(c, i.rm);
    if (elem === 8 && (kind === 3 || kind === 7)) shiftBytes(kind === 7, n);
    else if (kind === 2 || kind === 6 || (kind === 4 && elem !== 8)) shiftLanes(kind, elem, n);
    else ud();
    storeA(c, i.rm);
  };
}
def(0x171, 'psrlw', true, Imm.IB, shiftImmGroup(2));
def(0x172, 'psrld', true, Imm.IB, shiftImmGroup(4));
def(0x173, 'psrlq', true, Imm.IB, shiftImmGroup(8));

function shiftByXmm(name: string, op: number, kind: number, elem: number): void {
  packed(name, op, () => {
    const count = B[1] !== 0 || B[0] >>> 0 > 255 ? 255 : B[0];
    shiftLanes(kind, elem, count);
  });
}
shiftByXmm('psrlw', 0x1d1, 2, 2);
shiftByXmm('psrld', 0x1d2, 2, 4);
shiftByXmm('psrlq', 0x1d3, 2, 8);
shiftByXmm('psraw', 0x1e1, 4, 2);
shiftByXmm('psrad', 0x1e2, 4, 4);
shiftByXmm('psllw', 0x1f1, 6, 2);
shiftByXmm('pslld', 0x1f2, 6, 4);
shiftByXmm('psllq', 0x1f3, 6, 8);

// ------------------------------------------------------------------------------ scalar/packed float
/**
 * 0F 51/58/59/5C/5D/5E/5F: PS (NP), PD (66), SS (F3), SD (F2); NaN operands per sse-float.ts. Each lane rounds
 * by MXCSR.RC and raises the MXCSR exception flags (sse-float.ts arith32/arith64; SQRT reads its source only).
 */
function floatArith(op: number) {
  const kind = op & 0xff;
  const arith = kind === 0x51 ? Arith.SQRT : kind === 0x58 ? Arith.ADD : kind === 0x59 ? Arith.MUL : kind === 0x5c ? Arith.SUB : kind === 0x5d ? Arith.MIN : kind === 0x5e ? Arith.DIV : Arith.MAX;
  return (c: Cpu, i: Insn): void => {
    sseCheck(c);
    const p = pfx(i);
    loadA(c, i.reg);
    if (p >= 2) loadBScalar(c, i, p === 2 ? 4 : 8); else loadB(c, i, true);
    setMxcsrRc(c.mxcsr);
    const lanes = p === 0 ? 4 : p === 1 ? 2 : 1;
    if (p === 0 || p === 2) {
      for (let k = 0; k < lanes; k++) A[k] = arith32(A[k], B[k], arith);
    } else {
      for (let k = 0; k < lanes; k++) {
        arith64(A[2 * k + 1], A[2 * k], B[2 * k + 1], B[2 * k], arith);
        A[2 * k] = R64.lo; A[2 * k + 1] = R64.hi;
      }
    }
    mxDone(c);
    storeA(c, i.reg);
  };
}
const FLOAT_OPS: [number, string][] = [[0x151, 'sqrtps'], [0x158, 'addps'], [0x159, 'mulps'], [0x15c, 'subps'], [0x15d, 'minps'], [0x15e, 'divps'], [0x15f, 'maxps']];
for (const [op, name] of FLOAT_OPS) def(op, name, true, Imm.NONE, floatArith(op));

// UCOMISS/COMISS (0F 2E/2F), UCOMISD/COMISD (66): ZF PF CF = 111 unordered, 100 equal, 001 less, 000 greater.
function comis(c: Cpu, i: Insn): void {
  sseCheck(c);
  const p = pfx(i);
  if (p >= 2) ud();
  loadBScalar(c, i, p === 1 ? 8 : 4);
  loadA(c, i.reg);
  // COMIS signals on any NaN, UCOMIS on an SNaN only; DAZ and DE as the other compares
  setMxcsrRc(c.mxcsr);
  const x = p === 1 ? cmpVal64(A[1], A[0]) : cmpVal32(A[0]), y = p === 1 ? cmpVal64(B[1], B[0]) : cmpVal32(B[0]);
  cmpFlags((i.op & 0xff) === 0x2f);
  mxDone(c);
  let f = 0;
  if (x !== x || y !== y) f = Flag.ZF | Flag.PF | Flag.CF;
  else if (x === y) f = Flag.ZF;
  else if (x < y) f = Flag.CF;
  setArithFlags(c, f);
}
def(0x12e, 'ucomiss', true, Imm.NONE, comis);
def(0x12f, 'comiss', true, Imm.NONE, comis);

// CVTSI2SS/SD (F3/F2 0F 2A), CVTTSS2SI/CVTTSD2SI (2C), CVTSS2SI/CVTSD2SI (2D), CVTSS2SD/CVTSD2SS (5A).
def(0x12a, 'cvtsi2ss', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p < 2) { cvtpi2p(c, i, p); return; }
  const size = i.rex & 8 ? 8 : 4;
  const lo = c.readE(i, size);
  loadA(c, i.reg);
  setMxcsrRc(c.mxcsr);
  if (size === 8) { const hi = c.hi; if (p === 2) A[0] = i64ToF32(c, lo, hi); else AD[0] = i64ToF64(c, lo, hi); }
  else if (p === 2) A[0] = f32Round(c, lo);
  else AD[0] = lo;
  mxDone(c);
  storeA(c, i.reg);
});
function cvtToInt(trunc: boolean) {
  return (c: Cpu, i: Insn): void => {
    sseCheck(c);
    const p = pfx(i);
    if (p < 2) { cvtp2pi(c, i, p, trunc); return; }
    loadBScalar(c, i, p === 2 ? 4 : 8);
    setMxcsrRc(c.mxcsr);
    const x = dazValue(p === 2 ? BF[0] : BD[0], p === 2);
    const r = roundMx(c, x, trunc);
    const size = i.rex & 8 ? 8 : 4;
    // Out of range or NaN: the integer indefinite value and IE (SDM §4.8.3.7); PE when inexact.
    const fits = size === 4 ? r >= -2147483648 && r <= 2147483647 : r >= -9223372036854775808 && r < 9223372036854775808;
    c.mxcsr |= !fits ? MxFlag.IE : r !== x ? MxFlag.PE : 0;
    if (size === 4) {
      c.writeReg(i.reg, i.rex, 4, fits ? r | 0 : 0x80000000 | 0, 0);
    } else if (fits) {
      c.writeReg(i.reg, i.rex, 8, r % 4294967296 | 0, Math.floor(r / 4294967296) | 0);
    } else {
      c.writeReg(i.reg, i.rex, 8, 0, 0x80000000 | 0);
    }
  };
}
def(0x12c, 'cvttss2si', true, Imm.NONE, cvtToInt(true));
def(0x12d, 'cvtss2si', true, Imm.NONE, cvtToInt(false));
def(0x15a, 'cvtss2sd', true, Imm.NONE, (c, i) => {
  sseCheck(c);
  const p = pfx(i);
  if (p < 2) { cvtPacked5a(c, i, p); return; }
  loadBScalar(c, i, p === 2 ? 4 : 8);
  loadA(c, i.reg);
  setMxcsrRc(c.mxcsr);
  if (p === 2) f2d(B[0], BF[0], 0); else A[0] = d2f(c, B[1], B[0], BD[0]); // NaN payloads kept, MXCSR.RC
  mxDone(c);
  storeA(c, i.reg);
});

// ---------------------------------------------------------------------------- MXCSR, fences, flush
/** LDMXCSR m32 (0F AE /2): reserved bits set → #GP(0) (SDM LDMXCSR). */
export function ldmxcsr(c: Cpu, i: Insn): void {
  sseCheck(c);
  const v = c.rd(c.memAddr(i, 4, false), 4);
  if (v & ~MXCSR_MASK) gp(0, 'LDMXCSR with reserved MXCSR bits set');
  c.mxcsr = v;
}
export const MXCSR_MASK = 0xffff;

export function stmxcsr(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.wr(c.memAddr(i, 4, true), 4, c.mxcsr);
}

/** CLFLUSH m8 (NP 0F AE /7): checks the address like a byte read; no cache to flush. */
export function clflush(c: Cpu, i: Insn): void {
  c.rd(c.memAddr(i, 1, false), 1);
}

