import { TimerKey, VirtualClock } from '../clock';
import { readPhysical, writePhysical } from '../memory/dma';
import { PhysicalMemory } from '../memory/phys';
import { nonZeroWords } from '../page-pack-wasm';
import { Device, MmioHandler } from './device';
import {
  BMCR_ANRESTART, BMCR_AUTOEN, BMCR_LOOPBACK, BMCR_RESET, BMSR_AN_COMP, BMSR_LINK_ST, ANLPAR_ACK, CLEAR_ON_READ,
  CLEAR_ON_READ_64, CTRL_RST, E1000_DEVICE_ID, E1000_MAC, Eeprom, ICR_LSC, ICR_TXDW, ICR_MDAC, ICR_TXQE, MASKED_WRITE,
  MDIC_INT_EN, MII_ANLPAR, MII_BMCR, MII_BMSR, RCTL_EN, REG, REG_DWORDS, STATUS_LU, TCTL_EN, eepromImage,
  isPlainWritable, isReadable, macRegInit, mdicAccess, phyRegInit, rangeWriteMask,
} from './e1000-regs';
import { E1000Rings, RingHost } from './e1000-rings';
import { BarPorts, PCI, PciFunction } from './pci';

const PCI_COMMAND_MASTER = 4;
import { num } from './ports';

/**
 * QEMU's default NIC on the `pc` machine: an Intel 82540EM ("e1000", PCI 00:03.0 behind the VGA, 00:02.0 without one, 8086:100E rev 3, class 0x020000,
 * subsystem 1AF4:1100; hw/net/e1000.c), as QEMU 7.2 models it:
 * - BAR0: the 128 KiB register file (e1000-regs.ts: register map, EEPROM, PHY); BAR1: 64 bytes of I/O ports;
 *   INTA#, routed by the board (PIIX3 PIRQ); the expansion ROM is iPXE's efi-e1000.rom when installed.
 * - Registers are 32-bit: a narrower read takes its bytes from the dword, a narrower write writes the whole dword
 *   with the other bytes zero (QEMU's memory core with min_access_size 4).
 * - Interrupts: ICR is read-to-clear, ICS sets causes, IMS/IMC mask; INTx follows (ICR & IMS) != 0. Mitigation as
 *   QEMU's: a rising edge arms a timer of max(ITR, RADV×4 if RDTR, TADV×4 if a descriptor asked IDE; at least 500)
 *   × 256 ns, during which further rising edges wait.
 * - Descriptor rings, TX offloads and RX filtering: e1000-rings.ts. Received frames the card cannot take yet wait
 *   in a queue (QEMU's net queue) until RDT, the link, bus mastering or the RX flush timer lets them in: writing
 *   RCTL holds reception for 1 s of virtual time, as QEMU's flush_queue_timer.
 * - The PHY's autonegotiation: restarting it (BMCR.ANRESTART with AUTOEN) takes the link down for 500 ms, then up
 *   with LSC, as QEMU.
 * Where QEMU and the 8254x SDM disagree the SDM wins (recorded here):
 * - CTRL.RST resets the MAC (registers to their reset values, RAL/RAH from the EEPROM, transmit state, pending
 *   interrupts; not the PHY, the EEPROM shifter or PCI configuration; SDM §13.4.1); QEMU 7.2 only clears the bit.
 * - BAR1 is IOADDR (0x00, the register offset) and IODATA (0x04, that register) as SDM §13.2.1; QEMU's I/O
 *   window reads 0 and ignores writes.
 * All timing is virtual time (instruction count), so recordings and reverse debugging replay the network.
 *
 * Public API: E1000 (PCI function + Device), NetBackend, E1000_ROM_PATH, loadE1000Rom (e1000-rom.ts).
 */
export interface NetBackend {
  /** The guest sent a frame (without FCS). */
  receiveFromGuest(frame: Uint8Array): void;
}

const MMIO_SIZE = 0x20000;
const IO_SIZE = 0x40;
const AUTONEG_NS = 500_000_000;
const FLUSH_NS = 1_000_000_000;

