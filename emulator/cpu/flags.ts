import { imul64Overflows } from './mul128';
import { ARITH_FLAGS, CpuState, Flag } from './state';

/**
 * Lazy flags (QEMU's CC_OP idea): ALU instructions record the operation, its size and operands; CF/PF/AF/ZF/
 * SF/OF are computed only when read (Jcc, SETcc, CMOVcc, PUSHF, ADC …). `LF.NONE` means the arithmetic
 * flags in `cpu.flags` are current. Values are 32-bit halves; for sizes 1/2/4 only the lo half matters.
 */
export const enum LF {
  NONE = 0,
  ADD = 1,
  ADC = 2,
  SUB = 3,
  SBB = 4,
  LOGIC = 5,
  INC = 6,
  DEC = 7,
  /**
   * Shifts by a non-zero count (QEMU's CC_OP_SHL/CC_OP_SAR): lfA/lfAHi hold the operand shifted by count-1,
   * the result is in lfRes. SHL: CF = its top bit; SHR/SAR: CF = its bit 0; OF = top bit of it XOR top bit
   * of the result (the count-1 formula QEMU uses for counts > 1); AF = 0.
   */
  SHL = 8,
  SAR = 9,
  /** IMUL r, r/m [, imm]: CF = OF = lfAux (the product lost bits), AF = 0; SF/ZF/PF from the result as QEMU. */
  MUL = 10,
  /**
   * IMUL r64, r/m64 [, imm] (muldiv.ts imul2): lfRes/lfResHi the low 64 bits of the product, lfA/lfB the
   * operands; CF = OF = the signed product does not fit in 64 bits (mul128.ts imul64Overflows, computed only
   * when read: most IMULs are followed by an instruction that overwrites the flags), AF = 0, SF/ZF/PF from the
   * result as LF.MUL.
   */
  IMUL64 = 11,
}

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i, p = 1;
  while (b) { p ^= b & 1; b >>= 1; }
  PARITY[i] = p ? Flag.PF : 0;
}

