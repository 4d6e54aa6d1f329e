/**
 * The EDID of QEMU's standard VGA (hw/display/edid-generate.c, the `edid` property, on by default): what a
 * guest reads at offset 0 of the VGA's MMIO BAR, and what SeaBIOS's VGA BIOS hands out through VBE/DDC
 * (INT 10h AX=4F15h). GRUB's `auto` video mode and Linux's framebuffer drivers pick their resolution from it:
 * without it GRUB falls back to 640x480 where QEMU gives a multiboot2 kernel 1280x800.
 *
 * The layout is VESA E-EDID 1.4 (a 128-byte base block) plus one CTA-861 extension block, with QEMU's choices:
 * vendor "RHT", product 0x1234, week 42 of 2014, a digital 8-bit DisplayPort input, sRGB, 100 dpi, a preferred
 * detailed timing at `prefx` x `prefy` (QEMU's default 1280x800) whose blanking QEMU derives from the
 * resolution and whose clock from a 75 Hz refresh, the established, standard and "additional standard timings 3"
 * modes up to `maxx` x `maxy` (no limit by default), fixed range limits (50-125 Hz, 30-160 kHz, 2550 MHz),
 * the monitor name "QEMU Monitor", and in the extension the CTA video data block's VICs, then dummy descriptors.
 * Checked byte for byte against QEMU 7.2's (test/devices/edid.test.ts).
 */
export interface EdidInfo {
  /** Preferred resolution (the detailed timing); QEMU's defaults are 1280x800. */
  prefx: number;
  prefy: number;
  /** Largest mode listed (0: no limit). */
  maxx: number;
  maxy: number;
  /** Refresh rate of the detailed timing in mHz (QEMU: 75000 unless given). */
  refreshMilliHz: number;
  vendor: string;
  name: string;
}

export const QEMU_STD_VGA_EDID: EdidInfo = { prefx: 1280, prefy: 800, maxx: 0, maxy: 0, refreshMilliHz: 75_000, vendor: 'RHT', name: 'QEMU Monitor' };

/** Size of the EDID window in the VGA's MMIO BAR (QEMU's `edid` region). */
export const EDID_REGION_SIZE = 0x400;

/**
 * A mode the EDID may list, where: an established timing bit (byte 35-37, `byte`/`bit`), a bit of the
 * "additional standard timings 3" descriptor (`xtra3` byte/`bit`) once the eight standard timing slots are
 * full, a CTA-861 video identification code (`vic`), or else a standard timing slot. QEMU's order, largest first.
 */
interface Mode { x: number; y: number; byte?: number; xtra3?: number; bit?: number; vic?: number }
const MODES: Mode[] = [
  // CTA timings at 50 Hz
  { x: 5120, y: 2160, vic: 125 }, { x: 4096, y: 2160, vic: 101 }, { x: 3840, y: 2160, vic: 96 }, { x: 2560, y: 1080, vic: 89 },
  { x: 2048, y: 1152 }, { x: 1920, y: 1080, vic: 31 },
  // CTA timing at 60 Hz
  { x: 3840, y: 2160, vic: 97 },
  // additional standard timings 3 (60 Hz)
  { x: 1920, y: 1200, xtra3: 10, bit: 0 }, { x: 1600, y: 1200, xtra3: 9, bit: 2 }, { x: 1680, y: 1050, xtra3: 9, bit: 5 },
  { x: 1440, y: 900, xtra3: 8, bit: 5 }, { x: 1280, y: 1024, xtra3: 7, bit: 1 }, { x: 1280, y: 960, xtra3: 7, bit: 3 },
  { x: 1280, y: 768, xtra3: 7, bit: 6 },
  { x: 1920, y: 1440, xtra3: 11, bit: 5 }, { x: 1856, y: 1392, xtra3: 10, bit: 3 }, { x: 1792, y: 1344, xtra3: 10, bit: 5 },
  { x: 1440, y: 1050, xtra3: 8, bit: 1 }, { x: 1360, y: 768, xtra3: 8, bit: 7 },
  // established timings (60 Hz)
  { x: 1024, y: 768, byte: 36, bit: 3 }, { x: 800, y: 600, byte: 35, bit: 0 }, { x: 640, y: 480, byte: 35, bit: 5 },
];

