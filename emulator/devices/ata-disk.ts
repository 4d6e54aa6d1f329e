import { DiskImage, SECTOR } from './disk-image';
import { IdeDrive, STATUS, TaskFile } from './ide';
import type { BusMaster } from './ide-bmdma';
import { num } from './ports';

/**
 * An ATA hard disk on an IDE channel (ATA/ATAPI-6 command set, as QEMU's "QEMU HARDDISK"): IDENTIFY DEVICE,
 * READ/WRITE SECTORS, READ/WRITE MULTIPLE, READ/WRITE DMA and their LBA48 EXT forms, READ VERIFY, SET MULTIPLE
 * MODE, INITIALIZE DEVICE PARAMETERS, SET FEATURES, FLUSH CACHE, READ NATIVE MAX ADDRESS, power-mode commands.
 * CHS addressing uses the geometry QEMU guesses for an unpartitioned image (16 heads, 63 sectors per track,
 * 2 to 16383 cylinders). IDENTIFY reports QEMU's DMA modes (single/multiword DMA 0-2, UDMA 0-5, UDMA5 selected
 * until SET FEATURES 03h picks another mode).
 *
 * DMA commands (QEMU ide_sector_start_dma / ide_dma_cb): the status shows DRQ until the bus master runs, then the
 * whole command moves at once. A descriptor table shorter than the command moves nothing and ends it without an
 * interrupt (DRDY, ACTIVE cleared); a longer one moves what the command needs and leaves ACTIVE set; an address
 * past the end of the disk aborts when the transfer would start. Afterwards the task file holds the sector after
 * the last one moved and a count of 0, as QEMU leaves it.
 *
 * PIO commands check the address one DRQ block at a time (QEMU ide_sector_read / ide_sector_write): a read that
 * runs past the end of the disk delivers the blocks before it, then ends with ID NOT FOUND, the task file at the
 * block that failed and its count what was left (ATA/ATAPI-6: the address of the first unrecoverable error). So
 * SeaBIOS's INT 13h AH=02h asked for more sectors than the disk has still loads the ones it has, as under QEMU. Writes go to the image as PIO writes do (its overlay
 * unless the user asked for writes to the file).
 *
 * Public API: new AtaDisk(image, serial), geometry, Device-like state via IdeDrive.
 */
const MAX_MULTIPLE = 16;

const CMD = {
  READ_SECTORS: 0x20, READ_SECTORS_NR: 0x21, READ_SECTORS_EXT: 0x24, READ_NATIVE_MAX_EXT: 0x27, READ_MULTIPLE_EXT: 0x29,
  WRITE_SECTORS: 0x30, WRITE_SECTORS_NR: 0x31, WRITE_SECTORS_EXT: 0x34, WRITE_MULTIPLE_EXT: 0x39,
  READ_VERIFY: 0x40, READ_VERIFY_NR: 0x41, READ_VERIFY_EXT: 0x42, DIAGNOSTIC: 0x90, INIT_PARAMS: 0x91,
  READ_DMA_EXT: 0x25, WRITE_DMA_EXT: 0x35, READ_DMA: 0xc8, READ_DMA_NR: 0xc9, WRITE_DMA: 0xca, WRITE_DMA_NR: 0xcb,
  READ_MULTIPLE: 0xc4, WRITE_MULTIPLE: 0xc5, SET_MULTIPLE: 0xc6, STANDBY_IMMEDIATE: 0xe0, IDLE_IMMEDIATE: 0xe1,
  STANDBY: 0xe2, IDLE: 0xe3, CHECK_POWER_MODE: 0xe5, SLEEP: 0xe6, FLUSH_CACHE: 0xe7, FLUSH_CACHE_EXT: 0xea,
  IDENTIFY: 0xec, SET_FEATURES: 0xef, READ_NATIVE_MAX: 0xf8,
} as const;

interface Transfer {
  write: boolean;
  lba: number;
  remaining: number;
  /** Sectors per DRQ block: 1, or the multiple count for READ/WRITE MULTIPLE. */
  block: number;
  lba48: boolean;
}

