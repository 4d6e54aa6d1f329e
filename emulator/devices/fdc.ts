import { TimerKey, VirtualClock } from '../clock';
import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { FloppyDrive } from './floppy-drive';
import { IsaDma } from './isa-dma';
import { commandFor } from './fdc-commands';
import { CONFIG, Dir, DOR, DSR, MSR, Phase, RESET_SENSEI_COUNT, SECTOR, SR0, SR1, SR2, SRA_INTPEND, SRA_nDRV2, SRB, STATE_MULTI, TDR_BOOTSEL } from './fdc-regs';
import { num } from './ports';

/**
 * The ISA floppy disk controller of QEMU's `pc` (hw/block/fdc.c + fdc-isa.c: an Intel 82078 in AT mode, two
 * drives) at 0x3F0 (ports 0x3F1-0x3F5 and 0x3F7; 0x3F6 is the IDE's), IRQ 6, DMA channel 2. Registers: SRA and
 * SRB (read), DOR (motors, DMA gate, reset, drive select), TDR (boot drive select), MSR (read: RQM, DIO, NONDMA,
 * CMDBUSY) / DSR (write: data rate, power down, software reset), FIFO, DIR (read: disk change) / CCR (write:
 * data rate).
 *
 * Each command is QEMU's: SPECIFY, SENSE DRIVE STATUS, RECALIBRATE, SENSE INTERRUPT STATUS, SEEK, RELATIVE
 * SEEK, READ DATA / READ TRACK / WRITE DATA / VERIFY / SCAN (DMA through the ISA DMA controller's channel 2
 * when DOR.DMAEN is set, else byte by byte through the FIFO with MSR.NONDMA, each with its interrupt), READ ID
 * (its result 20 ms of virtual time later, as QEMU's result timer), FORMAT TRACK (as QEMU: no data is written,
 * the result comes at once), VERSION (0x90), PART ID, CONFIGURE, LOCK, DUMPREG, SAVE, RESTORE, PERPENDICULAR
 * MODE, POWERDOWN MODE, OPTION, DRIVE SPECIFICATION; READ/WRITE DELETED DATA end with an abnormal
 * termination and anything else is an invalid command (ST0 0x80), as under QEMU. The phases: command
 * (parameter bytes through the FIFO), execution, result (7 bytes for transfers). A reset through DOR bit 2
 * (low, then high) or DSR bit 7 raises IRQ 6, and the next four SENSE INTERRUPT STATUS return ST0 0xC0-0xC3,
 * one per drive, as QEMU. A READ or WRITE whose data rate (DSR/CCR bits 0-1) is not the medium's fails with
 * "missing address mark", which is how BIOSes find a diskette's rate.
 *
 * One departure from QEMU, for the 82078: a non-DMA WRITE DATA whose last sector ends the track (or whose sector
 * write fails) still enters its result phase with IRQ 6; QEMU returns before it, so the command never ends.
 *
 * The command table (which byte runs what) is fdc-commands.ts; the register bits are fdc-regs.ts.
 *
 * Public API: Fdc (attach(bus), drives, Device methods), MSR.
 */
export { MSR };

export interface FdcState {
  sra: number; srb: number; dor: number; tdr: number; dsr: number; msr: number; curDrv: number;
  status0: number; fifo: number[]; dataPos: number; dataLen: number; dataState: number; dataDir: number; eot: number;
  timer0: number; timer1: number; precompTrk: number; config: number; lock: number; pwrd: number;
  phase: number; resetSensei: number; irq: boolean; resultAt: number; drives: unknown[];
}

