import type { PhysicalMemory } from './phys';

/**
 * A device's own accesses to guest physical memory (fw_cfg DMA, IDE bus mastering): what a bus master reads and
 * writes, not the CPU. Writes into RAM go through PhysicalMemory.load, so they mark the pages dirty for the
 * history and drop decoded code they overlap, as the CPU's stores do; anything else (the BIOS area's shadow RAM,
 * MMIO) goes through the bus a byte at a time.
 *
 * Public API: writePhysical, readPhysical.
 */

/** Write `bytes` at physical `addr`. False (nothing written) if the range runs past 4 GiB. */
export function writePhysical(phys: PhysicalMemory, addr: number, bytes: Uint8Array): boolean {
  if (addr + bytes.length > 2 ** 32) return false;
  if (phys.isRam(addr, bytes.length)) phys.load(addr, bytes);
  else for (let k = 0; k < bytes.length; k++) phys.write8(addr + k, bytes[k]);
  return true;
}

/** `len` bytes from physical `addr` (RAM, ROM or MMIO as the CPU would read them; nothing there reads as 0xFF). */
export function readPhysical(phys: PhysicalMemory, addr: number, len: number): Uint8Array {
  return phys.slice(addr, len);
}
