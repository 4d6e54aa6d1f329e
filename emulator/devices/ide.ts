import { fromBase64, toBase64 } from '../bytes';
import type { PhysicalMemory } from '../memory/phys';
import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { BusMaster } from './ide-bmdma';
import { PCI, PciFunction } from './pci';
import { num } from './ports';

/**
 * PIIX3 IDE (PCI 00:01.1, 8086:7010) with its two legacy channels: primary at 0x1F0-0x1F7 + 0x3F6, IRQ 14;
 * secondary at 0x170-0x177 + 0x376, IRQ 15 (ATA/ATAPI-6 §7 register block; QEMU hw/ide/core.c), and bus-master
 * DMA: programming interface 0x80, BAR 4 a 16-byte I/O region (SeaBIOS places it at 0xC040, after the e1000's I/O
 * BAR; 0xC000 on a board without the NIC) decoded while COMMAND bit 0 is set, with each
 * channel's engine (ide-bmdma.ts: command, status, descriptor table) at +0 and +8. A drive's DMA command
 * (READ/WRITE DMA [EXT], an ATAPI PACKET with the DMA feature bit) sets DRQ and waits for the channel's start
 * bit (`requestDma`); then the drive moves its data through the engine (`IdeDrive.runDma`). Any interrupt the
 * channel raises also sets the engine's INTR status bit, as QEMU's bmdma_irq does. A software reset (SRST) or a
 * new command drops a DMA command still waiting for the start bit, as the ATA reset protocol ends commands
 * (QEMU 7.2 keeps its DMA callback across SRST and would run it on the next start).
 *
 * A channel holds the task file (written to both drives, as on the cable) with the previous value of each
 * register for LBA48 (the "HOB" read back when Device Control bit 7 is set), Device Control (nIEN, SRST), and
 * the data port's PIO engine: a drive hands it a buffer to be read by the host (`transferIn`) or a length to
 * be filled by the host (`transferOut`) and a continuation called when the host has moved the last word. The
 * drives' command sets are ata-disk.ts and atapi-cdrom.ts. Commands complete at once (virtual time does not
 * advance during a transfer), and INTRQ goes to the PIC through the channel's IRQ line while nIEN is clear.
 *
 * Public API: PiixIde (the PCI function: attach(bus), channels), IdeChannel, IdeDrive (base class), STATUS/ERR.
 */
export const STATUS = { ERR: 0x01, DRQ: 0x08, DSC: 0x10, DF: 0x20, DRDY: 0x40, BSY: 0x80 } as const;
export const ERR = { ABRT: 0x04 } as const;

/** What a drive sees of its channel while it executes a command. */
export interface TaskFile {
  feature: number;
  count: number;
  lbaLow: number;
  lbaMid: number;
  lbaHigh: number;
  device: number;
  hobFeature: number;
  hobCount: number;
  hobLbaLow: number;
  hobLbaMid: number;
  hobLbaHigh: number;
}

/** One drive on a channel. Subclasses implement the command set and IDENTIFY. */
export abstract class IdeDrive {
  status = STATUS.DRDY | STATUS.DSC;
  error = 0;
  channel!: IdeChannel;
  abstract readonly kind: 'disk' | 'cdrom';
  /** Execute an ATA command written to the command register. */
  abstract execute(cmd: number, tf: TaskFile): void;
  /** Signature after reset / EXECUTE DEVICE DIAGNOSTIC (ATA/ATAPI-6 §9.12). */
  abstract signature(tf: TaskFile): void;
  /** State a snapshot keeps beyond status/error (medium overlay, sense data, multiple count). */
  abstract saveDrive(): unknown;
  abstract loadDrive(state: unknown): void;
  abstract resetDrive(): void;
  /** After a snapshot restore in the middle of a transfer: the continuation for the restored buffer. */
  abstract resumeTransfer(buf: Uint8Array, out: boolean): (() => void) | undefined;
  /** The DMA command this drive started (channel.requestDma) may run: move its data through `bm`. */
  abstract runDma(bm: BusMaster): void;
  /**
   * IDENTIFY words 62, 63 and 88 (single/multiword and Ultra DMA modes, supported and selected) as QEMU keeps
   * them: set by the first IDENTIFY (every mode up to MWDMA2 and UDMA5 supported, UDMA5 selected), changed by
   * SET FEATURES 03h and kept across resets (QEMU's identify_set).
   */
  protected modeWords: number[] | undefined;