/** A DMA command waiting for the bus master: all of it moves in one go. */
interface DmaCommand {
  write: boolean;
  /** -1: an invalid CHS address. */
  lba: number;
  count: number;
  lba48: boolean;
}

/** SET FEATURES subcommands QEMU accepts without effect here (cache, look-ahead, APM, acoustic, defaults). */
const FEATURES_ACCEPTED = [0x02, 0x82, 0xaa, 0x55, 0x66, 0xcc, 0x05, 0x85, 0x69, 0x67, 0x96, 0x9a, 0x42, 0xc2];

export class AtaDisk extends IdeDrive {
  readonly kind = 'disk';
  readonly cylinders: number;
  readonly heads = 16;
  readonly sectorsPerTrack = 63;
  private multiple = MAX_MULTIPLE;
  /** CHS translation set by INITIALIZE DEVICE PARAMETERS. */
  private curHeads = 16;
  private curSectors = 63;
  private xfer: Transfer | undefined;
  private dma: DmaCommand | undefined;

  constructor(readonly image: DiskImage, readonly serial = 'QM00001') {
    super();
    // QEMU hd-geometry.c guess_chs_for_size: 16 heads, 63 sectors, 2 to 16383 cylinders.
    this.cylinders = Math.max(2, Math.min(16383, Math.floor(image.sectors / (16 * 63))));
  }

  get totalSectors(): number {
    return this.image.sectors;
  }

  signature(tf: TaskFile): void {
    tf.count = 1; tf.lbaLow = 1; tf.lbaMid = 0; tf.lbaHigh = 0;
  }

  resetDrive(): void {
    this.xfer = undefined;
    this.dma = undefined;
    this.multiple = MAX_MULTIPLE;
    this.curHeads = this.heads;
    this.curSectors = this.sectorsPerTrack;
  }

  execute(cmd: number, tf: TaskFile): void {
    switch (cmd) {
      case CMD.IDENTIFY:
        this.channel.transferIn(this.identify(), () => this.complete(false));
        this.channel.raiseIrq();
        return;
      case CMD.READ_SECTORS: case CMD.READ_SECTORS_NR: return this.startRw(tf, false, false, 1);
      case CMD.READ_SECTORS_EXT: return this.startRw(tf, false, true, 1);
      case CMD.READ_MULTIPLE: return this.startRw(tf, false, false, this.multiple);
      case CMD.READ_MULTIPLE_EXT: return this.startRw(tf, false, true, this.multiple);
      case CMD.WRITE_SECTORS: case CMD.WRITE_SECTORS_NR: return this.startRw(tf, true, false, 1);
      case CMD.WRITE_SECTORS_EXT: return this.startRw(tf, true, true, 1);
      case CMD.WRITE_MULTIPLE: return this.startRw(tf, true, false, this.multiple);
      case CMD.WRITE_MULTIPLE_EXT: return this.startRw(tf, true, true, this.multiple);
      case CMD.READ_DMA: case CMD.READ_DMA_NR: return this.startDma(tf, false, false);
      case CMD.READ_DMA_EXT: return this.startDma(tf, false, true);
      case CMD.WRITE_DMA: case CMD.WRITE_DMA_NR: return this.startDma(tf, true, false);
      case CMD.WRITE_DMA_EXT: return this.startDma(tf, true, true);
      case CMD.READ_VERIFY: case CMD.READ_VERIFY_NR: case CMD.READ_VERIFY_EXT: {
        const lba48 = cmd === CMD.READ_VERIFY_EXT;
        const lba = this.address(tf, lba48);
        const count = this.count(tf, lba48);
        if (lba < 0 || lba + count > this.totalSectors) return this.idnf();
        return this.complete(true);
      }
      case CMD.SET_MULTIPLE: {
        const n = tf.count;
        if (n > MAX_MULTIPLE || (n & (n - 1)) !== 0) return this.abort();
        this.multiple = n === 0 ? 1 : n;
        return this.complete(true);
      }
      case CMD.INIT_PARAMS:
        this.curSectors = tf.count;
        this.curHeads = (tf.device & 0x0f) + 1;
        return this.complete(true);
      case CMD.SET_FEATURES:
        if (tf.feature === 0x03) return this.setTransferMode(tf.count) ? this.complete(true) : this.abort();
        if (FEATURES_ACCEPTED.includes(tf.feature)) return this.complete(true);
        return this.abort();
      case CMD.FLUSH_CACHE: case CMD.FLUSH_CACHE_EXT: case CMD.STANDBY_IMMEDIATE: case CMD.IDLE_IMMEDIATE:
      case CMD.STANDBY: case CMD.IDLE: case CMD.SLEEP:
        return this.complete(true);
      case CMD.CHECK_POWER_MODE:
        tf.count = 0xff; // active or idle
        return this.complete(true);
      case CMD.READ_NATIVE_MAX: case CMD.READ_NATIVE_MAX_EXT: {
        const max = Math.max(0, this.totalSectors - 1);
        if (cmd === CMD.READ_NATIVE_MAX_EXT) {
          this.setLba48(tf, max);
        } else if (tf.device & 0x40) {
          tf.lbaLow = max & 0xff; tf.lbaMid = (max >>> 8) & 0xff; tf.lbaHigh = (max >>> 16) & 0xff;
          tf.device = (tf.device & 0xf0) | ((max >>> 24) & 0x0f);
        } else return this.abort();
        return this.complete(true);
      }
      case CMD.DIAGNOSTIC:
        this.signature(tf);
        this.error = 0x01;
        return this.complete(true);
      default:
        if (cmd >= 0x10 && cmd <= 0x1f) return this.complete(true); // RECALIBRATE
        return this.abort();
    }
  }

