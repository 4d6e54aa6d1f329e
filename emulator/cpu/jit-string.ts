import { LF } from './flags';
import type { Insn } from './insn';
import type { Gen } from './jit';
import { pageOffset, regVal, writeReg } from './jit-operands';
import { TWO47, TWO48 } from './state';

/**
 * Translation (jit.ts): MOVS, CMPS, STOS, LODS and SCAS without REP (string-ops.ts is the reference), every
 * element size, 16/32/64-bit address sizes, DF either way (read from RFLAGS each time), segment overrides on the
 * source. The fast path is all or nothing: every address is computed and every access found in the block's TLB
 * cache (through a segment that needs only its limit checked, or in 64-bit mode a canonical address with no FS/GS
 * base) before anything is written; then the element moves and rSI/rDI step. Anything else (a limit, an
 * unusable segment, a TLB miss, MMIO, a code page, an element across a page end, FS/GS in 64-bit mode) calls
 * the handler for the whole instruction, which faults or completes exactly as interpreted. GRUB's byte-wise
 * memmove and xv6's memmove are non-REP MOVSB loops.
 */

const enum S { MOVS, CMPS, STOS, LODS, SCAS }

function kindOf(op: number): S {
  switch (op & ~1) {
    case 0xa4: return S.MOVS;
    case 0xa6: return S.CMPS;
    case 0xaa: return S.STOS;
    case 0xac: return S.LODS;
    default: return S.SCAS;
  }
}

/**
 * `const ${name} = linear address of seg:rSI/rDI (register g) for a `size`-byte access, or -1` where the fast
 * path does not apply (Cpu.lin's result where it does).
 */
function indexAddress(gen: Gen, i: Insn, name: string, g: number, seg: number, size: number, write: boolean): void {
  const lo = gen.g(g), hi = gen.gh(g);
  if (gen.long) {
    if (i.asz !== 8) { gen.line(`const ${name} = ${lo} >>> 0;`); return; }
    // RSI/RDI as a signed 64-bit offset, exact while its high half is within ±2^20, and canonical (lin()).
    gen.line(`let ${name} = -1; if (${hi} === 0) ${name} = ${lo} >>> 0; else if (((${hi} + 1048576) >>> 21) === 0) { const a = ${hi} * 4294967296 + (${lo} >>> 0); ` +
      `if (a >= ${-TWO47} && a <= ${TWO47 - size}) ${name} = a < 0 ? a + ${TWO48} : a; }`);
    return;
  }
  const [b, l] = gen.segment(seg);
  const off = i.asz === 4 ? `(${lo} >>> 0)` : `(${lo} & 65535)`;
  const bit = write ? 1 << (seg + 16) : 1 << (seg + 24);
  gen.line(`const ${name} = (flat & ${bit}) !== 0 && ${off} <= ${l} - ${size - 1} ? (${b} + ${off}) >>> 0 : -1;`);
}

/** Step rSI/rDI (register g) by dk (±size) at the address size, as string-ops.ts stepIdx. */
function step(gen: Gen, i: Insn, g: number, dk: string): void {
  const lo = gen.g(g), hi = gen.gh(g);
  gen.written.add(g);
  if (i.asz === 2) gen.line(`${lo} = (${lo} & -65536) | ((${lo} + ${dk}) & 65535);`);
  else if (i.asz === 4) gen.line(`${lo} = (${lo} + ${dk}) | 0; ${hi} = 0;`);
  else gen.line(`{ const t = (${lo} >>> 0) + ${dk}; ${lo} = t | 0; if (t > 4294967295) ${hi} = (${hi} + 1) | 0; else if (t < 0) ${hi} = (${hi} - 1) | 0; }`);
}

/** Read `size` bytes at la (d: its offset in the page whose physical base is `pb`: pageOffset) into v / vh. */
function readAt(size: number, pb: string, v: string): string {
  switch (size) {
    case 1: return `${v} = m8[(${pb} + d) >>> 0];`;
    case 2: return `${v} = dv.getUint16((${pb} + d) >>> 0, true);`;
    case 4: return `${v} = dv.getInt32((${pb} + d) >>> 0, true);`;
    default: return `{ const pa = (${pb} + d) >>> 0; ${v} = dv.getInt32(pa, true); ${v}h = dv.getInt32(pa + 4, true); }`;
  }
}

function writeAt(size: number, pb: string, lo: string, hi: string): string {
  switch (size) {
    case 1: return `m8[(${pb} + d) >>> 0] = ${lo};`;
    case 2: return `dv.setUint16((${pb} + d) >>> 0, ${lo}, true);`;
    case 4: return `dv.setInt32((${pb} + d) >>> 0, ${lo}, true);`;
    default: return `{ const pa = (${pb} + d) >>> 0; dv.setInt32(pa, ${lo}, true); dv.setInt32(pa + 4, ${hi}, true); }`;
  }
}

