/**
 * ACPI Machine Language encodings (ACPI 6.4 §20.2), the subset QEMU's hw/acpi/aml-build.c emits for the `pc`
 * DSDT, encoded as aml-build.c encodes them (so equal ASL gives equal bytes): name strings and paths, package
 * lengths, integers, strings, the named objects (Scope, Device, Name, Method, Mutex, OperationRegion, Field,
 * Processor, CreateDWordField), packages and buffers, control flow (If/Else, While, Break, Return), and the
 * expression opcodes the DSDT's methods use. Resource descriptors are in aml-resources.ts (re-exported here).
 * Each function returns the encoded bytes; `Bytes` operands are already-encoded terms.
 */

export * from './aml-resources';
export { join } from './aml-bytes';
import { Bytes, join } from './aml-bytes';
export type { Bytes } from './aml-bytes';

const EXT = 0x5b;
const ROOT_CHAR = 0x5c;
const DUAL_NAME = 0x2e;
const MULTI_NAME = 0x2f;
const NULL_NAME = 0x00;

/**
 * A NameString (§20.2.2): "\\" alone is the root; a leading "\\" is the root prefix; segments are joined by
 * "." and padded with '_' ("\\_SB.PCI0" -> 5C 2E "_SB_" "PCI0"; "PCI0.S08.P40C" -> 2F 03 ...).
 */
export function nameString(path: string): Bytes {
  let known = NAME_STRINGS.get(path);
  if (known === undefined) {
    known = encodeNameString(path);
    NAME_STRINGS.set(path, known);
  }
  return known.slice();
}

/** Encoded name strings by path: a DSDT names the same few hundred paths again and again, on every boot. */
const NAME_STRINGS = new Map<string, Bytes>();

