import { ElfFile } from './elf';
import { PlacedModule, Range } from './loader';

/**
 * The CPU state a multiboot kernel starts in (Multiboot 0.6.96 §3.2, Multiboot2 §3.3): 32-bit protected mode,
 * paging off, flat segments from a GDT the loader put in low memory, interrupts off, A20 on. The machine
 * applies it to the CPU; everything here is a plain value.
 */
export interface EntryState {
  protocol: 'multiboot1' | 'multiboot2' | 'linux';
  /** EIP: physical address of the kernel's first instruction. */
  entry: number;
  /** 0x2BADB002 (multiboot1) or 0x36D76289 (multiboot2). */
  eax: number;
  /** Physical address of the boot information (multiboot); 0 for Linux. */
  ebx: number;
  /** Linux 32-bit boot protocol: ESI holds the zero page (struct boot_params). */
  esi?: number;
  gdtBase: number;
  gdtLimit: number;
  /** Selector of the flat 32-bit code segment (0x08). */
  cs: number;
  /** Selector of the flat 32-bit data segment (0x10) for DS, ES, FS, GS and SS. */
  ds: number;
  /** CR0: PE and ET set, PG clear. */
  cr0: number;
  /** EFLAGS: only the always-one bit 1 (IF = 0, VM = 0). */
  eflags: number;
  a20: true;
  /** The parsed kernel, when it is an ELF file (symbols and debug sections for the debugger). */
  elf?: ElfFile;
  infoAddress: number;
  /** Physical [start, end) of the loaded kernel including its bss. */
  kernelRange: Range;
  modules: PlacedModule[];
}

export const CR0_PE = 1;
export const CR0_ET = 0x10;
export const EFLAGS_FIXED = 2;
