import { BootError, hex, leadingBytes } from './errors';

/**
 * ELF32 / ELF64 little-endian x86 executables (System V gABI, "ELF-64 Object File Format"). Pure functions
 * over the file's bytes: every offset read from the file is bounds-checked, so a truncated or hostile file
 * gives a BootError, never a RangeError or a hang.
 */

export interface ElfSegment {
  /** p_type (1 = PT_LOAD). */
  type: number;
  /** p_flags (1 = X, 2 = W, 4 = R). */
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfSection {
  index: number;
  name: string;
  /** sh_type (1 PROGBITS, 2 SYMTAB, 3 STRTAB, 8 NOBITS …). */
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export type ElfSymbolType = 'NOTYPE' | 'OBJECT' | 'FUNC' | 'SECTION' | 'FILE' | 'COMMON' | 'TLS' | 'OTHER';

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: number;
  type: ElfSymbolType;
  /** 'LOCAL' | 'GLOBAL' | 'WEAK' | 'OTHER' */
  bind: string;
  /** st_shndx (0 = undefined, 0xfff1 = absolute …). */
  sectionIndex: number;
  /** Name of the section the symbol is defined in, if it is a real section. */
  section?: string;
}

export interface ElfFile {
  class: 32 | 64;
  /** e_machine: 3 = EM_386, 62 = EM_X86_64. */
  machine: number;
  /** e_type: 2 = ET_EXEC. */
  type: number;
  entry: bigint;
  segments: ElfSegment[];
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Section header table as in the file (multiboot passes it to the kernel). */
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
  /** The file itself, for sectionBytes and the multiboot section copy. */
  bytes: Uint8Array;
}

export const PT_LOAD = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const EM_386 = 3;
export const EM_X86_64 = 62;

/** True if the bytes start with "\x7fELF". */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Parse an x86 ELF executable. `fileName` only appears in error messages. */
export function parseElf(bytes: Uint8Array, fileName = 'the kernel'): ElfFile {
  if (!isElf(bytes)) {
    throw new BootError(`${fileName} is not an ELF file (it starts with ${leadingBytes(bytes) || 'nothing: it is empty'})`);
  }
  if (bytes.length < 52) {
    throw new BootError(`${fileName} is truncated: ${bytes.length} bytes is shorter than an ELF header; rebuild or recopy it`);
  }
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) throw new BootError(`${fileName} has an unknown ELF class ${cls} (expected 1 = ELF32 or 2 = ELF64)`);
  if (bytes[5] !== 1) throw new BootError(`${fileName} is a big-endian ELF file; x86 kernels are little-endian`);
  const r = new Reader(bytes, fileName);
  const is64 = cls === 2;
  if (is64 && bytes.length < 64) {
    throw new BootError(`${fileName} is truncated: ${bytes.length} bytes is shorter than an ELF64 header; rebuild or recopy it`);
  }
  const type = r.u16(16);
  const machine = r.u16(18);
  if (machine !== EM_386 && machine !== EM_X86_64) {
    throw new BootError(`${fileName} is an ELF file for machine ${machine}, not x86 (EM_386 = 3 or EM_X86_64 = 62); build it for x86`);
  }
  if (type !== 2) {
    const what = type === 1 ? 'a relocatable object (ET_REL)' : type === 3 ? 'a shared object or PIE (ET_DYN)' : `ELF type ${type}`;
    throw new BootError(`${fileName} is ${what}, not an executable (ET_EXEC); link it with a linker script into a static executable`);
  }
  const entry = is64 ? r.u64(24) : BigInt(r.u32(24));
  const phoff = is64 ? r.u64n(32) : r.u32(28);
  const shoff = is64 ? r.u64n(40) : r.u32(32);
  const o = is64 ? 52 : 40;
  const phentsize = r.u16(o + 2);
  const phnum = r.u16(o + 4);
  const shentsize = r.u16(o + 6);
  const shnum = r.u16(o + 8);
  const shstrndx = r.u16(o + 10);

  const segments = parseSegments(r, is64, phoff, phentsize, phnum);
  const sections = parseSections(r, is64, shoff, shentsize, shnum, shstrndx);
  const symbols = parseSymbols(r, is64, sections);
  return {
    class: is64 ? 64 : 32, machine, type, entry, segments, sections, symbols,
    shoff, shentsize, shnum: sections.length === 0 ? 0 : shnum, shstrndx, bytes,
  };
}

/** Parse the file as ELF when it looks like one, for its symbols; undefined if it is not a valid ELF. */
export function tryParseElf(bytes: Uint8Array, fileName: string): ElfFile | undefined {
  if (!isElf(bytes)) return undefined;
  try {
    return parseElf(bytes, fileName);
  } catch (e) {
    if (e instanceof BootError) return undefined;
    throw e;
  }
}

