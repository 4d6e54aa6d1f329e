import { PhysicalMemory } from '../memory/phys';
import { ACPI_RSDP_FILE, RSDP_ADDRESS, buildAcpi } from './acpi';
import { SMBIOS_ENTRY_ADDRESS, SMBIOS_TABLE_ADDRESS, buildSmbios } from './smbios';
import { BIOS32_DIRECTORY_ADDRESS, PIR_ADDRESS, buildBios32Directory, buildPirTable } from './pci-bios';
import { PM_BIOS_ADDRESS, PM_BIOS_CODE } from './pm-bios';
import { BDA_BASE, buildBda, buildEbda } from './bda';
import { EBDA_BASE, MemoryRegion, e820Map, highTablesBase } from './e820';
import { buildMpTables } from './mptable';
import { Platform } from './platform';
import { runTableLoader } from './table-loader';

/**
 * What the firmware leaves in memory for a kernel booted directly (`--firmware none`): everything a kernel
 * finds under `qemu -kernel` after SeaBIOS ran -- the BDA, the EBDA, the MP floating pointer and
 * configuration table in the F segment, the ACPI RSDP in the F segment and the other ACPI tables in the
 * reserved top 128 KiB of RAM, the 32-bit APM, BIOS32 and PCI BIOS interfaces and the PCI IRQ routing table
 * ($PIR) -- at the addresses SeaBIOS 1.16 uses under QEMU 7.2. Returns the e820 map for
 * the multiboot memory map and the RSDP for the multiboot2 ACPI tags.
 */

export interface LowMemory {
  e820: MemoryRegion[];
  rsdpAddress: number;
  /** The RSDP as placed (checksummed, RSDT address patched). */
  rsdp: Uint8Array;
  mpAddress: number;
  /** Address of each ACPI table by signature. */
  acpiTables: Map<string, number>;
  /** The APM BIOS interface (multiboot2 tag 10), as INT 15h AX=5300h/5303h would report it. */
  apm: ApmInfo;
}

/** The fields of the multiboot2 APM tag (GRUB copies them from the BIOS's APM installation check and connect). */
export interface ApmInfo {
  version: number;
  cseg: number;
  offset: number;
  cseg16: number;
  dseg: number;
  /** Bit 0: 16-bit protected-mode interface supported; bit 1: 32-bit. */
  flags: number;
  csegLen: number;
  cseg16Len: number;
  dsegLen: number;
}

/**
 * Faultline's APM 1.2 32-bit protected-mode interface (apm32.inc in pm-bios.asm) at SeaBIOS's f000:d198. Only the 32-bit
 * interface exists (flags 0x2; SeaBIOS also has the 16-bit one: 0x3).
 */
export const APM: ApmInfo = {
  version: 0x0102, cseg: 0xf000, offset: 0xd198, cseg16: 0xf000, dseg: 0xf000, flags: 0x0002,
  csegLen: 0xfff0, cseg16Len: 0xfff0, dsegLen: 0xfff0,
};

export interface LowMemoryOptions {
  /** Seconds since midnight on the RTC at boot (BDA timer ticks). */
  secondsOfDay: number;
}

export function installLowMemory(phys: PhysicalMemory, p: Platform, o: LowMemoryOptions): LowMemory {
  phys.load(BDA_BASE, buildBda(p, { secondsOfDay: o.secondsOfDay }));
  phys.load(EBDA_BASE, buildEbda());

  phys.load(PM_BIOS_ADDRESS, PM_BIOS_CODE);
  phys.load(BIOS32_DIRECTORY_ADDRESS, buildBios32Directory());
  phys.load(PIR_ADDRESS, buildPirTable());

  const mp = buildMpTables(p);
  phys.load(mp.address, mp.floating);
  phys.load(mp.address + 16, mp.config);

  const smbios = buildSmbios(p);
  phys.load(SMBIOS_ENTRY_ADDRESS, smbios.entry);
  phys.load(SMBIOS_TABLE_ADDRESS, smbios.table);

  const acpi = buildAcpi(p);
  let high = highTablesBase(p.ramSize);
  const placed = runTableLoader(acpi, (size, align, zone) => {
    if (zone === 'fseg') return RSDP_ADDRESS;
    const at = Math.ceil(high / align) * align;
    high = at + size;
    return at;
  });
  for (const { address, bytes } of placed.values()) phys.load(address, bytes);
  const tablesAt = placed.get('etc/acpi/tables')!.address;
  const acpiTables = new Map<string, number>();
  for (const [sig, off] of acpi.offsets) acpiTables.set(sig, tablesAt + off);
  const rsdp = placed.get(ACPI_RSDP_FILE)!;
  return { e820: e820Map(p), rsdpAddress: rsdp.address, rsdp: rsdp.bytes, mpAddress: mp.address, acpiTables, apm: APM };
}
