import type { Insn } from './insn';
import type { Gen } from './jit';
import { TWO47, TWO48 } from './state';

/**
 * Translation (jit.ts): operands. Register operands live in JS locals (g<n>, g<n>h); memory operands are
 * computed inline (64-bit addressing while exact, 32/16-bit addressing through a segment that needs only its
 * limit checked: base + offset) and read or
 * written through the software TLB with a one-page cache per direction; a miss, a non-canonical or inexact
 * address takes the interpreter's path (Cpu.memAddr, Cpu.rd/wr/probeWrite), which walks the page tables and
 * faults.
 */

/** 8-bit register `reg` as a JS expression (AH..BH without REX). */
export function reg8(gen: Gen, reg: number, rex: number): string {
  if (rex === 0 && reg >= 4 && reg < 8) return `((${gen.g(reg - 4)} >>> 8) & 255)`;
  return `(${gen.g(reg)} & 255)`;
}

/** Register operand of `size` bytes into locals v / vh. */
export function regVal(gen: Gen, reg: number, rex: number, size: number, v: string): void {
  if (size === 1) gen.line(`const ${v} = ${reg8(gen, reg, rex)}, ${v}h = 0;`);
  else gen.line(`const ${v} = ${gen.g(reg)}, ${v}h = ${size === 8 ? gen.gh(reg) : '0'};`);
}

export function writeReg(gen: Gen, reg: number, rex: number, size: number, lo: string, hi: string): void {
  // A record recomputed from registers is written out before one of them changes.
  const target = size === 1 && rex === 0 && reg >= 4 && reg < 8 ? reg - 4 : reg;
  if (gen.p !== null && gen.p.remat && gen.p.remat.includes(target)) gen.materialize();
  if (size === 1) {
    if (rex === 0 && reg >= 4 && reg < 8) {
      const g = gen.g(reg - 4);
      gen.written.add(reg - 4);
      gen.line(`${g} = (${g} & -65281) | ((${lo} & 255) << 8);`);
    } else {
      const g = gen.g(reg);
      gen.written.add(reg);
      gen.line(`${g} = (${g} & -256) | (${lo} & 255);`);
    }
    return;
  }
  gen.written.add(reg);
  if (size === 2) { const g = gen.g(reg); gen.line(`${g} = (${g} & -65536) | (${lo} & 65535);`); return; }
  gen.line(`${gen.g(reg)} = ${lo}; ${gen.gh(reg)} = ${size === 8 ? hi : '0'};`);
}

/** 64-bit effective address terms over the register locals, and the registers whose high halves bound it. */
export function ea64Terms(gen: Gen, i: Insn): { terms: string[]; his: string[] } {
  const terms: string[] = [];
  const his: string[] = [];
  if (i.ripRel) {
    terms.push(`(base + ${gen.off + i.len} >= ${TWO47} ? base + ${gen.off + i.len - TWO48} : base + ${gen.off + i.len})`);
  }
  if (i.base >= 0) {
    his.push(gen.gh(i.base));
    terms.push(`${gen.gh(i.base)} * 4294967296 + (${gen.g(i.base)} >>> 0)`);
  }
  if (i.index >= 0) {
    his.push(gen.gh(i.index));
    const sc = 1 << i.scale;
    terms.push(`(${gen.gh(i.index)} * 4294967296 + (${gen.g(i.index)} >>> 0))${sc === 1 ? '' : ` * ${sc}`}`);
  }
  if (i.disp !== 0 || terms.length === 0) terms.push(String(i.disp));
  return { terms, his };
}

/** 32- or 16-bit effective address (zero-extended) over the register locals; undefined for RIP-relative. */
export function ea32(gen: Gen, i: Insn): string | undefined {
  if (i.ripRel) return undefined;
  const terms: string[] = [String(i.disp)];
  if (i.asz === 4) {
    if (i.base >= 0) terms.push(gen.g(i.base));
    if (i.index >= 0) terms.push(i.scale ? `(${gen.g(i.index)} << ${i.scale})` : gen.g(i.index));
    return `((${terms.join(' + ')}) >>> 0)`;
  }
  if (i.asz === 2) {
    if (i.base >= 0) terms.push(`(${gen.g(i.base)} & 65535)`);
    if (i.index >= 0) terms.push(`(${gen.g(i.index)} & 65535)`);
    return `((${terms.join(' + ')}) & 65535)`;
  }
  return undefined;
}

/**
 * Emit `la = linear address of the memory operand`, or -1 where the inline computation does not apply; pageOffset
 * (given the instruction) then computes it with c.memAddr on its miss path, which is out of the way of the hits.
 * Inline in 64-bit mode without FS/GS (segment base 0): 64-bit addressing is exact while every register's high
 * half is within ±2^20 (like Cpu.ea), and must be canonical; 32-bit addressing is the zero-extended sum. Outside
 * 64-bit mode, inline while the segment needs no check but its limit (present, expand-up, usable for the access:
 * Cpu.flatSegments), as base + offset (real mode, 16-bit protected mode, flat segments alike). Anything else
 * (FS/GS in 64-bit mode, RIP-relative outside it) goes through c.memAddr here, which computes exactly and faults.
 */
