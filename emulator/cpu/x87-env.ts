import type { Cpu } from './cpu';
import { Insn } from './insn';
import { Access } from './paging';
import { Cr0, Flag } from './state';
import { classify, Cls, F80 } from './x87-float80';
import { readPhys, syncES, top, writePhys } from './x87-stack';

/**
 * x87 state images (SDM Vol. 1 §8.1.10, Figures 8-9…8-12): FNSTENV/FLDENV (14 or 28 bytes, real-mode or
 * protected-mode layout by CPU mode, 16- or 32-bit by operand size), FNSAVE/FRSTOR (environment + ST(0)…ST(7)
 * as 80-bit values), FNINIT, and the x87 part of FXSAVE/FXRSTOR/XSAVE (the 512-byte legacy region, used by
 * fpu-state.ts). The tag word is kept abridged (c.ftw: bit i = Ri non-empty); the full tag word is derived
 * from the register contents on store, and a loaded full tag of 11 marks a register empty.
 */

const T = new F80();

/** FNINIT/FINIT: control word 037F, status and tags cleared; the data registers keep their contents. */
export function initX87(c: Cpu): void {
  c.fcw = 0x37f; c.fsw = 0; c.ftw = 0; c.fop = 0; c.fip = 0; c.fdp = 0; c.fcs = 0; c.fds = 0;
}

/** The full two-bit tag of physical register r (00 valid, 01 zero, 10 special, 11 empty). */
function tagOf(c: Cpu, r: number): number {
  if (!(c.ftw & (1 << r))) return 3;
  readPhys(c, r, T);
  const k = classify(T);
  return k === Cls.ZERO ? 1 : k === Cls.NORMAL ? 0 : 2;
}

export function fullTagWord(c: Cpu): number {
  let t = 0;
  for (let r = 0; r < 8; r++) t |= tagOf(c, r) << (2 * r);
  return t;
}

function realFormat(c: Cpu): boolean {
  return !(c.cr0 & Cr0.PE) || (c.flags & Flag.VM) !== 0;
}

function envSize(i: Insn): number {
  return i.osz === 2 ? 14 : 28;
}

function probe(c: Cpu, la: number, size: number, write: boolean): void {
  const acc = write ? Access.WRITE : Access.READ;
  c.translate(la, acc, c.cpl === 3);
  c.translate(c.addLinear(la, size - 1), acc, c.cpl === 3);
}

function storeEnv(c: Cpu, la: number, i: Insn): void {
  const w = i.osz === 2 ? 2 : 4;
  const put = (k: number, v: number): void => {
    // 32-bit images fill the unused upper halves of 16-bit fields with ones, as Intel processors do
    c.wr(c.addLinear(la, k * w), w, w === 4 ? (v & 0xffff) | 0xffff0000 : v);
  };
  put(0, c.fcw);
  put(1, c.fsw);
  put(2, fullTagWord(c));
  if (realFormat(c)) {
    const ip = c.fip >>> 0, dp = c.fdp >>> 0;
    if (w === 2) {
      put(3, ip & 0xffff); put(4, ((ip >>> 4) & 0xf000) | (c.fop & 0x7ff)); put(5, dp & 0xffff); put(6, (dp >>> 4) & 0xf000);
    } else {
      c.wr(c.addLinear(la, 12), 4, (ip & 0xffff) | 0xffff0000);
      c.wr(c.addLinear(la, 16), 4, ((ip >>> 16) << 12) | (c.fop & 0x7ff));
      c.wr(c.addLinear(la, 20), 4, (dp & 0xffff) | 0xffff0000);
      c.wr(c.addLinear(la, 24), 4, (dp >>> 16) << 12);
    }
  } else if (w === 2) {
    put(3, c.fip); put(4, c.fcs); put(5, c.fdp); put(6, c.fds);
  } else {
    c.wr(c.addLinear(la, 12), 4, c.fip);
    c.wr(c.addLinear(la, 16), 4, (c.fcs & 0xffff) | ((c.fop & 0x7ff) << 16));
    c.wr(c.addLinear(la, 20), 4, c.fdp);
    c.wr(c.addLinear(la, 24), 4, (c.fds & 0xffff) | 0xffff0000);
  }
}

function loadEnv(c: Cpu, la: number, i: Insn): void {
  const w = i.osz === 2 ? 2 : 4;
  const get = (k: number): number => c.rd(c.addLinear(la, k * w), w);
  c.fcw = get(0) & 0x1f7f | 0x40;
  c.fsw = get(1) & 0xffff;
  const tag = get(2);
  let ftw = 0;
  for (let r = 0; r < 8; r++) if (((tag >>> (2 * r)) & 3) !== 3) ftw |= 1 << r;
  c.ftw = ftw;
  if (realFormat(c)) {
    const a = get(3) & 0xffff, b = get(4), d0 = get(5) & 0xffff, d1 = get(6);
    c.fop = b & 0x7ff;
    c.fip = w === 2 ? a | ((b & 0xf000) << 4) : (a | ((b >>> 12) << 16)) >>> 0;
    c.fdp = w === 2 ? d0 | ((d1 & 0xf000) << 4) : (d0 | ((d1 >>> 12) << 16)) >>> 0;
  } else if (w === 2) {
    c.fip = get(3); c.fcs = get(4); c.fdp = get(5); c.fds = get(6);
  } else {
    c.fip = get(3) >>> 0; const cs = get(4); c.fcs = cs & 0xffff; c.fop = (cs >>> 16) & 0x7ff;
    c.fdp = get(5) >>> 0; c.fds = get(6) & 0xffff;
  }
  syncES(c);
}

