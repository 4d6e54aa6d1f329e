import { notNeg, rmw, Unary } from './alu';
import type { Cpu } from './cpu';
import { getFlags, testCC } from './flags';
import { gp, raise, ud } from './fault';
import { Imm, Insn } from './insn';
import { mulDiv } from './muldiv';
import { checkCodeDescriptor, commitCs, desc, describeSystemType, loadDataSegment, readDescriptor, setSegment, upperHalfType } from './segments';
import { TaskSource, taskReturn, taskSwitch } from './tasks';
import { pushRm, writeFlags } from './stack';
import { Attr, Cr0, Flag, Seg, TWO32 } from './state';
import { def } from './table';

/**
 * Control transfer: Jcc, JMP/CALL/RET near and far, LOOP/JrCXZ, INT n/INT3/INTO, IRET/IRETD/IRETQ, and the
 * FE/FF and F6/F7 groups' dispatch. Near branches use 64-bit operands in 64-bit mode (Intel ignores 66 there).
 */

for (let cc = 0; cc < 16; cc++) {
  const jcc = (c: Cpu, i: Insn): void => { if (testCC(c, cc)) c.relTarget(i.imm, i.osz); };
  def(0x70 + cc, 'jcc', false, Imm.IB, jcc, { f64: true, endsBlock: true });
  def(0x180 + cc, 'jcc', false, Imm.IZ, jcc, { f64: true, endsBlock: true });
}
def(0xeb, 'jmp', false, Imm.IB, (c, i) => c.relTarget(i.imm, i.osz), { f64: true, endsBlock: true });
def(0xe9, 'jmp', false, Imm.IZ, (c, i) => c.relTarget(i.imm, i.osz), { f64: true, endsBlock: true });
def(0xe8, 'call', false, Imm.IZ, (c, i) => {
  const lo = c.ripHalves();
  c.push(i.osz, lo, c.hi);
  c.relTarget(i.imm, i.osz);
}, { f64: true, endsBlock: true });

function ret(c: Cpu, i: Insn, extra: number): void {
  const lo = c.peek(0, i.osz);
  const hi = c.hi;
  c.jumpNear(lo, hi, i.osz);
  c.adjustSp(i.osz + extra);
}
def(0xc3, 'ret', false, Imm.NONE, (c, i) => ret(c, i, 0), { f64: true, endsBlock: true });
def(0xc2, 'ret', false, Imm.IW, (c, i) => ret(c, i, i.imm), { f64: true, endsBlock: true });

/** The count register of LOOP/JrCXZ by address size. */
function counter(c: Cpu, asz: number): number {
  return asz === 8 ? (c.r[2] | c.r[3]) : asz === 4 ? c.r[2] : c.r[2] & 0xffff;
}
function decCounter(c: Cpu, asz: number): boolean {
  if (asz === 8) {
    const lo = (c.r[2] - 1) | 0;
    if (c.r[2] === 0) c.r[3] = (c.r[3] - 1) | 0;
    c.r[2] = lo;
    return (lo | c.r[3]) !== 0;
  }
  if (asz === 4) { c.r[2] = (c.r[2] - 1) | 0; c.r[3] = 0; return c.r[2] !== 0; }
  c.r[2] = (c.r[2] & 0xffff0000) | ((c.r[2] - 1) & 0xffff);
  return (c.r[2] & 0xffff) !== 0;
}
def(0xe2, 'loop', false, Imm.IB, (c, i) => { if (decCounter(c, i.asz)) c.relTarget(i.imm, i.osz); }, { f64: true, endsBlock: true });
def(0xe1, 'loope', false, Imm.IB, (c, i) => { const nz = decCounter(c, i.asz); if (nz && testCC(c, 4)) c.relTarget(i.imm, i.osz); }, { f64: true, endsBlock: true });
def(0xe0, 'loopne', false, Imm.IB, (c, i) => { const nz = decCounter(c, i.asz); if (nz && !testCC(c, 4)) c.relTarget(i.imm, i.osz); }, { f64: true, endsBlock: true });
def(0xe3, 'jrcxz', false, Imm.IB, (c, i) => { if (counter(c, i.asz) === 0) c.relTarget(i.imm, i.osz); }, { f64: true, endsBlock: true });

