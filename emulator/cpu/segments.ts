import type { Cpu } from './cpu';
import { gp, raise } from './fault';
import { Attr, Cr0, Seg, TWO32 } from './state';

/**
 * Descriptor-table access and segment-register loads (SDM Vol. 3A §3.4-3.5, §5.5-5.8). Results of
 * readDescriptor() are left in `desc` (no allocation).
 */
export const desc = { lo: 0, hi: 0, hi2: 0, hi3: 0, base: 0, limit: 0, attr: 0 };

/** Decode the 8-byte descriptor in desc.lo/desc.hi into base/limit/attr. */
export function parseDescriptor(lo: number, hi: number): void {
  desc.lo = lo;
  desc.hi = hi;
  desc.base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  if (hi & 0x800000) limit = limit * 4096 + 0xfff;
  desc.limit = limit;
  desc.attr = (hi >>> 8) & 0xf0ff;
}

/**
 * Read the descriptor a selector names (GDT or LDT per TI). Returns false when the selector's index is
 * beyond the table limit. `wide` reads 16 bytes (long-mode system descriptors; base 63:32 in desc.hi2, the last dword in desc.hi3).
 */
export function readDescriptor(c: Cpu, selector: number, wide = false): boolean {
  const ti = (selector & 4) !== 0;
  const base = ti ? c.segBase[Seg.LDTR] : c.gdtrBase;
  const limit = ti ? c.segLimit[Seg.LDTR] : c.gdtrLimit;
  if (ti && !(c.segAttr[Seg.LDTR] & Attr.P)) return false;
  const off = selector & 0xfff8;
  if (off + (wide ? 15 : 7) > limit) return false;
  const la = c.addLinear(base, off);
  const lo = c.sysRd(la, 4);
  const hi = c.sysRd(c.addLinear(la, 4), 4);
  parseDescriptor(lo, hi);
  desc.hi2 = wide ? c.sysRd(c.addLinear(la, 8), 4) : 0;
  // SDM Figure 7-4: bytes 8-11 are base 63:32; bytes 12-15 hold the type field that must be 0.
  desc.hi3 = wide ? c.sysRd(c.addLinear(la, 12), 4) : 0;
  if (wide) desc.base += (desc.hi2 >>> 0) * TWO32;
  return true;
}

/** Set the accessed bit of a code/data descriptor in memory if it is clear (the CPU does it on load). */
export function setAccessed(c: Cpu, selector: number): void {
  if (desc.hi & 0x100) return;
  const ti = (selector & 4) !== 0;
  const base = ti ? c.segBase[Seg.LDTR] : c.gdtrBase;
  c.sysWr(c.addLinear(base, (selector & 0xfff8) + 4), 4, desc.hi | 0x100);
  desc.hi |= 0x100;
  desc.attr |= Attr.ACCESSED;
}

/** Load a segment cache directly (descriptor already checked). */
export function setSegment(c: Cpu, seg: number, selector: number, base: number, limit: number, attr: number): void {
  c.segSel[seg] = selector & 0xffff;
  c.segBase[seg] = base;
  c.segLimit[seg] = limit;
  c.segAttr[seg] = attr;
  if (seg === Seg.CS || seg === Seg.SS) c.updateMode();
}

/** Real-mode / VM86 style load: base = selector * 16. */
export function loadRealSegment(c: Cpu, seg: number, selector: number): void {
  c.segSel[seg] = selector & 0xffff;
  c.segBase[seg] = (selector & 0xffff) * 16;
  if (seg === Seg.CS) c.updateMode();
}

/**
 * MOV Sreg / POP Sreg / LDS… in protected or long mode (SDM Vol. 2 MOV, Vol. 3A §5.5): null selectors are
 * allowed for data segments (and for SS only in 64-bit mode at CPL < 3), type/privilege checks raise
 * #GP(selector), a not-present segment #NP(selector) (#SS(selector) for SS).
 */