/** FNSTENV: store the environment, then mask all exceptions (SDM FSTENV). */
export function fstenv(c: Cpu, i: Insn): void {
  const la = c.memAddr(i, envSize(i), true);
  probe(c, la, envSize(i), true);
  storeEnv(c, la, i);
  c.fcw |= 0x3f;
}

export function fldenv(c: Cpu, i: Insn): void {
  const la = c.memAddr(i, envSize(i), false);
  probe(c, la, envSize(i), false);
  loadEnv(c, la, i);
}

/** FNSAVE: environment + the eight registers in stack order, then FNINIT. */
export function fsave(c: Cpu, i: Insn): void {
  const n = envSize(i);
  const la = c.memAddr(i, n + 80, true);
  probe(c, la, n + 80, true);
  storeEnv(c, la, i);
  for (let k = 0; k < 8; k++) {
    readPhys(c, (top(c) + k) & 7, T);
    const a = c.addLinear(la, n + 10 * k);
    c.wr(a, 4, T.lo | 0); c.wr(c.addLinear(a, 4), 4, T.hi | 0); c.wr(c.addLinear(a, 8), 2, (T.s << 15) | T.e);
  }
  initX87(c);
}

export function frstor(c: Cpu, i: Insn): void {
  const n = envSize(i);
  const la = c.memAddr(i, n + 80, false);
  probe(c, la, n + 80, false);
  loadEnv(c, la, i);
  for (let k = 0; k < 8; k++) {
    const a = c.addLinear(la, n + 10 * k);
    T.lo = c.rd(a, 4) >>> 0; T.hi = c.rd(c.addLinear(a, 4), 4) >>> 0;
    const se = c.rd(c.addLinear(a, 8), 2); T.e = se & 0x7fff; T.s = se >>> 15;
    writePhys(c, (top(c) + k) & 7, T);
  }
}

// ------------------------------------------------------------------------- FXSAVE legacy region
/** Bytes 0-159 of the FXSAVE image (SDM Vol. 2 FXSAVE, Table 3-53): FCW … FDP, MXCSR excluded, ST0-ST7. */
export function saveX87(c: Cpu, la: number): void {
  c.wr(la, 2, c.fcw);
  c.wr(c.addLinear(la, 2), 2, c.fsw);
  c.wr(c.addLinear(la, 4), 2, c.ftw & 0xff);
  c.wr(c.addLinear(la, 6), 2, c.fop);
  if (c.long) { c.wr64(c.addLinear(la, 8), c.fip | 0, 0); c.wr64(c.addLinear(la, 16), c.fdp | 0, 0); }
  else {
    c.wr(c.addLinear(la, 8), 4, c.fip | 0); c.wr(c.addLinear(la, 12), 4, c.fcs & 0xffff);
    c.wr(c.addLinear(la, 16), 4, c.fdp | 0); c.wr(c.addLinear(la, 20), 4, c.fds & 0xffff);
  }
  for (let k = 0; k < 8; k++) {
    const base = c.addLinear(la, 32 + 16 * k), o = ((top(c) + k) & 7) * 16, r = c.fpuRegs;
    for (let b = 0; b < 16; b += 4) {
      c.wr(c.addLinear(base, b), 4, b < 8 ? r[o + b] | (r[o + b + 1] << 8) | (r[o + b + 2] << 16) | (r[o + b + 3] << 24) : b === 8 ? r[o + 8] | (r[o + 9] << 8) : 0);
    }
  }
}

export function loadX87(c: Cpu, la: number): void {
  c.fcw = c.rd(la, 2);
  c.fsw = c.rd(c.addLinear(la, 2), 2);
  c.ftw = c.rd(c.addLinear(la, 4), 1);
  c.fop = c.rd(c.addLinear(la, 6), 2) & 0x7ff;
  c.fip = c.rd(c.addLinear(la, 8), 4) >>> 0;
  c.fdp = c.rd(c.addLinear(la, 16), 4) >>> 0;
  if (!c.long) { c.fcs = c.rd(c.addLinear(la, 12), 2); c.fds = c.rd(c.addLinear(la, 20), 2); }
  for (let k = 0; k < 8; k++) {
    const o = ((top(c) + k) & 7) * 16;
    for (let b = 0; b < 10; b++) c.fpuRegs[o + b] = c.rd(c.addLinear(la, 32 + 16 * k + b), 1);
  }
  syncES(c);
}