// ------------------------------------------------------------------------------------- far transfers
/**
 * Far JMP/CALL to a code segment (SDM Vol. 2 JMP/CALL, far forms): conforming code needs DPL ≤ CPL,
 * non-conforming needs RPL ≤ CPL and DPL = CPL; call gates are followed (64-bit mode: 16-byte gates).
 */
function farTransfer(c: Cpu, selector: number, offLo: number, offHi: number, size: number, isCall: boolean): void {
  if (!(c.cr0 & Cr0.PE) || (c.flags & Flag.VM)) {
    if (isCall) {
      c.push(size, c.segSel[Seg.CS], 0);
      c.push(size, c.rip, 0);
    }
    c.segSel[Seg.CS] = selector & 0xffff;
    c.segBase[Seg.CS] = (selector & 0xffff) * 16;
    c.rip = size === 2 ? offLo & 0xffff : offLo >>> 0;
    return;
  }
  const sel = selector & 0xfffc;
  if (sel === 0) gp(0, 'far transfer to a null selector');
  if (!readDescriptor(c, selector)) gp(sel, `far transfer: selector 0x${selector.toString(16)} is beyond the descriptor table limit`);
  let attr = desc.attr;
  if (!(attr & Attr.S)) {
    const type = attr & 0xf;
    if (!c.lma && (type === 0x1 || type === 0x3 || type === 0x9 || type === 0xb || type === 0x5)) {
      // To a TSS or through a task gate: a task switch (SDM §7.3; JMP/CALL far, Vol. 2).
      const dpl = (attr >> Attr.DPL_SHIFT) & 3;
      if (dpl < c.cpl || dpl < (selector & 3)) gp(sel, `far ${isCall ? 'call' : 'jump'} to ${type === 0x5 ? 'task gate' : 'TSS'} 0x${selector.toString(16)}: DPL ${dpl} below CPL ${c.cpl} or RPL ${selector & 3}`);
      let tss = selector;
      if (type === 0x5) {
        if (!(attr & Attr.P)) raise(11, sel, `task gate 0x${selector.toString(16)} is not present`);
        tss = desc.lo >>> 16;
      }
      taskSwitch(c, tss, isCall ? TaskSource.CALL : TaskSource.JMP, c.rip >>> 0, 0);
      return;
    }
    // Call gates: 386 (type C) and, outside IA-32e mode, 286 16-bit gates (type 4: IP and CS pushed as words).
    if (type !== 0xc && (type !== 0x4 || c.lma)) gp(sel, `far transfer to ${describeSystemType(type)}${c.lma ? ' in IA-32e mode' : ''}`);
    // Call gate: the target selector and offset come from the gate.
    const gateDpl = (attr >> Attr.DPL_SHIFT) & 3;
    if (gateDpl < c.cpl || gateDpl < (selector & 3)) gp(sel, 'call gate DPL below CPL/RPL');
    if (!(attr & Attr.P)) raise(11, sel, 'call gate not present');
    const gLo = desc.lo, gHi = desc.hi;
    let target: number, tHi = 0;
    if (c.lma) {
      // The 16-byte gate (SDM §5.8.3.1 Figure 5-9): offset 63:32 at +8, and bits 12:8 at +12 must be 0
      // (SDM CALL/JMP: "type field of the upper 64 bits of a 64-bit call gate is not 0" → #GP(gate selector)).
      if (!readDescriptor(c, selector, true)) gp(sel, `far transfer: the upper half of the 16-byte call gate 0x${selector.toString(16)} is beyond the descriptor table limit`);
      const upper = upperHalfType();
      if (upper !== 0) gp(sel, `far transfer: the upper half of the 16-byte call gate 0x${selector.toString(16)} has bits 12:8 = 0x${upper.toString(16)} at +12; they must be 0 (SDM Figure 5-9)`);
      target = (gLo & 0xffff) | (gHi & 0xffff0000);
      tHi = desc.hi2;
    } else target = type === 0x4 ? gLo & 0xffff : ((gLo & 0xffff) | (gHi & 0xffff0000)) >>> 0;
    const tsel = gLo >>> 16;
    checkCodeDescriptor(c, tsel, 0, 'call gate target');
    attr = desc.attr;
    const dpl = (attr >> Attr.DPL_SHIFT) & 3;
    // JMP may not change privilege at all; CALL may go inward (SDM JMP/CALL far, "call gate" branches).
    const conformingTarget = (attr & Attr.DC) !== 0;
    if (dpl > c.cpl || (!isCall && !conformingTarget && dpl !== c.cpl)) gp(tsel & 0xfffc, `call gate target 0x${tsel.toString(16)}: DPL ${dpl} not allowed from CPL ${c.cpl}`);
    if (c.lma && (!(attr & Attr.L) || (attr & Attr.DB))) gp(tsel & 0xfffc, `call gate target 0x${tsel.toString(16)} is not a 64-bit code segment (L=1, D=0), as IA-32e mode requires`);
    if (!(attr & Attr.P)) raise(11, tsel & 0xfffc, 'call gate target not present');
    if (dpl < c.cpl && isCall && !conformingTarget) gp(tsel & 0xfffc, 'calls through a gate to an inner privilege level are not emulated');
    const gsize = c.lma ? 8 : (gHi >>> 8) & 8 ? 4 : 2;
    if (isCall) {
      const lo = c.ripHalves(); const hi = c.hi;
      c.push(gsize, c.segSel[Seg.CS], 0);
      c.push(gsize, lo, hi);
    }
    commitCs(c, tsel, c.cpl);
    if (c.long) c.jumpTo64(target, tHi); else c.rip = target >>> 0;
    return;
  }
  if (!(attr & Attr.CODE)) gp(sel, `far transfer: selector 0x${selector.toString(16)} is a data segment`);
  const dpl = (attr >> Attr.DPL_SHIFT) & 3;
  const conforming = (attr & Attr.DC) !== 0;
  if (conforming ? dpl > c.cpl : ((selector & 3) > c.cpl || dpl !== c.cpl)) gp(sel, `far transfer: privilege check failed for selector 0x${selector.toString(16)}`);
  if (!(attr & Attr.P)) raise(11, sel, `far transfer: code segment 0x${selector.toString(16)} is not present`);
  const toLong = c.lma && (attr & Attr.L) !== 0;
  if (!toLong && offLo >>> 0 > desc.limit) gp(0, 'far transfer: offset beyond the segment limit');
  if (isCall) {
    const lo = c.ripHalves(); const hi = c.hi;
    c.push(size, c.segSel[Seg.CS], 0);
    c.push(size, lo, hi);
  }
  commitCs(c, selector, c.cpl);
  if (toLong) c.jumpTo64(offLo, offHi); else c.rip = size === 2 ? offLo & 0xffff : offLo >>> 0;
}