export class E1000 extends PciFunction implements Device, RingHost {
  /**
   * A PCI NIC is hot-pluggable in QEMU (DeviceClass default): the DSDT gives its slot _SUN/_EJ0 and the PCI hotplug
   * RMV register has its bit, as for an empty slot. An ACPI eject does not remove it here (QEMU's would unplug it).
   */
  override readonly hotpluggable: boolean = true;
  readonly regs = new Uint32Array(REG_DWORDS);
  phy = phyRegInit();
  readonly eeprom: Eeprom;
  readonly rings: E1000Rings;
  /** The network on the other side of the cable (usernet.ts), if any. */
  backend?: NetBackend;
  /** Frames from the network waiting for the card to take them (oldest first). */
  private queue: Uint8Array[] = [];
  private mitTimerOn = false;
  private mitIrqLevel = false;
  mitIde = 0;
  /** Deadlines (instruction counts, -1: none) of the mitigation, autonegotiation and RX flush timers. */
  private mitAt = -1;
  private autonegAt = -1;
  private flushAt = -1;
  private readonly timerIds = [0, 0, 0];
  private ioAddr = 0;

  constructor(
    readonly phys: PhysicalMemory,
    private readonly clock: VirtualClock,
    rom: Uint8Array | undefined,
    readonly mac: Uint8Array = E1000_MAC,
    slot = 3,
  ) {
    super('e1000', slot, 0, { vendor: 0x8086, device: E1000_DEVICE_ID, classCode: 0x020000, revision: 0x03, pin: 1 });
    // QEMU's realize sets a cache line size of 0x10, but its device reset (pci_do_device_reset) clears it before the
    // firmware runs: Linux reports "PCI: CLS 0 bytes" under QEMU. The reset value is what a guest sees.
    this.eeprom = new Eeprom(eepromImage(mac));
    this.rings = new E1000Rings(this);
    this.defineBar(0, { size: MMIO_SIZE, io: false, mmio: this.mmioHandler() });
    this.defineBar(1, { size: IO_SIZE, io: true, ports: this.ioWindow() });
    if (rom) this.defineRom(rom);
    this.reset();
  }

  // ---- Device ----

  reset(): void {
    for (let i = 0; i < 3; i++) this.cancelTimer(i);
    this.mitTimerOn = this.mitIrqLevel = false;
    this.mitIde = 0;
    this.phy = phyRegInit();
    macRegInit(this.regs, this.mac);
    this.rings.reset();
    this.eeprom.reset();
    this.queue = [];
    this.ioAddr = 0;
  }

  saveState(): unknown {
    return {
      // The non-zero registers (a few dozen of 32 768) as index, value pairs: the scan runs at every history snapshot.
      regs: nonZeroWords(this.regs, []), phy: Array.from(this.phy), eecd: this.eeprom.save(), tx: this.rings.save(),
      queue: this.queue.map((f) => Array.from(f)), mit: [this.mitTimerOn ? 1 : 0, this.mitIrqLevel ? 1 : 0, this.mitIde],
      timers: [this.mitAt, this.autonegAt, this.flushAt], ioAddr: this.ioAddr,
    };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Record<string, unknown>;
    this.regs.fill(0);
    const sparse = Array.isArray(o.regs) ? o.regs : [];
    for (let k = 0; k + 1 < sparse.length; k += 2) this.regs[num(sparse[k])] = num(sparse[k + 1]);
    this.phy = Uint16Array.from(Array.isArray(o.phy) ? o.phy.map((x) => num(x)) : phyRegInit());
    this.eeprom.load(o.eecd);
    this.rings.load(o.tx);
    this.queue = Array.isArray(o.queue) ? o.queue.map((f) => Uint8Array.from(f as number[])) : [];
    const mit = Array.isArray(o.mit) ? o.mit.map((x) => num(x)) : [];
    this.mitTimerOn = mit[0] === 1;
    this.mitIrqLevel = mit[1] === 1;
    this.mitIde = mit[2] ?? 0;
    this.ioAddr = num(o.ioAddr);
    const t = Array.isArray(o.timers) ? o.timers.map((x) => Number(x)) : [-1, -1, -1];
    // The machine cleared the clock's timers before loading: arm ours again at their saved deadlines.
    this.timerIds.fill(0);
    [this.mitAt, this.autonegAt, this.flushAt] = [t[0] ?? -1, t[1] ?? -1, t[2] ?? -1];
    for (let i = 0; i < 3; i++) this.armTimer(i);
  }

