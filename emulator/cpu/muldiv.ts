import type { Cpu } from './cpu';
import { raise } from './fault';
import { LF, resultFlags, setArithFlags, setLazy } from './flags';
import { Imm, Insn } from './insn';
import { def } from './table';
import { Flag, TWO32 } from './state';

/**
 * MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV. #DE on divide by zero or quotient overflow
 * (SDM Vol. 2 DIV/IDIV). Flags: MUL/IMUL set CF=OF per the SDM; SF/ZF/PF are architecturally undefined and
 * are set from the low result the way QEMU does, AF cleared.
 */

function u64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
function s64(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, u64(lo, hi));
}

function mulFlags(c: Cpu, size: number, overflow: boolean, lo: number, hi: number): void {
  setArithFlags(c, (overflow ? Flag.CF | Flag.OF : 0) | resultFlags(size, lo, hi));
}

/** F6/F7 /4-/7 (size 1, 2, 4, 8): MUL, IMUL, DIV, IDIV of rDX:rAX by the r/m operand. */
export function mulDiv(c: Cpu, i: Insn, size: number, op: number): void {
  const src = c.readE(i, size);
  const srcHi = c.hi;
  const r = c.r;
  switch (size) {
    case 1: {
      const al = r[0] & 0xff;
      const s = src & 0xff;
      if (op === 4 || op === 5) {
        const p = op === 4 ? al * s : ((al << 24) >> 24) * ((s << 24) >> 24);
        r[0] = (r[0] & 0xffff0000) | (p & 0xffff);
        const ovf = op === 4 ? (p & 0xff00) !== 0 : p !== ((p << 24) >> 24);
        mulFlags(c, 1, ovf, p, 0);
        return;
      }
      const ax = r[0] & 0xffff;
      if (s === 0) raise(0, -1, 'division by zero');
      let q: number, m: number;
      if (op === 6) { q = Math.floor(ax / s); m = ax % s; if (q > 0xff) raise(0, -1, 'quotient does not fit in AL'); }
      else {
        const a = (ax << 16) >> 16, d = (s << 24) >> 24;
        q = Math.trunc(a / d); m = a % d;
        if (q > 127 || q < -128) raise(0, -1, 'quotient does not fit in AL');
      }
      r[0] = (r[0] & 0xffff0000) | ((m & 0xff) << 8) | (q & 0xff);
      return;
    }
    case 2: {
      const ax = r[0] & 0xffff;
      const s = src & 0xffff;
      if (op === 4 || op === 5) {
        const p = op === 4 ? ax * s : ((ax << 16) >> 16) * ((s << 16) >> 16);
        r[0] = (r[0] & 0xffff0000) | (p & 0xffff);
        r[4] = (r[4] & 0xffff0000) | ((p >>> 16) & 0xffff);
        const ovf = op === 4 ? (p >>> 16) !== 0 : p !== ((p << 16) >> 16);
        mulFlags(c, 2, ovf, p, 0);
        return;
      }
      if (s === 0) raise(0, -1, 'division by zero');
      const dxax = ((r[4] & 0xffff) << 16 | ax) >>> 0;
      let q: number, m: number;
      if (op === 6) { q = Math.floor(dxax / s); m = dxax % s; if (q > 0xffff) raise(0, -1, 'quotient does not fit in AX'); }
      else {
        const a = dxax | 0, d = (s << 16) >> 16;
        q = Math.trunc(a / d); m = a % d;
        if (q > 32767 || q < -32768) raise(0, -1, 'quotient does not fit in AX');
      }
      r[0] = (r[0] & 0xffff0000) | (q & 0xffff);
      r[4] = (r[4] & 0xffff0000) | (m & 0xffff);
      return;
    }
    case 4: {
      const eax = r[0];
      if (op === 4 || op === 5) {
        let lo: number, hi: number;
        if (op === 4) {
          const p = BigInt(eax >>> 0) * BigInt(src >>> 0);
          lo = Number(p & 0xffffffffn) | 0; hi = Number(p >> 32n) | 0;
          mulFlags(c, 4, hi !== 0, lo, 0);
        } else {
          const p = BigInt(eax | 0) * BigInt(src | 0);
          lo = Number(BigInt.asIntN(32, p)) | 0; hi = Number(BigInt.asIntN(32, p >> 32n)) | 0;
          mulFlags(c, 4, BigInt(lo) !== p, lo, 0);
        }
        c.setReg32(0, lo);
        c.setReg32(2, hi);
        return;
      }
      if ((src | 0) === 0) raise(0, -1, 'division by zero');
      const edx = r[4];
      if (op === 6) {
        const n = (edx >>> 0) * TWO32 + (eax >>> 0);
        let q: number, m: number;
        if (edx >>> 0 === 0) { q = Math.floor((eax >>> 0) / (src >>> 0)); m = (eax >>> 0) % (src >>> 0); }
        else {
          const bn = (BigInt(edx >>> 0) << 32n) | BigInt(eax >>> 0);
          const bq = bn / BigInt(src >>> 0);
          if (bq > 0xffffffffn) raise(0, -1, 'quotient does not fit in EAX');
          q = Number(bq); m = Number(bn % BigInt(src >>> 0));
        }
        void n;
        c.setReg32(0, q | 0);
        c.setReg32(2, m | 0);
      } else {
        const bn = (BigInt(edx | 0) << 32n) | BigInt(eax >>> 0);
        const d = BigInt(src | 0);
        const q = bn / d;
        if (q > 0x7fffffffn || q < -0x80000000n) raise(0, -1, 'quotient does not fit in EAX');
        c.setReg32(0, Number(q) | 0);
        c.setReg32(2, Number(bn % d) | 0);
      }
      return;
    }
    default: {
      const a = u64(r[0], r[1]);
      const s = u64(src, srcHi);
      if (op === 4 || op === 5) {
        const p = op === 4 ? a * s : BigInt.asIntN(64, a) * BigInt.asIntN(64, s);
        const lo = BigInt.asUintN(64, p);
        const hi = BigInt.asUintN(64, p >> 64n);
        setPair(c, 0, lo);
        setPair(c, 2, hi);
        const ovf = op === 4 ? hi !== 0n : BigInt.asIntN(64, lo) !== p;
        mulFlags(c, 8, ovf, r[0], r[1]);
        return;
      }
      if (s === 0n) raise(0, -1, 'division by zero');
      const n = (u64(r[4], r[5]) << 64n) | a;
      if (op === 6) {
        const q = n / s;
        if (q > 0xffffffffffffffffn) raise(0, -1, 'quotient does not fit in RAX');
        setPair(c, 0, q);
        setPair(c, 2, n % s);
      } else {
        const sn = BigInt.asIntN(128, n);
        const d = s64(src, srcHi);
        const q = sn / d;
        if (q > 0x7fffffffffffffffn || q < -0x8000000000000000n) raise(0, -1, 'quotient does not fit in RAX');
        setPair(c, 0, BigInt.asUintN(64, q));
        setPair(c, 2, BigInt.asUintN(64, sn % d));
      }
    }
  }
}

