import { fromBase64, toBase64 } from '../bytes';
import { IoBus } from './bus';
import { Device, IrqLines } from './device';

/** Physical base and length of the test device's memory window (kvm-unit-tests' x86/ioram.h). */
export const TESTDEV_IOMEM_BASE = 0xff000000;
export const TESTDEV_IOMEM_LEN = 0x10000;
/** ISA interrupt lines the IRQ-line ports at 0x2000 drive. */
const IRQ_LINES = 24;

/**
 * QEMU's pc-testdev (`-device pc-testdev`), which kvm-unit-tests' x86 tests use to check emulated I/O:
 * - ports 0xE0–0xE3: a data register; a write of any size replaces the value, a read returns it (so
 *   `rep outsb` leaves the last byte, `inb` reads it back);
 * - port 0xE4 (4 bytes): "flush page", a hint for QEMU's TLB; ours has nothing to flush for the device;
 * - ports 0x2000–0x2017: one per ISA interrupt line; a byte written to 0x2000 + n raises line n when nonzero
 *   and lowers it when zero (realmode's "sti inhibit" sets and clears IRQ 11). QEMU declares them valid for
 *   1-byte accesses only, so wider accesses are dropped as there;
 * (QEMU's byte-wide copy of the register at 0xE8 is left out: it overlaps debugcon's 0xE9, and no test uses it);
 * - 64 KiB of memory at 0xFF000000 that behaves like RAM but is reached through the MMIO path (the
 *   `emulator` test maps it as its "MMIO" page and runs every ALU/string instruction against it).
 */
export class PcTestdev implements Device {
  readonly name = 'pc-testdev';
  private data = 0;
  constructor(private readonly irq?: IrqLines) {}
  private readonly iomem = new Uint8Array(TESTDEV_IOMEM_LEN);
  /** iomem as saved last (base64), reused while nothing wrote it: a snapshot every 500,000 instructions
   *  would otherwise encode 64 KiB each time (reverse-debugging overhead). */
  private savedIomem: string | undefined;

  attach(bus: IoBus): void {
    const reg = {
      read: (_port: number, size: number) => (size === 4 ? this.data >>> 0 : this.data & (size === 2 ? 0xffff : 0xff)),
      write: (_port: number, size: number, value: number) => {
        this.data = size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
      },
    };
    bus.registerPorts(0xe0, 4, reg);
    bus.registerPorts(0xe4, 4, { read: () => 0, write: () => {} });
    bus.registerPorts(0x2000, IRQ_LINES, {
      read: () => 0xffffffff,
      write: (port: number, size: number, value: number) => {
        if (size === 1) this.irq?.setIrq(port - 0x2000, (value & 0xff) !== 0);
      },
    });
    bus.registerMmio('pc-testdev iomem', TESTDEV_IOMEM_BASE, TESTDEV_IOMEM_LEN, {
      read: (off, size) => {
        let v = 0;
        for (let k = Math.min(size, 4) - 1; k >= 0; k--) v = v * 256 + (off + k < TESTDEV_IOMEM_LEN ? this.iomem[off + k] : 0xff);
        return v;
      },
      write: (off, size, value) => {
        this.savedIomem = undefined;
        for (let k = 0; k < Math.min(size, 4) && off + k < TESTDEV_IOMEM_LEN; k++) this.iomem[off + k] = (value >>> (8 * k)) & 0xff;
      },
    });
  }

  reset(): void {
    this.data = 0;
    this.iomem.fill(0);
    this.savedIomem = undefined;
  }

  saveState(): unknown {
    this.savedIomem ??= toBase64(this.iomem);
    return { data: this.data, iomem: this.savedIomem };
  }

  loadState(state: unknown): void {
    const s = state as { data: number; iomem: string };
    this.data = s.data >>> 0;
    this.iomem.set(fromBase64(s.iomem));
    this.savedIomem = s.iomem;
  }
}
