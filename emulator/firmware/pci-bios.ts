import { checksumByte, putAscii } from './checksum';
import { PM_BIOS_ADDRESS } from './pm-bios';

/**
 * The F-segment tables through which a kernel finds the direct boot's PCI BIOS and PCI interrupt routing, at
 * SeaBIOS 1.16's addresses under QEMU 7.2's `pc` machine: the BIOS32 Service Directory header ("_32_", whose
 * entry point is pm-bios.asm's f000:d26c; it hands out the PCI BIOS at f000:d1ca) and the PCI IRQ Routing
 * Table ("$PIR", the table SeaBIOS's src/fw/pirtable.c installs on an i440FX: PIIX3's PIRQ router at
 * 00:01.0, slots 1-6 wired to links 0x60-0x63 the way the PIIX swizzles them). Linux's 32-bit PCI code looks
 * for both (arch/x86/pci/pcbios.c, irq.c); with ACPI it routes interrupts by the DSDT's _PRT instead.
 */

export const BIOS32_DIRECTORY_ADDRESS = 0xf6040;
/** The BIOS32 Service Directory's entry point (pm-bios.asm's bios32_entry). */
export const BIOS32_ENTRY = PM_BIOS_ADDRESS + (0xd26c - 0xd198);
export const PIR_ADDRESS = 0xf5c80;

/** The 16-byte BIOS32 Service Directory header: "_32_", entry point, revision 0, length 1 (paragraphs), checksum. */
export function buildBios32Directory(): Uint8Array {
  const b = new Uint8Array(16);
  putAscii(b, 0, '_32_');
  new DataView(b.buffer).setUint32(4, BIOS32_ENTRY, true);
  b[8] = 0;
  b[9] = 1;
  b[10] = checksumByte(b);
  return b;
}

/** IRQs a PIRQ link may be routed to (3-7, 9-12, 14, 15), as SeaBIOS's table lists them. */
const PIR_IRQ_BITMAP = 0xdef8;
const PIR_SLOTS = 6;

/**
 * The $PIR table: a 32-byte header (version 1.0, the router at bus 0 devfn 0x08, no IRQs exclusive to PCI,
 * compatible router 8086:122e) and one 16-byte entry per slot: devices 1-6 on bus 0, INTA-INTD of device d on
 * link 0x60 + ((d - 1 + pin) & 3), slot numbers 0-5.
 */
export function buildPirTable(): Uint8Array {
  const size = 32 + 16 * PIR_SLOTS;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  putAscii(b, 0, '$PIR');
  v.setUint16(4, 0x0100, true);
  v.setUint16(6, size, true);
  b[8] = 0;
  b[9] = 0x08;
  v.setUint16(10, 0, true);
  v.setUint16(12, 0x8086, true);
  v.setUint16(14, 0x122e, true);
  for (let i = 0; i < PIR_SLOTS; i++) {
    const e = 32 + 16 * i;
    const device = i + 1;
    b[e] = 0;
    b[e + 1] = device << 3;
    for (let pin = 0; pin < 4; pin++) {
      b[e + 2 + 3 * pin] = 0x60 + ((device - 1 + pin) & 3);
      v.setUint16(e + 3 + 3 * pin, PIR_IRQ_BITMAP, true);
    }
    b[e + 14] = i;
  }
  b[31] = checksumByte(b);
  return b;
}
