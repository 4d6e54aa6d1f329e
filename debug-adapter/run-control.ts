/**
 * Running the guest forward: continue, next, stepIn, stepOut and pause, each as a goal (run, one instruction,
 * deliver the pending exception, run until a return address, until the entry point, until the next source
 * line). The guest runs in slices (run(SLICE) for at most SLICE_MS, then setImmediate), so pause and other
 * requests are served while a guest loops forever; a guest idle in HLT waits for input without spinning.
 * Reverse execution is reverse.ts; the stop is reported by stops.ts.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { StopInfo } from '../emulator/api';
import { addTemp } from './breakpoint-requests';
import { frames } from './inspection';
import { decodeAt } from './memory-requests';
import { UserError, type SessionState } from './session-state';
import { stackLinear } from './stack';
import { reportStop } from './stops';
import { focus } from './threads';

const SLICE = 200_000;
const SLICE_MS = 25;
const LINE_STEP_LIMIT = 5_000_000;
/** advance(): the guest is idle in HLT; end this slice and wait for input. */
const IDLE: StopInfo = { reason: 'halt' };

export type Goal =
  | { kind: 'continue' }
  | { kind: 'instruction' }
  | { kind: 'deliver' }
  | { kind: 'until'; target: bigint; rsp: bigint } // run until rip == target with rsp >= the given one
  | { kind: 'entry'; target: bigint } // stopOnEntry through firmware: run until what it boots starts
  | { kind: 'line'; over: boolean; file: string; line: number; count: number; sub?: { target: bigint; rsp: bigint } };

export class RunControl {
  private goal: Goal = { kind: 'continue' };
  /** The first slice of a goal steps off a breakpoint it stands on. */
  private firstSlice = false;

  constructor(private readonly s: SessionState) {}

  pause(): void {
    const s = this.s;
    if (s.gdb?.server.running) { s.gdb.server.interrupt(); return; }
    if (s.running) s.pauseRequested = true;
    else reportStop(s, { reason: 'pause' });
  }

  step(a: DebugProtocol.StepInArguments, kind: 'next' | 'in' | 'out'): void {
    const s = this.s;
    const rt = s.rt!;
    // Steps run the CPU that stopped (the others wait); the views go back to it.
    focus(s, rt.currentCpu ?? 0);
    const instruction = a.granularity === 'instruction';
    if (s.lastStop?.reason === 'exception' && kind !== 'out') return this.resume({ kind: 'deliver' });
    if (s.lastStop?.reason === 'shutdown' || s.lastStop?.reason === 'exit') throw new UserError('the CPU has shut down; restart the session to run again');
    const st = rt.state();
    const rip = st.pc;
    if (kind === 'out') {
      const all = frames(s);
      const caller = all[1]?.kind === 'exception' ? all[2] : all[1];
      if (!caller) return this.resume({ kind: 'continue' });
      return this.resume({ kind: 'until', target: caller.pc, rsp: caller.rsp });
    }
    const loc = s.symbols?.lineAt(rip);
    if (instruction || !loc) {
      if (kind === 'next') {
        const insn = decodeAt(rt, rip);
        if (insn?.isCall) return this.resume({ kind: 'until', target: rip + BigInt(insn.length), rsp: stackLinear(st) });
      }
      return this.resume({ kind: 'instruction' });
    }
    this.resume({ kind: 'line', over: kind === 'next', file: loc.file, line: loc.line, count: 0 });
  }

  resume(goal: Goal): void {
    const s = this.s;
    if (!s.rt || s.terminated) return;
    if (s.gdb?.server.running) throw new UserError('gdb is running the machine; pause here (or interrupt in gdb) first');
    this.goal = goal;
    if (goal.kind === 'until' || goal.kind === 'entry') addTemp(s, goal.target);
    s.invalidate();
    s.lastStop = undefined;
    s.running = true;
    s.pauseRequested = false;
    this.firstSlice = true;
    s.io.deliver(s.rt);
    setImmediate(() => this.pump());
  }

