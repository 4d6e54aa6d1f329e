import { latin1Bytes } from '../bytes';
import { PhysicalMemory, PAGE_SIZE } from '../memory/phys';
import { BootError, hex } from './errors';
import { ElfFile, PT_LOAD, SHT_NOBITS, SHT_STRTAB, SHT_SYMTAB } from './elf';

/**
 * What multiboot1 and multiboot2 share: placing the kernel (ELF segments or a.out-kludge load addresses),
 * modules after it, the flat GDT, the e820-style memory map, and a bump allocator for the boot information.
 */

export interface Range {
  start: number;
  end: number;
}

export interface PlacedModule {
  name: string;
  start: number;
  end: number;
  /** The module's command line (its name when none was given). */
  cmdline: string;
}

export interface ModuleInput {
  name: string;
  data: Uint8Array;
  cmdline?: string;
}

/**
 * QEMU's `-initrd` for a multiboot kernel (hw/i386/multiboot.c): modules separated by commas (",," is a comma in a
 * name), each "FILE" or "FILE ARGS"; the whole text is the module's string in the boot information, as written,
 * and FILE (up to the first space) is what is loaded. An empty entry is a BootError sentence.
 */
export function parseModuleList(spec: string): { file: string; cmdline: string }[] {
  const out: { file: string; cmdline: string }[] = [];
  let cur = '';
  for (let i = 0; i <= spec.length; i++) {
    if (i < spec.length && spec[i] === ',' && spec[i + 1] === ',') { cur += ','; i++; continue; }
    if (i < spec.length && spec[i] !== ',') { cur += spec[i]; continue; }
    const space = cur.indexOf(' ');
    const file = space < 0 ? cur : cur.slice(0, space);
    if (!file) throw new BootError(`the module list '${spec}' has an empty entry; give modules as FILE[ ARGS], separated by commas (",," for a comma in a name), as qemu -initrd takes them`);
    out.push({ file, cmdline: cur });
    cur = '';
  }
  return out;
}

/** Flat selectors of the boot GDT (the same numbers QEMU's multiboot option ROM uses). */
export const BOOT_CS = 0x08;
export const BOOT_DS = 0x10;
/**
 * The boot GDT lives where QEMU 7.2's multiboot option ROM has it (the ROM is copied to 0xca000, after the
 * VGA BIOS, and its GDT is at offset 0x2b8), outside the RAM the e820 map offers; the boot information starts
 * at INFO_BASE (QEMU: e820 map 0x9000, MBI 0x9500).
 */
export const GDT_BASE = 0xca2b8;
export const INFO_BASE = 0x9000;
/** End of conventional memory that is free (the EBDA starts at 0x9fc00). */
export const LOW_END = 0x9fc00;

const MiB = 1024 * 1024;

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Throw the user-facing "raise memoryMB" error unless [start, start+len) is inside RAM. */
export function checkRam(phys: PhysicalMemory, start: number, len: number, what: string): void {
  if (start >= 0 && start + len <= phys.size) return;
  const needMiB = Math.ceil((start + len) / MiB);
  throw new BootError(
    `${what} at ${hex(start)} needs ${needMiB} MiB of RAM; the machine has ${Math.floor(phys.size / MiB)} MiB: raise memoryMB`,
  );
}

/** Copy every PT_LOAD segment to its physical address (p_paddr) and zero its bss (memsz past filesz). */
export function loadElfSegments(elf: ElfFile, phys: PhysicalMemory): Range {
  let start = Infinity;
  let end = 0;
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || seg.memsz === 0) continue;
    if (seg.paddr > BigInt(Number.MAX_SAFE_INTEGER)) checkRam(phys, Number.MAX_SAFE_INTEGER, 0, 'segment');
    const at = Number(seg.paddr);
    checkRam(phys, at, seg.memsz, 'segment');
    phys.load(at, elf.bytes.subarray(seg.offset, seg.offset + seg.filesz));
    if (seg.memsz > seg.filesz) phys.load(at + seg.filesz, new Uint8Array(seg.memsz - seg.filesz));
    start = Math.min(start, at);
    end = Math.max(end, at + seg.memsz);
  }
  if (end === 0) throw new BootError('the kernel has no loadable (PT_LOAD) segments; check its linker script');
  return { start, end };
}

/**
 * The ELF entry point as a physical address. e_entry is virtual; when it falls inside a segment whose
 * p_vaddr differs from p_paddr (a higher-half kernel), translate it the way GRUB does.
 */
