import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { bytePorts, num } from './ports';

/**
 * 16550A UART (COM1 at 0x3F8, IRQ4), after the National Semiconductor PC16550D datasheet and QEMU's
 * hw/char/serial.c. Transmission is instant: THR empty and TEMT are set again as soon as a byte is written,
 * and the byte goes to `onTransmit`. Input is replayed from a queue filled by `receive()`; unlike a real
 * 16450 a second byte never overruns the first (replayed input must not be lost), it waits in the queue.
 *
 * Public API: attach(bus), receive(bytes), pendingInput, onTransmit (constructor), Device methods.
 */

// Interrupt Enable Register bits.
const IER_RDI = 0x01; //  received data available
const IER_THRI = 0x02; // transmitter holding register empty
const IER_RLSI = 0x04; // receiver line status
const IER_MSI = 0x08; //  modem status

// Interrupt Identification Register values (bit 0 = 1: no interrupt pending).
const IIR_NO_INT = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_FIFO_ENABLED = 0xc0;

// Line Status Register bits.
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_INT_ANY = 0x1e; // OE | PE | FE | BI

// Line Control / Modem Control / Modem Status bits.
const LCR_DLAB = 0x80;
const MCR_LOOP = 0x10;
const MSR_DELTA_ANY = 0x0f;
/** Modem status when not in loopback: carrier detect, data set ready, clear to send (QEMU's default). */
const MSR_DEFAULT = 0xb0;

interface UartState {
  divisor: number;
  ier: number;
  lcr: number;
  mcr: number;
  lsrErrors: number;
  msr: number;
  scr: number;
  fcr: number;
  thrPending: boolean;
  irqLevel: boolean;
  rx: number[];
}

export class Uart16550 implements Device {
  readonly name: string;
  private s: UartState = Uart16550.powerOn();

  constructor(
    private readonly irq: IrqLines,
    private readonly onTransmit: (byte: number) => void,
    readonly base = 0x3f8,
    readonly irqLine = 4,
  ) {
    this.name = `uart16550@0x${base.toString(16)}`;
  }

  attach(bus: IoBus): void {
    bus.registerPorts(this.base, 8, {
      ...bytePorts(bus, (p) => this.read8(p - this.base), (p, v) => this.write8(p - this.base, v)),
      // The line status changes only when a byte arrives (a timer event or between runs; transmitting takes no
      // time here) or the guest writes a port, and a read clears only a break or overrun: a loop waiting for
      // received data is skipped (cpu/poll-loop.ts). Every other register may change when read.
      stableUntil: (p: number) => (p - this.base === 5 && (this.s.lsrErrors & (LSR_BI | LSR_OE)) === 0 ? Infinity : -Infinity),
    });
  }

  /** Queue input bytes as if they arrived on the line (replayed input). */
  receive(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.s.rx.push(bytes[i] & 0xff);
    this.updateIrq();
  }

  /** Bytes queued but not yet read by the guest. */
  get pendingInput(): number {
    return this.s.rx.length;
  }

  reset(): void {
    this.s = Uart16550.powerOn();
    this.setLine(false);
  }

  saveState(): unknown {
    return { ...this.s, rx: this.s.rx.slice() };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Partial<UartState>;
    const d = Uart16550.powerOn();
    this.s = {
      divisor: num(o.divisor, d.divisor),
      ier: num(o.ier),
      lcr: num(o.lcr),
      mcr: num(o.mcr, d.mcr),
      lsrErrors: num(o.lsrErrors),
      msr: num(o.msr, d.msr),
      scr: num(o.scr),
      fcr: num(o.fcr),
      thrPending: !!o.thrPending,
      irqLevel: !!o.irqLevel,
      rx: Array.isArray(o.rx) ? o.rx.map((b) => num(b) & 0xff) : [],
    };
  }

  private static powerOn(): UartState {
    // QEMU serial_reset: divider 0x0C (9600 baud), MCR OUT2, MSR DCD|DSR|CTS.
    return {
      divisor: 0x0c, ier: 0, lcr: 0, mcr: 0x08, lsrErrors: 0, msr: MSR_DEFAULT, scr: 0, fcr: 0,
      thrPending: false, irqLevel: false, rx: [],
    };
  }

