import type { Cpu } from './cpu';
import { ud } from './fault';
import { setArithFlags } from './flags';
import { Imm, Insn } from './insn';
import { Access } from './paging';
import { pfx } from './sse';
import { Flag } from './state';
import { def } from './table';
import { avxCheck, D, getYmm, loadS, putYmm, S, storeBytes, V, vaddr, w0 } from './avx';

/**
 * The AVX instructions without a legacy SSE counterpart (SDM Vol. 2; all VEX.66, VEX.W0): VPERMILPS/PD by a
 * vector or imm8 control, VPERM2F128, VINSERTF128/VEXTRACTF128, VBROADCASTSS/SD/F128, VMASKMOVPS/PD loads and
 * stores, VTESTPS/PD. Operands go through avx.ts's S (r/m), V (vvvv) and D (result) buffers; the destination
 * is written once at the end, zeroing bits 255:128 for VEX.128.
 */

/** 66 prefix, W0, the #UD/#NM rules; `need256` for the instructions that exist only as VEX.256. */
function check(c: Cpu, i: Insn, usesVvvv: boolean, need256 = false): boolean {
  if (pfx(i) !== 1) ud();
  avxCheck(c, i, usesVvvv);
  w0(i);
  if (need256 && !i.vexL) ud(`${i.name} with VEX.L=0`);
  return i.vexL === 1;
}

// VPERMILPS ymm1, ymm2, ymm3/m (0F38 0C): each dword of ymm2's lane chosen by bits 1:0 of the control dword.
def(0x50c, 'vpermilps', true, Imm.NONE, (c, i) => {
  const wide = check(c, i, true);
  loadS(c, i, wide ? 32 : 16);
  getYmm(c, i.vvvv, V);
  for (let k = 0; k < (wide ? 8 : 4); k++) D[k] = V[(k & 4) + (S[k] & 3)];
  putYmm(c, i.reg, D, wide);
});
// VPERMILPD ymm1, ymm2, ymm3/m (0F38 0D): each qword of the lane chosen by bit 1 of the control qword.
def(0x50d, 'vpermilpd', true, Imm.NONE, (c, i) => {
  const wide = check(c, i, true);
  loadS(c, i, wide ? 32 : 16);
  getYmm(c, i.vvvv, V);
  for (let q = 0; q < (wide ? 4 : 2); q++) {
    const src = (q & 2) + ((S[2 * q] >>> 1) & 1);
    D[2 * q] = V[2 * src]; D[2 * q + 1] = V[2 * src + 1];
  }
  putYmm(c, i.reg, D, wide);
});
// VPERMILPS ymm1, ymm2/m, imm8 (0F3A 04): the same two-bit selectors, from imm8, in every lane.
def(0x604, 'vpermilps', true, Imm.IB, (c, i) => {
  const wide = check(c, i, false);
  loadS(c, i, wide ? 32 : 16);
  for (let k = 0; k < (wide ? 8 : 4); k++) D[k] = S[(k & 4) + ((i.imm >>> (2 * (k & 3))) & 3)];
  putYmm(c, i.reg, D, wide);
});
// VPERMILPD ymm1, ymm2/m, imm8 (0F3A 05): qword q takes imm8 bit q.
def(0x605, 'vpermilpd', true, Imm.IB, (c, i) => {
  const wide = check(c, i, false);
  loadS(c, i, wide ? 32 : 16);
  for (let q = 0; q < (wide ? 4 : 2); q++) {
    const src = (q & 2) + ((i.imm >>> q) & 1);
    D[2 * q] = S[2 * src]; D[2 * q + 1] = S[2 * src + 1];
  }
  putYmm(c, i.reg, D, wide);
});

// VPERM2F128 ymm1, ymm2, ymm3/m256, imm8 (0F3A 06): each half picks one of the four source halves
// (imm8[1:0] / [5:4]) or is zeroed (imm8[3] / [7]).
def(0x606, 'vperm2f128', true, Imm.IB, (c, i) => {
  check(c, i, true, true);
  loadS(c, i, 32);
  getYmm(c, i.vvvv, V);
  for (let h = 0; h < 2; h++) {
    const ctl = (i.imm >>> (4 * h)) & 0xf;
    const src = ctl & 2 ? S : V, o = (ctl & 1) * 4;
    for (let k = 0; k < 4; k++) D[4 * h + k] = ctl & 8 ? 0 : src[o + k];
  }
  putYmm(c, i.reg, D, true);
});
// VINSERTF128 ymm1, ymm2, xmm3/m128, imm8 (0F3A 18): ymm2 with the half imm8[0] replaced.
def(0x618, 'vinsertf128', true, Imm.IB, (c, i) => {
  check(c, i, true, true);
  loadS(c, i, 16);
  getYmm(c, i.vvvv, D);
  const o = (i.imm & 1) * 4;
  for (let k = 0; k < 4; k++) D[o + k] = S[k];
  putYmm(c, i.reg, D, true);
});
// VEXTRACTF128 xmm1/m128, ymm2, imm8 (0F3A 19): the half imm8[0] of ymm2.
def(0x619, 'vextractf128', true, Imm.IB, (c, i) => {
  check(c, i, false, true);
  getYmm(c, i.reg, V);
  const o = (i.imm & 1) * 4;
  for (let k = 0; k < 4; k++) D[k] = V[o + k];
  if (i.mod === 3) putYmm(c, i.rm, D, false);
  else storeBytes(c, vaddr(c, i, 16, false, true), D, 16);
});

