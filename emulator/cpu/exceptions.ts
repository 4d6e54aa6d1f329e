import type { Cpu } from './cpu';
import { getFlags } from './flags';
import { raise } from './fault';
import { checkCodeDescriptor, commitCs, desc, readDescriptor, setSegment } from './segments';
import { Attr, Cr0, Flag, Seg, TWO32, TWO48 } from './state';
import { TaskSource, pushTaskErrorCode, taskSwitch } from './tasks';
import { hasErrorCode, vectorMnemonic } from './vectors';

// =====================================================================================================
// Escalation: THE one place that decides double and triple faults (SDM Vol. 3A §6.15, Table 6-4/6-5).
// =====================================================================================================

export const enum ExceptionClass { BENIGN = 0, CONTRIBUTORY = 1, PAGE_FAULT = 2, DOUBLE_FAULT = 3 }

/** SDM Table 6-4: #DE, #TS, #NP, #SS, #GP are contributory; #PF is its own class; #DF aborts. */
export function exceptionClass(vector: number): ExceptionClass {
  switch (vector) {
    case 0: case 10: case 11: case 12: case 13: return ExceptionClass.CONTRIBUTORY;
    case 14: return ExceptionClass.PAGE_FAULT;
    case 8: return ExceptionClass.DOUBLE_FAULT;
    default: return ExceptionClass.BENIGN;
  }
}

export function isContributory(vector: number): boolean {
  return exceptionClass(vector) === ExceptionClass.CONTRIBUTORY;
}

export type Escalation = 'serial' | 'double-fault' | 'triple-fault';

/**
 * A second exception was detected while delivering `first`: what the processor does (SDM Table 6-5).
 * - first benign (or an external interrupt / INT n): handle the second serially;
 * - contributory then contributory, or page fault then page fault/contributory: #DF (error code 0);
 * - any exception while delivering #DF: shutdown (triple fault), as QEMU and the SDM's #DF text say;
 * - everything else (contributory then #PF, page fault then benign): serially.
 */
export function escalate(first: number, second: number): Escalation {
  const a = exceptionClass(first);
  const b = exceptionClass(second);
  if (a === ExceptionClass.DOUBLE_FAULT) return 'triple-fault';
  if (a === ExceptionClass.CONTRIBUTORY && b === ExceptionClass.CONTRIBUTORY) return 'double-fault';
  if (a === ExceptionClass.PAGE_FAULT && (b === ExceptionClass.CONTRIBUTORY || b === ExceptionClass.PAGE_FAULT)) return 'double-fault';
  return 'serial';
}

// =====================================================================================================
// Delivery (SDM Vol. 3A §6.12 protected mode, §6.14 64-bit mode; real mode IVT for completeness).
// =====================================================================================================

export const enum EventKind {
  /** A processor-detected exception (fault or abort): EXT = 1 in selector error codes it causes. */
  EXCEPTION = 0,
  /** INT n / INT3 / INTO: the gate DPL is checked against CPL; EXT = 0. */
  SOFTWARE = 1,
  /** A hardware interrupt (PIC/APIC) or NMI: EXT = 1. */
  EXTERNAL = 2,
}

/** Where the last successful delivery pushed its frame (for the debugger's exception-frame markers). */
export const lastFrame = { rsp: 0, ist: 0, stackSwitched: false };

/**
 * Deliver `vector` through the IDT. On success CS:RIP is the handler, the frame is on the (possibly new)
 * stack and RFLAGS is updated. Any check that fails throws the GuestFault of the *second* exception
 * (with a reason naming the check); nothing in the register state has changed then, so the caller can
 * escalate with escalate() and deliver again. `errorCode` < 0 means none is pushed.
 */
export function deliver(c: Cpu, vector: number, errorCode: number, kind: EventKind): void {
  // An event ends a wait at an RDTSC (spin-wait.ts): the handler runs now, and the RDTSC it returns to reads at once.
  c.stallUntil = 0;
  c.spinStreak = 0;
  c.spinWait = 0;
  if (!(c.cr0 & Cr0.PE)) return deliverReal(c, vector);
  if (c.lma) return deliverLong(c, vector, errorCode, kind);
  return deliverProtected(c, vector, errorCode, kind);
}