const DESC = 18;

/** The 256-byte EDID (base block + CTA extension) QEMU's standard VGA exposes for `info`. */
export function generateEdid(info: EdidInfo = QEMU_STD_VGA_EDID): Uint8Array {
  const e = new Uint8Array(256);
  const cta = 128;
  const dpi = 100;
  const widthMm = Math.floor(Math.floor((info.prefx * 254) / 10) / dpi);
  const heightMm = Math.floor(Math.floor((info.prefy * 254) / 10) / dpi);

  // Header, vendor (three letters, 5 bits each, big-endian), product, serial 0, week/year, version 1.4.
  e.set([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00], 0);
  const letter = (i: number): number => (info.vendor.charCodeAt(i) - 0x40) & 0x1f;
  const vendorId = (letter(0) << 10) | (letter(1) << 5) | letter(2);
  e[8] = vendorId >> 8; e[9] = vendorId & 0xff;
  e[10] = 0x34; e[11] = 0x12;
  e[16] = 42; e[17] = 2014 - 1990;
  e[18] = 1; e[19] = 4;
  // Basic display parameters: digital, 8 bits per colour, DisplayPort; size in cm; gamma 2.2; sRGB, preferred timing.
  e[20] = 0xa5;
  e[21] = Math.floor(widthMm / 10); e[22] = Math.floor(heightMm / 10);
  e[23] = 220 - 100;
  e[24] = 0x06;
  chromaticity(e, [0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290]);
  e[126] = 1; // one extension: the CTA block

  // CTA-861 extension: tag 2, revision 3, descriptors start after the (growing) video data block.
  e[cta] = 0x02; e[cta + 1] = 0x03; e[cta + 2] = 0x05; e[cta + 3] = 0x00; e[cta + 4] = 0x40;

  // Descriptors: 54, 72, 90, 108 in the base block, then from the extension's descriptor offset on.
  let desc: number | undefined = 54;
  const next = (d: number): number | undefined => {
    if (d + 2 * DESC < 127) return d + DESC;
    if (d < 127) return cta + e[cta + 2];
    return d + 2 * DESC < cta + 127 ? d + DESC : undefined;
  };
  detailedTiming(e, desc, info, widthMm, heightMm);
  desc = next(desc)!;
  const xtra3 = desc;
  descriptorType(e, xtra3, 0xf7);
  e[xtra3 + 5] = 10; // revision
  desc = next(desc);
  fillModes(e, xtra3, cta, info);
  // The video data block is complete now, so the extension's descriptor offset no longer moves.
  descriptorType(e, desc!, 0xfd); // range limits
  e.set([50, 125, 30, 160, 2550 / 10, 0x01, 0x0a, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20], desc! + 5);
  desc = next(desc!);
  if (desc !== undefined) {
    descriptorType(e, desc, 0xfc); // monitor name: up to 12 characters, a newline, space padding
    e.fill(0x20, desc + 5, desc + DESC);
    const name = info.name.slice(0, 12);
    for (let i = 0; i < name.length; i++) e[desc + 5 + i] = name.charCodeAt(i);
    e[desc + 5 + name.length] = 0x0a;
    desc = next(desc);
  }
  for (; desc !== undefined; desc = next(desc)) descriptorType(e, desc, 0x10); // dummy descriptors

  checksum(e, 0);
  checksum(e, cta);
  return e;
}

function descriptorType(e: Uint8Array, at: number, type: number): void {
  e[at] = 0; e[at + 1] = 0; e[at + 2] = 0; e[at + 3] = type; e[at + 4] = 0;
}

/** Chromaticity coordinates (red, green, blue, white x/y) as 10-bit fractions: high 8 bits, then the low 2 of each. */
function chromaticity(e: Uint8Array, c: number[]): void {
  const v = c.map((f) => Math.floor(f * 1024 + 0.5));
  e[25] = ((v[0] & 3) << 6) | ((v[1] & 3) << 4) | ((v[2] & 3) << 2) | (v[3] & 3);
  e[26] = ((v[4] & 3) << 6) | ((v[5] & 3) << 4) | ((v[6] & 3) << 2) | (v[7] & 3);
  for (let i = 0; i < 8; i++) e[27 + i] = v[i] >> 2;
}

