import { MmioHandler } from './device';
import { Vram } from './vga-vbe';

/**
 * The VGA's graphics window at 0xA0000-0xAFFFF, after QEMU's vga_mem_readb/vga_mem_writeb: guest accesses go
 * through the sequencer and graphics controller into video RAM, laid out as QEMU lays it out (four planes
 * interleaved: byte 4·a + p is plane p of address a). Chain-4 (mode 13h) puts window byte x at VRAM byte x;
 * odd/even addressing picks the plane from the address's low bit; planar modes use the four write modes,
 * rotate/function select, set/reset, bit mask, map mask and the latches, and read mode 0 (one plane) or 1
 * (colour compare). The text buffer at 0xB8000 stays ordinary RAM (vga.ts), so text output costs nothing.
 *
 * Public API: VgaWindow (mmio handler; constructed with the register arrays), expandMask.
 */

/** A 4-bit plane mask expanded to a byte mask per plane (QEMU's mask16). */
export function expandMask(m: number): number {
  return ((m & 1 ? 0xff : 0) | (m & 2 ? 0xff00 : 0) | (m & 4 ? 0xff0000 : 0) | (m & 8 ? 0xff000000 : 0)) >>> 0;
}

export const WINDOW_BASE = 0xa0000;
export const WINDOW_SIZE = 0x10000;

export interface VgaMemoryRegs {
  seq: number[];
  gc: number[];
}

export class VgaWindow {
  /** The four planes' bytes at the last read (loaded by every planar read; write mode 1 and the ALU use them). */
  latch = 0;

  constructor(private readonly vram: Vram, private readonly regs: () => VgaMemoryRegs) {}

  readonly mmio: MmioHandler = {
    read: (offset, size) => {
      let v = 0;
      for (let i = 0; i < size; i++) v += this.readb(offset + i) * 2 ** (8 * i);
      return v;
    },
    write: (offset, size, value) => {
      for (let i = 0; i < size; i++) this.writeb(offset + i, size > 4 ? Math.floor(value / 2 ** (8 * i)) & 0xff : (value >>> (8 * i)) & 0xff);
    },
  };

  /** Window offset -> address in the plane space, or -1 when the memory map mode does not map it here. */
  private map(offset: number): number {
    const { gc } = this.regs();
    const mode = (gc[6] >> 2) & 3;
    // 0: A0000-BFFFF (128K), 1: A0000-AFFFF (64K); 2 and 3 map B0000 and B8000 (text), not this window.
    return mode <= 1 ? offset : -1;
  }

  readb(offset: number): number {
    const addr = this.map(offset);
    if (addr < 0) return 0xff;
    const { seq, gc } = this.regs();
    const m = this.vram.bytes;
    if (seq[4] & 0x08) return m[addr];
    if (gc[5] & 0x10) {
      const plane = (gc[4] & 2) | (addr & 1);
      return m[((addr & ~1) << 1) | plane];
    }
    const o = addr * 4;
    this.latch = (m[o] | (m[o + 1] << 8) | (m[o + 2] << 16) | (m[o + 3] << 24)) >>> 0;
    if (!(gc[5] & 0x08)) return (this.latch >>> ((gc[4] & 3) * 8)) & 0xff;
    // read mode 1: colour compare against gc[2] for the planes selected by colour don't care gc[7]
    let r = ((this.latch ^ expandMask(gc[2])) & expandMask(gc[7])) >>> 0;
    r |= r >>> 16;
    r |= r >>> 8;
    return ~r & 0xff;
  }

  writeb(offset: number, val: number): void {
    const addr = this.map(offset);
    if (addr < 0) return;
    const { seq, gc } = this.regs();
    const m = this.vram.bytes;
    if (seq[4] & 0x08) {
      if (seq[2] & (1 << (addr & 3))) { m[addr] = val; this.vram.touch(addr, 1); }
      return;
    }
    if (gc[5] & 0x10) {
      const plane = (gc[4] & 2) | (addr & 1);
      if (seq[2] & (1 << plane)) {
        const a = ((addr & ~1) << 1) | plane;
        m[a] = val;
        this.vram.touch(a, 1);
      }
      return;
    }
    let v: number;
    let bitMask: number;
    const mode = gc[5] & 3;
    if (mode === 1) {
      v = this.latch;
    } else {
      if (mode === 0) {
        const b = gc[3] & 7;
        v = ((val >> b) | (val << (8 - b))) & 0xff;
        v = (v | (v << 8) | (v << 16) | (v << 24)) >>> 0;
        const setMask = expandMask(gc[1]);
        v = ((v & ~setMask) | (expandMask(gc[0]) & setMask)) >>> 0;
        bitMask = gc[8];
      } else if (mode === 2) {
        v = expandMask(val & 0x0f);
        bitMask = gc[8];
      } else {
        const b = gc[3] & 7;
        const r = ((val >> b) | (val << (8 - b))) & 0xff;
        bitMask = gc[8] & r;
        v = expandMask(gc[0]);
      }
      switch (gc[3] >> 3 & 3) {
        case 1: v = (v & this.latch) >>> 0; break;
        case 2: v = (v | this.latch) >>> 0; break;
        case 3: v = (v ^ this.latch) >>> 0; break;
        default:
      }
      const bm = (bitMask | (bitMask << 8) | (bitMask << 16) | (bitMask << 24)) >>> 0;
      v = ((v & bm) | (this.latch & ~bm)) >>> 0;
    }
    const writeMask = expandMask(seq[2]);
    const o = addr * 4;
    const old = (m[o] | (m[o + 1] << 8) | (m[o + 2] << 16) | (m[o + 3] << 24)) >>> 0;
    const nv = ((old & ~writeMask) | (v & writeMask)) >>> 0;
    m[o] = nv & 0xff; m[o + 1] = (nv >>> 8) & 0xff; m[o + 2] = (nv >>> 16) & 0xff; m[o + 3] = nv >>> 24;
    this.vram.touch(o, 4);
  }
}