def(0xea, 'jmp far', false, Imm.PTR, (c, i) => farTransfer(c, i.imm2, i.imm, 0, i.osz, false), { i64: true, endsBlock: true });
def(0x9a, 'call far', false, Imm.PTR, (c, i) => farTransfer(c, i.imm2, i.imm, 0, i.osz, true), { i64: true, endsBlock: true });

/** Read m16:16/32/64 for FF /3 and /5. */
function farPointer(c: Cpu, i: Insn): [number, number, number] {
  if (i.mod === 3) ud('far JMP/CALL needs a memory operand');
  const la = c.memAddr(i, i.osz + 2, false);
  const lo = i.osz === 8 ? c.rd64(la) : c.rd(la, i.osz);
  const hi = i.osz === 8 ? c.hi : 0;
  const sel = c.rd(c.addLinear(la, i.osz), 2);
  return [sel, lo, hi];
}

/** RETF: pop RIP and CS (and SS:RSP when returning to an outer level). */
function retFar(c: Cpu, i: Insn, extra: number): void {
  const size = i.osz;
  const lo = c.peek(0, size); const hi = c.hi;
  const selector = c.peek(size, size) & 0xffff;
  if (!(c.cr0 & Cr0.PE) || (c.flags & Flag.VM)) {
    c.adjustSp(2 * size + extra);
    c.segSel[Seg.CS] = selector;
    c.segBase[Seg.CS] = selector * 16;
    c.rip = size === 2 ? lo & 0xffff : lo >>> 0;
    return;
  }
  const rpl = selector & 3;
  if (rpl < c.cpl) gp(selector & 0xfffc, 'RETF to an inner privilege level');
  checkCodeDescriptor(c, selector, 0, 'RETF');
  const attr = desc.attr;
  const dpl = (attr >> Attr.DPL_SHIFT) & 3;
  if ((attr & Attr.DC) ? dpl > rpl : dpl !== rpl) gp(selector & 0xfffc, 'RETF: code segment DPL does not match RPL');
  if (!(attr & Attr.P)) raise(11, selector & 0xfffc, 'RETF: code segment not present');
  const csDesc = { ...desc };
  if (rpl > c.cpl) {
    const spLo = c.peek(2 * size + extra, size); const spHi = c.hi;
    const ssSel = c.peek(3 * size + extra, size) & 0xffff;
    Object.assign(desc, csDesc);
    commitCs(c, selector, rpl);
    loadOuterStack(c, ssSel, spLo, spHi, size);
  } else {
    c.adjustSp(2 * size + extra);
    Object.assign(desc, csDesc);
    commitCs(c, selector, c.cpl);
  }
  if (c.long) c.jumpTo64(lo, size === 8 ? hi : 0); else c.rip = size === 2 ? lo & 0xffff : lo >>> 0;
}

