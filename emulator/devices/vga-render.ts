import { PhysicalMemory } from '../memory/phys';
import { Vga } from './vga';

/**
 * The display as pixels: VGA state + video memory -> RGBA, the way QEMU's hw/display/vga.c draws it
 * (vga_draw_graphic / vga_draw_text), so a frame here and QEMU's `screendump` of the same guest are the same
 * image, pixel for pixel. Pure (no clock, no device state changes): the webview, `faultline run --screenshot`
 * and the tests share it.
 *
 * - VBE (Bochs dispi enabled): XRES × YRES at 8 (DAC palette), 15, 16, 24 or 32 bits per pixel from the LFB.
 * - VGA graphics from video RAM (vga-memory.ts), the CRTC giving the raster: 256 colours (mode shift 2, e.g.
 *   mode 13h, 640 × 400: each byte two pixels wide, each line twice) and planar 16 colours (mode shift 0, e.g.
 *   mode 12h 640 × 480, or 0Dh with the half dot clock) through the attribute palette.
 * - VGA text: the 80 × 25 buffer with an 8 × 16 font (`font`, 256 glyphs of 16 bytes) 8 or 9 dots wide as the
 *   sequencer selects; without a font text frames are not drawn (`undefined`), callers show the text instead.
 * - CGA-compatible 4-colour graphics (mode shift 1) report `unsupported`.
 *
 * Public API: Frame, renderFrame(vga, phys, font?), frameSignature(vga, phys), c6to8.
 */

export interface Frame {
  width: number;
  height: number;
  /** width × height × 4 bytes, R G B A per pixel (A = 255). */
  rgba: Uint8Array;
  mode: 'vbe' | 'graphics' | 'text' | 'blank';
  /** Set when the mode is shown as a message instead of pixels (e.g. planar 16-colour graphics). */
  unsupported?: string;
}

/** QEMU's c6_to_8: a 6-bit DAC component to 8 bits. */
export function c6to8(v: number): number {
  v &= 0x3f;
  const b = v & 1;
  return (v << 2) | (b << 1) | b;
}

/** QEMU's expand4: bit j of a byte -> bit 0 of nibble j. */
const EXPAND4 = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let v = 0;
    for (let j = 0; j < 8; j++) v |= ((i >> j) & 1) << (j * 4);
    t[i] = v >>> 0;
  }
  return t;
})();

/** Render the current display. Returns undefined only for text mode without a font. */
export function renderFrame(vga: Vga, phys: PhysicalMemory, font?: Uint8Array): Frame | undefined {
  switch (vga.displayMode) {
    case 'vbe': return renderVbe(vga);
    case 'graphics': return renderVgaGraphics(vga);
    case 'text': return font ? renderText(vga, phys, font) : undefined;
    default: return blank(vga);
  }
}

/**
 * A number that changes when the displayed image may have changed: registers, the LFB's write counter and a
 * hash of the displayed legacy memory. Costs one pass over at most 64 KiB (called at frame rate, not per
 * instruction).
 */
export function frameSignature(vga: Vga, phys: PhysicalMemory): number {
  let h = Math.imul(0x811c9dc5 ^ vga.regsVersion, 0x01000193);
  const mode = vga.displayMode;
  if (mode === 'vbe') return Math.imul(h ^ vga.vram.version, 0x01000193) >>> 0;
  if (mode === 'blank') return h >>> 0;
  if (mode === 'graphics') return Math.imul(h ^ vga.vram.version, 0x01000193) >>> 0;
  const [start, len] = [0xb8000, 80 * 25 * 2];
  const u8 = phys.u8;
  const end = Math.min(start + len, phys.size);
  for (let a = start; a + 4 <= end; a += 4) h = Math.imul(h ^ (u8[a] | (u8[a + 1] << 8) | (u8[a + 2] << 16) | (u8[a + 3] << 24)), 0x01000193);
  return h >>> 0;
}

function palette256(vga: Vga, dac8: boolean): Uint32Array {
  const dac = vga.regs().dac;
  const p = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = dac8 ? [dac[i * 3], dac[i * 3 + 1], dac[i * 3 + 2]] : [c6to8(dac[i * 3]), c6to8(dac[i * 3 + 1]), c6to8(dac[i * 3 + 2])];
    p[i] = r | (g << 8) | (b << 16);
  }
  return p;
}

/** QEMU's update_palette16: attribute controller palette + colour select -> DAC entry. */
function palette16(vga: Vga): Uint32Array {
  const { attr } = vga.regs();
  const p256 = palette256(vga, false);
  const p = new Uint32Array(16);
  for (let i = 0; i < 16; i++) {
    let v = attr[i];
    if (attr[0x10] & 0x80) v = ((attr[0x14] & 0xf) << 4) | (v & 0xf);
    else v = ((attr[0x14] & 0xc) << 4) | (v & 0x3f);
    p[i] = p256[v];
  }
  return p;
}

function newFrame(width: number, height: number, mode: Frame['mode']): Frame {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  return { width, height, rgba, mode };
}

