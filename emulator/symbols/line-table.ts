/**
 * .debug_line: the line-number program (DWARF 4 §6.2 and DWARF 5 §6.2), versions 2 to 5. Produces the
 * rows of the matrix (address → file, line, column, is_stmt) per sequence. Pure: bytes in, rows out.
 */
import { DwarfError, DwarfReader, stringAt } from './dwarf-reader';

export interface LineRow {
  address: bigint;
  /** Index into LineTable.files. */
  file: number;
  line: number;
  column: number;
  isStmt: boolean;
  /** First address past the sequence (this row only marks the end; it maps no instruction). */
  endSequence: boolean;
}

export interface LineTable {
  /** Offset of the program in .debug_line. */
  offset: number;
  version: number;
  /** File paths as DWARF gives them, joined with their include directory (may still be relative). */
  files: string[];
  /** Compilation directory (directory entry 0 in DWARF 5; passed in for older versions when known). */
  compDir: string;
  rows: LineRow[];
}

export interface LineSections {
  line: Uint8Array;
  str?: Uint8Array; // .debug_str
  lineStr?: Uint8Array; // .debug_line_str
}

// Standard opcodes (DWARF 5 §6.2.5.2)
const DW_LNS_copy = 1, DW_LNS_advance_pc = 2, DW_LNS_advance_line = 3, DW_LNS_set_file = 4,
  DW_LNS_set_column = 5, DW_LNS_negate_stmt = 6, DW_LNS_set_basic_block = 7, DW_LNS_const_add_pc = 8,
  DW_LNS_fixed_advance_pc = 9, DW_LNS_set_prologue_end = 10, DW_LNS_set_epilogue_begin = 11, DW_LNS_set_isa = 12;
// Extended opcodes (§6.2.5.3)
const DW_LNE_end_sequence = 1, DW_LNE_set_address = 2, DW_LNE_define_file = 3;
// Line-header entry content types and forms (§6.2.4.1, §7.5.6)
const DW_LNCT_path = 1, DW_LNCT_directory_index = 2;
const DW_FORM_block = 0x09, DW_FORM_block1 = 0x0a, DW_FORM_data1 = 0x0b, DW_FORM_data2 = 0x05,
  DW_FORM_data4 = 0x06, DW_FORM_data8 = 0x07, DW_FORM_data16 = 0x1e, DW_FORM_string = 0x08,
  DW_FORM_strp = 0x0e, DW_FORM_line_strp = 0x1f, DW_FORM_udata = 0x0f, DW_FORM_strx = 0x1a,
  DW_FORM_strx1 = 0x25, DW_FORM_strx2 = 0x26, DW_FORM_strx4 = 0x28;

/** Parse every line program in the section. A broken program is skipped (its error is collected). */
export function parseLineTables(sections: LineSections, errors: string[] = []): LineTable[] {
  const out: LineTable[] = [];
  const r = new DwarfReader(sections.line);
  while (r.pos + 4 <= r.length) {
    const offset = r.pos;
    let end = r.length;
    try {
      const unit = r.initialLength();
      end = unit.end;
      out.push(parseProgram(r, sections, offset, unit.dwarf64, unit.end));
    } catch (e) {
      errors.push(`.debug_line program at 0x${offset.toString(16)}: ${(e as Error).message}`);
      if (end <= offset) break;
    }
    r.pos = end;
  }
  return out;
}

