import { Platform } from './platform';

/**
 * The BIOS memory map (INT 15h E820) of QEMU's `pc` machine with SeaBIOS, as a kernel reads it from the
 * multiboot memory map. Recorded under QEMU 7.2 + Debian's SeaBIOS 1.16 (fixtures/golden/lowmem-probe*):
 *   0 .. 0x9fc00 RAM · 0x9fc00 .. 0xa0000 reserved (EBDA) · 0xf0000 .. 0x100000 reserved (BIOS)
 *   1 MiB .. top - 128 KiB RAM · top - 128 KiB .. top reserved (SeaBIOS's high tables: ACPI)
 *   0xfffc0000 .. 4 GiB reserved (the BIOS ROM) · with an AMD CPU: 0xfd00000000 .. 0x10000000000 reserved
 *   (QEMU's HyperTransport hole, pc.c: advertised when the vCPU is AMD with >= 40 physical address bits).
 */

export const E820_RAM = 1;
export const E820_RESERVED = 2;

export interface MemoryRegion {
  base: number;
  length: number;
  type: number;
}

const MiB = 0x100000;
/** Start of the extended BIOS data area: the last KiB of conventional memory. */
export const EBDA_BASE = 0x9fc00;
export const EBDA_SIZE = 0x400;
/** SeaBIOS keeps its high tables (the ACPI tables) in the top 128 KiB of RAM below 4 GiB and reserves it. */
export const HIGH_TABLES_SIZE = 0x20000;

/**
 * RAM below 4 GiB. QEMU's pc keeps all RAM below 4 GiB up to 3.5 GiB; beyond that it puts 3 GiB below and the
 * rest above 4 GiB. Faultline's RAM is one block without the hole, so above 3.5 GiB only the first 3 GiB
 * are reported (the map never offers the MMIO range 0xc0000000-4 GiB as RAM).
 */
export function lowRamTop(ramSize: number): number {
  return ramSize >= 0xe0000000 ? 0xc0000000 : ramSize;
}

/** Start of the reserved high-tables zone (where the ACPI tables go). */
export function highTablesBase(ramSize: number): number {
  return lowRamTop(ramSize) - HIGH_TABLES_SIZE;
}

export function e820Map(p: Pick<Platform, 'ramSize' | 'amdHtHole'>): MemoryRegion[] {
  const high = highTablesBase(p.ramSize);
  const map: MemoryRegion[] = [
    { base: 0, length: EBDA_BASE, type: E820_RAM },
    { base: EBDA_BASE, length: EBDA_SIZE, type: E820_RESERVED },
    { base: 0xf0000, length: 0x10000, type: E820_RESERVED },
  ];
  if (high > MiB) map.push({ base: MiB, length: high - MiB, type: E820_RAM });
  map.push({ base: high, length: HIGH_TABLES_SIZE, type: E820_RESERVED });
  map.push({ base: 0xfffc0000, length: 0x40000, type: E820_RESERVED });
  if (p.amdHtHole) map.push({ base: 0xfd_0000_0000, length: 0x3_0000_0000, type: E820_RESERVED });
  return map;
}

/** mem_lower / mem_upper in KiB (multiboot): 639, and the RAM contiguous from 1 MiB. */
export function basicMemory(ramSize: number): { lower: number; upper: number } {
  return { lower: EBDA_BASE / 1024, upper: Math.max(0, highTablesBase(ramSize) - MiB) / 1024 };
}
