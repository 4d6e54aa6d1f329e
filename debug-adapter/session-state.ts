/**
 * What one debug session knows, shared by the files that serve its requests (run-control.ts, stops.ts,
 * inspection.ts, evaluate.ts, breakpoint-requests.ts, reverse.ts, launch.ts): the machine and its symbols,
 * the launch arguments, whether the guest runs, the last stop, the views' cache of the stopped state, and
 * the thread (CPU) the views show. Also UserError, the error whose message is the sentence for the user.
 */
import { Event } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExceptionEvent, Runtime, StopInfo } from '../emulator/api';
import type { SymbolIndex } from '../emulator/symbols/symbols';
import { BreakpointBook } from './breakpoints';
import { ExceptionFilterSet } from './exception-filters';
import { GuestIo } from './guest-io';
import type { AdapterHost } from './host';
import { ConsoleOutput } from './output';
import type { FaultlineLaunchArguments } from './protocol';
import { SourcePaths } from './sources';
import type { UnwoundFrame } from './stack';
import type { VariableStore } from './variables';

/** A mistake in a request: its message goes to the user as it is (the dispatcher logs no stack for it). */
export class UserError extends Error {}

export class SessionState {
  rt?: Runtime;
  symbols?: SymbolIndex;
  /** A Linux bzImage without a symbols file: its kallsyms are read from RAM at the first stop in the kernel. */
  kallsymsPending = false;
  launchArgs?: FaultlineLaunchArguments;
  cwd = '';
  readonly filters = new ExceptionFilterSet();
  readonly bps = new BreakpointBook();
  /** Breakpoints a goal set for itself (step over a call, step out, the entry point), beside the user's. */
  readonly tempBreakpoints = new Set<bigint>();
  readonly sources: SourcePaths;
  /** Serial terminal, keyboard, mouse and frames (guest-io.ts). */
  readonly io: GuestIo;
  /** The Debug Console: serial lines, COM2 lines, screenChanged events, log lines (output.ts). */
  readonly out: ConsoleOutput;
  running = false;
  pauseRequested = false;
  /** The guest sits in HLT with interrupts on and nothing timed: keep running, wait for input. */
  idle = false;
  terminated = false;
  lastStop?: StopInfo;
  lastException?: ExceptionEvent;
  /** What the views computed for this stop; dropped when the machine runs or its state changes. */
  stopCache?: { frames?: UnwoundFrame[]; vars?: VariableStore };
  /** launch.json gdbPort: the gdb server sharing this machine (gdb-share.ts). */
  gdb?: Awaited<ReturnType<NonNullable<AdapterHost['shareWithGdb']>>>;
  /** The CPU whose registers, stack and memory the views show (threads.ts). */
  focusedCpu = 0;

  constructor(readonly sendEvent: (event: DebugProtocol.Event) => void, host?: AdapterHost) {
    this.sources = new SourcePaths(host, () => ({ cwd: this.cwd, debugFile: this.launchArgs ? this.launchArgs.symbols ?? this.launchArgs.kernel ?? '.' : undefined }));
    this.io = new GuestIo((event, body) => this.sendEvent(new Event(event, body)));
    this.out = new ConsoleOutput(sendEvent);
  }

  invalidate(): void {
    this.stopCache = undefined;
  }

  /** A line for the Debug Console (output.ts). */
  log(text: string): void {
    this.out.log(text);
  }
}