  resumeTransfer(_buf: Uint8Array, _out: boolean): (() => void) | undefined {
    const x = this.xfer;
    if (!x) return undefined;
    return x.write ? () => this.blockWritten(_buf) : () => this.nextBlock();
  }

  saveDrive(): unknown {
    return {
      multiple: this.multiple, curHeads: this.curHeads, curSectors: this.curSectors, xfer: this.xfer ?? null,
      dma: this.dma ?? null, modes: this.saveModes(), overlay: this.image.saveOverlay(),
    };
  }

  loadDrive(state: unknown): void {
    const o = (state ?? {}) as { multiple?: number; curHeads?: number; curSectors?: number; xfer?: Transfer | null; dma?: DmaCommand | null; modes?: unknown; overlay?: unknown };
    this.multiple = num(o.multiple, MAX_MULTIPLE);
    this.curHeads = num(o.curHeads, 16);
    this.curSectors = num(o.curSectors, 63);
    this.xfer = o.xfer ? { ...o.xfer } : undefined;
    this.dma = o.dma ? { ...o.dma } : undefined;
    this.loadModes(o.modes);
    this.image.loadOverlay(o.overlay);
  }

  // ------------------------------------------------------------------------------- transfers
  private startRw(tf: TaskFile, write: boolean, lba48: boolean, block: number): void {
    const lba = this.address(tf, lba48);
    const count = this.count(tf, lba48);
    if (lba < 0) return this.idnf();
    this.xfer = { write, lba, remaining: count, block, lba48 };
    if (write) this.requestWrite();
    else this.nextBlock();
  }

  private startDma(tf: TaskFile, write: boolean, lba48: boolean): void {
    this.dma = { write, lba: this.address(tf, lba48), count: this.count(tf, lba48), lba48 };
    this.status = STATUS.DRDY | STATUS.DSC | STATUS.DRQ;
    this.channel.requestDma(this);
  }

  runDma(bm: BusMaster): void {
    const x = this.dma;
    this.dma = undefined;
    if (!x) return;
    const bytes = x.count * SECTOR;
    const table = bm.mapTable(bytes);
    if (table.mapped < bytes) {
      // QEMU: "The PRDs are too short for this request": nothing moves, no interrupt, ACTIVE cleared.
      this.status = STATUS.DRDY | STATUS.DSC;
      bm.finish(false);
      return;
    }
    if (x.lba < 0 || x.lba + x.count > this.totalSectors) {
      bm.finish(false); // QEMU ide_dma_error
      return this.abort();
    }
    if (x.write) this.image.write(x.lba * SECTOR, bm.gather(table.segments, bytes));
    else bm.scatter(table.segments, this.image.read(x.lba * SECTOR, bytes));
    this.setSector(x.lba + x.count, x.lba48);
    this.channel.tf.count = 0;
    this.status = STATUS.DRDY | STATUS.DSC;
    this.channel.raiseIrq();
    bm.finish(table.described > bytes);
  }

