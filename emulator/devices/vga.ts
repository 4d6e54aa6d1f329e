import { VirtualClock } from '../clock';
import { PhysicalMemory } from '../memory/phys';
import { IoBus } from './bus';
import { Device } from './device';
import { QEMU_STD_VGA_EDID } from './edid';
import { VgaRegisterFile } from './vga-pci';
import { allOnes, bytePorts, num } from './ports';
import { VgaWindow, WINDOW_BASE, WINDOW_SIZE } from './vga-memory';
import { BochsVbe, VBE_LFB_BASE, Vram } from './vga-vbe';

/**
 * VGA in 80x25 colour text mode. The text buffer at physical 0xB8000 is ordinary guest RAM (no MMIO, so the
 * CPU's fast path writes it directly); this device reads it when asked. Registers: CRTC index/data at
 * 0x3D4/0x3D5 (cursor shape 0x0A/0x0B, start address 0x0C/0x0D, cursor location 0x0E/0x0F, the rest stored;
 * an 8-bit index as QEMU's; CR11 bit 7 write-protects CR0-CR7), feature control (write 0x3DA, read 0x3CA),
 * attribute controller 0x3C0/0x3C1 with its index/data flip-flop, misc output (write 0x3C2, read 0x3CC),
 * sequencer 0x3C4/0x3C5, DAC 0x3C6-0x3C9 (0x3C7 reads the DAC state), graphics controller 0x3CE/0x3CF, input status 1 at 0x3DA (vertical
 * retrace from virtual time at 60 Hz; reading it resets the attribute flip-flop).
 *
 * Graphics: the renderer (vga-render.ts) reads the registers through `regs()`; the graphics window at
 * 0xA0000-0xAFFFF goes through the sequencer and graphics controller into video RAM (vga-memory.ts: chain-4,
 * odd/even, planar write modes and latches). The Bochs VBE interface (vga-vbe.ts,
 * ports 0x1CE/0x1CF) and its 16 MiB linear framebuffer `vram` (mapped by `mapLfb`, at 0xFD000000 by default)
 * give the high-resolution modes.
 *
 * The PCI function's MMIO BAR (vga-pci.ts) reaches the same registers through the VgaRegisterFile methods
 * (ioRead8/ioWrite8, dispiRead/dispiWrite, bigEndianFb: QEMU's framebuffer byte-order register).
 *
 * Public API: attach(bus), mapLfb(bus, base), vram, vbe, regs(), screen(), text(), pollChanged(), version,
 * VgaRegisterFile, Device methods; cp437ToUnicode.
 */

export const TEXT_BASE = 0xb8000;
export const COLS = 80;
export const ROWS = 25;
const FRAME_NS = 16_683_333; // 59.94 Hz
const VRETRACE_NS = 1_000_000; // last ~1 ms of each frame

/** Code page 437 as Unicode: the glyphs the VGA ROM font draws (0x00 shown as a space). */
const CP437 =
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»' +
  '░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

export function cp437ToUnicode(byte: number): string {
  return CP437[byte & 0xff];
}

export interface ScreenCell {
  ch: string;
  /** Foreground colour 0-15 (VGA palette index). */
  fg: number;
  /** Background colour 0-7 when blink is enabled (attribute mode bit 3), else 0-15. */
  bg: number;
  blink: boolean;
}

export interface Screen {
  cols: number;
  rows: number;
  cells: ScreenCell[][];
  cursor: { row: number; col: number; visible: boolean };
}

interface VgaState {
  crtcIndex: number;
  crtc: number[];
  attrIndex: number;
  attrFlipFlop: boolean; // false: next 0x3C0 write is the index
  attr: number[];
  misc: number;
  seqIndex: number;
  seq: number[];
  gcIndex: number;
  gc: number[];
  dacWriteIndex: number;
  dacReadIndex: number;
  dacComponent: number;
  dacMask: number;
  dac: number[];
  /** DAC state as 0x3C7 reads it: 0 after a write to 0x3C8 (write mode), 3 after a write to 0x3C7 (read mode). */
  dacState: number;
  /** Feature control: written at 0x3DA, read at 0x3CA (bit 4 kept, as QEMU's vga.c stores it). */
  fcr: number;
}