function idtError(vector: number, ext: number): number {
  return vector * 8 + 2 + ext;
}

function deliverLong(c: Cpu, vector: number, errorCode: number, kind: EventKind): void {
  const ext = kind === EventKind.SOFTWARE ? 0 : 1;
  const name = vectorMnemonic(vector);
  if (vector * 16 + 15 > c.idtrLimit) {
    raise(13, idtError(vector, ext), `IDT limit 0x${c.idtrLimit.toString(16)} does not cover vector ${vector} (${name})`);
  }
  const la = c.addLinear(c.idtrBase, vector * 16);
  const w0 = c.sysRd(la, 4);
  const w1 = c.sysRd(c.addLinear(la, 4), 4);
  const w2 = c.sysRd(c.addLinear(la, 8), 4);
  // Type and S together (bits 12:8, as QEMU's do_interrupt64 masks 0x1f): a code/data descriptor whose type
  // happens to be 0xE/0xF is no gate. The dword at +12 is reserved and not checked (SDM Figure 6-8; QEMU
  // never reads it), unlike the upper half of a call gate.
  const type = (w1 >>> 8) & 0x1f;
  if (type !== 0xe && type !== 0xf) {
    const what = type & 0x10 ? 'a code/data descriptor' : `type 0x${type.toString(16)}`;
    raise(13, idtError(vector, ext), `IDT gate ${vector} (${name}) has ${what}, not a 64-bit interrupt or trap gate`);
  }
  const gateDpl = (w1 >>> 13) & 3;
  if (kind === EventKind.SOFTWARE && gateDpl < c.cpl) {
    raise(13, idtError(vector, 0), `IDT gate ${vector} has DPL ${gateDpl} < CPL ${c.cpl}: INT ${vector} not allowed here`);
  }
  if (!(w1 & 0x8000)) raise(11, idtError(vector, ext), `IDT gate ${vector} (${name}) is not present`);
  const selector = w0 >>> 16;
  const offLo = (w0 & 0xffff) | (w1 & 0xffff0000);
  const offHi = w2;
  const ist = w1 & 7;

  checkCodeDescriptor(c, selector, ext, `IDT gate ${vector} (${name})`);
  const sel = selector & 0xfffc;
  const csAttr = desc.attr;
  if (!(csAttr & Attr.L) || (csAttr & Attr.DB)) {
    raise(13, sel + ext, `IDT gate ${vector} (${name}): selector 0x${selector.toString(16)} is not a 64-bit code segment (L=1, D=0)`);
  }
  const csDpl = (csAttr >> Attr.DPL_SHIFT) & 3;
  if (csDpl > c.cpl) raise(13, sel + ext, `IDT gate ${vector}: handler CS DPL ${csDpl} > CPL ${c.cpl}`);
  if (!(csAttr & Attr.P)) raise(11, sel + ext, `IDT gate ${vector}: handler code segment 0x${selector.toString(16)} is not present`);
  if ((offHi << 16) >> 16 !== offHi) raise(13, ext, `IDT gate ${vector}: handler address is not canonical`);

  const conforming = (csAttr & Attr.DC) !== 0;
  const newCpl = conforming ? c.cpl : csDpl;
  const privilegeChange = newCpl !== c.cpl;
  let rspLo: number, rspHi: number;
  if (ist !== 0 || privilegeChange) {
    // Stack from the 64-bit TSS: RSPn at 4 + 8n, ISTn at 0x24 + 8(n-1) (SDM §7.7 Figure 7-11).
    const off = ist !== 0 ? 0x24 + (ist - 1) * 8 : 4 + newCpl * 8;
    const trSel = c.segSel[Seg.TR];
    if (!(c.segAttr[Seg.TR] & Attr.P) || (trSel & 0xfffc) === 0) {
      raise(10, (trSel & 0xfffc) + ext, `TR is not loaded, so the CPU cannot read ${ist ? `IST${ist}` : `RSP${newCpl}`} from a TSS`);
    }
    if (off + 7 > c.segLimit[Seg.TR]) {
      raise(10, (trSel & 0xfffc) + ext, `TSS limit 0x${c.segLimit[Seg.TR].toString(16)} does not cover ${ist ? `IST${ist}` : `RSP${newCpl}`}`);
    }
    const tla = c.addLinear(c.segBase[Seg.TR], off);
    rspLo = c.sysRd(tla, 4);
    rspHi = c.sysRd(c.addLinear(tla, 4), 4);
  } else {
    rspLo = c.r[8];
    rspHi = c.r[9];
  }
  // The new RSP is aligned to 16 bytes before anything is pushed (SDM §6.14.2).
  rspLo &= ~0xf;
  if ((rspHi << 16) >> 16 !== rspHi) raise(12, ext, `the stack for vector ${vector} (${ist ? `IST${ist}` : 'RSP'}) is not canonical`);
  let sp = rspHi * TWO32 + (rspLo >>> 0);

  // A fault's frame has RF = 1, so IRET back to the instruction does not re-trigger its instruction breakpoint (SDM §18.3.1.1).
  // Aborts (#DF, #MC) are not faults.
  const flags = getFlags(c) | (kind === EventKind.EXCEPTION && vector !== 8 && vector !== 18 ? c.faultRf : 0);
  const oldCs = c.segSel[Seg.CS];
  const oldSs = c.segSel[Seg.SS];
  const ripLo = c.ripHalves();
  const ripHi = c.hi;
  const push64 = (lo: number, hi: number): void => {
    sp -= 8;
    const a = sp < 0 ? sp + TWO48 : sp;
    c.sysWr(a, 4, lo);
    c.sysWr(c.addLinear(a, 4), 4, hi);
  };
  // Frame: SS, RSP, RFLAGS, CS, RIP, error code (always SS:RSP in 64-bit mode).
  push64(oldSs, 0);
  push64(c.r[8], c.r[9]);
  push64(flags, 0);
  push64(oldCs, 0);
  push64(ripLo, ripHi);
  if (errorCode >= 0) push64(errorCode, 0);

  // Commit.
  commitCs(c, selector, newCpl);
  if (privilegeChange) {
    // SS is loaded with a null selector whose RPL is the new CPL (SDM §6.14.4).
    setSegment(c, Seg.SS, newCpl, 0, 0xffffffff, (c.segAttr[Seg.SS] & ~(3 << Attr.DPL_SHIFT)) | (newCpl << Attr.DPL_SHIFT));
  }
  c.r[8] = sp | 0;
  c.r[9] = Math.floor(sp / TWO32) | 0;
  c.rip = (offHi & 0xffff) * TWO32 + (offLo >>> 0);
  let f = c.flags & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM);
  if (type === 0xe) f &= ~Flag.IF;
  c.flags = f;
  c.halted = false;
  lastFrame.rsp = sp < 0 ? sp + TWO48 : sp;
  lastFrame.ist = ist;
  lastFrame.stackSwitched = ist !== 0 || privilegeChange;
}

