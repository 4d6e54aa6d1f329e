import { IoBus } from './bus';
import { PortHandler } from './device';

/**
 * A PortHandler for byte-wide ISA registers. A 16- or 32-bit IN/OUT to such a device is split into byte
 * cycles on consecutive ports, as the ISA bus does (so `outw 0x3d4, 0x0e0f` writes index 0x0f then data 0x0e),
 * and bytes that land on ports of another device go to that device through the bus.
 */
export function bytePorts(
  bus: IoBus,
  read8: (port: number) => number,
  write8: (port: number, value: number) => void,
): PortHandler {
  return {
    read(port: number, size: number): number {
      if (size === 1) return read8(port) & 0xff;
      let v = read8(port) & 0xff;
      for (let i = 1; i < size; i++) v |= (bus.inPort(port + i, 1) & 0xff) << (8 * i);
      return v >>> 0;
    },
    write(port: number, size: number, value: number): void {
      write8(port, value & 0xff);
      for (let i = 1; i < size; i++) bus.outPort(port + i, 1, (value >>> (8 * i)) & 0xff);
    },
  };
}

/** What a read of `size` bytes that nothing answers returns: all ones (0xFFFFFFFF for 4 bytes or more). */
export function allOnes(size: number): number {
  return size >= 4 ? 0xffffffff : (1 << (8 * size)) - 1;
}

/** Reads a plain-object state field as a number, falling back when absent (older snapshots). */
export function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** Nanoseconds per second: the virtual clock runs 1 instruction = 1 ns. */
export const NS_PER_SECOND = 1_000_000_000;

/**
 * floor(ns * hz / 1e9) without losing precision for large `ns` (the product would pass 2^53 after a few
 * virtual seconds).
 */
export function nsToTicks(ns: number, hz: number): number {
  const q = Math.floor(ns / NS_PER_SECOND);
  const r = ns - q * NS_PER_SECOND;
  return q * hz + Math.floor((r * hz) / NS_PER_SECOND);
}

/** The first nanosecond at which `ticks` whole ticks of a `hz` clock have elapsed (inverse of nsToTicks). */
export function ticksToNs(ticks: number, hz: number): number {
  const q = Math.floor(ticks / hz);
  const r = ticks - q * hz;
  return q * NS_PER_SECOND + Math.ceil((r * NS_PER_SECOND) / hz);
}
