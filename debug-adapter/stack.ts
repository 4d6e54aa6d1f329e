/**
 * Stack unwinding for the stackTrace request: CFI rows from the symbol reader when an FDE covers the PC,
 * else the RBP chain; every step is validated against readable guest memory. A delivered exception in the
 * runtime's fault chain becomes a boundary frame between the handler and the interrupted code: the frame
 * the CPU pushed (SDM §6.14.2, Figure 6-9: [error code], RIP, CS, RFLAGS, RSP, SS) names where to go on.
 */
import type { CpuStateView, ExceptionEvent, Runtime } from '../emulator/api';
import { DW_REG_RBP, DW_REG_RSP } from '../emulator/symbols/cfi';
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
  /**
   * Real-address mode: rip, rsp and rbp are linear addresses (segment base + offset), stack slots are 16-bit
   * words, a return address is an IP in the current code segment and a saved BP an offset in SS.
   */
  real?: { csBase: bigint; ssBase: bigint };
}

/** DWARF register numbers of the stack pointer and frame pointer, and the stack slot size (psABIs). */
const X64 = { sp: DW_REG_RSP, bp: DW_REG_RBP, word: 8 };
const I386 = { sp: 4, bp: 5, word: 4 };
const I8086 = { sp: 4, bp: 5, word: 2 };
type Arch = typeof X64;

/**
 * The stack pointer as a linear address, comparable with the unwinder's frame addresses: SS × 16 + SP in
 * real mode (the stack is a 64 KiB segment anywhere below 1 MiB), RSP itself with the flat stacks of
 * protected and long mode.
 */
export function stackLinear(st: CpuStateView): bigint {
  return st.mode === 'real' ? st.ss.base + (st.regs.rsp & 0xffffn) : st.regs.rsp;
}

/** Unwind up to `limit` frames. */
export function unwind(rt: Runtime, symbols: SymbolIndex | undefined, start: UnwindInput, chain: ExceptionEvent[],
  hasErrorCode: (vector: number) => boolean, limit = MAX_FRAMES): UnwoundFrame[] {
  const frames: UnwoundFrame[] = [];
  const arch = start.long ? X64 : start.real ? I8086 : I386;
  const delivered = [...chain].reverse().find((e) => e.phase === 'delivered');
  let usedDelivery = false;
  const readWord = (a: bigint): bigint | undefined => {
    const r = rt.readLinear(a, arch.word);
    if (r.readable < arch.word) return undefined;
    const v = new DataView(r.data.buffer, r.data.byteOffset, arch.word);
    return arch.word === 8 ? v.getBigUint64(0, true) : arch.word === 4 ? BigInt(v.getUint32(0, true)) : BigInt(v.getUint16(0, true));
  };
  // Where the delivered event's handler starts and its frame lies, as linear addresses (real mode: seg × 16 + offset).
  const evPc = delivered && (delivered.realMode ? BigInt(delivered.cs) * 16n + delivered.rip : delivered.rip);
  const evSp = delivered && (delivered.realMode ? BigInt(delivered.ss) * 16n + (delivered.rsp & 0xffffn) : delivered.rsp);
  let { rip: pc, rsp, rbp } = start;
  for (let depth = 0; depth < Math.min(limit, MAX_FRAMES); depth++) {
    frames.push({ kind: 'code', pc, rsp });
    // Inside the handler of the last delivered exception: the next frame is the exception boundary.
    if (delivered && evPc !== undefined && evSp !== undefined && !usedDelivery && inHandler(symbols, pc, evPc) && rsp <= evSp) {
      usedDelivery = true;
      // Real mode pushes no error code (SDM §20.1.4); the IVT frame is IP, CS, FLAGS as words.
      const code = hasErrorCode(delivered.vector) && !delivered.external && !delivered.software && !delivered.realMode;
      const from = delivered.realMode ? interruptedReal(evSp, readWord) : interruptedAt(delivered, code, arch, readWord);
      const err = code && !delivered.interrupted?.taskSwitch ? readWord(delivered.rsp) : delivered.errorCode !== undefined && !delivered.realMode ? BigInt(delivered.errorCode) : undefined;
      const how = delivered.interrupted?.taskSwitch ? ' through a task gate' : delivered.realMode ? ' through the IVT' : '';
      const label = `⚡ ${delivered.name} delivered${how}${err !== undefined ? `, error 0x${err.toString(16)}` : ''}`;
      frames.push({ kind: 'exception', pc: from.pc ?? 0n, rsp: evSp, label, event: delivered });
      if (from.pc === undefined || from.rsp === undefined || frames.length >= limit) break;
      pc = from.pc;
      rsp = from.rsp;
      continue; // RBP: the handler preserves it (callee-saved); keep the current value
    }
    const next = start.real ? step16(start.real, rsp, rbp, readWord) : step(symbols, arch, pc, rsp, rbp, depth === 0, readWord);
    if (!next || next.pc === 0n) break;
    if (next.rsp <= rsp && !(next.rsp === rsp && next.pc !== pc)) break; // the stack must unwind upwards
    if (symbols && !symbols.symbolize(next.pc)) break; // a return address outside any code is garbage
    ({ pc, rsp, rbp } = next);
  }
  return frames;
}