export class Fdc implements Device {
  readonly name = 'fdc';
  readonly drives: [FloppyDrive, FloppyDrive];
  sra = 0;
  srb = 0xc0;
  dor: number = DOR.nRESET | DOR.DMAEN;
  tdr = 0;
  dsr = 0;
  msr: number = MSR.RQM;
  curDrv = 0;
  status0 = 0;
  readonly fifo = new Uint8Array(SECTOR);
  dataPos = 0;
  dataLen = 0;
  dataState = 0;
  dataDir: Dir = Dir.WRITE;
  eot = 0;
  timer0 = 0;
  timer1 = 0;
  precompTrk = 0;
  config: number = CONFIG.EIS | CONFIG.EFIFO;
  lock = 0;
  pwrd = 0;
  phase: Phase = Phase.COMMAND;
  resetSensei = 0;
  private irqLevel = false;
  /** READ ID's result timer: due at this instruction count, or -1. */
  private resultAt = -1;
  private resultTimer = 0;

  constructor(
    private readonly irq: IrqLines,
    private readonly dma: IsaDma,
    private readonly clock: VirtualClock,
    drives: { fda?: FloppyDrive; fdb?: FloppyDrive } = {},
    readonly irqLine = 6,
    readonly dmaChannel = 2,
  ) {
    this.drives = [drives.fda ?? new FloppyDrive(undefined), drives.fdb ?? new FloppyDrive(undefined)];
    dma.register(dmaChannel, () => this.dmaService());
    this.resetController(false);
  }

  attach(bus: IoBus): void {
    const h = {
      read: (port: number, size: number) => {
        let v = this.read(port & 7);
        for (let i = 1; i < size; i++) v |= (bus.inPort(port + i, 1) & 0xff) << (8 * i);
        return v >>> 0;
      },
      write: (port: number, size: number, value: number) => {
        this.write(port & 7, value & 0xff);
        for (let i = 1; i < size; i++) bus.outPort(port + i, 1, (value >>> (8 * i)) & 0xff);
      },
      // A driver polling the MSR (`in al, dx; and al, 0xc0; cmp al, 0x80; jne`) sees it change only through its own
      // writes or READ ID's timer, so the CPU may skip the identical iterations up to that (cpu/poll-loop.ts).
      stableUntil: (port: number) => (port === 0x3f4 ? this.msrStableUntil() : this.clock.instructions),
    };
    bus.registerPorts(0x3f1, 5, h);
    bus.registerPorts(0x3f7, 1, h);
  }

  // ------------------------------------------------------------------------------------------- registers
  read(reg: number): number {
    switch (reg) {
      case 0: return this.sra;
      case 1: return this.srb;
      case 2: return this.dor | this.curDrv;
      case 3: return this.tdr;
      case 4: // MSR; reading it wakes the controller from power-down
        this.dsr &= ~DSR.PWRDOWN;
        this.dor |= DOR.nRESET;
        return this.msr;
      case 5: return this.readData();
      case 7: return this.curDrive().mediaChanged ? 0x80 : 0;
      default: return 0xff;
    }
  }

  write(reg: number, v: number): void {
    switch (reg) {
      case 2: this.writeDor(v); break;
      case 3:
        if (this.dor & DOR.nRESET) this.tdr = v & TDR_BOOTSEL;
        break;
      case 4: this.writeDsr(v); break;
      case 5: this.writeData(v); break;
      case 7: // CCR: the data rate, kept in the DSR
        if (this.dor & DOR.nRESET) this.dsr = (this.dsr & ~DSR.DRATEMASK) | (v & DSR.DRATEMASK);
        break;
    }
  }

  private writeDor(v: number): void {
    this.srb = (this.srb & ~(SRB.MTR0 | SRB.MTR1 | SRB.DR0)) | (v & DOR.MOTEN0 ? SRB.MTR0 : 0) | (v & DOR.MOTEN1 ? SRB.MTR1 : 0) | (v & 1 ? SRB.DR0 : 0);
    if ((v & DOR.nRESET) && !(this.dor & DOR.nRESET)) {
      // Out of reset: the controller resets and interrupts.
      this.resetController(true);
      this.dsr &= ~DSR.PWRDOWN;
    }
    this.curDrv = v & DOR.SELMASK;
    this.dor = v;
  }

