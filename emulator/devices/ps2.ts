import { IoBus } from './bus';
import { Device, IrqLines } from './device';
import { keyBytes } from './keymap';
import { bytePorts, num } from './ports';
import { Ps2Mouse } from './ps2-mouse';

/**
 * The 8042 keyboard controller (data 0x60, status/command 0x64) with a PS/2 keyboard behind it, after the
 * IBM PC/AT technical reference and QEMU's hw/input/pckbd.c + ps2.c, plus port 0x92 (PS/2 system control
 * port A: fast A20, bit 0 = fast reset). A PS/2 mouse (ps2-mouse.ts) sits on the aux port: bytes sent with
 * command 0xD4 reach it, its answers and movement packets come back through the output buffer with IRQ12.
 *
 * The controller starts as firmware leaves it (command byte 0x65: keyboard interrupt, system flag, aux
 * disabled, set 2 -> set 1 translation); `pressKey()` queues bytes exactly as the guest will read them from
 * port 0x60 (so, with translation on, set 1 scancodes). Keyboard output reaches the guest one byte at a time
 * through the output buffer, raising IRQ1 when the command byte enables it. The keyboard's answers to commands
 * go ahead of the scancodes it holds, and a byte sent to it drops the answers the guest has not read (keyboard()).
 *
 * `keyBytes(code, down)` gives the bytes a key press or release produces in the current configuration (set 1
 * when the controller translates or the keyboard is in set 1, else set 2); the machine logs them as input.
 *
 * Public API: attach(bus), pressKey(bytes), keyBytes(code, down), auxInput(bytes), mousePacket(dx, dy, dz,
 * buttons), keyboardInterruptEnabled, mouseReporting, a20, leds, Device methods; onResetRequest (constructor).
 */

const STAT_OBF = 0x01;
const STAT_SYS = 0x04;
const STAT_CMD = 0x08; // last write went to 0x64
const STAT_UNLOCKED = 0x10;
const STAT_AUX_OBF = 0x20;

const MODE_KBD_INT = 0x01;
const MODE_AUX_INT = 0x02;
const MODE_SYS = 0x04;
const MODE_DISABLE_KBD = 0x10;
const MODE_DISABLE_AUX = 0x20;
const MODE_XLATE = 0x40;

const KBD_ACK = 0xfa;
const KBD_RESEND = 0xfe;

/** Output port bits: bit 0 = system reset line (active low), bit 1 = A20 gate. */
const OUT_RESET = 0x01;
const OUT_A20 = 0x02;

interface Ps2State {
  status: number;
  mode: number;
  outport: number;
  /** Controller command waiting for its data byte (0x60-0x7F, 0xD1-0xD4), or 0. */
  pendingCmd: number;
  /** Keyboard command waiting for its parameter (0xED, 0xF0, 0xF3), or 0. */
  kbdCmd: number;
  /** Bytes the controller itself answers with; served before keyboard bytes. {byte, aux} */
  ctrlQueue: { b: number; aux: boolean }[];
  /** Keyboard bytes: first its answers to commands (kbdReplies of them), then scancodes. */
  kbdQueue: number[];
  kbdReplies: number;
  /** What the output buffer holds from the keyboard, unread: 0 nothing, 1 an answer, 2 a scancode (see keyboard()). */
  obKbd: number;
  /** Bytes from the mouse (answers and packets), served after the keyboard's. */
  auxQueue: number[];
  obData: number;
  scanning: boolean;
  scancodeSet: number;
  leds: number;
  ram: number[];
  port92: number;
  /**
   * The A20 line as last driven. The 8042 output port and port 0x92 both drive the one gate, the later write
   * winning (QEMU's pc board wires both to the CPU's A20 input).
   */
  a20: boolean;
  irq1: boolean;
  irq12: boolean;
}