/**
 * Power-on state = what the VGA BIOS leaves after setting mode 3 (QEMU runs it before any kernel; Faultline
 * boots kernels directly): the mode 3 CRTC, sequencer, graphics and attribute values, and the EGA 64-colour
 * palette in DAC entries 0-63.
 */
function powerOn(): VgaState {
  // The CRTC index is 8 bits wide and every index keeps what is written, as in QEMU (cr[256]): the registers
  // past 0x18 read back 0 until written.
  const crtc = [
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00,
    0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff, ...new Array<number>(256 - 25).fill(0),
  ];
  const attr = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x0c, 0x00, 0x0f, 0x08, 0x00, // mode control: text, line graphics, blink enabled
  ];
  const dac = new Array(768).fill(0);
  for (let i = 0; i < 64; i++) {
    dac[i * 3] = 42 * ((i >> 2) & 1) + 21 * ((i >> 5) & 1);
    dac[i * 3 + 1] = 42 * ((i >> 1) & 1) + 21 * ((i >> 4) & 1);
    dac[i * 3 + 2] = 42 * (i & 1) + 21 * ((i >> 3) & 1);
  }
  return {
    crtcIndex: 0, crtc, attrIndex: 0x20, attrFlipFlop: false, attr, misc: 0x67, seqIndex: 0,
    seq: [0x03, 0x00, 0x03, 0x00, 0x02], gcIndex: 0, gc: [0, 0, 0, 0, 0, 0x10, 0x0e, 0, 0xff],
    dacWriteIndex: 0, dacReadIndex: 0, dacComponent: 0, dacMask: 0xff, dac, dacState: 0, fcr: 0,
  };
}

/** The VGA registers as the renderer reads them (live arrays: do not modify). */
export interface VgaRegisters {
  crtc: readonly number[];
  seq: readonly number[];
  gc: readonly number[];
  attr: readonly number[];
  /** Attribute controller index register: bit 5 (PAS) clear blanks the screen. */
  attrIndex: number;
  misc: number;
  dac: readonly number[];
  dacMask: number;
}

export class Vga implements Device, VgaRegisterFile {
  readonly name = 'vga';
  /** Increases each time pollChanged() finds the text or the cursor changed. */
  version = 0;
  private s = powerOn();
  private lastHash = -1;
  /** The stdvga's video RAM: the VBE linear framebuffer (PCI BAR0). */
  readonly vram = new Vram();
  readonly vbe = new BochsVbe(this.vram, () => { this.regsVersion++; });
  /** The 64 KiB graphics window (MMIO at 0xA0000) into `vram`. */
  readonly window = new VgaWindow(this.vram, () => this.s);
  /** Bumped on every register write: part of the renderer's change detection. */
  regsVersion = 0;
  /** Bumped on register reads that change state (flip-flop, DAC read position); with regsVersion, VRAM and the
   *  latch it decides whether the last saveState() still holds (the history saves devices at every snapshot). */
  private readsVersion = 0;
  private saved: { regs: number; reads: number; vram: string; latch: number; state: unknown } | null = null;

  constructor(
    private readonly phys: PhysicalMemory,
    private readonly clock: VirtualClock,
  ) {}

  attach(bus: IoBus): void {
    const h = bytePorts(bus, (p) => this.read8(p), (p, v) => this.write8(p, v));
    bus.registerPorts(0x3c0, 16, h);
    bus.registerPorts(0x3d4, 2, h);
    bus.registerPorts(0x3da, 1, h);
    bus.registerMmio('vga-window', WINDOW_BASE, WINDOW_SIZE, this.window.mmio);
    // Bochs VBE: the 16-bit index register at 0x1CE and the data register at 0x1CF and 0x1D0, as QEMU's x86
    // vbe_portio_list. They take 16-bit accesses only: QEMU's portio_read/write find no handler of another
    // width, so a byte or 32-bit read is all ones and such a write is dropped.
    bus.registerPorts(0x1ce, 3, {
      read: (port, size) => (size !== 2 ? allOnes(size) : port === 0x1ce ? this.vbe.readIndex() : this.vbe.readData()),
      write: (port, size, v) => {
        if (size !== 2) return;
        this.regsVersion++;
        if (port === 0x1ce) this.vbe.writeIndex(v);
        else this.vbe.writeData(v);
      },
    });
  }

