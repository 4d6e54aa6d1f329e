import { BootDisplay, FramebufferInfo, requestFramebuffer } from './framebuffer';
import { latin1Bytes } from '../bytes';
import { PhysicalMemory } from '../memory/phys';
import { ElfFile, isElf, parseElf, tryParseElf } from './elf';
import { BootError, hex, leadingBytes } from './errors';
import { basicMemory } from '../firmware/e820';
import { LowMemory } from '../firmware/lowmem';
import { CR0_ET, CR0_PE, EFLAGS_AT_ENTRY, EntryState, loaderRegisters } from './entry-state';
import {
  BOOT_CS, BOOT_DS, InfoArena, ModuleInput, Range, copySectionTable, elfEntry,
  infoArena, loadAout, loadElfSegments, placeModules, writeBootGdt,
} from './loader';

/**
 * Multiboot2 (specification 2.0): header and header tags (§3.1), boot information tags (§3.6), entry state
 * (§3.3, the same 32-bit flat protected mode as multiboot1).
 */

export const MB2_HEADER_MAGIC = 0xe85250d6;
export const MB2_BOOTLOADER_MAGIC = 0x36d76289;
/** The header must lie completely inside the first 32 KiB, 8-byte aligned (§3.1.1). */
export const MB2_SEARCH_LIMIT = 32768;

/** Header tag types (§3.1.3 … §3.1.12). */
export const MB2_HEADER_TAG = {
  end: 0, informationRequest: 1, address: 2, entryAddress: 3, consoleFlags: 4, framebuffer: 5,
  moduleAlign: 6, efiBootServices: 7, efiI386Entry: 8, efiAmd64Entry: 9, relocatable: 10,
} as const;

/** Boot information tag types (§3.6). */
export const MB2_INFO_TAG = {
  end: 0, cmdline: 1, bootLoaderName: 2, module: 3, basicMeminfo: 4, bootdev: 5, mmap: 6, vbe: 7,
  framebuffer: 8, elfSections: 9, apm: 10, acpiOld: 14, acpiNew: 15, loadBaseAddr: 21,
} as const;

const INFO_TAG_NAMES: Record<number, string> = {
  1: 'command line', 2: 'boot loader name', 3: 'modules', 4: 'basic memory information', 5: 'BIOS boot device',
  6: 'memory map', 7: 'VBE info', 8: 'framebuffer info', 9: 'ELF symbols', 10: 'APM table', 11: 'EFI 32-bit system table',
  12: 'EFI 64-bit system table', 13: 'SMBIOS tables', 14: 'ACPI old RSDP', 15: 'ACPI new RSDP', 16: 'networking information',
  17: 'EFI memory map', 18: 'EFI boot services not terminated', 19: 'EFI 32-bit image handle', 20: 'EFI 64-bit image handle',
  21: 'image load base address',
};

/**
 * Information tags this loader writes (15 when the RSDP has revision 2 or later, as GRUB); anything else
 * requested without the optional flag is an error.
 */
const PROVIDED = new Set([1, 2, 3, 4, 5, 6, 8, 9, 10, 14, 15, 21]);

export interface Multiboot2HeaderTag {
  type: number;
  /** Bit 0: optional (the loader may ignore it). */
  flags: number;
  size: number;
  /** File offset of the tag. */
  offset: number;
  /** The tag's u32 fields after type/flags/size. */
  fields: number[];
}

export interface Multiboot2Header {
  offset: number;
  architecture: number;
  headerLength: number;
  tags: Multiboot2HeaderTag[];
}

export interface Multiboot2Options {
  cmdline?: string;
  modules?: ModuleInput[];
  fileName?: string;
  /** What the firmware left in memory (firmware/lowmem.ts): the e820 map and the RSDP come from it. */
  lowMemory: LowMemory;
  /** The display for a framebuffer tag (type 5): set a VBE mode and describe it (boot/framebuffer.ts). */
  display?: BootDisplay;
}

/** The first multiboot2 header with a valid checksum in the first 32 KiB, with its tags parsed. */
export function findMultiboot2Header(bytes: Uint8Array, fileName = 'the kernel'): Multiboot2Header | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(MB2_SEARCH_LIMIT, bytes.length);
  for (let i = 0; i + 16 <= end; i += 8) {
    if (v.getUint32(i, true) !== MB2_HEADER_MAGIC) continue;
    const architecture = v.getUint32(i + 4, true);
    const headerLength = v.getUint32(i + 8, true);
    const checksum = v.getUint32(i + 12, true);
    if (((MB2_HEADER_MAGIC + architecture + headerLength + checksum) >>> 0) !== 0) continue;
    return { offset: i, architecture, headerLength, tags: parseHeaderTags(v, i, headerLength, fileName) };
  }
  return undefined;
}

