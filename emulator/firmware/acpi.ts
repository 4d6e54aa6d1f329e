import { putAscii } from './checksum';
import { Platform } from './platform';
import { dsdtBody } from './dsdt';
import { HIGH_TABLES_SIZE } from './e820';
import { LoaderCommand, TableBlobs, serializeTableLoader } from './table-loader';

/**
 * ACPI tables for QEMU's `pc` machine, built the way QEMU 7.2's hw/i386/acpi-build.c builds them (ACPI 1.0
 * style for `pc`: RSDP revision 0 -> RSDT -> FADT revision 1 -> FACS + DSDT, MADT, WAET; no XSDT), as
 * table-loader blobs: "etc/acpi/tables" (FACS, DSDT, FADT, MADT, [HPET,] WAET, RSDT, in QEMU's order) and
 * "etc/acpi/rsdp", with pointer and checksum commands. Header identifiers are QEMU's ("BOCHS ", "BXPC    ",
 * creator "BXPC"), so kernels that recognise QEMU by them behave as under QEMU.
 *
 * The DSDT (dsdt.ts) is QEMU 7.2's for `pc`, generated the way QEMU generates it: the PCI root bridge with its
 * resources, PCI interrupt routing (_PRT, the LNKA-LNKD and LNKS links on PIIX3's PIRQ route registers), the
 * PCI hotplug slots and registers, CPU hotplug, the GPE methods (_E01 PCI hotplug, _E02 CPU hotplug), the ISA
 * devices, the HPET, the fw_cfg device and the sleep states. Only QEMU's floppy controller (FDC0) is missing.
 */

export const ACPI_TABLES_FILE = 'etc/acpi/tables';
export const ACPI_RSDP_FILE = 'etc/acpi/rsdp';
export const ACPI_OEM_ID = 'BOCHS ';
export const ACPI_OEM_TABLE_ID = 'BXPC    ';
/** Where SeaBIOS 1.16 (Debian's) allocates the RSDP in the F segment under QEMU 7.2 (the direct path mirrors it). */
export const RSDP_ADDRESS = 0xf59d0;

const HEADER = 36;

/** A table's 36-byte header (ACPI §5.2.6) with a zero checksum; `length` is the whole table's. */
function header(sig: string, length: number, revision: number): Uint8Array {
  const t = new Uint8Array(length);
  const v = new DataView(t.buffer);
  putAscii(t, 0, sig);
  v.setUint32(4, length, true);
  t[8] = revision;
  putAscii(t, 10, ACPI_OEM_ID, 6);
  putAscii(t, 16, ACPI_OEM_TABLE_ID, 8);
  v.setUint32(24, 1, true); // OEM revision
  putAscii(t, 28, 'BXPC', 4); // creator ID
  v.setUint32(32, 1, true); // creator revision
  return t;
}

/** FACS (§5.2.10): 64 bytes, signature and length only (no waking vector, no global lock owner). */
export function buildFacs(): Uint8Array {
  const t = new Uint8Array(64);
  putAscii(t, 0, 'FACS');
  new DataView(t.buffer).setUint32(4, 64, true);
  return t;
}

/** The DSDT: header + the AML of dsdt.ts (QEMU 7.2's pc DSDT). */
export function buildDsdt(p: Platform): Uint8Array {
  const body = dsdtBody(p);
  const t = header('DSDT', HEADER + body.length, 1);
  t.set(body, HEADER);
  return t;
}