  /** The framebuffer's byte order (QEMU's extended register in the PCI MMIO BAR; the renderer follows it). */
  get bigEndianFb(): boolean {
    return this.bigEndian;
  }

  set bigEndianFb(on: boolean) {
    this.bigEndian = on;
    this.regsVersion++;
  }

  private bigEndian = false;

  /** A VGA port in 0x3C0-0x3DF as the PCI MMIO window reads it: ports this VGA does not decode read 0 (QEMU vga_ioport_read). */
  ioRead8(port: number): number {
    return (port >= 0x3c0 && port <= 0x3cf) || port === 0x3d4 || port === 0x3d5 || port === 0x3da ? this.read8(port) : 0;
  }

  ioWrite8(port: number, value: number): void {
    this.write8(port, value & 0xff);
  }

  dispiRead(index: number): number {
    this.regsVersion++;
    this.vbe.writeIndex(index);
    return this.vbe.readData();
  }

  dispiWrite(index: number, value: number): void {
    this.regsVersion++;
    this.vbe.writeIndex(index);
    this.vbe.writeData(value);
  }

  /** Map the linear framebuffer at a physical address (the VGA's PCI BAR0; 0xFD000000 on QEMU's pc machine). */
  mapLfb(bus: IoBus, base = VBE_LFB_BASE): void {
    bus.registerMmio('vga-lfb', base, this.vram.size, this.vram.lfb);
    this.lfbBase = base;
  }

  /** Where the linear framebuffer is mapped (physical). */
  lfbBase = VBE_LFB_BASE;

  /** The EDID's preferred resolution (vga-pci.ts serves QEMU's EDID, edid.ts). */
  readonly preferredMode = { width: QEMU_STD_VGA_EDID.prefx, height: QEMU_STD_VGA_EDID.prefy };

  /** A boot loader's mode set (multiboot framebuffer requests): a VBE LFB mode, as GRUB sets through the VBE BIOS. */
  setGraphicsMode(width: number, height: number, bpp: number): { address: number; pitch: number } {
    this.regsVersion++;
    const m = this.vbe.setMode(width, height, bpp);
    return { address: this.lfbBase, pitch: m.pitch };
  }

  /** The guest-programmed registers (live; the renderer reads them). */
  regs(): VgaRegisters {
    const s = this.s;
    return { crtc: s.crtc, seq: s.seq, gc: s.gc, attr: s.attr, attrIndex: s.attrIndex, misc: s.misc, dac: s.dac, dacMask: s.dacMask };
  }

  /** What the display shows now: VBE graphics, VGA graphics, VGA text, or blank (palette access, PAS clear). */
  get displayMode(): 'vbe' | 'graphics' | 'text' | 'blank' {
    if (this.vbe.enabled) return 'vbe';
    if (!(this.s.attrIndex & 0x20)) return 'blank';
    return this.s.gc[6] & 1 ? 'graphics' : 'text';
  }

  /** Word offset of the first displayed character (CRTC start address). */
  get startAddress(): number {
    return (this.s.crtc[0x0c] << 8) | this.s.crtc[0x0d];
  }

  /** Word offset of the cursor in video memory (CRTC cursor location). */
  get cursorLocation(): number {
    return (this.s.crtc[0x0e] << 8) | this.s.crtc[0x0f];
  }

  screen(): Screen {
    const blinkMode = (this.s.attr[0x10] & 0x08) !== 0;
    const base = TEXT_BASE + this.startAddress * 2;
    const cells: ScreenCell[][] = [];
    for (let r = 0; r < ROWS; r++) {
      const row: ScreenCell[] = [];
      for (let c = 0; c < COLS; c++) {
        const a = base + (r * COLS + c) * 2;
        const ch = this.byte(a);
        const attr = this.byte(a + 1);
        row.push({
          ch: cp437ToUnicode(ch),
          fg: attr & 0x0f,
          bg: blinkMode ? (attr >> 4) & 7 : attr >> 4,
          blink: blinkMode && (attr & 0x80) !== 0,
        });
      }
      cells.push(row);
    }
    return { cols: COLS, rows: ROWS, cells, cursor: this.cursor() };
  }

