import type { Cpu } from './cpu';
import { getFlags } from './flags';
import { gp, raise } from './fault';
import { desc, readDescriptor, setSegment } from './segments';
import { Attr, Cr0, Flag, Seg } from './state';
import { writeCr3 } from './system';
import { debugRegsChanged } from './debug';

/**
 * Hardware task switching (SDM Vol. 3A §7.3, protected mode only): JMP/CALL far to a TSS descriptor or a
 * task gate, an interrupt or exception through a task gate in the IDT, and IRET with EFLAGS.NT = 1. The
 * classic use is a 32-bit kernel's #DF handler in a task of its own, so that it runs on a fresh stack after
 * a kernel stack overflow. The checks, their order and error codes follow the SDM's Table 7-1 and QEMU's
 * switch_tss. Faults before the commit point leave the old task untouched; faults while loading the new
 * task's LDT and segments happen in the new task (TR, registers and EIP already switched), as on hardware.
 */

export const enum TaskSource {
  JMP = 0,
  CALL = 1,
  IRET = 2,
  /** An interrupt or exception through a task gate: like CALL (back link, NT, old task stays busy). */
  GATE = 3,
}

/** Field offsets of the 32-bit TSS (Figure 7-2) and the 16-bit TSS (Figure 7-11's predecessor, §7.6). */
const TSS32 = { ip: 0x20, flags: 0x24, regs: 0x28, segs: 0x48, ldt: 0x60, min: 0x67, width: 4 };
const TSS16 = { ip: 0x0e, flags: 0x10, regs: 0x12, segs: 0x22, ldt: 0x2a, min: 0x2b, width: 2 };
/** Segment registers in TSS order: ES, CS, SS, DS, FS, GS (32-bit TSS; the 16-bit one stops at DS). */
const SEG_ORDER = [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS];
const BUSY = 0x200;

/**
 * Switch to the task whose TSS descriptor `tssSelector` names. `returnEip` is saved as the old task's EIP
 * (the next instruction for JMP/CALL/IRET, the faulting one for a fault). `ext` is the EXT bit for error codes.
 */