/** The bytes of the named section ('.debug_line', '.eh_frame' …), or undefined if absent or NOBITS. */
export function sectionBytes(elf: ElfFile, name: string): Uint8Array | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (!s || s.type === SHT_NOBITS) return undefined;
  return elf.bytes.subarray(s.offset, s.offset + s.size);
}

/** The symbol whose [value, value+size) contains `address` (FUNC/OBJECT first), for "in function foo+0x12". */
export function symbolAt(elf: ElfFile, address: bigint): ElfSymbol | undefined {
  let best: ElfSymbol | undefined;
  for (const s of elf.symbols) {
    if (s.type !== 'FUNC' && s.type !== 'OBJECT' && s.type !== 'NOTYPE') continue;
    if (s.sectionIndex === 0 || !s.name) continue;
    const inside = s.size > 0 ? address >= s.value && address < s.value + BigInt(s.size) : address === s.value;
    if (inside && (!best || (best.type === 'NOTYPE' && s.type !== 'NOTYPE'))) best = s;
  }
  return best;
}

function parseSegments(r: Reader, is64: boolean, phoff: number, entsize: number, num: number): ElfSegment[] {
  if (num === 0) return [];
  const need = is64 ? 56 : 32;
  if (entsize < need) throw r.error(`has program headers of ${entsize} bytes (expected ${need})`);
  r.need(phoff, entsize * num, 'its program header table');
  const out: ElfSegment[] = [];
  for (let i = 0; i < num; i++) {
    const p = phoff + i * entsize;
    const seg: ElfSegment = is64
      ? {
          type: r.u32(p), flags: r.u32(p + 4), offset: r.u64n(p + 8), vaddr: r.u64(p + 16), paddr: r.u64(p + 24),
          filesz: r.u64n(p + 32), memsz: r.u64n(p + 40), align: r.u64n(p + 48),
        }
      : {
          type: r.u32(p), offset: r.u32(p + 4), vaddr: BigInt(r.u32(p + 8)), paddr: BigInt(r.u32(p + 12)),
          filesz: r.u32(p + 16), memsz: r.u32(p + 20), flags: r.u32(p + 24), align: r.u32(p + 28),
        };
    if (seg.type === PT_LOAD) {
      r.need(seg.offset, seg.filesz, `its program header ${i} (PT_LOAD at ${hex(seg.paddr)})`);
      if (seg.memsz < seg.filesz) throw r.error(`has a PT_LOAD segment (header ${i}) whose memsz ${hex(seg.memsz)} is smaller than its filesz ${hex(seg.filesz)}`);
    }
    out.push(seg);
  }
  return out;
}

function parseSections(r: Reader, is64: boolean, shoff: number, entsize: number, num: number, shstrndx: number): ElfSection[] {
  // A stripped-of-sections executable (shoff 0) is legal: it just has no names or symbols.
  if (num === 0 || shoff === 0) return [];
  const need = is64 ? 64 : 40;
  if (entsize < need) throw r.error(`has section headers of ${entsize} bytes (expected ${need})`);
  r.need(shoff, entsize * num, 'its section header table');
  const raw: ElfSection[] = [];
  for (let i = 0; i < num; i++) {
    const p = shoff + i * entsize;
    raw.push(is64
      ? {
          index: i, name: '', type: r.u32(p + 4), flags: r.u64(p + 8), addr: r.u64(p + 16), offset: r.u64n(p + 24),
          size: r.u64n(p + 32), link: r.u32(p + 40), info: r.u32(p + 44), addralign: r.u64n(p + 48), entsize: r.u64n(p + 56),
        }
      : {
          index: i, name: '', type: r.u32(p + 4), flags: BigInt(r.u32(p + 8)), addr: BigInt(r.u32(p + 12)), offset: r.u32(p + 16),
          size: r.u32(p + 20), link: r.u32(p + 24), info: r.u32(p + 28), addralign: r.u32(p + 32), entsize: r.u32(p + 36),
        });
    const s = raw[i];
    if (s.type !== SHT_NOBITS && s.type !== 0) r.need(s.offset, s.size, `its section ${i}`);
  }
  const strtab = shstrndx < raw.length ? raw[shstrndx] : undefined;
  for (let i = 0; i < num; i++) {
    const nameOff = r.u32(shoff + i * entsize);
    raw[i].name = strtab && strtab.type === SHT_STRTAB ? r.cstr(strtab.offset, strtab.size, nameOff) : '';
  }
  return raw;
}

const SYM_TYPES: ElfSymbolType[] = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE', 'COMMON', 'TLS'];
const SYM_BINDS = ['LOCAL', 'GLOBAL', 'WEAK'];

