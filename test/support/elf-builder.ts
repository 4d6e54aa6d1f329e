/**
 * Byte builders for boot tests: small ELF32/ELF64 executables and multiboot1/multiboot2 headers. Layout:
 * ELF header, program headers, segment data (16-byte aligned), section data, .symtab, .strtab, .shstrtab,
 * section header table.
 */

export interface SegmentSpec {
  paddr: number;
  /** Defaults to paddr. */
  vaddr?: bigint | number;
  data: Uint8Array;
  /** Defaults to data.length; larger means bss. */
  memsz?: number;
  flags?: number;
  /** p_type, default 1 (PT_LOAD); 4 is PT_NOTE. */
  type?: number;
}

export interface SectionSpec {
  name: string;
  /** Defaults to SHT_PROGBITS (1). */
  type?: number;
  addr?: bigint | number;
  flags?: number;
  data: Uint8Array;
}

export interface SymbolSpec {
  name: string;
  value: bigint | number;
  size?: number;
  type?: 'FUNC' | 'OBJECT' | 'NOTYPE';
  /** Name of a section in `sections`; undefined = absolute. */
  section?: string;
  global?: boolean;
}

export interface ElfSpec {
  class: 32 | 64;
  entry: bigint | number;
  segments: SegmentSpec[];
  sections?: SectionSpec[];
  symbols?: SymbolSpec[];
  machine?: number;
  type?: number;
}

export interface BuiltElf {
  bytes: Uint8Array;
  /** File offset of each segment's data. */
  segmentOffsets: number[];
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function buildElf(spec: ElfSpec): BuiltElf {
  const is64 = spec.class === 64;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const chunks: { off: number; data: Uint8Array }[] = [];
  let off = align(ehsize + phentsize * spec.segments.length, 16);
  const segmentOffsets = spec.segments.map((s) => {
    const o = off;
    chunks.push({ off: o, data: s.data });
    off = align(off + s.data.length, 16);
    return o;
  });

  const userSections = spec.sections ?? [];
  const shstr = new StringTable();
  const str = new StringTable();
  interface Sh { name: number; type: number; flags: number; addr: bigint; off: number; size: number; link: number; info: number; align: number; entsize: number }
  const shs: Sh[] = [{ name: 0, type: 0, flags: 0, addr: 0n, off: 0, size: 0, link: 0, info: 0, align: 0, entsize: 0 }];
  for (const s of userSections) {
    const type = s.type ?? 1;
    const o = off;
    if (type !== 8) {
      chunks.push({ off: o, data: s.data });
      off = align(off + s.data.length, 16);
    }
    shs.push({ name: shstr.add(s.name), type, flags: s.flags ?? 0, addr: BigInt(s.addr ?? 0), off: o, size: s.data.length, link: 0, info: 0, align: 16, entsize: 0 });
  }
  const symtabIndex = shs.length;
  const syms = spec.symbols ?? [];
  const symsize = is64 ? 24 : 16;
  const symtab = new Uint8Array(symsize * (syms.length + 1));
  const sv = new DataView(symtab.buffer);
  syms.forEach((s, i) => {
    const p = (i + 1) * symsize;
    const typ = s.type === 'FUNC' ? 2 : s.type === 'OBJECT' ? 1 : 0;
    const info = ((s.global ?? true) ? 0x10 : 0) | typ;
    const shndx = s.section ? 1 + userSections.findIndex((x) => x.name === s.section) : 0xfff1;
    sv.setUint32(p, str.add(s.name), true);
    if (is64) {
      symtab[p + 4] = info;
      sv.setUint16(p + 6, shndx, true);
      sv.setBigUint64(p + 8, BigInt(s.value), true);
      sv.setBigUint64(p + 16, BigInt(s.size ?? 0), true);
    } else {
      sv.setUint32(p + 4, Number(s.value), true);
      sv.setUint32(p + 8, s.size ?? 0, true);
      symtab[p + 12] = info;
      sv.setUint16(p + 14, shndx, true);
    }
  });
  const symtabName = shstr.add('.symtab');
  const strtabName = shstr.add('.strtab');
  const shstrtabName = shstr.add('.shstrtab');
  const strBytes = str.bytes();
  const place = (data: Uint8Array) => {
    const o = off;
    chunks.push({ off: o, data });
    off = align(off + data.length, 16);
    return o;
  };
  shs.push({ name: symtabName, type: 2, flags: 0, addr: 0n, off: place(symtab), size: symtab.length, link: symtabIndex + 1, info: 1, align: 8, entsize: symsize });
  shs.push({ name: strtabName, type: 3, flags: 0, addr: 0n, off: place(strBytes), size: strBytes.length, link: 0, info: 0, align: 1, entsize: 0 });
  const shstrBytes = shstr.bytes();
  shs.push({ name: shstrtabName, type: 3, flags: 0, addr: 0n, off: place(shstrBytes), size: shstrBytes.length, link: 0, info: 0, align: 1, entsize: 0 });
  const shoff = off;
  const total = shoff + shentsize * shs.length;

  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1]);
  v.setUint16(16, spec.type ?? 2, true);
  v.setUint16(18, spec.machine ?? (is64 ? 62 : 3), true);
  v.setUint32(20, 1, true);
  const o = is64 ? 52 : 40;
  if (is64) {
    v.setBigUint64(24, BigInt(spec.entry), true);
    v.setBigUint64(32, BigInt(ehsize), true);
    v.setBigUint64(40, BigInt(shoff), true);
  } else {
    v.setUint32(24, Number(spec.entry), true);
    v.setUint32(28, ehsize, true);
    v.setUint32(32, shoff, true);
  }
  v.setUint16(o, ehsize, true);
  v.setUint16(o + 2, phentsize, true);
  v.setUint16(o + 4, spec.segments.length, true);
  v.setUint16(o + 6, shentsize, true);
  v.setUint16(o + 8, shs.length, true);
  v.setUint16(o + 10, shs.length - 1, true);
  spec.segments.forEach((s, i) => {
    const p = ehsize + i * phentsize;
    const vaddr = BigInt(s.vaddr ?? s.paddr);
    const memsz = s.memsz ?? s.data.length;
    v.setUint32(p, s.type ?? 1, true);
    if (is64) {
      v.setUint32(p + 4, s.flags ?? 7, true);
      v.setBigUint64(p + 8, BigInt(segmentOffsets[i]), true);
      v.setBigUint64(p + 16, vaddr, true);
      v.setBigUint64(p + 24, BigInt(s.paddr), true);
      v.setBigUint64(p + 32, BigInt(s.data.length), true);
      v.setBigUint64(p + 40, BigInt(memsz), true);
      v.setBigUint64(p + 48, 0x1000n, true);
    } else {
      v.setUint32(p + 4, segmentOffsets[i], true);
      v.setUint32(p + 8, Number(vaddr), true);
      v.setUint32(p + 12, s.paddr, true);
      v.setUint32(p + 16, s.data.length, true);
      v.setUint32(p + 20, memsz, true);
      v.setUint32(p + 24, s.flags ?? 7, true);
      v.setUint32(p + 28, 0x1000, true);
    }
  });
  for (const c of chunks) out.set(c.data, c.off);
  shs.forEach((s, i) => {
    const p = shoff + i * shentsize;
    v.setUint32(p, s.name, true);
    v.setUint32(p + 4, s.type, true);
    if (is64) {
      v.setBigUint64(p + 8, BigInt(s.flags), true);
      v.setBigUint64(p + 16, s.addr, true);
      v.setBigUint64(p + 24, BigInt(s.off), true);
      v.setBigUint64(p + 32, BigInt(s.size), true);
      v.setUint32(p + 40, s.link, true);
      v.setUint32(p + 44, s.info, true);
      v.setBigUint64(p + 48, BigInt(s.align), true);
      v.setBigUint64(p + 56, BigInt(s.entsize), true);
    } else {
      v.setUint32(p + 8, s.flags, true);
      v.setUint32(p + 12, Number(s.addr), true);
      v.setUint32(p + 16, s.off, true);
      v.setUint32(p + 20, s.size, true);
      v.setUint32(p + 24, s.link, true);
      v.setUint32(p + 28, s.info, true);
      v.setUint32(p + 32, s.align, true);
      v.setUint32(p + 36, s.entsize, true);
    }
  });
  return { bytes: out, segmentOffsets };
}

