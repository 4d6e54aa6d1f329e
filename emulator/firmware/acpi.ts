import * as aml from './aml';
import { cmosFloppyType, FD_FORMATS } from '../devices/floppy-drive';
import { putAscii } from './checksum';
import { Platform } from './platform';
import { HIGH_TABLES_SIZE, lowRamTop } from './e820';
import { LoaderCommand, TableBlobs, serializeTableLoader } from './table-loader';

/**
 * ACPI tables for QEMU's `pc` machine, built the way QEMU 7.2's hw/i386/acpi-build.c builds them (ACPI 1.0
 * style for `pc`: RSDP revision 0 -> RSDT -> FADT revision 1 -> FACS + DSDT, MADT, WAET; no XSDT), as
 * table-loader blobs: "etc/acpi/tables" (FACS, DSDT, FADT, MADT, [HPET,] WAET, RSDT, in QEMU's order) and
 * "etc/acpi/rsdp", with pointer and checksum commands. Header identifiers are QEMU's ("BOCHS ", "BXPC    ",
 * creator "BXPC"), so kernels that recognise QEMU by them behave as under QEMU.
 *
 * The DSDT is Faultline's own and small (QEMU's is about 6 KiB of AML describing every device): the PCI root
 * bridge \_SB.PCI0 with its resources (_CRS: bus numbers, I/O and MMIO windows, as QEMU's), the ISA devices the
 * board has (RTC, keyboard, mouse, COM ports, as QEMU describes them) and the \_S3, \_S4 and \_S5 sleep-state
 * packages (SLP_TYP 1, 2 and 0 for PIIX4's PM1a_CNT, as QEMU declares them). A kernel with an AML interpreter
 * finds those; it does not find QEMU's CPU objects, PCI hotplug, GPE methods or PCI interrupt routing (_PRT and
 * the LNKx link devices).
 * HPET: when the platform has one (QEMU's pc: at 0xfed00000), an HPET table after the MADT and, in the DSDT,
 * QEMU's \_SB.HPET (PNP0103: _UID, the register block's vendor and period fields behind _STA, _CRS).
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

/**
 * QEMU's \_SB.HPET (build_hpet_aml): _HID PNP0103, _UID 0, the register block as OperationRegion HPTM with its
 * vendor (VEND) and period (PRD) fields, a _STA that reports the device absent when those read as no HPET
 * (vendor 0 or 0xffff, period 0 or above 100 ns), and a _CRS of the 1 KiB block, read-only.
 */
function hpetDevice(address: number): number[] {
  const zero = aml.integer(0);
  const id = aml.local(0);
  const period = aml.local(1);
  return aml.scope('\\_SB', aml.device('HPET',
    aml.name('_HID', aml.eisaId('PNP0103')),
    aml.name('_UID', zero),
    aml.systemMemoryRegion('HPTM', address, 0x400),
    aml.dwordLockedField('HPTM', [['VEND', 32], ['PRD', 32]]),
    aml.method('_STA',
      aml.store(aml.ref('VEND'), id),
      aml.store(aml.ref('PRD'), period),
      aml.shiftRight(id, aml.integer(16), id),
      aml.ifThen(aml.lor(aml.lequal(id, zero), aml.lequal(id, aml.integer(0xffff))), aml.ret(zero)),
      aml.ifThen(aml.lor(aml.lequal(period, zero), aml.lgreater(period, aml.integer(100_000_000))), aml.ret(zero)),
      aml.ret(aml.integer(0x0f))),
    aml.name('_CRS', aml.resourceTemplate(aml.memory32Fixed(false, address, 0x400)))));
}

/** The PCI host bridge's 64-bit MMIO window: 2 GiB from 4 GiB when no RAM is above 4 GiB (QEMU's pci_hole64_size). */
const PCI_HOLE64 = { start: 2 ** 32, size: 2 ** 31 };
/** The 32-bit PCI MMIO window ends below the IOAPIC (QEMU: IO_APIC_DEFAULT_ADDRESS - 1). */
const PCI_HOLE_END = 0xfebfffff;

/**
 * \_SB.PCI0._CRS as QEMU's build_dsdt gives the i440FX host bridge: bus numbers 0-255, the configuration ports
 * CF8-CFF (consumed), the I/O windows 0-CF7 and D00-FFFF, the VGA window A0000-BFFFF (cacheable), the 32-bit MMIO
 * hole from the top of low RAM to below the IOAPIC and the 64-bit hole above 4 GiB. Linux prints them as the root
 * bus resources and claims the devices' BARs and the PIIX4 PM/SMBus ranges against them.
 */
function pciRootResources(p: Platform): number[] {
  return aml.resourceTemplate(
    aml.wordBusNumber(0x00, 0xff),
    aml.io(0x0cf8, 0x0cf8, 0x01, 0x08),
    aml.wordIo(0x0000, 0x0cf7),
    aml.wordIo(0x0d00, 0xffff),
    aml.memoryRange(0x000a0000, 0x000bffff, true),
    aml.memoryRange(lowRamTop(p.ramSize), PCI_HOLE_END, false),
    aml.memoryRange(PCI_HOLE64.start, PCI_HOLE64.start + PCI_HOLE64.size - 1, false),
  );
}

/**
 * The ISA bridge \_SB.PCI0.ISA (PIIX 00:01.0) with the legacy devices QEMU's isa_build_aml describes for the ones
 * this board has: the RTC (PNP0B00), the 8042's keyboard (PNP0303) and mouse (PNP0F13) ports, and the COM ports
 * (PNP0501, _UID 1 and 2). Kernels bind drivers to them through ACPI PnP (Linux: "pnp 00:03: [io 0x03f8-0x03ff]",
 * "i8042: PNP: PS/2 Controller [PNP0303:KBD,PNP0f13:MOU]", "00:03: ttyS0 at I/O 0x3f8"), and the floppy controller
 * FDC0 (fdcDevice). QEMU's pc also has a parallel port (PNP0400); this board has none, so it is not described.
 */