function deliverProtected(c: Cpu, vector: number, errorCode: number, kind: EventKind): void {
  const ext = kind === EventKind.SOFTWARE ? 0 : 1;
  const name = vectorMnemonic(vector);
  if (vector * 8 + 7 > c.idtrLimit) {
    raise(13, idtError(vector, ext), `IDT limit 0x${c.idtrLimit.toString(16)} does not cover vector ${vector} (${name})`);
  }
  const la = c.addLinear(c.idtrBase, vector * 8);
  const w0 = c.sysRd(la, 4);
  const w1 = c.sysRd(c.addLinear(la, 4), 4);
  const type = (w1 >>> 8) & 0x1f;
  const gate32 = type === 0xe || type === 0xf;
  const gate16 = type === 0x6 || type === 0x7;
  const taskGate = type === 0x5;
  if (!gate32 && !gate16 && !taskGate) raise(13, idtError(vector, ext), `IDT gate ${vector} (${name}) has type 0x${(type & 0xf).toString(16)}, not an interrupt or trap gate`);
  const gateDpl = (w1 >>> 13) & 3;
  if (kind === EventKind.SOFTWARE && gateDpl < c.cpl) raise(13, idtError(vector, 0), `IDT gate ${vector} has DPL ${gateDpl} < CPL ${c.cpl}`);
  if (!(w1 & 0x8000)) raise(11, idtError(vector, ext), `IDT gate ${vector} (${name}) is not present`);
  if (taskGate) {
    // A task gate: the handler is a whole task (SDM §6.12.2); the error code goes on the new task's stack.
    taskSwitch(c, w0 >>> 16, TaskSource.GATE, c.rip >>> 0, ext);
    if (errorCode >= 0) pushTaskErrorCode(c, errorCode);
    c.halted = false;
    lastFrame.rsp = (c.segBase[Seg.SS] + (c.segAttr[Seg.SS] & Attr.DB ? c.r[8] >>> 0 : c.r[8] & 0xffff)) % TWO32;
    lastFrame.ist = 0;
    lastFrame.stackSwitched = true;
    return;
  }
  const selector = w0 >>> 16;
  const offset = gate32 ? ((w0 & 0xffff) | (w1 & 0xffff0000)) >>> 0 : w0 & 0xffff;
  checkCodeDescriptor(c, selector, ext, `IDT gate ${vector} (${name})`);
  const sel = selector & 0xfffc;
  const csAttr = desc.attr;
  const csDpl = (csAttr >> Attr.DPL_SHIFT) & 3;
  if (csDpl > c.cpl) raise(13, sel + ext, `IDT gate ${vector}: handler CS DPL ${csDpl} > CPL ${c.cpl}`);
  if (!(csAttr & Attr.P)) raise(11, sel + ext, `IDT gate ${vector}: handler code segment is not present`);
  const csBase = desc.base, csLimit = desc.limit;
  if (offset > csLimit) raise(13, ext, `IDT gate ${vector}: handler offset beyond the CS limit`);
  const conforming = (csAttr & Attr.DC) !== 0;
  const newCpl = conforming ? c.cpl : csDpl;
  const size = gate32 ? 4 : 2;

  let ssSel = c.segSel[Seg.SS], ssBase = c.segBase[Seg.SS], ssLimit = c.segLimit[Seg.SS], ssAttr = c.segAttr[Seg.SS];
  let sp = c.segAttr[Seg.SS] & Attr.DB ? c.r[8] >>> 0 : c.r[8] & 0xffff;
  const privilegeChange = newCpl < c.cpl;
  if (privilegeChange) {
    // 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n.
    const trSel = c.segSel[Seg.TR];
    const tss32 = (c.segAttr[Seg.TR] & 0xf) === 0xb || (c.segAttr[Seg.TR] & 0xf) === 0x9;
    const off = tss32 ? 4 + newCpl * 8 : 2 + newCpl * 4;
    if ((trSel & 0xfffc) === 0 || off + (tss32 ? 5 : 3) > c.segLimit[Seg.TR]) raise(10, (trSel & 0xfffc) + ext, 'TSS does not hold the inner stack');
    const tla = c.addLinear(c.segBase[Seg.TR], off);
    const newSp = tss32 ? c.sysRd(tla, 4) >>> 0 : c.sysRd(tla, 2);
    const newSs = c.sysRd(c.addLinear(tla, tss32 ? 4 : 2), 2);
    const saved = { ...desc };
    if ((newSs & 0xfffc) === 0) raise(10, ext, 'TSS SS for the inner stack is null');
    checkStackDescriptor(c, newSs, newCpl, ext);
    ssSel = newSs; ssBase = desc.base; ssLimit = desc.limit; ssAttr = desc.attr;
    Object.assign(desc, saved);
    sp = ssAttr & Attr.DB ? newSp : newSp & 0xffff;
  }
  // A fault's frame has RF = 1, so IRET back to the instruction does not re-trigger its instruction breakpoint (SDM §18.3.1.1).
  // Aborts (#DF, #MC) are not faults.
  const flags = getFlags(c) | (kind === EventKind.EXCEPTION && vector !== 8 && vector !== 18 ? c.faultRf : 0);
  const values: number[] = [];
  if (privilegeChange) values.push(c.segSel[Seg.SS], c.r[8]);
  values.push(flags, c.segSel[Seg.CS], c.rip | 0);
  if (errorCode >= 0) values.push(errorCode);
  const spMask = ssAttr & Attr.DB ? 0xffffffff : 0xffff;
  for (const v of values) {
    sp = ((sp - size) & spMask) >>> 0;
    if ((ssAttr & (Attr.CODE | Attr.DC)) !== Attr.DC && sp + size - 1 > ssLimit) raise(12, privilegeChange ? (ssSel & 0xfffc) + ext : ext, 'stack overflow below the SS limit during delivery');
    c.sysWr((ssBase + sp) % TWO32, size, v);
  }
  commitCs(c, selector, newCpl);
  c.segBase[Seg.CS] = csBase;
  if (privilegeChange) setSegment(c, Seg.SS, (ssSel & 0xfffc) | newCpl, ssBase, ssLimit, ssAttr);
  if (ssAttr & Attr.DB) { c.r[8] = sp | 0; c.r[9] = 0; } else c.r[8] = (c.r[8] & 0xffff0000) | sp;
  c.rip = offset;
  let f = c.flags & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM);
  if ((type & 0xf) === 0xe || type === 0x6) f &= ~Flag.IF;
  c.flags = f;
  c.halted = false;
  lastFrame.rsp = (ssBase + sp) % TWO32;
  lastFrame.ist = 0;
  lastFrame.stackSwitched = privilegeChange;
}

