import { fromBase64, toBase64 } from '../bytes';
import { MmioHandler } from './device';
import { num } from './ports';

/**
 * The Bochs VBE "dispi" interface of QEMU's stdvga (hw/display/vga.c vbe_ioport_*): index port 0x1CE, data
 * port 0x1CF (16-bit), and the video RAM behind the linear framebuffer (16 MiB, PCI BAR0 of the VGA device;
 * SeaBIOS and GRUB find it at 0xFD000000 on QEMU's `pc` machine).
 *
 * Registers (VBE_DISPI_INDEX_*): 0 ID, 1 XRES, 2 YRES, 3 BPP, 4 ENABLE, 5 BANK, 6 VIRT_WIDTH, 7 VIRT_HEIGHT,
 * 8 X_OFFSET, 9 Y_OFFSET, 10 VIDEO_MEMORY_64K. ENABLE bits: 0x01 enabled, 0x02 GETCAPS (XRES/YRES/BPP read as
 * their maxima), 0x20 8-bit DAC, 0x40 LFB, 0x80 do not clear video memory. The 64 KiB banked window at
 * 0xA0000 is not modelled (kernels and the VGA BIOS use the LFB).
 *
 * `Vram` is the framebuffer memory as one object: `lfb` is the MmioHandler the PCI device (or the machine,
 * until PCI exists) maps at BAR0. Its bytes are allocated on first use, so a machine that never draws pays
 * nothing; `version` counts writes in pages (dirty tracking for the renderer).
 *
 * Public API: Vram (bytes, lfb, version, size, dirty pages), BochsVbe (readIndex/readData/writeIndex/writeData,
 * enabled, mode(), setMode(), save/load), VBE constants.
 */

export const VBE_LFB_BASE = 0xfd000000;
export const VBE_VRAM_BYTES = 16 * 1024 * 1024;
export const VBE_ID5 = 0xb0c5;
export const VBE_MAX_XRES = 16000;
export const VBE_MAX_YRES = 12000;
export const VBE_MAX_BPP = 32;

export const DISPI = {
  id: 0, xres: 1, yres: 2, bpp: 3, enable: 4, bank: 5, virtWidth: 6, virtHeight: 7, xOffset: 8, yOffset: 9, videoMemory64k: 10,
} as const;
export const DISPI_ENABLED = 0x01;
export const DISPI_GETCAPS = 0x02;
export const DISPI_8BIT_DAC = 0x20;
export const DISPI_LFB_ENABLED = 0x40;
export const DISPI_NOCLEARMEM = 0x80;

const PAGE_SHIFT = 12;

export class Vram {
  readonly size = VBE_VRAM_BYTES;
  private mem: Uint8Array | undefined;
  /** 1 per 4 KiB page written since the renderer last looked (clearDirty). */
  readonly dirtyPages = new Uint8Array(VBE_VRAM_BYTES >>> PAGE_SHIFT);
  /** Bumped by every write: a cheap "did anything change" for the frame loop. */
  version = 0;
  /** Highest byte ever written + 1 (snapshots save only that much). */
  private extent = 0;
  private saved: { version: number; data: string } | undefined;

  readonly lfb: MmioHandler = {
    read: (offset, size) => this.read(offset, size),
    write: (offset, size, value) => this.write(offset, size, value),
  };

  get bytes(): Uint8Array {
    return (this.mem ??= new Uint8Array(VBE_VRAM_BYTES));
  }

  read(offset: number, size: number): number {
    const m = this.mem;
    if (!m || offset < 0 || offset + size > this.size) return 0;
    if (size === 1) return m[offset];
    if (size === 2) return m[offset] | (m[offset + 1] << 8);
    if (size === 4) return (m[offset] | (m[offset + 1] << 8) | (m[offset + 2] << 16) | (m[offset + 3] << 24)) >>> 0;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + m[offset + i];
    return v;
  }

