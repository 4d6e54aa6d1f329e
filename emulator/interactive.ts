/**
 * A live run (`faultline run KERNEL --serial stdio`): the same session as runSession (recording.ts: planned
 * inputs at their instruction counts, serial digest, reset counting), plus input that arrives while the guest
 * runs. The run goes in slices of about 16 ms of wall time; between slices the host's event loop reads the
 * terminal, typed bytes go to COM1 at the instruction count reached (and into the session's input log, so a
 * recording of an interactive session replays exactly), and output is flushed.
 *
 * Idle guests are paced: a guest halted with interrupts on jumps virtual time to its next timer (machine.ts),
 * so without pacing a waiting shell would race through its timer ticks; here virtual time is not let run more
 * than a frame ahead of wall time. HLT with interrupts on and no timer waits for input instead of ending.
 *
 * Public API: LiveInput, runInteractive.
 */
import { Machine } from './machine';
import { applyInput, PlannedInput, SessionResult, startSession } from './recording';

export interface LiveInput {
  /** Bytes typed since the last call (for COM1). */
  take(): number[];
  /** The user asked to quit (Ctrl-A X). */
  readonly quit: boolean;
  /** Resolves when input arrives or after `ms` (idle waits). */
  wait(ms: number): Promise<void>;
}

const FRAME_MS = 16;
const STEP = 1_000_000;
const IF = 0x200n;

/** The session, whether the user quit, and how many instructions ran (across resets: a replay's budget). */
export interface InteractiveResult {
  session: SessionResult;
  quit: boolean;
  instructions: number;
}

export async function runInteractive(m: Machine, maxInstructions: number, inputs: PlannedInput[], live: LiveInput,
  onFrame: () => void): Promise<InteractiveResult> {
  const r = startSession(m);
  const start = Date.now();
  let virtual = 0; // instructions run in this session (across resets)
  let left = maxInstructions;
  let next = 0;
  while (left > 0 && !live.quit) {
    const typed = live.take();
    if (typed.length) applyInput(m, r, { instructions: m.instructionCount, kind: 'serial', bytes: typed });
    const frameEnd = Date.now() + FRAME_MS;
    let idle = false;
    while (left > 0 && Date.now() < frameEnd) {
      const input = inputs[next];
      if (input && m.instructionCount >= input.instructions) {
        applyInput(m, r, input);
        next++;
        continue;
      }
      const before = m.instructionCount;
      r.stop = m.run(Math.min(left, STEP, input ? input.instructions - before : Infinity));
      const ran = Math.max(0, m.instructionCount - before);
      left -= ran;
      virtual += ran;
      if (r.stop.reason === 'halt' && (m.state().regs.rflags & IF) !== 0n) { idle = true; break; }
      if (r.stop.reason !== 'budget') { onFrame(); return { session: r, quit: false, instructions: virtual }; }
      if (virtual > (Date.now() - start + FRAME_MS) * 1e6) { idle = true; break; }
    }
    onFrame();
    await live.wait(idle ? FRAME_MS : 0);
  }
  // Keys typed before C-a x that the loop had not taken yet (both in one read, or while a frame ran) still
  // reach COM1, at the instruction where the session ends, and are recorded with it.
  if (live.quit) {
    const typed = live.take();
    if (typed.length) applyInput(m, r, { instructions: m.instructionCount, kind: 'serial', bytes: typed });
  }
  // On quit the last stop stays (budget while busy, halt while idle): a replay with `instructions` as its
  // budget ends the same way.
  return { session: r, quit: live.quit, instructions: virtual };
}