  /** Read: load the next DRQ block and interrupt; with nothing left, the command completes (no interrupt). */
  private nextBlock(): void {
    const x = this.xfer!;
    if (x.remaining === 0) {
      this.xfer = undefined;
      this.status = STATUS.DRDY | STATUS.DSC;
      return;
    }
    const n = Math.min(x.block, x.remaining);
    if (x.lba + n > this.totalSectors) return this.pastTheEnd(x);
    const data = this.image.read(x.lba * SECTOR, n * SECTOR);
    x.lba += n;
    x.remaining -= n;
    this.updateAddress(x);
    this.channel.transferIn(data, () => this.nextBlock());
    this.channel.raiseIrq();
  }

  /** Write: ask for the next DRQ block (the first without an interrupt, ATA/ATAPI-6 §9.7 PIO data-out). */
  private requestWrite(): void {
    const x = this.xfer!;
    this.channel.transferOut(Math.min(x.block, x.remaining) * SECTOR, (data) => this.blockWritten(data));
  }

  private blockWritten(data: Uint8Array): void {
    const x = this.xfer!;
    const n = data.length / SECTOR;
    if (x.lba + n > this.totalSectors) return this.pastTheEnd(x);
    this.image.write(x.lba * SECTOR, data);
    x.lba += n;
    x.remaining -= n;
    this.updateAddress(x);
    if (x.remaining > 0) this.requestWrite();
    else {
      this.xfer = undefined;
      this.status = STATUS.DRDY | STATUS.DSC;
    }
    this.channel.raiseIrq();
  }

  private complete(irq: boolean): void {
    this.status = STATUS.DRDY | STATUS.DSC;
    if (irq) this.channel.raiseIrq();
  }

  /** A PIO block past the end of the medium: the command ends there, the task file at that block. */
  private pastTheEnd(x: Transfer): void {
    this.xfer = undefined;
    this.setSector(x.lba, x.lba48);
    this.channel.tf.count = x.remaining & 0xff;
    this.idnf();
  }

  /** ID NOT FOUND: the address is past the end of the medium. */
  private idnf(): void {
    this.error = 0x10;
    this.status = STATUS.DRDY | STATUS.DSC | STATUS.ERR;
    this.channel.raiseIrq();
  }

  // -------------------------------------------------------------------------------- addressing
  private count(tf: TaskFile, lba48: boolean): number {
    if (lba48) return (tf.count | (tf.hobCount << 8)) || 65536;
    return tf.count || 256;
  }

  /** The command's starting LBA (-1 for an invalid CHS address). */
  private address(tf: TaskFile, lba48: boolean): number {
    if (lba48) return tf.lbaLow + tf.lbaMid * 0x100 + tf.lbaHigh * 0x10000 + tf.hobLbaLow * 0x1000000 + tf.hobLbaMid * 0x100000000 + tf.hobLbaHigh * 0x10000000000;
    if (tf.device & 0x40) return tf.lbaLow | (tf.lbaMid << 8) | (tf.lbaHigh << 16) | ((tf.device & 0x0f) << 24);
    const cyl = tf.lbaMid | (tf.lbaHigh << 8);
    const head = tf.device & 0x0f;
    const sector = tf.lbaLow;
    if (sector === 0 || sector > this.curSectors || head >= this.curHeads) return -1;
    return (cyl * this.curHeads + head) * this.curSectors + sector - 1;
  }

  /** After each block the task file holds the address of the last sector transferred (ATA/ATAPI-6 §9). */
  private updateAddress(x: Transfer): void {
    this.setSector(x.lba - 1, x.lba48);
    this.channel.tf.count = x.remaining & 0xff;
  }

