import { BiosRom, ISA_BIOS_BASE } from './bios-rom';
import { allOnes } from './ports';
import { IoBus } from './bus';
import { PhysicalMemory } from '../memory/phys';
import { PciFunction } from './pci';

/**
 * Intel 82441FX host bridge (PMC), PCI 00:00.0, 8086:1237, as QEMU's hw/pci-host/i440fx.c presents it (the
 * Red Hat 1af4:1100 subsystem is how SeaBIOS recognises QEMU). Its registers that matter to firmware:
 *
 * - PAM0-PAM6 (0x59-0x5F, 82441FX datasheet §3.2.18): for each of 13 segments of 0xC0000-0xFFFFF (PAM0's high
 *   nibble: 64 KiB at 0xF0000; PAM1-6: two 16 KiB segments each from 0xC0000) bit 0/4 "RE" sends reads to
 *   DRAM and bit 1/5 "WE" sends writes to DRAM; otherwise the cycle goes to PCI, where 0xE0000-0xFFFFF is the
 *   BIOS ROM alias and 0xC0000-0xDFFFF reads 0 (QEMU's empty "pc.rom"). SeaBIOS runs from the ROM, sets
 *   PAM to read/write DRAM, copies itself in (shadow RAM), and finally makes it read-only.
 * - SMRAM (0x72): D_OPEN/D_CLS/D_LCK/G_SMRAME with C_BASE_SEG fixed at 010b (0xA0000). The machine has no SMM,
 *   and the legacy VGA window is RAM-backed, so the register only keeps its value and its lock.
 *
 * Only segments that are not DRAM for both reads and writes dispatch through MMIO: once SeaBIOS has shadowed
 * itself read/write the area is plain RAM for the CPU's TLB. Every change calls `onMapChange` (the machine flushes
 * the TLB) with the range of the segments whose reads changed, where decoded code is stale (size 0: only where
 * writes go changed).
 */
export const I440FX_PAM0 = 0x59;
export const I440FX_SMRAM = 0x72;
const SHADOW_BASE = 0xc0000;
const SHADOW_SIZE = 0x40000;

const SMRAM_D_OPEN = 0x40;
const SMRAM_D_CLS = 0x20;
const SMRAM_D_LCK = 0x10;
const SMRAM_G_SMRAME = 0x08;

export class I440fx extends PciFunction {
  /** Per 16 KiB block of 0xC0000-0xFFFFF: the PAM attribute (bit 0 RE, bit 1 WE), recomputed on writes. */
  private readonly attr = new Uint8Array(SHADOW_SIZE / 0x4000);
  /** Per block: 1 once its MMIO dispatch has been set up for its current attribute. */
  private readonly mapped = new Uint8Array(SHADOW_SIZE / 0x4000);
  private bus?: IoBus;
  onMapChange: (base: number, size: number) => void = () => {};

  constructor(private readonly phys: PhysicalMemory, private readonly bios: BiosRom | undefined, private readonly memoryBytes: number) {
    super('i440fx', 0, 0, { vendor: 0x8086, device: 0x1237, classCode: 0x060000, revision: 0x02 });
    this.config[I440FX_SMRAM] = 0x02;
    this.writable[I440FX_SMRAM] = 0x78;
    this.writable[0x73] = 0;
  }

  attach(bus: IoBus): void {
    this.bus = bus;
    bus.registerMmio('i440fx-pam', SHADOW_BASE, SHADOW_SIZE, {
      read: (offset, size) => this.readShadow(SHADOW_BASE + offset, size),
      write: (offset, size, value) => this.writeShadow(SHADOW_BASE + offset, size, value),
    });
    this.updateMap();
  }

  /** The PAM attribute (RE bit 0, WE bit 1) of physical address `addr` in 0xC0000-0xFFFFF. */
  pamAttr(addr: number): number {
    return this.attr[(addr - SHADOW_BASE) >>> 14];
  }

  protected configWritten(offset: number, size: number): void {
    if (offset <= I440FX_SMRAM && offset + size > I440FX_SMRAM) this.smramWritten();
    if (offset < I440FX_PAM0 + 7 && offset + size > I440FX_PAM0) this.updateMap();
  }

  private smramWritten(): void {
    let v = this.config[I440FX_SMRAM];
    // D_LCK makes D_OPEN, D_LCK and G_SMRAME read-only until reset (datasheet §3.2.24); it also closes D_OPEN.
    if (v & SMRAM_D_LCK) {
      v &= ~SMRAM_D_OPEN;
      this.writable[I440FX_SMRAM] = SMRAM_D_CLS;
    }
    this.config[I440FX_SMRAM] = (v & (SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME)) | 0x02;
  }

  resetConfig(initial: Uint8Array): void {
    this.writable[I440FX_SMRAM] = 0x78;
    super.resetConfig(initial);
  }

  private updateMap(): void {
    const bus = this.bus;
    if (!bus) return;
    let changed = false;
    // The lowest and highest segment whose reads (and fetches) go elsewhere now: the range of decoded code that
    // is stale. A segment whose WE alone changed (SeaBIOS making its shadow read-only) still reads the same bytes.
    let lo = -1, hi = -1;
    for (let block = 0; block < this.attr.length; block++) {
      const addr = SHADOW_BASE + block * 0x4000;
      const a = addr >= 0xf0000 ? (this.config[I440FX_PAM0] >>> 4) & 3 : (this.config[I440FX_PAM0 + 1 + ((addr - SHADOW_BASE) >>> 15)] >>> (addr & 0x4000 ? 4 : 0)) & 3;
      if (a === this.attr[block] && this.mapped[block] !== 0) continue;
      if (((a ^ this.attr[block]) & 1) !== 0 || this.mapped[block] === 0) {
        if (lo < 0) lo = addr;
        hi = addr + 0x4000;
      }
      this.attr[block] = a;
      this.mapped[block] = 1;
      // DRAM for reads and writes (and present): the CPU may treat the block as RAM; DRAM for reads only
      // (SeaBIOS's read-only BIOS after its POST): RAM for reads and fetches, writes go to writeShadow.
      const ram = addr + 0x4000 <= this.memoryBytes;
      bus.setMmioPages(addr, 0x4000, ram && a === 3 ? false : ram && a === 1 ? 'writes' : true);
      changed = true;
    }
    if (changed) this.onMapChange(Math.max(lo, 0), hi - lo);
  }

  private readShadow(addr: number, size: number): number {
    if (this.pamAttr(addr) & 1) return this.phys.readRam(addr, size);
    if (addr >= ISA_BIOS_BASE) return this.bios ? this.bios.isaAlias(addr - ISA_BIOS_BASE, size) : allOnes(size);
    return 0;
  }

  private writeShadow(addr: number, size: number, value: number): void {
    if (this.pamAttr(addr) & 2) this.phys.writeRam(addr, size, value);
  }
}
