import type { Cpu } from './cpu';
import { getCF, getFlags, LF, resultFlags, setArithFlags, setLazy } from './flags';
import { Imm, Insn } from './insn';
import { Flag } from './state';
import { def } from './table';

/**
 * Shifts and rotates: groups C0/C1 (imm8), D0/D1 (by 1), D2/D3 (by CL) with ModRM.reg = ROL ROR RCL RCR
 * SHL SHR SAL(=SHL) SAR, and SHLD/SHRD (0F A4/A5/AC/AD). SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR:
 * the count is masked to 5 bits (6 with REX.W); a masked count of 0 changes no flags. Flags the SDM leaves
 * undefined follow QEMU: OF for counts > 1 is computed with the count-1 formula (MSB of the value before the
 * last one-bit step XOR MSB of the result), AF is cleared by shifts. SHL/SHR/SAR leave a lazy record (flags.ts
 * LF.SHL/LF.SAR, QEMU's CC_OP_SHL/SAR) holding that value and the result. Rotates change only CF and OF.
 * 64-bit values are lo/hi halves; only the rare RCL/RCR/SHLD/SHRD at 64 bits use a bit-serial loop.
 */

let rhi = 0;

/** 64-bit shift left of lo:hi by n (0..63); high half in rhi. */
function shl64(lo: number, hi: number, n: number): number {
  if (n === 0) { rhi = hi; return lo; }
  if (n >= 32) { rhi = lo << (n - 32); return 0; }
  rhi = (hi << n) | (lo >>> (32 - n));
  return lo << n;
}
function shr64(lo: number, hi: number, n: number, arith: boolean): number {
  if (n === 0) { rhi = hi; return lo; }
  if (n >= 32) { const r = arith ? hi >> (n - 32) : hi >>> (n - 32); rhi = arith ? hi >> 31 : 0; return r; }
  rhi = arith ? hi >> n : hi >>> n;
  return (lo >>> n) | (hi << (32 - n));
}

function msb(size: number, lo: number, hi: number): number {
  return size === 8 ? hi >>> 31 : (lo >>> (size * 8 - 1)) & 1;
}

/**
 * SHL/SHR/SAR of (lo, hi) at `size` by a masked non-zero count; sets flags, returns the result (hi in c.hi).
 * Works by doing count-1 steps, then the last step; CF is the edge bit of the value in between.
 */
export function shiftOp(c: Cpu, kind: number, size: number, lo: number, hi: number, n: number): number {
  let tLo: number, tHi = 0, rLo: number, rHi = 0;
  if (size === 8) {
    if (kind === 4) { tLo = shl64(lo, hi, n - 1); tHi = rhi; rLo = shl64(tLo, tHi, 1); rHi = rhi; }
    else { tLo = shr64(lo, hi, n - 1, kind === 7); tHi = rhi; rLo = shr64(tLo, tHi, 1, kind === 7); rHi = rhi; }
  } else {
    const bits = size * 8;
    if (kind === 4) { tLo = lo << (n - 1); rLo = tLo << 1; }
    else {
      const v = kind === 7 ? (lo << (32 - bits)) >> (32 - bits) : size === 4 ? lo : lo & (bits === 8 ? 0xff : 0xffff);
      tLo = kind === 7 ? v >> (n - 1) : v >>> (n - 1);
      rLo = kind === 7 ? tLo >> 1 : tLo >>> 1;
    }
  }
  // Lazy (flags.ts LF.SHL/LF.SAR): CF and OF follow from tLo:tHi, the value before the last one-bit step.
  setLazy(c, kind === 4 ? LF.SHL : LF.SAR, size, rLo, rHi, tLo, tHi, 0, 0);
  c.hi = rHi;
  return rLo;
}

/** Replace CF and OF only (rotates). */
function setCfOf(c: Cpu, cf: number, of: number): void {
  const f = getFlags(c) & ~(Flag.CF | Flag.OF);
  c.flags = f | (cf ? Flag.CF : 0) | (of ? Flag.OF : 0);
}

