/**
 * The few ACPI Machine Language encodings the DSDT needs (ACPI 6.4 §20.2): name strings, package lengths,
 * Scope, Device, Name, Package, Buffer, integers, EISA IDs, the resource templates of a _CRS (§6.4: I/O ports,
 * IRQs, bus/I/O/memory address spaces, fixed memory), and for QEMU's HPET _STA an OperationRegion, a Field, a
 * Method with Store, ShiftRight, If, LOr, LEqual, LGreater and Return. Each function returns the encoded bytes.
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

// Resource descriptors (ACPI 6.4 §6.4), as QEMU's aml-build.c encodes them: address-space descriptors with
// fixed minimum and maximum, positive decode, producer (general flags 0x0c), no translation, granularity 0.
const le = (v: number, n: number): Bytes => Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * i)) % 256);
const GENERAL_FLAGS = 0x0c;

/** IO (Decode16, min, max, alignment, length): the small I/O port descriptor. */
export function io(min: number, max: number, align: number, length: number): Bytes {
  return [0x47, 0x01, ...le(min, 2), ...le(max, 2), align, length];
}

function wordAddressSpace(type: number, typeFlags: number, min: number, max: number): Bytes {
  return [0x88, 0x0d, 0x00, type, GENERAL_FLAGS, typeFlags, ...le(0, 2), ...le(min, 2), ...le(max, 2), ...le(0, 2), ...le(max - min + 1, 2)];
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
  if (max < 2 ** 32) return [0x87, 0x17, 0x00, 0, GENERAL_FLAGS, typeFlags, ...le(0, 4), ...le(min, 4), ...le(max, 4), ...le(0, 4), ...le(max - min + 1, 4)];
  return [0x8a, 0x2b, 0x00, 0, GENERAL_FLAGS, typeFlags, ...le(0, 8), ...le(min, 8), ...le(max, 8), ...le(0, 8), ...le(max - min + 1, 8)];
}

/** IRQNoFlags () {irq}: the small IRQ descriptor without its information byte (edge, active high, exclusive). */
export function irqNoFlags(irq: number): Bytes {
  return [0x22, ...le(1 << irq, 2)];
}

/** Memory32Fixed(ReadOnly or ReadWrite, base, length) (§6.4.3.4, large resource 0x86). */
export function memory32Fixed(writable: boolean, base: number, length: number): Bytes {
  const u32 = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
  return [0x86, 9, 0, writable ? 1 : 0, ...u32(base), ...u32(length)];
}

const OP_REGION_OP = 0x80;
const FIELD_OP = 0x81;
const METHOD_OP = 0x14;
const STORE_OP = 0x70;
const SHIFT_RIGHT_OP = 0x7a;
const IF_OP = 0xa0;
const RETURN_OP = 0xa4;
const LOR_OP = 0x91;
const LEQUAL_OP = 0x93;
const LGREATER_OP = 0x94;
const LOCAL0_OP = 0x60;

/** OperationRegion(name, SystemMemory, offset, length) (§19.6.100; region space 0 = SystemMemory). */
export function systemMemoryRegion(n: string, offset: number, length: number): Bytes {
  return [EXT_OP_PREFIX, OP_REGION_OP, ...nameString(n), 0x00, ...integer(offset), ...integer(length)];
}

/**
 * Field(region, DWordAcc, Lock, Preserve) { name, bits, ... } (§19.6.48): field flags 0x13 (access type 3 =
 * DWord, lock rule 1, update rule 0 = Preserve); each unit a 4-character name and its width in bits.
 */
export function dwordLockedField(region: string, units: [string, number][]): Bytes {
  const list = units.flatMap(([n, bits]) => [...nameString(n), ...fieldLength(bits)]);
  const content = [...nameString(region), 0x13, ...list];
  return [EXT_OP_PREFIX, FIELD_OP, ...pkgLength(content.length), ...content];
}

/** A named field's width: a PkgLength-encoded bit count (not counting itself, unlike a package's length). */
function fieldLength(bits: number): Bytes {
  if (bits < 0x40) return [bits];
  if (bits >= 1 << 12) throw new Error(`AML field of ${bits} bits is too wide`);
  return [(1 << 6) | (bits & 0x0f), (bits >> 4) & 0xff];
}

/** Method(name, 0, NotSerialized) { body } (§19.6.85). */
export function method(n: string, ...body: Bytes[]): Bytes {
  const content = [...nameString(n), 0x00, ...body.flat()];
  return [METHOD_OP, ...pkgLength(content.length), ...content];
}

/** LocalN (0-7). */
export function local(i: number): Bytes {
  return [LOCAL0_OP + i];
}

/** A reference to a named object (its value when used as an operand). */
export function ref(n: string): Bytes {
  return nameString(n);
}

export function store(value: Bytes, target: Bytes): Bytes {
  return [STORE_OP, ...value, ...target];
}

export function shiftRight(value: Bytes, count: Bytes, target: Bytes): Bytes {
  return [SHIFT_RIGHT_OP, ...value, ...count, ...target];
}

export function lor(a: Bytes, b: Bytes): Bytes {
  return [LOR_OP, ...a, ...b];
}

export function lequal(a: Bytes, b: Bytes): Bytes {
  return [LEQUAL_OP, ...a, ...b];
}

export function lgreater(a: Bytes, b: Bytes): Bytes {
  return [LGREATER_OP, ...a, ...b];
}

/** If (predicate) { body } (§19.6.60). */
export function ifThen(predicate: Bytes, ...body: Bytes[]): Bytes {
  const content = [...predicate, ...body.flat()];
  return [IF_OP, ...pkgLength(content.length), ...content];
}

export function ret(value: Bytes): Bytes {
  return [RETURN_OP, ...value];
}