  private writeDsr(v: number): void {
    if (!(this.dor & DOR.nRESET)) return;
    if (v & DSR.SWRESET) {
      this.dor &= ~DOR.nRESET;
      this.resetController(true);
      this.dor |= DOR.nRESET;
    }
    if (v & DSR.PWRDOWN) this.resetController(true);
    this.dsr = v;
  }

  /** Until when a read of the MSR returns the same value and changes nothing (PortHandler.stableUntil). */
  msrStableUntil(): number {
    // The first read after a power-down or a DOR reset changes DSR/DOR; after it, only a timer can change the MSR.
    if ((this.dsr & DSR.PWRDOWN) || !(this.dor & DOR.nRESET)) return this.clock.instructions;
    return this.resultAt >= 0 ? this.resultAt : Infinity;
  }

  // ------------------------------------------------------------------------------------------- drives, irq
  /** Drive `unit` as the TDR's boot select maps it (QEMU drv0/drv1). */
  drive(unit: number): FloppyDrive {
    const swap = (this.tdr & TDR_BOOTSEL) !== 0;
    return this.drives[(unit & 1) ^ (swap ? 1 : 0)];
  }

  curDrive(): FloppyDrive {
    return this.drive(this.curDrv);
  }

  raiseIrq(): void {
    if (!(this.sra & SRA_INTPEND)) {
      this.irqLevel = true;
      this.irq.setIrq(this.irqLine, true);
      this.sra |= SRA_INTPEND;
    }
    this.resetSensei = 0;
  }

  lowerIrq(): void {
    this.status0 = 0;
    if (!(this.sra & SRA_INTPEND)) return;
    this.irqLevel = false;
    this.irq.setIrq(this.irqLine, false);
    this.sra &= ~SRA_INTPEND;
  }

  /** QEMU fdctrl_reset: a hardware reset (DOR, DSR) with its interrupt, or the machine's without one. */
  private resetController(withIrq: boolean): void {
    this.lowerIrq();
    this.sra = this.drives[1].image ? 0 : SRA_nDRV2;
    this.srb = 0xc0;
    this.curDrv = 0;
    this.dor = DOR.nRESET | DOR.DMAEN;
    this.msr = MSR.RQM;
    this.resetSensei = 0;
    this.cancelResult();
    this.dataPos = 0;
    this.dataLen = 0;
    this.dataState = 0;
    this.dataDir = Dir.WRITE;
    for (const d of this.drives) d.recalibrate();
    this.toCommandPhase();
    if (withIrq) {
      this.status0 |= SR0.RDYCHG;
      this.raiseIrq();
      this.resetSensei = RESET_SENSEI_COUNT;
    }
  }

  // ------------------------------------------------------------------------------------------- phases
  toCommandPhase(): void {
    this.phase = Phase.COMMAND;
    this.dataDir = Dir.WRITE;
    this.dataPos = 0;
    this.dataLen = 1;
    this.msr = (this.msr & ~(MSR.CMDBUSY | MSR.DIO)) | MSR.RQM;
  }

  toResultPhase(len: number): void {
    this.phase = Phase.RESULT;
    this.dataDir = Dir.READ;
    this.dataLen = len;
    this.dataPos = 0;
    this.msr |= MSR.CMDBUSY | MSR.RQM | MSR.DIO;
  }

  private readData(): number {
    const d = this.curDrive();
    this.dsr &= ~DSR.PWRDOWN;
    if (!(this.msr & MSR.RQM) || !(this.msr & MSR.DIO)) return 0;
    const pos = this.dataPos % SECTOR;
    if (this.phase === Phase.EXECUTION) {
      // Non-DMA read: the FIFO holds the current sector.
      if (pos === 0) {
        if (this.dataPos !== 0 && !this.seekToNextSector(d)) return 0;
        this.fifo.set(d.readSector());
      }
      if (++this.dataPos === this.dataLen) {
        this.msr &= ~MSR.RQM;
        this.stopTransfer(0, 0, 0);
      }
    } else if (this.phase === Phase.RESULT) {
      if (++this.dataPos === this.dataLen) {
        this.msr &= ~MSR.RQM;
        this.toCommandPhase();
        this.lowerIrq();
      }
    }
    // As QEMU: after the last byte of a non-DMA read the result bytes are already in the FIFO.
    return this.fifo[pos];
  }

