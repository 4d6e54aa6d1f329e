import type { Cpu } from './cpu';
import { getFlags } from './flags';
import { ud } from './fault';
import { Imm, Insn } from './insn';
import { loadDataSegment } from './segments';
import { ARITH_FLAGS, Flag, Seg } from './state';
import { def } from './table';

/**
 * Stack instructions: PUSH/POP (registers, r/m, immediates, segment registers), PUSHA/POPA, PUSHF/POPF,
 * ENTER/LEAVE. PUSH/POP default to 64-bit operands in 64-bit mode (66 selects 16); the write of a PUSH
 * happens before RSP moves, so a faulting push changes nothing (what the double-fault story relies on).
 */

for (let r = 0; r < 8; r++) {
  def(0x50 + r, 'push', false, Imm.NONE, (c, i) => {
    const reg = r | ((i.rex & 1) << 3);
    c.push(i.osz, c.r[2 * reg], c.r[2 * reg + 1]);
  }, { d64: true });
  def(0x58 + r, 'pop', false, Imm.NONE, (c, i) => {
    const reg = r | ((i.rex & 1) << 3);
    const v = c.pop(i.osz);
    c.writeReg(reg, 0, i.osz, v, c.hi);
  }, { d64: true });
}
def(0x6a, 'push', false, Imm.IB, (c, i) => c.push(i.osz, i.imm, i.immHi), { d64: true });
def(0x68, 'push', false, Imm.IZ, (c, i) => c.push(i.osz, i.imm, i.immHi), { d64: true });
def(0x8f, 'pop', true, Imm.NONE, (c, i) => {
  if ((i.reg & 7) !== 0) ud();
  // POP r/m computes the address with the incremented RSP (SDM POP: "If the ESP register is used as a base…").
  const v = c.pop(i.osz);
  const hi = c.hi;
  c.writeE(i, i.osz, v, hi);
}, { d64: true });

/** PUSH r/m (FF /6), used by the FF group. */
export function pushRm(c: Cpu, i: Insn): void {
  const v = c.readE(i, i.osz);
  c.push(i.osz, v, c.hi);
}

function pushSeg(s: number) {
  return (c: Cpu, i: Insn): void => c.push(i.osz, c.segSel[s], 0);
}
function popSeg(s: number) {
  return (c: Cpu, i: Insn): void => {
    const v = c.peek(0, i.osz) & 0xffff;
    loadDataSegment(c, s, v);
    c.adjustSp(i.osz);
    if (s === Seg.SS) c.shadowUntil = c.dbShadowUntil = c.clock.instructions + 2;
  };
}
def(0x06, 'push es', false, Imm.NONE, pushSeg(Seg.ES), { i64: true });
def(0x07, 'pop es', false, Imm.NONE, popSeg(Seg.ES), { i64: true });
def(0x0e, 'push cs', false, Imm.NONE, pushSeg(Seg.CS), { i64: true });
def(0x16, 'push ss', false, Imm.NONE, pushSeg(Seg.SS), { i64: true });
def(0x17, 'pop ss', false, Imm.NONE, popSeg(Seg.SS), { i64: true, endsBlock: true });
def(0x1e, 'push ds', false, Imm.NONE, pushSeg(Seg.DS), { i64: true });
def(0x1f, 'pop ds', false, Imm.NONE, popSeg(Seg.DS), { i64: true });
def(0x1a0, 'push fs', false, Imm.NONE, pushSeg(Seg.FS), { d64: true });
def(0x1a1, 'pop fs', false, Imm.NONE, popSeg(Seg.FS), { d64: true });
def(0x1a8, 'push gs', false, Imm.NONE, pushSeg(Seg.GS), { d64: true });
def(0x1a9, 'pop gs', false, Imm.NONE, popSeg(Seg.GS), { d64: true });

def(0x60, 'pusha', false, Imm.NONE, (c, i) => {
  const sp = c.r[8];
  for (let r = 0; r < 8; r++) c.push(i.osz, r === 4 ? sp : c.r[2 * r], 0);
}, { i64: true });
def(0x61, 'popa', false, Imm.NONE, (c, i) => {
  for (let r = 7; r >= 0; r--) {
    const v = c.pop(i.osz);
    if (r !== 4) c.writeReg(r, 0, i.osz, v, 0);
  }
}, { i64: true });

/** RFLAGS as PUSHF stores it (VM and RF read as 0). */
export function flagsForPush(c: Cpu): number {
  return getFlags(c) & ~(Flag.VM | Flag.RF);
}

/** Write RFLAGS from POPF/IRET-style data with the CPL/IOPL rules of POPF (SDM Vol. 2 POPF). */
export function writeFlags(c: Cpu, v: number, size: number, cpl: number): void {
  getFlags(c);
  let mask = ARITH_FLAGS | Flag.TF | Flag.DF | Flag.NT;
  if (size >= 4) mask |= Flag.AC | Flag.ID;
  const iopl = (c.flags >>> 12) & 3;
  if (cpl === 0) mask |= Flag.IOPL | Flag.IF;
  else if (cpl <= iopl) mask |= Flag.IF;
  c.flags = ((c.flags & ~mask) | (v & mask) | Flag.FIXED1) & ~Flag.RF;
}

def(0x9c, 'pushf', false, Imm.NONE, (c, i) => c.push(i.osz, flagsForPush(c), 0), { d64: true });
def(0x9d, 'popf', false, Imm.NONE, (c, i) => {
  const v = c.pop(i.osz);
  writeFlags(c, v, i.osz, c.cpl);
}, { d64: true, endsBlock: true });

def(0xc9, 'leave', false, Imm.NONE, (c, i) => {
  // RSP ← RBP (stack-size wide), then POP RBP.
  const sz = c.stackSize;
  if (sz === 8) { c.r[8] = c.r[10]; c.r[9] = c.r[11]; }
  else if (sz === 4) { c.r[8] = c.r[10]; c.r[9] = 0; }
  else c.r[8] = (c.r[8] & 0xffff0000) | (c.r[10] & 0xffff);
  const v = c.pop(i.osz);
  c.writeReg(5, 0, i.osz, v, c.hi);
}, { d64: true });

def(0xc8, 'enter', false, Imm.IW_IB, (c, i) => {
  const size = i.osz;
  const level = i.imm2 & 31;
  c.push(size, c.r[10], c.r[11]);
  const frameLo = c.r[8], frameHi = c.r[9];
  for (let k = 1; k < level; k++) {
    // Copy the enclosing frames' pointers from [RBP - k*size].
    // The frame pointer wraps at the stack width (EBP/BP), like any stack address outside 64-bit mode.
    const off = c.stackSize === 8 ? c.regNum(5) - k * size
      : c.stackSize === 4 ? ((c.r[10] - k * size) >>> 0) : ((c.r[10] - k * size) & 0xffff);
    const la = c.lin(Seg.SS, off, size, false);
    const v = size === 8 ? c.rd64(la) : c.rd(la, size);
    c.push(size, v, c.hi);
  }
  if (level > 0) c.push(size, frameLo, frameHi);
  c.writeReg(5, 0, c.stackSize, frameLo, frameHi);
  c.adjustSp(-i.imm);
}, { d64: true });
