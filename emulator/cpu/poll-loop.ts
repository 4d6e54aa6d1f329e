import type { Insn } from './insn';

/**
 * Polling loops on a timer port, e.g. GRUB's and Linux's TSC calibration against PIT counter 2
 * (`1: in al, 0x61; test al, 0x20; jz 1b`: 55 ms of virtual time, 55 million instructions at one instruction
 * per nanosecond, where QEMU simply lets 55 ms of host time pass). Such a loop's iterations are identical
 * until the port's value changes: IN writes the same value, and every other instruction either only reads
 * (TEST, CMP) or gives the same result when repeated (AND/OR with an immediate, MOV of an immediate, NOP,
 * PAUSE). After one real iteration the run loop can therefore retire the next k iterations at once (their
 * instruction count, so virtual time, timers and the history stay exactly as if they had run) up to just before
 * the port may change (PortHandler.stableUntil), the next timer deadline or the budget.
 *
 * The same holds for a loop that reads memory instead of (or besides) a port: a kernel waiting for its timer
 * interrupt to move a tick count (`1: mov eax, [ticks]; cmp eax, ebx; je 1b`, or the BIOS tick count at 0:046C)
 * reads the same RAM until that interrupt, which comes at a timer deadline (no device writes RAM between
 * deadlines on this CPU's turn), so its iterations are skipped up to the deadline. The run loop checks first that
 * every read hits RAM or ROM, not MMIO (a LAPIC or HPET counter changes with time).
 *
 * Public API: pollLoopPort(insns) -> POLL_NONE, POLL_DX, POLL_MEMORY or the port number; pollReads(insns).
 */
export const POLL_NONE = -1;
/** The loop reads the port DX names (DX is not written in the loop). */
export const POLL_DX = -2;
/** The loop reads memory and no port. */
export const POLL_MEMORY = -3;

/**
 * The port a block that loops to its own start polls, when the block is such a loop: at most one IN (imm8 or DX
 * port), memory reads into registers the address does not use, idempotent register instructions and
 * conditional branches, ending with a branch back to the block's first instruction. POLL_MEMORY: no IN, but at
 * least one memory read.
 */
export function pollLoopPort(insns: readonly Insn[]): number {
  const last = insns[insns.length - 1];
  let total = 0;
  for (const i of insns) total += i.len;
  const backEdge = last !== undefined && (isJcc(last) || last.op === 0xeb || last.op === 0xe9) && total + last.imm === 0;
  if (!backEdge || insns.length > 8) return POLL_NONE;
  let port = POLL_NONE;
  // DX set to a constant earlier in the loop (`mov dx, 0x3fd; in al, dx`: C's inb() unhoisted): the port it
  // names; -1 while DX is not written.
  let dx = -1;
  for (const i of insns) {
    if (i.lock || (i.rep !== 0 && i.op !== 0x90)) return POLL_NONE;
    const op = i.op;
    if (op === 0xe4 || op === 0xe5 || op === 0xec || op === 0xed) {
      if (port !== POLL_NONE) return POLL_NONE;
      port = op <= 0xe5 ? i.imm & 0xff : dx >= 0 ? dx : POLL_DX;
      continue;
    }
    if (op === 0xba && (i.rex & 1) === 0 && port === POLL_NONE && dx < 0) { dx = i.imm & 0xffff; continue; }
    if (!idempotent(i) && !readsMemory(i)) return POLL_NONE;
    // DX must stay what the IN reads: unchanged in the loop (IN DX), or between its constant and the IN.
    if ((port === POLL_DX || (port === POLL_NONE && dx >= 0)) && writesDx(i)) return POLL_NONE;
  }
  return port === POLL_NONE && pollReads(insns) ? POLL_MEMORY : port;
}

/** Whether any instruction of the loop reads memory (the run loop then checks that it is RAM or ROM). */
export function pollReads(insns: readonly Insn[]): boolean {
  return insns.some(readsMemory);
}

/**
 * A read of memory that gives the same state when repeated over the same memory: CMP and TEST with a memory
 * operand (flags only), and MOV/MOVZX/MOVSX of memory into a register the address does not use, MOV AL/eAX
 * from an absolute offset.
 */
function readsMemory(i: Insn): boolean {
  if (i.lock || i.vex || i.rep !== 0) return false;
  const op = i.op;
  if (op === 0xa0 || op === 0xa1) return true;
  if (!i.hasModrm || i.mod === 3) return false;
  if ((op >= 0x38 && op <= 0x3b) || op === 0x84 || op === 0x85) return true;
  if ((op === 0x80 || op === 0x81 || op === 0x83) && (i.reg & 7) === 7) return true;
  if ((op === 0xf6 || op === 0xf7) && (i.reg & 7) === 0) return true;
  if (op === 0x8a || op === 0x8b || op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) {
    // The destination register (AH..BH are parts of 0..3 without REX) must not be the base or index.
    const dest = op === 0x8a && i.rex === 0 && i.reg >= 4 && i.reg < 8 ? i.reg - 4 : i.reg;
    return dest !== i.base && dest !== i.index;
  }
  return false;
}

function isJcc(i: Insn): boolean {
  return (i.op >= 0x70 && i.op <= 0x7f) || (i.op >= 0x180 && i.op <= 0x18f);
}

/** Repeating it gives the state it left: reads only, or a register combined with (or set to) an immediate. */
function idempotent(i: Insn): boolean {
  const op = i.op;
  if (isJcc(i) || op === 0xeb || op === 0xe9 || op === 0x90) return true;
  // CMP and TEST of two registers (flags only)
  if (((op >= 0x38 && op <= 0x3b) || op === 0x84 || op === 0x85) && i.mod === 3) return true;
  // TEST/AND/OR/CMP AL|eAX, imm
  if (op === 0xa8 || op === 0xa9 || op === 0x24 || op === 0x25 || op === 0x0c || op === 0x0d || op === 0x3c || op === 0x3d) return true;
  // MOV r, imm
  if (op >= 0xb0 && op <= 0xbf) return true;
  // Group 1 (80/81/83) with OR (/1), AND (/4), CMP (/7) on a register; group 3 (F6/F7) TEST (/0) on a register.
  if ((op === 0x80 || op === 0x81 || op === 0x83) && i.mod === 3) return [1, 4, 7].includes(i.reg & 7);
  if ((op === 0xf6 || op === 0xf7) && i.mod === 3) return (i.reg & 7) === 0;
  return false;
}

/** MOV DX/EDX, imm or a group-1 write to register 2 (the port register must stay the same). */
function writesDx(i: Insn): boolean {
  const op = i.op;
  if (op === 0xb2 || op === 0xb6 || op === 0xba) return true; // MOV DL/DH/eDX, imm
  if ((op === 0x80 || op === 0x81 || op === 0x83) && i.mod === 3 && (i.reg & 7) !== 7) return (i.rm & 7) === 2 || (op === 0x80 && (i.rm & 7) === 6);
  return false;
}