  private writeData(v: number): void {
    if (!(this.dor & DOR.nRESET)) return;
    if (!(this.msr & MSR.RQM) || (this.msr & MSR.DIO)) return;
    this.dsr &= ~DSR.PWRDOWN;
    const pos = this.dataPos++ % SECTOR;
    this.fifo[pos] = v;
    if (this.dataPos === this.dataLen) this.msr &= ~MSR.RQM;
    if (this.phase === Phase.EXECUTION) {
      // Non-DMA write: a sector is written when its last byte arrives.
      // QEMU skips the result phase when the write fails or ends at the end of the track, so the command never
      // completes; here it completes, as on the 82078.
      if (pos === SECTOR - 1 || this.dataPos === this.dataLen) {
        const d = this.curDrive();
        if (d.writeSector(this.fifo)) this.seekToNextSector(d);
      }
      if (this.dataPos === this.dataLen) this.stopTransfer(0, 0, 0);
      return;
    }
    if (this.phase !== Phase.COMMAND) return;
    if (pos === 0) {
      const cmd = commandFor(v);
      this.dataLen = cmd.params + 1;
      if (cmd.params) this.msr |= MSR.RQM;
      this.msr |= MSR.CMDBUSY;
    }
    if (this.dataPos === this.dataLen) {
      this.phase = Phase.EXECUTION;
      const cmd = commandFor(this.fifo[0]);
      cmd.run(this, cmd.dir);
    }
  }

  // ------------------------------------------------------------------------------------------- transfers
  /** QEMU fdctrl_seek_to_next_sect: false at the end of the cylinder (or track, without multi-track). */
  private seekToNextSector(d: FloppyDrive): boolean {
    let head = d.head;
    let track = d.track;
    let sect = d.sect;
    let ret = true;
    if (sect >= d.lastSect || sect === this.eot) {
      sect = 1;
      if (this.dataState & STATE_MULTI) {
        if (head === 0 && d.doubleSided) {
          head = 1;
        } else {
          head = 0;
          track++;
          this.status0 |= SR0.SEEK;
          if (!d.doubleSided) ret = false;
        }
      } else {
        this.status0 |= SR0.SEEK;
        track++;
        ret = false;
      }
    } else {
      sect++;
    }
    d.seek(head, track & 0xff, sect);
    return ret;
  }

  /** The result phase of a transfer: ST0-ST2, C, H, R, N, and IRQ 6. */
  stopTransfer(st0: number, st1: number, st2: number): void {
    const d = this.curDrive();
    this.status0 = (this.status0 & ~(0x03 | SR0.HEAD)) | this.curDrv | (d.head ? SR0.HEAD : 0) | st0;
    this.fifo.set([this.status0, st1, st2, d.track, d.head, d.sect, 2]);
    this.dataDir = Dir.READ;
    if (!(this.msr & MSR.NONDMA)) this.dma.release(this.dmaChannel);
    this.msr = (this.msr | MSR.RQM | MSR.DIO) & ~MSR.NONDMA;
    this.toResultPhase(7);
    this.raiseIrq();
  }

  /** A failed start: the result holds the requested C, H, R. */
  private abortTransfer(st0: number, st1: number, kt: number, kh: number, ks: number): void {
    this.stopTransfer(st0, st1, 0);
    this.fifo[3] = kt;
    this.fifo[4] = kh;
    this.fifo[5] = ks;
  }

