import { IoBus } from '../../emulator/devices/bus';
import { PhysicalMemory } from '../../emulator/memory/phys';

export function ram(mib = 16): PhysicalMemory {
  return new PhysicalMemory(mib * 1024 * 1024, new IoBus());
}

export function u32(phys: PhysicalMemory, addr: number): number {
  return phys.read(addr, 4);
}

export function u64(phys: PhysicalMemory, addr: number): number {
  return phys.read(addr, 4) + phys.read(addr + 4, 4) * 0x1_0000_0000;
}

export function cstring(phys: PhysicalMemory, addr: number): string {
  let s = '';
  for (let c = phys.read8(addr); c !== 0; c = phys.read8(++addr)) s += String.fromCharCode(c);
  return s;
}

/** The flat GDT entries the entry state points at, as raw qwords. */
export function gdtQwords(phys: PhysicalMemory, base: number, limit: number): bigint[] {
  const out: bigint[] = [];
  for (let p = base; p < base + limit; p += 8) out.push(BigInt(u32(phys, p)) | (BigInt(u32(phys, p + 4)) << 32n));
  return out;
}
