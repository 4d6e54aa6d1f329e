import { BootDisplay, requestFramebuffer } from './framebuffer';
import { latin1Bytes } from '../bytes';
import { PhysicalMemory } from '../memory/phys';
import { ElfFile, isElf, parseElf, tryParseElf } from './elf';
import { BootError, hex, leadingBytes } from './errors';
import { PAGE_SIZE } from '../memory/phys';
import { basicMemory } from '../firmware/e820';
import { LowMemory } from '../firmware/lowmem';
import { CR0_ET, CR0_PE, EFLAGS_AT_ENTRY, EntryState, loaderRegisters } from './entry-state';
import {
  BOOT_CS, BOOT_DS, ModuleInput, Range, alignUp, checkRam, copySectionTable, elfEntry, infoArena,
  loadAout, loadElfSegments, placeModules, write64, writeBootGdt,
} from './loader';

/**
 * Multiboot 0.6.96 (what QEMU's -kernel understands): header search, kernel placement, the boot information
 * structure (§3.3) and the entry state (§3.2).
 */

export const MB1_HEADER_MAGIC = 0x1badb002;
export const MB1_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie completely inside the first 8 KiB, 4-byte aligned (§3.1). */
export const MB1_SEARCH_LIMIT = 8192;
/** The boot loader name in the multiboot information (QEMU writes "qemu"). */
export const LOADER_NAME = 'qemu';

export const MB1_FLAG_PAGE_ALIGN = 1 << 0;
export const MB1_FLAG_MEMORY_INFO = 1 << 1;
export const MB1_FLAG_VIDEO_MODE = 1 << 2;
export const MB1_FLAG_AOUT_KLUDGE = 1 << 16;

/** Info flags the loader sets (§3.3). */
export const MBI_MEMORY = 1 << 0;
export const MBI_BOOT_DEVICE = 1 << 1;
export const MBI_CMDLINE = 1 << 2;
export const MBI_MODS = 1 << 3;
export const MBI_ELF_SHDR = 1 << 5;
export const MBI_MMAP = 1 << 6;
export const MBI_BOOT_LOADER_NAME = 1 << 9;
export const MBI_FRAMEBUFFER = 1 << 12;

/** Byte offsets in the multiboot_info structure (§3.3). */
export const MBI = {
  flags: 0, memLower: 4, memUpper: 8, bootDevice: 12, cmdline: 16, modsCount: 20, modsAddr: 24,
  symsNum: 28, symsSize: 32, symsAddr: 36, symsShndx: 40, mmapLength: 44, mmapAddr: 48,
  bootLoaderName: 64, framebufferAddr: 88, framebufferPitch: 96, framebufferWidth: 100, framebufferHeight: 104,
  framebufferBpp: 108, framebufferType: 109, colorInfo: 110, size: 116,
} as const;

export interface Multiboot1Header {
  /** File offset of the magic. */
  offset: number;
  flags: number;
  checksum: number;
  /** a.out kludge fields, valid when flags bit 16 is set. */
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

export interface Multiboot1Options {
  cmdline?: string;
  modules?: ModuleInput[];
  fileName?: string;
  /** What the firmware left in memory (firmware/lowmem.ts): the e820 map comes from it. */
  lowMemory: LowMemory;
  /** The display for a video mode request (flag bit 2, mode_type 0): set a VBE mode as GRUB does. */
  display?: BootDisplay;
}

/** The first valid multiboot1 header (magic + checksum) in the first 8 KiB, or undefined. */
export function findMultiboot1Header(bytes: Uint8Array): Multiboot1Header | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(MB1_SEARCH_LIMIT, bytes.length);
  for (let i = 0; i + 12 <= end; i += 4) {
    if (v.getUint32(i, true) !== MB1_HEADER_MAGIC) continue;
    const flags = v.getUint32(i + 4, true);
    const checksum = v.getUint32(i + 8, true);
    if (((MB1_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) continue;
    const at = (k: number) => (i + k + 4 <= bytes.length ? v.getUint32(i + k, true) : 0);
    return {
      offset: i, flags, checksum,
      headerAddr: at(12), loadAddr: at(16), loadEndAddr: at(20), bssEndAddr: at(24), entryAddr: at(28),
    };
  }
  return undefined;
}

/** Offset of a multiboot1 magic whose checksum is wrong (for a precise error), or undefined. */
export function findBadMultiboot1Magic(bytes: Uint8Array): number | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 12 <= Math.min(MB1_SEARCH_LIMIT, bytes.length); i += 4) {
    if (v.getUint32(i, true) === MB1_HEADER_MAGIC) return i;
  }
  return undefined;
}

