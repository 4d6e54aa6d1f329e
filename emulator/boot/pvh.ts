import { latin1Bytes } from '../bytes';
import { lowRamTop } from '../firmware/e820';
import { LowMemory } from '../firmware/lowmem';
import { PhysicalMemory, PAGE_SIZE } from '../memory/phys';
import { ElfFile } from './elf';
import { CR0_ET, CR0_PE, EntryState } from './entry-state';
import { ACPI_DATA_SIZE } from './linux';
import { BootError, hex } from './errors';
import { BOOT_CS, BOOT_DS, GDT_BASE, checkRam, loadElfSegments, write64, writeBootGdt } from './loader';

/**
 * The PVH boot protocol (Xen's direct boot of an HVM guest: xen/include/public/arch-x86/hvm/start_info.h,
 * docs/misc/pvh.pandoc), as `qemu -kernel` boots an ELF kernel that has the note XEN_ELFNOTE_PHYS32_ENTRY and no
 * multiboot header (Linux's vmlinux with CONFIG_PVH, unikernels). QEMU loads the PT_LOAD segments at their
 * physical addresses and passes the command line and the initrd over fw_cfg; its pvh.bin option ROM (QEMU 7.2,
 * disassembled) then writes at fixed low addresses:
 *   0x5a0   the E820 entry count, 0x5a8 the entries (hvm_memmap_table_entry, 24 bytes: SeaBIOS's INT 15h E820
 *           records with a zero reserved word);
 *   0x11c0  the command line (the -append text and its NUL);
 *   0x21c0  one hvm_modlist_entry for the initrd (paddr, size, no command line), when there is one;
 *   0x21e0  struct hvm_start_info: magic 0x336ec578, version 1, flags 0, nr_modules, modlist_paddr,
 *           cmdline_paddr, rsdp_paddr (the "RSD PTR " it finds from 0xE0000 to 0xFFFFF), memmap_paddr,
 *           memmap_entries;
 * and jumps to the entry in flat 32-bit protected mode, paging off, EBX = 0x21e0 (ECX = the entry). The initrd
 * is where QEMU's x86_load_linux puts it for PVH: page aligned under the top of RAM below 4 GiB less the ACPI
 * data size. Faultline loads the kernel directly (no option ROM runs) and leaves those structures where pvh.bin
 * leaves them, with its flat GDT (0x08 code, 0x10 data, as pvh.bin's).
 */
export const PVH_START_INFO = 0x21e0;
export const PVH_START_MAGIC = 0x336ec578;
const PVH_MEMMAP_COUNT = 0x5a0;
const PVH_MEMMAP = 0x5a8;
const PVH_MEMMAP_MAX = 128;
const PVH_CMDLINE = 0x11c0;
const PVH_CMDLINE_SIZE = 4096;
const PVH_MODLIST = 0x21c0;

export interface PvhOptions {
  cmdline?: string;
  initrd?: Uint8Array;
  fileName: string;
  lowMemory: LowMemory;
}

export function bootPvh(elf: ElfFile, entry: number, phys: PhysicalMemory, opts: PvhOptions): EntryState {
  const kernel = loadElfSegments(elf, phys);
  if (kernel.start < PVH_START_INFO + 0x38) throw new BootError(`${opts.fileName} loads at ${hex(kernel.start)}, over the PVH start info and memory map QEMU's loader puts at 0x5a0-0x2218; link it at 1 MiB or above`);

  // The memory map (SeaBIOS's E820, as INT 15h returns it to pvh.bin).
  const map = opts.lowMemory.e820.slice(0, PVH_MEMMAP_MAX);
  phys.write(PVH_MEMMAP_COUNT, 4, map.length);
  phys.write(PVH_MEMMAP_COUNT + 4, 4, 0);
  map.forEach((r, i) => {
    const p = PVH_MEMMAP + 24 * i;
    write64(phys, p, r.base);
    write64(phys, p + 8, r.length);
    phys.write(p + 16, 4, r.type);
    phys.write(p + 20, 4, 0);
  });

  // The command line, NUL-terminated, as QEMU's fw_cfg CMDLINE_DATA holds it.
  const cmdline = latin1Bytes(opts.cmdline ?? '', true);
  if (cmdline.length > PVH_CMDLINE_SIZE) throw new BootError(`the command line is ${cmdline.length - 1} bytes; QEMU's PVH loader takes at most ${PVH_CMDLINE_SIZE - 1}`);
  phys.load(PVH_CMDLINE, cmdline);

  // The initrd as the one module.
  let initrdRange: { start: number; end: number } | undefined;
  if (opts.initrd) {
    const max = lowRamTop(phys.size) - ACPI_DATA_SIZE - 1;
    if (opts.initrd.length >= max) throw new BootError(`the initrd is ${opts.initrd.length} bytes, more than the ${max} bytes of RAM below 4 GiB QEMU's PVH loader may use; give the machine more memory`);
    const at = Math.floor((max - opts.initrd.length) / PAGE_SIZE) * PAGE_SIZE;
    if (at < kernel.end) throw new BootError(`the initrd (${opts.initrd.length} bytes) does not fit between the kernel's end ${hex(kernel.end)} and the top of RAM; give the machine more memory`);
    checkRam(phys, at, opts.initrd.length, 'the initrd');
    phys.load(at, opts.initrd);
    initrdRange = { start: at, end: at + opts.initrd.length };
    write64(phys, PVH_MODLIST, at);
    write64(phys, PVH_MODLIST + 8, opts.initrd.length);
    write64(phys, PVH_MODLIST + 16, 0);
    write64(phys, PVH_MODLIST + 24, 0);
  }

  // struct hvm_start_info.
  const si = PVH_START_INFO;
  phys.write(si, 4, PVH_START_MAGIC);
  phys.write(si + 4, 4, 1);
  phys.write(si + 8, 4, 0);
  phys.write(si + 12, 4, initrdRange ? 1 : 0);
  write64(phys, si + 16, initrdRange ? PVH_MODLIST : 0);
  write64(phys, si + 24, PVH_CMDLINE);
  write64(phys, si + 32, findRsdp(phys));
  write64(phys, si + 40, PVH_MEMMAP);
  phys.write(si + 48, 4, map.length);
  phys.write(si + 52, 4, 0);

  const gdt = writeBootGdt(phys, GDT_BASE);
  return {
    protocol: 'pvh', entry, eax: 0, ebx: si,
    regs: { ecx: entry, edx: 0, esi: PVH_CMDLINE, edi: 0, ebp: 0, esp: 0x7000 },
    gdtBase: gdt.base, gdtLimit: gdt.limit, cs: BOOT_CS, ds: BOOT_DS,
    cr0: CR0_PE | CR0_ET, eflags: 0x2, a20: true, elf,
    infoAddress: si, kernelRange: kernel,
    modules: initrdRange ? [{ name: 'initrd', start: initrdRange.start, end: initrdRange.end, cmdline: '' }] : [],
  };
}

/** pvh.bin's search: "RSD PTR " on a 16-byte boundary from 0xE0000 to 0xFFFFF (0 when absent). */
function findRsdp(phys: PhysicalMemory): number {
  for (let a = 0xe0000; a < 0x100000; a += 16) {
    if (phys.read(a, 4) === 0x20445352 && phys.read(a + 4, 4) === 0x20525450) return a;
  }
  return 0;
}
