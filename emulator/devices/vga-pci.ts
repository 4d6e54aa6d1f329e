import { MmioHandler } from './device';
import { EDID_REGION_SIZE, generateEdid } from './edid';
import { PciFunction } from './pci';

/**
 * The PCI face of QEMU's standard VGA ("VGA", PCI 00:02.0, 1234:1111, class 0x0300; hw/display/vga-pci.c,
 * docs/specs/standard-vga.rst):
 * - BAR0: the 16 MiB prefetchable linear framebuffer of the Bochs VBE extensions.
 * - BAR2: 4 KiB of MMIO registers (QEMU's `mmio`, `qemu-extended-regs` and `edid` properties, on for the pc
 *   machine): 0x000-0x3FF the EDID (edid.ts: 256 bytes, then zeros; SeaBIOS's VGA BIOS finds it there and serves
 *   VBE/DDC from it); 0x400-0x41F the VGA ports 0x3C0-0x3DF (a 16-bit access is two byte accesses, low byte first, so an
 *   index/data pair takes one word write); 0x500-0x515 the Bochs dispi registers flat, register n at 2n
 *   (each access selects the index, as QEMU's does, so the 0x1CE index port reads back the last one used);
 *   0x600-0x607 QEMU's extended registers: the region size (8) and the framebuffer byte order (0x1e1e1e1e
 *   little endian, 0xbebebebe big endian). Everything else in the BAR reads 0 and ignores writes.
 * - The expansion ROM BAR holds the VGA BIOS (SeaBIOS's vgabios-stdvga.bin), which SeaBIOS copies to 0xC0000
 *   and runs, as QEMU's `-vga std` does.
 * The VGA registers, text buffer and the dispi interface themselves are vga.ts and vga-vbe.ts; `lfbAddress()`
 * is where the firmware placed the framebuffer (0 until it did).
 */
export const VGA_LFB_SIZE = 16 * 1024 * 1024;
export const VGA_MMIO_SIZE = 0x1000;
const IOPORTS = 0x400;
const IOPORTS_END = 0x420;
const BOCHS = 0x500;
const BOCHS_END = 0x516;
const QEXT = 0x600;
export const QEXT_LITTLE_ENDIAN = 0x1e1e1e1e;
export const QEXT_BIG_ENDIAN = 0xbebebebe;

/** What the MMIO BAR reaches inside the VGA (vga.ts implements it). */
export interface VgaRegisterFile {
  /** A VGA register port in 0x3C0-0x3DF as QEMU's vga_ioport_read/write (0 for ports the VGA does not decode). */
  ioRead8(port: number): number;
  ioWrite8(port: number, value: number): void;
  /** Bochs dispi register `index` (selects it first, as the MMIO path does). */
  dispiRead(index: number): number;
  dispiWrite(index: number, value: number): void;
  bigEndianFb: boolean;
}

export class VgaPci extends PciFunction {
  constructor(rom: Uint8Array | undefined, regs?: VgaRegisterFile) {
    super('vga', 2, 0, { vendor: 0x1234, device: 0x1111, classCode: 0x030000, revision: 0x02 });
    this.defineBar(0, { size: VGA_LFB_SIZE, io: false, prefetchable: true });
    if (regs) this.defineBar(2, { size: VGA_MMIO_SIZE, io: false, mmio: vgaMmio(regs) });
    if (rom) this.defineRom(rom);
  }

  lfbAddress(): number {
    return this.barAddress(0);
  }
}

/**
 * The BAR2 register window. Sizes follow QEMU's memory core: the port window takes 1- and 2-byte accesses (a
 * 4-byte access is two 2-byte ones), the dispi window 2-byte accesses (a byte access reads or writes the
 * register at offset >> 1, a 4-byte access is two registers), the extended registers only 4-byte accesses;
 * an 8-byte access is invalid everywhere and reads 0.
 */
function vgaMmio(r: VgaRegisterFile): MmioHandler {
  const port16 = (off: number): number => r.ioRead8(0x3c0 + off) | (r.ioRead8(0x3c1 + off) << 8);
  const edid = generateEdid();
  const read = (offset: number, size: number): number => {
    if (size === 8) return 0;
    if (offset < EDID_REGION_SIZE) {
      // Byte-wide registers: a wider access is the bytes from `offset` up, little-endian.
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + (offset + i < edid.length ? edid[offset + i] : 0);
      return v;
    }
    if (offset >= IOPORTS && offset < IOPORTS_END) {
      const o = offset - IOPORTS;
      if (size === 1) return r.ioRead8(0x3c0 + o);
      if (size === 2) return port16(o);
      return (port16(o) | (port16(o + 2) << 16)) >>> 0;
    }
    if (offset >= BOCHS && offset < BOCHS_END) {
      const o = offset - BOCHS;
      if (size === 4) return (r.dispiRead(o >> 1) | (r.dispiRead((o + 2) >> 1) << 16)) >>> 0;
      const v = r.dispiRead(o >> 1);
      return size === 1 ? v & 0xff : v;
    }
    if (offset === QEXT && size === 4) return 8;
    if (offset === QEXT + 4 && size === 4) return r.bigEndianFb ? QEXT_BIG_ENDIAN : QEXT_LITTLE_ENDIAN;
    return 0;
  };
  const write = (offset: number, size: number, value: number): void => {
    if (size === 8) return;
    if (offset >= IOPORTS && offset < IOPORTS_END) {
      const o = offset - IOPORTS;
      for (let i = 0; i < size; i++) r.ioWrite8(0x3c0 + o + i, (value >>> (8 * i)) & 0xff);
      return;
    }
    if (offset >= BOCHS && offset < BOCHS_END) {
      const o = offset - BOCHS;
      if (size === 4) {
        r.dispiWrite(o >> 1, value & 0xffff);
        r.dispiWrite((o + 2) >> 1, (value >>> 16) & 0xffff);
      } else r.dispiWrite(o >> 1, value & (size === 1 ? 0xff : 0xffff));
      return;
    }
    if (offset === QEXT + 4 && size === 4) {
      if (value >>> 0 === QEXT_BIG_ENDIAN) r.bigEndianFb = true;
      if (value >>> 0 === QEXT_LITTLE_ENDIAN) r.bigEndianFb = false;
    }
  };
  return { read, write };
}
