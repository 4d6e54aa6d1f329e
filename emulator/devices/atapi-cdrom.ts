import { fromBase64, toBase64 } from '../bytes';
import { putString } from './ata-disk';
import { DiskImage } from './disk-image';
import { IdeDrive, STATUS, TaskFile } from './ide';
import type { BusMaster } from './ide-bmdma';
import { num } from './ports';

/**
 * An ATAPI CD/DVD-ROM drive on an IDE channel ("QEMU DVD-ROM"; SFF-8020i / MMC, QEMU hw/ide/atapi.c), with or
 * without a medium (an ISO image of 2048-byte sectors). ATA commands: IDENTIFY PACKET DEVICE, PACKET, DEVICE
 * RESET, EXECUTE DEVICE DIAGNOSTIC, SET FEATURES; IDENTIFY DEVICE aborts and leaves the ATAPI signature, which
 * is how firmware tells the drive from a disk. Packet commands: TEST UNIT READY, REQUEST SENSE, INQUIRY,
 * MODE SENSE(6/10), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, READ CAPACITY, READ(10), READ(12), READ TOC
 * (format 0), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, MECHANISM STATUS; anything else is CHECK
 * CONDITION with ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE. El Torito booting is SeaBIOS's work: it
 * reads the boot catalog with READ(10) like any other sector.
 *
 * PIO data-in follows the byte-count limit the host put in LBA Mid/High: each DRQ block is at most that many
 * bytes (rounded down to even), its size is reported back there, and the interrupt reason (Sector Count:
 * CoD bit 0, IO bit 1) says data (IO) or completion (IO+CoD).
 *
 * A PACKET command with the DMA feature bit (bit 0) sends its data through the bus master instead (QEMU
 * ide_atapi_cmd_reply / ide_atapi_cmd_read_dma): DRQ (and BSY for READ(10)/READ(12)) until the engine runs, then
 * all of it at once, completion with IO+CoD and an interrupt, ACTIVE cleared. A descriptor table too short for
 * the data fills what it describes and stops there: ACTIVE cleared, no interrupt, the status unchanged (QEMU
 * bmdma_rw_buf). The overlapped feature bit (bit 1) aborts, as in QEMU. IDENTIFY PACKET DEVICE reports QEMU's
 * DMA modes (USE_DMA_CDROM).
 */
const CD_SECTOR = 2048;
const SENSE = { NONE: 0, NOT_READY: 2, ILLEGAL_REQUEST: 5 } as const;
const ASC = { INVALID_OPCODE: 0x20, LBA_OUT_OF_RANGE: 0x21, INVALID_FIELD: 0x24, MEDIUM_NOT_PRESENT: 0x3a } as const;
const IREASON_COD = 1;
const IREASON_IO = 2;

export class AtapiCdrom extends IdeDrive {
  readonly kind = 'cdrom';
  private senseKey = 0;
  private asc = 0;
  /** Data-in still to be sent after the current DRQ block (its bytes and the host's byte-count limit). */
  private pending: { data: Uint8Array; at: number; limit: number } | undefined;
  /** The PACKET command asked for DMA (feature bit 0). */
  private atapiDma = false;
  /** Data waiting for the bus master. */
  private dmaData: Uint8Array | undefined;

  constructor(public medium: DiskImage | undefined, readonly serial = 'QM00003') {
    super();
  }

  get sectors(): number {
    return this.medium ? Math.floor(this.medium.size / CD_SECTOR) : 0;
  }

  signature(tf: TaskFile): void {
    tf.count = 1; tf.lbaLow = 1; tf.lbaMid = 0x14; tf.lbaHigh = 0xeb;
  }

  resetDrive(): void {
    this.pending = undefined;
    this.dmaData = undefined;
    this.atapiDma = false;
  }

