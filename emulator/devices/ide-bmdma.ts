import { readPhysical, writePhysical } from '../memory/dma';
import type { PhysicalMemory } from '../memory/phys';
import { allOnes, num } from './ports';

/**
 * One channel's bus-master IDE engine (SFF-8038i "Programming Interface for Bus Master IDE Controller"; PIIX3
 * datasheet §2.7; QEMU hw/ide/pci.c + piix.c): eight bytes of the function's BAR 4 (primary at +0, secondary at
 * +8) with the command register (+0: bit 0 start/stop, bit 3 direction), the status register (+2: bit 0 active,
 * bit 1 error and bit 2 interrupt, both write-1-to-clear, bits 5/6 "drive 0/1 DMA capable" read/write) and the
 * descriptor table pointer (+4, dword aligned).
 *
 * The table is a list of 8-byte physical region descriptors (PRDs): a 32-bit buffer address, a byte count in
 * bits 15:1 (0 means 64 KiB) and end-of-table in bit 31. Two walks, as QEMU does them:
 * - ATA READ/WRITE DMA (`mapTable`, QEMU bmdma_prepare_buf): the whole table is read at once, up to its EOT entry
 *   (or 4 KiB of entries as a fail-safe); the transfer uses as many of its bytes as the command needs, and the
 *   drive learns how many the table described (shorter: no transfer; longer: ACTIVE stays set).
 * - ATAPI data (`scatterAll`, QEMU bmdma_rw_buf): the data is copied along the table until either ends.
 * Every access the engine makes (descriptors and data) is a bus-master cycle of the PCI function: with COMMAND
 * bit 2 (bus master) clear none reaches memory, reads see zeros and writes are lost, as in QEMU, where the
 * function's bus-master address space is then empty. Writes into RAM drop translated code (memory/dma.ts).
 *
 * The direction bit is kept but not checked against the command (QEMU ignores it too). Transfers are immediate
 * in virtual time, as the PIO engine's are: the drive's data moves when both its command and the start bit are
 * there, whichever comes last.
 *
 * Public API: BusMaster, BM_CMD, BM_STATUS.
 */
export const BM_CMD = { START: 0x01, TO_MEMORY: 0x08 } as const;
export const BM_STATUS = { ACTIVE: 0x01, ERROR: 0x02, INTR: 0x04, DRIVE0_DMA: 0x20, DRIVE1_DMA: 0x40 } as const;
/** QEMU's fail-safe: a table without EOT ends after one page of descriptors. */
const TABLE_LIMIT = 4096;

/** What mapTable found: the buffers the transfer uses ([address, length] pairs), their total, and the table's. */
export interface MappedTable {
  segments: number[];
  mapped: number;
  described: number;
}

export class BusMaster {
  cmd = 0;
  status = 0;
  /** Descriptor table pointer (QEMU bm->addr). */
  table = 0;
  /** The next descriptor to read (QEMU cur_addr): back to `table` each time the start bit is set. */
  private next = 0;
  /** The descriptor being used (QEMU cur_prd_*), dropped when a drive starts a DMA command. */
  private prdAddr = 0;
  private prdLen = 0;
  private prdLast = false;

  constructor(
    private readonly phys: PhysicalMemory | undefined,
    /** PCI COMMAND bit 2 of the IDE function. */
    private readonly masterEnabled: () => boolean,
    /** The start bit went from 0 to 1 with ACTIVE clear: the channel runs a waiting DMA command. */
    private readonly onStart: () => void,
  ) {}

  get active(): boolean {
    return (this.status & BM_STATUS.ACTIVE) !== 0;
  }

  /** A register read at `off` (0-7) of this channel's eight bytes. Command and status take byte accesses only. */
  read(off: number, size: number): number {
    if (off >= 4) {
      const v = this.table >>> (8 * (off - 4));
      return size === 4 ? v : v & ((1 << (8 * size)) - 1);
    }
    if (size !== 1) return allOnes(size);
    return off === 0 ? this.cmd : off === 2 ? this.status : 0xff;
  }

  write(off: number, size: number, value: number): void {
    if (off >= 4) {
      // QEMU bmdma_addr_write: the bytes written replace those of the pointer; bits 1:0 stay clear.
      let t = this.table;
      for (let k = 0; k < size && off - 4 + k < 4; k++) {
        const sh = 8 * (off - 4 + k);
        t = ((t & ~(0xff << sh)) | (((value >>> (8 * k)) & 0xff) << sh)) >>> 0;
      }
      this.table = (t & ~3) >>> 0;
      return;
    }
    if (size !== 1) return;
    if (off === 0) this.writeCommand(value & 0xff);
    else if (off === 2) this.status = (value & 0x60) | (this.status & BM_STATUS.ACTIVE) | (this.status & ~value & 0x06);
  }

