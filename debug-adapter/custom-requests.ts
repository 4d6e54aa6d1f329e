/**
 * The faultline/* custom requests: decoded tables for the extension's side panels. Decoding is done by
 * emulator/inspect (through runtime-bridge); this file only reads guest memory for them and shapes results.
 */
import type { ExceptionEvent, Runtime } from '../emulator/api';
import { diagnose } from '../emulator/diagnose';
import { hasErrorCode } from '../emulator/cpu/vectors';
import type { MemoryReader } from '../emulator/inspect/types';
import type { SymbolIndex } from '../emulator/symbols/symbols';
import type {
  FaultChainLink, FaultChainResponseBody, GdtResponseBody, IdtResponseBody, PageTableArguments, PageTableResponseBody,
  PageWalkResponseBody, ScreenResponseBody, TssResponseBody,
} from './protocol';
import { decodeGdt } from '../emulator/inspect/gdt';
import { decodeIdt } from '../emulator/inspect/idt';
import { decodeIvt } from '../emulator/inspect/ivt';
import { decodeTss32, decodeTss64 } from '../emulator/inspect/tss';
import { readTable, walkPage } from '../emulator/inspect/pagewalk';
import { hex } from './variables';

export class RequestError extends Error {}

export function linearReader(rt: Runtime): MemoryReader {
  return (addr, len) => {
    const r = rt.readLinear(addr, len);
    return r.readable >= len ? r.data.subarray(0, len) : undefined;
  };
}
export function physicalReader(rt: Runtime): MemoryReader {
  return (addr, len) => {
    try { return rt.readPhysical(addr, len); } catch { return undefined; }
  };
}

function longMode(rt: Runtime): boolean {
  return rt.state().mode === 'long';
}

export function gdtRequest(rt: Runtime): GdtResponseBody {
  const s = rt.state();
  const loaded = { cs: s.cs.selector, ds: s.ds.selector, es: s.es.selector, fs: s.fs.selector, gs: s.gs.selector, ss: s.ss.selector, tr: s.tr.selector, ldtr: s.ldtr.selector };
  try {
    return { base: hex(s.gdtr.base), limit: s.gdtr.limit, entries: decodeGdt(linearReader(rt), s.gdtr.base, s.gdtr.limit, longMode(rt)), loaded };
  } catch (e) {
    return { base: hex(s.gdtr.base), limit: s.gdtr.limit, entries: [], loaded, error: (e as Error).message };
  }
}

export function idtRequest(rt: Runtime, symbols: SymbolIndex | undefined, source: (a: bigint) => { path: string; line: number } | undefined): IdtResponseBody {
  const s = rt.state();
  if (s.mode === 'real') {
    try {
      const ivt = decodeIvt(linearReader(rt), s.idtr.base, s.idtr.limit).map((e) => ({ ...e, symbol: symbols?.describe(BigInt(e.linear)) }));
      return { base: hex(s.idtr.base), limit: s.idtr.limit, gates: [], ivt };
    } catch (e) {
      return { base: hex(s.idtr.base), limit: s.idtr.limit, gates: [], ivt: [], error: (e as Error).message };
    }
  }
  try {
    const gates = decodeIdt(linearReader(rt), s.idtr.base, s.idtr.limit, longMode(rt)).map((g) => {
      const off = BigInt(g.offset);
      // A task gate's handler is a TSS selector, not an address.
      return g.present && g.kind !== 'task-gate' ? { ...g, symbol: symbols?.describe(off), source: source(off) } : g;
    });
    return { base: hex(s.idtr.base), limit: s.idtr.limit, gates };
  } catch (e) {
    return { base: hex(s.idtr.base), limit: s.idtr.limit, gates: [], error: (e as Error).message };
  }
}

export function tssRequest(rt: Runtime, symbols: SymbolIndex | undefined): TssResponseBody {
  const s = rt.state();
  if (s.tr.selector === 0) return { selector: 0, pointers: [], error: 'TR not loaded (selector 0): the kernel has not executed LTR' };
  try {
    const pointer = ([name, value]: string[]) => {
      const v = BigInt(value);
      const r = v === 0n ? { readable: 0 } : rt.readLinear(v - 1n, 1);
      return { name, value, mapped: r.readable === 1, writable: r.readable === 1, symbol: v ? symbols?.describe(v) : undefined };
    };
    if (!longMode(rt)) {
      // Protected mode: the 32-bit TSS (SDM Figure 7-2), with the state a task switch saved in it.
      const tss32 = decodeTss32(linearReader(rt), s.tr.base, s.tr.limit);
      const pointers = [['ESP0', tss32.esp0], ['ESP1', tss32.esp1], ['ESP2', tss32.esp2]].map(pointer);
      const link = tss32.link ? { selector: tss32.link, ...savedTask(rt, symbols, s.gdtr.base, s.gdtr.limit, tss32.link) } : undefined;
      return { tss32, selector: s.tr.selector, pointers, eipSymbol: symbols?.describe(BigInt(tss32.eip)), link };
    }
    const tss = decodeTss64(linearReader(rt), s.tr.base, s.tr.limit);
    const pointers = [...tss.rsp.map((v, i) => [`RSP${i}`, v]), ...tss.ist.map((v, i) => [`IST${i + 1}`, v])].map(pointer);
    return { tss, selector: s.tr.selector, pointers };
  } catch (e) {
    return { selector: s.tr.selector, pointers: [], error: (e as Error).message };
  }
}