  /** Put sector `last` in the task file in the command's addressing (LBA48, LBA28 or CHS). */
  private setSector(last: number, lba48: boolean): void {
    const tf = this.channel.tf;
    if (lba48) this.setLba48(tf, last);
    else if (tf.device & 0x40) {
      tf.lbaLow = last & 0xff; tf.lbaMid = (last >>> 8) & 0xff; tf.lbaHigh = (last >>> 16) & 0xff;
      tf.device = (tf.device & 0xf0) | ((last >>> 24) & 0x0f);
    } else {
      const cyl = Math.floor(last / (this.curHeads * this.curSectors));
      const rest = last % (this.curHeads * this.curSectors);
      tf.lbaMid = cyl & 0xff; tf.lbaHigh = (cyl >>> 8) & 0xff;
      tf.device = (tf.device & 0xf0) | Math.floor(rest / this.curSectors);
      tf.lbaLow = (rest % this.curSectors) + 1;
    }
  }

  private setLba48(tf: TaskFile, v: number): void {
    tf.lbaLow = v & 0xff; tf.lbaMid = Math.floor(v / 0x100) & 0xff; tf.lbaHigh = Math.floor(v / 0x10000) & 0xff;
    tf.hobLbaLow = Math.floor(v / 0x1000000) & 0xff; tf.hobLbaMid = Math.floor(v / 0x100000000) & 0xff; tf.hobLbaHigh = Math.floor(v / 0x10000000000) & 0xff;
  }

  // ---------------------------------------------------------------------------------- IDENTIFY
  private identify(): Uint8Array {
    const w = new Uint16Array(256);
    const total = this.totalSectors;
    const chs = Math.min(total, this.cylinders * this.heads * this.sectorsPerTrack);
    w[0] = 0x0040; // fixed, non-removable ATA device
    w[1] = this.cylinders;
    w[3] = this.heads;
    w[4] = 512 * this.sectorsPerTrack; // retired, QEMU still fills it
    w[5] = 512;
    w[6] = this.sectorsPerTrack;
    putString(w, 10, 20, this.serial);
    w[20] = 3; w[21] = 512; w[22] = 4;
    putString(w, 23, 8, '2.5+');
    putString(w, 27, 40, 'QEMU HARDDISK');
    w[47] = 0x8000 | MAX_MULTIPLE;
    w[48] = 1; // 32-bit PIO
    w[49] = (1 << 11) | (1 << 9) | (1 << 8); // IORDY, LBA, DMA supported
    w[51] = 0x200; // PIO timing
    w[52] = 0x200; // DMA timing
    w[53] = 1 | 2 | 4; // words 54-58, 64-70 and 88 valid
    w[54] = this.cylinders; w[55] = this.curHeads; w[56] = this.curSectors;
    w[57] = chs & 0xffff; w[58] = chs >>> 16;
    w[59] = this.multiple ? 0x100 | this.multiple : 0;
    const lba28 = Math.min(total, 0x0fffffff);
    w[60] = lba28 & 0xffff; w[61] = lba28 >>> 16;
    this.identifyModes(w); // words 62, 63, 88
    w[64] = 3; // PIO modes 3 and 4
    w[65] = 120; w[66] = 120; w[67] = 120; w[68] = 120;
    w[80] = 0xf0; // ATA/ATAPI-4 to -7
    w[81] = 0x16;
    w[82] = (1 << 14) | (1 << 5); // NOP, write cache
    w[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10); // FLUSH CACHE (EXT), LBA48
    w[84] = 1 << 14;
    w[85] = (1 << 14) | (1 << 5);
    w[86] = (1 << 13) | (1 << 12) | (1 << 10);
    w[87] = 1 << 14;
    w[93] = 1 | (1 << 14) | 0x2000;
    w[100] = total & 0xffff; w[101] = Math.floor(total / 0x10000) & 0xffff;
    w[102] = Math.floor(total / 0x100000000) & 0xffff; w[103] = 0;
    return new Uint8Array(w.buffer);
  }
}

/** ATA strings: two characters per word, the first in the high byte, padded with spaces. */
export function putString(w: Uint16Array, word: number, len: number, s: string): void {
  for (let i = 0; i < len; i += 2) {
    const a = i < s.length ? s.charCodeAt(i) : 0x20;
    const b = i + 1 < s.length ? s.charCodeAt(i + 1) : 0x20;
    w[word + i / 2] = (a << 8) | b;
  }
}
