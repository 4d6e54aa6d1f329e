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

/** Node's Buffer where there is one (its base64 is native and fast for VRAM and disk snapshots). */
const NodeBuffer = (globalThis as { Buffer?: { from(a: Uint8Array | string, enc?: string): Uint8Array & { toString(enc: string): string } } }).Buffer;

/** RFC 4648 base64 of the bytes. */
export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes).toString('base64');
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

/** Where `needle` first occurs in `hay` at or after `from`, or -1 (Buffer.indexOf without Buffer). */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const n = needle.length;
  if (n === 0) return from <= hay.length ? from : -1;
  const first = needle[0], last = hay.length - n;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    let k = 1;
    while (k < n && hay[i + k] === needle[k]) k++;
    if (k === n) return i;
  }
  return -1;
}

/**
 * The same bytes as a plain Uint8Array, without copying (a file's contents from fs.readFileSync: a Buffer, whose
 * slice() shares memory where a Uint8Array's copies). ROM images are a quarter of a megabyte; copying each on
 * every start touched that much fresh memory again.
 */
export function bytesOf(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