  private lsr(): number {
    return LSR_THRE | LSR_TEMT | this.s.lsrErrors | (this.s.rx.length ? LSR_DR : 0);
  }

  private iir(): number {
    const s = this.s;
    let id = IIR_NO_INT;
    const lsr = this.lsr();
    if (s.ier & IER_RLSI && lsr & LSR_INT_ANY) id = IIR_RLSI;
    else if (s.ier & IER_RDI && lsr & LSR_DR) id = IIR_RDI;
    else if (s.ier & IER_THRI && s.thrPending) id = IIR_THRI;
    else if (s.ier & IER_MSI && s.msr & MSR_DELTA_ANY) id = IIR_MSI;
    return id | (s.fcr & 1 ? IIR_FIFO_ENABLED : 0);
  }

  private updateIrq(): void {
    this.setLine((this.iir() & IIR_NO_INT) === 0);
  }

  private setLine(level: boolean): void {
    if (level === this.s.irqLevel) return;
    this.s.irqLevel = level;
    this.irq.setIrq(this.irqLine, level);
  }

  private read8(reg: number): number {
    const s = this.s;
    switch (reg) {
      case 0: {
        if (s.lcr & LCR_DLAB) return s.divisor & 0xff;
        const b = s.rx.length ? (s.rx.shift() as number) : 0;
        s.lsrErrors &= ~LSR_BI;
        this.updateIrq();
        return b;
      }
      case 1:
        return s.lcr & LCR_DLAB ? (s.divisor >>> 8) & 0xff : s.ier;
      case 2: {
        const v = this.iir();
        // Reading IIR while it reports THRE clears that interrupt source (datasheet Table IV).
        if ((v & 0x0f) === IIR_THRI) {
          s.thrPending = false;
          this.updateIrq();
        }
        return v;
      }
      case 3:
        return s.lcr;
      case 4:
        return s.mcr;
      case 5: {
        const v = this.lsr();
        if (s.lsrErrors & (LSR_BI | LSR_OE)) {
          s.lsrErrors &= ~(LSR_BI | LSR_OE);
          this.updateIrq();
        }
        return v;
      }
      case 6: {
        let v: number;
        if (s.mcr & MCR_LOOP) {
          // Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD.
          const m = s.mcr;
          v = ((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) | ((m & 0x08) << 4);
        } else {
          v = s.msr;
          if (s.msr & MSR_DELTA_ANY) {
            s.msr &= ~MSR_DELTA_ANY;
            this.updateIrq();
          }
        }
        return v;
      }
      default:
        return s.scr;
    }
  }

  private write8(reg: number, v: number): void {
    const s = this.s;
    switch (reg) {
      case 0:
        if (s.lcr & LCR_DLAB) {
          s.divisor = (s.divisor & 0xff00) | v;
          return;
        }
        this.transmit(v);
        return;
      case 1:
        if (s.lcr & LCR_DLAB) {
          s.divisor = (s.divisor & 0x00ff) | (v << 8);
          return;
        }
        {
          const old = s.ier;
          s.ier = v & 0x0f;
          // Enabling THRI while THR is empty raises the interrupt at once (QEMU; datasheet note).
          if (!(old & IER_THRI) && s.ier & IER_THRI) s.thrPending = true;
          this.updateIrq();
        }
        return;
      case 2:
        // FCR: bit 0 FIFO enable, bit 1 clear RX FIFO, bit 2 clear TX FIFO (always empty), bits 6-7 trigger.
        if (v & 0x02) s.rx.length = 0;
        s.fcr = v & 0xc9;
        this.updateIrq();
        return;
      case 3:
        s.lcr = v;
        return;
      case 4:
        s.mcr = v & 0x1f;
        return;
      case 5:
        return; // LSR is read-only (factory test writes ignored, as QEMU)
      case 6:
        return; // MSR is read-only
      default:
        s.scr = v;
    }
  }

  private transmit(byte: number): void {
    const s = this.s;
    s.thrPending = false;
    this.updateIrq();
    if (s.mcr & MCR_LOOP) s.rx.push(byte);
    else this.onTransmit(byte);
    // The byte left at once: THR is empty again (a fresh THRE interrupt, an edge after the drop above).
    s.thrPending = true;
    this.updateIrq();
  }
}
