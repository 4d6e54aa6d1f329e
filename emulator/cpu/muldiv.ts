import type { Cpu } from './cpu';
import { raise } from './fault';
import { LF, resultFlags, setArithFlags, setLazy } from './flags';
import { mul64Hi, mulS64, mulU32Hi, mulU64, P } from './mul128';
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

/**
 * Quotients in plain numbers (no BigInt on the hot path, PERFORMANCE.md); the products are mul128.ts's, the
 * 128-bit values in its scratch P.
 */
/**
 * Unsigned division of the 128-bit P by d < 2^37, 16 bits at a time (each partial dividend stays below 2^53, so
 * the double quotient's floor is exact): quotient words back into P, the remainder returned.
 */
function divSmall(d: number): number {
  let r = 0;
  for (let w = 3; w >= 0; w--) {
    const word = P[w] >>> 0;
    const n1 = r * 65536 + (word >>> 16);
    const q1 = Math.floor(n1 / d);
    r = n1 - q1 * d;
    const n0 = r * 65536 + (word & 0xffff);
    const q0 = Math.floor(n0 / d);
    r = n0 - q0 * d;
    P[w] = (q1 * 65536 + q0) | 0;
  }
  return r;
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
        let hi = mulU32Hi(eax, src);
        const lo = Math.imul(eax, src);
        if (op === 5) {
          if (eax < 0) hi = (hi - src) | 0;
          if (src < 0) hi = (hi - eax) | 0;
        }
        mulFlags(c, 4, op === 4 ? hi !== 0 : hi !== lo >> 31, lo, 0);
        c.setReg32(0, lo);
        c.setReg32(2, hi);
        return;
      }
      if ((src | 0) === 0) raise(0, -1, 'division by zero');
      const edx = r[4];
      let q: number, m: number;
      if (op === 6) {
        const d = src >>> 0;
        if (edx === 0) { q = Math.floor((eax >>> 0) / d); m = (eax >>> 0) % d; }
        else {
          if (edx >>> 0 >= d) raise(0, -1, 'quotient does not fit in EAX');
          P[0] = eax; P[1] = edx; P[2] = 0; P[3] = 0;
          m = divSmall(d);
          q = P[0];
        }
      } else {
        const ds = src | 0;
        P[0] = eax; P[1] = edx; P[2] = P[3] = edx >> 31;
        m = signedDivP(ds < 0 ? -ds : ds, ds < 0, 32);
        q = P[0];
      }
      c.setReg32(0, q | 0);
      c.setReg32(2, m | 0);
      return;
    }
    default: {
      if (op === 4 || op === 5) {
        if (op === 4) mulU64(r[0], r[1], src, srcHi);
        else mulS64(r[0], r[1], src, srcHi);
        r[0] = P[0]; r[1] = P[1]; r[4] = P[2]; r[5] = P[3];
        const ovf = op === 4 ? (P[2] | P[3]) !== 0 : P[2] !== P[1] >> 31 || P[3] !== P[1] >> 31;
        mulFlags(c, 8, ovf, r[0], r[1]);
        return;
      }
      if ((src | srcHi) === 0) raise(0, -1, 'division by zero');
      if (op === 6 && srcHi >= 0 && srcHi < 32 && (r[5] >>> 0) * TWO32 + (r[4] >>> 0) < (srcHi >>> 0) * TWO32 + (src >>> 0)) {
        // Divisor below 2^37 and a quotient that fits: the 16-bit long division, no BigInt.
        P[0] = r[0]; P[1] = r[1]; P[2] = r[4]; P[3] = r[5];
        const m = divSmall(srcHi * TWO32 + (src >>> 0));
        r[0] = P[0]; r[1] = P[1];
        r[4] = m | 0; r[5] = Math.floor(m / TWO32) | 0;
        return;
      }
      if (op === 7 && idivSmall(c, src, srcHi)) return;
      const a = u64(r[0], r[1]);
      const s = u64(src, srcHi);
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

/**
 * IDIV r/m64 by a divisor of magnitude below 2^37 without BigInt (signedDivP). False when the divisor is too
 * large for divSmall (the caller's BigInt path then decides).
 */
function idivSmall(c: Cpu, lo: number, hi: number): boolean {
  const dneg = hi < 0;
  if (dneg) { lo = -lo | 0; hi = (~hi + (lo === 0 ? 1 : 0)) | 0; }
  if (hi < 0 || hi >= 32) return false;
  const r = c.r;
  P[0] = r[0]; P[1] = r[1]; P[2] = r[4]; P[3] = r[5];
  const m = signedDivP(hi * TWO32 + (lo >>> 0), dneg, 64);
  r[0] = P[0]; r[1] = P[1];
  r[4] = m | 0; r[5] = Math.floor(m / TWO32) | 0;
  return true;
}

/**
 * Signed division of the 128-bit two's-complement P by a divisor of magnitude `d` (below 2^37, negative when
 * `dneg`) for IDIV of `bits` 32 or 64: magnitudes divided by divSmall, then the signs (the quotient truncates
 * toward zero into P, the remainder takes the dividend's sign and is returned as a signed number). #DE when the
 * quotient does not fit: its magnitude at most 2^(bits-1) - 1, or 2^(bits-1) when it is negative.
 */
function signedDivP(d: number, dneg: boolean, bits: 32 | 64): number {
  const neg = P[3] < 0;
  if (neg) negateP();
  const m = divSmall(d);
  const qneg = neg !== dneg;
  const fits = bits === 32
    ? (P[1] | P[2] | P[3]) === 0 && (P[0] >= 0 || (qneg && P[0] === -0x80000000))
    : (P[2] | P[3]) === 0 && (P[1] >= 0 || (qneg && P[1] === -0x80000000 && P[0] === 0));
  if (!fits) raise(0, -1, `quotient does not fit in ${bits === 32 ? 'EAX' : 'RAX'}`);
  if (qneg) negateP();
  return neg ? -m : m;
}
/** P = -P (128-bit two's complement). */
function negateP(): void {
  let carry = 1;
  for (let w = 0; w < 4; w++) {
    const v = (~P[w] >>> 0) + carry;
    P[w] = v | 0;
    carry = v > 0xffffffff ? 1 : 0;
  }
}

function setPair(c: Cpu, reg: number, v: bigint): void {
  c.r[2 * reg] = Number(v & 0xffffffffn) | 0;
  c.r[2 * reg + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
}

/**
 * IMUL r, r/m [, imm] (0F AF, 69, 6B): signed, truncated to the operand size; CF=OF when truncation loses bits.
 * At 64 bits only the low 64 bits are computed here: the lazy record LF.IMUL64 keeps the operands, and the
 * overflow (which needs the 128-bit product) is computed only if CF or OF is read (flags.ts).
 */
export function imul2(c: Cpu, i: Insn, aLo: number, aHi: number, bLo: number, bHi: number): void {
  const size = i.osz;
  if (size === 8) {
    const lo = Math.imul(aLo, bLo), hi = mul64Hi(aLo, aHi, bLo, bHi);
    c.writeReg(i.reg, i.rex, 8, lo, hi);
    setLazy(c, LF.IMUL64, 8, lo, hi, aLo, aHi, bLo, bHi);
    return;
  }
  let lo: number, ovf: boolean;
  if (size === 2) {
    const p = ((aLo << 16) >> 16) * ((bLo << 16) >> 16);
    lo = p & 0xffff;
    ovf = p !== ((p << 16) >> 16);
  } else {
    // Math.imul is the exact low half; the double product equals it exactly when the signed product fits
    // in 32 bits (any product that does not is at least 2^31 away from every int32, whatever the rounding).
    lo = Math.imul(aLo, bLo);
    ovf = (aLo | 0) * (bLo | 0) !== lo;
  }
  c.writeReg(i.reg, i.rex, size, lo, 0);
  setLazy(c, LF.MUL, size, lo, 0, 0, 0, 0, 0);
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