  execute(cmd: number, tf: TaskFile): void {
    switch (cmd) {
      case 0xa1: // IDENTIFY PACKET DEVICE
        this.channel.transferIn(this.identify(), () => { this.status = STATUS.DRDY | STATUS.DSC; });
        this.channel.raiseIrq();
        return;
      case 0xec: // IDENTIFY DEVICE: abort with the packet signature in place (ATA/ATAPI-6 §8.15)
        this.signature(tf);
        return this.abort();
      case 0xa0: // PACKET: ask for the 12-byte command (no interrupt: DRQ type "within 3 ms")
        if (tf.feature & 2) return this.abort(); // overlapped
        this.atapiDma = (tf.feature & 1) !== 0;
        this.dmaData = undefined;
        tf.count = IREASON_COD;
        this.channel.transferOut(12, (packet) => this.packet(packet));
        return;
      case 0x08: // DEVICE RESET
        this.signature(tf);
        this.status = 0;
        this.error = 0x01;
        return;
      case 0x90: // EXECUTE DEVICE DIAGNOSTIC
        this.signature(tf);
        this.error = 0x01;
        this.status = STATUS.DRDY | STATUS.DSC;
        this.channel.raiseIrq();
        return;
      case 0xef: case 0xe5: case 0xe0: case 0xe1: case 0xe7: // SET FEATURES, power, flush: accepted
        if (cmd === 0xef && tf.feature === 0x03 && !this.setTransferMode(tf.count)) return this.abort();
        if (cmd === 0xe5) tf.count = 0xff;
        this.status = STATUS.DRDY | STATUS.DSC;
        this.channel.raiseIrq();
        return;
      default:
        return this.abort();
    }
  }

  resumeTransfer(_buf: Uint8Array, out: boolean): (() => void) | undefined {
    if (out) return () => this.packet(_buf);
    return () => this.continueIn();
  }

  saveDrive(): unknown {
    const p = this.pending;
    return {
      senseKey: this.senseKey, asc: this.asc,
      pending: p ? { data: toBase64(p.data), at: p.at, limit: p.limit } : null,
      atapiDma: this.atapiDma, dmaData: this.dmaData ? toBase64(this.dmaData) : null, modes: this.saveModes(),
    };
  }

  loadDrive(state: unknown): void {
    const o = (state ?? {}) as { senseKey?: number; asc?: number; pending?: { data: string; at: number; limit: number } | null; atapiDma?: boolean; dmaData?: string | null; modes?: unknown };
    this.senseKey = num(o.senseKey);
    this.asc = num(o.asc);
    this.pending = o.pending ? { data: fromBase64(o.pending.data), at: num(o.pending.at), limit: num(o.pending.limit) } : undefined;
    this.atapiDma = !!o.atapiDma;
    this.dmaData = typeof o.dmaData === 'string' ? fromBase64(o.dmaData) : undefined;
    this.loadModes(o.modes);
  }

  runDma(bm: BusMaster): void {
    const data = this.dmaData;
    this.dmaData = undefined;
    if (!data) return;
    if (!bm.scatterAll(data)) {
      bm.finish(false); // the table ran out: no interrupt, DRQ stays
      return;
    }
    this.good();
    bm.finish(false);
  }