/** Offset of a multiboot2 magic whose checksum is wrong (for a precise error), or undefined. */
export function findBadMultiboot2Magic(bytes: Uint8Array): number | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 16 <= Math.min(MB2_SEARCH_LIMIT, bytes.length); i += 8) {
    if (v.getUint32(i, true) === MB2_HEADER_MAGIC) return i;
  }
  return undefined;
}

function parseHeaderTags(v: DataView, start: number, length: number, fileName: string): Multiboot2HeaderTag[] {
  const tags: Multiboot2HeaderTag[] = [];
  const limit = Math.min(start + length, v.byteLength);
  let p = start + 16;
  while (p + 8 <= limit) {
    const type = v.getUint16(p, true);
    const flags = v.getUint16(p + 2, true);
    const size = v.getUint32(p + 4, true);
    if (type === MB2_HEADER_TAG.end) return tags;
    if (size < 8 || p + size > limit) {
      throw new BootError(`${fileName}'s multiboot2 header tag ${type} at ${hex(p)} has size ${size}, which runs past the header (header_length ${length}); fix the header tags`);
    }
    const fields: number[] = [];
    for (let k = 8; k + 4 <= size; k += 4) fields.push(v.getUint32(p + k, true));
    tags.push({ type, flags, size, offset: p, fields });
    p += (size + 7) & ~7;
  }
  throw new BootError(`${fileName}'s multiboot2 header has no end tag (type 0, size 8) within its header_length ${length}; end the tag list with one`);
}

/**
 * Load a multiboot2 kernel and return its entry state. An address tag places the image like multiboot1's
 * a.out kludge; otherwise the ELF's PT_LOAD segments go to p_paddr. A relocatable tag is honoured by loading at
 * the preferred (linked) address, which the spec allows. Modules are always page-aligned (satisfies tag 6).
 */
export function bootMultiboot2(bytes: Uint8Array, phys: PhysicalMemory, header: Multiboot2Header, opts: Multiboot2Options): EntryState {
  const fileName = opts.fileName ?? 'the kernel';
  if (header.architecture !== 0) {
    throw new BootError(`${fileName}'s multiboot2 header is for architecture ${header.architecture} (4 = MIPS); x86 kernels use architecture 0 (i386 protected mode)`);
  }
  const tag = (type: number) => header.tags.find((t) => t.type === type);
  checkTags(header, fileName);

  let elf: ElfFile | undefined;
  let kernel: Range;
  const address = tag(MB2_HEADER_TAG.address);
  if (address) {
    if (address.fields.length < 4) throw new BootError(`${fileName}'s multiboot2 address tag is ${address.size} bytes (expected 24); fix the header`);
    const [headerAddr, rawLoad, loadEndAddr, bssEndAddr] = address.fields;
    // load_addr -1: the text segment starts at the beginning of the file (§3.1.5).
    const loadAddr = rawLoad === 0xffffffff ? headerAddr - header.offset : rawLoad;
    elf = tryParseElf(bytes, fileName);
    kernel = loadAout(bytes, header.offset, { headerAddr, loadAddr, loadEndAddr, bssEndAddr }, phys, fileName);
  } else {
    if (!isElf(bytes)) {
      throw new BootError(
        `${fileName} is not an ELF file (it starts with ${leadingBytes(bytes)}) and its multiboot2 header has no address tag; link it as an ELF executable or add an address tag`,
      );
    }
    elf = parseElf(bytes, fileName);
    kernel = loadElfSegments(elf, phys);
  }
  const entryTag = tag(MB2_HEADER_TAG.entryAddress);
  let entry: number;
  if (entryTag && entryTag.fields.length >= 1) entry = entryTag.fields[0];
  else if (elf && !address) entry = elfEntry(elf, fileName);
  else throw new BootError(`${fileName}'s multiboot2 header has an address tag but no entry address tag (type 3); add one`);

  const mods = placeModules(phys, kernel.end, opts.modules ?? []);
  let end = mods.end;
  let sections: { table: Uint8Array; end: number } | undefined;
  if (elf && elf.shnum > 0) {
    sections = copySectionTable(elf, phys, end);
    end = sections.end;
  }
  const { arena, gdtBase } = infoArena(phys, [kernel, { start: kernel.end, end }]);
  const gdt = writeBootGdt(phys, gdtBase);
  // A framebuffer tag asks for a graphics mode (§3.1.10): set it as GRUB does and describe it (RGB, type 1).
  const fbTag = tag(MB2_HEADER_TAG.framebuffer);
  const graphics = fbTag && opts.display ? requestFramebuffer(opts.display, fbTag.fields[0] ?? 0, fbTag.fields[1] ?? 0, fbTag.fields[2] ?? 0) : undefined;
  const info = writeInfo(arena, phys, {
    cmdline: opts.cmdline ?? '', mods: mods.placed, elf, sections: sections?.table, loadBase: kernel.start, low: opts.lowMemory, graphics,
  });

  return {
    protocol: 'multiboot2', entry, eax: MB2_BOOTLOADER_MAGIC, ebx: info,
    gdtBase: gdt.base, gdtLimit: gdt.limit, cs: BOOT_CS, ds: BOOT_DS,
    cr0: CR0_PE | CR0_ET, eflags: EFLAGS_AT_ENTRY, regs: loaderRegisters(entry, basicMemory(phys.size).upper), a20: true,
    elf, infoAddress: info, kernelRange: kernel, modules: mods.placed,
    blocks: { image: { start: kernel.start, end }, info: { start: info, end: info + phys.read(info, 4) } },
  };
}

