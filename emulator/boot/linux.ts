import { PhysicalMemory, PAGE_SIZE } from '../memory/phys';
import { latin1Bytes } from '../bytes';
import { BootError } from './errors';
import { CR0_ET, CR0_PE, EntryState } from './entry-state';
import { highTablesBase, lowRamTop } from '../firmware/e820';
import { LowMemory } from '../firmware/lowmem';
import { Range, checkRam, write64 } from './loader';

/**
 * The Linux/x86 boot protocol (Documentation/arch/x86/boot.rst), the way `qemu -kernel bzImage -initrd FILE
 * -append CMDLINE` places things, entered through the 32-bit boot protocol: the protected-mode kernel at
 * code32_start (1 MiB), the zero page (struct boot_params) filled from the image's setup header, the command
 * line and the e820 map, the initrd at the top of low RAM, and a GDT with __BOOT_CS/__BOOT_DS.
 */

/** "HdrS" at 0x202 marks a boot-protocol 2.00+ image. */
export const LINUX_HDRS_MAGIC = 0x53726448;
/** Where QEMU puts the real-mode part (x86_load_linux: real_addr) and the command line (cmdline_addr). */
export const LINUX_ZERO_PAGE = 0x10000;
export const LINUX_CMDLINE = 0x20000;
/** Selectors the 32-bit boot protocol requires (boot.rst "32-bit BOOT PROTOCOL"). */
export const LINUX_BOOT_CS = 0x10;
export const LINUX_BOOT_DS = 0x18;
const LINUX_GDT = 0x9000;
/** QEMU keeps this much below the top of low RAM for ACPI tables when it places the initrd (x86_load_linux). */
export const ACPI_DATA_SIZE = 0x20000 + 0x8000;
/** type_of_loader: 0xb0 is QEMU's (boot.rst assigned IDs: 0xB = QEMU). */
export const LOADER_QEMU = 0xb0;

/** Offsets in struct boot_params (arch/x86/include/uapi/asm/bootparam.h). */
const BP = {
  extRamdiskImage: 0x0c0, extRamdiskSize: 0x0c4, extCmdLinePtr: 0x0c8,
  e820Entries: 0x1e8, setupHeader: 0x1f1, e820Table: 0x2d0, e820Max: 128,
} as const;
/** Offsets of setup-header fields, counted from the start of the image / zero page. */
export const HDR = {
  setupSects: 0x1f1, header: 0x202, version: 0x206, typeOfLoader: 0x210, loadflags: 0x211,
  code32Start: 0x214, ramdiskImage: 0x218, ramdiskSize: 0x21c, heapEndPtr: 0x224, cmdLinePtr: 0x228,
  initrdAddrMax: 0x22c, xloadflags: 0x236, cmdlineSize: 0x238, vidMode: 0x1fa,
} as const;
const LOADED_HIGH = 0x01;
const XLF_CAN_BE_LOADED_ABOVE_4G = 0x02;
export const CAN_USE_HEAP = 0x80;

export interface LinuxBootOptions {
  cmdline?: string;
  initrd?: Uint8Array;
  fileName?: string;
  /** What the firmware left (BDA, ACPI, MP tables) and its e820 map. */
  lowMemory: LowMemory;
}

export interface LinuxSetupHeader {
  version: number;
  setupSects: number;
  loadflags: number;
  initrdAddrMax: number;
  cmdlineSize: number;
  /** xloadflags (protocol 2.12+; 0 before). */
  xloadflags: number;
  /**
   * code32_start as the image has it: the 32-bit entry of a Linux kernel (0x100000). 0 in an image whose
   * protected-mode part cannot be entered directly (iPXE's ipxe.lkrn: its real-mode setup code does the work;
   * GRUB loads such images with linux16, QEMU -kernel through its real-mode entry).
   */
  code32Start: number;
}

/**
 * Refuse the direct load (the 32-bit boot protocol) for an image without a 32-bit entry (code32_start 0):
 * only its real-mode setup code can start it, which the SeaBIOS path runs, as qemu -kernel does.
 */
export function checkDirectEntry(h: LinuxSetupHeader, fileName: string): void {
  if (h.code32Start !== 0) return;
  throw new BootError(`${fileName} has no 32-bit entry (its setup header's code32_start is 0): it starts only in its real-mode setup code, so boot it through SeaBIOS (leave out --firmware none / "firmware": "none"), as qemu -kernel and GRUB's linux16 do`);
}

