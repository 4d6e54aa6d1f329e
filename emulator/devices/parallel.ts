import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { bytePorts, num } from './ports';

/**
 * The PC parallel port LPT1 (ISA, I/O 0x378-0x37F, IRQ 7) as QEMU's `pc` has it (hw/char/parallel.c) with no
 * printer behind it (QEMU -nographic gives it the null chardev): the software-emulated SPP registers.
 *   +0 data: writes latch the output byte (it goes to the printer, here nowhere); reads return the output latch,
 *      or the input latch (0xFF: nothing drives the lines) when control bit 5 selects input.
 *   +1 status: BUSY# (7), ACK# (6), SELECT (4), ERROR# (3), and bit 0 (EPP timeout) set by QEMU's reset. QEMU's
 *      printer handshake: a strobe (control bit 0) with SELECT_IN (bit 3) set takes the byte and clears BUSY#; while no
 *      strobe is held, each status read toggles ACK# (clearing it, then setting it and BUSY# again).
 *   +2 control: bits 7:6 read as 1; INIT# (bit 2) low resets the status; with SELECT_IN set and no strobe,
 *      a write while the interrupt enable (bit 4) was set requests IRQ 7 until the next status read.
 *   +3..+7: read 0xFF, writes ignored (no EPP/ECP).
 */
export const LPT1_BASE = 0x378;
export const LPT1_IRQ = 7;

const STS_BUSY = 0x80;
const STS_ACK = 0x40;
const STS_ONLINE = 0x10;
const STS_ERROR = 0x08;
const STS_TMOUT = 0x01;
const CTR_DIR = 0x20;
const CTR_INTEN = 0x10;
const CTR_SELECT = 0x08;
const CTR_INIT = 0x04;
const CTR_STROBE = 0x01;

export class ParallelPort implements Device {
  readonly name = 'parallel';
  private dataw = 0xff;
  private datar = 0xff;
  private status = 0;
  private control = 0;
  private irqPending = false;

  constructor(private readonly irq: IrqLines, private readonly base = LPT1_BASE, private readonly line = LPT1_IRQ) {
    this.reset();
  }

  attach(bus: IoBus): void {
    bus.registerPorts(this.base, 8, bytePorts(bus, (port) => this.read(port - this.base), (port, value) => this.write(port - this.base, value)));
  }

  private read(reg: number): number {
    switch (reg) {
      case 0: return this.control & CTR_DIR ? this.datar : this.dataw;
      case 1: {
        const v = this.status;
        this.irqPending = false;
        if ((this.status & STS_BUSY) === 0 && (this.control & CTR_STROBE) === 0) {
          if (this.status & STS_ACK) this.status &= ~STS_ACK;
          else this.status |= STS_ACK | STS_BUSY;
        }
        this.updateIrq();
        return v;
      }
      case 2: return this.control;
      default: return 0xff;
    }
  }

  private write(reg: number, value: number): void {
    if (reg === 0) {
      this.dataw = value & 0xff;
      this.updateIrq();
    } else if (reg === 2) {
      const v = (value & 0xff) | 0xc0;
      if ((v & CTR_INIT) === 0) this.status = STS_BUSY | STS_ACK | STS_ONLINE | STS_ERROR;
      else if (v & CTR_SELECT) {
        if (v & CTR_STROBE) this.status &= ~STS_BUSY; // the printer took the byte
        else if (this.control & CTR_INTEN) this.irqPending = true;
      }
      this.updateIrq();
      this.control = v;
    }
  }

  private updateIrq(): void {
    this.irq.setIrq(this.line, this.irqPending);
  }

  reset(): void {
    this.dataw = this.datar = 0xff;
    this.status = STS_BUSY | STS_ACK | STS_ONLINE | STS_ERROR | STS_TMOUT;
    this.control = CTR_SELECT | CTR_INIT | 0xc0;
    this.irqPending = false;
  }

  saveState(): unknown {
    return { dataw: this.dataw, datar: this.datar, status: this.status, control: this.control, irqPending: this.irqPending };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Record<string, unknown>;
    this.dataw = num(o.dataw, 0xff); this.datar = num(o.datar, 0xff); this.status = num(o.status); this.control = num(o.control);
    this.irqPending = o.irqPending === true;
  }
}
