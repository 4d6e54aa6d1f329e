import { EBDA_BASE, EBDA_SIZE } from './e820';
import { Platform } from './platform';

/**
 * The BIOS data area (0x400-0x4ff) and the extended BIOS data area (the last KiB of conventional memory) as
 * SeaBIOS and its VGA BIOS leave them when a kernel starts under QEMU's `pc` (recorded in
 * fixtures/golden/lowmem-probe.serial.txt). Kernels read: the COM/LPT port table (0x400), the EBDA segment
 * (0x40e, where the MP spec and ACPI searches start), the equipment word (0x410), base memory in KiB (0x413,
 * xv6's mpsearch), the video fields (0x449-0x466, 0x484-0x48a), the timer tick count (0x46c).
 *
 * Differences from QEMU, by design: the cursor (0x450) is where Faultline's screen has it, row 0 (QEMU's
 * VGA BIOS printed two banner lines); the VGA BIOS's own pointers (0x4a8 video save table, 0x4b9-0x4bd) stay 0
 * because no VGA BIOS ROM is in memory on the direct boot path.
 */

export const BDA_BASE = 0x400;
export const BDA_SIZE = 0x100;

/** PIT ticks per day and per second, as the BIOS counts them at 0x46c (1193182 Hz / 65536). */
const PIT_HZ = 1193182;
export const TICKS_PER_DAY = 0x1800b0;

/** SeaBIOS's clock_setup: ticks since midnight from the RTC's time of day. */
export function ticksSinceMidnight(secondsOfDay: number): number {
  return Math.floor((secondsOfDay * PIT_HZ) / 65536) % TICKS_PER_DAY;
}

export interface BdaOptions {
  /** Seconds since midnight on the RTC when the kernel starts (the BDA tick count follows it). */
  secondsOfDay: number;
  /** Text cursor of page 0: [column, row]. */
  cursor?: [number, number];
}

/** The 256 bytes of the BDA at 0x400. */
export function buildBda(p: Platform, o: BdaOptions): Uint8Array {
  const b = new Uint8Array(BDA_SIZE);
  const v = new DataView(b.buffer);
  p.comPorts.slice(0, 4).forEach((port, i) => v.setUint16(0x00 + 2 * i, port, true));
  p.lptPorts.slice(0, 3).forEach((port, i) => v.setUint16(0x08 + 2 * i, port, true));
  v.setUint16(0x0e, EBDA_BASE >> 4, true);
  // Equipment word (INT 11h): bit 1 x87, bit 2 PS/2 mouse, bits 4-5 initial video (10 = 80x25 colour),
  // bits 9-11 serial ports, bits 14-15 parallel ports.
  let equipment = 0x02 | 0x04 | (Math.min(p.comPorts.length, 7) << 9) | (Math.min(p.lptPorts.length, 3) << 14);
  if (p.vgaText) equipment |= 0x20;
  // Floppy drives (SeaBIOS map_floppy_drive): bit 0, bits 6-7 = drives - 1; 0x8F: the drives' capability nibbles.
  const floppies = Math.min(p.floppies.length, 2);
  if (floppies > 0) {
    equipment |= floppies === 1 ? 0x01 : 0x41;
    b[0x8f] = floppies === 1 ? 0x07 : 0x77;
  }
  v.setUint16(0x10, equipment, true);
  v.setUint16(0x13, EBDA_BASE / 1024, true);
  // Keyboard buffer head/tail (empty) at offset 0x1e of the BDA; buffer 0x1e-0x3e.
  v.setUint16(0x1a, 0x1e, true);
  v.setUint16(0x1c, 0x1e, true);
  if (p.vgaText) {
    b[0x49] = 3; // video mode 3: 80x25 16-colour text
    v.setUint16(0x4a, 80, true);
    v.setUint16(0x4c, 0x1000, true); // page size
    const [col, row] = o.cursor ?? [0, 0];
    b[0x50] = col;
    b[0x51] = row;
    v.setUint16(0x60, 0x0607, true); // cursor shape: scan lines 6-7
    v.setUint16(0x63, 0x3d4, true); // CRTC index port (colour)
    b[0x84] = 24; // rows - 1
    v.setUint16(0x85, 16, true); // character height
    b[0x87] = 0x60; // video control: 256 KiB, no clear on mode set
    b[0x88] = 0xf9; // EGA switches
    b[0x89] = 0x51; // VGA mode-set options: 400 lines, VGA active
    b[0x8a] = 0x08; // display combination code index
  }
  v.setUint32(0x6c, ticksSinceMidnight(o.secondsOfDay), true);
  b[0x76] = 0xc0; // fixed disk control byte (SeaBIOS sets it whether or not a disk is present)
  p.comPorts.slice(0, 4).forEach((_, i) => { b[0x7c + i] = 0x0a; }); // COM timeouts
  p.lptPorts.slice(0, 3).forEach((_, i) => { b[0x78 + i] = 0x14; }); // LPT timeouts
  v.setUint16(0x80, 0x1e, true); // keyboard buffer start
  v.setUint16(0x82, 0x3e, true); // keyboard buffer end
  b[0x96] = 0x10; // keyboard: 101/102-key keyboard installed
  return b;
}

/** The EBDA: its first byte is its size in KiB; SeaBIOS leaves the rest zero when no PS/2 mouse driver ran. */
export function buildEbda(): Uint8Array {
  const e = new Uint8Array(EBDA_SIZE);
  e[0] = EBDA_SIZE / 1024;
  return e;
}
