import type { Cpu } from './cpu';
import { ud } from './fault';
import { getFlags, testCC } from './flags';
import { Imm, Insn } from './insn';
import { loadDataSegment } from './segments';
import { ARITH_FLAGS, Cr0, Flag, Seg } from './state';
import { def, defRange } from './table';

/**
 * Data movement: MOV (all GPR forms, moffs, Sreg), MOVZX/MOVSX/MOVSXD, LEA, XCHG, CMOVcc, SETcc,
 * CBW/CWDE/CDQE, CWD/CDQ/CQO, LAHF/SAHF, and the NOP family (90, F3 90 PAUSE, 0F 1F, prefetch hints).
 */

/** LEA's value in halves (c.hi): the exact 64-bit sum with 64-bit addressing, else the zero-extended 32/16-bit address. */
function eaHalves(c: Cpu, i: Insn): number {
  if (i.asz === 8) return c.lea64(i);
  c.hi = 0;
  return c.ea(i) | 0;
}

def(0x88, 'mov', true, Imm.NONE, (c, i) => c.writeE(i, 1, c.getReg8(i.reg, i.rex), 0));
def(0x89, 'mov', true, Imm.NONE, (c, i) => { const v = c.readReg(i.reg, i.rex, i.osz); c.writeE(i, i.osz, v, c.hi); });
def(0x8a, 'mov', true, Imm.NONE, (c, i) => c.setReg8(i.reg, i.rex, c.readE(i, 1)));
def(0x8b, 'mov', true, Imm.NONE, (c, i) => { const v = c.readE(i, i.osz); c.writeReg(i.reg, i.rex, i.osz, v, c.hi); });
def(0xc6, 'mov', true, Imm.IB, (c, i) => { if ((i.reg & 7) !== 0) ud(); c.writeE(i, 1, i.imm, 0); });
def(0xc7, 'mov', true, Imm.IZ, (c, i) => { if ((i.reg & 7) !== 0) ud(); c.writeE(i, i.osz, i.imm, i.immHi); });
for (let r = 0; r < 8; r++) {
  def(0xb0 + r, 'mov', false, Imm.IB, (c, i) => c.setReg8(r | ((i.rex & 1) << 3), i.rex, i.imm));
  def(0xb8 + r, 'mov', false, Imm.IV, (c, i) => c.writeReg(r | ((i.rex & 1) << 3), i.rex, i.osz, i.imm, i.immHi));
}

def(0xa0, 'mov', false, Imm.MOFFS, (c, i) => c.setReg8(0, 0, c.rd(c.moffsAddr(i, 1, false), 1)));
def(0xa1, 'mov', false, Imm.MOFFS, (c, i) => {
  const la = c.moffsAddr(i, i.osz, false);
  const v = i.osz === 8 ? c.rd64(la) : c.rd(la, i.osz);
  c.writeReg(0, 0, i.osz, v, c.hi);
});
def(0xa2, 'mov', false, Imm.MOFFS, (c, i) => c.wr(c.moffsAddr(i, 1, true), 1, c.r[0] & 0xff));
def(0xa3, 'mov', false, Imm.MOFFS, (c, i) => {
  const la = c.moffsAddr(i, i.osz, true);
  if (i.osz === 8) c.wr64(la, c.r[0], c.r[1]); else c.wr(la, i.osz, c.r[0]);
});

// MOV r/m, Sreg (8C) and MOV Sreg, r/m (8E).
def(0x8c, 'mov', true, Imm.NONE, (c, i) => {
  const s = i.reg & 7;
  if (s > 5) ud('MOV from a segment register that does not exist');
  // To a register the selector is zero-extended to the operand size; to memory it is always 16 bits.
  if (i.mod === 3) c.writeReg(i.rm, i.rex, i.osz === 8 ? 8 : i.osz, c.segSel[s], 0);
  else c.writeE(i, 2, c.segSel[s], 0);
});
def(0x8e, 'mov', true, Imm.NONE, (c, i) => {
  const s = i.reg & 7;
  if (s === Seg.CS || s > 5) ud('MOV to CS or to a segment register that does not exist');
  loadDataSegment(c, s, c.readE(i, 2));
  if (s === Seg.SS) c.shadowUntil = c.dbShadowUntil = c.clock.instructions + 2;
}, { endsBlock: true });

def(0x8d, 'lea', true, Imm.NONE, (c, i) => {
  if (i.mod === 3) ud('LEA with a register operand');
  const v = eaHalves(c, i);
  c.writeReg(i.reg, i.rex, i.osz, v, c.hi);
});

// MOVZX / MOVSX / MOVSXD
def(0x1b6, 'movzx', true, Imm.NONE, (c, i) => c.writeReg(i.reg, i.rex, i.osz, c.readE(i, 1), 0));
def(0x1b7, 'movzx', true, Imm.NONE, (c, i) => c.writeReg(i.reg, i.rex, i.osz, c.readE(i, 2), 0));
def(0x1be, 'movsx', true, Imm.NONE, (c, i) => { const v = (c.readE(i, 1) << 24) >> 24; c.writeReg(i.reg, i.rex, i.osz, v, v >> 31); });
def(0x1bf, 'movsx', true, Imm.NONE, (c, i) => { const v = (c.readE(i, 2) << 16) >> 16; c.writeReg(i.reg, i.rex, i.osz, v, v >> 31); });
def(0x63, 'movsxd', true, Imm.NONE, (c, i) => {
  if (!c.long) { arpl(c, i); return; }
  const v = c.readE(i, i.osz === 8 ? 4 : i.osz);
  c.writeReg(i.reg, i.rex, i.osz, v, v >> 31);
});