  startTransfer(dir: Dir): void {
    this.curDrv = this.fifo[1] & DOR.SELMASK;
    const d = this.curDrive();
    const kt = this.fifo[2];
    const kh = this.fifo[3];
    const ks = this.fifo[4];
    switch (d.seek(kh, kt, ks)) {
      case 2: this.abortTransfer(SR0.ABNTERM, 0, kt, kh, ks); return;
      case 3: this.abortTransfer(SR0.ABNTERM, SR1.EC, kt, kh, ks); return;
      case 1: this.status0 |= SR0.SEEK; break;
    }
    if ((this.dsr & DSR.DRATEMASK) !== d.mediaRate) {
      // The programmed data rate is not the medium's: no address mark is found.
      this.abortTransfer(SR0.ABNTERM, SR1.MA, kt, kh, ks);
      return;
    }
    this.dataDir = dir;
    this.dataPos = 0;
    const mt = (this.fifo[0] & 0x80) !== 0;
    this.dataState = mt ? this.dataState | STATE_MULTI : this.dataState & ~STATE_MULTI;
    if (this.fifo[5] === 0) {
      this.dataLen = this.fifo[8];
    } else {
      let n = this.fifo[6] - ks + 1;
      if (mt) n += this.fifo[6];
      this.dataLen = (128 << Math.min(this.fifo[5], 7)) * n;
    }
    this.eot = this.fifo[6];
    if (this.dor & DOR.DMAEN) {
      // No access until the DMA transfer completes; the DMA controller serves DREQ when channel 2 is unmasked.
      this.msr &= ~MSR.RQM;
      if (dir !== Dir.VERIFY) this.dma.hold(this.dmaChannel);
      else this.dmaService();
      return;
    }
    this.msr |= MSR.NONDMA | MSR.RQM;
    if (dir !== Dir.WRITE) this.msr |= MSR.DIO;
    this.raiseIrq();
  }

  /** QEMU fdctrl_transfer_handler: move the command's data through DMA channel 2, up to its terminal count. */
  private dmaService(): void {
    if (this.msr & MSR.RQM) return; // not in a DMA transfer
    const d = this.curDrive();
    const ch = this.dmaChannel;
    const scan = this.dataDir === Dir.SCANE || this.dataDir === Dir.SCANL || this.dataDir === Dir.SCANH;
    let st2 = scan ? SR2.SNS : 0;
    if (!d.image) {
      this.stopTransfer(this.dataDir === Dir.WRITE ? SR0.ABNTERM | SR0.SEEK : SR0.ABNTERM, 0, 0);
      return;
    }
    const start = this.dataPos;
    let rel = this.dataPos % SECTOR;
    let ended = false;
    while (this.dataPos < this.dataLen) {
      let len = this.dataLen - this.dataPos;
      if (len + rel > SECTOR) len = SECTOR - rel;
      if (this.dataDir !== Dir.WRITE || len < SECTOR || rel !== 0) this.fifo.set(d.readSector());
      let moved = len;
      if (this.dataDir === Dir.READ) {
        moved = this.dma.toMemory(ch, this.fifo, rel, len);
      } else if (this.dataDir === Dir.WRITE) {
        if (d.readOnly) {
          this.stopTransfer(SR0.ABNTERM | SR0.SEEK, SR1.NW, 0);
          return;
        }
        moved = this.dma.fromMemory(ch, this.fifo, rel, len);
        if (!d.writeSector(this.fifo)) {
          this.stopTransfer(SR0.ABNTERM | SR0.SEEK, 0, 0);
          return;
        }
      } else if (scan) {
        const mem = new Uint8Array(len);
        moved = this.dma.fromMemory(ch, mem, 0, len);
        const c = compare(mem.subarray(0, moved), this.fifo.subarray(rel, rel + moved));
        if (c === 0) { st2 = SR2.SEH; ended = true; }
        else if ((c < 0 && this.dataDir === Dir.SCANL) || (c > 0 && this.dataDir === Dir.SCANH)) { st2 = 0; ended = true; }
      }
      if (ended) break;
      this.dataPos += moved;
      if (moved < len) break; // the DMA count ran out inside the sector
      rel = this.dataPos % SECTOR;
      if (rel === 0 && !this.seekToNextSector(d)) break;
      // The DMA count ran out (its terminal count ends the command; the result names the next sector).
      if (this.dataDir !== Dir.VERIFY && this.dma.terminalCount(ch)) break;
    }
    if (scan) st2 = SR2.SEH; // as QEMU: every scan ends "equal hit"
    this.dataLen -= this.dataPos - start;
    this.stopTransfer(0, 0, st2);
  }

