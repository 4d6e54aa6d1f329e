/**
 * The few ACPI Machine Language encodings the DSDT needs (ACPI 6.4 §20.2): name strings, package lengths,
 * Scope, Device, Name, Package, Buffer, integers, EISA IDs and the resource templates of a _CRS (§6.4). Each
 * function returns the encoded bytes.
 */

type Bytes = number[];

const SCOPE_OP = 0x10;
const NAME_OP = 0x08;
const PACKAGE_OP = 0x12;
const BUFFER_OP = 0x11;
const EXT_OP_PREFIX = 0x5b;
const DEVICE_OP = 0x82;
const ZERO_OP = 0x00;
const ONE_OP = 0x01;
const BYTE_PREFIX = 0x0a;
const WORD_PREFIX = 0x0b;
const DWORD_PREFIX = 0x0c;
const ROOT_CHAR = 0x5c;

/** "\\_SB" -> root prefix + "_SB_"; "PCI0" -> "PCI0" (single name segments, padded with '_'). */
export function nameString(name: string): Bytes {
  const out: Bytes = [];
  let s = name;
  if (s.startsWith('\\')) {
    out.push(ROOT_CHAR);
    s = s.slice(1);
  }
  if (s.length === 0 || s.length > 4 || !/^[A-Z_][A-Z0-9_]*$/.test(s)) throw new Error(`AML name segment '${s}' is not 1-4 of A-Z 0-9 _`);
  for (const c of s.padEnd(4, '_')) out.push(c.charCodeAt(0));
  return out;
}

/** PkgLength (§20.2.4): the length of the package including the PkgLength bytes themselves. */
export function pkgLength(contentLength: number): Bytes {
  if (contentLength + 1 < 0x40) return [contentLength + 1];
  for (let extra = 1; extra <= 3; extra++) {
    const total = contentLength + 1 + extra;
    if (total < 1 << (4 + 8 * extra)) {
      const out = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) out.push((total >> (4 + 8 * i)) & 0xff);
      return out;
    }
  }
  throw new Error(`AML package of ${contentLength} bytes is too long`);
}

export function integer(v: number): Bytes {
  if (v === 0) return [ZERO_OP];
  if (v === 1) return [ONE_OP];
  if (v <= 0xff) return [BYTE_PREFIX, v];
  if (v <= 0xffff) return [WORD_PREFIX, v & 0xff, v >> 8];
  return [DWORD_PREFIX, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** EisaId("PNP0A03"): three compressed letters and four hex digits, as a DWord constant (always 0x0C form). */
export function eisaId(id: string): Bytes {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new Error(`EISA ID '${id}' is not three letters and four hex digits`);
  const l = (i: number) => id.charCodeAt(i) - 0x40;
  const hi = (l(0) << 10) | (l(1) << 5) | l(2);
  const digits = parseInt(id.slice(3), 16);
  const v = ((hi >> 8) & 0xff) | ((hi & 0xff) << 8) | (((digits >> 8) & 0xff) << 16) | ((digits & 0xff) << 24);
  return [DWORD_PREFIX, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

export function name(n: string, value: Bytes): Bytes {
  return [NAME_OP, ...nameString(n), ...value];
}

export function scope(n: string, ...body: Bytes[]): Bytes {
  const content = [...nameString(n), ...body.flat()];
  return [SCOPE_OP, ...pkgLength(content.length), ...content];
}

export function device(n: string, ...body: Bytes[]): Bytes {
  const content = [...nameString(n), ...body.flat()];
  return [EXT_OP_PREFIX, DEVICE_OP, ...pkgLength(content.length), ...content];
}

export function pkg(...elements: Bytes[]): Bytes {
  const content = [elements.length, ...elements.flat()];
  return [PACKAGE_OP, ...pkgLength(content.length), ...content];
}

/** Buffer(n) { bytes }: the size as an integer, then the bytes. */
export function buffer(bytes: Bytes): Bytes {
  const content = [...integer(bytes.length), ...bytes];
  return [BUFFER_OP, ...pkgLength(content.length), ...content];
}

/**
 * ResourceTemplate() { descriptors }: the descriptors and the end tag (§6.4.2.9, checksum 0 = "treat as
 * correct", as ASL compilers and QEMU's aml_resource_template write it).
 */
export function resourceTemplate(...descriptors: Bytes[]): Bytes {
  return buffer([...descriptors.flat(), 0x79, 0x00]);
}

/** Memory32Fixed(ReadOnly or ReadWrite, base, length) (§6.4.3.4, large resource 0x86). */
export function memory32Fixed(writable: boolean, base: number, length: number): Bytes {
  const u32 = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
  return [0x86, 9, 0, writable ? 1 : 0, ...u32(base), ...u32(length)];
}
