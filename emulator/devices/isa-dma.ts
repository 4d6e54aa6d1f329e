import { PhysicalMemory } from '../memory/phys';
import { IoBus } from './bus';
import { Device } from './device';
import { num } from './ports';

/**
 * The PC's two 8237A DMA controllers as QEMU's `pc` has them (hw/dma/i8257.c, i8257_dma_init(bus, 0)):
 * controller 1 (channels 0-3, 8-bit transfers) at ports 0x00-0x0F, controller 2 (channels 4-7, 16-bit
 * transfers, channel 4 the cascade) at 0xC0-0xDF (registers every other port), and the page registers at 0x81-0x83
 * and 0x87 (channels 2, 3, 1, 0) and 0x89-0x8B and 0x8F (6, 7, 5, 4). QEMU's pc enables no high page registers
 * (0x480), so transfers reach the first 16 MiB.
 *
 * Per channel: base and current address and count (16 bits, written low byte then high byte through the byte
 * pointer flip-flop), the mode (transfer type, auto-initialize, address decrement, mode), a page register, a mask
 * bit and a request bit; per controller: command, status (terminal count in bits 0-3, requests in bits 4-7;
 * reading it clears the TC bits), master clear, clear mask, write all masks. Reads at 0x08 give the status, at
 * 0x09 the mask register (QEMU), every other control port reads 0.
 *
 * A device asks for service with `hold(ch)` (its DREQ) and drops it with `release(ch)`; while a channel has a
 * request and is unmasked, the controller calls the device's registered service function at once (QEMU runs it
 * from i8257_dma_run in the same way: the transfer happens during the OUT that unmasked the channel or the write
 * that raised DREQ). The service function moves data with `toMemory`/`fromMemory`, which transfer up to the
 * channel's terminal count and say how far they got; `terminalCount(ch)` tells the device that the count ran out
 * (the 8237's TC/EOP signal, which ends a floppy command). Writes into RAM go through PhysicalMemory.load (pages
 * marked dirty, translated code dropped), anything else through the bus.
 *
 * Where QEMU departs from the 8237A data sheet, Faultline follows the data sheet (each case in test/devices/isa-dma.test.ts):
 * - the current address and count advance with every transfer and the next transfer continues there (QEMU
 *   restarts each device request at the base address and reports base + transferred);
 * - at terminal count an auto-initializing channel reloads its current registers from the base registers, and
 *   one that does not auto-initialize sets its mask bit (QEMU does neither);
 * - the address wraps inside its 64 KiB (16-bit channels: 128 KiB) page, and a decrementing channel puts the
 *   first byte at the current address (QEMU carries into the page and starts one byte below);
 * - 16-bit channels ignore bit 0 of their page register (A17-A23 come from bits 1-7).
 *
 * Public API: IsaDma (attach(bus), register(ch, service), hold/release, toMemory/fromMemory, remaining,
 * terminalCount, Device methods).
 */
export const DMA_MODE = { VERIFY: 0x00, WRITE: 0x04, READ: 0x08, AUTOINIT: 0x10, DECREMENT: 0x20 } as const;

/** Page register ports, low 3 bits -> channel in the controller (QEMU's `channels` table); -1: not a page register. */
const PAGE_CHANNEL = [-1, 2, 3, 1, -1, -1, -1, 0];
/** QEMU accepts only these command register bits (all others are refused unless the byte is 0). */
const CMD_NOT_SUPPORTED = 0x01 | 0x02 | 0x08 | 0x10 | 0x20 | 0x40 | 0x80;

interface Channel {
  baseAddr: number;
  baseCount: number;
  curAddr: number;
  curCount: number;
  mode: number;
  page: number;
  /** The last transfer reached terminal count (cleared when the channel is programmed again). */
  tc: boolean;
}

interface Controller {
  command: number;
  status: number;
  mask: number;
  flipFlop: number;
  channels: Channel[];
}

function newChannel(): Channel {
  return { baseAddr: 0, baseCount: 0, curAddr: 0, curCount: 0, mode: 0, page: 0, tc: false };
}

function newController(): Controller {
  return { command: 0, status: 0, mask: 0x0f, flipFlop: 0, channels: [newChannel(), newChannel(), newChannel(), newChannel()] };
}

export class IsaDma implements Device {
  readonly name = 'isa-dma';
  private ctl: Controller[] = [newController(), newController()];
  private readonly services: ((() => void) | undefined)[] = new Array(8).fill(undefined);
  private running = false;

  constructor(private readonly phys: PhysicalMemory) {}