  /** Words 62, 63, 88 of an IDENTIFY being built. */
  protected identifyModes(w: Uint16Array): void {
    this.modeWords ??= [0x07, 0x07, 0x3f | (1 << 13)];
    [w[62], w[63], w[88]] = this.modeWords;
  }

  /** SET FEATURES 03h, set transfer mode (QEMU cmd_set_features): false for a mode class it does not know. */
  protected setTransferMode(count: number): boolean {
    const bit = 1 << ((count & 7) + 8);
    const words: Record<number, number[]> = { 0: [7, 7, 0x3f], 1: [7, 7, 0x3f], 2: [7 | bit, 7, 0x3f], 4: [7, 7 | bit, 0x3f], 8: [7, 7, 0x3f | bit] };
    const w = words[count >>> 3];
    if (!w) return false;
    if (this.modeWords) this.modeWords = w; // before the first IDENTIFY QEMU changes words that IDENTIFY then rebuilds
    return true;
  }

  protected saveModes(): unknown {
    return this.modeWords ?? null;
  }

  protected loadModes(v: unknown): void {
    this.modeWords = Array.isArray(v) && v.length === 3 ? v.map((x) => num(x)) : undefined;
  }

  /** End a command with ERR + ABRT (unsupported command or parameter): DRDY|ERR, as QEMU's ide_abort_command. */
  abort(): void {
    this.error = ERR.ABRT;
    this.status = STATUS.DRDY | STATUS.ERR;
    this.channel.raiseIrq();
  }
}

export class IdeChannel {
  readonly drives: (IdeDrive | undefined)[] = [undefined, undefined];
  readonly tf: TaskFile = { feature: 0, count: 0, lbaLow: 0, lbaMid: 0, lbaHigh: 0, device: 0, hobFeature: 0, hobCount: 0, hobLbaLow: 0, hobLbaMid: 0, hobLbaHigh: 0 };
  control = 0;
  /** The channel's bus-master engine. */
  readonly bm: BusMaster;
  /**
   * QEMU keeps a copy of the task file per drive and writes reach both, but a reset leaves each copy its own drive's
   * signature, and an absent drive's is 1, 1, 0xFF, 0xFF (ide_set_signature without a medium). Bit n (2-5): register
   * n of the absent drive still reads that, until the register is next written. Linux's probe of an empty slave
   * sees it ("ata1: found unknown device (class 0)").
   */
  private absentSignature = 0;
  /** The drive (0/1) whose DMA command waits for the engine's start bit, or -1 (QEMU bm->dma_cb). */
  private dmaUnit = -1;
  private irqLevel = false;
  private irqPending = false;
  // PIO engine (one per channel: only the selected drive transfers).
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private out = false;
  private onDone: (() => void) | undefined;

  constructor(readonly index: number, private readonly irq: IrqLines, readonly irqLine: number, phys?: PhysicalMemory, busMaster: () => boolean = () => false) {
    this.bm = new BusMaster(phys, busMaster, () => this.runDma());
  }

  /**
   * The selected drive's DMA command is ready (its status shows DRQ): it runs now if the engine is active,
   * else when the start bit is set (QEMU bmdma_start_dma).
   */
  requestDma(d: IdeDrive): void {
    this.dmaUnit = this.drives.indexOf(d);
    this.bm.beginCommand();
    if (this.bm.active) this.runDma();
  }

  private runDma(): void {
    const d = this.dmaUnit >= 0 ? this.drives[this.dmaUnit] : undefined;
    this.dmaUnit = -1;
    if (d) d.runDma(this.bm);
  }

  setDrive(unit: number, d: IdeDrive | undefined): void {
    this.drives[unit] = d;
    if (d) d.channel = this;
  }

  /** The drive the Device register selects (bit 4). */
  get selected(): IdeDrive | undefined {
    return this.drives[(this.tf.device >>> 4) & 1];
  }

  /** The host will read `data` through the data port; `done` runs after its last byte. Sets DRQ. */
  transferIn(data: Uint8Array, done?: () => void): void {
    this.buf = data;
    this.pos = 0;
    this.end = data.length;
    this.out = false;
    this.onDone = done;
    const d = this.selected!;
    d.status = STATUS.DRDY | STATUS.DSC | STATUS.DRQ;
  }

