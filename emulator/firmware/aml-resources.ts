/**
 * ACPI resource descriptors (ACPI 6.4 §6.4) for _CRS and _PRS, as QEMU's aml-build.c encodes them: address-space
 * descriptors with fixed minimum and maximum, positive decode, producer (general flags 0x0c), no translation,
 * granularity 0. aml.ts's resourceTemplate wraps them in a Buffer with the end tag.
 */

import { Bytes, join } from './aml-bytes';

/** `v` as `n` little-endian bytes (up to 8: values above 2^32 are exact doubles, so no 32-bit shifts). */
function le(v: number, n: number): Bytes {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(v / 2 ** (8 * i)) % 256;
  return out;
}
const GENERAL_FLAGS = 0x0c;

/** IO (Decode16, min, max, alignment, length): the small I/O port descriptor. */
export function io(min: number, max: number, align: number, length: number): Bytes {
  return join(0x47, 0x01, le(min, 2), le(max, 2), align, length);
}

function wordAddressSpace(type: number, typeFlags: number, min: number, max: number): Bytes {
  return join(0x88, 0x0d, 0x00, type, GENERAL_FLAGS, typeFlags, le(0, 2), le(min, 2), le(max, 2), le(0, 2), le(max - min + 1, 2));
}

/** WordBusNumber (MinFixed, MaxFixed, PosDecode) over [min, max]. */
export function wordBusNumber(min: number, max: number): Bytes {
  return wordAddressSpace(2, 0x00, min, max);
}

/** WordIO (MinFixed, MaxFixed, PosDecode, EntireRange) over [min, max]. */
export function wordIo(min: number, max: number): Bytes {
  return wordAddressSpace(1, 0x03, min, max);
}

/** DWordMemory / QWordMemory (MinFixed, MaxFixed, PosDecode, ReadWrite, cacheable or not) over [min, max]. */
export function memoryRange(min: number, max: number, cacheable: boolean): Bytes {
  const typeFlags = (cacheable ? 1 << 1 : 0) | 1;
  if (max < 2 ** 32) return join(0x87, 0x17, 0x00, 0, GENERAL_FLAGS, typeFlags, le(0, 4), le(min, 4), le(max, 4), le(0, 4), le(max - min + 1, 4));
  return join(0x8a, 0x2b, 0x00, 0, GENERAL_FLAGS, typeFlags, le(0, 8), le(min, 8), le(max, 8), le(0, 8), le(max - min + 1, 8));
}

/** IRQNoFlags () {irq}: the small IRQ descriptor without its information byte (edge, active high, exclusive). */
export function irqNoFlags(irq: number): Bytes {
  return join(0x22, le(1 << irq, 2));
}

/**
 * Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) {irqs} (§6.4.3.6, large resource 0x89): what QEMU's
 * PCI interrupt links declare. Flags: bit 0 consumer, bit 1 edge (0: level), bit 2 active low, bit 3 shared.
 */
export function interruptLevelShared(irqs: number[]): Bytes {
  return join(0x89, le(2 + 4 * irqs.length, 2), 0x09, irqs.length, ...irqs.map((i) => le(i, 4)));
}

/** DMA (Compatibility, NotBusMaster, Transfer8) {channel} (§6.4.2.2). */
export function dma8(channel: number): Bytes {
  return [0x2a, 1 << channel, 0x00];
}

/** Memory32Fixed(ReadOnly or ReadWrite, base, length) (§6.4.3.4, large resource 0x86). */
export function memory32Fixed(writable: boolean, base: number, length: number): Bytes {
  return join(0x86, 9, 0, writable ? 1 : 0, le(base, 4), le(length, 4));
}