  /** Run one slice of the current goal; reschedule or report the stop. */
  private pump(): void {
    const s = this.s;
    if (!s.running || !s.rt) return;
    const deadline = Date.now() + SLICE_MS;
    try {
      while (Date.now() < deadline) {
        if (s.pauseRequested) return reportStop(s, { reason: 'pause' });
        const info = this.advance();
        if (info === IDLE) break;
        if (info) return reportStop(s, info, this.goal.kind === 'entry' && info.reason === 'step' ? 'entry' : undefined);
      }
    } catch (e) {
      s.log(`the emulator failed: ${(e as Error).stack ?? e}`);
      return reportStop(s, { reason: 'pause' });
    }
    s.out.flushScreen(s.rt, false);
    s.io.flushSerial();
    s.io.pollScreen(s.rt, false);
    if (s.out.pending) s.out.flushSerial();
    // An idle guest (HLT, interrupts on, no timer) waits for input without spinning the adapter.
    if (s.idle) setTimeout(() => this.pump(), 10);
    else setImmediate(() => this.pump());
  }

  /** Run from the current RIP, first stepping off a breakpoint we are standing on. */
  private runFromHere(budget: number): StopInfo {
    const s = this.s;
    const rt = s.rt!;
    const rip = rt.state().pc;
    if (s.tempBreakpoints.has(rip) || s.bps.addresses().has(rip)) {
      const r = rt.step();
      if (r.reason !== 'step') return r;
    }
    return rt.run(budget);
  }

  /** One piece of the goal: a StopInfo when it is reached (or something else stopped the machine); IDLE while the guest waits. */
  private advance(): StopInfo | undefined {
    const s = this.s;
    const rt = s.rt!;
    const g = this.goal;
    switch (g.kind) {
      case 'instruction':
      case 'deliver': {
        const r = rt.step();
        return r;
      }
      case 'continue': {
        const r = this.firstSlice ? this.runFromHere(SLICE) : rt.run(SLICE);
        this.firstSlice = false;
        // HLT with interrupts on and nothing timed: not the end, the guest waits for a key or a serial byte.
        s.idle = r.reason === 'halt' && (rt.state().regs.rflags & 0x200n) !== 0n;
        if (s.idle) return s.io.pending ? (s.io.deliver(rt), undefined) : IDLE;
        return r.reason === 'budget' ? undefined : r;
      }
      case 'until': {
        const r = this.runFromHere(SLICE);
        if (r.reason === 'budget') return undefined;
        if (r.reason === 'breakpoint' && rt.state().pc === g.target && !s.bps.addresses().has(g.target)) {
          return stackLinear(rt.state()) >= g.rsp ? { reason: 'step' } : undefined; // a deeper recursion level: keep going
        }
        return r;
      }
      case 'entry': {
        const r = rt.run(SLICE);
        if (r.reason === 'budget') return undefined;
        if (r.reason === 'breakpoint' && rt.state().pc === g.target && !s.bps.addresses().has(g.target)) return { reason: 'step' };
        return r;
      }
      case 'line': return this.advanceLine(g);
    }
  }

  private advanceLine(g: Extract<Goal, { kind: 'line' }>): StopInfo | undefined {
    const s = this.s;
    const rt = s.rt!;
    for (let i = 0; i < 20_000; i++) {
      if (g.sub) {
        const r = this.runFromHere(SLICE);
        if (r.reason === 'budget') return undefined;
        const at = rt.state().pc;
        if (r.reason === 'breakpoint' && at === g.sub.target && !s.bps.addresses().has(at)) {
          if (stackLinear(rt.state()) < g.sub.rsp) continue;
          s.tempBreakpoints.delete(g.sub.target);
          if (!s.bps.addresses().has(g.sub.target)) rt.removeBreakpoint(g.sub.target);
          g.sub = undefined;
        } else {
          return r;
        }
      }
      const pc = rt.state().pc;
      if (g.count > 0) {
        const loc = s.symbols?.lineAt(pc);
        if (loc && loc.isStmt && pc === loc.address && (loc.line !== g.line || loc.file !== g.file)) return { reason: 'step' };
      }
      if (g.count >= LINE_STEP_LIMIT) return { reason: 'step' };
      if (g.over) {
        const insn = decodeAt(rt, pc);
        if (insn?.isCall) {
          g.sub = { target: pc + BigInt(insn.length), rsp: stackLinear(rt.state()) };
          addTemp(s, g.sub.target);
          g.count++;
          continue;
        }
      }
      const r = rt.step();
      g.count++;
      if (r.reason !== 'step') return r;
    }
    return undefined;
  }
}
