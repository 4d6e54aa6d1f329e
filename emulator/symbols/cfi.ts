/**
 * Call frame information from .debug_frame (DWARF 5 §6.4) and .eh_frame (LSB "Exception Frames"): CIEs,
 * FDEs, and the CFA program evaluated up to a PC, giving the rule row an unwinder needs (CFA = reg + offset,
 * where each callee-saved register and the return address were saved). Pure: no guest memory access.
 */
import { DwarfError, DwarfReader } from './dwarf-reader';

/** DWARF register numbers for x86-64 (System V psABI §3.6.2, Figure 3.36). */
export const DWARF_X64_REGS = [
  'rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip',
] as const;
export const DW_REG_RBP = 6;
export const DW_REG_RSP = 7;
export const DW_REG_RA = 16;

export type RegisterRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  | { kind: 'offset'; offset: number } //      saved at CFA + offset
  | { kind: 'valOffset'; offset: number } //   value is CFA + offset
  | { kind: 'register'; reg: number }
  | { kind: 'expression' };

export interface UnwindRow {
  /** CFA = value of register `cfaReg` + `cfaOffset`; `cfaExpression` when the CFA is a DWARF expression. */
  cfaReg: number;
  cfaOffset: number;
  cfaExpression?: boolean;
  rules: Map<number, RegisterRule>;
  returnAddressRegister: number;
}

export interface Fde {
  start: bigint;
  end: bigint;
  cie: Cie;
  instructions: Uint8Array;
}

interface Cie {
  codeAlign: number;
  dataAlign: number;
  returnAddressRegister: number;
  instructions: Uint8Array;
  /** .eh_frame pointer encoding of FDE addresses (DW_EH_PE_*). */
  fdeEncoding: number;
  addressSize: number;
}

/**
 * Parse the FDEs of a .debug_frame (`eh = false`) or .eh_frame (`eh = true`) section. `sectionAddr` is the
 * section's load address (needed for pc-relative .eh_frame pointers).
 */
export function parseFrames(bytes: Uint8Array, eh: boolean, sectionAddr = 0n, errors: string[] = [], addressSize = 8): Fde[] {
  const r = new DwarfReader(bytes);
  const cies = new Map<number, Cie>();
  const fdes: Fde[] = [];
  const pending: { at: number; cieOffset: number; end: number }[] = [];
  while (r.pos + 4 <= r.length) {
    const at = r.pos;
    let end: number;
    try {
      const unit = r.initialLength();
      if (unit.length === 0) { if (eh) break; continue; } // .eh_frame terminator
      end = unit.end;
      const idPos = r.pos;
      const id = r.offset(unit.dwarf64);
      const isCie = eh ? id === 0 : id >= 0xffffffff; // CIE_id: 0 in .eh_frame, all ones in .debug_frame
      if (isCie) cies.set(at, parseCie(r, end, eh, addressSize));
      else pending.push({ at, cieOffset: eh ? idPos - id : id, end });
    } catch (e) {
      errors.push(`${eh ? '.eh_frame' : '.debug_frame'} entry at 0x${at.toString(16)}: ${(e as Error).message}`);
      break;
    }
    r.pos = end;
  }
  for (const p of pending) {
    const cie = cies.get(p.cieOffset);
    if (!cie) { errors.push(`FDE at 0x${p.at.toString(16)} refers to a missing CIE`); continue; }
    try {
      const fr = new DwarfReader(bytes, p.at);
      const unit = fr.initialLength();
      fr.offset(unit.dwarf64);
      let start: bigint, range: bigint;
      if (eh) {
        start = readEncoded(fr, cie.fdeEncoding, sectionAddr, cie.addressSize);
        range = readEncoded(fr, cie.fdeEncoding & 0x0f, 0n, cie.addressSize);
        // augmentation data length ('z' augmentations always present in practice)
        const augLen = fr.uleb();
        fr.skip(augLen);
      } else {
        start = fr.addr(cie.addressSize);
        range = fr.addr(cie.addressSize);
      }
      fdes.push({ start, end: start + range, cie, instructions: bytes.subarray(fr.pos, p.end) });
    } catch (e) {
      errors.push(`FDE at 0x${p.at.toString(16)}: ${(e as Error).message}`);
    }
  }
  fdes.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return fdes;
}

