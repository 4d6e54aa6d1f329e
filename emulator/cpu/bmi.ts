import type { Cpu } from './cpu';
import { getFlags, resultFlags, setArithFlags } from './flags';
import { ud } from './fault';
import { Imm, Insn } from './insn';
import { Flag } from './state';
import { crc32 } from './sse42';
import { def } from './table';

/**
 * The general-purpose bit-manipulation groups (SDM Vol. 2; CPUID.07H:EBX.BMI1[3], .BMI2[8], .ADX[19]):
 *  - BMI1 (VEX.LZ.0F38): ANDN (F2), BLSR/BLSMSK/BLSI (F3 /1 /2 /3), BEXTR (F7). TZCNT is bitops.ts.
 *  - BMI2 (VEX.LZ.0F38 / 0F3A): BZHI (NP F5), PDEP (F2 F5), PEXT (F3 F5), MULX (F2 F6), SARX/SHLX/SHRX
 *    (F3/66/F2 F7), RORX (F2 0F3A F0 ib).
 *  - ADX (legacy 0F38 F6): ADCX (66) adds with CF only, ADOX (F3) with OF only.
 *  - MOVBE (0F38 F0/F1, CPUID.01H:ECX.MOVBE[22]); the F2 forms of those opcodes are SSE4.2's CRC32 (sse42.ts).
 * The VEX forms run at 32 bits, or 64 with VEX.W in 64-bit mode; VEX.L=1 is #UD, and so is a vvvv that is not
 * 1111b for an instruction without a vvvv operand (BLS* use vvvv as their destination). Flags the SDM leaves
 * undefined: AF and PF (and SF for BEXTR) — AF is cleared and PF/SF follow the result.
 *
 * Values are lo/hi int32 halves (no BigInt per instruction); 64-bit products are built from 16-bit pieces.
 */

/** Operand size of a VEX general-purpose instruction: #UD for VEX.L=1. */
function vsize(i: Insn): number {
  if (i.vexL) ud(`${i.name} with VEX.L=1`);
  return i.rex & 8 ? 8 : 4;
}

/** Register operand as (lo, c.hi) with hi = 0 at 32 bits. */
function rdReg(c: Cpu, r: number, size: number): number {
  if (size === 8) { c.hi = c.r[2 * r + 1]; return c.r[2 * r]; }
  c.hi = 0;
  return c.r[2 * r];
}
/** The r/m operand as (lo, c.hi). */
function rdE(c: Cpu, i: Insn, size: number): number {
  const lo = c.readE(i, size);
  if (size !== 8) c.hi = 0;
  return lo;
}
function wrReg(c: Cpu, r: number, size: number, lo: number, hi: number): void {
  c.r[2 * r] = lo;
  c.r[2 * r + 1] = size === 8 ? hi : 0;
}

/** ZF and SF from a result, CF as given, OF and AF cleared, PF from the low byte (undefined per the SDM). */
function logicFlags(c: Cpu, size: number, lo: number, hi: number, cf: boolean): void {
  setArithFlags(c, resultFlags(size, lo, hi) | (cf ? Flag.CF : 0));
}

// ------------------------------------------------------------------------------------------ BMI1
// ANDN r, vvvv, r/m: ~vvvv & r/m.
def(0x5f2, 'andn', true, Imm.NONE, (c, i) => {
  if (i.p66 || i.rep !== 0) ud();
  const size = vsize(i);
  const b = rdE(c, i, size), bh = c.hi;
  const a = rdReg(c, i.vvvv, size), ah = c.hi;
  const lo = ~a & b, hi = ~ah & bh;
  wrReg(c, i.reg, size, lo, hi);
  logicFlags(c, size, lo, size === 8 ? hi : 0, false);
});