/**
 * ARPL r/m16, r16 (63 outside 64-bit mode): raise the destination selector's RPL to the source's, ZF = 1 if
 * it changed. Not recognized in real-address and virtual-8086 mode (#UD, SDM ARPL).
 */
function arpl(c: Cpu, i: Insn): void {
  if (!(c.cr0 & Cr0.PE) || (c.flags & Flag.VM)) ud('ARPL in real-address or virtual-8086 mode');
  const dest = c.readE(i, 2);
  const src = c.r[2 * i.reg] & 0xffff;
  getFlags(c);
  if ((dest & 3) < (src & 3)) {
    c.writeE(i, 2, (dest & ~3) | (src & 3), 0);
    c.flags |= Flag.ZF;
  } else {
    c.flags &= ~Flag.ZF;
  }
}

// XCHG (86/87 with memory is implicitly locked; one CPU, so plain RMW), 90+r.
def(0x86, 'xchg', true, Imm.NONE, (c, i) => {
  const a = c.readE(i, 1);
  const b = c.getReg8(i.reg, i.rex);
  c.writeE(i, 1, b, 0);
  c.setReg8(i.reg, i.rex, a);
});
def(0x87, 'xchg', true, Imm.NONE, (c, i) => {
  const a = c.readE(i, i.osz); const aHi = c.hi;
  const b = c.readReg(i.reg, i.rex, i.osz); const bHi = c.hi;
  c.writeE(i, i.osz, b, bHi);
  c.writeReg(i.reg, i.rex, i.osz, a, aHi);
});
def(0x90, 'nop', false, Imm.NONE, (c, i) => {
  // PAUSE (F3 90) with several CPUs ends this CPU's turn when another CPU can run, as QEMU's helper_pause ("just
  // let another CPU run"): a spin-wait loop then never starves the CPU it waits for.
  if (i.rep !== 0 && c.cpuCount > 1 && c.otherCpuRunnable()) { c.yieldCpu = true; c.stopRequested = true; }
  if (i.rex & 1) { // XCHG r8, rAX
    const a = c.readReg(8, 0, i.osz); const aHi = c.hi;
    const b = c.readReg(0, 0, i.osz); const bHi = c.hi;
    c.writeReg(8, 0, i.osz, b, bHi);
    c.writeReg(0, 0, i.osz, a, aHi);
  }
});
for (let r = 1; r < 8; r++) {
  def(0x90 + r, 'xchg', false, Imm.NONE, (c, i) => {
    const reg = r | ((i.rex & 1) << 3);
    const a = c.readReg(reg, 0, i.osz); const aHi = c.hi;
    const b = c.readReg(0, 0, i.osz); const bHi = c.hi;
    c.writeReg(reg, 0, i.osz, b, bHi);
    c.writeReg(0, 0, i.osz, a, aHi);
  });
}

// CMOVcc: the destination is written (zero-extending a 32-bit register) even when the condition is false.
for (let cc = 0; cc < 16; cc++) {
  def(0x140 + cc, 'cmovcc', true, Imm.NONE, (c, i) => {
    const v = c.readE(i, i.osz); const vHi = c.hi;
    if (testCC(c, cc)) c.writeReg(i.reg, i.rex, i.osz, v, vHi);
    else if (i.osz === 4) c.r[2 * i.reg + 1] = 0;
  });
  def(0x190 + cc, 'setcc', true, Imm.NONE, (c, i) => c.writeE(i, 1, testCC(c, cc) ? 1 : 0, 0));
}

def(0x98, 'cbw', false, Imm.NONE, (c, i) => {
  if (i.osz === 2) c.setReg16(0, (c.r[0] << 24) >> 24);
  else if (i.osz === 4) c.setReg32(0, (c.r[0] << 16) >> 16);
  else c.setReg64(0, c.r[0], c.r[0] >> 31);
});
def(0x99, 'cwd', false, Imm.NONE, (c, i) => {
  if (i.osz === 2) c.setReg16(2, (c.r[0] << 16) >> 31);
  else if (i.osz === 4) c.setReg32(2, c.r[0] >> 31);
  else { const s = c.r[1] >> 31; c.setReg64(2, s, s); }
});
def(0x9f, 'lahf', false, Imm.NONE, (c) => {
  const f = getFlags(c) & 0xd5 | 2;
  c.r[0] = (c.r[0] & 0xffff00ff) | (f << 8);
});
def(0x9e, 'sahf', false, Imm.NONE, (c) => {
  const ah = (c.r[0] >>> 8) & 0xff;
  getFlags(c);
  c.flags = (c.flags & ~(ARITH_FLAGS & ~Flag.OF)) | (ah & (Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF));
});

// NOP r/m (0F 1F), prefetch hints (0F 18, 0F 0D), reserved-NOP space (0F 19-1E) executes as NOP.
const nop = (): void => {};
def(0x11f, 'nop', true, Imm.NONE, nop);
def(0x118, 'prefetch', true, Imm.NONE, nop);
def(0x10d, 'prefetchw', true, Imm.NONE, nop);
defRange(0x119, 6, 'nop', true, Imm.NONE, nop);
