import { PciFunction } from './pci';

/**
 * The PCI face of QEMU's standard VGA ("VGA", PCI 00:02.0, 1234:1111, class 0x0300): BAR0 is the 16 MiB
 * prefetchable linear framebuffer of the Bochs VBE extensions, and the expansion ROM BAR holds the VGA BIOS
 * (SeaBIOS's vgabios-stdvga.bin), which SeaBIOS copies to 0xC0000 and runs, as QEMU's `-vga std` does. The
 * VGA registers, text buffer and the Bochs dispi interface are vga.ts; this function only answers PCI
 * configuration cycles. `lfbAddress()` is where the firmware placed the framebuffer (0 until it did).
 */
export const VGA_LFB_SIZE = 16 * 1024 * 1024;

export class VgaPci extends PciFunction {
  constructor(rom: Uint8Array | undefined) {
    super('vga', 2, 0, { vendor: 0x1234, device: 0x1111, classCode: 0x030000, revision: 0x02 });
    this.defineBar(0, { size: VGA_LFB_SIZE, io: false, prefetchable: true });
    if (rom) this.defineRom(rom);
  }

  lfbAddress(): number {
    return this.barAddress(0);
  }
}