function powerOn(): Ps2State {
  const mode = MODE_KBD_INT | MODE_SYS | MODE_DISABLE_AUX | MODE_XLATE;
  const ram = new Array(32).fill(0);
  ram[0] = mode;
  return {
    status: STAT_CMD | STAT_UNLOCKED | STAT_SYS, mode, outport: OUT_RESET | OUT_A20, pendingCmd: 0, kbdCmd: 0,
    ctrlQueue: [], kbdQueue: [], kbdReplies: 0, obKbd: 0, auxQueue: [], obData: 0, scanning: true, scancodeSet: 2, leds: 0, ram, port92: OUT_A20, a20: true,
    irq1: false, irq12: false,
  };
}

export class Ps2Controller implements Device {
  readonly name = 'i8042';
  private s = powerOn();
  private readonly mouse = new Ps2Mouse();

  constructor(
    private readonly irq: IrqLines,
    private readonly onResetRequest: () => void,
    /** The A20 gate changed (the board passes it to the CPU: Cpu.setA20). */
    private readonly onA20: (enabled: boolean) => void = () => {},
  ) {}

  attach(bus: IoBus): void {
    // The status port and port 92h change only when the guest writes a port or input arrives (a timer event or
    // between runs), never with time alone: a loop waiting on the status port is skipped (cpu/poll-loop.ts). A
    // read of the data port empties the buffer.
    const h = { ...bytePorts(bus, (p) => this.read8(p), (p, v) => this.write8(p, v)), stableUntil: (p: number) => (p === 0x60 ? -Infinity : Infinity) };
    bus.registerPorts(0x60, 1, h);
    bus.registerPorts(0x64, 1, h);
    bus.registerPorts(0x92, 1, h);
  }

  /** Queue keyboard bytes (as they will be read from port 0x60). Dropped while scanning is disabled (0xF5). */
  pressKey(bytes: ArrayLike<number>): void {
    if (!this.s.scanning) return;
    for (let i = 0; i < bytes.length; i++) this.s.kbdQueue.push(bytes[i] & 0xff);
    this.pump();
  }

  /** Bytes for a key press/release (KeyboardEvent.code) as the guest will read them now. */
  keyBytes(code: string, down: boolean): number[] {
    return keyBytes(code, down, (this.s.mode & MODE_XLATE) !== 0 || this.s.scancodeSet === 1);
  }

  /** True when a key press reaches the guest as IRQ1: scanning on, keyboard interface and its interrupt enabled. */
  get keyboardInterruptEnabled(): boolean {
    return this.s.scanning && (this.s.mode & MODE_KBD_INT) !== 0 && (this.s.mode & MODE_DISABLE_KBD) === 0;
  }

  /** True when the guest has enabled mouse data reporting (and the aux interface). */
  get mouseReporting(): boolean {
    return this.mouse.reporting && (this.s.mode & MODE_DISABLE_AUX) === 0;
  }

  /** The mouse's packet for a movement/button change (dy up-positive), or no bytes while reporting is off. */
  mousePacket(dx: number, dy: number, dz: number, buttons: number): number[] {
    return this.mouse.packet(dx, dy, dz, buttons);
  }

  /** Queue bytes from the mouse (replayed input: the packets mousePacket made). */
  auxInput(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.s.auxQueue.push(bytes[i] & 0xff);
    this.pump();
  }

  /** The A20 gate as the guest last set it (8042 output port bit 1 or port 0x92 bit 1, whichever was written last). */
  get a20(): boolean {
    return this.s.a20;
  }

  get leds(): number {
    return this.s.leds;
  }

  reset(): void {
    this.s = powerOn();
    this.onA20(true);
    this.mouse.reset();
    this.irq.setIrq(1, false);
    this.irq.setIrq(12, false);
  }

