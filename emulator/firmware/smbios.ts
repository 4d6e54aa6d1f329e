import { checksumByte, putAscii } from './checksum';
import { Platform } from './platform';

/**
 * SMBIOS 2.8 (DMTF DSP0134) as a kernel finds it under QEMU 7.2's `pc` machine with Debian's SeaBIOS: QEMU builds
 * the structures (hw/smbios/smbios.c: types 1, 3, 4, 16, 17, 19, 32, 127) and a 2.1-style entry point and hands
 * them to SeaBIOS over fw_cfg ("etc/smbios/smbios-tables", "etc/smbios/smbios-anchor"); SeaBIOS puts its own
 * type 0 (BIOS information) in front and installs entry point and tables in the F segment (src/fw/biostables.c).
 * Recorded from QEMU's memory (-m 256 and -m 512 -smp 2) and compared byte for byte in test/firmware/. Linux
 * prints "SMBIOS 2.8 present." and "DMI: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1
 * 04/01/2014" from them.
 *
 * The SeaBIOS path gets the fw_cfg files (smbiosFwCfgFiles) and the firmware installs them as under QEMU; the
 * direct path writes what SeaBIOS would have left (installSmbios).
 */

export const SMBIOS_TABLES_FILE = 'etc/smbios/smbios-tables';
export const SMBIOS_ANCHOR_FILE = 'etc/smbios/smbios-anchor';
/** Where SeaBIOS 1.16 puts the entry point under QEMU 7.2: in the F segment right after the RSDP (acpi.ts). */
export const SMBIOS_ENTRY_ADDRESS = 0xf59f0;
/** The structure table follows the 31-byte entry point, 16-byte aligned. */
export const SMBIOS_TABLE_ADDRESS = 0xf5a10;

/** QEMU's strings for the i440FX machine (smbios_set_defaults: manufacturer, product, version = machine name). */
const MANUFACTURER = 'QEMU';
const PRODUCT = 'Standard PC (i440FX + PIIX, 1996)';
const MACHINE = 'pc-i440fx-7.2';
/** SeaBIOS's type 0: its name, Debian's build version of bios-256k.bin and its fixed release date. */
const BIOS_VENDOR = 'SeaBIOS';
const BIOS_VERSION = '1.16.2-debian-1.16.2-1';
const BIOS_DATE = '04/01/2014';

/** One structure: the formatted area (type, length, handle, then `fields`) and its string set. */
function structure(type: number, handle: number, fields: number[], strings: string[] = []): Uint8Array {
  const length = 4 + fields.length;
  const text = strings.length ? strings.map((s) => `${s}\0`).join('') + '\0' : '\0\0';
  const out = new Uint8Array(length + text.length);
  out[0] = type;
  out[1] = length;
  out[2] = handle & 0xff;
  out[3] = handle >> 8;
  out.set(fields, 4);
  putAscii(out, length, text);
  return out;
}

const u16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number): number[] => [...u16(v & 0xffff), ...u16(v >>> 16)];

/** SeaBIOS's type 0 (smbios_new_type_0): BIOS at segment E800h, 64 KiB, "characteristics not supported". */
export function buildBiosInformation(): Uint8Array {
  return structure(0, 0x0000, [
    1, 2, ...u16(0xe800), 3, 0, // vendor, version, starting segment, release date, ROM size (64 KiB units - 1)
    ...u32(0x08), ...u32(0), // characteristics: bit 3 "not supported"
    0x00, 0x04, // extension bytes: targeted content distribution
    0, 0, 0xff, 0xff, // system BIOS release 0.0, no embedded controller
  ], [BIOS_VENDOR, BIOS_VERSION, BIOS_DATE]);
}