/**
 * The preferred detailed timing. QEMU makes up its blanking from the resolution (front porch 25%, sync 3%,
 * blanking 35% horizontally; 0.5%, 0.5%, 3.5% vertically) and its pixel clock (10 kHz units) from the refresh.
 */
function detailedTiming(e: Uint8Array, at: number, info: EdidInfo, xmm: number, ymm: number): void {
  const x = info.prefx, y = info.prefy;
  const xfront = Math.floor((x * 25) / 100), xsync = Math.floor((x * 3) / 100), xblank = Math.floor((x * 35) / 100);
  const yfront = Math.floor((y * 5) / 1000), ysync = Math.floor((y * 5) / 1000), yblank = Math.floor((y * 35) / 1000);
  const clock = Math.floor((info.refreshMilliHz * (x + xblank) * (y + yblank)) / 10_000_000);
  e[at] = clock & 0xff; e[at + 1] = (clock >> 8) & 0xff;
  e[at + 2] = x & 0xff; e[at + 3] = xblank & 0xff; e[at + 4] = ((x & 0xf00) >> 4) | ((xblank & 0xf00) >> 8);
  e[at + 5] = y & 0xff; e[at + 6] = yblank & 0xff; e[at + 7] = ((y & 0xf00) >> 4) | ((yblank & 0xf00) >> 8);
  e[at + 8] = xfront & 0xff; e[at + 9] = xsync & 0xff;
  e[at + 10] = ((yfront & 0xf) << 4) | (ysync & 0xf);
  e[at + 11] = ((xfront & 0x300) >> 2) | ((xsync & 0x300) >> 4) | ((yfront & 0x30) >> 2) | ((ysync & 0x30) >> 4);
  e[at + 12] = xmm & 0xff; e[at + 13] = ymm & 0xff; e[at + 14] = ((xmm & 0xf00) >> 4) | ((ymm & 0xf00) >> 8);
  e[at + 17] = 0x18; // digital separate sync
}

/**
 * A standard timing (2 bytes: (x / 8) - 31, aspect ratio code in bits 7-6, refresh - 60 below), or false when
 * the mode has no standard-timing form (an aspect ratio other than 16:10, 4:3, 5:4, 16:9, or too wide).
 */
function standardTiming(e: Uint8Array, at: number, x: number, y: number): boolean {
  const aspect = x * 10 === y * 16 ? 0 : x * 3 === y * 4 ? 1 : x * 4 === y * 5 ? 2 : x * 9 === y * 16 ? 3 : -1;
  if (aspect < 0 || Math.floor(x / 8) - 31 > 255) return false;
  e[at] = Math.floor(x / 8) - 31;
  e[at + 1] = aspect << 6; // 60 Hz
  return true;
}

/** Established timing bits, the eight standard timings (then unused slots 01 01), xtra3 bits and the CTA VICs. */
function fillModes(e: Uint8Array, xtra3: number, cta: number, info: EdidInfo): void {
  let std = 38;
  for (const m of MODES) {
    if ((info.maxx && m.x > info.maxx) || (info.maxy && m.y > info.maxy)) continue;
    if (m.byte !== undefined) e[m.byte] |= 1 << m.bit!;
    else if (std < 54) { if (standardTiming(e, std, m.x, m.y)) std += 2; }
    else if (m.xtra3 !== undefined) e[xtra3 + m.xtra3] |= 1 << m.bit!;
    if (m.vic !== undefined) {
      e[cta + e[cta + 2]] = m.vic;
      e[cta + 2]++;
      e[cta + 4]++;
    }
  }
  for (; std < 54; std += 2) { e[std] = 0x01; e[std + 1] = 0x01; }
}

/** Byte 127 of the block at `at` makes its 128 bytes sum to 0 mod 256. */
function checksum(e: Uint8Array, at: number): void {
  let sum = 0;
  for (let i = 0; i < 127; i++) sum += e[at + i];
  e[at + 127] = (0x100 - (sum & 0xff)) & 0xff;
}
