/**
 * The symbol reader: one ELF's symbol table, DWARF line table and call frame information, indexed for the
 * questions a debugger asks ("what function is 0x100234 in", "which line", "where does line 12 of main.c
 * start", "how do I unwind from here"). Pure: built from file bytes, never touches the guest.
 */
import { parseElf, sectionBytes, type ElfFile } from '../boot/elf';
import { findFde, parseFrames, unwindRowAt, type Fde, type UnwindRow } from './cfi';
import { parseLineTables, type LineTable } from './line-table';

export interface SymbolInfo {
  name: string;
  address: bigint;
  size: number;
  kind: 'function' | 'object' | 'label';
}

export interface SourceLocation {
  /** Path as DWARF names it (relative paths are relative to the compilation directory). */
  file: string;
  line: number;
  column: number;
  /** First address of the line-table row that contains the queried address. */
  address: bigint;
  /** First address past that row. */
  end: bigint;
  isStmt: boolean;
}

interface LineRange {
  start: bigint;
  end: bigint;
  file: string;
  line: number;
  column: number;
  isStmt: boolean;
}

export class SymbolIndex {
  /** Sorted by address; functions and data objects with a size, plus sized-0 labels (asm). */
  readonly symbols: SymbolInfo[];
  readonly entry: bigint;
  /** Problems met while reading debug sections (the rest is still usable). */
  readonly warnings: string[] = [];
  private readonly byName = new Map<string, SymbolInfo>();
  private readonly lines: LineRange[] = [];
  private readonly fdes: Fde[];
  readonly hasLines: boolean;
  readonly hasCfi: boolean;

  /** Parse `bytes` (an ELF executable). Throws BootError if it is not one. */
  static fromElf(bytes: Uint8Array, fileName = 'the symbol file'): SymbolIndex {
    return new SymbolIndex(parseElf(bytes, fileName));
  }

  /**
   * Symbols without debug sections: a System.map or the kernel's own kallsyms (kallsyms.ts). Names and places
   * only, so no source lines and no CFI (call stacks use the frame-pointer chain).
   */
  static fromList(list: SymbolInfo[], entry = 0n): SymbolIndex {
    return new SymbolIndex({ entry, list });
  }

  constructor(elf: ElfFile | { entry: bigint; list: SymbolInfo[] }) {
    this.entry = elf.entry;
    const syms: SymbolInfo[] = 'list' in elf ? [...elf.list] : [];
    for (const s of syms) {
      const prev = this.byName.get(s.name);
      if (!prev || (prev.kind !== 'function' && s.kind === 'function')) this.byName.set(s.name, s);
    }
    for (const s of 'list' in elf ? [] : elf.symbols) {
      if (!s.name || s.sectionIndex === 0 || s.type === 'SECTION' || s.type === 'FILE') continue;
      if (s.name.startsWith('.L')) continue; // assembler-local labels
      const kind = s.type === 'FUNC' ? 'function' : s.type === 'OBJECT' ? 'object' : 'label';
      const info: SymbolInfo = { name: s.name, address: s.value, size: s.size, kind };
      // Absolute symbols (SHN_ABS: NASM `equ`, linker constants) are values, not places: findable by name,
      // never the name of an address.
      if (s.sectionIndex !== 0xfff1) syms.push(info);
      const prev = this.byName.get(s.name);
      if (!prev || (prev.kind !== 'function' && kind === 'function')) this.byName.set(s.name, info);
    }
    syms.sort((a, b) => cmp(a.address, b.address) || rank(a) - rank(b));
    this.symbols = syms;
    if ('list' in elf) {
      this.fdes = [];
      this.hasLines = this.hasCfi = false;
      return;
    }

    const line = sectionBytes(elf, '.debug_line');
    if (line) {
      const tables = parseLineTables(
        { line, str: sectionBytes(elf, '.debug_str'), lineStr: sectionBytes(elf, '.debug_line_str') }, this.warnings);
      for (const t of tables) this.addLines(t);
      this.lines.sort((a, b) => cmp(a.start, b.start));
    }
    this.hasLines = this.lines.length > 0;

    const fdes: Fde[] = [];
    const debugFrame = sectionBytes(elf, '.debug_frame');
    const addressSize = elf.class === 32 ? 4 : 8;
    if (debugFrame) fdes.push(...parseFrames(debugFrame, false, 0n, this.warnings, addressSize));
    const ehSec = elf.sections.find((s) => s.name === '.eh_frame');
    const eh = sectionBytes(elf, '.eh_frame');
    if (eh && ehSec) fdes.push(...parseFrames(eh, true, ehSec.addr, this.warnings, addressSize));
    fdes.sort((a, b) => cmp(a.start, b.start));
    this.fdes = fdes;
    this.hasCfi = fdes.length > 0;
  }