/** Refuse required tags we cannot honour (§3.1.3: a loader must fail on them). */
function checkTags(header: Multiboot2Header, fileName: string): void {
  for (const t of header.tags) {
    const optional = (t.flags & 1) !== 0;
    if (t.type === MB2_HEADER_TAG.informationRequest) {
      for (const type of t.fields) {
        if (!optional && !PROVIDED.has(type)) {
          throw new BootError(
            `${fileName}'s multiboot2 header requires boot information tag ${type} (${INFO_TAG_NAMES[type] ?? 'unknown'}), which Faultline does not provide; mark the information request tag optional (flags = 1) or drop that type`,
          );
        }
      }
    } else if (t.type > MB2_HEADER_TAG.relocatable && !optional) {
      throw new BootError(`${fileName}'s multiboot2 header has a required tag of unknown type ${t.type}; mark it optional (flags = 1) or remove it`);
    }
  }
}

interface InfoContent {
  cmdline: string;
  mods: { start: number; end: number; cmdline: string }[];
  elf?: ElfFile;
  sections?: Uint8Array;
  /** Physical address the image was loaded at (its lowest loaded byte). */
  loadBase: number;
  low: LowMemory;
  /** A graphics mode set for a framebuffer tag: its RGB info replaces the text-mode tag. */
  graphics?: FramebufferInfo;
}

/**
 * Build the boot information: total_size, reserved, then 8-byte-aligned tags and the end tag (§3.6), in the
 * order GRUB 2.06 writes them under QEMU (fixtures/golden/lowmem-probe-mb2.serial.txt): load base address,
 * command line, boot loader name, modules, APM (Faultline's 32-bit APM interface, firmware/apm32.inc), memory
 * map, ELF sections, basic memory, boot device, framebuffer (VGA text mode, as GRUB reports it), ACPI RSDP
 * (tag 14 for a revision-0 RSDP; tag 15 for revision 2+).
 */