/** FADT revision 1 (ACPI 1.0, 116 bytes) for PIIX4 power management, as QEMU's build_fadt for `pc`. */
export function buildFadt(p: Platform): Uint8Array {
  const t = header('FACP', 116, 1);
  const v = new DataView(t.buffer);
  // 36 FIRMWARE_CTRL and 40 DSDT: offsets into etc/acpi/tables, patched by the loader.
  t[44] = 1; // INT_MODEL (ACPI 1.0: 1 = multiple APIC)
  t[45] = 0; // Preferred_PM_Profile: unspecified
  v.setUint16(46, p.pm.sciIrq, true);
  v.setUint32(48, p.pm.smiCmd, true);
  t[52] = p.pm.acpiEnable;
  t[53] = p.pm.acpiDisable;
  v.setUint32(56, p.pm.base, true); // PM1a_EVT_BLK
  v.setUint32(64, p.pm.base + 4, true); // PM1a_CNT_BLK
  v.setUint32(76, p.pm.base + 8, true); // PM_TMR_BLK
  v.setUint32(80, p.pm.gpe0, true); // GPE0_BLK
  t[88] = 4; // PM1_EVT_LEN
  t[89] = 2; // PM1_CNT_LEN
  t[91] = 4; // PM_TMR_LEN
  t[92] = p.pm.gpe0Length; // GPE0_BLK_LEN
  v.setUint16(96, 0x0fff, true); // P_LVL2_LAT > 100: C2 not supported
  v.setUint16(98, 0x0fff, true); // P_LVL3_LAT > 1000: C3 not supported
  t[108] = 0x32; // CENTURY: CMOS register 0x32
  // Flags: WBINVD (0), PROC_C1 (2), SLP_BUTTON (5: no sleep button), RTC_S4 (7), USE_PLATFORM_CLOCK (15)
  v.setUint32(112, (1 << 0) | (1 << 2) | (1 << 5) | (1 << 7) | (1 << 15), true);
  return t;
}

/** MADT (§5.2.12): local APICs, the IOAPIC, interrupt source overrides, the LINT1 NMI of every processor. */
export function buildMadt(p: Platform): Uint8Array {
  const entries: number[] = [];
  const u32 = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
  for (let cpu = 0; cpu < p.cpuCount; cpu++) entries.push(0, 8, cpu, cpu, ...u32(1)); // enabled
  entries.push(1, 12, p.ioapic.id, 0, ...u32(p.ioapic.address), ...u32(p.ioapic.gsiBase));
  // flags: bits 0-1 polarity, 2-3 trigger mode (00 = conforming to the bus; 0xd = active high, level)
  if (p.irq0Override) entries.push(2, 10, 0, 0, ...u32(2), 0, 0);
  for (const irq of p.pciIrqs) entries.push(2, 10, 0, irq, ...u32(irq), 0x0d, 0);
  entries.push(4, 6, 0xff, 0, 0, 1); // Local APIC NMI: all processors, flags 0, LINT1
  const t = header('APIC', HEADER + 8 + entries.length, 1);
  const v = new DataView(t.buffer);
  v.setUint32(36, p.lapicAddress, true);
  v.setUint32(40, 1, true); // PCAT_COMPAT: dual 8259s present
  t.set(entries, HEADER + 8);
  return t;
}

/** HPET description table (IA-PC HPET spec 1.0a), as QEMU builds it for its HPET at `address`. */
export function buildHpet(address: number): Uint8Array {
  const t = header('HPET', 56, 1);
  const v = new DataView(t.buffer);
  v.setUint32(36, 0x8086a201, true); // event timer block ID: QEMU's (Intel vendor, 3 comparators, legacy capable)
  t[40] = 0; // address space: system memory
  v.setUint32(44, address, true);
  return t;
}

/** WAET (Windows ACPI Emulated devices table): flags bit 1, the ACPI PM timer is good (one read suffices). */
export function buildWaet(): Uint8Array {
  const t = header('WAET', 40, 1);
  new DataView(t.buffer).setUint32(36, 2, true);
  return t;
}

/** RSDP revision 0 (20 bytes); the RSDT address is patched by the loader. */
export function buildRsdp(): Uint8Array {
  const t = new Uint8Array(20);
  putAscii(t, 0, 'RSD PTR ');
  putAscii(t, 9, ACPI_OEM_ID, 6);
  t[15] = 0;
  return t;
}

export interface AcpiBuild extends TableBlobs {
  /** Offset of each table in etc/acpi/tables, by signature (FACS, DSDT, FACP, APIC, HPET, WAET, RSDT). */
  offsets: Map<string, number>;
}