  private addLines(t: LineTable): void {
    const rows = t.rows;
    let stmtHere = false; // several rows at one address: the last one names the line, any is_stmt counts
    for (let i = 0; i + 1 < rows.length; i++) {
      const r = rows[i];
      if (r.endSequence) { stmtHere = false; continue; }
      stmtHere ||= r.isStmt;
      const next = rows[i + 1];
      if (next.address <= r.address) continue;
      this.lines.push({ start: r.address, end: next.address, file: t.files[r.file] ?? '?', line: r.line, column: r.column, isStmt: stmtHere });
      stmtHere = false;
    }
  }

  /** The symbol with this name (functions preferred). */
  lookup(name: string): SymbolInfo | undefined {
    return this.byName.get(name);
  }

  /**
   * The symbol `address` is in: a sized symbol containing it, else the nearest preceding label or function
   * (assembly symbols often have no size). Returns the symbol and the offset into it.
   */
  symbolize(address: bigint): { symbol: SymbolInfo; offset: bigint } | undefined {
    let lo = 0, hi = this.symbols.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.symbols[mid].address <= address) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    let fallback: SymbolInfo | undefined;
    for (let i = at; i >= 0 && i > at - 64; i--) {
      const s = this.symbols[i];
      if (s.size > 0 && address < s.address + BigInt(s.size)) return { symbol: s, offset: address - s.address };
      if (!fallback && s.size === 0 && s.kind !== 'object') fallback = s;
    }
    // A size-0 label only counts if no sized symbol ends between it and the address.
    if (fallback) {
      const covered = this.symbols.some((s) => s.size > 0 && s.address > fallback!.address && s.address <= address);
      if (!covered) return { symbol: fallback, offset: address - fallback.address };
    }
    return undefined;
  }

  /** "stack_overflow+0x4", or undefined when no symbol covers the address. */
  describe(address: bigint): string | undefined {
    const s = this.symbolize(address);
    if (!s) return undefined;
    return s.offset === 0n ? s.symbol.name : `${s.symbol.name}+0x${s.offset.toString(16)}`;
  }

  /** The function-sized symbol containing `address` (for "the function to step out of"). */
  functionAt(address: bigint): SymbolInfo | undefined {
    const s = this.symbolize(address);
    return s && s.symbol.kind !== 'object' ? s.symbol : undefined;
  }

  /** The source line of `address`. */
  lineAt(address: bigint): SourceLocation | undefined {
    let lo = 0, hi = this.lines.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const l = this.lines[mid];
      if (address < l.start) hi = mid - 1;
      else if (address >= l.end) lo = mid + 1;
      else return { file: l.file, line: l.line, column: l.column, address: l.start, end: l.end, isStmt: l.isStmt };
    }
    return undefined;
  }

  /** Source files named in the line tables. */
  sourceFiles(): string[] {
    return [...new Set(this.lines.map((l) => l.file))];
  }

  /**
   * Where a breakpoint on `line` of `file` goes: the lowest is_stmt address of that line, or of the next line
   * that has code (like gdb). `matches` decides whether a DWARF path is the requested file.
   */
  addressForLine(matches: (dwarfPath: string) => boolean, line: number): { address: bigint; line: number; file: string } | undefined {
    let best: LineRange | undefined;
    for (const l of this.lines) {
      if (!l.isStmt || l.line < line || !matches(l.file)) continue;
      if (!best || l.line < best.line || (l.line === best.line && l.start < best.start)) best = l;
    }
    return best && best.line - line <= 20 ? { address: best.start, line: best.line, file: best.file } : undefined;
  }

  /** The CFI row in effect at `pc`, when an FDE covers it. */
  unwindRow(pc: bigint): UnwindRow | undefined {
    const fde = findFde(this.fdes, pc);
    if (!fde) return undefined;
    try {
      return unwindRowAt(fde, pc);
    } catch {
      return undefined;
    }
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Functions before objects before labels at the same address, so the preferred name comes first. */
function rank(s: SymbolInfo): number {
  return s.kind === 'function' ? 0 : s.kind === 'object' ? 1 : 2;
}
