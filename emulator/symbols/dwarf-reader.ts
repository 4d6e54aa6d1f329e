/**
 * A cursor over one DWARF section: little-endian integers, LEB128, C strings and the 32/64-bit DWARF
 * offset size (DWARF 5 §7.4). Reading past the end throws DwarfError, which the section parsers catch to
 * drop only the broken unit, so a damaged debug section never takes the symbol reader down.
 */
import { utf8Text } from '../bytes';


export class DwarfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DwarfError';
  }
}

export class DwarfReader {
  pos: number;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, pos = 0) {
    this.pos = pos;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number { return this.bytes.length; }
  get atEnd(): boolean { return this.pos >= this.bytes.length; }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new DwarfError(`truncated DWARF data at offset 0x${this.pos.toString(16)} (need ${n} bytes)`);
    }
  }

  u8(): number { this.need(1); return this.bytes[this.pos++]; }
  s8(): number { this.need(1); return this.view.getInt8(this.pos++); }
  u16(): number { this.need(2); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  s16(): number { this.need(2); const v = this.view.getInt16(this.pos, true); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  s32(): number { this.need(4); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  u64(): bigint { this.need(8); const v = this.view.getBigUint64(this.pos, true); this.pos += 8; return v; }
  s64(): bigint { this.need(8); const v = this.view.getBigInt64(this.pos, true); this.pos += 8; return v; }

  /** A 64-bit value as a JS number (offsets and lengths; exact below 2^53). */
  u64n(): number { return Number(this.u64()); }

  /** An address of `size` bytes (4 or 8) as bigint. */
  addr(size: number): bigint {
    if (size === 8) return this.u64();
    if (size === 4) return BigInt(this.u32());
    if (size === 2) return BigInt(this.u16());
    throw new DwarfError(`unsupported address size ${size}`);
  }

  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return result;
    }
  }

  sleb(): number {
    let result = 0;
    let mul = 1;
    let b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    if (b & 0x40) result -= mul;
    return result;
  }

  /** ULEB128 as bigint (for 64-bit address operands). */
  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result;
    }
  }

  cstr(): string {
    const start = this.pos;
    while (this.pos < this.bytes.length && this.bytes[this.pos] !== 0) this.pos++;
    if (this.pos >= this.bytes.length) throw new DwarfError(`unterminated string at offset 0x${start.toString(16)}`);
    const s = utf8Text(this.bytes.subarray(start, this.pos));
    this.pos++;
    return s;
  }

  skip(n: number): void { this.need(n); this.pos += n; }

  /**
   * An initial length field (DWARF 5 §7.4): returns the unit length, whether the unit uses 64-bit offsets,
   * and the offset just past the unit.
   */
  initialLength(): { length: number; dwarf64: boolean; end: number } {
    let length = this.u32();
    let dwarf64 = false;
    if (length === 0xffffffff) {
      length = this.u64n();
      dwarf64 = true;
    } else if (length >= 0xfffffff0) {
      throw new DwarfError(`reserved initial length 0x${length.toString(16)}`);
    }
    const end = this.pos + length;
    if (end > this.bytes.length) throw new DwarfError(`unit at 0x${this.pos.toString(16)} runs past the section end`);
    return { length, dwarf64, end };
  }

  /** A section offset of the unit's offset size. */
  offset(dwarf64: boolean): number { return dwarf64 ? this.u64n() : this.u32(); }
}

/** The C string at `offset` of a string section (.debug_str, .debug_line_str), or '' if out of range. */
export function stringAt(section: Uint8Array | undefined, offset: number): string {
  if (!section || offset < 0 || offset >= section.length) return '';
  let end = offset;
  while (end < section.length && section[end] !== 0) end++;
  return utf8Text(section.subarray(offset, end));
}