function put(f: Frame, x: number, y: number, rgb: number): void {
  const o = (y * f.width + x) * 4;
  f.rgba[o] = rgb & 0xff;
  f.rgba[o + 1] = (rgb >>> 8) & 0xff;
  f.rgba[o + 2] = (rgb >>> 16) & 0xff;
}

function blank(vga: Vga): Frame {
  const { crtc } = vga.regs();
  const w = Math.min((crtc[1] + 1) * 8, 2048) || 640;
  return newFrame(w, 400, 'blank');
}

function renderVbe(vga: Vga): Frame {
  const m = vga.vbe.mode()!;
  const f = newFrame(m.width, m.height, 'vbe');
  const mem = vga.vram.bytes;
  const mask = mem.length - 1;
  const pal = m.bpp === 8 ? palette256(vga, m.dac8) : undefined;
  if (m.bpp === 4) {
    f.unsupported = 'VBE 4-bit planar mode';
    return f;
  }
  const out = f.rgba;
  const be = vga.bigEndianFb;
  for (let y = 0; y < m.height; y++) {
    let a = m.start + y * m.pitch;
    let o = y * m.width * 4;
    for (let x = 0; x < m.width; x++, o += 4) {
      let r: number, g: number, b: number;
      switch (be ? -m.bpp : m.bpp) {
        case 8: case -8: { const c = pal![mem[a & mask]]; r = c & 0xff; g = (c >>> 8) & 0xff; b = c >>> 16; a += 1; break; }
        // Big-endian framebuffer (QEMU's byte-order register): the same pixel formats, most significant byte first.
        case -15: { const v = (mem[a & mask] << 8) | mem[(a + 1) & mask]; r = (v >> 7) & 0xf8; g = (v >> 2) & 0xf8; b = (v << 3) & 0xf8; a += 2; break; }
        case -16: { const v = (mem[a & mask] << 8) | mem[(a + 1) & mask]; r = (v >> 8) & 0xf8; g = (v >> 3) & 0xfc; b = (v << 3) & 0xf8; a += 2; break; }
        case -24: r = mem[a & mask]; g = mem[(a + 1) & mask]; b = mem[(a + 2) & mask]; a += 3; break;
        case -32: r = mem[(a + 1) & mask]; g = mem[(a + 2) & mask]; b = mem[(a + 3) & mask]; a += 4; break;
        case 15: { const v = mem[a & mask] | (mem[(a + 1) & mask] << 8); r = (v >> 7) & 0xf8; g = (v >> 2) & 0xf8; b = (v << 3) & 0xf8; a += 2; break; }
        case 16: { const v = mem[a & mask] | (mem[(a + 1) & mask] << 8); r = (v >> 8) & 0xf8; g = (v >> 3) & 0xfc; b = (v << 3) & 0xf8; a += 2; break; }
        case 24: b = mem[a & mask]; g = mem[(a + 1) & mask]; r = mem[(a + 2) & mask]; a += 3; break;
        default: b = mem[a & mask]; g = mem[(a + 1) & mask]; r = mem[(a + 2) & mask]; a += 4; break;
      }
      out[o] = r; out[o + 1] = g; out[o + 2] = b;
    }
  }
  return f;
}

/** The CRTC's displayed width in pixels and height in scan lines (QEMU vga_get_resolution). */
function crtcResolution(crtc: readonly number[]): { width: number; height: number } {
  const width = (crtc[1] + 1) * 8;
  const height = (crtc[0x12] | ((crtc[7] & 0x02) << 7) | ((crtc[7] & 0x40) << 3)) + 1;
  return { width, height };
}