export function address(gen: Gen, i: Insn, size: number, write: boolean): void {
  const k = gen.k;
  const seg = i.seg >= 0 ? i.seg : i.defaultSS ? 2 : 3;
  if (gen.long && i.asz === 8 && i.seg < 4) {
    const { terms, his } = ea64Terms(gen, i);
    const exact = his.length === 0 ? 'true' : `((${his.map((h) => `(${h} + 1048576)`).join(' | ')}) >>> 21) === 0`;
    const general = `la = -1; if (${exact}) { const a = ${terms.join(' + ')}; if (a >= ${-TWO47} && a <= ${TWO47 - size}) la = a < 0 ? a + ${TWO48} : a; }`;
    if (his.length > 0 && !i.ripRel) {
      // Registers below 4 GiB (high halves 0), the common case: the sum of their low halves and the
      // displacement is within (-2^31, 2^36), so no multiply and no range check; a negative sum is a
      // canonical address in the upper half.
      const low: string[] = [];
      if (i.base >= 0) low.push(`(${gen.g(i.base)} >>> 0)`);
      if (i.index >= 0) low.push(`(${gen.g(i.index)} >>> 0)${i.scale ? ` * ${1 << i.scale}` : ''}`);
      if (i.disp !== 0) low.push(String(i.disp));
      const sum = low.join(' + ');
      const fast = i.disp >= 0 ? `la = ${sum};` : `{ const a = ${sum}; la = a < 0 ? a + ${TWO48} : a; }`;
      gen.line(`if ((${his.join(' | ')}) === 0) ${fast} else { ${general} }`);
    } else {
      gen.line(general);
    }
  } else if (gen.long && i.seg < 4 && ea32(gen, i) !== undefined) {
    gen.line(`la = ${ea32(gen, i)};`);
  } else if (!gen.long && ea32(gen, i) !== undefined) {
    // Through a segment lin() would check for its limit alone (Cpu.flatSegments, bits 16-31: bit s+16 for
    // a write, s+24 for a read): base + offset, wrapping at 4 GiB, as lin() computes it.
    const bit = write ? 1 << (seg + 16) : 1 << (seg + 24);
    const [b, l] = gen.segment(seg);
    gen.line(`la = -1; if ((flat & ${bit}) !== 0) { const o = ${ea32(gen, i)}; if (o <= ${l} - ${size - 1}) la = (${b} + o) >>> 0; }`);
  } else {
    gen.line('{');
    gen.faultPoint(i, true);
    gen.line(`la = c.memAddr(i${k}, ${size}, ${write}); }`);
  }
}

/**
 * Emit `d = offset of la in the page the site's page cache holds (Gen.pageCache: the page the block, or this
 * site in a loop, last read or wrote through the TLB)`, refilling that one-page cache from the TLB when la is
 * elsewhere, and return the name of its physical base; out of [0, 4096 - size] means a TLB miss (or an access
 * that crosses the page), which takes the slow path. The cache holds what the TLB held: it is dropped at
 * every slow path and handler call (@SLOW@, generic), the only places the TLB, CPL or write epoch can change
 * inside a block, so a loop over one page reads no TLB array and no c.rb/c.wb per access.
 *
 * With `fill` (the instruction, for its fault point), the miss path first computes an address address() left
 * at -1 (c.memAddr, as the access is `addrWrite`: a read-modify-write's read checks the segment for writing),
 * then walks the page tables (Cpu.tlbFill, which faults as the access would) and, when the TLB now maps the
 * page, points the cache at it, so the access takes the hit path after all: a loop's first pass over new pages
 * runs the same code as its later passes, and V8 has that code's type feedback when it optimizes the block
 * instead of deoptimizing it at the first hit. What the TLB never maps (MMIO, code pages for writes, watched
 * pages, an access across a page end) leaves d out of range. One fault point serves both: a translation's
 * source is what V8 parses and compiles for every block, and the rare paths were half of it.
 * la = -1 misses the one-page cache (d < 0 or far above) and the TLB (pg + c.rb < 0, every tag is >= 0).
 */
