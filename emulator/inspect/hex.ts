/** Hex formatting shared by the inspection decoders: "0x1f" for values, zero-padded "0x00cf9a000000ffff" for raw qwords. */
export function hx(v: number | bigint): string {
  return '0x' + v.toString(16);
}

export function rawQword(v: bigint): string {
  return '0x' + v.toString(16).padStart(16, '0');
}

/** Little-endian u64 at `off` of `b`. */
export function le64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

export function le32(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

export function le16(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(off, true);
}

/** The raw bytes as little-endian qwords. */
export function rawQwords(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i + 8 <= b.length; i += 8) out.push(rawQword(le64(b, i)));
  return out;
}

/** True if the 64-bit linear address is canonical for 48-bit (or 57-bit) virtual addresses (SDM §3.3.7.1). */
export function isCanonical(v: bigint, vaBits = 48): boolean {
  const top = v >> BigInt(vaBits - 1);
  return top === 0n || top === (1n << BigInt(65 - vaBits)) - 1n;
}