/** Mask of the low `size` bytes for sizes 1, 2, 4 (as an unsigned 32-bit value). */
export function sizeMask(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

/** Record a flag-setting op. For 64-bit ops pass the hi halves; for smaller sizes they are ignored. */
export function setLazy(c: CpuState, op: LF, size: number, res: number, resHi: number, a: number, aHi: number, b: number, bHi: number): void {
  c.lfOp = op;
  c.lfSize = size;
  c.lfRes = res;
  c.lfResHi = resHi;
  c.lfA = a;
  c.lfAHi = aHi;
  c.lfB = b;
  c.lfBHi = bHi;
}

/** The whole record, aux included (jit.ts writes a translation's pending record with it: short source). */
export function setRecord(c: CpuState, op: LF, size: number, res: number, resHi: number, a: number, aHi: number, b: number, bHi: number, aux: number): void {
  setLazy(c, op, size, res, resHi, a, aHi, b, bHi);
  c.lfAux = aux;
}

/** Sign bit of the recorded value at the recorded size. */
function signOf(size: number, lo: number, hi: number): number {
  switch (size) {
    case 1: return (lo >>> 7) & 1;
    case 2: return (lo >>> 15) & 1;
    case 4: return lo >>> 31;
    default: return hi >>> 31;
  }
}

/** Unsigned a < b at the recorded size. */
function below(size: number, a: number, aHi: number, b: number, bHi: number): boolean {
  if (size === 8) {
    if (aHi !== bHi) return aHi >>> 0 < bHi >>> 0;
    return a >>> 0 < b >>> 0;
  }
  const m = sizeMask(size);
  return (a & m) >>> 0 < (b & m) >>> 0;
}

function isZero(size: number, lo: number, hi: number): boolean {
  if (size === 8) return lo === 0 && hi === 0;
  return (lo & sizeMask(size)) === 0;
}

/** Carry flag of the recorded operation. */
export function getCF(c: CpuState): boolean {
  const s = c.lfSize;
  switch (c.lfOp) {
    case LF.NONE: return (c.flags & Flag.CF) !== 0;
    case LF.ADD: return below(s, c.lfRes, c.lfResHi, c.lfA, c.lfAHi);
    case LF.ADC:
      return below(s, c.lfRes, c.lfResHi, c.lfA, c.lfAHi) ||
        (c.lfAux !== 0 && !below(s, c.lfA, c.lfAHi, c.lfRes, c.lfResHi));
    case LF.SUB: return below(s, c.lfA, c.lfAHi, c.lfB, c.lfBHi);
    case LF.SBB:
      return below(s, c.lfA, c.lfAHi, c.lfB, c.lfBHi) ||
        (c.lfAux !== 0 && !below(s, c.lfB, c.lfBHi, c.lfA, c.lfAHi) && !below(s, c.lfA, c.lfAHi, c.lfB, c.lfBHi));
    case LF.LOGIC: return false;
    case LF.SHL: return signOf(s, c.lfA, c.lfAHi) !== 0;
    case LF.SAR: return (c.lfA & 1) !== 0;
    case LF.IMUL64: return imul64Overflows(c.lfA, c.lfAHi, c.lfB, c.lfBHi);
    default: return c.lfAux !== 0; // INC/DEC preserve CF; MUL: the overflow
  }
}

export function getZF(c: CpuState): boolean {
  if (c.lfOp === LF.NONE) return (c.flags & Flag.ZF) !== 0;
  return isZero(c.lfSize, c.lfRes, c.lfResHi);
}

export function getSF(c: CpuState): boolean {
  if (c.lfOp === LF.NONE) return (c.flags & Flag.SF) !== 0;
  return signOf(c.lfSize, c.lfRes, c.lfResHi) !== 0;
}

export function getOF(c: CpuState): boolean {
  const s = c.lfSize;
  switch (c.lfOp) {
    case LF.NONE: return (c.flags & Flag.OF) !== 0;
    case LF.ADD: case LF.ADC: case LF.INC: {
      // Overflow when both operands have the same sign and the result's sign differs.
      const lo = (c.lfA ^ c.lfRes) & (c.lfB ^ c.lfRes);
      const hi = (c.lfAHi ^ c.lfResHi) & (c.lfBHi ^ c.lfResHi);
      return signOf(s, lo, hi) !== 0;
    }
    case LF.SUB: case LF.SBB: case LF.DEC: {
      const lo = (c.lfA ^ c.lfB) & (c.lfA ^ c.lfRes);
      const hi = (c.lfAHi ^ c.lfBHi) & (c.lfAHi ^ c.lfResHi);
      return signOf(s, lo, hi) !== 0;
    }
    case LF.SHL: case LF.SAR: return signOf(s, c.lfA ^ c.lfRes, c.lfAHi ^ c.lfResHi) !== 0;
    case LF.MUL: return c.lfAux !== 0;
    case LF.IMUL64: return imul64Overflows(c.lfA, c.lfAHi, c.lfB, c.lfBHi);
    default: return false;
  }
}

export function getPF(c: CpuState): boolean {
  if (c.lfOp === LF.NONE) return (c.flags & Flag.PF) !== 0;
  return PARITY[c.lfRes & 0xff] !== 0;
}

export function getAF(c: CpuState): boolean {
  if (c.lfOp === LF.NONE) return (c.flags & Flag.AF) !== 0;
  if (c.lfOp === LF.LOGIC || c.lfOp >= LF.SHL) return false;
  return ((c.lfA ^ c.lfB ^ c.lfRes) & 0x10) !== 0;
}

/** Materialize the arithmetic flags into cpu.flags and drop the lazy record. Returns the full RFLAGS low word. */
export function getFlags(c: CpuState): number {
  if (c.lfOp !== LF.NONE) {
    let f = c.flags & ~ARITH_FLAGS;
    if (getCF(c)) f |= Flag.CF;
    if (getPF(c)) f |= Flag.PF;
    if (getAF(c)) f |= Flag.AF;
    if (getZF(c)) f |= Flag.ZF;
    if (getSF(c)) f |= Flag.SF;
    if (getOF(c)) f |= Flag.OF;
    c.flags = f;
    c.lfOp = LF.NONE;
  }
  return c.flags;
}

/** Replace the arithmetic flags with explicit values (eager ops: shifts, MUL, BT …). */
export function setArithFlags(c: CpuState, bits: number): void {
  if (c.lfOp !== LF.NONE) getFlags(c);
  c.flags = (c.flags & ~ARITH_FLAGS) | (bits & ARITH_FLAGS);
}

/** Set PF/ZF/SF from a result (eager ops), with CF/OF/AF given. */
export function resultFlags(size: number, lo: number, hi: number): number {
  let f = PARITY[lo & 0xff];
  if (isZero(size, lo, hi)) f |= Flag.ZF;
  if (signOf(size, lo, hi)) f |= Flag.SF;
  return f;
}

/** Evaluate condition code cc (0..15) as used by Jcc/SETcc/CMOVcc (SDM Appendix B). */
export function testCC(c: CpuState, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = getOF(c); break;
    case 1: r = getCF(c); break;
    case 2: r = getZF(c); break;
    case 3: r = getCF(c) || getZF(c); break;
    case 4: r = getSF(c); break;
    case 5: r = getPF(c); break;
    case 6: r = getSF(c) !== getOF(c); break;
    default: r = getZF(c) || getSF(c) !== getOF(c); break;
  }
  return (cc & 1) ? !r : r;
}