  write(offset: number, size: number, value: number): void {
    if (offset < 0 || offset + size > this.size) return;
    const m = this.bytes;
    if (size <= 4) {
      for (let i = 0; i < size; i++) m[offset + i] = (value >>> (8 * i)) & 0xff;
    } else {
      let v = value;
      for (let i = 0; i < size; i++) { m[offset + i] = v % 256; v = Math.floor(v / 256); }
    }
    this.dirtyPages[offset >>> PAGE_SHIFT] = 1;
    this.dirtyPages[(offset + size - 1) >>> PAGE_SHIFT] = 1;
    if (offset + size > this.extent) this.extent = offset + size;
    this.version++;
  }

  /** Bytes [offset, offset+size) were written directly through `bytes` (the legacy window). */
  touch(offset: number, size: number): void {
    this.dirtyPages[offset >>> PAGE_SHIFT] = 1;
    if (offset + size > this.extent) this.extent = offset + size;
    this.version++;
  }

  clear(): void {
    if (this.mem && this.extent) this.mem.fill(0, 0, this.extent);
    this.dirtyPages.fill(1, 0, (this.extent + 4095) >>> PAGE_SHIFT);
    this.extent = 0;
    this.version++;
  }

  /** Written bytes as base64 (cached while nothing changes: history snapshots come often). */
  save(): string {
    if (this.saved?.version !== this.version) {
      this.saved = { version: this.version, data: this.mem ? toBase64(this.mem.subarray(0, this.extent)) : '' };
    }
    return this.saved.data;
  }

  load(data: unknown): void {
    const bytes = typeof data === 'string' ? fromBase64(data) : new Uint8Array(0);
    const n = Math.min(bytes.length, this.size);
    if (this.mem) this.mem.fill(0, 0, Math.max(this.extent, n));
    if (n) this.bytes.set(bytes.subarray(0, n));
    this.extent = n;
    this.dirtyPages.fill(1);
    this.version++;
    this.saved = undefined;
  }
}

/** The displayed VBE mode, as the renderer needs it. */
export interface VbeMode {
  width: number;
  height: number;
  bpp: number;
  /** Bytes from one line to the next (virtual width × bytes per pixel). */
  pitch: number;
  /** Byte offset of the first displayed pixel in video RAM (X/Y offset). */
  start: number;
  dac8: boolean;
}

export class BochsVbe {
  index = 0;
  regs = powerOnRegs();

  constructor(private readonly vram: Vram, private readonly onModeSet: (enabled: boolean) => void) {}

  get enabled(): boolean {
    return (this.regs[DISPI.enable] & DISPI_ENABLED) !== 0;
  }

  mode(): VbeMode | undefined {
    if (!this.enabled) return undefined;
    const r = this.regs;
    const bpp = r[DISPI.bpp];
    const pitch = lineBytes(r[DISPI.virtWidth], bpp);
    const start = r[DISPI.yOffset] * pitch + (bpp === 4 ? r[DISPI.xOffset] >> 1 : r[DISPI.xOffset] * ((bpp + 7) >> 3));
    return { width: r[DISPI.xres], height: r[DISPI.yres], bpp, pitch, start, dac8: (r[DISPI.enable] & DISPI_8BIT_DAC) !== 0 };
  }

  /** Program a mode as a boot loader does through the VBE BIOS (multiboot framebuffer requests). */
  setMode(width: number, height: number, bpp: number): VbeMode {
    this.writeIndex(DISPI.enable); this.writeData(0);
    this.writeIndex(DISPI.xres); this.writeData(width);
    this.writeIndex(DISPI.yres); this.writeData(height);
    this.writeIndex(DISPI.bpp); this.writeData(bpp);
    this.writeIndex(DISPI.enable); this.writeData(DISPI_ENABLED | DISPI_LFB_ENABLED);
    return this.mode() as VbeMode;
  }

  readIndex(): number {
    return this.index;
  }

  writeIndex(v: number): void {
    this.index = v & 0xffff;
  }

  readData(): number {
    const r = this.regs;
    const i = this.index;
    if (i > DISPI.videoMemory64k) return 0;
    if (r[DISPI.enable] & DISPI_GETCAPS) {
      if (i === DISPI.xres) return VBE_MAX_XRES;
      if (i === DISPI.yres) return VBE_MAX_YRES;
      if (i === DISPI.bpp) return VBE_MAX_BPP;
    }
    if (i === DISPI.videoMemory64k) return this.vram.size >>> 16;
    return r[i];
  }