/** ROL/ROR by a masked non-zero count. */
function rotate(c: Cpu, right: boolean, size: number, lo: number, hi: number, count: number): number {
  const bits = size * 8;
  const n = count % bits;
  let rLo: number, rHi = 0;
  if (size === 8) {
    if (n === 0) { rLo = lo; rHi = hi; }
    else if (!right) { const aLo = shl64(lo, hi, n), aHi = rhi; const bLo = shr64(lo, hi, 64 - n, false); rLo = aLo | bLo; rHi = aHi | rhi; }
    else { const aLo = shr64(lo, hi, n, false), aHi = rhi; const bLo = shl64(lo, hi, 64 - n); rLo = aLo | bLo; rHi = aHi | rhi; }
  } else {
    const v = size === 4 ? lo >>> 0 : lo & (bits === 8 ? 0xff : 0xffff);
    rLo = n === 0 ? v : right ? (v >>> n) | (v << (bits - n)) : (v << n) | (v >>> (bits - n));
    if (size !== 4) rLo &= bits === 8 ? 0xff : 0xffff;
  }
  if (!right) {
    const cf = rLo & 1;
    setCfOf(c, cf, msb(size, rLo, rHi) ^ cf);
  } else {
    const top = msb(size, rLo, rHi);
    const next = size === 8 ? (rHi >>> 30) & 1 : (rLo >>> (bits - 2)) & 1;
    setCfOf(c, top, top ^ next);
  }
  c.hi = rHi;
  return rLo;
}

/** RCL/RCR: rotate through CF, count taken modulo size+1 (SDM RCL/RCR); bit-serial (rare in compiled code). */
function rotateCarry(c: Cpu, right: boolean, size: number, lo: number, hi: number, count: number): number {
  const bits = size * 8;
  const n = size === 8 || size === 4 ? count : count % (bits + 1);
  if (n === 0) { c.hi = hi; return lo; }
  let cf = getCF(c) ? 1 : 0;
  let vLo = size === 8 ? lo : size === 4 ? lo : lo & (bits === 8 ? 0xff : 0xffff), vHi = size === 8 ? hi : 0;
  const origMsb = msb(size, vLo, vHi);
  for (let k = 0; k < n; k++) {
    if (!right) {
      const out = msb(size, vLo, vHi);
      if (size === 8) { vHi = (vHi << 1) | (vLo >>> 31); vLo = (vLo << 1) | cf; }
      else vLo = ((vLo << 1) | cf) & (bits === 32 ? -1 : (1 << bits) - 1);
      cf = out;
    } else {
      const out = vLo & 1;
      if (size === 8) { vLo = (vLo >>> 1) | (vHi << 31); vHi = (vHi >>> 1) | (cf << 31); }
      else vLo = (vLo >>> 1) | (cf << (bits - 1));
      cf = out;
    }
  }
  // OF = MSB(original) XOR MSB(result) for both directions (SDM for count 1; QEMU for the rest).
  setCfOf(c, cf, origMsb ^ msb(size, vLo, vHi));
  c.hi = vHi;
  return vLo;
}

function groupOp(c: Cpu, op: number, size: number, lo: number, hi: number, n: number): number {
  switch (op) {
    case 0: return rotate(c, false, size, lo, hi, n);
    case 1: return rotate(c, true, size, lo, hi, n);
    case 2: return rotateCarry(c, false, size, lo, hi, n);
    case 3: return rotateCarry(c, true, size, lo, hi, n);
    case 5: return shiftOp(c, 5, size, lo, hi, n);
    case 7: return shiftOp(c, 7, size, lo, hi, n);
    default: return shiftOp(c, 4, size, lo, hi, n); // SHL, SAL (/4 and /6)
  }
}

/** Source of the count: 0 = imm8, 1 = the constant 1, 2 = CL. */
function group2(byteForm: boolean, src: number) {
  return (c: Cpu, i: Insn): void => {
    const size = byteForm ? 1 : i.osz;
    const raw = src === 0 ? i.imm : src === 1 ? 1 : c.r[2];
    const n = raw & (size === 8 ? 63 : 31);
    const op = i.reg & 7;
    if (i.mod === 3) {
      const a = c.readReg(i.rm, i.rex, size), aHi = c.hi;
      if (n === 0) { if (size === 4) c.writeReg(i.rm, i.rex, 4, a, 0); return; }
      const r = groupOp(c, op, size, a, aHi, n);
      c.writeReg(i.rm, i.rex, size, r, c.hi);
      return;
    }
    const la = c.memAddr(i, size, true);
    const a = size === 8 ? c.rd64(la) : c.rd(la, size), aHi = c.hi;
    if (n === 0) return;
    c.probeWrite(la, size);
    const r = groupOp(c, op, size, a, aHi, n);
    if (size === 8) c.wr64(la, r, c.hi); else c.wr(la, size, r);
  };
}

def(0xc0, 'grp2', true, Imm.IB, group2(true, 0));
def(0xc1, 'grp2', true, Imm.IB, group2(false, 0));
def(0xd0, 'grp2', true, Imm.NONE, group2(true, 1));
def(0xd1, 'grp2', true, Imm.NONE, group2(false, 1));
def(0xd2, 'grp2', true, Imm.NONE, group2(true, 2));
def(0xd3, 'grp2', true, Imm.NONE, group2(false, 2));