  // ------------------------------------------------------------------------------- packets
  private packet(p: Uint8Array): void {
    const tf = this.channel.tf;
    const limit = (tf.lbaMid | (tf.lbaHigh << 8)) & 0xfffe || 0xfffe;
    const op = p[0];
    // TEST UNIT READY and the commands that read the medium need one.
    if (!this.medium && [0x00, 0x25, 0x28, 0xa8, 0x43].includes(op)) {
      return this.checkCondition(SENSE.NOT_READY, ASC.MEDIUM_NOT_PRESENT);
    }
    switch (op) {
      case 0x00: // TEST UNIT READY
      case 0x1b: // START STOP UNIT
      case 0x1e: // PREVENT ALLOW MEDIUM REMOVAL
        return this.good();
      case 0x03: { // REQUEST SENSE
        const d = new Uint8Array(18);
        d[0] = 0x70; d[2] = this.senseKey; d[7] = 10; d[12] = this.asc;
        this.senseKey = this.asc = 0;
        return this.dataIn(d.subarray(0, Math.min(18, p[4])), limit);
      }
      case 0x12: { // INQUIRY
        const d = new Uint8Array(36);
        d[0] = 0x05; d[1] = 0x80; d[2] = 0x00; d[3] = 0x21; d[4] = 31;
        ascii(d, 8, 8, 'QEMU'); ascii(d, 16, 16, 'QEMU DVD-ROM'); ascii(d, 32, 4, '2.5+');
        return this.dataIn(d.subarray(0, Math.min(36, p[4])), limit);
      }
      case 0x25: { // READ CAPACITY
        const d = new Uint8Array(8);
        be32(d, 0, this.sectors - 1); be32(d, 4, CD_SECTOR);
        return this.dataIn(d, limit);
      }
      case 0x28: case 0xa8: { // READ(10), READ(12)
        const lba = ((p[2] << 24) | (p[3] << 16) | (p[4] << 8) | p[5]) >>> 0;
        const count = op === 0x28 ? (p[7] << 8) | p[8] : ((p[6] << 24) | (p[7] << 16) | (p[8] << 8) | p[9]) >>> 0;
        if (lba + count > this.sectors) return this.checkCondition(SENSE.ILLEGAL_REQUEST, ASC.LBA_OUT_OF_RANGE);
        if (count === 0) return this.good();
        return this.dataIn(this.medium!.read(lba * CD_SECTOR, count * CD_SECTOR), limit, true);
      }
      case 0x1a: case 0x5a: return this.modeSense(p, limit);
      case 0x43: return this.readToc(p, limit);
      case 0x46: { // GET CONFIGURATION: feature header with the current profile (DVD-ROM or CD-ROM, none)
        const d = new Uint8Array(8);
        be32(d, 0, 4);
        const profile = this.medium ? (this.sectors > 1382400 ? 0x10 : 0x08) : 0;
        d[6] = profile >>> 8; d[7] = profile & 0xff;
        return this.dataIn(d.subarray(0, Math.min(8, (p[7] << 8) | p[8])), limit);
      }
      case 0x4a: { // GET EVENT STATUS NOTIFICATION (polled): no event
        if (!(p[1] & 1)) return this.checkCondition(SENSE.ILLEGAL_REQUEST, ASC.INVALID_FIELD);
        const d = new Uint8Array(4);
        d[1] = 2; d[2] = 0x80; d[3] = 0x10; // NEA, supports media class
        return this.dataIn(d.subarray(0, Math.min(4, (p[7] << 8) | p[8])), limit);
      }
      case 0xbd: { // MECHANISM STATUS
        const d = new Uint8Array(8);
        return this.dataIn(d.subarray(0, Math.min(8, (p[8] << 8) | p[9])), limit);
      }
      default:
        return this.checkCondition(SENSE.ILLEGAL_REQUEST, ASC.INVALID_OPCODE);
    }
  }

  private modeSense(p: Uint8Array, limit: number): void {
    const page = p[2] & 0x3f;
    const ten = p[0] === 0x5a;
    const alloc = ten ? (p[7] << 8) | p[8] : p[4];
    const pages: number[] = [];
    if (page === 0x01 || page === 0x3f) pages.push(0x01, 0x06, 0, 5, 0, 0, 0, 0); // read error recovery
    if (page === 0x2a || page === 0x3f) {
      // CD capabilities: reads CD-R/RW/DVD-ROM, eject, lock, tray loader
      pages.push(0x2a, 0x12, 0x3b, 0, 0x71, 0x60, 0x29, 0, 0x02, 0xc2, 0, 2, 0x02, 0, 0x02, 0xc2, 0, 0, 0, 0);
    }
    if (pages.length === 0) return this.checkCondition(SENSE.ILLEGAL_REQUEST, ASC.INVALID_FIELD);
    const header = ten ? 8 : 4;
    const d = new Uint8Array(header + pages.length);
    d.set(pages, header);
    if (ten) { d[0] = (d.length - 2) >>> 8; d[1] = (d.length - 2) & 0xff; d[2] = 0x70; } else { d[0] = d.length - 1; d[1] = 0x70; }
    this.dataIn(d.subarray(0, Math.min(d.length, alloc)), limit);
  }