function setPair(c: Cpu, reg: number, v: bigint): void {
  c.r[2 * reg] = Number(v & 0xffffffffn) | 0;
  c.r[2 * reg + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
}

/** IMUL r, r/m [, imm] (0F AF, 69, 6B): signed, truncated to the operand size; CF=OF when truncation loses bits. */
export function imul2(c: Cpu, i: Insn, aLo: number, aHi: number, bLo: number, bHi: number): void {
  const size = i.osz;
  let lo: number, hi = 0, ovf: boolean;
  if (size === 2) {
    const p = ((aLo << 16) >> 16) * ((bLo << 16) >> 16);
    lo = p & 0xffff;
    ovf = p !== ((p << 16) >> 16);
  } else if (size === 4) {
    // Math.imul is the exact low half; the double product equals it exactly when the signed product fits
    // in 32 bits (any product that does not is at least 2^31 away from every int32, whatever the rounding).
    lo = Math.imul(aLo, bLo);
    ovf = (aLo | 0) * (bLo | 0) !== lo;
  } else if (aHi === aLo >> 31 && bHi === bLo >> 31) {
    // Both operands are sign-extended 32-bit values: the 64-bit product is exact and never truncated.
    // a × b = (ah·2^16 + al) × b with al the low 16 bits unsigned: each partial product is below 2^47.
    const a = aLo | 0, b = bLo | 0;
    const t1 = (a & 0xffff) * b;
    const t2 = (a >> 16) * b;
    const t2h = Math.floor(t2 / 65536);
    lo = Math.imul(a, b);
    hi = (t2h + Math.floor(((t2 - t2h * 65536) * 65536 + t1) / TWO32)) | 0;
    ovf = false;
  } else {
    const p = s64(aLo, aHi) * s64(bLo, bHi);
    const t = BigInt.asIntN(64, p);
    lo = Number(BigInt.asUintN(32, t)) | 0;
    hi = Number(BigInt.asUintN(32, t >> 32n)) | 0;
    ovf = t !== p;
  }
  c.writeReg(i.reg, i.rex, size, lo, hi);
  setLazy(c, LF.MUL, size, lo, hi, 0, 0, 0, 0);
  c.lfAux = ovf ? 1 : 0;
}

// Two- and three-operand IMUL (0F AF, 69, 6B): registered here so the family is complete.
def(0x1af, 'imul', true, Imm.NONE, (c, i) => {
  const b = c.readE(i, i.osz), bHi = c.hi;
  const a = c.readReg(i.reg, i.rex, i.osz);
  imul2(c, i, a, c.hi, b, bHi);
});
def(0x69, 'imul', true, Imm.IZ, (c, i) => { const b = c.readE(i, i.osz); imul2(c, i, b, c.hi, i.imm, i.immHi); });
def(0x6b, 'imul', true, Imm.IB, (c, i) => { const b = c.readE(i, i.osz); imul2(c, i, b, c.hi, i.imm, i.immHi); });
