/**
 * Where a session's symbols come from: an ELF (with or without DWARF), a System.map, or, for a Linux bzImage
 * launched without either, the kernel's own kallsyms read from guest RAM at the first stop after it has
 * decompressed itself and runs from its own mapping.
 */
import type { Runtime } from '../emulator/api';
import { latin1Text } from '../emulator/bytes';
import { findLinuxHeader } from '../emulator/boot/linux';
import { kallsymsFromGuest, parseSystemMap } from '../emulator/symbols/kallsyms';
import { SymbolIndex } from '../emulator/symbols/symbols';

export function isBzImage(kernel: Uint8Array): boolean {
  return findLinuxHeader(kernel) !== undefined;
}

/**
 * Symbols from a file's bytes (an ELF, or a System.map), with what to tell the user; `bytes` is undefined for a
 * bzImage (it has none to read: its kallsyms come from RAM later) and an Error when the file could not be read.
 */
export function symbolsFrom(bytes: Uint8Array | Error | undefined, name: string, file: string): { symbols?: SymbolIndex; messages: string[] } {
  if (bytes === undefined) return { messages: [`symbols: ${name} is a Linux bzImage; its kallsyms are read from memory once it has decompressed itself (or set "symbols" to a vmlinux or System.map)`] };
  if (bytes instanceof Error) return { messages: [`no symbols from ${file}: ${bytes.message}`] };
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45) {
    const list = parseSystemMap(latin1Text(bytes));
    if (list.length > 0) return { symbols: SymbolIndex.fromList(list), messages: [`symbols: ${list.length} from the System.map ${name}`] };
  }
  try {
    const symbols = SymbolIndex.fromElf(bytes, name);
    return { symbols, messages: symbols.warnings.map((w) => `symbols: ${w}`) };
  } catch (e) {
    return { messages: [`no symbols from ${file}: ${(e as Error).message}`] };
  }
}

/** The kernel's kallsyms as a SymbolIndex, when the CPU is in the kernel's own mapping and the tables are there. */
export function kallsymsIndex(rt: Runtime, ramBytes: number): SymbolIndex | undefined {
  const st = rt.state();
  const list = kallsymsFromGuest(st.regs.rip, (a, n) => rt.readPhysical(a, n), ramBytes, st.cpl);
  return list && list.length > 0 ? SymbolIndex.fromList(list) : undefined;
}