  writeData(v: number): void {
    const r = this.regs;
    v &= 0xffff;
    switch (this.index) {
      case DISPI.id:
        if (v >= 0xb0c0 && v <= VBE_ID5) r[DISPI.id] = v;
        break;
      case DISPI.xres:
      case DISPI.yres:
      case DISPI.bpp:
      case DISPI.xOffset:
      case DISPI.yOffset:
        r[this.index] = this.index === DISPI.bpp && v === 0 ? 8 : v;
        this.fixup();
        break;
      case DISPI.bank:
        r[DISPI.bank] = v & ((this.vram.size >>> 16) - 1);
        break;
      case DISPI.virtWidth:
        r[DISPI.virtWidth] = v;
        r[DISPI.xOffset] = 0;
        r[DISPI.yOffset] = 0;
        this.fixup();
        break;
      case DISPI.enable: {
        const was = this.enabled;
        if ((v & DISPI_ENABLED) && !was) {
          r[DISPI.virtWidth] = r[DISPI.xres];
          r[DISPI.xOffset] = 0;
          r[DISPI.yOffset] = 0;
          r[DISPI.bank] = 0;
          r[DISPI.enable] = v;
          this.fixup();
          if (!(v & DISPI_NOCLEARMEM)) this.vram.clear();
        } else {
          r[DISPI.enable] = v;
          r[DISPI.bank] = 0;
        }
        if (((v & DISPI_ENABLED) !== 0) !== was) this.onModeSet(!was);
        break;
      }
      default:
    }
  }

  /** QEMU's vbe_fixup_regs: clamp the mode to sane values and recompute the virtual height. */
  private fixup(): void {
    const r = this.regs;
    if (!this.enabled) return;
    if (![4, 8, 15, 16, 24, 32].includes(r[DISPI.bpp])) r[DISPI.bpp] = 8;
    if (r[DISPI.xres] === 0 || r[DISPI.xres] > VBE_MAX_XRES || r[DISPI.xres] % 8) r[DISPI.xres] = 640;
    if (r[DISPI.yres] === 0 || r[DISPI.yres] > VBE_MAX_YRES) r[DISPI.yres] = 480;
    if (r[DISPI.virtWidth] < r[DISPI.xres]) r[DISPI.virtWidth] = r[DISPI.xres];
    const pitch = lineBytes(r[DISPI.virtWidth], r[DISPI.bpp]);
    let virtHeight = Math.floor(this.vram.size / pitch);
    if (virtHeight < r[DISPI.yres]) {
      r[DISPI.xres] = 640; r[DISPI.yres] = 480; r[DISPI.virtWidth] = 640;
      virtHeight = Math.floor(this.vram.size / lineBytes(640, r[DISPI.bpp]));
    }
    r[DISPI.virtHeight] = Math.min(virtHeight, 0xffff);
    if (r[DISPI.xOffset] > r[DISPI.virtWidth] - r[DISPI.xres]) r[DISPI.xOffset] = r[DISPI.virtWidth] - r[DISPI.xres];
    if (r[DISPI.yOffset] > r[DISPI.virtHeight] - r[DISPI.yres]) r[DISPI.yOffset] = r[DISPI.virtHeight] - r[DISPI.yres];
  }

  reset(): void {
    this.index = 0;
    this.regs = powerOnRegs();
  }

  save(): { index: number; regs: number[] } {
    return { index: this.index, regs: this.regs.slice() };
  }

  load(o: { index?: unknown; regs?: unknown } | undefined): void {
    this.index = num(o?.index);
    const d = powerOnRegs();
    this.regs = Array.isArray(o?.regs) && o.regs.length === d.length ? o.regs.map((x) => num(x) & 0xffff) : d;
  }
}

function powerOnRegs(): number[] {
  const r = new Array(11).fill(0);
  r[DISPI.id] = VBE_ID5;
  return r;
}

function lineBytes(width: number, bpp: number): number {
  return bpp === 4 ? width >> 1 : width * ((bpp + 7) >> 3);
}