  // ---- the network side ----

  /** A frame from the network: taken at once if the card can, else queued (QEMU's qemu_send_packet). */
  deliver(frame: Uint8Array): void {
    if (this.queue.length === 0 && this.canReceive()) {
      if (this.rings.receive(frame) !== 0) return;
    }
    if (this.queue.length < 10000) this.queue.push(frame);
  }

  /** QEMU's e1000_can_receive: link up, RCTL.EN, bus mastering, a free descriptor, the flush timer not pending. */
  canReceive(): boolean {
    return (this.regs[REG.STATUS >> 2] & STATUS_LU) !== 0 && (this.regs[REG.RCTL >> 2] & RCTL_EN) !== 0
      && (this.config[PCI.COMMAND] & PCI_COMMAND_MASTER) !== 0 && this.rings.hasRxBufs(1) && this.flushAt < 0;
  }

  /** qemu_flush_queued_packets: deliver waiting frames while the card takes them (a dropped frame is gone). */
  flushQueue(): void {
    while (this.queue.length > 0 && this.canReceive()) {
      const r = this.rings.receive(this.queue[0]);
      if (r === 0) break;
      this.queue.shift();
    }
  }

  /** Frames waiting for the card (tests, the Faultline views). */
  get queuedFrames(): number {
    return this.queue.length;
  }

  // ---- RingHost ----

  /**
   * The card's own memory accesses. Without COMMAND.MASTER nothing reaches memory: QEMU's bus-master address space is
   * disabled then, so reads see unassigned memory (zeros) and writes are dropped, the classic forgotten-bus-mastering
   * driver bug behaves as under QEMU. Beyond 4 GiB (no RAM there) the same.
   */
  dmaRead(addr: number, len: number): Uint8Array {
    if (!(this.config[PCI.COMMAND] & PCI_COMMAND_MASTER) || addr + len > 2 ** 32) return new Uint8Array(len);
    return readPhysical(this.phys, addr, len);
  }

  dmaWrite(addr: number, bytes: Uint8Array): void {
    if (this.config[PCI.COMMAND] & PCI_COMMAND_MASTER) writePhysical(this.phys, addr, bytes);
  }

  transmit(frame: Uint8Array): void {
    if (this.phy[MII_BMCR] & BMCR_LOOPBACK) this.deliver(frame.slice());
    else this.backend?.receiveFromGuest(frame.slice());
  }

  rxFlushPending(): boolean {
    return this.flushAt >= 0;
  }

  /** set_ics: add interrupt causes. */
  setIcs(cause: number): void {
    this.setInterruptCause((cause | this.regs[REG.ICR >> 2]) >>> 0);
  }

  // ---- interrupts (QEMU set_interrupt_cause) ----

  private setInterruptCause(val: number): void {
    const r = this.regs;
    r[REG.ICR >> 2] = val;
    r[REG.ICS >> 2] = val; // ICS reads as ICR (without the clearing), as QEMU and real hardware
    const pending = (r[REG.IMS >> 2] & val) >>> 0;
    if (!this.mitIrqLevel && pending) {
      if (this.mitTimerOn) return;
      let delay = 0;
      const upd = (v: number) => { if (v && (delay === 0 || v < delay)) delay = v; };
      if (this.mitIde && (pending & (ICR_TXQE | ICR_TXDW))) upd(r[REG.TADV >> 2] * 4);
      if (r[REG.RDTR >> 2] && (pending & 0x80)) upd(r[REG.RADV >> 2] * 4);
      upd(r[REG.ITR >> 2]);
      if (delay < 500) delay = 500;
      this.mitTimerOn = true;
      this.mitAt = this.clock.instructions + delay * 256;
      this.armTimer(0);
      this.mitIde = 0;
    }
    this.mitIrqLevel = pending !== 0;
    this.setIntx(this.mitIrqLevel);
  }

