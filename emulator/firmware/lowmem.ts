import { PhysicalMemory } from '../memory/phys';
import { ACPI_RSDP_FILE, RSDP_ADDRESS, buildAcpi } from './acpi';
import { BDA_BASE, buildBda, buildEbda } from './bda';
import { EBDA_BASE, MemoryRegion, e820Map, highTablesBase } from './e820';
import { buildMpTables } from './mptable';
import { Platform } from './platform';
import { runTableLoader } from './table-loader';

/**
 * What the firmware leaves in memory for a kernel booted directly (`--firmware none`): everything a kernel
 * finds under `qemu -kernel` after SeaBIOS ran -- the BDA, the EBDA, the MP floating pointer and
 * configuration table in the F segment, the ACPI RSDP in the F segment and the other ACPI tables in the
 * reserved top 128 KiB of RAM -- at the addresses SeaBIOS 1.16 uses under QEMU 7.2. Returns the e820 map for
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
}

export interface LowMemoryOptions {
  /** Seconds since midnight on the RTC at boot (BDA timer ticks). */
  secondsOfDay: number;
}

export function installLowMemory(phys: PhysicalMemory, p: Platform, o: LowMemoryOptions): LowMemory {
  phys.load(BDA_BASE, buildBda(p, { secondsOfDay: o.secondsOfDay }));
  phys.load(EBDA_BASE, buildEbda());

  const mp = buildMpTables(p);
  phys.load(mp.address, mp.floating);
  phys.load(mp.address + 16, mp.config);

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
  return { e820: e820Map(p), rsdpAddress: rsdp.address, rsdp: rsdp.bytes, mpAddress: mp.address, acpiTables };
}
