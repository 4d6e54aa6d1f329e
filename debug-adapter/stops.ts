/**
 * Reporting where the machine stopped: the stopped event (its reason, text and description for an exception
 * before delivery, a triple fault, a breakpoint, a data breakpoint, a halt, a pause), the exited and
 * terminated events when the guest powers off or exits, and the exceptionInfo request that explains the last
 * exception with its fault chain and diagnosis. Every stop, however it came (a run, a step, travelling back,
 * gdb), goes through reportStop.
 */
import { ExitedEvent, StoppedEvent, TerminatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExceptionEvent, Runtime, StopInfo } from '../emulator/api';
import { vectorName } from '../emulator/cpu/vectors';
import { diagnose } from '../emulator/diagnose';
import { clearTemps } from './breakpoint-requests';
import { chainSummary } from './custom-requests';
import { kallsymsIndex } from './kernel-symbols';
import { UserError, type SessionState } from './session-state';
import { focus, THREAD_ID } from './threads';
import { hex } from './variables';

/** The machine stopped: flush its output, drop the run's state and tell the client why. */
export function reportStop(s: SessionState, info: StopInfo, reasonOverride?: string, descriptionOverride?: string): void {
  s.running = false;
  s.idle = false;
  s.io.flushSerial();
  if (s.rt) s.io.pollScreen(s.rt, true);
  if (s.kallsymsPending && s.rt) loadKallsyms(s, s.rt);
  s.pauseRequested = false;
  if (s.rt) clearTemps(s);
  s.invalidate();
  s.out.flushSerial();
  s.out.flushScreen(s.rt, true);
  if (info.reason === 'exit') {
    s.lastStop = info;
    const code = info.exitCode ?? 0;
    s.log(info.powerOff ? 'the guest powered the machine off (ACPI S5)' : `the guest exited through isa-debug-exit with status ${code}`);
    s.sendEvent(new ExitedEvent(code));
    sendTerminated(s);
    return;
  }
  s.lastStop = info;
  let reason = reasonOverride ?? 'step';
  let text: string | undefined;
  let description: string | undefined;
  let hit: number[] | undefined;
  const rip = s.rt!.state().pc;
  switch (info.reason) {
    case 'exception':
      s.lastException = info.event;
      reason = 'exception';
      text = info.event ? `${info.event.name} ${vectorName(info.event.vector)}` : 'Exception';
      description = info.event ? `Paused on ${info.event.name} (${vectorName(info.event.vector)}) before delivery` : undefined;
      break;
    case 'shutdown':
      s.lastException = info.event;
      reason = 'exception';
      text = 'Triple fault';
      description = `Triple fault: ${chainSummary(s.rt!.faultChain())}. The CPU has shut down.`;
      break;
    case 'breakpoint': {
      const h = s.bps.hitsAt(rip);
      reason = h.reason;
      hit = h.ids;
      break;
    }
    case 'watchpoint':
      reason = 'data breakpoint';
      description = info.watch ? `${info.watch.write ? 'write' : 'read'} of ${info.watch.size} bytes ${info.watch.write ? 'to' : 'from'} ${hex(info.watch.address)} at ${hex(info.watch.rip)}` : undefined;
      break;
    case 'halt':
      reason = 'pause';
      description = 'The CPU halted (HLT) and nothing can wake it';
      break;
    case 'pause': reason = reasonOverride ?? 'pause'; break;
    default: break;
  }
  focus(s, s.rt?.currentCpu ?? 0);
  const ev = new StoppedEvent(reason, THREAD_ID + (s.rt?.currentCpu ?? 0), text) as DebugProtocol.StoppedEvent;
  ev.body.allThreadsStopped = true;
  description = descriptionOverride ?? description;
  if (description) ev.body.description = description;
  if (hit?.length) ev.body.hitBreakpointIds = hit;
  s.sendEvent(ev);
}

/** The session ended (once). */
export function sendTerminated(s: SessionState): void {
  if (s.terminated) return;
  s.terminated = true;
  s.sendEvent(new TerminatedEvent());
}

/** Read a Linux kernel's kallsyms from RAM, once it runs from its own mapping. */
function loadKallsyms(s: SessionState, rt: Runtime): void {
  const symbols = kallsymsIndex(rt, (s.launchArgs?.memoryMB ?? 128) * 1024 * 1024);
  if (!symbols) return;
  s.symbols = symbols;
  s.kallsymsPending = false;
  s.log(`symbols: ${symbols.symbols.length} from the kernel's kallsyms in memory`);
}

/** exceptionInfo: the last exception (or the triple fault), its chain as inner exceptions, and the diagnosis. */
export function exceptionInfo(s: SessionState): DebugProtocol.ExceptionInfoResponse['body'] {
  const ev = s.lastException;
  if (!ev) throw new UserError('the machine did not stop on an exception');
  const rt = s.rt!;
  const chain = rt.faultChain();
  const diagnosis = diagnose(rt, chain);
  const triple = s.lastStop?.reason === 'shutdown';
  const describe = (e: ExceptionEvent): string => {
    if (e.phase === 'tripleFault') return `Triple fault: ${e.reason}`;
    if (e.vector === 14 && e.access) {
      return `Page fault ${e.access.fetch ? 'fetching' : e.access.write ? 'writing' : 'reading'} ${hex(e.access.address)}: ${e.access.cause}`;
    }
    return `${vectorName(e.vector)}${e.errorCode !== undefined ? ` (error 0x${e.errorCode.toString(16)})` : ''}: ${e.reason}`;
  };
  const links = chain.filter((e) => e.phase !== 'delivered');
  const detail = (i: number): DebugProtocol.ExceptionDetails | undefined => {
    const e = links[i];
    if (!e) return undefined;
    const inner = detail(i + 1);
    return {
      message: describe(e), typeName: e.phase === 'tripleFault' ? 'Triple fault' : e.name,
      fullTypeName: `${e.name} ${vectorName(e.vector)} (${e.phase}) at ${hex(e.rip)}${s.symbols?.describe(e.rip) ? ` <${s.symbols.describe(e.rip)}>` : ''}`,
      evaluateName: `$cr2`, innerException: inner ? [inner] : undefined,
    };
  };
  const summary = chainSummary(chain);
  const head = triple ? `Triple fault (${summary})` : describe(ev);
  return {
    exceptionId: triple ? 'Triple fault' : ev.name,
    description: [head, ...diagnosis].join('\n'),
    breakMode: s.filters.lastMatch || (triple && s.filters.tripleFault) ? 'always' : 'unhandled',
    details: { ...(detail(0) ?? { message: head }), stackTrace: diagnosis.join('\n') || undefined },
  };
}
