import * as fs from 'node:fs';
import { E1000_ROM_PATH } from './e1000';
import { bytesOf } from '../bytes';

/**
 * The e1000's expansion ROM: QEMU 7.2 gives the card iPXE's `efi-e1000.rom` (its romfile; Debian's ipxe-qemu package
 * installs it under /usr/lib/ipxe/qemu, with the legacy PXE image and the EFI driver in one ROM). The card carries
 * it on both boot paths when the file is installed, as the VGA carries its BIOS (vga-font.ts): with firmware SeaBIOS
 * runs it (iPXE's banner, a network boot entry after the disks); on the direct path it only answers at the ROM BAR.
 * `$FAULTLINE_E1000_ROM` names another file; an empty value means no ROM.
 *
 * Public API: loadE1000Rom().
 */
let cached: Uint8Array | null | undefined;

export function loadE1000Rom(): Uint8Array | undefined {
  if (cached === undefined) {
    cached = null;
    const env = typeof process !== 'undefined' ? process.env.FAULTLINE_E1000_ROM : undefined;
    const file = env ?? E1000_ROM_PATH;
    if (file) {
      try { cached = bytesOf(fs.readFileSync(file)); } catch { /* not installed: the card has no ROM */ }
    }
  }
  return cached ?? undefined;
}