/** `addressSize`: the ELF class's (CIEs before DWARF 4 do not say; ELF32 .debug_frame uses 4-byte addresses). */
function parseCie(r: DwarfReader, end: number, eh: boolean, defaultAddressSize: number): Cie {
  const version = r.u8();
  const augmentation = r.cstr();
  let addressSize = defaultAddressSize;
  if (!eh && version >= 4) {
    addressSize = r.u8();
    r.u8(); // segment selector size
  }
  const codeAlign = r.uleb();
  const dataAlign = r.sleb();
  const returnAddressRegister = version === 1 ? r.u8() : r.uleb();
  let fdeEncoding = 0; // DW_EH_PE_absptr
  if (augmentation.startsWith('z')) {
    const len = r.uleb();
    const augEnd = r.pos + len;
    for (const c of augmentation.slice(1)) {
      if (c === 'R') fdeEncoding = r.u8();
      else if (c === 'L') r.u8();
      else if (c === 'P') { const enc = r.u8(); readEncoded(r, enc, 0n, addressSize); }
      else if (c === 'S' || c === 'B') continue;
      else break;
    }
    r.pos = augEnd;
  } else if (augmentation !== '' && eh) {
    throw new DwarfError(`unknown CIE augmentation "${augmentation}"`);
  }
  return { codeAlign, dataAlign, returnAddressRegister, instructions: r.bytes.subarray(r.pos, end), fdeEncoding, addressSize };
}

/** Read a DW_EH_PE-encoded pointer (absptr/udata/sdata sizes, pcrel). */
function readEncoded(r: DwarfReader, enc: number, sectionAddr: bigint, addressSize: number): bigint {
  if (enc === 0xff) return 0n; // DW_EH_PE_omit
  const pos = BigInt(r.pos);
  let v: bigint;
  switch (enc & 0x0f) {
    case 0x00: v = addressSize === 4 ? BigInt(r.u32()) : r.u64(); break; // absptr: the target's address size
    case 0x01: v = BigInt(r.uleb()); break;
    case 0x02: v = BigInt(r.u16()); break;
    case 0x03: v = BigInt(r.u32()); break;
    case 0x04: v = r.u64(); break;
    case 0x09: v = BigInt(r.sleb()); break;
    case 0x0a: v = BigInt(r.s16()); break;
    case 0x0b: v = BigInt(r.s32()); break;
    case 0x0c: v = r.s64(); break;
    default: throw new DwarfError(`unsupported pointer encoding 0x${enc.toString(16)}`);
  }
  if ((enc & 0x70) === 0x10) v += sectionAddr + pos; // DW_EH_PE_pcrel
  return BigInt.asUintN(64, v);
}

/** The FDE covering `pc` (binary search over sorted FDEs). */
export function findFde(fdes: Fde[], pc: bigint): Fde | undefined {
  let lo = 0, hi = fdes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = fdes[mid];
    if (pc < f.start) hi = mid - 1;
    else if (pc >= f.end) lo = mid + 1;
    else return f;
  }
  return undefined;
}

/** Run the CIE's and the FDE's CFA programs up to `pc` (DWARF 5 §6.4.2) and return the row in effect. */
export function unwindRowAt(fde: Fde, pc: bigint): UnwindRow {
  const row: UnwindRow = { cfaReg: DW_REG_RSP, cfaOffset: 8, rules: new Map(), returnAddressRegister: fde.cie.returnAddressRegister };
  execute(fde.cie.instructions, fde, row, undefined, fde.start, pc);
  const initial = new Map(row.rules);
  execute(fde.instructions, fde, row, initial, fde.start, pc);
  return row;
}