  private timerFired(i: number): void {
    this.timerIds[i] = 0;
    if (i === 0) {
      this.mitAt = -1;
      this.mitTimerOn = false;
      this.setInterruptCause(this.regs[REG.ICR >> 2]);
    } else if (i === 1) {
      this.autonegAt = -1;
      // e1000_autoneg_timer: the link comes up with autonegotiation complete, then LSC.
      this.regs[REG.STATUS >> 2] |= STATUS_LU;
      this.phy[MII_BMSR] |= BMSR_LINK_ST | BMSR_AN_COMP;
      this.phy[MII_ANLPAR] |= ANLPAR_ACK;
      this.flushQueue();
      this.setIcs(ICR_LSC);
    } else {
      this.flushAt = -1;
      this.flushQueue();
    }
  }

  private armTimer(i: number): void {
    this.cancelTimer(i);
    const at = [this.mitAt, this.autonegAt, this.flushAt][i];
    if (at >= 0) this.timerIds[i] = this.clock.schedule(at, () => this.timerFired(i), TimerKey.E1000 + i);
  }

  private cancelTimer(i: number): void {
    if (this.timerIds[i]) this.clock.cancel(this.timerIds[i]);
    this.timerIds[i] = 0;
  }

  // ---- registers ----

  /** A 32-bit register read at byte offset `off` (QEMU e1000_mmio_read). */
  readReg(off: number): number {
    off &= 0x1fffc;
    const r = this.regs;
    const i = off >> 2;
    switch (off) {
      case REG.ICR: {
        const v = r[i];
        this.setInterruptCause(0);
        return v;
      }
      case REG.EECD: return this.eeprom.readEecd();
      case REG.EERD: return this.eeprom.readEerd(r[i]);
    }
    if (CLEAR_ON_READ.has(off)) {
      const v = r[i];
      r[i] = 0;
      return v;
    }
    if (CLEAR_ON_READ_64.has(off)) {
      const v = r[i];
      r[i] = r[i - 1] = 0;
      return v;
    }
    return isReadable(off) ? r[i] : 0;
  }

  /** A 32-bit register write (QEMU e1000_mmio_write and its macreg_writeops). */
  writeReg(off: number, val: number): void {
    off &= 0x1fffc;
    val >>>= 0;
    const r = this.regs;
    const i = off >> 2;
    switch (off) {
      case REG.CTRL:
        if (val & CTRL_RST) { this.softwareReset(); return; }
        r[i] = val;
        return;
      case REG.EECD: this.eeprom.writeEecd(val); return;
      case REG.MDIC:
        r[i] = mdicAccess(this.phy, r[i], val, (v) => this.writeBmcr(v));
        if (val & MDIC_INT_EN) this.setIcs(ICR_MDAC);
        return;
      case REG.ICR: this.setInterruptCause((r[i] & ~val) >>> 0); return;
      case REG.ICS: this.setIcs(val); return;
      case REG.IMS: r[i] = (r[i] | val) >>> 0; this.setIcs(0); return;
      case REG.IMC: r[REG.IMS >> 2] = (r[REG.IMS >> 2] & ~val) >>> 0; this.setIcs(0); return;
      case REG.RCTL:
        r[i] = val;
        this.rings.rctlChanged(val);
        // QEMU's flush_queue_timer: reception waits 1 s after RCTL is written.
        this.flushAt = this.clock.instructions + FLUSH_NS;
        this.armTimer(2);
        return;
      case REG.TDLEN: case REG.RDLEN: r[i] = val & 0xfff80; return;
      case REG.TCTL: case REG.TDT:
        r[i] = val;
        r[REG.TDT >> 2] &= 0xffff;
        if (r[REG.TCTL >> 2] & TCTL_EN) this.rings.startXmit();
        return;
      case REG.RDT:
        r[i] = val & 0xffff;
        if (this.rings.hasRxBufs(1)) this.flushQueue();
        return;
    }
    const mask = MASKED_WRITE.get(off) ?? rangeWriteMask(off);
    if (mask) r[i] = val & mask;
    else if (isPlainWritable(off)) r[i] = val;
  }