/** The setup header of a bzImage, or undefined when the file is not one (no "HdrS" at 0x202). */
export function findLinuxHeader(bytes: Uint8Array): LinuxSetupHeader | undefined {
  if (bytes.length < 0x240) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(HDR.header, true) !== LINUX_HDRS_MAGIC || v.getUint16(0x1fe, true) !== 0xaa55) return undefined;
  const version = v.getUint16(HDR.version, true);
  return {
    version,
    setupSects: bytes[HDR.setupSects] || 4,
    loadflags: bytes[HDR.loadflags],
    initrdAddrMax: version >= 0x203 ? v.getUint32(HDR.initrdAddrMax, true) : 0x37ffffff,
    cmdlineSize: version >= 0x206 ? v.getUint32(HDR.cmdlineSize, true) : 255,
    xloadflags: version >= 0x20c ? v.getUint16(HDR.xloadflags, true) : 0,
    code32Start: v.getUint32(HDR.code32Start, true),
  };
}

/**
 * Where QEMU's x86_load_linux puts an initrd of `size` bytes: page aligned under initrd_addr_max (the whole 4 GiB
 * with XLF_CAN_BE_LOADED_ABOVE_4G) and under the top of low RAM less ACPI_DATA_SIZE.
 */
export function qemuInitrdAddress(h: LinuxSetupHeader, ramSize: number, size: number): number {
  const max = Math.min(h.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G ? 0xffffffff : h.initrdAddrMax, lowRamTop(ramSize) - ACPI_DATA_SIZE - 1);
  return Math.floor((max - size) / PAGE_SIZE) * PAGE_SIZE;
}

/**
 * Whether QEMU's linuxboot ROM moves the initrd it finds at `at` (linuxboot_dma.c): when its end is not in
 * initrd_addr_max's page, RAM was the limit, and the ROM puts it under the top of RAM INT 15h E801 reports.
 */
export function initrdMovedByRom(h: LinuxSetupHeader, at: number, size: number): boolean {
  const endPage = Math.floor((at + size) / PAGE_SIZE) * PAGE_SIZE, maxPage = Math.floor(h.initrdAddrMax / PAGE_SIZE) * PAGE_SIZE;
  return endPage !== 0 && maxPage !== 0 && endPage !== maxPage;
}

/** Offsets in struct screen_info (boot_params offset 0, arch/x86/include/uapi/linux/screen_info.h). */
const SI = { x: 0x00, y: 0x01, page: 0x04, mode: 0x06, cols: 0x07, egaBx: 0x0a, lines: 0x0e, isVga: 0x0f, points: 0x10 } as const;

/**
 * boot_params.screen_info as the kernel's real-mode setup code fills it on QEMU's path (arch/x86/boot/video.c
 * store_mode_params, store_cursor_position; video-vga.c vga_probe), which the direct path does not run: the text
 * mode, display page, cursor, columns, rows and character height from the BIOS data area the firmware left, and,
 * when the BDA shows an active VGA (0x489 bit 0), what QEMU's VGA BIOS answers the probe (INT 10h AH=12h BL=10h:
 * BX = 0003h; AX=1A00h supported, so orig_video_isVGA = 1). Without it Linux's console is the "colour dummy
 * device"; with it "colour VGA+ 80x25", as under QEMU. No VGA text mode in the BDA: left zero (no VGA console).
 */
function writeScreenInfo(phys: PhysicalMemory, zp: number): void {
  const bda = (o: number): number => phys.read8(0x400 + o);
  const mode = bda(0x49) & 0x7f;
  if (bda(0x4a) === 0 || (mode > 3 && mode !== 7)) return;
  const page = bda(0x62);
  phys.write8(zp + SI.x, bda(0x50 + 2 * page));
  phys.write8(zp + SI.y, bda(0x51 + 2 * page));
  phys.write(zp + SI.page, 2, page);
  phys.write8(zp + SI.mode, mode);
  phys.write8(zp + SI.cols, bda(0x4a));
  phys.write8(zp + SI.lines, bda(0x84) + 1);
  phys.write(zp + SI.points, 2, bda(0x85) | (bda(0x86) << 8));
  if (bda(0x89) & 1) {
    phys.write(zp + SI.egaBx, 2, 0x0003);
    phys.write8(zp + SI.isVga, 1);
  }
}