// Group 17 (VEX 0F38 F3): /1 BLSR, /2 BLSMSK, /3 BLSI; the destination is vvvv.
def(0x5f3, 'blsr/blsmsk/blsi', true, Imm.NONE, (c, i) => {
  const op = i.reg & 7;
  if (i.p66 || i.rep !== 0 || op < 1 || op > 3) ud();
  const size = vsize(i);
  const s = rdE(c, i, size), sh = c.hi;
  const zero = s === 0 && sh === 0;
  // s - 1 and -s on (lo, hi)
  const mLo = (s - 1) | 0, mHi = s === 0 ? (sh - 1) | 0 : sh;
  const nLo = -s | 0, nHi = s === 0 ? -sh | 0 : ~sh;
  let lo: number, hi: number;
  if (op === 1) { lo = s & mLo; hi = sh & mHi; } // BLSR: reset lowest set bit
  else if (op === 2) { lo = s ^ mLo; hi = sh ^ mHi; } // BLSMSK: mask up to lowest set bit
  else { lo = s & nLo; hi = sh & nHi; } // BLSI: isolate lowest set bit
  if (size !== 8) hi = 0;
  wrReg(c, i.vvvv, size, lo, hi);
  let f = resultFlags(size, lo, hi);
  if (op === 2) f &= ~Flag.ZF; // BLSMSK clears ZF
  // CF: BLSR/BLSMSK set it for a zero source, BLSI for a non-zero one
  if (op === 3 ? !zero : zero) f |= Flag.CF;
  setArithFlags(c, f);
});

/** The result of extract(). */
const R = { lo: 0, hi: 0 };
/** Bits [start, start+len) of a 32/64-bit (lo, hi) value into R; bits past the operand read as zero. */
function extract(lo: number, hi: number, size: number, start: number, len: number): void {
  const bits = size * 8;
  if (start >= bits || len === 0) { R.lo = 0; R.hi = 0; return; }
  // shift right by start
  let l: number, h: number;
  if (start === 0) { l = lo; h = hi; }
  else if (start < 32) { l = (lo >>> start) | (hi << (32 - start)); h = hi >>> start; }
  else { l = hi >>> (start - 32); h = 0; }
  if (size === 4) h = 0;
  if (len < 32) { l &= (1 << len) - 1; h = 0; }
  else if (len < 64) h &= len === 32 ? 0 : (1 << (len - 32)) - 1;
  R.lo = l | 0; R.hi = h | 0;
}

// BEXTR r, r/m, vvvv: start = vvvv[7:0], length = vvvv[15:8].
def(0x5f7, 'bextr/shlx/sarx/shrx', true, Imm.NONE, (c, i) => {
  const size = vsize(i);
  if (i.p66 || i.rep !== 0) { shiftX(c, i, size); return; }
  const s = rdE(c, i, size), sh = c.hi;
  const ctl = c.r[2 * i.vvvv];
  extract(s, sh, size, ctl & 0xff, (ctl >>> 8) & 0xff);
  wrReg(c, i.reg, size, R.lo, R.hi);
  setArithFlags(c, R.lo === 0 && R.hi === 0 ? Flag.ZF : 0);
});

// ------------------------------------------------------------------------------------------ BMI2
/** SHLX (66), SARX (F3), SHRX (F2): r/m shifted by vvvv (mod 32/64); flags unchanged. */
function shiftX(c: Cpu, i: Insn, size: number): void {
  const s = rdE(c, i, size), sh = c.hi;
  const n = c.r[2 * i.vvvv] & (size === 8 ? 63 : 31);
  let lo: number, hi: number;
  if (size === 4) {
    lo = i.p66 ? s << n : i.rep === 1 ? s >> n : s >>> n;
    hi = 0;
  } else if (n === 0) { lo = s; hi = sh; }
  else if (i.p66) { // SHLX
    if (n < 32) { hi = (sh << n) | (s >>> (32 - n)); lo = s << n; } else { hi = s << (n - 32); lo = 0; }
  } else {
    const arith = i.rep === 1;
    if (n < 32) { lo = (s >>> n) | (sh << (32 - n)); hi = arith ? sh >> n : sh >>> n; }
    else { lo = arith ? sh >> (n - 32) : sh >>> (n - 32); hi = arith ? sh >> 31 : 0; }
  }
  wrReg(c, i.reg, size, lo, hi);
}