function encodeNameString(path: string): Bytes {
  const out: Bytes = [];
  let s = path;
  if (s.startsWith('\\')) {
    out.push(ROOT_CHAR);
    s = s.slice(1);
    if (s.length === 0) return [ROOT_CHAR, NULL_NAME];
  }
  const segs = s.split('.');
  for (const seg of segs) {
    if (seg.length === 0 || seg.length > 4 || !/^[A-Z_][A-Z0-9_]*$/.test(seg)) throw new Error(`AML name segment '${seg}' is not 1-4 of A-Z 0-9 _`);
  }
  if (segs.length === 2) out.push(DUAL_NAME);
  else if (segs.length > 2) out.push(MULTI_NAME, segs.length);
  for (const seg of segs) for (const c of seg.padEnd(4, '_')) out.push(c.charCodeAt(0));
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

/** opcode(s), PkgLength, content (`head` then `body`): the shape of every variable-length term. */
function withPkg(op: Bytes, head: (number | Bytes)[], body: Bytes[]): Bytes {
  let n = 0;
  for (let i = 0; i < head.length; i++) { const h = head[i]; n += typeof h === 'number' ? 1 : h.length; }
  for (let i = 0; i < body.length; i++) n += body[i].length;
  return join(op, pkgLength(n), ...head, ...body);
}

/** Zero, One, or the smallest of Byte/Word/DWord constant (aml_int; the DSDT needs nothing wider). */
export function integer(v: number): Bytes {
  if (v === 0) return [0x00];
  if (v === 1) return [0x01];
  if (v <= 0xff) return [0x0a, v];
  if (v <= 0xffff) return [0x0b, v & 0xff, v >> 8];
  return [0x0c, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** A String constant (StringPrefix, ASCII, NUL). */
export function string(s: string): Bytes {
  const out = new Array<number>(s.length + 2);
  out[0] = 0x0d;
  for (let i = 0; i < s.length; i++) out[i + 1] = s.charCodeAt(i);
  out[s.length + 1] = 0x00;
  return out;
}

/** EisaId("PNP0A03"): three compressed letters and four hex digits, as a DWord constant (always 0x0C form). */
export function eisaId(id: string): Bytes {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new Error(`EISA ID '${id}' is not three letters and four hex digits`);
  const l = (i: number) => id.charCodeAt(i) - 0x40;
  const hi = (l(0) << 10) | (l(1) << 5) | l(2);
  const digits = parseInt(id.slice(3), 16);
  const v = ((hi >> 8) & 0xff) | ((hi & 0xff) << 8) | (((digits >> 8) & 0xff) << 16) | ((digits & 0xff) << 24);
  return [0x0c, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** ToUUID("..."): the 16-byte buffer in the mixed-endian order of ACPI §19.6.143. */
export function uuid(text: string): Bytes {
  const h = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw new Error(`UUID '${text}' is not 32 hex digits`);
  const byte = (i: number) => parseInt(h.slice(2 * i, 2 * i + 2), 16);
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return buffer(order.map(byte));
}

// ------------------------------------------------------------------------------------------ named objects

export function name(n: string, value: Bytes): Bytes {
  return join(0x08, nameString(n), value);
}

export function scope(n: string, ...body: Bytes[]): Bytes {
  return withPkg([0x10], [nameString(n)], body);
}

export function device(n: string, ...body: Bytes[]): Bytes {
  return withPkg([EXT, 0x82], [nameString(n)], body);
}

/** Method(name, argCount, Serialized or NotSerialized) { body } (§19.6.85). */
export function method(n: string, argCount: number, serialized: boolean, ...body: Bytes[]): Bytes {
  return withPkg([0x14], [nameString(n), argCount | (serialized ? 8 : 0)], body);
}

/** Mutex(name, SyncLevel). */
export function mutex(n: string, syncLevel: number): Bytes {
  return join(EXT, 0x01, nameString(n), syncLevel);
}

/** Processor(name, ProcessorID, PBlockAddress, PBlockLength) { body } (ACPI 1.0 style, as QEMU's pc uses). */
export function processor(n: string, id: number, pblk: number, pblkLength: number, ...body: Bytes[]): Bytes {
  return withPkg([EXT, 0x83], [nameString(n), id, pblk & 0xff, (pblk >>> 8) & 0xff, (pblk >>> 16) & 0xff, (pblk >>> 24) & 0xff, pblkLength], body);
}

export const enum RegionSpace { SystemMemory = 0, SystemIO = 1, PciConfig = 2 }

/** OperationRegion(name, space, offset, length) (§19.6.100). */
export function operationRegion(n: string, space: RegionSpace, offset: number, length: number): Bytes {
  return join(EXT, 0x80, nameString(n), space, integer(offset), integer(length));
}

export const enum FieldAccess { Any = 0, Byte = 1, Word = 2, DWord = 3 }
export const enum FieldUpdate { Preserve = 0, WriteAsOnes = 1, WriteAsZeros = 2 }

/** A Field unit: a 1-4 character name and its width in bits, or '' for reserved bits (ASL Offset()). */
export type FieldUnit = [string, number];

/** Field(region, access, Lock or NoLock, update) { units } (§19.6.48). */
export function field(region: string, access: FieldAccess, lock: boolean, update: FieldUpdate, units: FieldUnit[]): Bytes {
  const head: (number | Bytes)[] = [nameString(region), access | (lock ? 0x10 : 0) | (update << 5)];
  for (const [n, bits] of units) head.push(n === '' ? 0x00 : nameString(n), fieldLength(bits));
  return withPkg([EXT, 0x81], head, []);
}

/** A field unit's width: a PkgLength-encoded bit count (not counting itself, unlike a package's length). */
function fieldLength(bits: number): Bytes {
  if (bits < 0x40) return [bits];
  if (bits >= 1 << 12) throw new Error(`AML field of ${bits} bits is too wide`);
  return [(1 << 6) | (bits & 0x0f), (bits >> 4) & 0xff];
}

/** CreateDWordField(source, byteIndex, name). */
export function createDWordField(source: Bytes, byteIndex: Bytes, n: string): Bytes {
  return join(0x8a, source, byteIndex, nameString(n));
}

// -------------------------------------------------------------------------------- data objects

/** Package(n) { elements }; with `count` larger than the elements given, the rest are uninitialised. */
export function pkg(...elements: Bytes[]): Bytes {
  return sizedPkg(elements.length, ...elements);
}

export function sizedPkg(count: number, ...elements: Bytes[]): Bytes {
  return withPkg([0x12], [count], elements);
}

/** Buffer(n) { bytes }: the size as an integer, then the bytes. */
export function buffer(bytes: Bytes): Bytes {
  return withPkg([0x11], [integer(bytes.length)], [bytes]);
}

/**
 * ResourceTemplate() { descriptors } (aml-resources.ts): a Buffer of the descriptors and the end tag (§6.4.2.9,
 * checksum 0 = "treat as correct", as ASL compilers and QEMU's aml_resource_template write it).
 */
export function resourceTemplate(...descriptors: Bytes[]): Bytes {
  return buffer(join(...descriptors, [0x79, 0x00]));
}

// ----------------------------------------------------------------------------- terms and control flow

/** LocalN (0-7), ArgN (0-6), Debug. */
export const local = (i: number): Bytes => [0x60 + i];
export const arg = (i: number): Bytes => [0x68 + i];
export const debugObj: Bytes = [EXT, 0x31];

/** A reference to a named object (its value when used as an operand). */
export const ref = (n: string): Bytes => nameString(n);

/** A method call: the method's name, then its arguments. */
export const call = (n: string, ...args: Bytes[]): Bytes => join(nameString(n), ...args);

/** If (predicate) { body } (§19.6.60) and Else { body }. */
export const ifThen = (predicate: Bytes, ...body: Bytes[]): Bytes => withPkg([0xa0], [predicate], body);
export const orElse = (...body: Bytes[]): Bytes => withPkg([0xa1], [], body);
export const whileDo = (predicate: Bytes, ...body: Bytes[]): Bytes => withPkg([0xa2], [predicate], body);
export const breakOut: Bytes = [0xa5];
export const ret = (value: Bytes): Bytes => join(0xa4, value);

export const store = (value: Bytes, target: Bytes): Bytes => join(0x70, value, target);
export const notify = (object: Bytes, value: Bytes): Bytes => join(0x86, object, value);
export const acquire = (mutexName: string, timeout: number): Bytes => join(EXT, 0x23, nameString(mutexName), timeout & 0xff, timeout >> 8);
export const release = (mutexName: string): Bytes => join(EXT, 0x27, nameString(mutexName));
export const increment = (t: Bytes): Bytes => join(0x75, t);

// Operators with a result target (NullName when the result is only the operator's value).
const binary = (op: number) => (a: Bytes, b: Bytes, target: Bytes = [NULL_NAME]): Bytes => join(op, a, b, target);
export const add = binary(0x72);
export const subtract = binary(0x74);
export const shiftLeft = binary(0x79);
export const shiftRight = binary(0x7a);
export const and = binary(0x7b);
export const or = binary(0x7d);
/** Index(object, index): a reference to an element (ASL `obj[i]`). */
export const index = binary(0x88);
export const toBuffer = (v: Bytes, target: Bytes): Bytes => join(0x96, v, target);
export const toHexString = (v: Bytes, target: Bytes): Bytes => join(0x98, v, target);
export const derefOf = (r: Bytes): Bytes => join(0x83, r);
export const sizeOf = (r: Bytes): Bytes => join(0x87, r);

export const land = (a: Bytes, b: Bytes): Bytes => join(0x90, a, b);
export const lor = (a: Bytes, b: Bytes): Bytes => join(0x91, a, b);
export const lnot = (a: Bytes): Bytes => join(0x92, a);
export const lequal = (a: Bytes, b: Bytes): Bytes => join(0x93, a, b);
export const lgreater = (a: Bytes, b: Bytes): Bytes => join(0x94, a, b);
export const lless = (a: Bytes, b: Bytes): Bytes => join(0x95, a, b);