export function loadDataSegment(c: Cpu, seg: number, selector: number): void {
  selector &= 0xffff;
  if (!(c.cr0 & Cr0.PE) || (c.flags & (1 << 17))) {
    loadRealSegment(c, seg, selector);
    return;
  }
  const sel = selector & 0xfffc;
  const rpl = selector & 3;
  if ((selector & 0xfffc) === 0) {
    if (seg === Seg.SS && !(c.long && c.cpl !== 3 && rpl === c.cpl)) gp(0, 'null selector loaded into SS');
    // A null selector makes the segment unusable (not present); in 64-bit mode the base stays usable for FS/GS.
    c.segSel[seg] = selector;
    c.segAttr[seg] = seg === Seg.SS && c.long ? (c.segAttr[seg] & ~Attr.P) | (c.cpl << Attr.DPL_SHIFT) : 0;
    if (!c.long || (seg !== Seg.FS && seg !== Seg.GS)) c.segBase[seg] = c.long ? 0 : c.segBase[seg];
    if (seg === Seg.SS) c.updateMode();
    return;
  }
  if (!readDescriptor(c, selector)) gp(sel, `selector 0x${selector.toString(16)} is beyond the descriptor table limit`);
  const attr = desc.attr;
  const dpl = (attr >> Attr.DPL_SHIFT) & 3;
  if (!(attr & Attr.S)) gp(sel, `selector 0x${selector.toString(16)} names a system descriptor`);
  if (seg === Seg.SS) {
    if (rpl !== c.cpl || dpl !== c.cpl) gp(sel, `SS selector 0x${selector.toString(16)}: RPL/DPL must equal CPL ${c.cpl}`);
    if ((attr & Attr.CODE) || !(attr & Attr.RW)) gp(sel, `SS selector 0x${selector.toString(16)} is not a writable data segment`);
    if (!(attr & Attr.P)) raise(12, sel, `stack segment 0x${selector.toString(16)} is not present`);
  } else {
    if ((attr & Attr.CODE) && !(attr & Attr.RW)) gp(sel, `selector 0x${selector.toString(16)} is an execute-only code segment`);
    const conformingCode = (attr & (Attr.CODE | Attr.DC)) === (Attr.CODE | Attr.DC);
    if (!conformingCode && (rpl > dpl || c.cpl > dpl)) gp(sel, `selector 0x${selector.toString(16)}: DPL ${dpl} < max(CPL, RPL)`);
    if (!(attr & Attr.P)) raise(11, sel, `segment 0x${selector.toString(16)} is not present`);
  }
  setAccessed(c, selector);
  setSegment(c, seg, selector, desc.base, desc.limit, desc.attr);
}

/**
 * Load CS for a far transfer to a code segment (JMP/CALL far, RET far, IRET, interrupt delivery): checks
 * that the descriptor is present code; the caller has done the privilege rules of its own instruction.
 * Returns nothing; the caller commits with commitCs().
 */
export function checkCodeDescriptor(c: Cpu, selector: number, ext: number, why: string): void {
  const sel = selector & 0xfffc;
  if (sel === 0) gp(ext, `${why}: null code selector`);
  if (!readDescriptor(c, selector)) gp(sel + ext, `${why}: selector 0x${selector.toString(16)} is beyond the GDT limit 0x${c.gdtrLimit.toString(16)}`);
  const attr = desc.attr;
  if (!(attr & Attr.S) || !(attr & Attr.CODE)) {
    const kind = !(attr & Attr.S) ? describeSystemType(attr & 0xf) : 'a data segment';
    gp(sel + ext, `${why}: selector 0x${selector.toString(16)} indexes ${kind}, not a code segment`);
  }
}

export function describeSystemType(type: number): string {
  switch (type) {
    case 0x2: return 'an LDT descriptor';
    case 0x9: return 'an available TSS descriptor';
    case 0xb: return 'a busy TSS descriptor';
    case 0xc: return 'a call gate';
    case 0xe: return 'an interrupt gate';
    case 0xf: return 'a trap gate';
    case 0x0: return 'a null/reserved descriptor';
    default: return `a system descriptor of type 0x${type.toString(16)}`;
  }
}

/** Commit CS from the descriptor in `desc` with the given RPL/CPL. */
export function commitCs(c: Cpu, selector: number, cpl: number): void {
  setAccessed(c, selector);
  setSegment(c, Seg.CS, (selector & 0xfffc) | cpl, desc.base, desc.limit, desc.attr);
  if (c.cpl !== cpl) {
    c.setCpl(cpl);
    c.flushTlb();
  }
  c.updateMode();
}
