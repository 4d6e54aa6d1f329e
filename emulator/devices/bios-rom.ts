import { IoBus } from './bus';
import { Device } from './device';

/**
 * The system BIOS flash (QEMU hw/i386/pc_sysfw.c, "pc.bios"): the image ends at 4 GiB, so a 256 KiB
 * SeaBIOS sits at 0xFFFC0000-0xFFFFFFFF and the CPU's reset vector 0xFFFFFFF0 is its last paragraph. Its
 * last 128 KiB are also visible at 0xE0000-0xFFFFF ("isa-bios") whenever the i440FX PAM registers route
 * those reads to the PCI side instead of shadow RAM; the PAM logic (i440fx.ts) asks `isaAlias` for them.
 * Read-only: writes are ignored, as to QEMU's ROM region.
 *
 * Public API: new BiosRom(image), attach(bus), isaAlias(offsetFromE0000, size), base.
 */
export const ISA_BIOS_BASE = 0xe0000;
export const ISA_BIOS_SIZE = 0x20000;

export class BiosRom implements Device {
  readonly name = 'bios-rom';
  readonly base: number;

  constructor(readonly image: Uint8Array) {
    if (image.length === 0 || image.length % 0x10000 !== 0 || image.length > 16 * 1024 * 1024) {
      throw new Error(`the BIOS image is ${image.length} bytes; it must be a non-empty multiple of 64 KiB (SeaBIOS bios-256k.bin is 262144)`);
    }
    this.base = 0x1_0000_0000 - image.length;
  }

  attach(bus: IoBus): void {
    bus.registerMmio('bios-rom', this.base, this.image.length, {
      read: (offset, size) => this.bytes(offset, size),
      write: () => {},
      romBytes: this.image,
    });
  }

  /** Read the 128 KiB ISA alias: `offset` from 0xE0000. */
  isaAlias(offset: number, size: number): number {
    return this.bytes(this.image.length - ISA_BIOS_SIZE + offset, size);
  }

  private bytes(offset: number, size: number): number {
    const m = this.image;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (offset + i < m.length ? m[offset + i] : 0xff);
    return v;
  }

  reset(): void {}
  saveState(): unknown {
    return {};
  }
  loadState(): void {}
}
