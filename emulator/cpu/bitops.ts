import type { Cpu } from './cpu';
import { getFlags, resultFlags, setArithFlags } from './flags';
import { ud } from './fault';
import { Imm, Insn } from './insn';
import { Flag, TWO32 } from './state';
import { def } from './table';

/**
 * Bit instructions: BT/BTS/BTR/BTC (0F A3/AB/B3/BB by register, 0F BA /4-/7 by imm8), BSF/BSR (0F BC/BD),
 * TZCNT/LZCNT (F3 0F BC/BD), POPCNT (F3 0F B8), BSWAP (0F C8+r). SDM Vol. 2 BT: a register bit offset on a
 * memory operand is a signed offset that may address beyond the operand (ea + floor(offset / bits) * size);
 * an immediate offset is taken modulo the operand size. BT* set CF only and leave the other flags as they
 * were (the SDM leaves OF/SF/AF/PF undefined and ZF unaffected). BSF/BSR on a zero source set ZF and leave the
 * destination unchanged (what Intel and AMD hardware do; the SDM says undefined).
 *
 * TZCNT (BMI1; the rest of BMI1 is bmi.ts) runs with its BMI1 semantics whatever CPUID reports: compilers
 * emit `rep bsf` as TZCNT knowing it runs as BSF on older CPUs (the results agree for non-zero sources).
 */

function clz32(v: number): number { return Math.clz32(v); }
function ctz32(v: number): number { return v === 0 ? 32 : 31 - Math.clz32(v & -v); }
function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

function setCF(c: Cpu, cf: number): void {
  getFlags(c);
  c.flags = cf ? c.flags | Flag.CF : c.flags & ~Flag.CF;
}

/** op: 4 BT, 5 BTS, 6 BTR, 7 BTC. Returns the new value's lo (hi in c.hi). */
function bitModify(c: Cpu, op: number, size: number, lo: number, hi: number, bit: number): number {
  let cf: number;
  if (size === 8 && bit >= 32) {
    const m = 1 << (bit - 32);
    cf = (hi & m) !== 0 ? 1 : 0;
    if (op === 5) hi |= m; else if (op === 6) hi &= ~m; else if (op === 7) hi ^= m;
  } else {
    const m = 1 << bit;
    cf = (lo & m) !== 0 ? 1 : 0;
    if (op === 5) lo |= m; else if (op === 6) lo &= ~m; else if (op === 7) lo ^= m;
  }
  setCF(c, cf);
  c.hi = hi;
  return lo;
}

function bitOp(c: Cpu, i: Insn, op: number, offLo: number, offHi: number, fromReg: boolean): void {
  const size = i.osz;
  const bits = size * 8;
  const bit = offLo & (bits - 1);
  if (i.mod === 3) {
    const v = c.readReg(i.rm, i.rex, size), vHi = c.hi;
    const r = bitModify(c, op, size, v, vHi, bit);
    if (op !== 4) c.writeReg(i.rm, i.rex, size, r, c.hi);
    return;
  }
  let ea = c.ea(i);
  if (fromReg) {
    // Signed bit offset → byte displacement in whole operands.
    const off = size === 8 ? offHi * TWO32 + (offLo >>> 0) : size === 4 ? offLo | 0 : (offLo << 16) >> 16;
    ea += Math.floor(off / bits) * size;
    if (i.asz === 4) ea = ea >>> 0; else if (i.asz === 2) ea &= 0xffff;
  }
  const la = c.lin(c.segOf(i), ea, size, op !== 4);
  const v = size === 8 ? c.rd64(la) : c.rd(la, size), vHi = c.hi;
  if (op !== 4) c.probeWrite(la, size);
  const r = bitModify(c, op, size, v, vHi, bit);
  if (op === 4) return;
  if (size === 8) c.wr64(la, r, c.hi); else c.wr(la, size, r);
}

function btReg(op: number) {
  return (c: Cpu, i: Insn): void => {
    const o = c.readReg(i.reg, i.rex, i.osz);
    bitOp(c, i, op, o, c.hi, true);
  };
}
def(0x1a3, 'bt', true, Imm.NONE, btReg(4));
def(0x1ab, 'bts', true, Imm.NONE, btReg(5));
def(0x1b3, 'btr', true, Imm.NONE, btReg(6));
def(0x1bb, 'btc', true, Imm.NONE, btReg(7));
def(0x1ba, 'grp8', true, Imm.IB, (c, i) => {
  const op = i.reg & 7;
  if (op < 4) ud();
  bitOp(c, i, op, i.imm & 0xff, 0, false);
});

/** Bit scans and counts on a source of `size`: 0 BSF, 1 BSR, 2 TZCNT, 3 LZCNT, 4 POPCNT. */
function scan(kind: number) {
  return (c: Cpu, i: Insn): void => {
    const size = i.osz;
    const lo = c.readE(i, size);
    const hi = size === 8 ? c.hi : 0;
    const v = size === 2 ? lo & 0xffff : lo;
    const zero = v === 0 && hi === 0;
    const bits = size * 8;
    let r: number;
    switch (kind) {
      case 0: case 2:
        r = zero ? bits : v !== 0 ? ctz32(v) : 32 + ctz32(hi);
        break;
      case 1: case 3: {
        // index of the highest set bit
        const top = size === 8 ? (hi !== 0 ? 63 - clz32(hi) : 31 - clz32(v)) : 31 - clz32(v);
        r = kind === 1 ? top : zero ? bits : bits - 1 - top;
        break;
      }
      default:
        r = popcount32(v) + (size === 8 ? popcount32(hi) : 0);
    }
    if (kind <= 1) {
      getFlags(c);
      if (zero) { c.flags |= Flag.ZF; return; }
      c.flags &= ~Flag.ZF;
    } else if (kind <= 3) {
      // TZCNT/LZCNT: CF = source is zero, ZF = result is zero; OF/SF/PF/AF undefined (cleared here).
      setArithFlags(c, (zero ? Flag.CF : 0) | (r === 0 ? Flag.ZF : 0));
    } else {
      setArithFlags(c, zero ? Flag.ZF : 0);
    }
    c.writeReg(i.reg, i.rex, size, r, 0);
  };
}
const bsf = scan(0), bsr = scan(1), tzcnt = scan(2), lzcnt = scan(3), popcnt = scan(4);
def(0x1bc, 'bsf', true, Imm.NONE, (c, i) => (i.rep === 1 ? tzcnt : bsf)(c, i));
def(0x1bd, 'bsr', true, Imm.NONE, (c, i) => (i.rep === 1 ? lzcnt : bsr)(c, i));
def(0x1b8, 'popcnt', true, Imm.NONE, (c, i) => { if (i.rep !== 1) ud('JMPE is not supported'); popcnt(c, i); });

/** BSWAP r32/r64 (0F C8+r); the 16-bit form's result is undefined (SDM): hardware clears the low word. */
for (let r = 0; r < 8; r++) {
  def(0x1c8 + r, 'bswap', false, Imm.NONE, (c, i) => {
    const n = r | ((i.rex & 1) << 3);
    const sw = (x: number): number => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
    if (i.osz === 8) { const lo = c.r[2 * n], hi = c.r[2 * n + 1]; c.r[2 * n] = sw(hi); c.r[2 * n + 1] = sw(lo); }
    else if (i.osz === 4) c.setReg32(n, sw(c.r[2 * n]));
    else c.setReg16(n, 0);
  });
}

void resultFlags;