export function elfEntry(elf: ElfFile, fileName: string): number {
  let entry = elf.entry;
  const inPhys = elf.segments.some((s) => s.type === PT_LOAD && entry >= s.paddr && entry < s.paddr + BigInt(s.memsz));
  if (!inPhys) {
    const seg = elf.segments.find((s) => s.type === PT_LOAD && entry >= s.vaddr && entry < s.vaddr + BigInt(s.memsz));
    if (seg) entry = entry - seg.vaddr + seg.paddr;
  }
  if (entry > 0xffffffffn) {
    throw new BootError(
      `${fileName} has entry point ${hex(entry)}, above 4 GiB; multiboot starts the kernel in 32-bit protected mode, so link a 32-bit entry stub (e.g. _start in a .boot section at a low address)`,
    );
  }
  return Number(entry);
}

/** a.out kludge addresses (multiboot1 flag bit 16, multiboot2 address tag). 0 means "not given". */
export interface AoutAddresses {
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
}

/**
 * Load the file by the header's addresses: file offset `headerOffset` corresponds to headerAddr, loading
 * starts at loadAddr and runs to loadEndAddr (or the end of the file), then zeroes up to bssEndAddr.
 */
export function loadAout(bytes: Uint8Array, headerOffset: number, a: AoutAddresses, phys: PhysicalMemory, fileName: string): Range {
  if (a.headerAddr < a.loadAddr || a.headerAddr - a.loadAddr > headerOffset) {
    throw new BootError(
      `${fileName}'s multiboot header says header_addr ${hex(a.headerAddr)} and load_addr ${hex(a.loadAddr)}, which do not fit the header's file offset ${hex(headerOffset)}; fix the addresses in the header`,
    );
  }
  const fileStart = headerOffset - (a.headerAddr - a.loadAddr);
  let loadSize: number;
  if (a.loadEndAddr) {
    if (a.loadEndAddr < a.loadAddr) {
      throw new BootError(`${fileName}'s multiboot header has load_end_addr ${hex(a.loadEndAddr)} below load_addr ${hex(a.loadAddr)}; fix the header`);
    }
    loadSize = a.loadEndAddr - a.loadAddr;
    if (fileStart + loadSize > bytes.length) {
      throw new BootError(
        `${fileName} is truncated: its multiboot header asks to load ${hex(loadSize)} bytes from file offset ${hex(fileStart)} but the file has ${hex(bytes.length)} bytes; rebuild or recopy it`,
      );
    }
  } else {
    loadSize = bytes.length - fileStart;
  }
  let total = loadSize;
  if (a.bssEndAddr) {
    if (a.bssEndAddr < a.loadAddr + loadSize) {
      throw new BootError(`${fileName}'s multiboot header has bss_end_addr ${hex(a.bssEndAddr)} below the end of the loaded image ${hex(a.loadAddr + loadSize)}; fix the header`);
    }
    total = a.bssEndAddr - a.loadAddr;
  }
  checkRam(phys, a.loadAddr, total, 'segment');
  phys.load(a.loadAddr, bytes.subarray(fileStart, fileStart + loadSize));
  if (total > loadSize) phys.load(a.loadAddr + loadSize, new Uint8Array(total - loadSize));
  return { start: a.loadAddr, end: a.loadAddr + total };
}

/** Place modules one after another from `after`, each at an `align`-byte boundary (QEMU: always a page). */
export function placeModules(phys: PhysicalMemory, after: number, modules: ModuleInput[], align = PAGE_SIZE): { placed: PlacedModule[]; end: number } {
  let at = alignUp(after, align);
  const placed: PlacedModule[] = [];
  for (const m of modules) {
    checkRam(phys, at, m.data.length, `module ${m.name}`);
    phys.load(at, m.data);
    placed.push({ name: m.name, start: at, end: at + m.data.length, cmdline: m.cmdline ?? m.name });
    at = alignUp(at + m.data.length, align);
  }
  return { placed, end: at };
}

/**
 * The section header table for the kernel (multiboot1 syms.elf, multiboot2 tag 9). Like GRUB, symbol and
 * string tables that are not part of a loaded segment (sh_addr 0) are copied to RAM from `at` and their
 * sh_addr is patched to point there, so a kernel can symbolize its own backtraces. Other unloaded sections
 * (debug info) keep sh_addr 0: they can be megabytes and the kernel never needs them.
 */
