/**
 * The user's breakpoints as the client set them (source lines, function names, instruction addresses), each
 * with its DAP id and, once symbols are loaded, the address it resolved to. The session hands the union of
 * addresses to the runtime and asks which breakpoints a stop at an address hit.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SymbolIndex } from '../emulator/symbols/symbols';
import { hex } from './variables';

export interface SourceBp { line: number; address?: bigint; id: number }
interface FunctionBp { name: string; address?: bigint; id: number }
interface InstructionBp { address: bigint; id: number }

export class BreakpointBook {
  private nextId = 1;
  /** Source breakpoints by the host path of their file. */
  private readonly source = new Map<string, SourceBp[]>();
  private functions: FunctionBp[] = [];
  private instructions: InstructionBp[] = [];

  /** A fresh breakpoint id (data breakpoints take theirs from here too). */
  newId(): number {
    return this.nextId++;
  }

  /** Replace the breakpoints of one source file (`file` is its host path). */
  setSource(file: string, lines: unknown[]): SourceBp[] {
    const list = lines.map((line) => ({ line: Number(line), id: this.newId() }));
    this.source.set(file, list);
    return list;
  }

  setFunctions(names: string[]): FunctionBp[] {
    this.functions = names.map((name) => ({ name, id: this.newId() }));
    return this.functions;
  }

  setInstructions(addresses: bigint[]): InstructionBp[] {
    this.instructions = addresses.map((address) => ({ address, id: this.newId() }));
    return this.instructions;
  }

  /**
   * Resolve source lines through the DWARF line table and function names through the symbol table (a hex
   * number is an address). `sameSource(dwarfPath, hostPath)` says whether a DWARF file is the client's file.
   */
  resolve(symbols: SymbolIndex | undefined, sameSource: (dwarfPath: string, hostPath: string) => boolean): void {
    for (const [file, list] of this.source) {
      for (const b of list) {
        b.address = symbols && Number.isInteger(b.line) ? symbols.addressForLine((p) => sameSource(p, file), b.line)?.address : undefined;
      }
    }
    for (const b of this.functions) {
      b.address = /^0x[0-9a-f]+$/i.test(b.name) ? BigInt(b.name) : symbols?.lookup(b.name)?.address;
    }
  }

  /** Every resolved address. */
  addresses(): Set<bigint> {
    const s = new Set<bigint>();
    for (const list of this.source.values()) for (const b of list) if (b.address !== undefined) s.add(b.address);
    for (const b of this.functions) if (b.address !== undefined) s.add(b.address);
    for (const b of this.instructions) s.add(b.address);
    return s;
  }

  /** The stop reason and the ids of the breakpoints at `rip`; a source breakpoint names the stop. */
  hitsAt(rip: bigint): { reason: string; ids: number[] } {
    const ib = this.instructions.filter((b) => b.address === rip);
    const fb = this.functions.filter((b) => b.address === rip);
    const sb = [...this.source.values()].flat().filter((b) => b.address === rip);
    const reason = ib.length && !sb.length ? 'instruction breakpoint' : fb.length && !sb.length ? 'function breakpoint' : 'breakpoint';
    return { reason, ids: [...sb, ...fb, ...ib].map((b) => b.id) };
  }

  /** DAP's view of one source breakpoint: verified with its line, or why not. */
  static sourceResult(file: string, b: SourceBp, symbols: SymbolIndex | undefined, basename: string): DebugProtocol.Breakpoint {
    if (!Number.isInteger(b.line) || b.line < 1) return { id: b.id, verified: false, message: `line ${b.line} is not a line number` };
    if (b.address === undefined) {
      return { id: b.id, verified: false, message: symbols ? `no code for ${basename}:${b.line} in the DWARF line table` : 'resolved when the kernel is launched' };
    }
    const loc = symbols?.lineAt(b.address);
    return { id: b.id, verified: true, line: loc?.line ?? b.line, source: { path: file }, instructionReference: hex(b.address) };
  }
}
