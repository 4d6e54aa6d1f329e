/**
 * Byte/text conversions without Node's Buffer, so the emulator and the debug adapter also run where there is
 * no Node (VS Code for the Web's worker extension host): Latin-1 and UTF-8 text, base64, hex. Latin-1
 * encoding keeps each character's low 8 bits, as Buffer.from(s, 'latin1') does.
 */

const utf8 = new TextDecoder('utf-8');

/** The string's characters as bytes (low 8 bits of each UTF-16 code unit), plus a NUL when `nul` is set. */
export function latin1Bytes(s: string, nul = false): Uint8Array {
  const out = new Uint8Array(s.length + (nul ? 1 : 0));
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Bytes as Latin-1 text (one character per byte). */
export function latin1Text(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x2000) {
    s += String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, i, i + 0x2000) as number[]);
  }
  return s;
}

/** UTF-8 bytes as text (malformed sequences become U+FFFD). */
export function utf8Text(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** RFC 4648 base64 of the bytes. */
export function toBase64(bytes: Uint8Array): string {
  return btoa(latin1Text(bytes));
}

/** The bytes of a base64 string; whitespace is ignored; throws on characters outside the alphabet. */
export function fromBase64(text: string): Uint8Array {
  return latin1Bytes(atob(text.replace(/[\s]/g, '')));
}

/** Lower-case hex of the bytes. */
export function toHexString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}