  // ------------------------------------------------------------------------------------------- READ ID timer
  startReadId(): void {
    this.curDrive().head = (this.fifo[1] >> 2) & 1;
    this.scheduleResult(this.clock.instructions + 20_000_000); // 1/50 s, as QEMU's result timer
  }

  private scheduleResult(at: number): void {
    this.cancelResult();
    this.resultAt = at;
    this.resultTimer = this.clock.schedule(at, () => this.readIdDone(), TimerKey.FDC);
  }

  private cancelResult(): void {
    if (this.resultTimer) this.clock.cancel(this.resultTimer);
    this.resultTimer = 0;
    this.resultAt = -1;
  }

  private readIdDone(): void {
    this.resultTimer = 0;
    this.resultAt = -1;
    const d = this.curDrive();
    // Pretend the disk spins: the next sector passes under the head.
    if (d.lastSect !== 0) d.sect = (d.sect % d.lastSect) + 1;
    if ((this.dsr & DSR.DRATEMASK) !== d.mediaRate) this.stopTransfer(SR0.ABNTERM, SR1.MA, 0);
    else this.stopTransfer(0, 0, 0);
  }

  // ------------------------------------------------------------------------------------------- Device
  reset(): void {
    // QEMU's machine reset (fdctrl_external_reset_isa): a reset without the interrupt; SPECIFY/CONFIGURE values stay.
    for (const d of this.drives) d.reset();
    this.resetController(false);
  }

  saveState(): FdcState {
    return {
      sra: this.sra, srb: this.srb, dor: this.dor, tdr: this.tdr, dsr: this.dsr, msr: this.msr, curDrv: this.curDrv,
      status0: this.status0, fifo: [...this.fifo], dataPos: this.dataPos, dataLen: this.dataLen, dataState: this.dataState,
      dataDir: this.dataDir, eot: this.eot, timer0: this.timer0, timer1: this.timer1, precompTrk: this.precompTrk,
      config: this.config, lock: this.lock, pwrd: this.pwrd, phase: this.phase, resetSensei: this.resetSensei,
      irq: this.irqLevel, resultAt: this.resultAt, drives: this.drives.map((d) => d.saveState()),
    };
  }

  loadState(state: unknown): void {
    const s = (state ?? {}) as Partial<FdcState>;
    this.sra = num(s.sra); this.srb = num(s.srb, 0xc0); this.dor = num(s.dor, DOR.nRESET | DOR.DMAEN); this.tdr = num(s.tdr);
    this.dsr = num(s.dsr); this.msr = num(s.msr, MSR.RQM); this.curDrv = num(s.curDrv); this.status0 = num(s.status0);
    this.fifo.fill(0);
    if (Array.isArray(s.fifo)) this.fifo.set(s.fifo.slice(0, SECTOR).map((x) => num(x)));
    this.dataPos = num(s.dataPos); this.dataLen = num(s.dataLen, 1); this.dataState = num(s.dataState); this.dataDir = num(s.dataDir);
    this.eot = num(s.eot); this.timer0 = num(s.timer0); this.timer1 = num(s.timer1); this.precompTrk = num(s.precompTrk);
    this.config = num(s.config, CONFIG.EIS | CONFIG.EFIFO); this.lock = num(s.lock); this.pwrd = num(s.pwrd);
    this.phase = num(s.phase, Phase.COMMAND); this.resetSensei = num(s.resetSensei);
    this.irqLevel = s.irq === true;
    this.irq.setIrq(this.irqLine, this.irqLevel);
    const drives = Array.isArray(s.drives) ? s.drives : [];
    this.drives.forEach((d, i) => d.loadState(drives[i]));
    this.cancelResult();
    if (typeof s.resultAt === 'number' && s.resultAt >= 0) this.scheduleResult(s.resultAt);
  }
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