function parseProgram(r: DwarfReader, s: LineSections, offset: number, dwarf64: boolean, end: number): LineTable {
  const version = r.u16();
  if (version < 2 || version > 5) throw new DwarfError(`unsupported .debug_line version ${version}`);
  let addressSize = 8;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment_selector_size
  }
  const headerLength = r.offset(dwarf64);
  const programStart = r.pos + headerLength;
  const minInstLength = r.u8();
  const maxOps = version >= 4 ? r.u8() : 1;
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.s8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const stdLengths: number[] = [0];
  for (let i = 1; i < opcodeBase; i++) stdLengths.push(r.u8());
  if (lineRange === 0) throw new DwarfError('line_range is 0');
  void maxOps; // VLIW op_index is always 0 on x86

  let dirs: string[] = [];
  let files: string[] = [];
  let compDir = '';
  if (version >= 5) {
    dirs = readEntries(r, s, dwarf64).map((e) => e.path);
    compDir = dirs[0] ?? '';
    files = readEntries(r, s, dwarf64).map((e) => joinPath(dirs[e.dir] ?? '', e.path));
  } else {
    dirs.push(''); // index 0: the compilation directory
    for (;;) {
      const d = r.cstr();
      if (!d) break;
      dirs.push(d);
    }
    files.push(''); // DWARF < 5 file numbers start at 1
    for (;;) {
      const name = r.cstr();
      if (!name) break;
      const dir = r.uleb();
      r.uleb(); // mtime
      r.uleb(); // length
      files.push(joinPath(dirs[dir] ?? '', name));
    }
  }

  r.pos = programStart;
  const rows: LineRow[] = [];
  let address = 0n, file = 1, line = 1, column = 0, isStmt = defaultIsStmt;
  const reset = () => { address = 0n; file = 1; line = 1; column = 0; isStmt = defaultIsStmt; };
  const emit = (endSequence: boolean) => rows.push({ address, file, line, column, isStmt, endSequence });
  const minLen = BigInt(minInstLength);
  while (r.pos < end) {
    const op = r.u8();
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      address += BigInt(Math.floor(adj / lineRange)) * minLen;
      line += lineBase + (adj % lineRange);
      emit(false);
    } else if (op === 0) {
      const len = r.uleb();
      const next = r.pos + len;
      const ext = len > 0 ? r.u8() : 0;
      if (ext === DW_LNE_end_sequence) {
        emit(true);
        reset();
      } else if (ext === DW_LNE_set_address) {
        address = r.addr(len - 1 === 4 ? 4 : addressSize);
      } else if (ext === DW_LNE_define_file) {
        const name = r.cstr();
        const dir = r.uleb();
        files.push(joinPath(dirs[dir] ?? '', name));
      }
      r.pos = next;
    } else {
      switch (op) {
        case DW_LNS_copy: emit(false); break;
        case DW_LNS_advance_pc: address += BigInt(r.uleb()) * minLen; break;
        case DW_LNS_advance_line: line += r.sleb(); break;
        case DW_LNS_set_file: file = r.uleb(); break;
        case DW_LNS_set_column: column = r.uleb(); break;
        case DW_LNS_negate_stmt: isStmt = !isStmt; break;
        case DW_LNS_set_basic_block: break;
        case DW_LNS_const_add_pc: address += BigInt(Math.floor((255 - opcodeBase) / lineRange)) * minLen; break;
        case DW_LNS_fixed_advance_pc: address += BigInt(r.u16()); break;
        case DW_LNS_set_prologue_end: case DW_LNS_set_epilogue_begin: break;
        case DW_LNS_set_isa: r.uleb(); break;
        default:
          // Unknown standard opcode: skip its ULEB operands as the header says (§6.2.5.2).
          for (let i = 0; i < stdLengths[op]; i++) r.uleb();
      }
    }
  }
  return { offset, version, files, compDir, rows };
}

function readEntries(r: DwarfReader, s: LineSections, dwarf64: boolean): { path: string; dir: number }[] {
  const formatCount = r.u8();
  const format: [number, number][] = [];
  for (let i = 0; i < formatCount; i++) format.push([r.uleb(), r.uleb()]);
  const count = r.uleb();
  const out: { path: string; dir: number }[] = [];
  for (let i = 0; i < count; i++) {
    let path = '';
    let dir = 0;
    for (const [type, form] of format) {
      const v = readForm(r, s, form, dwarf64);
      if (type === DW_LNCT_path && typeof v === 'string') path = v;
      else if (type === DW_LNCT_directory_index && typeof v === 'number') dir = v;
    }
    out.push({ path, dir });
  }
  return out;
}

function readForm(r: DwarfReader, s: LineSections, form: number, dwarf64: boolean): string | number | undefined {
  switch (form) {
    case DW_FORM_string: return r.cstr();
    case DW_FORM_line_strp: return stringAt(s.lineStr, r.offset(dwarf64));
    case DW_FORM_strp: return stringAt(s.str, r.offset(dwarf64));
    case DW_FORM_udata: return r.uleb();
    case DW_FORM_data1: return r.u8();
    case DW_FORM_data2: return r.u16();
    case DW_FORM_data4: return r.u32();
    case DW_FORM_data8: r.skip(8); return undefined;
    case DW_FORM_data16: r.skip(16); return undefined;
    case DW_FORM_block: r.skip(r.uleb()); return undefined;
    case DW_FORM_block1: r.skip(r.u8()); return undefined;
    case DW_FORM_strx: case DW_FORM_strx1: case DW_FORM_strx2: case DW_FORM_strx4:
      throw new DwarfError('strx forms in a line header need .debug_str_offsets, which is not supported');
    default: throw new DwarfError(`unsupported form 0x${form.toString(16)} in a line header`);
  }
}

/** Join a directory and a file name the way DWARF means it (an absolute name ignores the directory). */
export function joinPath(dir: string, name: string): string {
  if (!dir || name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) return name;
  return dir.endsWith('/') ? dir + name : dir + '/' + name;
}