function execute(code: Uint8Array, fde: Fde, row: UnwindRow, initial: Map<number, RegisterRule> | undefined,
  start: bigint, pc: bigint): void {
  const r = new DwarfReader(code);
  const { codeAlign, dataAlign } = fde.cie;
  const stack: { cfaReg: number; cfaOffset: number; rules: Map<number, RegisterRule> }[] = [];
  let loc = start;
  const advance = (delta: number): boolean => {
    loc += BigInt(delta * codeAlign);
    return loc > pc; // the row for pc is complete once the location passes it
  };
  while (!r.atEnd) {
    const op = r.u8();
    const high = op & 0xc0, low = op & 0x3f;
    if (high === 0x40) { if (advance(low)) return; continue; }
    if (high === 0x80) { row.rules.set(low, { kind: 'offset', offset: r.uleb() * dataAlign }); continue; }
    if (high === 0xc0) { restore(row, initial, low); continue; }
    switch (op) {
      case 0x00: break; // nop
      case 0x01: loc = r.addr(fde.cie.addressSize); if (loc > pc) return; break; // set_loc
      case 0x02: if (advance(r.u8())) return; break;
      case 0x03: if (advance(r.u16())) return; break;
      case 0x04: if (advance(r.u32())) return; break;
      case 0x05: { const reg = r.uleb(); row.rules.set(reg, { kind: 'offset', offset: r.uleb() * dataAlign }); break; }
      case 0x06: restore(row, initial, r.uleb()); break;
      case 0x07: row.rules.set(r.uleb(), { kind: 'undefined' }); break;
      case 0x08: row.rules.set(r.uleb(), { kind: 'same' }); break;
      case 0x09: { const reg = r.uleb(); row.rules.set(reg, { kind: 'register', reg: r.uleb() }); break; }
      case 0x0a: stack.push({ cfaReg: row.cfaReg, cfaOffset: row.cfaOffset, rules: new Map(row.rules) }); break;
      case 0x0b: { const s = stack.pop(); if (s) { row.cfaReg = s.cfaReg; row.cfaOffset = s.cfaOffset; row.rules = s.rules; } break; }
      case 0x0c: row.cfaReg = r.uleb(); row.cfaOffset = r.uleb(); row.cfaExpression = false; break;
      case 0x0d: row.cfaReg = r.uleb(); break;
      case 0x0e: row.cfaOffset = r.uleb(); break;
      case 0x0f: r.skip(r.uleb()); row.cfaExpression = true; break;
      case 0x10: { const reg = r.uleb(); r.skip(r.uleb()); row.rules.set(reg, { kind: 'expression' }); break; }
      case 0x11: { const reg = r.uleb(); row.rules.set(reg, { kind: 'offset', offset: r.sleb() * dataAlign }); break; }
      case 0x12: row.cfaReg = r.uleb(); row.cfaOffset = r.sleb() * dataAlign; row.cfaExpression = false; break;
      case 0x13: row.cfaOffset = r.sleb() * dataAlign; break;
      case 0x14: { const reg = r.uleb(); row.rules.set(reg, { kind: 'valOffset', offset: r.uleb() * dataAlign }); break; }
      case 0x15: { const reg = r.uleb(); row.rules.set(reg, { kind: 'valOffset', offset: r.sleb() * dataAlign }); break; }
      case 0x16: { const reg = r.uleb(); r.skip(r.uleb()); row.rules.set(reg, { kind: 'expression' }); break; }
      case 0x2e: r.uleb(); break; // GNU_args_size
      case 0x2f: { const reg = r.uleb(); row.rules.set(reg, { kind: 'offset', offset: -r.uleb() * dataAlign }); break; }
      default: throw new DwarfError(`unknown CFA instruction 0x${op.toString(16)}`);
    }
  }
}

function restore(row: UnwindRow, initial: Map<number, RegisterRule> | undefined, reg: number): void {
  const rule = initial?.get(reg);
  if (rule) row.rules.set(reg, rule);
  else row.rules.delete(reg);
}