function writeInfo(arena: InfoArena, phys: PhysicalMemory, c: InfoContent): number {
  const tags: Uint8Array[] = [];
  const enc = (s: string) => latin1Bytes(s, true);
  const tagOf = (type: number, body: Uint8Array) => {
    const t = new Uint8Array(8 + body.length);
    const v = new DataView(t.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, t.length, true);
    t.set(body, 8);
    tags.push(t);
  };
  const u32s = (...xs: number[]) => new Uint8Array(new Uint32Array(xs).buffer);

  tagOf(MB2_INFO_TAG.loadBaseAddr, u32s(c.loadBase));
  tagOf(MB2_INFO_TAG.cmdline, enc(c.cmdline));
  tagOf(MB2_INFO_TAG.bootLoaderName, enc('Faultline'));
  for (const m of c.mods) tagOf(MB2_INFO_TAG.module, concat(u32s(m.start, m.end), enc(m.cmdline)));
  const apm = c.low.apm;
  const apmTag = new Uint8Array(20);
  const av = new DataView(apmTag.buffer);
  [apm.version, apm.cseg].forEach((x, i) => av.setUint16(2 * i, x, true));
  av.setUint32(4, apm.offset, true);
  [apm.cseg16, apm.dseg, apm.flags, apm.csegLen, apm.cseg16Len, apm.dsegLen].forEach((x, i) => av.setUint16(8 + 2 * i, x, true));
  tagOf(MB2_INFO_TAG.apm, apmTag);
  const map = c.low.e820;
  const mmap = new Uint8Array(8 + map.length * 24);
  const mv = new DataView(mmap.buffer);
  mv.setUint32(0, 24, true); // entry_size
  mv.setUint32(4, 0, true); // entry_version
  map.forEach((r, i) => {
    mv.setBigUint64(8 + i * 24, BigInt(r.base), true);
    mv.setBigUint64(16 + i * 24, BigInt(r.length), true);
    mv.setUint32(24 + i * 24, r.type, true);
  });
  tagOf(MB2_INFO_TAG.mmap, mmap);
  if (c.elf && c.sections) {
    tagOf(MB2_INFO_TAG.elfSections, concat(u32s(c.elf.shnum, c.elf.shentsize, c.elf.shstrndx), c.sections));
  }
  const mem = basicMemory(phys.size);
  tagOf(MB2_INFO_TAG.basicMeminfo, u32s(mem.lower, mem.upper));
  tagOf(MB2_INFO_TAG.bootdev, u32s(0x80, 0xffffffff, 0xffffffff));
  if (c.graphics) {
    tagOf(MB2_INFO_TAG.framebuffer, rgbFramebufferTag(c.graphics));
  } else {
    // EGA text mode (framebuffer_type 2): the VGA text buffer at 0xb8000, 80x25 cells of 2 bytes.
    const fb = new Uint8Array(24);
    const fv = new DataView(fb.buffer);
    fv.setBigUint64(0, 0xb8000n, true);
    fv.setUint32(8, 160, true);
    fv.setUint32(12, 80, true);
    fv.setUint32(16, 25, true);
    fb[20] = 16;
    fb[21] = 2;
    tagOf(MB2_INFO_TAG.framebuffer, fb);
  }
  const rsdp = c.low.rsdp;
  if (rsdp[15] >= 2 && rsdp.length >= 36) tagOf(MB2_INFO_TAG.acpiNew, rsdp.subarray(0, 36));
  else tagOf(MB2_INFO_TAG.acpiOld, rsdp.subarray(0, 20));
  tagOf(MB2_INFO_TAG.end, new Uint8Array(0));

  let total = 8;
  for (const t of tags) total += (t.length + 7) & ~7;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, total, true);
  let p = 8;
  for (const t of tags) {
    out.set(t, p);
    p += (t.length + 7) & ~7;
  }
  return arena.bytes(out, 8);
}

/** Framebuffer info body for a direct-colour mode: common part (type 1 = RGB) + the six colour field bytes. */
function rgbFramebufferTag(g: FramebufferInfo): Uint8Array {
  const fb = new Uint8Array(30);
  const fv = new DataView(fb.buffer);
  fv.setBigUint64(0, BigInt(g.address), true);
  fv.setUint32(8, g.pitch, true);
  fv.setUint32(12, g.width, true);
  fv.setUint32(16, g.height, true);
  fb[20] = g.bpp;
  fb[21] = 1;
  fb.set([g.red[0], g.red[1], g.green[0], g.green[1], g.blue[0], g.blue[1]], 24);
  return fb;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Read the tags of a boot information structure back (tests, the debugger's "boot info" view). */
export function readInfoTags(read: (addr: number, len: number) => Uint8Array, address: number): { type: number; size: number; address: number }[] {
  const head = new DataView(read(address, 8).buffer);
  const total = head.getUint32(0, true);
  const tags: { type: number; size: number; address: number }[] = [];
  let p = address + 8;
  while (p + 8 <= address + total) {
    const v = new DataView(read(p, 8).buffer);
    const type = v.getUint32(0, true);
    const size = v.getUint32(4, true);
    tags.push({ type, size, address: p });
    if (type === 0 || size < 8) break;
    p += (size + 7) & ~7;
  }
  return tags;
}
