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
 * beyond the table limit. `wide` reads 16 bytes, an IA-32e system descriptor (SDM Vol. 3A §7.2.3 Figure 7-4,
 * §5.8.3.1 Figure 5-9): desc.hi2 is the dword at +8 (base or offset bits 63:32), desc.hi3 the dword at +12
 * (reserved, with the type bits 12:8 that must be 0; see upperHalfType()). desc.base then holds the 64-bit
 * base as a linear address is kept everywhere: its low 48 bits (wideBaseCanonical() says whether bits 63:47
 * agree).
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
  if (wide) {
    desc.hi2 = c.sysRd(c.addLinear(la, 8), 4);
    desc.hi3 = c.sysRd(c.addLinear(la, 12), 4);
    desc.base += (desc.hi2 & 0xffff) * TWO32;
  } else {
    desc.hi2 = 0;
    desc.hi3 = 0;
  }
  return true;
}

/**
 * Bits 12:8 of the dword at +12 of the 16-byte descriptor last read wide: the "type" of the upper half, which
 * must be 0 so the upper half can never pass for a legacy descriptor (SDM Figure 7-4 and Figure 5-9; QEMU's
 * helper_ltr reads ldl(ptr + 12), Bochs fetch_raw_descriptor_64 masks 0x1F00 of that dword).
 */
export function upperHalfType(): number {
  return (desc.hi3 >>> 8) & 0x1f;
}

/** Whether the 64-bit base of the descriptor last read wide is canonical (bits 63:47 all equal). */
export function wideBaseCanonical(): boolean {
  return (desc.hi2 << 16) >> 16 === (desc.hi2 | 0);
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
    case 0x1: return 'an available 16-bit TSS descriptor';
    case 0x2: return 'an LDT descriptor';
    case 0x3: return 'a busy 16-bit TSS descriptor';
    case 0x4: return 'a 16-bit call gate';
    case 0x5: return 'a task gate';
    case 0x6: return 'a 16-bit interrupt gate';
    case 0x7: return 'a 16-bit trap gate';
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
  // No TLB flush: every TLB tag carries the user bit (Cpu.ub), so a CPL change only selects the other set.
  if (c.cpl !== cpl) c.setCpl(cpl);
  c.updateMode();
}
