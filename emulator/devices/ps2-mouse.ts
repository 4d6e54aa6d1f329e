import { num } from './ports';

/**
 * A PS/2 mouse on the 8042's aux port, after QEMU's hw/input/ps2.c (ps2_write_mouse) and the IBM PS/2 mouse
 * reference: the command set (reset, defaults, enable/disable reporting, sample rate, resolution, scaling,
 * status, device ID, stream/remote/wrap modes, read data) and 3-byte movement packets (4 bytes with the wheel
 * once the IntelliMouse knock — sample rates 200, 100, 80 — has made the ID 3). The controller asks for
 * packets with `packet()` and delivers the bytes through its output buffer (IRQ12).
 *
 * Public API: Ps2Mouse (command(byte) -> reply bytes, packet(dx, dy, dz, buttons), reporting, save/load/reset).
 */

const ACK = 0xfa;

interface MouseState {
  /** Command waiting for its parameter (0xE8 resolution, 0xF3 sample rate), or 0. */
  pending: number;
  reporting: boolean;
  remote: boolean;
  wrap: boolean;
  scaling21: boolean;
  resolution: number;
  sampleRate: number;
  /** The last three sample rates (IntelliMouse detection). */
  rates: number[];
  id: number;
  buttons: number;
}

function defaults(): MouseState {
  return { pending: 0, reporting: false, remote: false, wrap: false, scaling21: false, resolution: 2, sampleRate: 100, rates: [], id: 0, buttons: 0 };
}

export class Ps2Mouse {
  private s = defaults();

  get reporting(): boolean {
    return this.s.reporting && !this.s.remote;
  }

  /** A byte the guest sent to the mouse (8042 command 0xD4); returns the mouse's answer. */
  command(v: number): number[] {
    const s = this.s;
    if (s.pending) {
      const cmd = s.pending;
      s.pending = 0;
      if (cmd === 0xe8) s.resolution = v & 3;
      else {
        s.sampleRate = v;
        s.rates = [...s.rates, v].slice(-3);
        if (s.rates.join() === '200,100,80') s.id = 3;
      }
      return [ACK];
    }
    if (s.wrap && v !== 0xec && v !== 0xff) return [v];
    switch (v) {
      case 0xe6: s.scaling21 = false; return [ACK];
      case 0xe7: s.scaling21 = true; return [ACK];
      case 0xe8: case 0xf3: s.pending = v; return [ACK];
      case 0xe9: {
        const status = (s.remote ? 0x40 : 0) | (s.reporting ? 0x20 : 0) | (s.scaling21 ? 0x10 : 0) | (s.buttons & 7);
        return [ACK, status, s.resolution, s.sampleRate];
      }
      case 0xea: s.remote = false; return [ACK];
      case 0xeb: return [ACK, ...this.encode(0, 0, 0)];
      case 0xec: s.wrap = false; return [ACK];
      case 0xee: s.wrap = true; return [ACK];
      case 0xf0: s.remote = true; return [ACK];
      case 0xf2: return [ACK, s.id];
      case 0xf4: s.reporting = true; return [ACK];
      case 0xf5: s.reporting = false; return [ACK];
      case 0xf6: { const b = s.buttons; this.s = defaults(); this.s.buttons = b; return [ACK]; }
      case 0xff: { const b = s.buttons; this.s = defaults(); this.s.buttons = b; return [ACK, 0xaa, 0x00]; }
      default: return [0xfe];
    }
  }

  /**
   * A movement packet for (dx right, dy up, dz wheel, buttons bit 0 left, 1 right, 2 middle), or no bytes when
   * reporting is off. Movement is clamped to ±127 per packet, as QEMU does.
   */
  packet(dx: number, dy: number, dz: number, buttons: number): number[] {
    this.s.buttons = buttons & 7;
    if (!this.reporting) return [];
    return this.encode(dx, dy, dz);
  }

  private encode(dx: number, dy: number, dz: number): number[] {
    const clamp = (v: number) => Math.max(-127, Math.min(127, Math.trunc(v)));
    const x = clamp(dx), y = clamp(dy);
    const b0 = 0x08 | (this.s.buttons & 7) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0);
    const out = [b0, x & 0xff, y & 0xff];
    if (this.s.id === 3) out.push(Math.max(-8, Math.min(7, Math.trunc(dz))) & 0xff);
    return out;
  }

  reset(): void {
    this.s = defaults();
  }

  save(): MouseState {
    return { ...this.s, rates: this.s.rates.slice() };
  }

  load(o: Partial<MouseState> | undefined): void {
    const d = defaults();
    this.s = {
      pending: num(o?.pending), reporting: !!o?.reporting, remote: !!o?.remote, wrap: !!o?.wrap, scaling21: !!o?.scaling21,
      resolution: num(o?.resolution, d.resolution), sampleRate: num(o?.sampleRate, d.sampleRate),
      rates: Array.isArray(o?.rates) ? o.rates.map((r) => num(r)).slice(-3) : [], id: num(o?.id), buttons: num(o?.buttons),
    };
  }
}
