import type { Cpu } from './cpu';
import { ud } from './fault';
import { setArithFlags } from './flags';
import { Insn } from './insn';
import { A, pfx } from './sse';
import { d2f, f2d, toInt32 } from './sse-convert';
import { mxDone, setMxcsrRc } from './sse-float';
import { Flag } from './state';
import { D, getYmm, loadS, putYmm, S, V } from './avx';

/**
 * The VEX.256 forms of SSE instructions that are not lane-wise (avx-sse.ts runs the lane-wise ones through the
 * legacy handlers): the conversions between four binary32/int32 and four binary64 values (VCVTPS2PD,
 * VCVTPD2PS, VCVTDQ2PD, VCVT(T)PD2DQ: one side is 128 bits, the other 256), VMOVMSKPS/PD ymm and VPTEST ymm.
 * Each element uses sse-convert.ts's conversion (MXCSR.RC, NaN payloads, the integer indefinite).
 */

const SF = new Float32Array(S.buffer), SD = new Float64Array(S.buffer), DD = new Float64Array(D.buffer);

/** VEX.256 0F 5A: VCVTPS2PD ymm, xmm/m128 (NP); VCVTPD2PS xmm, ymm/m256 (66). */
export function cvt5aWide(c: Cpu, i: Insn): void {
  setMxcsrRc(c.mxcsr);
  if (pfx(i) === 0) {
    loadS(c, i, 16);
    for (let h = 0; h < 2; h++) {
      f2d(S[2 * h], SF[2 * h], 0); f2d(S[2 * h + 1], SF[2 * h + 1], 1);
      for (let k = 0; k < 4; k++) D[4 * h + k] = A[k];
    }
    putYmm(c, i.reg, D, true);
  } else {
    loadS(c, i, 32);
    for (let k = 0; k < 4; k++) D[k] = d2f(c, S[2 * k + 1], S[2 * k], SD[k]);
    putYmm(c, i.reg, D, false);
  }
  mxDone(c);
}

/** VEX.256 0F E6: VCVTDQ2PD ymm, xmm/m128 (F3); VCVTTPD2DQ (66) / VCVTPD2DQ (F2) xmm, ymm/m256. */
export function cvtE6Wide(c: Cpu, i: Insn): void {
  const p = pfx(i);
  setMxcsrRc(c.mxcsr);
  if (p === 2) {
    loadS(c, i, 16);
    for (let k = 3; k >= 0; k--) DD[k] = S[k];
    putYmm(c, i.reg, D, true);
  } else {
    loadS(c, i, 32);
    for (let k = 0; k < 4; k++) D[k] = toInt32(c, SD[k], p === 1);
    putYmm(c, i.reg, D, false);
  }
  mxDone(c);
}

/** VEX.256 0F 50: VMOVMSKPS r32, ymm (8 sign bits) / VMOVMSKPD r32, ymm (4); register source only. */
export function movmskWide(c: Cpu, i: Insn): void {
  if (i.mod !== 3) ud();
  getYmm(c, i.rm, S);
  let m = 0;
  if (pfx(i) === 0) for (let k = 0; k < 8; k++) m |= (S[k] >>> 31) << k;
  else for (let k = 0; k < 4; k++) m |= (S[2 * k + 1] >>> 31) << k;
  c.writeReg(i.reg, i.rex, 4, m, 0);
}

/** VEX.256 66 0F38 17: VPTEST ymm1, ymm2/m256: ZF = (ymm1 AND src) = 0, CF = (NOT ymm1 AND src) = 0. */
export function ptestWide(c: Cpu, i: Insn): void {
  loadS(c, i, 32);
  getYmm(c, i.reg, V);
  let and = 0, andn = 0;
  for (let k = 0; k < 8; k++) { and |= V[k] & S[k]; andn |= ~V[k] & S[k]; }
  setArithFlags(c, (and === 0 ? Flag.ZF : 0) | (andn === 0 ? Flag.CF : 0));
}