/** The task a back link names: its saved EIP/ESP from its TSS (found through its GDT descriptor). */
function savedTask(rt: Runtime, symbols: SymbolIndex | undefined, gdtBase: bigint, gdtLimit: number, selector: number) {
  const d = decodeGdt(linearReader(rt), gdtBase, gdtLimit, false).find((e) => e.selector === (selector & 0xfff8));
  if (!d || (d.kind !== 'tss-busy' && d.kind !== 'tss-available')) return { error: `selector ${hex(selector)} is not a TSS descriptor` };
  const t = decodeTss32(linearReader(rt), BigInt(d.base), Number(d.limit));
  return { eip: t.eip, esp: t.gprs.esp, eipSymbol: symbols?.describe(BigInt(t.eip)), busy: d.kind === 'tss-busy' };
}

function regsForWalk(rt: Runtime) {
  const r = rt.state().regs;
  return { cr0: r.cr0, cr3: r.cr3, cr4: r.cr4, efer: r.efer };
}

export function pageWalkRequest(rt: Runtime, address: bigint): PageWalkResponseBody {
  return walkPage(physicalReader(rt), regsForWalk(rt), address);
}

export function pageTableRequest(rt: Runtime, args: PageTableArguments): PageTableResponseBody {
  const regs = regsForWalk(rt);
  const mode = (regs.cr0 >> 31n) & 1n ? ((regs.efer >> 10n) & 1n ? '4-level' : (regs.cr4 >> 5n) & 1n ? 'pae' : '32-bit') : 'none';
  const physAddr = args.physAddr !== undefined ? BigInt(args.physAddr) : regs.cr3 & ~0xfffn & 0xffffffffff000n;
  const level = args.level ?? (mode === '4-level' ? 'PML4' : mode === 'pae' ? 'PDPT' : 'PD');
  const entries = readTable(physicalReader(rt), physAddr, level, args.baseVirtual !== undefined ? BigInt(args.baseVirtual) : 0n,
    { presentOnly: !args.includeNotPresent, nxe: ((regs.efer >> 11n) & 1n) === 1n, la57: ((regs.cr4 >> 12n) & 1n) === 1n });
  return { physAddr: hex(physAddr), level, mode: mode as PageTableResponseBody['mode'], entries };
}

/** "#PF → #PF → #DF → triple fault" */
export function chainSummary(chain: ExceptionEvent[]): string {
  const names: string[] = [];
  chain.forEach((e, i) => {
    if (e.phase === 'raised' && !(e.vector === 8 && chain[i - 1]?.phase === 'escalated')) names.push(e.name);
    else if (e.phase === 'escalated') names.push('#DF');
    else if (e.phase === 'tripleFault') names.push('triple fault');
  });
  return names.join(' → ');
}

/** Error code decoded (SDM §6.13 selector error codes, §4.7 page-fault error code). */
export function errorCodeText(vector: number, code: number | undefined): string | undefined {
  if (code === undefined) return undefined;
  if (vector === 14) {
    const parts = [code & 1 ? 'protection violation' : 'not-present', code & 2 ? 'write' : 'read', code & 4 ? 'user' : 'supervisor'];
    if (code & 8) parts.push('reserved bit set');
    if (code & 16) parts.push('instruction fetch');
    return parts.join(', ');
  }
  if (hasErrorCode(vector) && vector !== 8 && vector !== 17) {
    const table = code & 2 ? 'IDT' : code & 4 ? 'LDT' : 'GDT';
    const idx = code & 2 ? `vector ${code >> 3}` : `selector 0x${(code & ~7).toString(16)}`;
    return `${idx} (${table})${code & 1 ? ', external' : ''}`;
  }
  return undefined;
}

export function faultChainRequest(rt: Runtime, symbols: SymbolIndex | undefined,
  source: (a: bigint) => { path: string; line: number } | undefined): FaultChainResponseBody {
  const chain = rt.faultChain();
  const links: FaultChainLink[] = chain.map((e) => ({
    seq: e.seq, instructionCount: e.instructionCount, phase: e.phase, vector: e.vector, name: e.name,
    errorCode: e.errorCode, errorCodeText: errorCodeText(e.vector, e.errorCode), cr2: hex(e.cr2), rip: hex(e.rip),
    symbol: symbols?.describe(e.rip), source: source(e.rip), rsp: hex(e.rsp), cs: e.cs, ss: e.ss, reason: e.reason,
    duringDeliveryOf: e.duringDeliveryOf,
  }));
  return { links, diagnosis: diagnose(rt, chain), summary: chainSummary(chain) };
}

/** CP437 → Unicode for the VGA text buffer (printable ASCII kept, box drawing approximated). */
const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ';

/** The VGA text buffer at physical 0xb8000 (80×25, character + attribute per cell). */
export function screenRequest(rt: Runtime): ScreenResponseBody {
  const columns = 80, rows = 25;
  let cells: Uint8Array;
  try { cells = rt.readPhysical(0xb8000n, columns * rows * 2); } catch { return { mode: 'off', columns, rows, lines: [], attributes: '' }; }
  const lines: string[] = [];
  let attributes = '';
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < columns; c++) {
      const ch = cells[(r * columns + c) * 2], at = cells[(r * columns + c) * 2 + 1];
      line += ch >= 0x80 ? CP437_HIGH[ch - 0x80] : ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : ch === 0 ? ' ' : '·';
      attributes += at.toString(16).padStart(2, '0');
    }
    lines.push(line);
  }
  return { mode: 'text', columns, rows, lines, attributes };
}