class StringTable {
  private parts: number[] = [0];
  add(s: string): number {
    const at = this.parts.length;
    for (const ch of Buffer.from(s, 'latin1')) this.parts.push(ch);
    this.parts.push(0);
    return at;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Multiboot1 header: magic, flags, checksum, and with bit 16 the five a.out kludge addresses. */
export function multiboot1Header(flags: number, kludge?: { headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number; entryAddr: number }): Uint8Array {
  const words = [0x1badb002, flags >>> 0, (-(0x1badb002 + flags)) >>> 0];
  if (kludge) words.push(kludge.headerAddr, kludge.loadAddr, kludge.loadEndAddr, kludge.bssEndAddr, kludge.entryAddr);
  return u32le(words);
}

export interface Mb2TagSpec {
  type: number;
  flags?: number;
  fields?: number[];
}

/** Multiboot2 header with the given tags (each padded to 8 bytes) and the end tag. */
export function multiboot2Header(tags: Mb2TagSpec[]): Uint8Array {
  const body: number[] = [];
  for (const t of tags) {
    const fields = t.fields ?? [];
    const size = 8 + fields.length * 4;
    body.push(t.type | ((t.flags ?? 0) << 16), size, ...fields);
    if (size % 8) body.push(0);
  }
  body.push(0, 8);
  const length = 16 + body.length * 4;
  return u32le([0xe85250d6, 0, length, (-(0xe85250d6 + length)) >>> 0, ...body]);
}

export function u32le(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