function checkStackDescriptor(c: Cpu, selector: number, cpl: number, ext: number): void {
  const sel = selector & 0xfffc;
  if (!readDescriptor(c, selector)) raise(10, sel + ext, `inner stack selector 0x${selector.toString(16)} is beyond the GDT limit`);
  const a = desc.attr;
  if ((selector & 3) !== cpl || ((a >> Attr.DPL_SHIFT) & 3) !== cpl || !(a & Attr.S) || (a & Attr.CODE) || !(a & Attr.RW)) {
    raise(10, sel + ext, `inner stack selector 0x${selector.toString(16)} is not a writable data segment at DPL ${cpl}`);
  }
  if (!(a & Attr.P)) raise(12, sel + ext, `inner stack segment 0x${selector.toString(16)} is not present`);
}

/**
 * Real-address mode (SDM Vol. 3A §20.1.4, INT n "REAL-ADDRESS-MODE"): the IVT at IDTR.base holds 4-byte
 * IP:CS vectors; FLAGS, CS and IP are pushed as 16-bit words, no error code (exceptions that push one in
 * protected mode push none here), then IF, TF and AC are cleared. The IVT entry must lie within IDTR.limit
 * (else #GP). The pushes use SP, 16 bits wide whatever SS's cached B bit says (QEMU's do_interrupt_real:
 * big real mode's 32-bit SS does not widen them); a push beyond the SS limit raises #SS. Nothing changes
 * before every access has succeeded, so a failing delivery can be escalated like any other.
 */
