/**
 * Stack unwinding for the stackTrace request: CFI rows from the symbol reader when an FDE covers the PC,
 * else the RBP chain; every step is validated against readable guest memory. A delivered exception in the
 * runtime's fault chain becomes a boundary frame between the handler and the interrupted code: the frame
 * the CPU pushed (SDM §6.14.2, Figure 6-9: [error code], RIP, CS, RFLAGS, RSP, SS) names where to go on.
 */
import type { ExceptionEvent, Runtime } from '../emulator/api';
import { DW_REG_RA, DW_REG_RBP, DW_REG_RSP } from '../emulator/symbols/cfi';
import type { SymbolIndex } from '../emulator/symbols/symbols';

export interface UnwoundFrame {
  kind: 'code' | 'exception';
  /** Instruction address of the frame (for callers: the return address). */
  pc: bigint;
  /** RSP in that frame. */
  rsp: bigint;
  /** Label for 'exception' frames: "⚡ #PF delivered, error 0x2". */
  label?: string;
  /** The delivered event an 'exception' frame stands for. */
  event?: ExceptionEvent;
}

const MAX_FRAMES = 4096;

export interface UnwindInput {
  rip: bigint;
  rsp: bigint;
  rbp: bigint;
  /** 64-bit code: frames are 8-byte slots. */
  long: boolean;
}

/** Unwind up to `limit` frames. */
export function unwind(rt: Runtime, symbols: SymbolIndex | undefined, start: UnwindInput, chain: ExceptionEvent[],
  hasErrorCode: (vector: number) => boolean, limit = MAX_FRAMES): UnwoundFrame[] {
  const frames: UnwoundFrame[] = [];
  const delivered = [...chain].reverse().find((e) => e.phase === 'delivered');
  let usedDelivery = false;
  const read64 = (a: bigint): bigint | undefined => {
    const r = rt.readLinear(a, 8);
    if (r.readable < 8) return undefined;
    return new DataView(r.data.buffer, r.data.byteOffset, 8).getBigUint64(0, true);
  };
  let { rip: pc, rsp, rbp } = start;
  for (let depth = 0; depth < Math.min(limit, MAX_FRAMES); depth++) {
    frames.push({ kind: 'code', pc, rsp });
    if (!start.long) break; // 32-bit unwinding is not supported: show the current frame only
    // Inside the handler of the last delivered exception: the next frame is the exception boundary.
    if (delivered && !usedDelivery && inHandler(symbols, pc, delivered.rip) && rsp <= delivered.rsp) {
      usedDelivery = true;
      const code = hasErrorCode(delivered.vector) && !delivered.external && !delivered.software;
      const base = delivered.rsp + (code ? 8n : 0n);
      const ripSaved = read64(base), rspSaved = read64(base + 24n);
      const err = code ? read64(delivered.rsp) : undefined;
      const label = `⚡ ${delivered.name} delivered${err !== undefined ? `, error 0x${err.toString(16)}` : ''}`;
      frames.push({ kind: 'exception', pc: ripSaved ?? 0n, rsp: delivered.rsp, label, event: delivered });
      if (ripSaved === undefined || rspSaved === undefined || frames.length >= limit) break;
      pc = ripSaved;
      rsp = rspSaved;
      continue; // RBP: the handler preserves it (callee-saved); keep the current value
    }
    const next = step(symbols, pc, rsp, rbp, depth === 0, read64);
    if (!next || next.pc === 0n) break;
    if (next.rsp <= rsp && !(next.rsp === rsp && next.pc !== pc)) break; // the stack must unwind upwards
    if (symbols && !symbols.symbolize(next.pc)) break; // a return address outside any code is garbage
    ({ pc, rsp, rbp } = next);
  }
  return frames;
}

function inHandler(symbols: SymbolIndex | undefined, pc: bigint, handler: bigint): boolean {
  if (pc === handler) return true;
  const f = symbols?.functionAt(handler);
  if (!f) return false;
  const end = f.size > 0 ? f.address + BigInt(f.size) : f.address + 0x1000n;
  return pc >= f.address && pc < end;
}

function step(symbols: SymbolIndex | undefined, pc: bigint, rsp: bigint, rbp: bigint, top: boolean,
  read64: (a: bigint) => bigint | undefined): { pc: bigint; rsp: bigint; rbp: bigint } | undefined {
  // Callers' PCs are return addresses: look up the row of the call instruction (pc - 1).
  const row = symbols?.unwindRow(top ? pc : pc - 1n);
  if (row && !row.cfaExpression && (row.cfaReg === DW_REG_RSP || row.cfaReg === DW_REG_RBP)) {
    const cfa = (row.cfaReg === DW_REG_RSP ? rsp : rbp) + BigInt(row.cfaOffset);
    const raRule = row.rules.get(DW_REG_RA);
    const raAt = raRule?.kind === 'offset' ? cfa + BigInt(raRule.offset) : cfa - 8n;
    const ra = read64(raAt);
    if (ra === undefined) return undefined;
    const rbpRule = row.rules.get(DW_REG_RBP);
    const savedRbp = rbpRule?.kind === 'offset' ? read64(cfa + BigInt(rbpRule.offset)) : rbp;
    return { pc: ra, rsp: cfa, rbp: savedRbp ?? rbp };
  }
  // No CFI: the classic frame-pointer chain [rbp] = caller's rbp, [rbp+8] = return address.
  if (rbp < rsp || (rbp & 7n) !== 0n || rbp - rsp > 0x100000n) return undefined;
  const savedRbp = read64(rbp), ra = read64(rbp + 8n);
  if (savedRbp === undefined || ra === undefined) return undefined;
  return { pc: ra, rsp: rbp + 16n, rbp: savedRbp };
}