  saveState(): unknown {
    const s = this.s;
    return {
      ...s, ctrlQueue: s.ctrlQueue.map((e) => ({ ...e })), kbdQueue: s.kbdQueue.slice(), auxQueue: s.auxQueue.slice(), ram: s.ram.slice(),
      mouse: this.mouse.save(),
    };
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Partial<Ps2State>;
    const d = powerOn();
    this.s = {
      status: num(o.status, d.status), mode: num(o.mode, d.mode), outport: num(o.outport, d.outport),
      pendingCmd: num(o.pendingCmd), kbdCmd: num(o.kbdCmd),
      ctrlQueue: Array.isArray(o.ctrlQueue) ? o.ctrlQueue.map((e) => ({ b: num(e?.b) & 0xff, aux: !!e?.aux })) : [],
      kbdQueue: Array.isArray(o.kbdQueue) ? o.kbdQueue.map((b) => num(b) & 0xff) : [],
      kbdReplies: Math.min(num(o.kbdReplies), Array.isArray(o.kbdQueue) ? o.kbdQueue.length : 0), obKbd: num(o.obKbd) & 3,
      auxQueue: Array.isArray(o.auxQueue) ? o.auxQueue.map((b) => num(b) & 0xff) : [],
      obData: num(o.obData), scanning: o.scanning !== false, scancodeSet: num(o.scancodeSet, 2), leds: num(o.leds),
      ram: Array.isArray(o.ram) && o.ram.length === 32 ? o.ram.map((b) => num(b) & 0xff) : d.ram,
      port92: num(o.port92, d.port92), a20: typeof o.a20 === 'boolean' ? o.a20 : true, irq1: !!o.irq1, irq12: !!o.irq12,
    };
    this.mouse.load((state as { mouse?: Parameters<Ps2Mouse['load']>[0] } | undefined)?.mouse);
  }

  /** Move the next pending byte into the empty output buffer and update IRQ1/IRQ12. */
  private pump(): void {
    const s = this.s;
    if (!(s.status & STAT_OBF)) {
      const c = s.ctrlQueue.shift();
      s.obKbd = 0;
      if (c) {
        s.obData = c.b;
        s.status |= STAT_OBF | (c.aux ? STAT_AUX_OBF : 0);
        if (!c.aux) s.status &= ~STAT_AUX_OBF;
      } else if (s.kbdQueue.length && !(s.mode & MODE_DISABLE_KBD)) {
        s.obData = s.kbdQueue.shift() as number;
        s.obKbd = s.kbdReplies > 0 ? 1 : 2;
        if (s.kbdReplies > 0) s.kbdReplies--;
        s.status = (s.status | STAT_OBF) & ~STAT_AUX_OBF;
      } else if (s.auxQueue.length && !(s.mode & MODE_DISABLE_AUX)) {
        s.obData = s.auxQueue.shift() as number;
        s.status |= STAT_OBF | STAT_AUX_OBF;
      }
    }
    const full = (s.status & STAT_OBF) !== 0;
    const aux = (s.status & STAT_AUX_OBF) !== 0;
    this.setIrq(1, full && !aux && (s.mode & MODE_KBD_INT) !== 0);
    this.setIrq(12, full && aux && (s.mode & MODE_AUX_INT) !== 0);
  }

  private setIrq(line: 1 | 12, level: boolean): void {
    const key = line === 1 ? 'irq1' : 'irq12';
    if (this.s[key] === level) return;
    this.s[key] = level;
    this.irq.setIrq(line, level);
  }

  private reply(b: number, aux = false): void {
    this.s.ctrlQueue.push({ b, aux });
    this.pump();
  }

  /** The keyboard answers a command: ahead of the scancodes it has queued (QEMU ps2_cqueue_*), after earlier answers. */
  private kbdReply(...bytes: number[]): void {
    const s = this.s;
    s.kbdQueue.splice(s.kbdReplies, 0, ...bytes);
    s.kbdReplies += bytes.length;
    this.pump();
  }