export function copySectionTable(elf: ElfFile, phys: PhysicalMemory, at: number): { table: Uint8Array; end: number } {
  // A copy in a buffer of its own: the kernel image may be a Node Buffer (fs.readFileSync), whose slice() is a view
  // of the caller's bytes (patching it would corrupt the image booted again on reset).
  const table = new Uint8Array(elf.bytes.subarray(elf.shoff, elf.shoff + elf.shnum * elf.shentsize));
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  let next = alignUp(at, PAGE_SIZE);
  for (const s of elf.sections) {
    if (s.addr !== 0n || s.size === 0 || s.type === SHT_NOBITS) continue;
    if (s.type !== SHT_SYMTAB && s.type !== SHT_STRTAB) continue;
    checkRam(phys, next, s.size, `section ${s.name || s.index}`);
    phys.load(next, elf.bytes.subarray(s.offset, s.offset + s.size));
    const p = s.index * elf.shentsize;
    if (elf.class === 64) view.setBigUint64(p + 16, BigInt(next), true);
    else view.setUint32(p + 12, next, true);
    next = alignUp(next + s.size, 16);
  }
  return { table, end: next };
}

/** Little-endian 64-bit write of a number (< 2^53). */
export function write64(phys: PhysicalMemory, addr: number, value: number): void {
  phys.write(addr, 4, value % 0x1_0000_0000);
  phys.write(addr + 4, 4, Math.floor(value / 0x1_0000_0000));
}

/** Bump allocator for boot information in guest RAM; every allocation is zero-filled. */
export class InfoArena {
  constructor(private readonly phys: PhysicalMemory, public next: number, private readonly limit: number) {}

  alloc(size: number, align = 8): number {
    const at = alignUp(this.next, align);
    if (at + size > this.limit) {
      throw new BootError(`the boot information (${size} bytes at ${hex(at)}) does not fit in RAM; raise memoryMB or pass fewer modules`);
    }
    this.phys.load(at, new Uint8Array(size));
    this.next = at + size;
    return at;
  }

  /** A NUL-terminated byte string (Latin-1 / ASCII). */
  string(s: string): number {
    const bytes = latin1Bytes(s, true);
    const at = this.alloc(bytes.length, 1);
    this.phys.load(at, bytes);
    return at;
  }

  bytes(data: Uint8Array, align = 8): number {
    const at = this.alloc(data.length, align);
    this.phys.load(at, data);
    return at;
  }
}

/**
 * Where the GDT and boot information go: the GDT at QEMU's option-ROM address and the info from 0x9000 (like
 * QEMU) unless the kernel or its modules occupy them; then right after the highest thing placed.
 */
export function infoArena(phys: PhysicalMemory, used: Range[]): { arena: InfoArena; gdtBase: number } {
  const top = alignUp(Math.max(...used.map((r) => r.end)), PAGE_SIZE);
  const overlaps = (start: number, end: number) => used.some((r) => r.start < end && r.end > start);
  const gdtBase = !overlaps(GDT_BASE, GDT_BASE + BOOT_GDT_SIZE) && phys.size >= GDT_BASE + BOOT_GDT_SIZE ? GDT_BASE : top;
  if (!overlaps(INFO_BASE, LOW_END) && phys.size >= LOW_END) return { arena: new InfoArena(phys, INFO_BASE, LOW_END), gdtBase };
  return { arena: new InfoArena(phys, top + 0x1000, phys.size), gdtBase };
}

const BOOT_GDT_SIZE = 40;

/**
 * The GDT QEMU's multiboot option ROM leaves (pc-bios/optionrom/multiboot.S), byte for byte as the kernel
 * finds it: 0x00 null, 0x08 32-bit code base 0 limit 4 GiB execute/read, 0x10 32-bit data base 0 limit 4 GiB
 * read/write (accessed: the ROM loaded DS..SS with it), 0x18 16-bit code and 0x20 16-bit data, base 0 limit
 * 64 KiB (the ROM's real-mode return path).
 */
export function writeBootGdt(phys: PhysicalMemory, base: number): { base: number; limit: number } {
  const gdt = new Uint8Array(BOOT_GDT_SIZE);
  const v = new DataView(gdt.buffer);
  v.setUint32(8, 0x0000ffff, true);
  v.setUint32(12, 0x00cf9a00, true); // G=1 D=1, P=1 DPL0 S=1 type 0xA (code, execute/read)
  v.setUint32(16, 0x0000ffff, true);
  v.setUint32(20, 0x00cf9300, true); // type 0x3 (data, read/write, accessed)
  v.setUint32(24, 0x0000ffff, true);
  v.setUint32(28, 0x00009e00, true); // 16-bit code, execute/read, conforming
  v.setUint32(32, 0x0000ffff, true);
  v.setUint32(36, 0x00009200, true); // 16-bit data, read/write
  checkRam(phys, base, gdt.length, 'the boot GDT');
  phys.load(base, gdt);
  return { base, limit: gdt.length - 1 };
}