// VBROADCASTSS (0F38 18, m32), VBROADCASTSD (19, m64, VEX.256 only), VBROADCASTF128 (1A, m128, VEX.256 only):
// memory sources only (the register forms are AVX2).
function broadcast(bytes: number) {
  return (c: Cpu, i: Insn): void => {
    const wide = check(c, i, false, bytes > 4);
    if (i.mod === 3) ud(`${i.name} with a register source (AVX2)`);
    const la = c.memAddr(i, bytes, false);
    if (bytes === 4) { const v = c.rd(la, 4); D.fill(v); }
    else if (bytes === 8) { const lo = c.rd64(la), hi = c.hi; for (let k = 0; k < 8; k += 2) { D[k] = lo; D[k + 1] = hi; } }
    else { loadS(c, i, 16); for (let k = 0; k < 4; k++) { D[k] = S[k]; D[4 + k] = S[k]; } }
    putYmm(c, i.reg, D, wide);
  };
}
def(0x518, 'vbroadcastss', true, Imm.NONE, broadcast(4));
def(0x519, 'vbroadcastsd', true, Imm.NONE, broadcast(8));
def(0x51a, 'vbroadcastf128', true, Imm.NONE, broadcast(16));

/**
 * VMASKMOVPS/PD (0F38 2C/2D load, 2E/2F store; memory operand only): elements whose mask element (in vvvv) has
 * its sign bit set are read (the others become 0) or written (the others are left alone). Masked-off
 * elements never fault; a store checks every selected element before writing any.
 */
function maskmov(store: boolean, dword: boolean) {
  return (c: Cpu, i: Insn): void => {
    const wide = check(c, i, true);
    if (i.mod === 3) ud(`${i.name} with a register operand`);
    const bytes = wide ? 32 : 16, size = dword ? 4 : 8, n = bytes / size;
    const la = c.memAddr(i, bytes, store);
    getYmm(c, i.vvvv, V);
    const on = (k: number): boolean => (dword ? V[k] : V[2 * k + 1]) < 0;
    if (store) {
      getYmm(c, i.reg, S);
      for (let k = 0; k < n; k++) {
        if (!on(k)) continue;
        const a = c.addLinear(la, k * size);
        c.translate(a, Access.WRITE, c.cpl === 3);
        c.translate(c.addLinear(a, size - 1), Access.WRITE, c.cpl === 3);
      }
      for (let k = 0; k < n; k++) {
        if (!on(k)) continue;
        const a = c.addLinear(la, k * size);
        if (dword) c.wr(a, 4, S[k]); else c.wr64(a, S[2 * k], S[2 * k + 1]);
      }
      return;
    }
    D.fill(0);
    for (let k = 0; k < n; k++) {
      if (!on(k)) continue;
      const a = c.addLinear(la, k * size);
      if (dword) D[k] = c.rd(a, 4); else { D[2 * k] = c.rd64(a); D[2 * k + 1] = c.hi; }
    }
    putYmm(c, i.reg, D, wide);
  };
}
def(0x52c, 'vmaskmovps', true, Imm.NONE, maskmov(false, true));
def(0x52d, 'vmaskmovpd', true, Imm.NONE, maskmov(false, false));
def(0x52e, 'vmaskmovps', true, Imm.NONE, maskmov(true, true));
def(0x52f, 'vmaskmovpd', true, Imm.NONE, maskmov(true, false));

// VTESTPS/VTESTPD ymm1, ymm2/m (0F38 0E/0F): PTEST on the sign bits of the dwords / qwords only.
function vtest(dword: boolean) {
  return (c: Cpu, i: Insn): void => {
    const wide = check(c, i, false);
    loadS(c, i, wide ? 32 : 16);
    getYmm(c, i.reg, V);
    let and = 0, andn = 0;
    for (let k = dword ? 0 : 1; k < (wide ? 8 : 4); k += dword ? 1 : 2) { and |= V[k] & S[k]; andn |= ~V[k] & S[k]; }
    setArithFlags(c, (and < 0 ? 0 : Flag.ZF) | (andn < 0 ? 0 : Flag.CF));
  };
}
def(0x50e, 'vtestps', true, Imm.NONE, vtest(true));
def(0x50f, 'vtestpd', true, Imm.NONE, vtest(false));