  /** BMCR through MDIC (QEMU set_phy_ctrl): RESET and ANRESTART self-clear; ANRESTART with AUTOEN renegotiates. */
  private writeBmcr(v: number): void {
    this.phy[MII_BMCR] = v & ~(0x3f | BMCR_RESET | BMCR_ANRESTART);
    if ((this.phy[MII_BMCR] & BMCR_AUTOEN) && (v & BMCR_ANRESTART)) {
      this.linkDown();
      this.autonegAt = this.clock.instructions + AUTONEG_NS;
      this.armTimer(1);
    }
  }

  private linkDown(): void {
    this.regs[REG.STATUS >> 2] &= ~STATUS_LU;
    this.phy[MII_BMSR] &= ~(BMSR_LINK_ST | BMSR_AN_COMP);
    this.phy[MII_ANLPAR] &= ~ANLPAR_ACK;
  }

  /** CTRL.RST (SDM §13.4.1): the MAC back to its reset state; the PHY and its link stay as they are. */
  private softwareReset(): void {
    const linkUp = (this.regs[REG.STATUS >> 2] & STATUS_LU) !== 0;
    this.cancelTimer(0);
    this.mitAt = -1;
    this.mitTimerOn = false;
    this.mitIde = 0;
    macRegInit(this.regs, this.mac);
    if (!linkUp) this.regs[REG.STATUS >> 2] &= ~STATUS_LU;
    this.rings.reset();
    this.setInterruptCause(0);
  }

  private mmioHandler(): MmioHandler {
    return {
      read: (offset, size) => {
        if (size === 8) return this.readReg(offset) + this.readReg(offset + 4) * 2 ** 32;
        const v = this.readReg(offset & ~3);
        if (size === 4) return v;
        return (v >>> (8 * (offset & 3))) & (size === 1 ? 0xff : 0xffff);
      },
      write: (offset, size, value) => {
        if (size === 8) {
          this.writeReg(offset, value % 2 ** 32);
          this.writeReg(offset + 4, Math.floor(value / 2 ** 32));
          return;
        }
        const v = size === 4 ? value : (value & (size === 1 ? 0xff : 0xffff)) << (8 * (offset & 3));
        this.writeReg(offset & ~3, v >>> 0);
      },
    };
  }

  // ---- BAR1: IOADDR / IODATA ----

  /** BAR1: IOADDR at offset 0 selects a register, IODATA at offset 4 reads or writes it (32-bit accesses). */
  private ioWindow(): BarPorts {
    return {
      read: (off, size) => {
        const v = off < 4 ? this.ioAddr : off < 8 ? this.readReg(this.ioAddr) : 0;
        return size === 4 ? v >>> 0 : (v >>> (8 * (off & 3))) & (size === 1 ? 0xff : 0xffff);
      },
      write: (off, size, value) => {
        if (off === 0 && size === 4) this.ioAddr = value & 0x1fffc;
        else if (off === 4 && size === 4) this.writeReg(this.ioAddr, value);
      },
    };
  }

  protected configWritten(offset: number, size: number): void {
    // Bus mastering switched on lets waiting frames in (e1000_write_config); not while a saved state loads (0, 256).
    if (size < 256 && offset <= PCI.COMMAND && offset + size > PCI.COMMAND && (this.config[PCI.COMMAND] & PCI_COMMAND_MASTER)) this.flushQueue();
  }
}

/** Where Debian's ipxe-qemu package installs the ROM QEMU 7.2 gives the e1000 (its romfile "efi-e1000.rom"). */
export const E1000_ROM_PATH = '/usr/lib/ipxe/qemu/efi-e1000.rom';