  private read8(port: number): number {
    const s = this.s;
    if (port === 0x64) return s.status;
    if (port === 0x92) return s.port92 & ~1;
    // Reading the data port empties the output buffer; the same byte reads again if nothing new came.
    const v = s.obData;
    s.status &= ~(STAT_OBF | STAT_AUX_OBF);
    // The line drops with the buffer, so the next byte (loaded at once) is a fresh edge for the PIC.
    this.setIrq(1, false);
    this.setIrq(12, false);
    this.pump();
    return v;
  }

  private write8(port: number, v: number): void {
    const s = this.s;
    if (port === 0x92) {
      s.port92 = v & ~1;
      this.driveA20((v & OUT_A20) !== 0); // fast A20
      if (v & 1) this.onResetRequest(); // fast reset
      return;
    }
    if (port === 0x64) {
      s.status |= STAT_CMD;
      this.command(v);
      return;
    }
    s.status &= ~STAT_CMD;
    const cmd = s.pendingCmd;
    s.pendingCmd = 0;
    if (cmd >= 0x60 && cmd < 0x80) {
      s.ram[cmd - 0x60] = v;
      if (cmd === 0x60) this.setMode(v);
    } else if (cmd === 0xd1) {
      this.writeOutport(v);
    } else if (cmd === 0xd2) {
      this.reply(v); // write keyboard output buffer: the controller's own byte, as from the keyboard
    } else if (cmd === 0xd3) {
      this.reply(v, true); // write aux output buffer
    } else if (cmd === 0xd4) {
      // Byte for the mouse.
      this.auxInput(this.mouse.command(v));
    } else {
      // Sending data to the keyboard re-enables its interface (QEMU kbd_write_data).
      s.mode &= ~MODE_DISABLE_KBD;
      s.ram[0] = s.mode;
      this.keyboard(v);
    }
  }

  private setMode(v: number): void {
    const s = this.s;
    s.mode = v;
    s.ram[0] = v;
    if (v & MODE_SYS) s.status |= STAT_SYS;
    else s.status &= ~STAT_SYS;
    this.pump();
  }

  private driveA20(level: boolean): void {
    this.s.a20 = level;
    this.onA20(level);
  }

  private writeOutport(v: number): void {
    this.s.outport = v;
    this.driveA20((v & OUT_A20) !== 0);
    if (!(v & OUT_RESET)) this.onResetRequest();
  }

  private command(v: number): void {
    const s = this.s;
    if (v >= 0x20 && v < 0x40) {
      this.reply(s.ram[v - 0x20]); // 0x20: read command byte
      return;
    }
    if ((v >= 0x60 && v < 0x80) || (v >= 0xd1 && v <= 0xd4)) {
      s.pendingCmd = v;
      return;
    }
    if (v >= 0xf0) {
      // Pulse output port lines low for 6 us: bit 0 clear pulses the reset line (0xFE: CPU reset).
      if (!(v & 1)) this.onResetRequest();
      return;
    }
    switch (v) {
      case 0xa7:
        this.setMode(s.mode | MODE_DISABLE_AUX);
        break;
      case 0xa8:
        this.setMode(s.mode & ~MODE_DISABLE_AUX);
        break;
      case 0xa9: // aux interface test: 0 = no error
      case 0xab: // keyboard interface test
        this.reply(0x00);
        break;
      case 0xaa: // controller self test
        s.status |= STAT_SYS;
        this.reply(0x55);
        break;
      case 0xad:
        this.setMode(s.mode | MODE_DISABLE_KBD);
        break;
      case 0xae:
        this.setMode(s.mode & ~MODE_DISABLE_KBD);
        break;
      case 0xc0: // read input port: keyboard not inhibited
        this.reply(0x80);
        break;
      case 0xd0: // read output port
        this.reply((s.outport & ~0x30) | (s.status & STAT_OBF ? 0x10 : 0) | (s.status & STAT_AUX_OBF ? 0x20 : 0));
        break;
      case 0xdd: // A20 off
        this.s.outport &= ~OUT_A20;
        this.driveA20(false);
        break;
      case 0xdf: // A20 on
        this.s.outport |= OUT_A20;
        this.driveA20(true);
        break;
      case 0xe0: // read test inputs
        this.reply(0x00);
        break;
      default:
        // Unknown controller commands are ignored.
    }
  }