export function stringOp(gen: Gen, i: Insn, last: boolean): void {
  const k = gen.k;
  const kind = kindOf(i.op);
  const size = (i.op & 1) === 0 ? 1 : i.osz;
  const src = kind === S.MOVS || kind === S.CMPS || kind === S.LODS;
  const dst = kind !== S.LODS;
  const srcSeg = i.seg >= 0 ? i.seg : 3;
  // FS/GS in 64-bit mode add a base (and a source override is the only way to name one): the handler.
  if (gen.long && src && srcSeg >= 4) { gen.generic(i, last); return; }
  // A record recomputed from registers is written out before one of them changes.
  const changes = [...(src ? [6] : []), ...(dst ? [7] : []), ...(kind === S.LODS ? [0] : [])];
  const p0 = gen.p;
  if (p0 !== null && p0.remat && changes.some((g) => p0.remat!.includes(g))) gen.materialize();
  const prev = gen.p;
  const v = `v${k}`, w = `w${k}`, ok = `ok${k}`;
  gen.line(`let ${ok} = false, ${v} = 0, ${v}h = 0, ${w} = 0, ${w}h = 0;`);
  if (src) indexAddress(gen, i, `s${k}`, 6, srcSeg, size, false);
  if (dst) indexAddress(gen, i, `t${k}`, 7, 0, size, kind === S.MOVS || kind === S.STOS);
  const inPage = `d >= 0 && d <= ${4096 - size}`;
  // First access: the source (MOVS, CMPS, LODS) or ES:rDI (STOS, SCAS).
  if (src) {
    gen.line(`la = s${k}; if (la >= 0) {`);
    const pb = pageOffset(gen, size, false);
    gen.line(`if (${inPage}) { ${readAt(size, pb, v)} ${ok} = true; } }`);
  }
  if (kind === S.MOVS || kind === S.STOS) {
    if (kind === S.STOS) {
      const [lo, hi] = size === 1 ? [`(${gen.g(0)} & 255)`, '0'] : size === 2 ? [`(${gen.g(0)} & 65535)`, '0'] : [gen.g(0), gen.gh(0)];
      gen.line(`${v} = ${lo}; ${v}h = ${hi}; ${ok} = true;`);
    }
    gen.line(`if (${ok}) { ${ok} = false; la = t${k}; if (la >= 0) {`);
    const pb = pageOffset(gen, size, true);
    gen.line(`if (${inPage}) { ${writeAt(size, pb, v, `${v}h`)} ${ok} = true; } } }`);
  } else if (kind === S.CMPS || kind === S.SCAS) {
    if (kind === S.SCAS) gen.line(`${ok} = true;`);
    gen.line(`if (${ok}) { ${ok} = false; la = t${k}; if (la >= 0) {`);
    const pb = pageOffset(gen, size, false);
    gen.line(`if (${inPage}) { ${readAt(size, pb, w)} ${ok} = true; } } }`);
  }
  gen.line(`if (${ok}) {`);
  const dk = `dk${k}`;
  gen.line(`const ${dk} = (c.flags & 1024) !== 0 ? ${-size} : ${size};`);
  if (kind === S.LODS) writeReg(gen, 0, 0, size, v, `${v}h`);
  if (kind === S.CMPS || kind === S.SCAS) {
    // CMP a, b: CMPS compares [rSI] with ES:[rDI], SCAS rAX with ES:[rDI] (alu.ts aluOp, as alu in jit-integer.ts).
    let a = v, ah = `${v}h`;
    if (kind === S.SCAS) { regVal(gen, 0, 0, size, `a${k}`); a = `a${k}`; ah = `a${k}h`; }
    const lo = `r${k}`, hi = `r${k}h`;
    if (size === 8) {
      gen.line(`const x${k} = (${a} >>> 0) - (${w} >>> 0), ${lo} = x${k} | 0, ${hi} = (${ah} - ${w}h - (x${k} < 0 ? 1 : 0)) | 0;`);
    } else {
      gen.line(`const ${lo} = (${a} - ${w}) | 0, ${hi} = 0;`);
    }
    // Written to the CPU here: the handler's path below leaves its record there too.
    gen.p = { op: LF.SUB, size, res: lo, resHi: hi, a, aHi: ah, b: w, bHi: `${w}h`, aux: '0' };
    gen.materialize();
  }
  if (src) step(gen, i, 6, dk);
  if (dst) step(gen, i, 7, dk);
  gen.line('} else {');
  const after = gen.p;
  gen.p = prev;
  gen.materializeCopy();
  gen.callHandler(gen.off + i.len, last, true);
  gen.line('}');
  gen.p = kind === S.CMPS || kind === S.SCAS ? null : after;
}
