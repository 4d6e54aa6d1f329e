/**
 * Stops as gdb stop replies (gdb manual, "Stop Reply Packets"): `T` + signal in gdb's own numbering + the
 * thread and the stop's reason (swbreak, hwbreak, watch/rwatch/awatch, replaylog), or `W` when the guest exited.
 * Exceptions map to the signal a Unix kernel would send for them: #PF, #GP, #SS, #NP, #TS, #DF → SIGSEGV,
 * #DE, #MF, #XM, #NM → SIGFPE, #UD → SIGILL, #AC, #MC → SIGBUS, #BP, #DB → SIGTRAP.
 */
import type { ExceptionEvent, StopInfo } from '../api';

/** gdb's signal numbers (include/gdb/signals.def), not the host's. */
export const SIG = { INT: 2, ILL: 4, TRAP: 5, FPE: 8, BUS: 10, SEGV: 11, STOP: 17 } as const;

export function signalForVector(vector: number): number {
  switch (vector) {
    case 0: case 7: case 16: case 19: return SIG.FPE;
    case 1: case 3: return SIG.TRAP;
    case 2: return SIG.INT;
    case 6: return SIG.ILL;
    case 17: case 18: return SIG.BUS;
    default: return SIG.SEGV;
  }
}

export interface StopContext {
  /** Breakpoint kinds gdb inserted at an address (Z0 software, Z1 hardware). */
  breakpointKind(rip: bigint): 'swbreak' | 'hwbreak' | undefined;
  rip: bigint;
  /** A reverse operation ran into the start of recorded history. */
  reachedStart?: boolean;
  /** The thread (CPU + 1) that stopped; 1 when absent. */
  thread?: number;
}

/** The stop reply for a machine stop; `interrupted` for a Ctrl-C. */
export function stopReply(stop: StopInfo | 'interrupted' | 'attached', ctx: StopContext): string {
  const t = (sig: number, extra = '') => `T${sig.toString(16).padStart(2, '0')}thread:${(ctx.thread ?? 1).toString(16).padStart(2, '0')};${extra}${ctx.reachedStart ? 'replaylog:begin;' : ''}`;
  if (stop === 'interrupted') return t(SIG.INT);
  if (stop === 'attached') return t(SIG.TRAP);
  switch (stop.reason) {
    case 'breakpoint': {
      const kind = ctx.breakpointKind(ctx.rip);
      return t(SIG.TRAP, kind ? `${kind}:;` : '');
    }
    case 'watchpoint': {
      // watch (Z2), rwatch (Z3), awatch (Z4) with the first watched byte accessed: gdb finds its watchpoint by it.
      const w = stop.watch;
      return t(SIG.TRAP, w ? `${w.access === 'write' ? 'watch' : w.access === 'read' ? 'rwatch' : 'awatch'}:${w.address.toString(16)};` : '');
    }
    case 'exception': case 'shutdown': return t(stop.event ? signalForVector(stop.event.vector) : SIG.SEGV);
    case 'exit': return `W${((stop.exitCode ?? 0) & 0xff).toString(16).padStart(2, '0')}`;
    case 'halt': return t(SIG.STOP);
    case 'pause': return t(SIG.INT);
    default: return t(SIG.TRAP); // step, budget
  }
}

/** One line for the console: why the machine stopped on an exception. */
export function exceptionLine(ev: ExceptionEvent): string {
  const code = ev.errorCode !== undefined ? `(0x${ev.errorCode.toString(16)})` : '';
  switch (ev.phase) {
    case 'escalated': return `Faultline: ${ev.reason}; 'monitor faultchain' explains it`;
    case 'tripleFault': return `Faultline: triple fault: ${ev.reason}; 'monitor faultchain' explains it`;
    default: return `Faultline: ${ev.name}${code} raised at 0x${ev.rip.toString(16)}${ev.duringDeliveryOf !== undefined ? ' during delivery' : ''}: ${ev.reason}` +
      ' (stopped before delivery)';
  }
}
