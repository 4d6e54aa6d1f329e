import { bootKernel, BootError, EntryState, isPvhKernel } from '../boot/kernel';
import { BootKernelOptions } from '../boot/kernel';
import { hex } from '../boot/errors';
import { findLinuxHeader } from '../boot/linux';
import { findMultiboot1Header, MB1_FLAG_VIDEO_MODE } from '../boot/multiboot1';
import { findMultiboot2Header } from '../boot/multiboot2';
import { FW_CFG, FwCfg } from '../devices/fwcfg';
import { IoBus } from '../devices/bus';
import { PhysicalMemory } from '../memory/phys';
import { stageLinux } from './linuxboot';
import { MULTIBOOT2_ROM, MULTIBOOT_ROM } from './multiboot-rom';

/**
 * `--kernel` through SeaBIOS, as `qemu -kernel` does it (hw/i386/multiboot.c + its option ROM): the host loads
 * the kernel and builds the multiboot information in a scratch copy of guest RAM with the direct loader
 * (boot/multiboot1.ts), then hands the pieces to Faultline's own option ROM (multiboot-rom.asm) over fw_cfg with
 * QEMU's keys:
 * - FW_CFG_KERNEL_ADDR/_SIZE/_DATA and _ENTRY: the kernel block (image with bss, module list, command lines,
 *   loader name, modules, section table) and its entry point;
 * - FW_CFG_INITRD_ADDR/_SIZE/_DATA: the multiboot information structure, below 1 MiB (0x9500 as QEMU);
 * - the ROM itself as genroms/multiboot_dma.bin, and "bootorder" naming it first (QEMU: bootindex 0).
 * SeaBIOS POSTs as always (its BDA, EBDA, E820, MP and ACPI tables are what the kernel then finds), runs the
 * ROM's boot entry vector, and the ROM fills mem_lower/mem_upper and the memory map from INT 12h/15h, enters
 * protected mode and jumps to the kernel. The kernel's file and the machine are unchanged on reset: the
 * fw_cfg items stay, so a reboot boots the kernel again (as QEMU).
 *
 * Multiboot2 kernels (QEMU 7.2's -kernel has none) get the same ROM assembled with -DMULTIBOOT2: the host builds
 * the tag list as the direct load does and the ROM fills basic memory, the memory map, the ACPI RSDP and APM from
 * the BIOS. A graphics framebuffer request gets the VGA text mode tag (the ROM sets no VBE mode). A Linux bzImage
 * goes to the linuxboot ROM instead (linuxboot.ts), as QEMU's does.
 *
 * Public API: stageFirmwareKernel(kernel, options), StagedKernel, KERNEL_ROM_NAME, defaultFirmwareFor(kernel).
 */
export const KERNEL_ROM_NAME = 'genroms/multiboot_dma.bin';

/**
 * The firmware a kernel boots through when the user names none (CLI without --firmware, launch.json without
 * "firmware"): SeaBIOS, as `qemu -kernel` does, except for a Linux bzImage and a graphics framebuffer request.
 * A bzImage gets the direct load: the same machine without SeaBIOS's POST and the real-mode setup code (Debian's
 * kernel to power-off: 6.057 billion instructions against 6.072 through the linuxboot ROM, which --firmware seabios
 * selects), unless it has no 32-bit entry (code32_start 0, as iPXE's ipxe.lkrn): then SeaBIOS and the real-mode
 * setup, the only way in. A framebuffer request (multiboot1 flag 2 with mode_type 0, a multiboot2 framebuffer tag) gets it because
 * the direct load sets a VBE mode as GRUB does and the option ROM sets none.
 */
export function defaultFirmwareFor(kernel: Uint8Array): 'seabios' | 'none' {
  const linux = findLinuxHeader(kernel);
  if (linux) return linux.code32Start === 0 ? 'seabios' : 'none';
  const mb1 = findMultiboot1Header(kernel);
  if (mb1) {
    const o = mb1.offset;
    const graphics = (mb1.flags & MB1_FLAG_VIDEO_MODE) !== 0 && o + 36 <= kernel.length
      && new DataView(kernel.buffer, kernel.byteOffset + o, 36).getUint32(32, true) === 0;
    return graphics ? 'none' : 'seabios';
  }
  let mb2: ReturnType<typeof findMultiboot2Header>;
  try { mb2 = findMultiboot2Header(kernel); } catch { mb2 = undefined; }
  if (mb2) return mb2.tags.some((t) => t.type === 5) ? 'none' : 'seabios';
  // No header of QEMU's other protocols: a PVH kernel loads directly (there is no pvh.bin here).
  return isPvhKernel(kernel) ? 'none' : 'seabios';
}

