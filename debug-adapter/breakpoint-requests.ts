/**
 * The breakpoint requests: setBreakpoints (source lines), setFunctionBreakpoints, setInstructionBreakpoints,
 * setExceptionBreakpoints, dataBreakpointInfo and setDataBreakpoints; and the one place that gives the runtime
 * its breakpoints: the user's (breakpoints.ts BreakpointBook) plus the temporary ones a goal sets.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { WatchSpec } from '../emulator/api';
import { BreakpointBook } from './breakpoints';
import { addressArg, evalExpression } from './evaluate';
import { UserError, type SessionState } from './session-state';
import { hex } from './variables';

export function setBreakpoints(s: SessionState, a: DebugProtocol.SetBreakpointsArguments): DebugProtocol.SetBreakpointsResponse['body'] {
  const file = a.source?.path;
  if (typeof file !== 'string') throw new UserError("setBreakpoints needs 'source.path'");
  const lines = Array.isArray(a.breakpoints) ? a.breakpoints.map((b) => b?.line) : Array.isArray(a.lines) ? a.lines : [];
  const list = s.bps.setSource(s.sources.hostPath(file), lines);
  syncBreakpoints(s);
  const name = s.sources.path.basename(file);
  return { breakpoints: list.map((b) => BreakpointBook.sourceResult(file, b, s.symbols, name)) };
}

export function setFunctionBreakpoints(s: SessionState, a: DebugProtocol.SetFunctionBreakpointsArguments): DebugProtocol.SetFunctionBreakpointsResponse['body'] {
  const bps = Array.isArray(a.breakpoints) ? a.breakpoints : [];
  const list = s.bps.setFunctions(bps.map((b) => String(b?.name ?? '')));
  syncBreakpoints(s);
  return {
    breakpoints: list.map((b) => b.address !== undefined
      ? { id: b.id, verified: true, instructionReference: hex(b.address), ...s.sources.sourceAndLine(s.symbols, b.address) }
      : { id: b.id, verified: false, message: s.symbols ? `no function '${b.name}' in the symbol table` : 'resolved when the kernel is launched' }),
  };
}

export function setInstructionBreakpoints(s: SessionState, a: DebugProtocol.SetInstructionBreakpointsArguments): DebugProtocol.SetInstructionBreakpointsResponse['body'] {
  const bps = Array.isArray(a.breakpoints) ? a.breakpoints : [];
  const list = s.bps.setInstructions(bps.map((b) => addressArg(s, b?.instructionReference, 'instructionReference') + BigInt(b?.offset ?? 0)));
  syncBreakpoints(s);
  return { breakpoints: list.map((b) => ({ id: b.id, verified: true, instructionReference: hex(b.address) })) };
}

/** Resolve every user breakpoint to addresses and give the runtime the union (plus temporary ones). */
export function syncBreakpoints(s: SessionState): void {
  s.bps.resolve(s.symbols, (dwarf, file) => s.sources.same(dwarf, file));
  if (!s.rt) return;
  s.rt.clearBreakpoints();
  for (const a of s.bps.addresses()) s.rt.addBreakpoint(a);
  for (const a of s.tempBreakpoints) s.rt.addBreakpoint(a);
}

/** A goal's temporary breakpoint (dropped at the next stop). */
export function addTemp(s: SessionState, a: bigint): void {
  if (s.tempBreakpoints.has(a)) return;
  s.tempBreakpoints.add(a);
  s.rt!.addBreakpoint(a);
}

/** Drop the temporary breakpoints, keeping the user's at the same addresses. */
export function clearTemps(s: SessionState): void {
  const user = s.bps.addresses();
  for (const a of s.tempBreakpoints) if (!user.has(a)) s.rt!.removeBreakpoint(a);
  s.tempBreakpoints.clear();
}

export function setExceptionBreakpoints(s: SessionState, a: DebugProtocol.SetExceptionBreakpointsArguments): DebugProtocol.SetExceptionBreakpointsResponse['body'] {
  const filters = Array.isArray(a.filters) ? a.filters : [];
  const options = Array.isArray(a.filterOptions) ? a.filterOptions : [];
  return { breakpoints: s.filters.set(filters, options) };
}

export function dataBreakpointInfo(s: SessionState, a: DebugProtocol.DataBreakpointInfoArguments & { asAddress?: boolean; bytes?: number }): DebugProtocol.DataBreakpointInfoResponse['body'] {
  if (typeof a.name !== 'string') throw new UserError("dataBreakpointInfo needs 'name' (an address expression such as 0x1000 or tss+0x24)");
  let address: bigint;
  try {
    address = evalExpression(s, a.name);
  } catch (e) {
    return { dataId: null, description: `cannot watch '${a.name}': ${(e as Error).message}` };
  }
  const size = typeof a.bytes === 'number' && a.bytes > 0 ? Math.min(a.bytes, 1 << 20) : 8;
  return { dataId: `${hex(address)}:${size}`, description: `${hex(address)}..${hex(address + BigInt(size - 1))}`, accessTypes: ['write', 'read', 'readWrite'], canPersist: true };
}

export function setDataBreakpoints(s: SessionState, a: DebugProtocol.SetDataBreakpointsArguments): DebugProtocol.SetDataBreakpointsResponse['body'] {
  const bps = Array.isArray(a.breakpoints) ? a.breakpoints : [];
  const ranges: WatchSpec[] = [];
  const result: DebugProtocol.Breakpoint[] = bps.map((b) => {
    const m = /^(0x[0-9a-f]+):(\d+)$/i.exec(String(b?.dataId ?? ''));
    if (!m) return { verified: false, message: `unknown data breakpoint id '${String(b?.dataId)}'` };
    const access = b.accessType ?? 'write';
    if (access !== 'write' && access !== 'read' && access !== 'readWrite') return { verified: false, message: `accessType '${String(access)}' is not write, read or readWrite` };
    ranges.push({ start: BigInt(m[1]), length: Number(m[2]), access });
    return { verified: true, id: s.bps.newId() };
  });
  s.rt?.setWatchpoints(ranges);
  if (!s.rt && ranges.length) throw new UserError("setDataBreakpoints needs a running machine: send 'launch' first");
  return { breakpoints: result };
}
