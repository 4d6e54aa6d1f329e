import type { Cpu } from './cpu';
import { aluOp, AluOp } from './alu';
import { getFlags } from './flags';
import { gp, ud } from './fault';
import { Imm, Insn } from './insn';
import { Access } from './paging';
import { Flag } from './state';
import { def } from './table';

/**
 * CMPXCHG (0F B0/B1), CMPXCHG8B/CMPXCHG16B (0F C7 /1), XADD (0F C0/C1). One CPU executes one instruction at
 * a time, so every read-modify-write is already atomic and LOCK needs no work; LOCK with a register
 * destination is #UD (SDM LOCK). The memory destination is always written (as hardware's locked cycle does),
 * so a read-only page faults even when the comparison fails.
 */

function noLockOnReg(i: Insn): void {
  if (i.lock && i.mod === 3) ud('LOCK prefix on a register destination');
}

function cmpxchg(byteForm: boolean) {
  return (c: Cpu, i: Insn): void => {
    noLockOnReg(i);
    const size = byteForm ? 1 : i.osz;
    const acc = c.readReg(0, 0, size), accHi = c.hi;
    const src = c.readReg(i.reg, i.rex, size), srcHi = c.hi;
    let la = 0, d: number, dHi: number;
    if (i.mod === 3) { d = c.readReg(i.rm, i.rex, size); dHi = c.hi; }
    else { la = c.memAddr(i, size, true); d = size === 8 ? c.rd64(la) : c.rd(la, size); dHi = c.hi; c.probeWrite(la, size); }
    aluOp(c, AluOp.CMP, size, acc, accHi, d, dHi);
    const m = size === 1 ? 0xff : size === 2 ? 0xffff : -1;
    const equal = ((acc ^ d) & m) === 0 && (size !== 8 || accHi === dHi);
    const wLo = equal ? src : d, wHi = equal ? srcHi : dHi;
    // A register destination is written only on success (hardware leaves it, upper half included, otherwise).
    if (i.mod === 3) { if (equal) c.writeReg(i.rm, i.rex, size, wLo, wHi); }
    else if (size === 8) c.wr64(la, wLo, wHi); else c.wr(la, size, wLo);
    // Not equal: the accumulator gets the destination (a 32-bit write zero-extends RAX); equal: RAX untouched.
    if (!equal) c.writeReg(0, 0, size, d, dHi);
  };
}
def(0x1b0, 'cmpxchg', true, Imm.NONE, cmpxchg(true));
def(0x1b1, 'cmpxchg', true, Imm.NONE, cmpxchg(false));

function xadd(byteForm: boolean) {
  return (c: Cpu, i: Insn): void => {
    noLockOnReg(i);
    const size = byteForm ? 1 : i.osz;
    const src = c.readReg(i.reg, i.rex, size), srcHi = c.hi;
    if (i.mod === 3) {
      const d = c.readReg(i.rm, i.rex, size), dHi = c.hi;
      const s = aluOp(c, AluOp.ADD, size, d, dHi, src, srcHi), sHi = c.hi;
      c.writeReg(i.reg, i.rex, size, d, dHi);
      c.writeReg(i.rm, i.rex, size, s, sHi);
      return;
    }
    const la = c.memAddr(i, size, true);
    const d = size === 8 ? c.rd64(la) : c.rd(la, size), dHi = c.hi;
    c.probeWrite(la, size);
    const s = aluOp(c, AluOp.ADD, size, d, dHi, src, srcHi), sHi = c.hi;
    if (size === 8) c.wr64(la, s, sHi); else c.wr(la, size, s);
    c.writeReg(i.reg, i.rex, size, d, dHi);
  };
}
def(0x1c0, 'xadd', true, Imm.NONE, xadd(true));
def(0x1c1, 'xadd', true, Imm.NONE, xadd(false));

/** CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W): compare rDX:rAX with memory; ZF reports equality. */
function cmpxchg8b(c: Cpu, i: Insn): void {
  const r = c.r;
  if (i.rex & 8) {
    const la = c.memAddr(i, 16, true);
    if (la & 15) gp(0, 'CMPXCHG16B on a memory operand that is not 16-byte aligned');
    c.translate(c.addLinear(la, 15), Access.WRITE, c.cpl === 3);
    const la2 = c.addLinear(la, 8);
    const m0 = c.rd64(la), m1 = c.hi, m2 = c.rd64(la2), m3 = c.hi;
    const equal = m0 === r[0] && m1 === r[1] && m2 === r[4] && m3 === r[5];
    if (equal) { c.wr64(la, r[6], r[7]); c.wr64(la2, r[2], r[3]); }
    else { c.wr64(la, m0, m1); c.wr64(la2, m2, m3); c.setReg64(0, m0, m1); c.setReg64(2, m2, m3); }
    getFlags(c);
    c.flags = equal ? c.flags | Flag.ZF : c.flags & ~Flag.ZF;
    return;
  }
  const la = c.memAddr(i, 8, true);
  const lo = c.rd64(la), hi = c.hi;
  const equal = lo === r[0] && hi === r[4];
  if (equal) c.wr64(la, r[6], r[2]);
  else { c.wr64(la, lo, hi); c.setReg32(0, lo); c.setReg32(2, hi); }
  getFlags(c);
  c.flags = equal ? c.flags | Flag.ZF : c.flags & ~Flag.ZF;
}

/** Group 9 (0F C7): /1 CMPXCHG8B/16B; RDRAND/RDSEED/RDPID and the XSAVES family are not advertised → #UD. */
def(0x1c7, 'grp9', true, Imm.NONE, (c, i) => {
  if ((i.reg & 7) !== 1 || i.mod === 3) ud();
  cmpxchg8b(c, i);
});
