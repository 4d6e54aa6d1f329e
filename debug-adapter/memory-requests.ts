/**
 * DAP's memory requests — readMemory, writeMemory, disassemble — over the runtime's linear and physical
 * views. A memoryReference is an address expression ("0x1000", a symbol, "tss+0x24") or "phys:" followed by
 * one. Disassembly of 16-bit code shows segment:offset within the segment its address lies in.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Runtime } from '../emulator/api';
import { fromBase64, toBase64 } from '../emulator/bytes';
import type { SymbolIndex } from '../emulator/symbols/symbols';
import { RequestError } from './custom-requests';
import { decodeInstructions, type DecodedInstruction } from './disassemble';
import { PHYS_PREFIX } from './protocol';
import type { SourcePaths } from './sources';
import { hex } from './variables';

/** The largest readMemory/writeMemory (and faultline/lastWrite length) served at once. */
export const MAX_READ = 1 << 20;

export interface MemoryContext {
  rt: Runtime;
  symbols: SymbolIndex | undefined;
  sources: SourcePaths;
  /** Evaluate an address expression (registers, symbols, arithmetic). */
  evaluate(text: string): bigint;
}

/** Parse a memoryReference plus its byte offset. */
function reference(c: MemoryContext, ref: unknown, offset: unknown): { phys: boolean; address: bigint } {
  if (typeof ref !== 'string' || !ref) throw new RequestError("'memoryReference' must be a non-empty string such as 0x1000 or phys:0x1000");
  const phys = ref.startsWith(PHYS_PREFIX);
  const base = c.evaluate(phys ? ref.slice(PHYS_PREFIX.length) : ref);
  const off = offset === undefined ? 0n : BigInt(Math.trunc(Number(offset)) || 0);
  return { phys, address: BigInt.asUintN(64, base + off) };
}

export function readMemory(c: MemoryContext, a: DebugProtocol.ReadMemoryArguments): DebugProtocol.ReadMemoryResponse['body'] {
  const { phys, address } = reference(c, a.memoryReference, a.offset);
  const count = Number(a.count);
  if (!Number.isInteger(count) || count < 0) throw new RequestError(`'count' must be a non-negative integer, not ${a.count}`);
  if (count > MAX_READ) throw new RequestError(`readMemory of ${count} bytes is more than the ${MAX_READ}-byte limit; read in smaller pieces`);
  if (phys) {
    let data: Uint8Array;
    try { data = c.rt.readPhysical(address, count); } catch (e) { throw new RequestError(`cannot read physical ${hex(address)}: ${(e as Error).message}`); }
    return { address: hex(address), data: toBase64(data) };
  }
  const r = c.rt.readLinear(address, count);
  return { address: hex(address), data: toBase64(r.data.subarray(0, r.readable)), unreadableBytes: count - r.readable };
}

/**
 * Write guest memory; `written` runs once bytes may have changed (the caller refreshes its views), before an
 * unmapped tail fails the request (unless allowPartial).
 */
export function writeMemory(c: MemoryContext, a: DebugProtocol.WriteMemoryArguments, written: () => void): DebugProtocol.WriteMemoryResponse['body'] {
  const { phys, address } = reference(c, a.memoryReference, a.offset);
  if (typeof a.data !== 'string') throw new RequestError("'data' must be base64");
  const bytes = fromBase64(a.data);
  if (bytes.length > MAX_READ) throw new RequestError(`writeMemory of ${bytes.length} bytes is more than the ${MAX_READ}-byte limit`);
  let count = bytes.length;
  if (phys) c.rt.writePhysical(address, bytes);
  else count = c.rt.writeLinear(address, bytes);
  written();
  if (count < bytes.length && !a.allowPartial) throw new RequestError(`only ${count} of ${bytes.length} bytes were written: ${hex(address + BigInt(count))} is not mapped`);
  return { offset: 0, bytesWritten: count };
}