// BZHI (NP), PDEP (F2), PEXT (F3) at VEX 0F38 F5.
def(0x5f5, 'bzhi/pdep/pext', true, Imm.NONE, (c, i) => {
  if (i.p66) ud();
  const size = vsize(i);
  if (i.rep === 0) { // BZHI r, r/m, vvvv: clear bits from index vvvv[7:0] up
    const s = rdE(c, i, size), sh = c.hi;
    const n = c.r[2 * i.vvvv] & 0xff;
    const bits = size * 8;
    let lo = s, hi = sh;
    if (n < bits) {
      if (n < 32) { lo = n === 0 ? 0 : s & ((1 << n) - 1); hi = 0; }
      else hi = n === 32 ? 0 : sh & ((1 << (n - 32)) - 1);
    }
    if (size !== 8) hi = 0;
    wrReg(c, i.reg, size, lo, hi);
    logicFlags(c, size, lo, hi, n > bits - 1);
    return;
  }
  // PDEP/PEXT r, vvvv, r/m (the r/m operand is the mask)
  const m = rdE(c, i, size), mh = c.hi;
  const s = rdReg(c, i.vvvv, size), sh = c.hi;
  let lo = 0, hi = 0, k = 0;
  for (let b = 0; b < size * 8; b++) {
    const inMask = b < 32 ? (m >>> b) & 1 : (mh >>> (b - 32)) & 1;
    if (!inMask) continue;
    if (i.rep === 2) { // PDEP: the next low source bit goes to mask position b
      const bit = k < 32 ? (s >>> k) & 1 : (sh >>> (k - 32)) & 1;
      if (bit) { if (b < 32) lo |= 1 << b; else hi |= 1 << (b - 32); }
    } else { // PEXT: mask position b goes to the next low result bit
      const bit = b < 32 ? (s >>> b) & 1 : (sh >>> (b - 32)) & 1;
      if (bit) { if (k < 32) lo |= 1 << k; else hi |= 1 << (k - 32); }
    }
    k++;
  }
  wrReg(c, i.reg, size, lo, hi);
});

/** Unsigned 64×64 → 128-bit product of (alo, ahi)·(blo, bhi) into P[0..3] (32-bit words, low first). */
const P = new Int32Array(4);
const LA = new Uint16Array(4), LB = new Uint16Array(4), LP = new Float64Array(8);
function umul64(alo: number, ahi: number, blo: number, bhi: number): void {
  LA[0] = alo; LA[1] = alo >>> 16; LA[2] = ahi; LA[3] = ahi >>> 16;
  LB[0] = blo; LB[1] = blo >>> 16; LB[2] = bhi; LB[3] = bhi >>> 16;
  LP.fill(0);
  for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) LP[x + y] += LA[x] * LB[y]; // each sum < 2^34
  let carry = 0;
  for (let k = 0; k < 8; k++) {
    const v = LP[k] + carry;
    const limb = v % 65536;
    carry = (v - limb) / 65536;
    if (k & 1) P[k >> 1] |= limb << 16; else P[k >> 1] = limb;
  }
}

// MULX r(hi), vvvv(lo), r/m: unsigned rDX · r/m; flags unchanged. With r = vvvv the high half is kept.
def(0x5f6, 'mulx', true, Imm.NONE, (c, i) => {
  if (i.rep !== 2) ud();
  const size = vsize(i);
  const s = rdE(c, i, size), sh = c.hi;
  if (size === 4) {
    umul64(s, 0, c.r[4], 0);
    wrReg(c, i.vvvv, 4, P[0], 0);
    wrReg(c, i.reg, 4, P[1], 0);
  } else {
    umul64(s, sh, c.r[4], c.r[5]);
    wrReg(c, i.vvvv, 8, P[0], P[1]);
    wrReg(c, i.reg, 8, P[2], P[3]);
  }
});