  /** The 25 lines as plain text, trailing spaces trimmed. */
  text(): string {
    const base = TEXT_BASE + this.startAddress * 2;
    const lines: string[] = [];
    for (let r = 0; r < ROWS; r++) {
      let line = '';
      for (let c = 0; c < COLS; c++) line += cp437ToUnicode(this.byte(base + (r * COLS + c) * 2));
      lines.push(line.replace(/ +$/, ''));
    }
    return lines.join('\n');
  }

  cursor(): { row: number; col: number; visible: boolean } {
    const rel = this.cursorLocation - this.startAddress;
    const row = Math.floor(rel / COLS);
    const col = rel - row * COLS;
    // Cursor start register bit 5 disables the cursor; off-screen positions show nothing.
    const visible = (this.s.crtc[0x0a] & 0x20) === 0 && rel >= 0 && rel < COLS * ROWS;
    return { row, col, visible };
  }

  /**
   * True if the displayed text, attributes or cursor changed since the previous call (bumps `version`). A
   * cheap FNV-1a hash over the 4000 displayed bytes and the cursor registers; call it when the debugger is
   * about to refresh, not per instruction.
   */
  pollChanged(): boolean {
    let h = 0x811c9dc5;
    const base = TEXT_BASE + this.startAddress * 2;
    for (let i = 0; i < COLS * ROWS * 2; i++) h = Math.imul(h ^ this.byte(base + i), 0x01000193);
    for (const r of [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]) h = Math.imul(h ^ this.s.crtc[r], 0x01000193);
    h >>>= 0;
    if (h === this.lastHash) return false;
    this.lastHash = h;
    this.version++;
    return true;
  }

  reset(): void {
    this.s = powerOn();
    this.window.latch = 0;
    this.vbe.reset();
    this.bigEndian = false;
    this.vram.load('');
    this.regsVersion++;
  }

  saveState(): unknown {
    const s = this.s;
    const vram = this.vram.save();
    const c = this.saved;
    if (c && c.regs === this.regsVersion && c.reads === this.readsVersion && c.vram === vram && c.latch === this.window.latch) return c.state;
    const state = {
      ...s, crtc: s.crtc.slice(), attr: s.attr.slice(), seq: s.seq.slice(), gc: s.gc.slice(), dac: s.dac.slice(),
      vbe: this.vbe.save(), vram, latch: this.window.latch, bigEndianFb: this.bigEndian,
    };
    this.saved = { regs: this.regsVersion, reads: this.readsVersion, vram, latch: this.window.latch, state };
    return state;
  }

  loadState(state: unknown): void {
    const o = (state ?? {}) as Partial<VgaState>;
    const d = powerOn();
    // A shorter array is an older save's (the CRTC had 25 registers): the rest keep their power-on values.
    const arr = (v: unknown, def: number[]) =>
      Array.isArray(v) && v.length <= def.length ? def.map((x, i) => (i < v.length ? num(v[i]) & 0xff : x)) : def;
    this.s = {
      crtcIndex: num(o.crtcIndex), crtc: arr(o.crtc, d.crtc), attrIndex: num(o.attrIndex, d.attrIndex),
      attrFlipFlop: !!o.attrFlipFlop, attr: arr(o.attr, d.attr), misc: num(o.misc, d.misc),
      seqIndex: num(o.seqIndex), seq: arr(o.seq, d.seq), gcIndex: num(o.gcIndex), gc: arr(o.gc, d.gc),
      dacWriteIndex: num(o.dacWriteIndex), dacReadIndex: num(o.dacReadIndex),
      dacComponent: num(o.dacComponent), dacMask: num(o.dacMask, 0xff), dac: arr(o.dac, d.dac),
      dacState: num(o.dacState), fcr: num(o.fcr),
    };
    const v = (state ?? {}) as { vbe?: { index?: unknown; regs?: unknown }; vram?: unknown; latch?: unknown; bigEndianFb?: unknown };
    this.vbe.load(v.vbe);
    this.bigEndian = v.bigEndianFb === true;
    this.vram.load(v.vram);
    this.window.latch = num(v.latch) >>> 0;
    this.lastHash = -1;
    this.regsVersion++;
  }