function parseSymbols(r: Reader, is64: boolean, sections: ElfSection[]): ElfSymbol[] {
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return [];
  const strtab = sections[symtab.link];
  const entsize = is64 ? 24 : 16;
  if (symtab.entsize !== 0 && symtab.entsize < entsize) throw r.error(`has a symbol table with ${symtab.entsize}-byte entries (expected ${entsize})`);
  const step = symtab.entsize || entsize;
  const count = Math.floor(symtab.size / step);
  const out: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const p = symtab.offset + i * step;
    const nameOff = r.u32(p);
    const info = is64 ? r.u8(p + 4) : r.u8(p + 12);
    const shndx = is64 ? r.u16(p + 6) : r.u16(p + 14);
    const value = is64 ? r.u64(p + 8) : BigInt(r.u32(p + 4));
    const size = is64 ? r.u64n(p + 16) : r.u32(p + 8);
    const name = strtab && strtab.type === SHT_STRTAB ? r.cstr(strtab.offset, strtab.size, nameOff) : '';
    out.push({
      name, value, size,
      type: SYM_TYPES[info & 0xf] ?? 'OTHER',
      bind: SYM_BINDS[info >> 4] ?? 'OTHER',
      sectionIndex: shndx,
      section: shndx > 0 && shndx < 0xff00 && shndx < sections.length ? sections[shndx].name : undefined,
    });
  }
  return out;
}

/** Bounds-checked little-endian reads that turn "past the end" into a BootError naming the file. */
class Reader {
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array, private readonly fileName: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  error(what: string): BootError {
    return new BootError(`${this.fileName} ${what}; it is damaged or not a kernel image`);
  }
  need(offset: number, len: number, what: string): void {
    if (offset < 0 || len < 0 || offset + len > this.bytes.length) {
      throw new BootError(
        `${this.fileName} is truncated: ${what} needs bytes ${hex(offset)}..${hex(offset + len)} but the file has ${hex(this.bytes.length)}; rebuild or recopy it`,
      );
    }
  }
  /**
   * A field read's bounds: need()'s message is built only when the check fails (a kernel's symbol table is
   * hundreds of thousands of fields, and formatting an offset for every one cost more than the parse).
   */
  private field(o: number, len: number): void {
    if (o < 0 || o + len > this.bytes.length) this.need(o, len, `offset ${hex(o)}`);
  }
  u8(o: number): number {
    this.field(o, 1);
    return this.bytes[o];
  }
  u16(o: number): number {
    this.field(o, 2);
    return this.view.getUint16(o, true);
  }
  u32(o: number): number {
    this.field(o, 4);
    return this.view.getUint32(o, true);
  }
  u64(o: number): bigint {
    this.field(o, 8);
    return this.view.getBigUint64(o, true);
  }
  /** A 64-bit offset or size as a number; anything past 2^53 cannot fit any file and is reported as damage. */
  u64n(o: number): number {
    const v = this.u64(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(`has a 64-bit offset or size ${hex(v)} at ${hex(o)} that no file can hold`);
    return Number(v);
  }
  /** NUL-terminated string at table[off] that stays inside the table. */
  cstr(tableOff: number, tableSize: number, off: number): string {
    if (off >= tableSize) return '';
    const end = Math.min(tableOff + tableSize, this.bytes.length);
    let i = tableOff + off;
    let s = '';
    while (i < end && this.bytes[i] !== 0) s += String.fromCharCode(this.bytes[i++]);
    return s;
  }
}

/** PT_NOTE, and the Xen note a PVH kernel carries its 32-bit entry point in (XEN_ELFNOTE_PHYS32_ENTRY). */
export const PT_NOTE = 4;
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

/**
 * The PVH entry point of an ELF kernel (the "Xen" note of type XEN_ELFNOTE_PHYS32_ENTRY in a PT_NOTE segment, a
 * 32- or 64-bit value), which QEMU's -kernel boots through its pvh.bin ROM when there is no multiboot header; or
 * undefined.
 */
export function pvhEntry(elf: ElfFile, bytes: Uint8Array): number | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const seg of elf.segments) {
    if (seg.type !== PT_NOTE) continue;
    const end = Math.min(bytes.length, seg.offset + seg.filesz);
    for (let p = seg.offset; p + 12 <= end;) {
      const namesz = v.getUint32(p, true), descsz = v.getUint32(p + 4, true), type = v.getUint32(p + 8, true);
      const name = p + 12, desc = name + ((namesz + 3) & ~3);
      if (desc + descsz > end) break;
      if (type === XEN_ELFNOTE_PHYS32_ENTRY && namesz === 4 && String.fromCharCode(...bytes.subarray(name, name + 3)) === 'Xen' && bytes[name + 3] === 0 && (descsz === 4 || descsz === 8)) {
        return descsz === 4 ? v.getUint32(desc, true) : Number(v.getBigUint64(desc, true));
      }
      p = desc + ((descsz + 3) & ~3);
    }
  }
  return undefined;
}