function isaDevices(p: Platform): number[] {
  const sta = aml.name('_STA', aml.integer(0x0f));
  const com = p.comPorts.map((port, i) => aml.device(`COM${i + 1}`, aml.name('_HID', aml.eisaId('PNP0501')), aml.name('_UID', aml.integer(i + 1)), sta,
    aml.name('_CRS', aml.resourceTemplate(aml.io(port, port, 0x00, 0x08), aml.irqNoFlags(port === 0x3f8 ? 4 : 3)))));
  // In QEMU's order (Linux numbers the PnP devices by it: the keyboard first, the serial ports, the RTC last).
  return aml.device('ISA', aml.name('_ADR', aml.integer(0x00010000)),
    aml.device('KBD', aml.name('_HID', aml.eisaId('PNP0303')), sta,
      aml.name('_CRS', aml.resourceTemplate(aml.io(0x60, 0x60, 0x01, 0x01), aml.io(0x64, 0x64, 0x01, 0x01), aml.irqNoFlags(1)))),
    aml.device('MOU', aml.name('_HID', aml.eisaId('PNP0F13')), sta, aml.name('_CRS', aml.resourceTemplate(aml.irqNoFlags(12)))),
    fdcDevice(p),
    ...com,
    aml.device('RTC', aml.name('_HID', aml.eisaId('PNP0B00')), aml.name('_CRS', aml.resourceTemplate(aml.io(0x70, 0x70, 0x01, 0x08), aml.irqNoFlags(8)))));
}

/**
 * \_SB.PCI0.ISA.FDC0 as QEMU 7.2's fdc_isa_build_aml: PNP0700 with ports 0x3F2-0x3F5 and 0x3F7, IRQ 6 and DMA
 * channel 2 (compatibility timing, not a bus master, 8-bit), a FLPx device for each drive with a diskette
 * (_ADR = unit, _FDI = ACPI's 16-integer drive information: the drive type's largest cylinder, sector and
 * head over all of QEMU's formats for it, then the disk parameters SeaBIOS's INT 13h AH=08h returns), and _FDE
 * (drives 0-3 present, then 2: "no tape"). QEMU describes the controller whether or not a drive is attached.
 */
function fdcDevice(p: Platform): number[] {
  const drives = p.floppies.slice(0, 2).map((type, unit) => {
    const formats = FD_FORMATS.filter((f) => f.drive === type);
    const maxc = Math.max(...formats.map((f) => f.tracks)) - 1;
    const maxs = Math.max(...formats.map((f) => f.sectors));
    const maxh = Math.max(...formats.map((f) => f.maxHead));
    const fdi = [unit, cmosFloppyType(type), maxc, maxs, maxh, 0xaf, 0x02, 0x25, 0x02, 0x12, 0x1b, 0xff, 0x6c, 0xf6, 0x0f, 0x08];
    return aml.device(`FLP${'AB'[unit]}`, aml.name('_ADR', aml.integer(unit)), aml.name('_FDI', aml.pkg(...fdi.map((v) => aml.integer(v)))));
  });
  const fde = [0, 0, 0, 0, 2].map((v, i) => (i < p.floppies.length && i < 2 ? 1 : v));
  // DMA descriptor (ACPI 6.4 §6.4.2.2): tag 0x2A, channel mask (channel 2), flags 0 (compatibility, 8-bit).
  const dma2 = [0x2a, 1 << 2, 0x00];
  return aml.device('FDC0', aml.name('_HID', aml.eisaId('PNP0700')),
    aml.name('_CRS', aml.resourceTemplate(aml.io(0x3f2, 0x3f2, 0x00, 0x04), aml.io(0x3f7, 0x3f7, 0x00, 0x01), aml.irqNoFlags(6), dma2)),
    ...drives,
    aml.name('_FDE', aml.buffer(fde.flatMap((v) => [v, 0, 0, 0]))));
}

/**
 * The DSDT: header + AML for \_SB.PCI0 (PCI host bridge, its resources, the ISA devices), \_SB.HPET when there is
 * one, and \_S3, \_S4, \_S5.
 */
export function buildDsdt(p: Platform): Uint8Array {
  const body = [
    ...aml.scope('\\_SB', aml.device('PCI0', aml.name('_HID', aml.eisaId('PNP0A03')), aml.name('_ADR', aml.integer(0)), aml.name('_UID', aml.integer(0)),
      aml.name('_CRS', pciRootResources(p)), isaDevices(p))),
    ...(p.hpet ? hpetDevice(p.hpet.address) : []),
    // The sleep states as QEMU's DSDT declares them for PIIX4 (SLP_TYPa, SLP_TYPb, reserved, reserved): S3 is
    // SLP_TYP 1 (suspend to RAM), S4 SLP_TYP 2 (QEMU's s4_val: the PM device powers off), S5 SLP_TYP 0 (soft off);
    // piix4-pm.ts implements all three.
    ...aml.name('\\_S3', aml.pkg(aml.integer(1), aml.integer(1), aml.integer(0), aml.integer(0))),
    ...aml.name('\\_S4', aml.pkg(aml.integer(2), aml.integer(2), aml.integer(0), aml.integer(0))),
    ...aml.name('\\_S5', aml.pkg(aml.integer(0), aml.integer(0), aml.integer(0), aml.integer(0))),
  ];
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