  /** A byte sent to the keyboard (PS/2 keyboard command set). */
  private keyboard(v: number): void {
    const s = this.s;
    // A byte sent to the keyboard discards its answers to earlier commands that the guest has not read (QEMU
    // ps2_cqueue_reset; a keyboard given a byte drops the output it had not sent yet), and its answer to this one
    // comes before the scancodes it still holds. QEMU takes a byte from the keyboard only when the guest reads port
    // 0x60, so a keyboard byte this model already moved into the output buffer is still the keyboard's: an answer
    // is dropped, a scancode goes back to the head of the queue. F0 then 00 written back to back read FA 41 (the
    // current set), as under QEMU.
    s.kbdQueue.splice(0, s.kbdReplies);
    s.kbdReplies = 0;
    if (s.obKbd !== 0 && (s.status & (STAT_OBF | STAT_AUX_OBF)) === STAT_OBF) {
      if (s.obKbd === 2) s.kbdQueue.unshift(s.obData);
      // IRQ1 stays as it is: every byte sent to the keyboard is answered, and the answer refills the buffer at
      // once (pump), so the line stays up, as QEMU's does (no new edge for the PIC).
      s.status &= ~STAT_OBF;
      s.obKbd = 0;
    }
    const pending = s.kbdCmd;
    if (pending) {
      s.kbdCmd = 0;
      if (pending === 0xed) {
        s.leds = v & 7;
        this.kbdReply(KBD_ACK);
        return;
      }
      if (pending === 0xf0) {
        if (v === 0) {
          // Current set; with translation on the controller translates the answer too (1->0x43, 2->0x41, 3->0x3f).
          const xlated = [0, 0x43, 0x41, 0x3f][s.scancodeSet];
          this.kbdReply(KBD_ACK, s.mode & MODE_XLATE ? xlated : s.scancodeSet);
        } else {
          if (v >= 1 && v <= 3) s.scancodeSet = v;
          this.kbdReply(KBD_ACK);
        }
        return;
      }
      if (pending === 0xf3) {
        this.kbdReply(KBD_ACK); // typematic rate/delay
        return;
      }
    }
    switch (v) {
      case 0xed: // set LEDs
      case 0xf0: // get/set scancode set
      case 0xf3: // set typematic
        s.kbdCmd = v;
        this.kbdReply(KBD_ACK);
        break;
      case 0xee: // echo
        this.kbdReply(0xee);
        break;
      case 0xf2: // identify: MF2 keyboard (translated ID with translation on)
        this.kbdReply(KBD_ACK, 0xab, s.mode & MODE_XLATE ? 0x41 : 0x83);
        break;
      case 0xf4: // enable scanning
        s.scanning = true;
        this.kbdReply(KBD_ACK);
        break;
      case 0xf5: // disable scanning and restore defaults
        s.scanning = false;
        s.scancodeSet = 2;
        s.kbdQueue.length = 0;
        s.kbdReplies = 0;
        this.kbdReply(KBD_ACK);
        break;
      case 0xf6: // restore defaults
        s.scancodeSet = 2;
        this.kbdReply(KBD_ACK);
        break;
      case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
        this.kbdReply(KBD_ACK); // set 3 key-type commands
        break;
      case 0xff: // reset: ACK, then BAT passed
        s.scanning = true;
        s.scancodeSet = 2;
        s.leds = 0;
        s.kbdQueue.length = 0;
        s.kbdReplies = 0;
        this.kbdReply(KBD_ACK, 0xaa);
        break;
      default:
        this.kbdReply(KBD_RESEND);
    }
  }
}