/**
 * Where the delivered exception interrupted the code: from the frame the CPU pushed (64-bit: [error code],
 * RIP, CS, RFLAGS, RSP, SS, SDM Figure 6-9; 32-bit: [error code], EIP, CS, EFLAGS, and ESP/SS only on a
 * privilege change, Figure 6-4), or, after a task switch, from the event (that state is in the old TSS).
 */
function interruptedAt(ev: ExceptionEvent, code: boolean, arch: Arch, readWord: (a: bigint) => bigint | undefined): { pc?: bigint; rsp?: bigint } {
  if (ev.interrupted?.taskSwitch) return { pc: ev.interrupted.rip, rsp: ev.interrupted.rsp };
  const w = BigInt(arch.word);
  const base = ev.rsp + (code ? w : 0n);
  const pc = readWord(base);
  if (arch === X64) return { pc, rsp: readWord(base + 3n * w) };
  const cs = readWord(base + w);
  const samePrivilege = cs !== undefined && Number(cs & 3n) === (ev.cs & 3);
  return { pc, rsp: samePrivilege ? base + 3n * w : readWord(base + 3n * w) };
}

/** Real mode: the IVT frame at `sp` (linear) holds IP, CS, FLAGS; execution resumes at CS × 16 + IP. */
function interruptedReal(sp: bigint, readWord: (a: bigint) => bigint | undefined): { pc?: bigint; rsp?: bigint } {
  const ip = readWord(sp), cs = readWord(sp + 2n);
  return { pc: ip !== undefined && cs !== undefined ? cs * 16n + ip : undefined, rsp: sp + 6n };
}

/**
 * 16-bit real-mode frame chain: [SS:BP] = the caller's BP, [SS:BP+2] = the return IP of a near call in the
 * same code segment (the shape of `push bp; mov bp, sp` code that compilers and hand-written BIOS code use).
 */
function step16(seg: { csBase: bigint; ssBase: bigint }, rsp: bigint, rbp: bigint,
  readWord: (a: bigint) => bigint | undefined): { pc: bigint; rsp: bigint; rbp: bigint } | undefined {
  if (rbp < rsp || (rbp & 1n) !== 0n || rbp - rsp > 0x10000n) return undefined;
  const savedBp = readWord(rbp), ip = readWord(rbp + 2n);
  if (savedBp === undefined || ip === undefined) return undefined;
  return { pc: seg.csBase + ip, rsp: rbp + 4n, rbp: seg.ssBase + savedBp };
}

function inHandler(symbols: SymbolIndex | undefined, pc: bigint, handler: bigint): boolean {
  if (pc === handler) return true;
  const f = symbols?.functionAt(handler);
  if (!f) return false;
  const end = f.size > 0 ? f.address + BigInt(f.size) : f.address + 0x1000n;
  return pc >= f.address && pc < end;
}

function step(symbols: SymbolIndex | undefined, arch: Arch, pc: bigint, rsp: bigint, rbp: bigint, top: boolean,
  readWord: (a: bigint) => bigint | undefined): { pc: bigint; rsp: bigint; rbp: bigint } | undefined {
  const w = BigInt(arch.word);
  // Callers' PCs are return addresses: look up the row of the call instruction (pc - 1).
  const row = symbols?.unwindRow(top ? pc : pc - 1n);
  if (row && !row.cfaExpression && (row.cfaReg === arch.sp || row.cfaReg === arch.bp)) {
    const cfa = (row.cfaReg === arch.sp ? rsp : rbp) + BigInt(row.cfaOffset);
    const raRule = row.rules.get(row.returnAddressRegister);
    const raAt = raRule?.kind === 'offset' ? cfa + BigInt(raRule.offset) : cfa - w;
    const ra = readWord(raAt);
    if (ra === undefined) return undefined;
    const bpRule = row.rules.get(arch.bp);
    const savedBp = bpRule?.kind === 'offset' ? readWord(cfa + BigInt(bpRule.offset)) : rbp;
    return { pc: ra, rsp: cfa, rbp: savedBp ?? rbp };
  }
  // No CFI: the classic frame-pointer chain [bp] = caller's bp, [bp + word] = return address.
  if (rbp < rsp || (rbp & (w - 1n)) !== 0n || rbp - rsp > 0x100000n) return undefined;
  const savedBp = readWord(rbp), ra = readWord(rbp + w);
  if (savedBp === undefined || ra === undefined) return undefined;
  return { pc: ra, rsp: rbp + 2n * w, rbp: savedBp };
}