export interface StagedKernel {
  /** The entry state the direct load would apply (symbols, entry point, placement), not applied to the CPU. */
  entry: EntryState;
  /** Put the kernel, its information and the ROM into fw_cfg. */
  install(fwcfg: FwCfg): void;
}

/** Below 1 MiB and within one real-mode segment: where the ROM can reach the information in real mode. */
const REAL_MODE_END = 0xa0000;
/** SeaBIOS calls boot entry vectors on its real-mode stack, which grows down from 0x7000 (BUILD_STACK_ADDR). */
const STACK_BOTTOM = 0x6000;
const STACK_TOP = 0x7000;

export function stageFirmwareKernel(kernel: Uint8Array, memoryBytes: number, opts: BootKernelOptions): StagedKernel {
  const fileName = opts.fileName ?? 'the kernel';
  // A scratch RAM: the direct loader writes the firmware tables too, which SeaBIOS replaces; only the
  // loader's own blocks are handed over.
  const scratch = new PhysicalMemory(memoryBytes, new IoBus());
  const entry = bootKernel(kernel, scratch, { ...opts, display: undefined });
  if (entry.protocol === 'pvh') {
    throw new BootError(`${fileName} is a PVH kernel: QEMU boots it through SeaBIOS and its pvh.bin ROM, which Faultline does not have; it loads PVH kernels directly, leaving what pvh.bin leaves: boot it with --firmware none (the default for PVH kernels)`);
  }
  const linux = entry.protocol === 'linux' ? findLinuxHeader(kernel) : undefined;
  if (linux) return stageLinux(kernel, linux, { cmdline: opts.cmdline, initrd: opts.initrd, ramSize: memoryBytes, entry });
  if (!entry.blocks) throw new BootError(`${fileName} has no loadable image for the option ROM: load it directly with --firmware none`);
  const mb2 = entry.protocol === 'multiboot2';
  const { image, info } = entry.blocks;
  // Multiboot1: the ROM writes the e820 map below the structure, at its mmap_addr; multiboot2: inside the tags.
  const mmapAddr = mb2 ? info.start : scratch.read(info.start + 48, 4);
  if (info.end > REAL_MODE_END || (!mb2 && mmapAddr >= info.start) || (mmapAddr & 0xf) + (info.end - mmapAddr) > 0xffff) {
    throw new BootError(`${fileName} is loaded over the low memory where the multiboot information goes (${hex(info.start)}); the option ROM that boots it through SeaBIOS needs that below 640 KiB: load it directly with --firmware none`);
  }
  const overlaps = (start: number, end: number) => image.start < end && image.end > start;
  if (overlaps(STACK_BOTTOM, STACK_TOP) || overlaps(mmapAddr, info.end) || overlaps(REAL_MODE_END, 0x100000)) {
    throw new BootError(`${fileName} loads at ${hex(image.start)}-${hex(image.end)}, over memory SeaBIOS and the option ROM use while they boot it (SeaBIOS's stack at ${hex(STACK_BOTTOM)}-${hex(STACK_TOP)}, the boot information at ${hex(mmapAddr)}-${hex(info.end)}, the ROMs at 0xa0000-0xfffff); link it elsewhere (1 MiB or above is usual), or load it directly with --firmware none`);
  }
  const imageBytes = scratch.slice(image.start, image.end - image.start);
  const infoBytes = scratch.slice(info.start, info.end - info.start);
  return {
    entry,
    install(fwcfg: FwCfg): void {
      fwcfg.setItem(FW_CFG.KERNEL_ENTRY, entry.entry);
      fwcfg.setItem(FW_CFG.KERNEL_ADDR, image.start);
      fwcfg.setItem(FW_CFG.KERNEL_SIZE, imageBytes.length);
      fwcfg.setItem(FW_CFG.KERNEL_DATA, imageBytes);
      fwcfg.setItem(FW_CFG.INITRD_ADDR, info.start);
      fwcfg.setItem(FW_CFG.INITRD_SIZE, infoBytes.length);
      fwcfg.setItem(FW_CFG.INITRD_DATA, infoBytes);
      fwcfg.addFile(KERNEL_ROM_NAME, mb2 ? MULTIBOOT2_ROM : MULTIBOOT_ROM);
      fwcfg.addFile('bootorder', new TextEncoder().encode(`/rom@${KERNEL_ROM_NAME}\0`));
    },
  };
}