// RORX r, r/m, imm8 (VEX.LZ.F2.0F3A F0): rotate right by imm8 mod 32/64; flags unchanged.
def(0x6f0, 'rorx', true, Imm.IB, (c, i) => {
  if (i.rep !== 2 || i.vvvv !== 0) ud();
  const size = vsize(i);
  const s = rdE(c, i, size), sh = c.hi;
  const n = i.imm & (size === 8 ? 63 : 31);
  if (size === 4) { wrReg(c, i.reg, 4, n === 0 ? s : (s >>> n) | (s << (32 - n)), 0); return; }
  let lo = s, hi = sh;
  if (n >= 32) { lo = sh; hi = s; }
  const m = n & 31;
  if (m !== 0) { const l = lo, h = hi; lo = (l >>> m) | (h << (32 - m)); hi = (h >>> m) | (l << (32 - m)); }
  wrReg(c, i.reg, 8, lo, hi);
});

// ------------------------------------------------------------------------------------------ ADX
/** ADCX (66 0F38 F6): r += r/m + CF, only CF written. ADOX (F3 0F38 F6): the same through OF. */
export function adx(c: Cpu, i: Insn): void {
  const ox = i.rep === 1;
  const size = i.rex & 8 ? 8 : 4;
  const b = rdE(c, i, size), bh = c.hi;
  const a = c.r[2 * i.reg], ah = c.r[2 * i.reg + 1];
  const f = getFlags(c);
  const cin = ox ? (f & Flag.OF ? 1 : 0) : f & Flag.CF;
  const l = (a >>> 0) + (b >>> 0) + cin;
  let cout: number, hi = 0;
  if (size === 4) cout = l > 0xffffffff ? 1 : 0;
  else {
    const h = (ah >>> 0) + (bh >>> 0) + (l > 0xffffffff ? 1 : 0);
    cout = h > 0xffffffff ? 1 : 0;
    hi = h | 0;
  }
  wrReg(c, i.reg, size, l | 0, hi);
  const bit = ox ? Flag.OF : Flag.CF;
  c.flags = cout ? c.flags | bit : c.flags & ~bit;
}

// ADCX/ADOX share 0F38 F6; MOVBE and CRC32 (SSE4.2, sse42.ts) share 0F38 F0/F1, told apart by F2.
def(0x2f6, 'adcx/adox', true, Imm.NONE, (c, i) => {
  if (i.rep === 2 || (i.rep === 0 && !i.p66)) ud();
  adx(c, i);
});

/** MOVBE r, m (0F38 F0) / MOVBE m, r (0F38 F1): a load or store with the bytes reversed; 16/32/64 bits. */
function movbe(c: Cpu, i: Insn, store: boolean): void {
  if (i.mod === 3) ud('MOVBE with a register operand');
  const size = i.osz;
  if (store) {
    const lo = c.readReg(i.reg, i.rex, size), hi = c.hi;
    if (size === 2) c.writeE(i, 2, ((lo & 0xff) << 8) | ((lo >>> 8) & 0xff), 0);
    else if (size === 4) c.writeE(i, 4, bswap32(lo), 0);
    else c.writeE(i, 8, bswap32(hi), bswap32(lo));
  } else {
    const lo = c.readE(i, size), hi = c.hi;
    if (size === 2) c.writeReg(i.reg, i.rex, 2, ((lo & 0xff) << 8) | ((lo >>> 8) & 0xff), 0);
    else if (size === 4) c.writeReg(i.reg, i.rex, 4, bswap32(lo), 0);
    else c.writeReg(i.reg, i.rex, 8, bswap32(hi), bswap32(lo));
  }
}
const bswap32 = (x: number): number => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
def(0x2f0, 'movbe/crc32', true, Imm.NONE, (c, i) => { if (i.rep === 2) crc32(c, i, true); else if (i.rep === 0) movbe(c, i, false); else ud(); });
def(0x2f1, 'movbe/crc32', true, Imm.NONE, (c, i) => { if (i.rep === 2) crc32(c, i, false); else if (i.rep === 0) movbe(c, i, true); else ud(); });
