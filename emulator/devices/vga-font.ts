import * as fs from 'node:fs';
import { bytesOf } from '../bytes';

/**
 * The 8 × 16 text font for drawing VGA text mode as pixels. On a real PC (and in QEMU) the VGA BIOS copies its
 * font into plane 2; Faultline boots kernels directly, without a VGA BIOS, so the font is read from the VGA BIOS
 * image the seabios package installs (the same ROM QEMU runs, so text pixels match QEMU's screendump). Returned in
 * plane 2's layout: 32 bytes per character, 16 used. Undefined when no VGA BIOS is installed.
 *
 * The same image is the VGA's PCI expansion ROM on a board booted without firmware (`loadStdVgaBios`): the card
 * carries its ROM whether or not a BIOS runs it, so a directly booted kernel sees QEMU's ROM BAR.
 *
 * Public API: loadVgaFont(paths?), loadStdVgaBios(), fontFromVgaBios(rom), VGA_BIOS_PATHS.
 */

export const VGA_BIOS_PATHS = ['/usr/share/seabios/vgabios-stdvga.bin', '/usr/share/qemu/vgabios-stdvga.bin', '/usr/share/seabios/vgabios.bin'];

let stdVga: Uint8Array | null | undefined;

/** QEMU's stdvga BIOS image (vgabios-stdvga.bin) as installed by Debian's seabios package, or undefined. */
export function loadStdVgaBios(): Uint8Array | undefined {
  if (stdVga === undefined) {
    stdVga = null;
    for (const p of VGA_BIOS_PATHS.filter((f) => f.endsWith('vgabios-stdvga.bin'))) {
      try { stdVga = bytesOf(fs.readFileSync(p)); break; } catch { /* next */ }
    }
  }
  return stdVga ?? undefined;
}

/** Glyph 'A' of the IBM VGA 8 × 16 font: locates the font inside the ROM. */
const GLYPH_A = Uint8Array.of(0, 0, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe, 0xc6, 0xc6, 0xc6, 0xc6, 0, 0, 0, 0);

let cached: Uint8Array | null | undefined;

export function loadVgaFont(paths: string[] = VGA_BIOS_PATHS): Uint8Array | undefined {
  if (cached !== undefined && paths === VGA_BIOS_PATHS) return cached ?? undefined;
  let found: Uint8Array | undefined;
  for (const p of paths) {
    let rom: Uint8Array;
    try { rom = fs.readFileSync(p); } catch { continue; }
    found = fontFromVgaBios(rom);
    if (found) break;
  }
  if (paths === VGA_BIOS_PATHS) cached = found ?? null;
  return found;
}

/** The 8 × 16 font inside a VGA BIOS image (plane 2's layout), or undefined when the ROM has none. */
export function fontFromVgaBios(rom: Uint8Array): Uint8Array | undefined {
  const at = indexOf(rom, GLYPH_A) - 0x41 * 16;
  if (at < 0 || at + 256 * 16 > rom.length) return undefined;
  const font = new Uint8Array(256 * 32);
  for (let ch = 0; ch < 256; ch++) font.set(rom.subarray(at + ch * 16, at + ch * 16 + 16), ch * 32);
  return font;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
