import type { Cpu } from './cpu';
import { raise } from './fault';
import { Cr0 } from './state';
import { copy, F80, IE, setIndefinite, st } from './x87-float80';

/**
 * The x87 register stack (SDM Vol. 1 §8.1): c.fpuRegs holds the physical registers R0-R7 (16 bytes each:
 * significand bytes 0-7, sign+exponent bytes 8-9, little-endian, the FXSAVE register layout), ST(i) is
 * R((TOP + i) mod 8), TOP is FSW bits 13:11, and c.ftw is the abridged tag word (bit i = 1: Ri is non-empty;
 * the full two-bit tags are derived from the contents when FSTENV/FSAVE store them). Also: the status-word
 * bookkeeping after an operation (exception flags, ES/B, C1) and the pending-exception check that waiting
 * x87 instructions make before they start (#MF with CR0.NE=1, FERR#/IRQ13 otherwise).
 */

export const FSW_C0 = 0x100, FSW_C1 = 0x200, FSW_C2 = 0x400, FSW_C3 = 0x4000;
export const FSW_SF = 0x40, FSW_ES = 0x80, FSW_B = 0x8000;
export const CC_MASK = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3;

export function top(c: Cpu): number {
  return (c.fsw >>> 11) & 7;
}

export function setTop(c: Cpu, t: number): void {
  c.fsw = (c.fsw & ~0x3800) | ((t & 7) << 11);
}

/** Physical register number of ST(i). */
export function phys(c: Cpu, i: number): number {
  return (top(c) + i) & 7;
}

export function isEmpty(c: Cpu, i: number): boolean {
  return (c.ftw & (1 << phys(c, i))) === 0;
}

export function readPhys(c: Cpu, r: number, d: F80): void {
  const f = c.fpuRegs, o = r * 16;
  d.lo = (f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24)) >>> 0;
  d.hi = (f[o + 4] | (f[o + 5] << 8) | (f[o + 6] << 16) | (f[o + 7] << 24)) >>> 0;
  const se = f[o + 8] | (f[o + 9] << 8);
  d.e = se & 0x7fff;
  d.s = se >>> 15;
}

export function writePhys(c: Cpu, r: number, a: F80): void {
  const f = c.fpuRegs, o = r * 16;
  const lo = a.lo, hi = a.hi, se = (a.s << 15) | a.e;
  f[o] = lo; f[o + 1] = lo >>> 8; f[o + 2] = lo >>> 16; f[o + 3] = lo >>> 24;
  f[o + 4] = hi; f[o + 5] = hi >>> 8; f[o + 6] = hi >>> 16; f[o + 7] = hi >>> 24;
  f[o + 8] = se; f[o + 9] = se >>> 8;
}

export function readST(c: Cpu, i: number, d: F80): void {
  readPhys(c, phys(c, i), d);
}

/** Store into ST(i) and tag it valid. */
export function writeST(c: Cpu, i: number, a: F80): void {
  const r = phys(c, i);
  writePhys(c, r, a);
  c.ftw |= 1 << r;
}

export function pop(c: Cpu): void {
  c.ftw &= ~(1 << top(c));
  setTop(c, top(c) + 1);
}

/** Decrement TOP and store a (the caller has checked for stack overflow). */
export function push(c: Cpu, a: F80): void {
  setTop(c, top(c) - 1);
  writeST(c, 0, a);
}

// ------------------------------------------------------------------------------ status word
/** Load PC/RC/masks from FCW into the float80 state and clear the accumulated flags. */
export function begin(c: Cpu): void {
  const pcBits = (c.fcw >>> 8) & 3;
  st.pc = pcBits === 0 ? 24 : pcBits === 2 ? 53 : 64; // PC=01 is reserved; hardware treats it as 64 bits
  st.rc = (c.fcw >>> 10) & 3;
  st.masks = c.fcw & 0x3f;
  st.exc = 0;
  st.up = false;
  st.srcDenormal = false;
}

/** An unmasked invalid-operation, denormal or divide-by-zero exception leaves the destination untouched. */
export function blocked(): boolean {
  return (st.exc & ~st.masks & 7) !== 0;
}

/**
 * Merge the flags of an operation into FSW (sticky), set ES and B when one is unmasked (SDM §8.5); an
 * inexact result sets C1 to its rounding direction (1 = rounded away from zero, SDM §8.1.3.3).
 */
export function finish(c: Cpu): void {
  let f = c.fsw | st.exc;
  if (st.exc & 0x20) f = (f & ~FSW_C1) | (st.up ? FSW_C1 : 0);
  if (st.exc & ~st.masks & 0x3f) f |= FSW_ES | FSW_B;
  c.fsw = f;
}

/** ES/B recomputed after FLDCW/FLDENV/FRSTOR: set iff some exception flag is unmasked. */
export function syncES(c: Cpu): void {
  if (c.fsw & ~c.fcw & 0x3f) c.fsw |= FSW_ES | FSW_B;
  else c.fsw &= ~(FSW_ES | FSW_B);
}

/** Stack underflow (SDM §8.5.1.1): IE + SF, C1 = 0; with IE masked the destination gets the indefinite. */
export function underflow(c: Cpu, d: F80 | null): void {
  st.exc |= IE;
  c.fsw = (c.fsw | FSW_SF) & ~FSW_C1;
  if (d) setIndefinite(d);
}

/** Stack overflow on a push: IE + SF, C1 = 1; masked: the indefinite is pushed. Returns false when blocked. */
export function pushChecked(c: Cpu, a: F80): boolean {
  if (!isEmpty(c, 7)) {
    st.exc |= IE;
    c.fsw |= FSW_SF | FSW_C1;
    if (!(st.masks & IE)) return false;
    setIndefinite(a);
  }
  push(c, a);
  return true;
}

/** Check empty source registers ST(i) (and ST(j) when j >= 0): true when an underflow was raised. */
export function sourcesEmpty(c: Cpu, i: number, j = -1): boolean {
  if (isEmpty(c, i) || (j >= 0 && isEmpty(c, j))) { underflow(c, null); return true; }
  return false;
}

// ---------------------------------------------------------------------------------- checks
/** #NM for x87 instructions (SDM Vol. 3 §2.5): CR0.EM=1 or CR0.TS=1. */
export function fpuCheck(c: Cpu): void {
  if (c.cr0 & (Cr0.EM | Cr0.TS)) raise(7, -1, 'x87 instruction with CR0.EM=1 or CR0.TS=1 (device not available)');
}

/**
 * A waiting x87 instruction (or FWAIT) with an unmasked exception pending (FSW.ES=1): #MF when CR0.NE=1
 * (SDM Vol. 3 §6.15 "Interrupt 16"); with CR0.NE=0 the PC's FERR# line raises IRQ 13 through the PIC and
 * the instruction proceeds (SDM Vol. 1 §D.2.1, MS-DOS compatibility mode, as QEMU's pc machine wires it).
 */
export function pendingCheck(c: Cpu): void {
  if (!(c.fsw & FSW_ES)) return;
  if (c.cr0 & Cr0.NE) raise(16, -1, 'x87 instruction with an unmasked x87 exception pending (FSW.ES=1, CR0.NE=1)');
  c.ferr?.(true);
}

/** Copy helpers re-exported for the instruction file. */
export { copy };