  /** The host will write `length` bytes through the data port; `done(bytes)` runs after the last one. */
  transferOut(length: number, done: (data: Uint8Array) => void): void {
    this.buf = new Uint8Array(length);
    this.pos = 0;
    this.end = length;
    this.out = true;
    const data = this.buf;
    this.onDone = () => done(data);
    this.selected!.status = STATUS.DRDY | STATUS.DSC | STATUS.DRQ;
  }

  /** No transfer in progress. */
  endTransfer(): void {
    this.pos = this.end = 0;
    this.onDone = undefined;
    this.dmaUnit = -1;
  }

  raiseIrq(): void {
    this.irqPending = true;
    // QEMU ide_bus_set_irq: with nIEN set the request never reaches the line, nor the bus master's INTR bit.
    if (!(this.control & 0x02)) this.bm.interrupt();
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.irqPending && !(this.control & 0x02);
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setIrq(this.irqLine, level);
    }
  }

  /**
   * Data port (offset 0), 1, 2 or 4 bytes, as QEMU 7.2's ide_data_readw/readl: without DRQ for a PIO-in
   * transfer (none, or one to the drive) a read is 0 and moves nothing; so is one that would run past the
   * block. An 8-bit read takes a whole word from the drive and returns its low byte (the ATA data port is 16
   * bits wide: QEMU's ide_ioport_read since 7.1, which the pre-GRUB Solaris boot loader needs).
   */
  readData(size: number): number {
    const n = size === 1 ? 2 : size;
    if (this.out || this.pos + n > this.end) return 0;
    let v = 0;
    for (let i = 0; i < n; i++) v |= this.buf[this.pos++] << (8 * i);
    if (this.pos >= this.end) this.finishBlock();
    return size === 1 ? v & 0xff : v >>> 0;
  }

  /**
   * Up to `count` data-port reads of `size` bytes into dst at `at` (PortHandler.readString), all but the one
   * that ends the block (readData does that one: DRQ clears and the next block or the interrupt follows).
   */
  readDataString(size: number, count: number, dst: Uint8Array, at: number): number {
    if (this.out || this.pos >= this.end || size === 1) return 0; // INSB: one word a byte, through readData
    const n = Math.min(count, Math.floor((this.end - this.pos - 1) / size));
    if (n <= 0) return 0;
    const bytes = n * size;
    dst.set(this.buf.subarray(this.pos, this.pos + bytes), at);
    this.pos += bytes;
    return n;
  }

  /**
   * Up to `count` data-port writes of `size` bytes from src at `at` (PortHandler.writeString), all but the one
   * that ends the block (writeData does that one: DRQ clears and the command goes on).
   */
  writeDataString(size: number, count: number, src: Uint8Array, at: number): number {
    if (!this.out || this.pos >= this.end) return 0;
    const n = Math.min(count, Math.floor((this.end - this.pos - 1) / size));
    if (n <= 0) return 0;
    const bytes = n * size;
    this.buf.set(src.subarray(at, at + bytes), this.pos);
    this.pos += bytes;
    return n;
  }

  writeData(size: number, value: number): void {
    if (!this.out || this.pos >= this.end) return;
    for (let i = 0; i < size && this.pos < this.end; i++) this.buf[this.pos++] = (value >>> (8 * i)) & 0xff;
    if (this.pos >= this.end) this.finishBlock();
  }

  private finishBlock(): void {
    const d = this.selected;
    const done = this.onDone;
    this.onDone = undefined;
    this.pos = this.end = 0;
    if (d) d.status &= ~STATUS.DRQ;
    if (done) done();
  }

  readRegister(reg: number): number {
    const d = this.selected;
    const none = !this.drives[0] && !this.drives[1];
    const absent = none || (!d && ((this.tf.device >>> 4) & 1) === 1);
    const hob = (this.control & 0x80) !== 0;
    const t = this.tf;
    if (!d && !none && !hob && (this.absentSignature >> reg) & 1) return reg <= 3 ? 1 : 0xff;
    // A channel with no drive at all reads 0 in every register (QEMU's ide_ioport_read).
    if (none && reg >= 1 && reg <= 6) return 0;
    switch (reg) {
      case 1: return absent ? 0 : hob ? t.hobFeature : d ? d.error : 0;
      case 2: return hob ? t.hobCount : t.count;
      case 3: return hob ? t.hobLbaLow : t.lbaLow;
      case 4: return hob ? t.hobLbaMid : t.lbaMid;
      case 5: return hob ? t.hobLbaHigh : t.lbaHigh;
      case 6: return t.device;
      case 7:
        this.irqPending = false;
        this.updateIrq();
        return absent || !d ? 0 : d.status;
      default: return 0xff;
    }
  }

  /** Alternate status (0x3F6/0x376): the status without acknowledging the interrupt. */
  readAltStatus(): number {
    const d = this.selected;
    return d ? d.status : 0;
  }

  writeRegister(reg: number, v: number): void {
    const t = this.tf;
    // While the selected drive is busy or transferring (BSY or DRQ), writes to the command block's registers
    // are ignored, the device register included (QEMU's ide_ioport_write; the host protocol writes them only
    // with both clear). The command register has its own rule below.
    if (reg >= 1 && reg <= 6 && this.selected && this.selected.status & (STATUS.BSY | STATUS.DRQ)) return;
    // Writing any task-file register clears HOB (Device Control bit 7), ATA/ATAPI-6 §7.9.
    if (reg >= 1 && reg <= 6) this.control &= 0x7f;
    this.absentSignature &= ~(1 << reg);
    switch (reg) {
      case 1: t.hobFeature = t.feature; t.feature = v; break;
      case 2: t.hobCount = t.count; t.count = v; break;
      case 3: t.hobLbaLow = t.lbaLow; t.lbaLow = v; break;
      case 4: t.hobLbaMid = t.lbaMid; t.lbaMid = v; break;
      case 5: t.hobLbaHigh = t.lbaHigh; t.lbaHigh = v; break;
      case 6: t.device = v | 0xa0; break;
      case 7: {
        const d = this.selected;
        if (!d) return;
        // While BSY or DRQ is set a command is ignored, but for DEVICE RESET to an ATAPI drive (QEMU 7.2's
        // ide_exec_cmd; ATA/ATAPI-6 §9: the host writes the Command register only with BSY and DRQ clear).
        if ((d.status & (STATUS.BSY | STATUS.DRQ)) && !(v === 0x08 && d.kind === 'cdrom')) return;
        this.endTransfer();
        this.irqPending = false;
        this.updateIrq();
        d.error = 0;
        d.execute(v, t);
        break;
      }
    }
  }

  writeControl(v: number): void {
    const wasReset = (this.control & 0x04) !== 0;
    this.control = v;
    if (!wasReset && (v & 0x04)) {
      // SRST asserted: every drive is busy until it is released.
      this.endTransfer();
      for (const d of this.drives) if (d) { d.status = STATUS.BSY; d.error = 0x01; }
    } else if (wasReset && !(v & 0x04)) {
      for (const d of this.drives) {
        if (!d) continue;
        d.resetDrive();
        d.status = d.kind === 'cdrom' ? 0 : STATUS.DRDY | STATUS.DSC;
        d.error = 0x01;
        d.signature(this.tf);
      }
      this.tf.device = 0xa0;
      this.absentSignature = this.drives[0] && this.drives[1] ? 0 : 0x3c;
    }
    this.updateIrq();
  }

  reset(): void {
    this.control = 0;
    this.irqPending = false;
    this.updateIrq();
    this.endTransfer();
    this.bm.reset();
    for (const t of Object.keys(this.tf) as (keyof TaskFile)[]) this.tf[t] = 0;
    this.tf.device = 0xa0;
    for (const d of this.drives) {
      if (!d) continue;
      d.resetDrive();
      d.status = STATUS.DRDY | STATUS.DSC;
      d.error = 0x01;
      d.signature(this.tf);
    }
    this.tf.device = 0xa0;
    this.absentSignature = this.drives[0] && this.drives[1] ? 0 : 0x3c;
  }

  saveState(): unknown {
    return {
      tf: { ...this.tf }, control: this.control, irqPending: this.irqPending,
      drives: this.drives.map((d) => (d ? { status: d.status, error: d.error, drive: d.saveDrive() } : null)),
      // A transfer in progress at a snapshot: its bytes and position (the continuation is rebuilt by the drive).
      pio: this.end > 0 ? { buf: toBase64(this.buf), pos: this.pos, end: this.end, out: this.out } : null,
      bm: this.bm.saveState(), dmaUnit: this.dmaUnit, absentSignature: this.absentSignature,
    };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as { tf?: Partial<TaskFile>; control?: number; irqPending?: boolean; drives?: ({ status?: number; error?: number; drive?: unknown } | null)[]; pio?: { buf: string; pos: number; end: number; out: boolean } | null; bm?: unknown; dmaUnit?: number; absentSignature?: number };
    for (const k of Object.keys(this.tf) as (keyof TaskFile)[]) this.tf[k] = num(o.tf?.[k]);
    this.control = num(o.control);
    this.irqPending = !!o.irqPending;
    this.drives.forEach((d, i) => {
      const s = o.drives?.[i];
      if (d && s) { d.status = num(s.status); d.error = num(s.error); d.loadDrive(s.drive); }
    });
    this.endTransfer();
    if (o.pio) {
      this.buf = fromBase64(o.pio.buf);
      this.pos = num(o.pio.pos); this.end = num(o.pio.end); this.out = !!o.pio.out;
      this.onDone = this.selected?.resumeTransfer(this.buf, this.out);
    }
    this.bm.loadState(o.bm);
    this.dmaUnit = o.dmaUnit === 0 || o.dmaUnit === 1 ? o.dmaUnit : -1;
    this.absentSignature = num(o.absentSignature) & 0x3c;
    this.irqLevel = !this.irqLevel; // force the line to be driven again
    this.updateIrq();
  }
}