export function pageOffset(gen: Gen, size: number, write: boolean, fill?: Insn, addrWrite = write): string {
  const [P, B] = gen.pageCache(write);
  const [T, tag] = write ? ['wT', 'c.wb'] : ['rT', 'c.rb'];
  // The hit branch only assigns locals: an operation there would have no type feedback while the loop only
  // missed, and V8 would deoptimize the block at its first hit.
  // An access across the page end is no hit even when the TLB maps its first page: it takes the slow path, with
  // its fault point (the state a fault on the second page is reported with). The offset test comes first, so
  // both compares run at every miss of the page cache and have type feedback even where the TLB never mapped the
  // page before V8 optimized the block (bench-paging's remap loop reads through a PTE it has just rewritten).
  gen.line(`d = la - ${P}; if (d < 0 || d > ${4096 - size}) { ti = ((la >>> 12) & ${gen.tlbMask}) << 1; off = la & 4095; ` +
    `pg = la - off; const pb = ${T}[ti + 1]; if (${size > 1 ? `off <= ${4096 - size} && ` : ''}${T}[ti] === pg + ${tag}) { ${P} = pg; ${B} = pb; d = off; }${fill ? ' else {' : ' }'}`);
  if (!fill) return B;
  gen.faultPoint(fill, true);
  gen.line(`if (la < 0) { la = c.memAddr(i${gen.k}, ${size}, ${addrWrite}); off = la & 4095; pg = la - off; } ` +
    `const pf = c.tlbFill(la, ${size}, ${write}); if (pf >= 0) { ${P} = pg; ${B} = pf; d = off; } } }`);
  return B;
}

/**
 * Emit a read of `size` bytes at `la` into locals v / vh (zero-extended for 1 and 2). The RAM offset is
 * `(rB + d) >>> 0` (exact: a TLB entry maps a RAM page, and RAM is below 4 GiB): V8 types the sum of the two doubles
 * as a double, and a DataView access at a double offset costs twice one at an unsigned 32-bit one.
 */
export function load(gen: Gen, i: Insn, size: number, v: string, addrWrite = false): void {
  gen.line(`let ${v} = 0, ${v}h = 0;`);
  const rB = pageOffset(gen, size, false, i, addrWrite);
  gen.line(`if (d >= 0 && d <= ${4096 - size}) {`);
  switch (size) {
    case 1: gen.line(`${v} = m8[(${rB} + d) >>> 0];`); break;
    case 2: gen.line(`${v} = dv.getUint16((${rB} + d) >>> 0, true);`); break;
    case 4: gen.line(`${v} = dv.getInt32((${rB} + d) >>> 0, true);`); break;
    default: gen.line(`const pa = (${rB} + d) >>> 0; ${v} = dv.getInt32(pa, true); ${v}h = dv.getInt32(pa + 4, true);`);
  }
  gen.line('} else {');
  if (size === 8) gen.line(`${v} = c.rd64(la); ${v}h = c.hi;`);
  else gen.line(`${v} = c.rd(la, ${size});`);
  gen.line('}');
}

/** Emit a write of `size` bytes of lo/hi at `la`; the slow path leaves like the interpreter would. */
export function store(gen: Gen, i: Insn, size: number, lo: string, hi: string): void {
  const wB = pageOffset(gen, size, true, i);
  gen.line(`if (d >= 0 && d <= ${4096 - size}) {`);
  switch (size) {
    case 1: gen.line(`m8[(${wB} + d) >>> 0] = ${lo};`); break;
    case 2: gen.line(`dv.setUint16((${wB} + d) >>> 0, ${lo}, true);`); break;
    case 4: gen.line(`dv.setInt32((${wB} + d) >>> 0, ${lo}, true);`); break;
    default: gen.line(`const pa = (${wB} + d) >>> 0; dv.setInt32(pa, ${lo}, true); dv.setInt32(pa + 4, ${hi}, true);`);
  }
  gen.line('} else {');
  if (size === 8) gen.line(`c.wr64(la, ${lo}, ${hi});`);
  else gen.line(`c.wr(la, ${size}, ${lo});`);
  gen.line('}');
}

/** Emit a read of the r/m operand into locals `${v}` / `${v}h`. */
export function readRm(gen: Gen, i: Insn, v: string, write: boolean, size: number, last: boolean): void {
  if (i.mod === 3) { regVal(gen, i.rm, i.rex, size, v); return; }
  address(gen, i, size, write);
  load(gen, i, size, v, write);
  if (!write) return;
  // Read-modify-write: the destination must be writable before the flags change (Cpu.probeWrite), so a fault
  // spills the previous instruction's flag record, not this one's.
  pageOffset(gen, size, true);
  gen.line(`if (d < 0 || d > ${4096 - size}) {`);
  gen.faultPoint(i);
  gen.line(`c.probeWrite(la, ${size}); }`);
}

/** Write the r/m operand; for memory `la` already holds the address (read-modify-write) unless `fresh`. */
export function writeRm(gen: Gen, i: Insn, size: number, lo: string, hi: string, last: boolean, fresh: boolean): void {
  if (i.mod === 3) { writeReg(gen, i.rm, i.rex, size, lo, hi); return; }
  if (fresh) address(gen, i, size, true);
  store(gen, i, size, lo, hi);
}