function deliverReal(c: Cpu, vector: number): void {
  if (vector * 4 + 3 > c.idtrLimit) raise(13, vector * 8 + 2, `IVT limit 0x${c.idtrLimit.toString(16)} does not cover vector ${vector} (${vectorMnemonic(vector)})`);
  const entry = c.addLinear(c.idtrBase, vector * 4);
  const ip = c.sysRd(entry, 2);
  const cs = c.sysRd(c.addLinear(entry, 2), 2);
  const flags = getFlags(c) & 0xffff;
  const ssBase = c.segBase[Seg.SS], ssLimit = c.segLimit[Seg.SS];
  let sp = c.r[8] & 0xffff;
  for (const v of [flags, c.segSel[Seg.CS], c.rip & 0xffff]) {
    sp = (sp - 2) & 0xffff;
    if (sp + 1 > ssLimit) raise(12, 0, `stack offset 0x${sp.toString(16)} beyond the SS limit while delivering vector ${vector}`);
    c.sysWr((ssBase + sp) % TWO32, 2, v);
  }
  c.r[8] = (c.r[8] & 0xffff0000) | sp;
  c.segSel[Seg.CS] = cs;
  c.segBase[Seg.CS] = cs * 16;
  c.rip = ip;
  c.flags &= ~(Flag.IF | Flag.TF | Flag.AC | Flag.RF);
  c.halted = false;
  lastFrame.rsp = (ssBase + sp) % TWO32;
  lastFrame.ist = 0;
  lastFrame.stackSwitched = false;
}

/** Whether an exception pushes an error code (INT n never does). */
export function pushesErrorCode(vector: number, kind: EventKind): boolean {
  return kind === EventKind.EXCEPTION && hasErrorCode(vector);
}