/** The PCI function, the legacy ports of both channels and the bus-master BAR. */
export class PiixIde extends PciFunction implements Device {
  readonly channels: IdeChannel[];

  constructor(irq: IrqLines, phys?: PhysicalMemory) {
    // Programming interface 0x80: bus master capable, both channels in legacy (compatibility) mode.
    super('piix3-ide', 1, 1, { vendor: 0x8086, device: 0x7010, classCode: 0x010180 });
    const master = () => (this.config[PCI.COMMAND] & 0x04) !== 0;
    this.channels = [new IdeChannel(0, irq, 14, phys, master), new IdeChannel(1, irq, 15, phys, master)];
    // BAR 4: each channel's bus-master registers, 8 ports apiece (PciFunction maps them where the BAR points).
    this.defineBar(4, {
      size: 16, io: true, ports: {
        read: (off, size) => this.channels[off >> 3].bm.read(off & 7, size),
        write: (off, size, value) => this.channels[off >> 3].bm.write(off & 7, size, value),
      },
    });
  }

  attach(bus: IoBus): void {
    const bases: [number, number][] = [[0x1f0, 0x3f6], [0x170, 0x376]];
    this.channels.forEach((ch, i) => {
      const [cmd, ctl] = bases[i];
      bus.registerPorts(cmd, 8, {
        read: (port, size) => {
          if (port === cmd) return ch.readData(size);
          let v = ch.readRegister(port - cmd);
          // Wider accesses to the byte registers: following bytes come from the following registers.
          for (let k = 1; k < size; k++) v |= (port - cmd + k <= 7 ? ch.readRegister(port - cmd + k) : 0xff) << (8 * k);
          return v >>> 0;
        },
        write: (port, size, value) => {
          if (port === cmd) { ch.writeData(size, value); return; }
          for (let k = 0; k < size && port - cmd + k <= 7; k++) ch.writeRegister(port - cmd + k, (value >>> (8 * k)) & 0xff);
        },
        readString: (port, size, count, dst, at) => (port === cmd ? ch.readDataString(size, count, dst, at) : 0),
        writeString: (port, size, count, src, at) => (port === cmd ? ch.writeDataString(size, count, src, at) : 0),
      });
      bus.registerPorts(ctl, 1, {
        read: () => ch.readAltStatus(),
        write: (_p, _s, value) => ch.writeControl(value & 0xff),
      });
    });
  }

  reset(): void {
    for (const c of this.channels) c.reset();
  }

  saveState(): unknown {
    return this.channels.map((c) => c.saveState());
  }

  loadState(state: unknown): void {
    if (Array.isArray(state)) this.channels.forEach((c, i) => c.loadState(state[i]));
  }
}