/**
 * Base of the segment 16-bit code at `address` runs in: the current CS when the address lies in its 64 KiB,
 * else the 64 KiB-aligned base below it (real mode has no other way to tell). 0 for 32/64-bit code.
 */
function segBase(rt: Runtime, address: bigint): bigint {
  const st = rt.state();
  if (st.codeBits !== 16) return 0n;
  if (address >= st.cs.base && address - st.cs.base <= 0xffffn) return st.cs.base;
  return address & ~0xffffn;
}

/** The instruction at a linear address in the current code size, or undefined where nothing is readable. */
export function decodeAt(rt: Runtime, address: bigint): DecodedInstruction | undefined {
  const r = rt.readLinear(address, 16);
  if (r.readable === 0) return undefined;
  return decodeInstructions(r.data.subarray(0, r.readable), address, rt.state().codeBits, 1, undefined, segBase(rt, address))[0];
}

export function disassemble(c: MemoryContext, a: DebugProtocol.DisassembleArguments): DebugProtocol.DisassembleResponse['body'] {
  const { rt, symbols } = c;
  const { address } = reference(c, a.memoryReference, a.offset);
  const count = Number(a.instructionCount);
  if (!Number.isInteger(count) || count < 0 || count > 10_000) throw new RequestError(`'instructionCount' must be an integer from 0 to 10000, not ${a.instructionCount}`);
  const insnOffset = Math.trunc(Number(a.instructionOffset ?? 0)) || 0;
  const bits = rt.state().codeBits;
  const before = Math.max(0, -insnOffset);
  const after = Math.max(0, count - before);
  const decodeFrom = (start: bigint, n: number) => {
    const r = rt.readLinear(start, n * 15 + 15);
    return decodeInstructions(r.data.subarray(0, r.readable), start, bits, n, (x) => symbols?.describe(x), segBase(rt, start));
  };
  // Instructions before `address`: decode from a point that resynchronizes exactly on it.
  let prior: DecodedInstruction[] = [];
  if (before > 0) {
    const fn = symbols?.functionAt(address);
    const starts = fn && address - fn.address <= BigInt(before * 15) ? [fn.address] : [];
    for (let back = BigInt(before * 8); back >= 0n && starts.length < 24; back -= 1n) starts.push(address - back);
    for (const s of starts) {
      if (s > address || s < 0n) continue;
      const list = decodeFrom(s, before * 15 + 1).filter((x) => x.address < address);
      const last = list[list.length - 1];
      if (list.length && last.address + BigInt(last.length) === address) { prior = list.slice(-before); break; }
    }
  }
  const forward = decodeFrom(address, after + Math.max(0, insnOffset)).slice(Math.max(0, insnOffset));
  const list = [...prior, ...forward];
  const out: DebugProtocol.DisassembledInstruction[] = [];
  for (let i = prior.length; i < before; i++) {
    out.push({ address: hex(address - BigInt(before - i)), instruction: '??', presentationHint: 'invalid' });
  }
  let lastFile: string | undefined;
  for (const x of list) {
    const loc = symbols?.lineAt(x.address);
    const sym = symbols?.symbolize(x.address);
    const d: DebugProtocol.DisassembledInstruction = { address: hex(x.address), instructionBytes: x.bytes, instruction: x.text };
    if (sym && sym.offset === 0n) d.symbol = sym.symbol.name;
    else if (sym && out.length === 0) d.symbol = symbols!.describe(x.address);
    if (loc) {
      d.line = loc.line;
      if (loc.file !== lastFile) d.location = c.sources.source(loc.file);
      lastFile = loc.file;
    }
    if (!x.valid) d.presentationHint = 'invalid';
    out.push(d);
  }
  let next = list.length ? list[list.length - 1].address + BigInt(list[list.length - 1].length) : address;
  while (out.length < count) {
    out.push({ address: hex(next), instruction: '??', presentationHint: 'invalid' });
    next += 1n;
  }
  return { instructions: out.slice(0, count) };
}
