import { PhysicalMemory } from '../memory/phys';
import { CPU_MODELS } from '../cpu/cpuid';
import { installLowMemory } from '../firmware/lowmem';
import { Platform, pcPlatform } from '../firmware/platform';
import { isElf, parseElf, pvhEntry } from './elf';
import { bootPvh } from './pvh';
import { EntryState } from './entry-state';
import { BootError, hex, leadingBytes } from './errors';
import { BootDisplay } from './framebuffer';
import { ModuleInput } from './loader';
import { bootLinux, findLinuxHeader } from './linux';
import { bootMultiboot1, findBadMultiboot1Magic, findMultiboot1Header } from './multiboot1';
import { bootMultiboot2, findBadMultiboot2Magic, findMultiboot2Header } from './multiboot2';

/**
 * Boot a kernel image the way QEMU's -kernel does, without GRUB or an ISO: find its multiboot header, load
 * it into guest RAM, build the boot information and return the entry state for the machine to apply.
 */

export { BootError } from './errors';
export { EntryState } from './entry-state';
export { ElfFile, ElfSection, ElfSegment, ElfSymbol, parseElf, sectionBytes, symbolAt } from './elf';

export interface BootKernelOptions {
  cmdline?: string;
  modules?: ModuleInput[];
  /** Linux only: the initial RAM disk (qemu -initrd). */
  initrd?: Uint8Array;
  /** The kernel's file name for messages (and, like QEMU, the first word of the multiboot1 command line). */
  fileName?: string;
  /** The board the firmware tables describe (default: QEMU's pc with the 'faultline' CPU model). */
  platform?: Platform;
  /** Seconds since midnight on the RTC when the kernel starts (the BDA's timer ticks; default 0). */
  secondsOfDay?: number;
  /** The machine's display, for kernels that request a graphics framebuffer. */
  display?: BootDisplay;
}

/**
 * Load a Linux bzImage, or a multiboot1 or multiboot2 kernel (multiboot1 when it has both, as QEMU does).
 * Throws BootError.
 */
export function bootKernel(bytes: Uint8Array, phys: PhysicalMemory, opts: BootKernelOptions = {}): EntryState {
  const fileName = opts.fileName ?? 'the kernel';
  if (bytes.length === 0) throw new BootError(`${fileName} is empty; rebuild it or check the path`);
  const linux = findLinuxHeader(bytes);
  if (!linux && opts.initrd && !takesInitrd(bytes)) throw new BootError(`an initrd was given, but ${fileName} is not a Linux bzImage or PVH kernel; pass multiboot modules instead`);
  const mb1 = linux ? undefined : findMultiboot1Header(bytes);
  const mb2 = linux || mb1 ? undefined : findMultiboot2Header(bytes, fileName);
  if (linux || mb1 || mb2) {
    // What SeaBIOS leaves before QEMU's loader runs: BDA, EBDA, MP and ACPI tables, then the kernel on top.
    const platform = opts.platform ?? pcPlatform(phys.size, CPU_MODELS.faultline);
    const lowMemory = installLowMemory(phys, platform, { secondsOfDay: opts.secondsOfDay ?? 0 });
    if (linux) return bootLinux(bytes, phys, linux, { cmdline: opts.cmdline, initrd: opts.initrd, fileName, lowMemory });
    if (mb1) return bootMultiboot1(bytes, phys, mb1, { ...opts, lowMemory });
    return bootMultiboot2(bytes, phys, mb2!, { ...opts, lowMemory });
  }

  const bad1 = findBadMultiboot1Magic(bytes);
  if (bad1 !== undefined) {
    throw new BootError(`${fileName} has the multiboot magic 0x1badb002 at offset ${hex(bad1)} but its checksum is wrong (magic + flags + checksum must be 0 mod 2^32); fix the header's checksum field`);
  }
  const bad2 = findBadMultiboot2Magic(bytes);
  if (bad2 !== undefined) {
    throw new BootError(`${fileName} has the multiboot2 magic 0xe85250d6 at offset ${hex(bad2)} but its checksum is wrong (magic + architecture + header_length + checksum must be 0 mod 2^32); fix the header's checksum field`);
  }
  if (!isElf(bytes)) {
    throw new BootError(`${fileName} is not an ELF file (it starts with ${leadingBytes(bytes)}) and has no multiboot header; pass the linked kernel ELF, not a disk image or flat binary`);
  }
  const elf = parseElf(bytes, fileName); // a damaged ELF deserves its own, more precise message
  const pvh = pvhEntry(elf, bytes);
  if (pvh !== undefined) {
    // No multiboot header but Xen's PVH entry note: what qemu -kernel boots next (boot/pvh.ts).
    const platform = opts.platform ?? pcPlatform(phys.size, CPU_MODELS.faultline);
    const lowMemory = installLowMemory(phys, platform, { secondsOfDay: opts.secondsOfDay ?? 0 });
    return bootPvh(elf, pvh, phys, { cmdline: opts.cmdline, initrd: opts.initrd, fileName, lowMemory });
  }
  throw new BootError(`${fileName} has no multiboot header in its first 32 KiB; is it linked with the header section first?`);
}

/**
 * Whether qemu -initrd gives this kernel an initial RAM disk (a Linux bzImage, a PVH kernel) rather than a list of
 * multiboot modules (parseModuleList).
 */
export function takesInitrd(bytes: Uint8Array): boolean {
  return findLinuxHeader(bytes) !== undefined || isPvhKernel(bytes);
}

/** An ELF kernel with no multiboot header but a PVH entry note (what qemu -kernel boots through pvh.bin). */
export function isPvhKernel(bytes: Uint8Array): boolean {
  if (!isElf(bytes) || findLinuxHeader(bytes) || findMultiboot1Header(bytes)) return false;
  try {
    if (findMultiboot2Header(bytes)) return false;
    return pvhEntry(parseElf(bytes), bytes) !== undefined;
  } catch {
    return false;
  }
}