  private readToc(p: Uint8Array, limit: number): void {
    const format = p[9] >>> 6 || (p[2] & 0x0f);
    const msf = (p[1] & 2) !== 0;
    const alloc = (p[7] << 8) | p[8];
    if (format !== 0) return this.checkCondition(SENSE.ILLEGAL_REQUEST, ASC.INVALID_FIELD);
    // One data track (1) and the lead-out (0xAA).
    const d = new Uint8Array(4 + 16);
    d[1] = 18; d[2] = 1; d[3] = 1;
    const entry = (at: number, track: number, lba: number) => {
      d[at + 1] = 0x14; d[at + 2] = track;
      if (msf) { const f = lba + 150; d[at + 5] = Math.floor(f / 4500); d[at + 6] = Math.floor(f / 75) % 60; d[at + 7] = f % 75; } else be32(d, at + 4, lba);
    };
    entry(4, 1, 0);
    entry(12, 0xaa, this.sectors);
    this.dataIn(d.subarray(0, Math.min(d.length, alloc)), limit);
  }

  // --------------------------------------------------------------------------- completion
  private dataIn(data: Uint8Array, limit: number, mediumRead = false): void {
    if (this.atapiDma) {
      // Even an empty reply waits for the bus master (QEMU ide_atapi_cmd_reply); a medium read shows BSY too.
      this.dmaData = data;
      this.status = STATUS.DRDY | STATUS.DSC | STATUS.DRQ | (mediumRead ? STATUS.BSY : 0);
      this.channel.requestDma(this);
      return;
    }
    if (data.length === 0) return this.good();
    this.pending = { data, at: 0, limit };
    this.continueIn();
  }

  /** Send the next DRQ block of the pending data, or complete the command. */
  private continueIn(): void {
    const p = this.pending;
    if (!p || p.at >= p.data.length) {
      this.pending = undefined;
      return this.good();
    }
    const n = Math.min(p.limit, p.data.length - p.at);
    const tf = this.channel.tf;
    tf.lbaMid = n & 0xff; tf.lbaHigh = n >>> 8;
    tf.count = IREASON_IO;
    const chunk = p.data.subarray(p.at, p.at + n);
    p.at += n;
    this.channel.transferIn(chunk, () => this.continueIn());
    this.channel.raiseIrq();
  }

  private good(): void {
    this.channel.tf.count = IREASON_IO | IREASON_COD;
    this.status = STATUS.DRDY | STATUS.DSC;
    this.channel.raiseIrq();
  }

  private checkCondition(key: number, asc: number): void {
    this.senseKey = key;
    this.asc = asc;
    this.error = key << 4;
    this.channel.tf.count = IREASON_IO | IREASON_COD;
    this.status = STATUS.DRDY | STATUS.DSC | STATUS.ERR;
    this.channel.raiseIrq();
  }

  private identify(): Uint8Array {
    const w = new Uint16Array(256);
    w[0] = (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5); // ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets
    putString(w, 10, 20, this.serial);
    w[20] = 3; w[21] = 512; w[22] = 4;
    putString(w, 23, 8, '2.5+');
    putString(w, 27, 40, 'QEMU DVD-ROM');
    w[48] = 1;
    w[49] = (1 << 9) | (1 << 8); // LBA, DMA
    w[53] = 7; // words 54-58, 64-70 and 88 valid
    this.identifyModes(w); // words 62, 63, 88
    w[64] = 3;
    w[65] = 0xb4; w[66] = 0xb4; w[67] = 0x12c; w[68] = 0xb4;
    w[71] = 30; w[72] = 30;
    w[80] = 0x1e; // ATAPI-1 to -4
    return new Uint8Array(w.buffer);
  }
}

function be32(d: Uint8Array, at: number, v: number): void {
  d[at] = (v >>> 24) & 0xff; d[at + 1] = (v >>> 16) & 0xff; d[at + 2] = (v >>> 8) & 0xff; d[at + 3] = v & 0xff;
}

function ascii(d: Uint8Array, at: number, len: number, s: string): void {
  for (let i = 0; i < len; i++) d[at + i] = i < s.length ? s.charCodeAt(i) : 0x20;
}
