import { ElfFile } from './elf';
import { PlacedModule, Range } from './loader';

/**
 * The CPU state a multiboot kernel starts in (Multiboot 0.6.96 §3.2, Multiboot2 §3.3): 32-bit protected mode,
 * paging off, flat segments from a GDT the loader put in low memory, interrupts off, A20 on. The machine
 * applies it to the CPU; everything here is a plain value.
 */
export interface EntryState {
  protocol: 'multiboot1' | 'multiboot2' | 'linux' | 'pvh';
  /** EIP: physical address of the kernel's first instruction. */
  entry: number;
  /** 0x2BADB002 (multiboot1) or 0x36D76289 (multiboot2). */
  eax: number;
  /** Physical address of the boot information (multiboot; PVH: struct hvm_start_info); 0 for Linux. */
  ebx: number;
  gdtBase: number;
  gdtLimit: number;
  /** Selector of the flat 32-bit code segment (0x08). */
  cs: number;
  /** Selector of the flat 32-bit data segment (0x10) for DS, ES, FS, GS and SS. */
  ds: number;
  /** CR0: PE and ET set, PG clear. */
  cr0: number;
  /** EFLAGS as QEMU's loader leaves it: 0x6 (bit 1 and PF; IF = 0, DF = 0, VM = 0). */
  eflags: number;
  /** ECX, EDX, ESI, EDI, EBP, ESP as QEMU's multiboot option ROM leaves them (see loaderRegisters); Linux: ESI = the zero page, the rest 0. */
  regs: LoaderRegisters;
  a20: true;
  /** The parsed kernel, when it is an ELF file (symbols and debug sections for the debugger). */
  elf?: ElfFile;
  infoAddress: number;
  /** Physical [start, end) of the loaded kernel including its bss. */
  kernelRange: Range;
  modules: PlacedModule[];
  /**
   * Multiboot: what the loader wrote besides the firmware tables, for a boot through SeaBIOS's option ROM
   * (firmware/kernel-rom.ts): `image` is the kernel block (image, module list, command lines, loader name,
   * modules, section table), `info` the multiboot information (multiboot1: the structure and what follows it
   * in the arena, with the e820 map below it at its mmap_addr; multiboot2: the tag list).
   */
  blocks?: { image: Range; info: Range };
}

export const CR0_PE = 1;
export const CR0_ET = 0x10;
/** Bit 1 (always one) and PF: the last arithmetic QEMU's option ROM did before jumping to the kernel. */
export const EFLAGS_AT_ENTRY = 0x6;

export interface LoaderRegisters {
  ecx: number;
  edx: number;
  esi: number;
  edi: number;
  ebp: number;
  esp: number;
}

/**
 * QEMU 7.2's multiboot option ROM (pc-bios/optionrom/multiboot.S) reaches the kernel with ECX = the entry
 * address (it jumps through ECX), EDX's high half = mem_upper's (its upper-memory computation) and its low
 * half 0x511 (the fw_cfg data port of its last read), EDI = 0x1000, ESI = EBP = 0, and ESP = 0x6f08: the
 * stack SeaBIOS called the option ROM on, in free conventional memory. Multiboot leaves ESP undefined, but
 * kernels that push before loading ESP (JamesM's tutorial: `push ebx; call main`) rely on it. Recorded in
 * fixtures/golden/lowmem-probe.serial.txt; the same values for multiboot2 (GRUB's differ: ESP 0x7ff00).
 */
export function loaderRegisters(entry: number, memUpperKiB: number): LoaderRegisters {
  return { ecx: entry >>> 0, edx: ((memUpperKiB & 0xffff0000) | 0x511) >>> 0, esi: 0, edi: 0x1000, ebp: 0, esp: 0x6f08 };
}