export function taskSwitch(c: Cpu, tssSelector: number, source: TaskSource, returnEip: number, ext: number): void {
  const sel = tssSelector & 0xfffc;
  const what = `task switch to TSS 0x${tssSelector.toString(16)}`;
  // The new TSS descriptor: in the GDT, an available TSS (busy for IRET), present, large enough.
  if (tssSelector & 4) {
    if (source === TaskSource.IRET) raise(10, sel + ext, `${what}: the back link points into the LDT`);
    gp(sel + ext, `${what}: the selector points into the LDT`);
  }
  if (!readDescriptor(c, tssSelector)) {
    if (source === TaskSource.IRET) raise(10, sel + ext, `${what}: the back link is beyond the GDT limit`);
    gp(sel + ext, `${what}: the selector is beyond the GDT limit 0x${c.gdtrLimit.toString(16)}`);
  }
  const type = desc.attr & (Attr.S | 0xf);
  const busy = (type & 2) !== 0;
  if ((type & 0x15) !== 0x1 || busy !== (source === TaskSource.IRET)) {
    if (source === TaskSource.IRET) raise(10, sel + ext, `${what}: the back link does not name a busy TSS (the task IRET returns to)`);
    if ((type & 0x15) === 0x1) {
      gp(sel + ext, `${what}: that TSS is busy (the running task or one it is nested in; a task cannot be re-entered)`);
    }
    gp(sel + ext, `${what}: the descriptor is not an available TSS (type 0x${(desc.attr & 0xf).toString(16)}${desc.attr & Attr.S ? ', a code/data segment' : ''})`);
  }
  if (!(desc.attr & Attr.P)) raise(11, sel + ext, `${what}: the TSS descriptor is not present`);
  const layout = type & 8 ? TSS32 : TSS16;
  if (desc.limit < layout.min) {
    raise(10, sel + ext, `${what}: the TSS limit 0x${desc.limit.toString(16)} is below 0x${layout.min.toString(16)}, the size of a ${type & 8 ? 32 : 16}-bit TSS`);
  }
  const newBase = desc.base, newLimit = desc.limit, newAttr = desc.attr;
  const w = layout.width;

  // Read the whole new task state before anything changes (a #PF here leaves the old task as it was).
  const rd = (off: number, size: number) => c.sysRd(c.addLinear(newBase, off), size) >>> 0;
  const newCr3 = layout === TSS32 ? rd(0x1c, 4) : 0;
  const newEip = rd(layout.ip, w);
  let newFlags = rd(layout.flags, w);
  const newRegs: number[] = [];
  for (let r = 0; r < 8; r++) newRegs.push(rd(layout.regs + r * w, w));
  const nSegs = layout === TSS32 ? 6 : 4;
  const newSegs: number[] = [];
  for (let s = 0; s < nSegs; s++) newSegs.push(rd(layout.segs + s * w, 2));
  const newLdt = rd(layout.ldt, 2);

  // The old task: JMP and IRET make it available again; its state goes into its TSS.
  const oldSel = c.segSel[Seg.TR];
  const oldBase = c.segBase[Seg.TR];
  const old = (c.segAttr[Seg.TR] & 8) ? TSS32 : TSS16;
  if (source === TaskSource.JMP || source === TaskSource.IRET) setBusy(c, oldSel, false);
  let oldFlags = getFlags(c);
  if (source === TaskSource.IRET) oldFlags &= ~Flag.NT;
  const wr = (off: number, size: number, v: number) => c.sysWr(c.addLinear(oldBase, off), size, v);
  const ow = old.width;
  wr(old.ip, ow, returnEip);
  wr(old.flags, ow, oldFlags);
  for (let r = 0; r < 8; r++) wr(old.regs + r * ow, ow, c.r[2 * r]);
  for (let s = 0; s < (old === TSS32 ? 6 : 4); s++) wr(old.segs + s * ow, 2, c.segSel[SEG_ORDER[s]]);

  // Nesting: CALL and task gates link the new task back to the old one.
  if (source === TaskSource.CALL || source === TaskSource.GATE) {
    c.sysWr(newBase, 2, oldSel);
    newFlags |= Flag.NT;
  }
  if (source !== TaskSource.IRET) setBusy(c, tssSelector, true);

  // Commit: from here on, faults belong to the new task.
  c.cr0 |= Cr0.TS;
  setSegment(c, Seg.TR, tssSelector, newBase, newLimit, newAttr | 0x2);
  if (layout === TSS32 && (c.cr0 & Cr0.PG)) writeCr3(c, newCr3, 0);
  c.rip = newEip;
  getFlags(c);
  const flagsMask = layout === TSS32 ? 0x3f7fd7 : 0x7fd7;
  c.flags = (c.flags & ~flagsMask) | (newFlags & flagsMask) | Flag.FIXED1;
  for (let r = 0; r < 8; r++) {
    if (w === 4) { c.r[2 * r] = newRegs[r] | 0; c.r[2 * r + 1] = 0; } else c.r[2 * r] = (c.r[2 * r] & 0xffff0000) | newRegs[r];
  }
  const vm86 = layout === TSS32 && (newFlags & Flag.VM) !== 0;
  // First the bare selectors (so the state shown after a fault below is the new task's), then the checks.
  for (let s = 0; s < nSegs; s++) {
    c.segSel[SEG_ORDER[s]] = newSegs[s];
    if (vm86) { c.segBase[SEG_ORDER[s]] = newSegs[s] * 16; c.segLimit[SEG_ORDER[s]] = 0xffff; }
  }
  const cpl = vm86 ? 3 : newSegs[1] & 3;
  c.setCpl(cpl);
  c.flushTlb();
  c.segSel[Seg.LDTR] = newLdt & ~4;
  c.segAttr[Seg.LDTR] = 0;
  c.segBase[Seg.LDTR] = 0;
  c.segLimit[Seg.LDTR] = 0;
  loadTaskLdt(c, newLdt);
  if (!vm86) {
    for (const s of [1, 2, 0, 3, 4, 5]) if (s < nSegs) loadTaskSegment(c, SEG_ORDER[s], newSegs[s], cpl);
  } else {
    c.updateMode();
  }
  if (newEip > c.segLimit[Seg.CS]) gp(0, `${what}: the new task's EIP 0x${newEip.toString(16)} is beyond its CS limit`);
  // Local breakpoint enables (L0-L3) are task-local (SDM §17.2.4).
  c.dr[7] &= ~0x55;
  debugRegsChanged(c);
}