  private byte(addr: number): number {
    return addr < this.phys.size ? this.phys.u8[addr] : 0;
  }

  private read8(port: number): number {
    const s = this.s;
    this.readsVersion++;
    switch (port) {
      case 0x3c0:
        return s.attrIndex;
      case 0x3c1:
        return s.attr[s.attrIndex & 0x1f] ?? 0;
      case 0x3c2:
        return 0x10; // input status 0: switch sense
      case 0x3c4:
        return s.seqIndex;
      case 0x3c5:
        return s.seq[s.seqIndex] ?? 0xff;
      case 0x3c6:
        return s.dacMask;
      case 0x3c7:
        return s.dacState;
      case 0x3c8:
        return s.dacWriteIndex;
      case 0x3c9: {
        const v = s.dac[s.dacReadIndex * 3 + s.dacComponent];
        if (++s.dacComponent === 3) {
          s.dacComponent = 0;
          s.dacReadIndex = (s.dacReadIndex + 1) & 0xff;
        }
        return v;
      }
      case 0x3ca:
        return s.fcr;
      case 0x3cc:
        return s.misc;
      case 0x3ce:
        return s.gcIndex;
      case 0x3cf:
        return s.gc[s.gcIndex] ?? 0xff;
      case 0x3d4:
        return s.crtcIndex;
      case 0x3d5:
        return s.crtc[s.crtcIndex] ?? 0xff;
      case 0x3da: {
        s.attrFlipFlop = false;
        // Bit 3 vertical retrace, bit 0 display disabled (retrace implies blanking).
        const inRetrace = this.clock.instructions % FRAME_NS >= FRAME_NS - VRETRACE_NS;
        return inRetrace ? 0x09 : 0x00;
      }
      default:
        return 0xff;
    }
  }

  private write8(port: number, v: number): void {
    const s = this.s;
    this.regsVersion++;
    switch (port) {
      case 0x3c0:
        if (!s.attrFlipFlop) s.attrIndex = v & 0x3f;
        else if ((s.attrIndex & 0x1f) < s.attr.length) s.attr[s.attrIndex & 0x1f] = v;
        s.attrFlipFlop = !s.attrFlipFlop;
        return;
      case 0x3c2:
        s.misc = v;
        return;
      case 0x3c4:
        s.seqIndex = v & 0x07;
        return;
      case 0x3c5:
        if (s.seqIndex < s.seq.length) s.seq[s.seqIndex] = v;
        return;
      case 0x3c6:
        s.dacMask = v;
        return;
      case 0x3c7:
        s.dacReadIndex = v;
        s.dacComponent = 0;
        s.dacState = 3;
        return;
      case 0x3c8:
        s.dacWriteIndex = v;
        s.dacComponent = 0;
        s.dacState = 0;
        return;
      case 0x3c9:
        s.dac[s.dacWriteIndex * 3 + s.dacComponent] = v & 0x3f;
        if (++s.dacComponent === 3) {
          s.dacComponent = 0;
          s.dacWriteIndex = (s.dacWriteIndex + 1) & 0xff;
        }
        return;
      case 0x3ce:
        s.gcIndex = v & 0x0f;
        return;
      case 0x3cf:
        if (s.gcIndex < s.gc.length) s.gc[s.gcIndex] = v;
        return;
      case 0x3d4:
        s.crtcIndex = v;
        return;
      case 0x3d5:
        // CR11 bit 7 protects CR0-CR7 (the horizontal and vertical timing), all but CR7's line compare bit 4.
        if (s.crtc[0x11] & 0x80 && s.crtcIndex <= 7) {
          if (s.crtcIndex === 7) s.crtc[7] = (s.crtc[7] & ~0x10) | (v & 0x10);
          return;
        }
        s.crtc[s.crtcIndex] = v;
        return;
      case 0x3da:
        s.fcr = v & 0x10;
        return;
      default:
    }
  }
}