/** Every table of the platform as table-loader blobs and commands (QEMU's acpi_build + acpi_add_rom_blob). */
export function buildAcpi(p: Platform): AcpiBuild {
  const parts: { sig: string; bytes: Uint8Array; align?: number }[] = [
    { sig: 'FACS', bytes: buildFacs(), align: 64 },
    { sig: 'DSDT', bytes: buildDsdt(p) },
    { sig: 'FACP', bytes: buildFadt(p) },
    { sig: 'APIC', bytes: buildMadt(p) },
  ];
  if (p.hpet) parts.push({ sig: 'HPET', bytes: buildHpet(p.hpet.address) });
  parts.push({ sig: 'WAET', bytes: buildWaet() });
  const rsdtTables = parts.filter((t) => t.sig !== 'FACS' && t.sig !== 'DSDT').map((t) => t.sig);
  parts.push({ sig: 'RSDT', bytes: header('RSDT', HEADER + 4 * rsdtTables.length, 1) });

  const offsets = new Map<string, number>();
  let size = 0;
  for (const t of parts) {
    if (t.align) size = Math.ceil(size / t.align) * t.align;
    offsets.set(t.sig, size);
    size += t.bytes.length;
  }
  const tables = new Uint8Array(size);
  for (const t of parts) tables.set(t.bytes, offsets.get(t.sig)!);
  const tv = new DataView(tables.buffer);
  const rsdp = buildRsdp();

  const commands: LoaderCommand[] = [
    { kind: 'allocate', file: ACPI_RSDP_FILE, align: 16, zone: 'fseg' },
    { kind: 'allocate', file: ACPI_TABLES_FILE, align: 64, zone: 'high' },
  ];
  const pointer = (destFile: string, dest: Uint8Array | DataView, offset: number, target: number) => {
    if (dest instanceof DataView) dest.setUint32(offset, target, true);
    else new DataView(dest.buffer).setUint32(offset, target, true);
    commands.push({ kind: 'addPointer', destFile, srcFile: ACPI_TABLES_FILE, offset, size: 4 });
  };
  const fadt = offsets.get('FACP')!;
  pointer(ACPI_TABLES_FILE, tv, fadt + 36, offsets.get('FACS')!);
  pointer(ACPI_TABLES_FILE, tv, fadt + 40, offsets.get('DSDT')!);
  const rsdt = offsets.get('RSDT')!;
  rsdtTables.forEach((sig, i) => pointer(ACPI_TABLES_FILE, tv, rsdt + HEADER + 4 * i, offsets.get(sig)!));
  pointer(ACPI_RSDP_FILE, rsdp, 16, rsdt);
  for (const t of parts) {
    if (t.sig === 'FACS') continue; // the FACS has no checksum
    commands.push({ kind: 'addChecksum', file: ACPI_TABLES_FILE, offset: offsets.get(t.sig)! + 9, start: offsets.get(t.sig)!, length: t.bytes.length });
  }
  commands.push({ kind: 'addChecksum', file: ACPI_RSDP_FILE, offset: 8, start: 0, length: 20 });
  return { files: new Map([[ACPI_TABLES_FILE, tables], [ACPI_RSDP_FILE, rsdp]]), commands, offsets };
}

/**
 * The fw_cfg files QEMU gives SeaBIOS for these tables: "etc/acpi/tables", "etc/acpi/rsdp" and
 * "etc/table-loader" (the commands SeaBIOS's romfile_loader executes). For the SeaBIOS boot path.
 */
export function acpiFwCfgFiles(p: Platform): Map<string, Uint8Array> {
  const build = buildAcpi(p);
  // QEMU pads the tables blob to a multiple of 128 KiB (ACPI_BUILD_TABLE_SIZE, acpi_align_size), so SeaBIOS
  // reserves the top 128 KiB of RAM for it and the FACS lands at its start (e820.ts HIGH_TABLES_SIZE).
  const tables = build.files.get(ACPI_TABLES_FILE)!;
  const padded = new Uint8Array(Math.ceil(tables.length / HIGH_TABLES_SIZE) * HIGH_TABLES_SIZE);
  padded.set(tables);
  return new Map([...build.files, [ACPI_TABLES_FILE, padded], ['etc/table-loader', serializeTableLoader(build.commands)]]);
}