function loadOuterStack(c: Cpu, ssSel: number, spLo: number, spHi: number, size: number): void {
  if ((ssSel & 0xfffc) === 0 && c.long && c.cpl !== 3) {
    setSegment(c, Seg.SS, ssSel, 0, 0xffffffff, (c.segAttr[Seg.SS] & ~(3 << Attr.DPL_SHIFT)) | (c.cpl << Attr.DPL_SHIFT));
  } else {
    loadDataSegment(c, Seg.SS, ssSel);
  }
  if (size === 8) { c.r[8] = spLo; c.r[9] = spHi; }
  else if (size === 4 || c.long) { c.r[8] = spLo; c.r[9] = 0; }
  else c.r[8] = (c.r[8] & 0xffff0000) | (spLo & 0xffff);
  // Data segments the new CPL may not use become null (SDM RET: "for each of ES, FS, GS, DS").
  for (const s of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
    const a = c.segAttr[s];
    const dpl = (a >> Attr.DPL_SHIFT) & 3;
    const conformingCode = (a & (Attr.CODE | Attr.DC)) === (Attr.CODE | Attr.DC);
    if ((a & Attr.S) && !conformingCode && dpl < c.cpl) { c.segSel[s] = 0; c.segAttr[s] = 0; }
  }
}

def(0xcb, 'retf', false, Imm.NONE, (c, i) => retFar(c, i, 0), { endsBlock: true });
def(0xca, 'retf', false, Imm.IW, (c, i) => retFar(c, i, i.imm), { endsBlock: true });

/**
 * IRET/IRETD/IRETQ (SDM Vol. 2 IRET): pops RIP, CS, RFLAGS, and in 64-bit mode always RSP and SS (in
 * protected mode only when returning to an outer level). Unblocks NMIs.
 */