  attach(bus: IoBus): void {
    const byte = (read: (p: number) => number, write: (p: number, v: number) => void) => ({
      read: (port: number, size: number) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= (i === 0 ? read(port) : bus.inPort(port + i, 1) & 0xff) << (8 * i);
        return v >>> 0;
      },
      write: (port: number, size: number, value: number) => {
        write(port, value & 0xff);
        for (let i = 1; i < size; i++) bus.outPort(port + i, 1, (value >>> (8 * i)) & 0xff);
      },
    });
    bus.registerPorts(0x00, 8, byte((p) => this.readChan(0, p & 7), (p, v) => this.writeChan(0, p & 7, v)));
    bus.registerPorts(0x08, 8, byte((p) => this.readCont(0, p & 7), (p, v) => this.writeCont(0, p & 7, v)));
    bus.registerPorts(0xc0, 16, byte((p) => this.readChan(1, (p >> 1) & 7), (p, v) => this.writeChan(1, (p >> 1) & 7, v)));
    bus.registerPorts(0xd0, 16, byte((p) => this.readCont(1, (p >> 1) & 7), (p, v) => this.writeCont(1, (p >> 1) & 7, v)));
    for (const [base, c] of [[0x80, 0], [0x88, 1]] as const) {
      for (const off of [1, 2, 3, 7]) {
        const ch = PAGE_CHANNEL[off];
        bus.registerPorts(base + off, 1, byte(() => this.ctl[c].channels[ch].page, (_p, v) => { this.ctl[c].channels[ch].page = v; }));
      }
    }
  }

  /** The device on channel `ch` (0-7): called while its request is active and the channel unmasked. */
  register(ch: number, service: () => void): void {
    this.services[ch] = service;
  }

  /** The device's DREQ on: serve it now if the channel is unmasked. */
  hold(ch: number): void {
    this.ctl[ch >> 2].status |= 1 << ((ch & 3) + 4);
    this.run();
  }

  release(ch: number): void {
    this.ctl[ch >> 2].status &= ~(1 << ((ch & 3) + 4));
  }

  /** The channel's mode register (transfer type in bits 2-3, auto-initialize bit 4, decrement bit 5). */
  mode(ch: number): number {
    return this.ctl[ch >> 2].channels[ch & 3].mode;
  }

  /** Bytes the channel can still move before terminal count. */
  remaining(ch: number): number {
    const c = this.ctl[ch >> 2];
    const r = c.channels[ch & 3];
    if (c.mask & (1 << (ch & 3))) return 0;
    return (r.curCount + 1) << (ch >> 2);
  }

  /** True when the channel's last transfer ended at terminal count (the TC/EOP the device sees). */
  terminalCount(ch: number): boolean {
    return this.ctl[ch >> 2].channels[ch & 3].tc;
  }

  /** Device -> memory (a floppy READ): moves up to `len` bytes of `src` from `offset`; returns how many moved. */
  toMemory(ch: number, src: Uint8Array, offset: number, len: number): number {
    return this.transfer(ch, len, (addr, k, n) => {
      if ((this.mode(ch) & 0x0c) === DMA_MODE.VERIFY) return;
      const bytes = src.subarray(offset + k, offset + k + n);
      if (this.phys.isRam(addr, n)) this.phys.load(addr, bytes);
      else for (let i = 0; i < n; i++) this.phys.write8(addr + i, bytes[i]);
    }, (addr, k) => {
      if ((this.mode(ch) & 0x0c) !== DMA_MODE.VERIFY) this.phys.write8(addr, src[offset + k]);
    });
  }

  /** Memory -> device (a floppy WRITE): fills up to `len` bytes of `dst` from `offset`; returns how many moved. */
  fromMemory(ch: number, dst: Uint8Array, offset: number, len: number): number {
    return this.transfer(ch, len, (addr, k, n) => {
      dst.set(this.phys.slice(addr, n), offset + k);
    }, (addr, k) => {
      dst[offset + k] = this.phys.read8(addr);
    });
  }

  /**
   * Move up to `len` bytes: `chunk(addr, k, n)` for incrementing runs inside the page, `one(addr, k)` per byte
   * when decrementing. 16-bit channels move whole words (an odd length rounds down).
   */
  private transfer(ch: number, len: number, chunk: (addr: number, k: number, n: number) => void, one: (addr: number, k: number) => void): number {
    const c = this.ctl[ch >> 2];
    const r = c.channels[ch & 3];
    const wide = ch >> 2;
    r.tc = false;
    let moved = 0;
    while (moved < len && !(c.mask & (1 << (ch & 3)))) {
      const units = Math.min((len - moved) >> wide, r.curCount + 1);
      if (units <= 0) break;
      const dec = (r.mode & DMA_MODE.DECREMENT) !== 0;
      let n: number;
      if (dec) {
        n = 1;
        const addr = this.linear(ch, r.curAddr);
        for (let b = 0; b <= wide; b++) one(addr + b, moved + b);
        r.curAddr = (r.curAddr - 1) & 0xffff;
      } else {
        n = Math.min(units, 0x10000 - r.curAddr); // up to the end of the page (the address wraps inside it)
        chunk(this.linear(ch, r.curAddr), moved, n << wide);
        r.curAddr = (r.curAddr + n) & 0xffff;
      }
      moved += n << wide;
      r.curCount -= n;
      if (r.curCount < 0) {
        // Terminal count: the count went past 0 to 0xFFFF.
        r.curCount = 0xffff;
        r.tc = true;
        c.status |= 1 << (ch & 3);
        if (r.mode & DMA_MODE.AUTOINIT) {
          r.curAddr = r.baseAddr;
          r.curCount = r.baseCount;
        } else {
          c.mask |= 1 << (ch & 3);
        }
        break;
      }
    }
    return moved;
  }

  private linear(ch: number, addr: number): number {
    const page = this.ctl[ch >> 2].channels[ch & 3].page;
    return ch >> 2 ? ((page & 0xfe) << 16) | (addr << 1) : (page << 16) | addr;
  }

  /** Serve every unmasked channel with an active request (QEMU i8257_dma_run; not re-entered). */
  private run(): void {
    if (this.running) return;
    this.running = true;
    try {
      for (let ch = 0; ch < 8; ch++) {
        const c = this.ctl[ch >> 2];
        const bit = 1 << (ch & 3);
        if (!(c.mask & bit) && (c.status & (bit << 4))) this.services[ch]?.();
      }
    } finally {
      this.running = false;
    }
  }

  private readChan(n: number, reg: number): number {
    const c = this.ctl[n];
    const r = c.channels[reg >> 1];
    const v = reg & 1 ? r.curCount : r.curAddr;
    const ff = c.flipFlop;
    c.flipFlop ^= 1;
    return ff ? (v >> 8) & 0xff : v & 0xff;
  }

  private writeChan(n: number, reg: number, value: number): void {
    const c = this.ctl[n];
    const r = c.channels[reg >> 1];
    const ff = c.flipFlop;
    c.flipFlop ^= 1;
    // The 8237 writes the base and the current register together.
    if (reg & 1) {
      r.baseCount = ff ? (r.baseCount & 0xff) | (value << 8) : (r.baseCount & 0xff00) | value;
      r.curCount = r.baseCount;
    } else {
      r.baseAddr = ff ? (r.baseAddr & 0xff) | (value << 8) : (r.baseAddr & 0xff00) | value;
      r.curAddr = r.baseAddr;
    }
    r.tc = false;
  }

  private readCont(n: number, reg: number): number {
    const c = this.ctl[n];
    if (reg === 0) {
      const v = c.status;
      c.status &= 0xf0;
      return v;
    }
    return reg === 1 ? c.mask : 0;
  }

  private writeCont(n: number, reg: number, value: number): void {
    const c = this.ctl[n];
    switch (reg) {
      case 0: // command
        if (value !== 0 && (value & CMD_NOT_SUPPORTED)) return;
        c.command = value;
        break;
      case 1: { // request register: software DREQ
        const ch = value & 3;
        if (value & 4) c.status |= 1 << (ch + 4);
        else c.status &= ~(1 << (ch + 4));
        c.status &= ~(1 << ch);
        this.run();
        break;
      }
      case 2: // single mask bit
        if (value & 4) c.mask |= 1 << (value & 3);
        else c.mask &= ~(1 << (value & 3));
        this.run();
        break;
      case 3: // mode
        c.channels[value & 3].mode = value;
        break;
      case 4: // clear byte pointer flip-flop
        c.flipFlop = 0;
        break;
      case 5: // master clear
        c.flipFlop = 0;
        c.mask = 0x0f;
        c.status = 0;
        c.command = 0;
        break;
      case 6: // clear mask register
        c.mask = 0;
        this.run();
        break;
      case 7: // write all mask bits
        c.mask = value & 0x0f;
        this.run();
        break;
    }
  }

  reset(): void {
    // QEMU's reset is a master clear; the channel registers keep their values.
    for (const c of this.ctl) {
      c.flipFlop = 0;
      c.mask = 0x0f;
      c.status = 0;
      c.command = 0;
    }
  }

  saveState(): unknown {
    return this.ctl.map((c) => ({ ...c, channels: c.channels.map((r) => ({ ...r })) }));
  }

  loadState(state: unknown): void {
    if (!Array.isArray(state)) return;
    this.ctl = [0, 1].map((i) => {
      const s = (state[i] ?? {}) as Partial<Controller>;
      const chans = Array.isArray(s.channels) ? s.channels : [];
      return {
        command: num(s.command), status: num(s.status), mask: num(s.mask, 0x0f), flipFlop: num(s.flipFlop),
        channels: [0, 1, 2, 3].map((k) => {
          const r = (chans[k] ?? {}) as Partial<Channel>;
          return { baseAddr: num(r.baseAddr), baseCount: num(r.baseCount), curAddr: num(r.curAddr), curCount: num(r.curCount), mode: num(r.mode), page: num(r.page), tc: r.tc === true };
        }),
      };
    });
  }
}
