/**
 * Reverse debugging over the machine's recorded history (emulator/history*.ts): stepBack (an instruction,
 * or back to the start of the previous source line), reverseContinue, faultline/gotoInstruction (a
 * retired-instruction count) and faultline/lastWrite (travel to the last write to an address). Each travels
 * synchronously and reports where it landed like any other stop. Needs one CPU and historyMB above 0.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExceptionEvent, ReverseStop, Runtime, StopInfo, TimelinePosition } from '../emulator/api';
import { clearTemps } from './breakpoint-requests';
import { addressArg } from './evaluate';
import { MAX_READ } from './memory-requests';
import { UserError, type SessionState } from './session-state';
import { reportStop } from './stops';
import { hex } from './variables';

/** History on by default with one CPU: this much. */
export const DEFAULT_HISTORY_MB = 512;
/** Reverse line steps go back at most this many instructions. */
const LINE_BACK_LIMIT = 2000;

/** The reverse-debugging side of the machine (emulator/machine.ts: Machine). */
export interface Reversible {
  enableHistory(o: { limitMB?: number }): void;
  goto(instructions: number, seq?: number): StopInfo;
  stepBack(): ReverseStop;
  reverseContinue(stop?: (ev: ExceptionEvent) => boolean): ReverseStop;
  lastWriteTo(address: bigint, length: number): { position: TimelinePosition; rip: bigint } | undefined;
  readonly position: TimelinePosition;
}

function reversible(s: SessionState): Reversible {
  const rt = s.rt as (Runtime & Partial<Reversible>) | undefined;
  if ((rt?.cpuCount ?? 1) > 1) throw new UserError('reverse debugging works with one CPU only: set "smp" to 1 in launch.json');
  if (!rt || typeof rt.stepBack !== 'function' || s.launchArgs?.historyMB === 0) {
    throw new UserError('reverse debugging is off: set "historyMB" above 0 in launch.json');
  }
  return rt as Runtime & Reversible;
}

/** stepBack: one instruction (granularity 'instruction' or no line info), else to the start of the previous line. */
export function stepBack(s: SessionState, a: DebugProtocol.StepBackArguments): void {
  const r = reversible(s);
  const rt = s.rt!;
  const loc = s.symbols?.lineAt(rt.state().pc);
  if (a.granularity === 'instruction' || !loc) return travel(s, () => r.stepBack());
  travel(s, () => {
    let b = r.stepBack();
    for (let i = 0; i < LINE_BACK_LIMIT && !b.reachedStart; i++) {
      const pc = rt.state().pc;
      const l = s.symbols?.lineAt(pc);
      if (b.reason !== 'step' || (l && l.isStmt && pc === l.address && (l.line !== loc.line || l.file !== loc.file))) break;
      b = r.stepBack();
    }
    return b;
  });
}

export function reverseContinue(s: SessionState): void {
  travel(s, () => reversible(s).reverseContinue());
}

/** faultline/gotoInstruction { count, seq? }: to that point of the recorded history. */
export function gotoInstruction(s: SessionState, a: { count?: unknown; seq?: unknown }): { position: TimelinePosition } {
  const count = Number(a.count), seq = a.seq === undefined ? 0 : Number(a.seq);
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(seq) || seq < 0) throw new UserError("faultline/gotoInstruction needs 'count' (a retired-instruction count, a whole number)");
  const r = reversible(s);
  travel(s, () => ({ ...r.goto(count, seq), position: r.position, reachedStart: false }));
  return { position: r.position };
}

/** faultline/lastWrite { address, length? }: to the instruction that last wrote there, if the history holds it. */
export function lastWrite(s: SessionState, a: { address?: unknown; length?: unknown }): { found: boolean; message?: string; instructionCount?: number; rip?: string } {
  const address = addressArg(s, a.address, 'address');
  const length = a.length === undefined ? 8 : Number(a.length);
  if (!Number.isInteger(length) || length < 1 || length > MAX_READ) throw new UserError("faultline/lastWrite: 'length' must be a byte count from 1 to 1048576");
  const r = reversible(s);
  const w = r.lastWriteTo(address, length);
  if (!w) return { found: false, message: `no write to ${hex(address)} in the recorded history` };
  travel(s, () => ({ ...r.goto(w.position.instructions, w.position.seq), position: r.position, reachedStart: false }), 'data breakpoint',
    `last write to ${hex(address)} (instruction ${w.position.instructions}, at ${hex(w.rip)})`);
  return { found: true, instructionCount: w.position.instructions, rip: hex(w.rip) };
}

/** Run a reverse operation (synchronous) and report where it stopped, like any other stop. */
function travel(s: SessionState, f: () => ReverseStop, reason?: string, description?: string): void {
  clearTemps(s);
  const stop = f();
  s.lastException = undefined;
  setImmediate(() => {
    if (stop.reachedStart) {
      reportStop(s, { reason: 'step' }, 'step');
      s.log(`reached the start of the recorded history (instruction ${stop.position.instructions}); raise "historyMB" to keep more`);
      return;
    }
    const info: StopInfo = { reason: stop.reason === 'budget' ? 'step' : stop.reason, event: stop.event, watch: stop.watch };
    reportStop(s, info, reason, description);
  });
}