/** Push the error code of an exception delivered through a task gate onto the new task's stack. */
export function pushTaskErrorCode(c: Cpu, errorCode: number): void {
  const size = c.segAttr[Seg.TR] & 8 ? 4 : 2;
  const big = (c.segAttr[Seg.SS] & Attr.DB) !== 0;
  const mask = big ? 0xffffffff : 0xffff;
  const sp = ((c.r[8] >>> 0) - size) & mask;
  c.sysWr(c.addLinear(c.segBase[Seg.SS], sp >>> 0), size, errorCode);
  if (big) c.r[8] = sp | 0; else c.r[8] = (c.r[8] & 0xffff0000) | sp;
}

/** IRET with EFLAGS.NT = 1 in protected mode: return to the task in the current TSS's back link. */
export function taskReturn(c: Cpu): void {
  const link = c.sysRd(c.segBase[Seg.TR], 2) & 0xffff;
  taskSwitch(c, link, TaskSource.IRET, c.rip >>> 0, 0);
}

function setBusy(c: Cpu, selector: number, busy: boolean): void {
  const la = c.addLinear(c.gdtrBase, (selector & 0xfff8) + 4);
  const hi = c.sysRd(la, 4);
  c.sysWr(la, 4, busy ? hi | BUSY : hi & ~BUSY);
}

function loadTaskLdt(c: Cpu, selector: number): void {
  const sel = selector & 0xfffc;
  if (selector & 4) raise(10, sel, `the new task's LDT selector 0x${selector.toString(16)} points into the LDT`);
  if (sel === 0) return;
  if (!readDescriptor(c, selector)) raise(10, sel, `the new task's LDT selector 0x${selector.toString(16)} is beyond the GDT limit`);
  if ((desc.attr & (Attr.S | 0xf)) !== 0x2) raise(10, sel, `the new task's LDT selector 0x${selector.toString(16)} is not an LDT descriptor`);
  if (!(desc.attr & Attr.P)) raise(10, sel, `the new task's LDT descriptor 0x${selector.toString(16)} is not present`);
  setSegment(c, Seg.LDTR, selector, desc.base, desc.limit, desc.attr);
}

/** Load one segment register of the new task; a bad selector is #TS(selector), a missing segment #NP (SDM Table 7-1). */
function loadTaskSegment(c: Cpu, seg: number, selector: number, cpl: number): void {
  const sel = selector & 0xfffc;
  const name = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'][seg];
  const ts = (why: string): never => raise(10, sel, `the new task's ${name} selector 0x${selector.toString(16)} ${why}`);
  if (sel === 0) {
    if (seg === Seg.CS || seg === Seg.SS) ts('is null');
    c.segAttr[seg] = 0;
    return;
  }
  if (!readDescriptor(c, selector)) ts('is beyond the descriptor table limit');
  const a = desc.attr;
  if (!(a & Attr.S)) ts('names a system descriptor');
  const rpl = selector & 3, dpl = (a >> Attr.DPL_SHIFT) & 3;
  if (seg === Seg.CS) {
    if (!(a & Attr.CODE)) ts('is not a code segment');
    if ((a & Attr.DC) ? dpl > rpl : dpl !== rpl) ts(`has DPL ${dpl}, which does not fit RPL ${rpl}`);
  } else if (seg === Seg.SS) {
    if ((a & Attr.CODE) || !(a & Attr.RW)) ts('is not a writable data segment');
    if (dpl !== cpl || rpl !== cpl) ts(`has DPL ${dpl} / RPL ${rpl}, not the new CPL ${cpl}`);
  } else {
    if ((a & Attr.CODE) && !(a & Attr.RW)) ts('is an execute-only code segment');
    const conformingCode = (a & (Attr.CODE | Attr.DC)) === (Attr.CODE | Attr.DC);
    if (!conformingCode && (dpl < cpl || dpl < rpl)) ts(`has DPL ${dpl} < max(CPL ${cpl}, RPL ${rpl})`);
  }
  if (!(a & Attr.P)) raise(seg === Seg.SS ? 12 : 11, sel, `the new task's ${name} segment 0x${selector.toString(16)} is not present`);
  setSegment(c, seg, selector, desc.base, desc.limit, a);
}