/**
 * Load a multiboot1 kernel whose header was found, place modules and the boot information, and return the
 * entry state. With flag bit 16 the header's addresses decide placement even for ELF files (as QEMU does);
 * otherwise the ELF's PT_LOAD segments go to p_paddr. Modules are always page-aligned, which satisfies
 * flag bit 0; memory information (bit 1) is always provided; a video mode request (bit 2) for a graphics mode
 * is honoured as GRUB does when a display is given (QEMU's -kernel ignores it).
 */
export function bootMultiboot1(bytes: Uint8Array, phys: PhysicalMemory, header: Multiboot1Header, opts: Multiboot1Options): EntryState {
  const fileName = opts.fileName ?? 'the kernel';
  let elf: ElfFile | undefined;
  let kernel: Range;
  let entry: number;
  if (header.flags & MB1_FLAG_AOUT_KLUDGE) {
    if (header.offset + 32 > bytes.length) {
      throw new BootError(`${fileName} is truncated inside its multiboot header at ${hex(header.offset)}; rebuild or recopy it`);
    }
    elf = tryParseElf(bytes, fileName);
    kernel = loadAout(bytes, header.offset, header, phys, fileName);
    entry = header.entryAddr;
  } else {
    if (!isElf(bytes)) {
      throw new BootError(
        `${fileName} is not an ELF file (it starts with ${leadingBytes(bytes)}) and its multiboot header at ${hex(header.offset)} does not set flag bit 16 with load addresses; link it as an ELF executable or add the a.out kludge fields`,
      );
    }
    elf = parseElf(bytes, fileName);
    kernel = loadElfSegments(elf, phys);
    entry = elfEntry(elf, fileName);
  }

  // QEMU's layout (hw/i386/multiboot.c): right after the page-aligned end of the kernel, the module list,
  // the command lines (the modules', then the kernel's "<file name> <cmdline>") and the boot loader name;
  // the modules follow, each on a page boundary.
  const inputs = opts.modules ?? [];
  const kernelCmdline = opts.fileName !== undefined ? `${opts.fileName} ${opts.cmdline ?? ''}` : opts.cmdline ?? '';
  const latin1 = (t: string) => latin1Bytes(t, true);
  const modCmdlines = inputs.map((m) => latin1(m.cmdline ?? m.name));
  const cmdlineBytes = latin1(kernelCmdline);
  const nameBytes = latin1(LOADER_NAME);
  const modsAddr = alignUp(kernel.end, PAGE_SIZE);
  let at = modsAddr + 16 * inputs.length;
  const modCmdlineAddrs = modCmdlines.map((b) => { const a = at; at += b.length; return a; });
  const cmdlineAddr = at;
  at += cmdlineBytes.length;
  const nameAddr = at;
  at += nameBytes.length;
  checkRam(phys, modsAddr, at - modsAddr, 'the multiboot command lines');
  phys.load(modsAddr, new Uint8Array(16 * inputs.length));
  modCmdlines.forEach((b, i) => phys.load(modCmdlineAddrs[i], b));
  phys.load(cmdlineAddr, cmdlineBytes);
  phys.load(nameAddr, nameBytes);
  const mods = placeModules(phys, at, inputs);
  mods.placed.forEach((m, i) => {
    const p = modsAddr + i * 16;
    phys.write(p, 4, m.start);
    phys.write(p + 4, 4, m.end);
    phys.write(p + 8, 4, modCmdlineAddrs[i]);
  });
  let end = mods.end;
  let sections: { table: Uint8Array; end: number } | undefined;
  // With the a.out kludge the image is loaded raw, so (like QEMU and GRUB) no ELF section table is passed:
  // flags bit 5 stays clear. The parsed ELF is still returned for the debugger's symbols.
  if (elf && elf.shnum > 0 && !(header.flags & MB1_FLAG_AOUT_KLUDGE)) {
    sections = copySectionTable(elf, phys, end);
    end = sections.end;
  }
  const { arena, gdtBase } = infoArena(phys, [kernel, { start: kernel.end, end }]);
  const gdt = writeBootGdt(phys, gdtBase);

  // Like QEMU: the e820 map first, the info structure 0x500 bytes later (0x9000 / 0x9500 in low memory).
  const map = opts.lowMemory.e820;
  const mmapAddr = arena.alloc(map.length * 24, 4);
  map.forEach((r, i) => {
    const p = mmapAddr + i * 24;
    phys.write(p, 4, 20); // size of the entry after this field
    write64(phys, p + 4, r.base);
    write64(phys, p + 12, r.length);
    phys.write(p + 20, 4, r.type);
  });
  arena.next = Math.max(arena.next, mmapAddr + 0x500);
  const mbi = arena.alloc(MBI.size, 4);

  const mem = basicMemory(phys.size);
  let flags = MBI_MEMORY | MBI_BOOT_DEVICE | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_BOOT_LOADER_NAME;
  phys.write(mbi + MBI.memLower, 4, mem.lower);
  phys.write(mbi + MBI.memUpper, 4, mem.upper);
  phys.write(mbi + MBI.bootDevice, 4, 0x8000ffff); // first BIOS hard disk, no partition (QEMU's value)
  phys.write(mbi + MBI.cmdline, 4, cmdlineAddr);
  phys.write(mbi + MBI.modsCount, 4, mods.placed.length);
  phys.write(mbi + MBI.modsAddr, 4, modsAddr);
  if (elf && sections) {
    flags |= MBI_ELF_SHDR;
    phys.write(mbi + MBI.symsNum, 4, elf.shnum);
    phys.write(mbi + MBI.symsSize, 4, elf.shentsize);
    phys.write(mbi + MBI.symsAddr, 4, arena.bytes(sections.table));
    phys.write(mbi + MBI.symsShndx, 4, elf.shstrndx);
  }
  phys.write(mbi + MBI.mmapLength, 4, map.length * 24);
  phys.write(mbi + MBI.mmapAddr, 4, mmapAddr);
  phys.write(mbi + MBI.bootLoaderName, 4, nameAddr);
  // Flag bit 2 with mode_type 0 asks for a linear graphics mode (§3.1.4); GRUB sets it and fills the
  // framebuffer fields (info flag 12). QEMU's own -kernel loader ignores the request.
  if (header.flags & MB1_FLAG_VIDEO_MODE && opts.display && header.offset + 48 <= bytes.length) {
    const hv = new DataView(bytes.buffer, bytes.byteOffset + header.offset, 48);
    if (hv.getUint32(32, true) === 0) {
      const g = requestFramebuffer(opts.display, hv.getUint32(36, true), hv.getUint32(40, true), hv.getUint32(44, true));
      flags |= MBI_FRAMEBUFFER;
      write64(phys, mbi + MBI.framebufferAddr, g.address);
      phys.write(mbi + MBI.framebufferPitch, 4, g.pitch);
      phys.write(mbi + MBI.framebufferWidth, 4, g.width);
      phys.write(mbi + MBI.framebufferHeight, 4, g.height);
      phys.write(mbi + MBI.framebufferBpp, 1, g.bpp);
      phys.write(mbi + MBI.framebufferType, 1, 1);
      [g.red[0], g.red[1], g.green[0], g.green[1], g.blue[0], g.blue[1]].forEach((b, i) => phys.write(mbi + MBI.colorInfo + i, 1, b));
    }
  }
  phys.write(mbi + MBI.flags, 4, flags);

  return {
    protocol: 'multiboot1', entry, eax: MB1_BOOTLOADER_MAGIC, ebx: mbi,
    gdtBase: gdt.base, gdtLimit: gdt.limit, cs: BOOT_CS, ds: BOOT_DS,
    cr0: CR0_PE | CR0_ET, eflags: EFLAGS_AT_ENTRY, regs: loaderRegisters(entry, mem.upper), a20: true,
    elf, infoAddress: mbi, kernelRange: kernel, modules: mods.placed,
    blocks: { image: { start: kernel.start, end }, info: { start: mbi, end: arena.next } },
  };
}