function renderVgaGraphics(vga: Vga): Frame {
  const { crtc, gc, seq, attr } = vga.regs();
  const { width, height } = crtcResolution(crtc);
  const shift = (gc[5] >> 5) & 3;
  const half = shift !== 2 && (seq[1] & 8) !== 0; // half dot clock: each pixel twice as wide
  const dispWidth = half ? width << 1 : width;
  const f = newFrame(Math.min(dispWidth, 4096), Math.min(height, 4096), 'graphics');
  if (shift === 1) {
    f.unsupported = 'CGA-compatible 4-colour graphics';
    return f;
  }
  const doubleScan = crtc[9] >> 7;
  const multiScan = (((crtc[9] & 0x1f) + 1) << doubleScan) - 1;
  const lineOffset = crtc[0x13] << 3;
  const lineCompare = crtc[0x18] | ((crtc[7] & 0x10) << 4) | ((crtc[9] & 0x40) << 3);
  const pal = shift === 2 ? palette256(vga, false) : palette16(vga);
  const mem = vga.vram.bytes;
  const mask = mem.length - 1;
  const planeMask = expandMaskBytes(attr[0x12] & 0xf);
  let addr1 = ((crtc[0x0c] << 8) | crtc[0x0d]) * 4;
  let y1 = 0;
  let multiRun = multiScan;
  for (let y = 0; y < f.height; y++) {
    let addr = addr1;
    if (!(crtc[0x17] & 1)) {
      const sh = 14 + ((crtc[0x17] >> 6) & 1);
      addr = (addr & ~(1 << sh)) | ((y1 & 1) << sh);
    }
    if (!(crtc[0x17] & 2)) addr = (addr & ~0x8000) | ((y1 & 2) << 14);
    if (shift === 2) {
      // vga_draw_line8d2: each byte two pixels wide.
      for (let x = 0; x + 1 < f.width; x += 2) {
        const c = pal[mem[(addr + (x >> 1)) & mask]];
        put(f, x, y, c);
        put(f, x + 1, y, c);
      }
    } else {
      // vga_draw_line4 / line4d2: 8 pixels from the four planes' bytes at each address.
      const px = half ? 16 : 8;
      for (let x = 0, a = addr; x + px <= f.width; x += px, a += 4) {
        const p0 = mem[a & mask] & planeMask[0], p1 = mem[(a + 1) & mask] & planeMask[1];
        const p2 = mem[(a + 2) & mask] & planeMask[2], p3 = mem[(a + 3) & mask] & planeMask[3];
        const v = (EXPAND4[p0] | (EXPAND4[p1] << 1) | (EXPAND4[p2] << 2) | (EXPAND4[p3] << 3)) >>> 0;
        for (let i = 0; i < 8; i++) {
          const c = pal[(v >>> (28 - 4 * i)) & 0xf];
          if (half) { put(f, x + 2 * i, y, c); put(f, x + 2 * i + 1, y, c); } else put(f, x + i, y, c);
        }
      }
    }
    if (!multiRun) {
      const m = (crtc[0x17] & 3) ^ 3;
      if ((y1 & m) === m) addr1 += lineOffset;
      y1++;
      multiRun = multiScan;
    } else {
      multiRun--;
    }
    if (y === lineCompare) addr1 = 0;
  }
  return f;
}

function expandMaskBytes(m: number): number[] {
  return [m & 1 ? 0xff : 0, m & 2 ? 0xff : 0, m & 4 ? 0xff : 0, m & 8 ? 0xff : 0];
}

/**
 * QEMU vga_draw_text: 8- or 9-dot cells, attribute palette, the cursor (all nine dots of its scan lines). Where
 * the VGA and QEMU 7.2 part, the VGA's rule is drawn: with blinking enabled (attribute mode control bit 3, as
 * the BIOS leaves it) attribute bit 7 is blink, so the background has 8 colours (QEMU ignores the bit and draws
 * attribute 0xA4 on bright green, not green), and the ninth dot repeats the eighth for C0h-DFh (QEMU: B0h-DFh).
 * Blinking characters are drawn in their visible phase.
 */
function renderText(vga: Vga, phys: PhysicalMemory, font: Uint8Array): Frame {
  const { crtc, seq, attr } = vga.regs();
  const cw = seq[1] & 1 ? 8 : 9;
  const cheight = (crtc[9] & 0x1f) + 1;
  const cols = crtc[1] + 1;
  let rows = Math.floor(crtcResolution(crtc).height / cheight);
  if (rows <= 0 || rows > 100) rows = 25;
  const width = Math.min(cols * cw, 2048);
  const f = newFrame(width, rows * cheight, 'text');
  const pal = palette16(vga);
  const start = (crtc[0x0c] << 8) | crtc[0x0d];
  const cursor = (crtc[0x0e] << 8) | crtc[0x0f];
  const cursorOn = (crtc[0x0a] & 0x20) === 0;
  const cStart = crtc[0x0a] & 0x1f;
  const cEnd = crtc[0x0b] & 0x1f;
  const lineOffset = crtc[0x13] * 2 || cols;
  const blinkMode = (attr[0x10] & 0x08) !== 0;
  const lineGraphics = (attr[0x10] & 0x04) !== 0;
  const u8 = phys.u8;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols && c * cw < width; c++) {
      const cell = start + r * lineOffset + c;
      const a = 0xb8000 + ((cell * 2) & 0x7fff);
      const ch = u8[a];
      const at = u8[a + 1];
      const fg = pal[at & 0xf];
      const bg = pal[blinkMode ? (at >> 4) & 7 : at >> 4];
      // The ninth dot repeats the eighth for the line-drawing characters when the attribute controller asks
      // (C0h-DFh), and on the cursor's lines: the cursor covers the whole cell, as QEMU's vga_draw_glyph9(.., 1).
      const dup9 = lineGraphics && ch >= 0xc0 && ch <= 0xdf;
      for (let l = 0; l < cheight; l++) {
        let bits = l < 32 ? font[ch * 32 + l] ?? 0 : 0;
        const cursorLine = cursorOn && cell === cursor && l >= cStart && l <= cEnd;
        if (cursorLine) bits = 0xff;
        for (let x = 0; x < cw; x++) {
          const on = x < 8 ? (bits >> (7 - x)) & 1 : dup9 || cursorLine ? bits & 1 : 0;
          put(f, c * cw + x, r * cheight + l, on ? fg : bg);
        }
      }
    }
  }
  return f;
}
