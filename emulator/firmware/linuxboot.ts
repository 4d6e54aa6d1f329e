import { BootError, EntryState } from '../boot/kernel';
import { CAN_USE_HEAP, HDR, LinuxSetupHeader, LOADER_QEMU, qemuInitrdAddress } from '../boot/linux';
import { FW_CFG, FwCfg } from '../devices/fwcfg';
import { LINUXBOOT_ROM } from './linuxboot-rom';

/**
 * A Linux bzImage through SeaBIOS, as `qemu -kernel` boots it (hw/i386/x86.c x86_load_linux + linuxboot_dma.bin):
 * the host splits the image and fills the setup header the way x86_load_linux does for a protocol 2.02+ kernel
 * loaded high: the real-mode setup at 0x10000, the command line at 0x20000, the protected-mode kernel at 1 MiB,
 * type_of_loader 0xb0 (QEMU), CAN_USE_HEAP with heap_end_ptr 0xfe00, cmd_line_ptr, vid_mode from a "vga=" option,
 * and the initrd page aligned under initrd_addr_max and the top of RAM. Faultline's linuxboot ROM
 * (linuxboot-rom.asm, offered as genroms/linuxboot_dma.bin and first in "bootorder", as QEMU names its ROM) reads the
 * pieces over fw_cfg DMA, moves the initrd under the E801 top of RAM as QEMU's does, and enters the setup code in
 * real mode, which calls the BIOS for the memory map, video and disk information and enters the kernel.
 *
 * So everything the real-mode setup code collects (boot_params' e820 table, screen_info, EDD, APM, the IST
 * table) comes from SeaBIOS, as under QEMU; the direct load (boot/linux.ts) fills the same fields itself.
 */
export const LINUXBOOT_ROM_NAME = 'genroms/linuxboot_dma.bin';
const REAL_ADDR = 0x10000;
const CMDLINE_ADDR = 0x20000;
const PROT_ADDR = 0x100000;

/** vid_mode for QEMU's parsing of a "vga=" option (normal, ext, ask or a number), or undefined without one. */
function vidMode(cmdline: string): number | undefined {
  const m = /(?:^| )vga=(\S+)/.exec(cmdline);
  if (!m) return undefined;
  const v = m[1];
  if (v.startsWith('normal')) return 0xffff;
  if (v.startsWith('ext')) return 0xfffe;
  if (v.startsWith('ask')) return 0xfffd;
  const n = Number.parseInt(v, v.startsWith('0x') ? 16 : 10);
  return Number.isNaN(n) ? undefined : n & 0xffff;
}

export interface LinuxStageOptions {
  cmdline?: string;
  initrd?: Uint8Array;
  ramSize: number;
  /** What the direct loader would have done with the kernel (its placement and range, for the debugger). */
  entry: EntryState;
}

/** The fw_cfg items and ROM that boot `kernel` (a bzImage with header `h`) through SeaBIOS. */
export function stageLinux(kernel: Uint8Array, h: LinuxSetupHeader, o: LinuxStageOptions): { entry: EntryState; install(fwcfg: FwCfg): void } {
  const setupSize = (h.setupSects + 1) * 512;
  const setup = kernel.slice(0, setupSize);
  const prot = kernel.subarray(setupSize);
  const v = new DataView(setup.buffer);
  const cmdline = o.cmdline ?? '';
  setup[HDR.typeOfLoader] = LOADER_QEMU;
  setup[HDR.loadflags] |= CAN_USE_HEAP;
  v.setUint16(HDR.heapEndPtr, CMDLINE_ADDR - REAL_ADDR - 0x200, true);
  v.setUint32(HDR.cmdLinePtr, CMDLINE_ADDR, true);
  const mode = vidMode(cmdline);
  if (mode !== undefined) v.setUint16(HDR.vidMode, mode, true);
  const initrd = o.initrd ?? new Uint8Array(0);
  const initrdAt = initrd.length ? qemuInitrdAddress(h, o.ramSize, initrd.length) : 0;
  if (initrd.length && initrdAt < PROT_ADDR + prot.length) {
    throw new BootError(`the initrd (${initrd.length} bytes) does not fit in RAM beside the kernel; raise memoryMB`);
  }
  v.setUint32(HDR.ramdiskImage, initrdAt, true);
  v.setUint32(HDR.ramdiskSize, initrd.length, true);
  const cmd = new TextEncoder().encode(`${cmdline}\0`);
  return {
    entry: o.entry,
    install(fwcfg: FwCfg): void {
      fwcfg.setItem(FW_CFG.SETUP_ADDR, REAL_ADDR);
      fwcfg.setItem(FW_CFG.SETUP_SIZE, setup.length);
      fwcfg.setItem(FW_CFG.SETUP_DATA, setup);
      fwcfg.setItem(FW_CFG.KERNEL_ADDR, PROT_ADDR);
      fwcfg.setItem(FW_CFG.KERNEL_SIZE, prot.length);
      fwcfg.setItem(FW_CFG.KERNEL_DATA, prot);
      fwcfg.setItem(FW_CFG.CMDLINE_ADDR, CMDLINE_ADDR);
      fwcfg.setItem(FW_CFG.CMDLINE_SIZE, cmd.length);
      fwcfg.setItem(FW_CFG.CMDLINE_DATA, cmd);
      fwcfg.setItem(FW_CFG.INITRD_ADDR, initrdAt);
      fwcfg.setItem(FW_CFG.INITRD_SIZE, initrd.length);
      fwcfg.setItem(FW_CFG.INITRD_DATA, initrd);
      fwcfg.addFile(LINUXBOOT_ROM_NAME, LINUXBOOT_ROM);
      fwcfg.addFile('bootorder', new TextEncoder().encode(`/rom@${LINUXBOOT_ROM_NAME}\0`));
    },
  };
}