/**
 * SHLD/SHRD r/m, r, count: shift dst, filling from src. For 16-bit operands with count > 16 the result is
 * undefined (SDM); here the 32-bit concatenation dst:src is shifted like QEMU's src:dst:src is not modelled.
 */
function doubleShift(c: Cpu, right: boolean, size: number, dLo: number, dHi: number, sLo: number, sHi: number, n: number): number {
  const bits = size * 8;
  let rLo: number, rHi = 0, cf: number, prevMsb: number;
  if (size === 8) {
    // Bit-serial on halves: shift dst by one, bringing in the next bit of src, n times.
    let vLo = dLo, vHi = dHi, wLo = sLo, wHi = sHi;
    cf = 0; prevMsb = 0;
    for (let k = 0; k < n; k++) {
      prevMsb = vHi >>> 31;
      if (!right) {
        cf = vHi >>> 31;
        vHi = (vHi << 1) | (vLo >>> 31); vLo = (vLo << 1) | (wHi >>> 31);
        wHi = (wHi << 1) | (wLo >>> 31); wLo <<= 1;
      } else {
        cf = vLo & 1;
        vLo = (vLo >>> 1) | (vHi << 31); vHi = (vHi >>> 1) | (wLo << 31);
        wLo = (wLo >>> 1) | (wHi << 31); wHi >>>= 1;
      }
    }
    rLo = vLo; rHi = vHi;
  } else if (size === 4) {
    const d = dLo >>> 0, s = sLo >>> 0;
    if (!right) {
      rLo = (d << n) | (s >>> (32 - n));
      cf = (d >>> (32 - n)) & 1;
      prevMsb = n === 1 ? d >>> 31 : (((d << (n - 1)) | (s >>> (33 - n))) >>> 31);
    } else {
      rLo = (d >>> n) | (s << (32 - n));
      cf = (d >>> (n - 1)) & 1;
      prevMsb = n === 1 ? d >>> 31 : (((d >>> (n - 1)) | (s << (33 - n))) >>> 31);
    }
  } else {
    // 16-bit: shift the 32-bit value dst:src (left) or src:dst (right).
    const d = dLo & 0xffff, s = sLo & 0xffff;
    if (!right) {
      const v = ((d << 16) | s) >>> 0;
      const t = n > 1 ? (v << (n - 1)) >>> 0 : v;
      cf = t >>> 31;
      prevMsb = t >>> 31;
      rLo = ((t << 1) >>> 16) & 0xffff;
      if (n > 16) { cf = (s >>> (32 - n)) & 1; }
    } else {
      const v = ((s << 16) | d) >>> 0;
      const t = v >>> (n - 1);
      cf = t & 1;
      prevMsb = (t >>> 15) & 1;
      rLo = (t >>> 1) & 0xffff;
    }
  }
  const of = prevMsb ^ msb(size, rLo, rHi);
  void bits;
  setArithFlags(c, cf | (of ? Flag.OF : 0) | resultFlags(size, rLo, rHi));
  c.hi = rHi;
  return rLo;
}

function shxd(right: boolean, byCl: boolean) {
  return (c: Cpu, i: Insn): void => {
    const size = i.osz;
    const n = (byCl ? c.r[2] : i.imm) & (size === 8 ? 63 : 31);
    const s = c.readReg(i.reg, i.rex, size), sHi = c.hi;
    if (i.mod === 3) {
      const d = c.readReg(i.rm, i.rex, size), dHi = c.hi;
      if (n === 0) { if (size === 4) c.writeReg(i.rm, i.rex, 4, d, 0); return; }
      c.writeReg(i.rm, i.rex, size, doubleShift(c, right, size, d, dHi, s, sHi, n), c.hi);
      return;
    }
    const la = c.memAddr(i, size, true);
    const d = size === 8 ? c.rd64(la) : c.rd(la, size), dHi = c.hi;
    if (n === 0) return;
    c.probeWrite(la, size);
    const r = doubleShift(c, right, size, d, dHi, s, sHi, n);
    if (size === 8) c.wr64(la, r, c.hi); else c.wr(la, size, r);
  };
}
def(0x1a4, 'shld', true, Imm.IB, shxd(false, false));
def(0x1a5, 'shld', true, Imm.NONE, shxd(false, true));
def(0x1ac, 'shrd', true, Imm.IB, shxd(true, false));
def(0x1ad, 'shrd', true, Imm.NONE, shxd(true, true));