  /** QEMU bmdma_cmd_writeb: only a change of the start bit acts. */
  private writeCommand(v: number): void {
    const start = v & BM_CMD.START;
    const was = this.cmd & BM_CMD.START;
    this.cmd = v & 0x09;
    if (start === was) return;
    if (!start) {
      // Stop: a transfer has always finished by now (they are immediate), so this only clears ACTIVE.
      this.status &= ~BM_STATUS.ACTIVE;
      return;
    }
    this.next = this.table;
    if (!this.active) {
      this.status |= BM_STATUS.ACTIVE;
      this.onStart();
    }
  }

  /** The channel raised its interrupt (QEMU bmdma_irq): INTR is set on every rising request, PIO or DMA. */
  interrupt(): void {
    this.status |= BM_STATUS.INTR;
  }

  /** A drive starts a DMA command (QEMU bmdma_start_dma): no descriptor in use yet. */
  beginCommand(): void {
    this.prdAddr = 0;
    this.prdLen = 0;
    this.prdLast = false;
  }

  /** The transfer is over: ACTIVE stays set only when the table described more than the command moved. */
  finish(stayActive: boolean): void {
    if (stayActive) this.status |= BM_STATUS.ACTIVE;
    else this.status &= ~BM_STATUS.ACTIVE;
  }

  /** Read the next descriptor; false at the end of the table. */
  private loadPrd(): boolean {
    if (this.prdLast || ((this.next - this.table) >>> 0) >= TABLE_LIMIT) return false;
    const e = this.memRead(this.next, 8);
    this.next = (this.next + 8) >>> 0;
    const size = (e[4] | (e[5] << 8) | (e[6] << 16) | (e[7] << 24)) >>> 0;
    this.prdAddr = (e[0] | (e[1] << 8) | (e[2] << 16) | (e[3] << 24)) >>> 0;
    this.prdLen = size & 0xfffe || 0x10000;
    this.prdLast = (size & 0x80000000) !== 0;
    return true;
  }

  /** Walk the whole table (QEMU bmdma_prepare_buf): its first `limit` bytes are the transfer's buffers. */
  mapTable(limit: number): MappedTable {
    const segments: number[] = [];
    let mapped = 0;
    let described = 0;
    for (;;) {
      if (this.prdLen === 0 && !this.loadPrd()) break;
      const take = Math.min(limit - mapped, this.prdLen);
      if (take > 0) {
        segments.push(this.prdAddr, take);
        mapped += take;
      }
      described += this.prdLen;
      this.prdAddr = (this.prdAddr + this.prdLen) >>> 0;
      this.prdLen = 0;
    }
    return { segments, mapped, described };
  }

  /** Data from the device into the mapped buffers. */
  scatter(segments: number[], data: Uint8Array): void {
    let at = 0;
    for (let i = 0; i < segments.length; i += 2) {
      this.memWrite(segments[i], data.subarray(at, at + segments[i + 1]));
      at += segments[i + 1];
    }
  }

  /** `len` bytes from the mapped buffers, for the device. */
  gather(segments: number[], len: number): Uint8Array {
    const out = new Uint8Array(len);
    let at = 0;
    for (let i = 0; i < segments.length; i += 2) {
      out.set(this.memRead(segments[i], segments[i + 1]), at);
      at += segments[i + 1];
    }
    return out;
  }

  /** Copy `data` to memory along the table (QEMU bmdma_rw_buf); false if the table ended first. */
  scatterAll(data: Uint8Array): boolean {
    let at = 0;
    while (at < data.length) {
      if (this.prdLen === 0 && !this.loadPrd()) return false;
      const l = Math.min(data.length - at, this.prdLen);
      this.memWrite(this.prdAddr, data.subarray(at, at + l));
      this.prdAddr = (this.prdAddr + l) >>> 0;
      this.prdLen -= l;
      at += l;
    }
    return true;
  }

  private memRead(addr: number, len: number): Uint8Array {
    if (!this.phys || !this.masterEnabled()) return new Uint8Array(len);
    return readPhysical(this.phys, addr, len);
  }

  private memWrite(addr: number, bytes: Uint8Array): void {
    if (this.phys && this.masterEnabled()) writePhysical(this.phys, addr, bytes);
  }

  reset(): void {
    this.cmd = this.status = this.table = this.next = 0;
    this.beginCommand();
  }

  saveState(): unknown {
    return { cmd: this.cmd, status: this.status, table: this.table, next: this.next, prdAddr: this.prdAddr, prdLen: this.prdLen, prdLast: this.prdLast };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Record<string, unknown>;
    this.cmd = num(o.cmd);
    this.status = num(o.status);
    this.table = num(o.table);
    this.next = num(o.next);
    this.prdAddr = num(o.prdAddr);
    this.prdLen = num(o.prdLen);
    this.prdLast = !!o.prdLast;
  }
}
