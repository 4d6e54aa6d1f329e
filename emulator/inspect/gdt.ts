import { hx, isCanonical, le16, le32, rawQwords } from './hex';
import { DescriptorInfo, MemoryReader } from './types';

/**
 * Segment and system descriptors (SDM Vol. 3A §3.4.5, §3.5, §7.2.3 for the 64-bit TSS, §5.8.3.1 for call
 * gates). In long mode a system descriptor (LDT, TSS, call gate) is 16 bytes and takes two GDT slots; the
 * second slot is reported as its own entry of kind 'upper-half', so entry i is always selector i*8 and a
 * selector that points at an upper half is easy to spot.
 */

/** Decode one descriptor. `bytes` holds 8 bytes, or 16 for a long-mode system descriptor. */
export function decodeDescriptor(bytes: Uint8Array, index: number, longMode: boolean): DescriptorInfo {
  const lo = le32(bytes, 0);
  const hi = le32(bytes, 4);
  const type = (hi >>> 8) & 0xf;
  const s = (hi & 0x1000) !== 0;
  const dpl = (hi >>> 13) & 3;
  const present = (hi & 0x8000) !== 0;
  const avl = (hi & 0x100000) !== 0;
  const long = (hi & 0x200000) !== 0;
  const defaultBig = (hi & 0x400000) !== 0;
  const granularity = (hi & 0x800000) !== 0;
  const rawLimit = (lo & 0xffff) | (hi & 0xf0000);
  const limit = granularity ? rawLimit * 4096 + 0xfff : rawLimit;
  let base = BigInt(((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0);
  const wide = longMode && !s && isLongModeSystemType(type);
  const size: 8 | 16 = wide ? 16 : 8;
  if (wide && bytes.length >= 16) base |= BigInt(le32(bytes, 8)) << 32n;
  const info: DescriptorInfo = {
    index, selector: index * 8, raw: rawQwords(bytes.subarray(0, size)), kind: 'reserved', type, s, dpl, present,
    base: hx(base), limit: hx(limit), granularity, long, defaultBig, avl, size, summary: '', problems: [],
  };
  const presence = present ? 'present' : 'not present';
  if (lo === 0 && hi === 0 && !(wide && bytes.length >= 16 && (le32(bytes, 8) | le32(bytes, 12)) !== 0)) {
    info.kind = 'null';
    info.summary = index === 0 ? 'null descriptor' : 'empty (all zero)';
    return info;
  }
  if (index === 0) info.problems.push('entry 0 is the null descriptor slot; the CPU never uses its contents');

  if (s) {
    info.accessed = (type & 1) !== 0;
    info.readableWritable = (type & 2) !== 0;
    if (type & 8) {
      info.kind = 'code';
      info.conforming = (type & 4) !== 0;
      const bits = longMode && long ? 64 : defaultBig ? 32 : 16;
      const where = bits === 64 ? '' : `, base ${info.base}, limit ${info.limit}`;
      info.summary = `${bits}-bit code${info.conforming ? ' (conforming)' : ''}${info.readableWritable ? ', readable' : ', execute-only'}${where}, DPL ${dpl}, ${presence}`;
      if (long && defaultBig) info.problems.push('L and D are both set, a reserved combination: loading it into CS raises #GP');
    } else {
      info.kind = 'data';
      info.expandDown = (type & 4) !== 0;
      const bits = defaultBig ? 32 : 16;
      const where = longMode ? '' : `, base ${info.base}, limit ${info.limit}`;
      info.summary = `${longMode ? '' : `${bits}-bit `}data${info.expandDown ? ' (expand-down)' : ''}, ${info.readableWritable ? 'read/write' : 'read-only'}${where}, DPL ${dpl}, ${presence}`;
    }
    return info;
  }

  systemDescriptor(info, bytes, longMode);
  return info;
}

/** Decode every slot of the GDT at linear `base` with the given limit (GDTR.limit, inclusive). */
export function decodeGdt(reader: MemoryReader, base: bigint, limit: number, longMode: boolean): DescriptorInfo[] {
  const count = Math.floor((limit + 1) / 8);
  const out: DescriptorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const at = base + BigInt(i * 8);
    const first = reader(at, 8);
    if (!first || first.length < 8) {
      out.push(unreadable(i, at));
      continue;
    }
    const hi = le32(first, 4);
    const wide = longMode && (hi & 0x1000) === 0 && isLongModeSystemType((hi >>> 8) & 0xf) && (hi !== 0 || le32(first, 0) !== 0);
    if (!wide) {
      out.push(decodeDescriptor(first, i, longMode));
      continue;
    }
    const second = i + 1 < count ? reader(at + 8n, 8) : undefined;
    const bytes = new Uint8Array(16);
    bytes.set(first);
    if (second) bytes.set(second, 8);
    const d = decodeDescriptor(bytes, i, longMode);
    if (!second) {
      d.problems.push(`the 16-byte ${d.kind} descriptor runs past the GDT limit ${hx(limit)}; raise the limit by 8`);
      d.raw = d.raw.slice(0, 1);
      out.push(d);
      continue;
    }
    out.push(d);
    out.push(upperHalf(i + 1, second, d));
    i++;
  }
  return out;
}

/** 64-bit mode keeps only these system types (SDM Table 3-2, IA-32e column). */
function isLongModeSystemType(type: number): boolean {
  return type === 0x2 || type === 0x9 || type === 0xb || type === 0xc;
}

function systemDescriptor(info: DescriptorInfo, bytes: Uint8Array, longMode: boolean): void {
  const { type, dpl, present } = info;
  const presence = present ? 'present' : 'not present';
  const limitNum = parseInt(info.limit, 16);
  const wideOk = info.size === 8 || bytes.length >= 16;
  if (longMode && info.size === 16 && bytes.length >= 16) {
    const upperType = (le32(bytes, 12) >>> 8) & 0x1f;
    if (upperType !== 0) info.problems.push(`bits 12:8 of the upper half must be 0 but are ${hx(upperType)} (SDM Figure 7-4): LTR, LLDT or a far JMP/CALL through it raises #GP(${hx(info.selector)})`);
  }
  if (!wideOk) info.problems.push('only 8 of the 16 bytes of this long-mode system descriptor were given');
  const tss = (kind: 'tss-available' | 'tss-busy', width: '16-bit' | '32-bit' | '64-bit') => {
    info.kind = kind;
    info.summary = `${width} TSS (${kind === 'tss-busy' ? 'busy' : 'available'}), base ${info.base}, limit ${info.limit}, DPL ${dpl}, ${presence}`;
    const min = width === '16-bit' ? 0x2b : 0x67;
    if (limitNum < min) info.problems.push(`limit ${info.limit} is smaller than a ${width} TSS needs (${hx(min)} is the minimum)`);
    if (longMode && !isCanonical(BigInt(info.base))) info.problems.push(`base ${info.base} is not canonical: LTR raises #GP(${hx(info.selector)})`);
  };
  if (longMode) {
    switch (type) {
      case 0x2:
        info.kind = 'ldt';
        info.summary = `LDT, base ${info.base}, limit ${info.limit}, DPL ${dpl}, ${presence}`;
        if (!isCanonical(BigInt(info.base))) info.problems.push(`base ${info.base} is not canonical: LLDT raises #GP(${hx(info.selector)})`);
        return;
      case 0x9: tss('tss-available', '64-bit'); return;
      case 0xb: tss('tss-busy', '64-bit'); return;
      case 0xc: callGate(info, bytes, 64); return;
    }
    info.kind = type === 0xe ? 'interrupt-gate' : type === 0xf ? 'trap-gate' : 'reserved';
    info.summary = `system type ${hx(type)}, not valid in a long-mode GDT`;
    info.problems.push(`type ${hx(type)} is not a valid system descriptor in IA-32e mode (only LDT 0x2, TSS 0x9/0xb, call gate 0xc)`);
    return;
  }
  switch (type) {
    case 0x1: tss('tss-available', '16-bit'); return;
    case 0x3: tss('tss-busy', '16-bit'); return;
    case 0x9: tss('tss-available', '32-bit'); return;
    case 0xb: tss('tss-busy', '32-bit'); return;
    case 0x2: info.kind = 'ldt'; info.summary = `LDT, base ${info.base}, limit ${info.limit}, DPL ${dpl}, ${presence}`; return;
    case 0x4: callGate(info, bytes, 16); return;
    case 0xc: callGate(info, bytes, 32); return;
    case 0x5:
      info.kind = 'task-gate';
      info.summary = `task gate → TSS selector ${hx(le16(bytes, 2))}, DPL ${dpl}, ${presence}`;
      return;
    case 0x6: case 0x7: case 0xe: case 0xf:
      info.kind = type & 1 ? 'trap-gate' : 'interrupt-gate';
      info.summary = `${type & 8 ? 32 : 16}-bit ${type & 1 ? 'trap' : 'interrupt'} gate (belongs in the IDT), DPL ${dpl}, ${presence}`;
      return;
  }
  info.summary = `reserved system type ${hx(type)}`;
  info.problems.push(`type ${hx(type)} is reserved; loading this descriptor raises #GP`);
}

function callGate(info: DescriptorInfo, bytes: Uint8Array, bits: 16 | 32 | 64): void {
  let offset = BigInt(le16(bytes, 0) | (bits === 16 ? 0 : le16(bytes, 6) << 16)) & 0xffffffffn;
  if (bits === 64 && bytes.length >= 16) offset |= BigInt(le32(bytes, 8)) << 32n;
  const selector = le16(bytes, 2);
  info.kind = 'call-gate';
  info.base = hx(0);
  info.summary = `${bits}-bit call gate → ${hx(selector)}:${hx(offset)}, DPL ${info.dpl}, ${info.present ? 'present' : 'not present'}`;
  if ((selector & ~3) === 0) info.problems.push(`selector ${hx(selector)} is null`);
}

function upperHalf(index: number, bytes: Uint8Array, of: DescriptorInfo): DescriptorInfo {
  return {
    index, selector: index * 8, raw: rawQwords(bytes), kind: 'upper-half', type: 0, s: false, dpl: 0, present: false,
    base: hx(BigInt(le32(bytes, 0)) << 32n), limit: hx(0), granularity: false, long: false, defaultBig: false, avl: false, size: 8,
    summary: `upper half of the 16-byte ${of.kind} descriptor at index ${of.index} (selector ${hx(of.selector)})`,
    problems: [],
  };
}

function unreadable(index: number, at: bigint): DescriptorInfo {
  return {
    index, selector: index * 8, raw: [], kind: 'reserved', type: 0, s: false, dpl: 0, present: false, base: hx(0),
    limit: hx(0), granularity: false, long: false, defaultBig: false, avl: false, size: 8,
    summary: 'unreadable', problems: [`the descriptor at ${hx(at)} is not readable (unmapped or outside RAM)`],
  };
}