/** Load a bzImage (boot protocol 2.02+, loaded high) and return the 32-bit entry state. Throws BootError. */
export function bootLinux(bytes: Uint8Array, phys: PhysicalMemory, h: LinuxSetupHeader, opts: LinuxBootOptions): EntryState {
  const fileName = opts.fileName ?? 'the kernel';
  if (h.version < 0x202 || !(h.loadflags & LOADED_HIGH)) {
    throw new BootError(`${fileName} uses Linux boot protocol ${(h.version >> 8)}.${(h.version & 0xff).toString().padStart(2, '0')} without LOADED_HIGH; Faultline boots bzImage kernels (protocol 2.02 or newer)`);
  }
  const setupSize = (h.setupSects + 1) * 512;
  if (setupSize >= bytes.length) throw new BootError(`${fileName} is truncated: its setup header says ${setupSize} bytes of real-mode code but the file has ${bytes.length}`);
  const cmdline = opts.cmdline ?? '';
  if (cmdline.length >= h.cmdlineSize) throw new BootError(`the command line is ${cmdline.length} bytes; this kernel accepts at most ${h.cmdlineSize - 1}`);

  // The protected-mode kernel at 1 MiB (code32_start's default, where QEMU loads it).
  const prot = bytes.subarray(setupSize);
  const kernelAt = 0x100000;
  checkRam(phys, kernelAt, prot.length, 'the Linux kernel');
  phys.load(kernelAt, prot);

  // The zero page: zeroed, then the setup header copied from the image (boot.rst: "copy the setup header").
  const zp = LINUX_ZERO_PAGE;
  checkRam(phys, zp, PAGE_SIZE, 'the Linux zero page');
  phys.load(zp, new Uint8Array(PAGE_SIZE));
  const hdrEnd = 0x202 + bytes[0x201];
  phys.load(zp + BP.setupHeader, bytes.subarray(BP.setupHeader, hdrEnd));
  phys.write(zp + HDR.typeOfLoader, 1, LOADER_QEMU);
  phys.write(zp + HDR.loadflags, 1, (h.loadflags | CAN_USE_HEAP) & 0xff);
  phys.write(zp + HDR.heapEndPtr, 2, 0xfe00);
  phys.write(zp + HDR.code32Start, 4, kernelAt);
  writeScreenInfo(phys, zp);

  const cmd = latin1Bytes(cmdline, true);
  phys.load(LINUX_CMDLINE, cmd);
  phys.write(zp + HDR.cmdLinePtr, 4, LINUX_CMDLINE);

  // The initrd where it ends up under QEMU. x86_load_linux puts it page aligned under initrd_addr_max and the top of
  // low RAM less ACPI_DATA_SIZE; then QEMU's linuxboot option ROM, when its end is not in initrd_addr_max's page
  // (RAM, not initrd_addr_max, was the limit), moves it under the top of memory the BIOS reports through INT 15h
  // E801, which is where the usable RAM ends below SeaBIOS's 128 KiB of high tables (linuxboot_dma.c). Under QEMU
  // 7.2 with 128 and 256 MiB a 1,028,447-byte initrd lands at 0x7ee4000 and 0xfee4000.
  let initrd: Range | undefined;
  if (opts.initrd && opts.initrd.length > 0) {
    const size = opts.initrd.length;
    let at = qemuInitrdAddress(h, phys.size, size);
    if (initrdMovedByRom(h, at, size)) at = Math.floor((highTablesBase(phys.size) - size) / PAGE_SIZE) * PAGE_SIZE;
    if (at < kernelAt + prot.length) {
      throw new BootError(`the initrd (${opts.initrd.length} bytes) does not fit in RAM beside the kernel; raise memoryMB`);
    }
    phys.load(at, opts.initrd);
    phys.write(zp + HDR.ramdiskImage, 4, at);
    phys.write(zp + HDR.ramdiskSize, 4, size);
    initrd = { start: at, end: at + size };
  }

  const map = opts.lowMemory.e820.slice(0, BP.e820Max);
  map.forEach((r, i) => {
    const p = zp + BP.e820Table + i * 20;
    write64(phys, p, r.base);
    write64(phys, p + 8, r.length);
    phys.write(p + 16, 4, r.type);
  });
  phys.write(zp + BP.e820Entries, 1, map.length);

  // GDT: 0x10 flat 32-bit code (execute/read), 0x18 flat 32-bit data (read/write).
  const gdt = new Uint8Array(32);
  const g = new DataView(gdt.buffer);
  g.setUint32(16, 0x0000ffff, true);
  g.setUint32(20, 0x00cf9a00, true);
  g.setUint32(24, 0x0000ffff, true);
  g.setUint32(28, 0x00cf9200, true);
  phys.load(LINUX_GDT, gdt);

  return {
    protocol: 'linux', entry: kernelAt, eax: 0, ebx: 0,
    regs: { ecx: 0, edx: 0, esi: zp, edi: 0, ebp: 0, esp: 0 },
    gdtBase: LINUX_GDT, gdtLimit: gdt.length - 1, cs: LINUX_BOOT_CS, ds: LINUX_BOOT_DS,
    cr0: CR0_PE | CR0_ET, eflags: 0x2, a20: true,
    infoAddress: zp, kernelRange: { start: kernelAt, end: kernelAt + prot.length },
    modules: initrd ? [{ name: 'initrd', start: initrd.start, end: initrd.end, cmdline: '' }] : [],
  };
}