function iret(c: Cpu, i: Insn): void {
  const size = i.osz;
  if (!(c.cr0 & Cr0.PE)) {
    // Real-address mode (SDM IRET): IP, CS, FLAGS popped at the operand size; a 32-bit IRET keeps VM, VIF and
    // VIP (EFLAGS ← tempEFLAGS AND 257FD5H OR EFLAGS AND 1A0000H) and must not return beyond CS's limit. The
    // pops use SP, 16 bits wide like the real-mode delivery that pushed the frame (exceptions.ts deliverReal).
    const sp = c.r[8] & 0xffff;
    const at = (k: number): number => c.lin(Seg.SS, (sp + k * size) & 0xffff, size, false);
    const ip = c.rd(at(0), size); const cs = c.rd(at(1), size) & 0xffff; const fl = c.rd(at(2), size);
    const target = size === 2 ? ip & 0xffff : ip >>> 0;
    if (target > c.segLimit[Seg.CS]) gp(0, `IRET to IP 0x${target.toString(16)} beyond the CS limit`);
    c.r[8] = (c.r[8] & 0xffff0000) | ((sp + 3 * size) & 0xffff);
    c.segSel[Seg.CS] = cs; c.segBase[Seg.CS] = cs * 16; c.rip = target;
    writeFlags(c, fl, size, 0);
    iretRf(c, fl, size);
    c.nmiBlocked = false;
    return;
  }
  if (c.flags & Flag.NT) {
    if (c.lma) gp(0, 'IRET with EFLAGS.NT=1 in IA-32e mode (no task return there)');
    if (!(c.flags & Flag.VM)) {
      taskReturn(c);
      c.nmiBlocked = false;
      return;
    }
  }
  const ripLo = c.peek(0, size); const ripHi = c.hi;
  const selector = c.peek(size, size) & 0xffff;
  const fl = c.peek(2 * size, size);
  const rpl = selector & 3;
  if (rpl < c.cpl) gp(selector & 0xfffc, `IRET to CS 0x${selector.toString(16)}: RPL ${rpl} below CPL ${c.cpl}`);
  checkCodeDescriptor(c, selector, 0, 'IRET');
  const attr = desc.attr;
  const dpl = (attr >> Attr.DPL_SHIFT) & 3;
  if ((attr & Attr.DC) ? dpl > rpl : dpl !== rpl) gp(selector & 0xfffc, `IRET: CS 0x${selector.toString(16)} DPL ${dpl} does not match RPL ${rpl}`);
  if (!(attr & Attr.P)) raise(11, selector & 0xfffc, `IRET: CS 0x${selector.toString(16)} not present`);
  const toLong = c.lma && (attr & Attr.L) !== 0;
  const csDesc = { ...desc };
  const popStack = c.long || rpl > c.cpl;
  const oldCpl = c.cpl;
  let spLo = 0, spHi = 0, ssSel = 0;
  if (popStack) {
    spLo = c.peek(3 * size, size); spHi = c.hi;
    ssSel = c.peek(4 * size, size) & 0xffff;
  }
  if (toLong) {
    if ((ripHi << 16) >> 16 !== (size === 8 ? ripHi : 0) && size === 8) gp(0, 'IRET to a non-canonical RIP');
  }
  Object.assign(desc, csDesc);
  commitCs(c, selector, rpl);
  if (popStack) {
    loadOuterStack(c, ssSel, spLo, size === 8 ? spHi : 0, size);
  } else {
    c.adjustSp(3 * size);
  }
  if (toLong) c.jumpTo64(ripLo, size === 8 ? ripHi : 0);
  else c.rip = size === 2 ? ripLo & 0xffff : ripLo >>> 0;
  writeFlags(c, fl, size, oldCpl);
  iretRf(c, fl, size);
  c.nmiBlocked = false;
}

/** Unlike POPF, IRETD/IRETQ load RF from the stack (SDM Vol. 2 IRET): a #DB handler sets it to resume past an instruction breakpoint. */
function iretRf(c: Cpu, fl: number, size: number): void {
  if (size >= 4) c.flags = (c.flags & ~Flag.RF) | (fl & Flag.RF);
}
def(0xcf, 'iret', false, Imm.NONE, iret, { endsBlock: true });

