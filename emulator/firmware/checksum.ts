/** The byte that makes the 8-bit sum of `bytes[start, start+length)` zero (ACPI, MP spec, SMBIOS checksums). */
export function checksumByte(bytes: Uint8Array, start = 0, length = bytes.length - start): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum = (sum + bytes[i]) & 0xff;
  return (0x100 - sum) & 0xff;
}

/** 8-bit sum of a range (0 when the range's checksum is right). */
export function byteSum(bytes: Uint8Array, start = 0, length = bytes.length - start): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum = (sum + bytes[i]) & 0xff;
  return sum;
}

/** Write an ASCII string into `bytes` at `at`, padded with `pad` to `width`. */
export function putAscii(bytes: Uint8Array, at: number, s: string, width = s.length, pad = 0x20): void {
  for (let i = 0; i < width; i++) bytes[at + i] = i < s.length ? s.charCodeAt(i) & 0x7f : pad;
}
