import { vectorMnemonic } from '../cpu/vectors';
import { hx, isCanonical, le16, le32, rawQwords } from './hex';
import { GateInfo, MemoryReader } from './types';

/**
 * IDT gates (SDM Vol. 3A §6.11, §6.14.1 for 64-bit gates). `problems` lists why delivery through the gate
 * would fail; `fault` is the first exception the CPU raises, checked in the order QEMU's do_interrupt64 /
 * do_interrupt_protected follow: IDT limit, gate type (#GP), DPL for INT n (#GP), present (#NP), then the
 * code-segment selector (#GP). The error code for the gate checks is vector*8+2 (IDT bit set, EXT clear).
 */

/** Decode the gate for `vector` from its 16 (long mode) or 8 (protected mode) bytes. */
export function decodeGate(bytes: Uint8Array, vector: number, longMode: boolean): GateInfo {
  const size = longMode ? 16 : 8;
  const selector = le16(bytes, 2);
  const attr = bytes[5];
  const type = attr & 0xf;
  const s = (attr & 0x10) !== 0;
  const dpl = (attr >>> 5) & 3;
  const present = (attr & 0x80) !== 0;
  const ist = longMode ? bytes[4] & 7 : 0;
  let offset = BigInt((le16(bytes, 0) | (le16(bytes, 6) << 16)) >>> 0);
  if (longMode && bytes.length >= 16) offset |= BigInt(le32(bytes, 8)) << 32n;
  const errorCode = vector * 8 + 2;
  const info: GateInfo = {
    vector, vectorName: vectorMnemonic(vector), raw: rawQwords(bytes.subarray(0, size)), kind: 'invalid', type, present, dpl,
    selector, offset: hx(offset), ist, summary: '', problems: [],
  };
  const fail = (mnemonic: '#GP' | '#NP', code: number, problem: string) => {
    info.problems.push(problem);
    if (!info.fault) info.fault = { vector: mnemonic === '#GP' ? 13 : 11, mnemonic, errorCode: code };
  };

  const valid = longMode ? type === 0xe || type === 0xf : [0x5, 0x6, 0x7, 0xe, 0xf].includes(type);
  if (valid && !s) {
    info.kind = type === 0x5 ? 'task-gate' : type & 1 ? 'trap-gate' : 'interrupt-gate';
  } else if (type === 0xc && !s) {
    info.kind = 'call-gate';
  }
  if (!valid || s) {
    const what = longMode ? 'an interrupt or trap gate' : 'an interrupt, trap or task gate';
    fail('#GP', errorCode, s ? `S bit set (type ${hx(attr & 0x1f)}): a code/data descriptor is not ${what}` : `type ${hx(type)} is not ${what}`);
  }
  if (!present) fail('#NP', errorCode, 'not present');
  if (info.kind !== 'task-gate') {
    if ((selector & ~3) === 0) fail('#GP', 0, `selector ${hx(selector)} is null`);
    if (selector & 4) info.problems.push(`selector ${hx(selector)} points into the LDT (TI = 1)`);
    if (longMode && !isCanonical(offset)) fail('#GP', 0, `handler offset ${hx(offset)} is not canonical`);
    if (longMode && bytes.length >= 16 && le32(bytes, 12) !== 0) info.problems.push('reserved upper dword is not 0');
  }
  if (longMode && (bytes[4] & 0xf8) !== 0) info.problems.push(`bits 7:3 of byte 4 must be 0 but are ${hx(bytes[4] >>> 3)}`);

  const kindText = info.kind === 'invalid' ? `invalid (type ${hx(type)})` : info.kind.replace('-', ' ');
  const target = info.kind === 'task-gate' ? `TSS selector ${hx(selector)}` : `${hx(selector)}:${info.offset}`;
  const istText = ist ? `, IST${ist}` : '';
  info.summary = info.kind === 'invalid' && !present && type === 0 && offset === 0n && selector === 0
    ? 'empty (all zero)'
    : `${kindText} → ${target}, DPL ${dpl}${istText}, ${present ? 'present' : 'not present'}`;
  return info;
}

/** Decode the IDT at linear `base` with IDTR.limit `limit`; vectors past the limit are left out. */
export function decodeIdt(reader: MemoryReader, base: bigint, limit: number, longMode: boolean): GateInfo[] {
  const size = longMode ? 16 : 8;
  const count = Math.min(256, Math.floor((limit + 1) / size));
  const out: GateInfo[] = [];
  for (let v = 0; v < count; v++) {
    const at = base + BigInt(v * size);
    const bytes = reader(at, size);
    if (!bytes || bytes.length < size) {
      out.push({
        vector: v, vectorName: vectorMnemonic(v), raw: [], kind: 'invalid', type: 0, present: false, dpl: 0, selector: 0,
        offset: hx(0), ist: 0, summary: 'unreadable', problems: [`the gate at ${hx(at)} is not readable (unmapped or outside RAM); delivery would page-fault`],
      });
      continue;
    }
    out.push(decodeGate(bytes, v, longMode));
  }
  return out;
}

/** Why delivering `vector` fails before the gate is even read: the IDT limit (SDM §6.10: #GP(vector*8+2)). */
export function idtLimitProblem(vector: number, limit: number, longMode: boolean): string | undefined {
  const size = longMode ? 16 : 8;
  const last = vector * size + size - 1;
  if (last <= limit) return undefined;
  return `vector ${vector} (${vectorMnemonic(vector)}) is beyond the IDT limit ${hx(limit)} (its gate ends at ${hx(last)}): delivery raises #GP(${hx(vector * 8 + 2)})`;
}