// Software interrupts are traps: RIP already points after the instruction when the frame is pushed.
def(0xcc, 'int3', false, Imm.NONE, (c) => c.softwareInterrupt(3), { endsBlock: true });
def(0xcd, 'int', false, Imm.IB, (c, i) => c.softwareInterrupt(i.imm & 0xff), { endsBlock: true });
def(0xce, 'into', false, Imm.NONE, (c) => { if (getFlags(c) & Flag.OF) c.softwareInterrupt(4); }, { i64: true, endsBlock: true });
/**
 * BOUND r16/32, m16&16/m32&32 (62, not in 64-bit mode where 62 is EVEX): #BR (vector 5, a fault) when the
 * signed index lies outside [lower, upper] read from memory (SDM BOUND). A register operand is #UD.
 */
def(0x62, 'bound', true, Imm.NONE, (c, i) => {
  if (i.mod === 3) ud('BOUND with a register operand');
  const size = i.osz === 2 ? 2 : 4;
  const la = c.memAddr(i, 2 * size, false);
  const shift = 32 - 8 * size;
  const lower = (c.rd(la, size) << shift) >> shift;
  const upper = (c.rd(c.addLinear(la, size), size) << shift) >> shift;
  const index = (c.r[2 * i.reg] << shift) >> shift;
  if (index < lower || index > upper) raise(5, -1, `BOUND: index ${index} outside [${lower}, ${upper}]`);
}, { i64: true });

def(0xf1, 'int1', false, Imm.NONE, (c) => { c.faultIsTrap = true; raise(1, -1, 'INT1 (ICEBP)'); }, { endsBlock: true });

// FE group: INC/DEC r/m8.
def(0xfe, 'grp4', true, Imm.NONE, (c, i) => {
  const op = i.reg & 7;
  if (op > 1) ud();
  rmw(c, i, 1, op === 1 ? Unary.DEC : Unary.INC);
});

// FF group: INC, DEC, CALL near, CALL far, JMP near, JMP far, PUSH.
def(0xff, 'grp5', true, Imm.NONE, (c, i) => {
  const op = i.reg & 7;
  switch (op) {
    case 0: case 1: rmw(c, i, i.osz, op === 1 ? Unary.DEC : Unary.INC); return;
    case 2: case 4: {
      // Near indirect: 64-bit operand in 64-bit mode.
      const size = c.long ? 8 : i.osz;
      const lo = c.readE(i, size); const hi = c.hi;
      if (op === 2) { const r = c.ripHalves(); c.push(size, r, c.hi); }
      c.jumpNear(lo, hi, size);
      return;
    }
    case 3: case 5: {
      const [sel, lo, hi] = farPointer(c, i);
      farTransfer(c, sel, lo, hi, i.osz, op === 3);
      return;
    }
    case 6: {
      const size = c.long ? (i.osz === 2 ? 2 : 8) : i.osz;
      const v = c.readE(i, size);
      c.push(size, v, c.hi);
      return;
    }
    default: ud();
  }
}, { endsBlock: true });
void pushRm;

// F6/F7 group 3: TEST, NOT, NEG, MUL, IMUL, DIV, IDIV.
function group3(byteForm: boolean) {
  return (c: Cpu, i: Insn): void => {
    const size = byteForm ? 1 : i.osz;
    const op = i.reg & 7;
    switch (op) {
      case 0: case 1: {
        const a = c.readE(i, size);
        const aHi = c.hi;
        c.lfOp = 5; // LF.LOGIC
        c.lfSize = size;
        c.lfRes = a & i.imm;
        c.lfResHi = aHi & i.immHi;
        c.lfA = c.lfB = c.lfAHi = c.lfBHi = 0;
        return;
      }
      case 2: notNeg(c, i, size, false); return;
      case 3: notNeg(c, i, size, true); return;
      default: mulDiv(c, i, size, op);
    }
  };
}
def(0xf6, 'grp3', true, Imm.NONE, group3(true));
def(0xf7, 'grp3', true, Imm.NONE, group3(false));

export { TWO32 };