/** QEMU's structures (without type 0), in its order, ending with type 127. */
export function buildSmbiosStructures(p: Platform): Uint8Array[] {
  const kb = Math.floor(p.ramSize / 1024);
  const mb = Math.floor(p.ramSize / (1024 * 1024));
  // -smp N on pc-i440fx-7.2 is one socket of N cores (QEMU prefers cores from machine version 6.2).
  const cores = p.cpuCount;
  return [
    // System information: manufacturer, product, version, no serial, a zero UUID, wake-up by power switch.
    structure(1, 0x0100, [1, 2, 3, 0, ...new Array(16).fill(0), 0x06, 0, 0], [MANUFACTURER, PRODUCT, MACHINE]),
    // Chassis: other, "safe" states, unknown security, no height, cords or contained elements, no SKU.
    structure(3, 0x0300, [1, 0x01, 2, 0, 0, 0x03, 0x03, 0x03, 0x02, ...u32(0), 0, 0, 0, 0, 0], [MANUFACTURER, MACHINE]),
    // Processor (one per socket): CPUID leaf 1 EAX and EDX as the ID, 2000 MHz, populated and enabled, no
    // caches described, N cores and threads, family "other".
    structure(4, 0x0400, [
      1, 0x03, 0x01, 2, ...u32(p.cpuSignature), ...u32(p.cpuFeatures), 3, 0, ...u16(0), ...u16(2000), ...u16(2000),
      0x41, 0x01, ...u16(0xffff), ...u16(0xffff), ...u16(0xffff), 0, 0, 0, cores, cores, cores, ...u16(0x0002), ...u16(0x0001),
    ], ['CPU 0', MANUFACTURER, MACHINE]),
    // Physical memory array: system board, system memory, no ECC, capacity in KiB, no error handle, one device.
    structure(16, 0x1000, [0x01, 0x03, 0x06, ...u32(kb), ...u16(0xfffe), ...u16(1), ...u32(0), ...u32(0)]),
    // Memory device: in array 0x1000, unknown widths, size in MiB, DIMM, RAM, no speed or serials.
    structure(17, 0x1100, [
      ...u16(0x1000), ...u16(0xfffe), ...u16(0xffff), ...u16(0xffff), ...u16(mb), 0x09, 0, 1, 0, 0x07, ...u16(0x0002),
      ...u16(0), 2, 0, 0, 0, 0, ...u32(0), ...u16(0), ...u16(0), ...u16(0), ...u16(0),
    ], ['DIMM 0', MANUFACTURER]),
    // Memory array mapped address: [0, RAM) in KiB, array 0x1000, one device per row.
    structure(19, 0x1300, [...u32(0), ...u32(kb - 1), ...u16(0x1000), 1, ...u32(0), ...u32(0), ...u32(0), ...u32(0)]),
    // System boot information: no errors.
    structure(32, 0x2000, [0, 0, 0, 0, 0, 0, 0]),
    structure(127, 0x7f00, []),
  ];
}

/** The 31-byte 2.1 entry point ("_SM_" ... "_DMI_") for a table of `count` structures at `address`. */
export function buildEntryPoint(table: Uint8Array, count: number, maxSize: number, address: number): Uint8Array {
  const e = new Uint8Array(0x1f);
  const v = new DataView(e.buffer);
  putAscii(e, 0, '_SM_');
  e[5] = 0x1f;
  e[6] = 2;
  e[7] = 8;
  v.setUint16(8, maxSize, true);
  putAscii(e, 0x10, '_DMI_');
  v.setUint16(0x16, table.length, true);
  v.setUint32(0x18, address, true);
  v.setUint16(0x1c, count, true);
  e[0x1e] = 0x28; // BCD revision 2.8
  e[0x15] = checksumByte(e, 0x10, 0x0f);
  e[4] = checksumByte(e);
  return e;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of parts) { out.set(s, at); at += s.length; }
  return out;
}

/** The fw_cfg files QEMU gives SeaBIOS: the structures and an entry point SeaBIOS completes (address 0). */
export function smbiosFwCfgFiles(p: Platform): Map<string, Uint8Array> {
  const structs = buildSmbiosStructures(p);
  const table = concat(structs);
  const anchor = buildEntryPoint(table, structs.length, Math.max(...structs.map((s) => s.length)), 0);
  return new Map([[SMBIOS_TABLES_FILE, table], [SMBIOS_ANCHOR_FILE, anchor]]);
}

/** What SeaBIOS leaves in memory: its type 0, QEMU's structures, the entry point pointing at them. */
export function buildSmbios(p: Platform): { entry: Uint8Array; table: Uint8Array } {
  const structs = [buildBiosInformation(), ...buildSmbiosStructures(p)];
  const table = concat(structs);
  return { entry: buildEntryPoint(table, structs.length, Math.max(...structs.map((s) => s.length)), SMBIOS_TABLE_ADDRESS), table };
}
