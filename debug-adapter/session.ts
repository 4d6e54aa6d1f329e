/**
 * The Faultline debug session: the DAP request dispatcher and the wiring of the files that serve each request.
 * Holds no x86 semantics. Every request goes through one dispatcher that checks it (arguments, a machine, a
 * stopped machine) and turns any thrown error into an error response, so malformed or out-of-order requests
 * never take the adapter down. What the session knows is session-state.ts; by concern: launch.ts (building the
 * machine), run-control.ts (continue, steps, pause), reverse.ts (stepBack, reverseContinue, goto, lastWrite),
 * stops.ts (stopped/exited events, exceptionInfo), threads.ts, inspection.ts (stack, variables),
 * evaluate.ts, breakpoint-requests.ts, memory-requests.ts, custom-requests.ts, guest-io.ts, output.ts.
 */
import { DebugSession, InitializedEvent, InvalidatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  dataBreakpointInfo, setBreakpoints, setDataBreakpoints, setExceptionBreakpoints, setFunctionBreakpoints, setInstructionBreakpoints, syncBreakpoints,
} from './breakpoint-requests';
import {
  faultChainRequest, gdtRequest, idtRequest, pageTableRequest, pageWalkRequest, RequestError, screenRequest, tssRequest,
} from './custom-requests';
import { addressArg, evalExpression, evaluate } from './evaluate';
import { exceptionBreakpointFilters } from './exception-filters';
import { InputError } from './guest-io';
import type { AdapterHost } from './host';
import { setVariable, stackTrace, variables, variableStore } from './inspection';
import { launchMachine } from './launch';
import { disassemble, readMemory, writeMemory, type MemoryContext } from './memory-requests';
import { CustomRequest, type FaultlineLaunchArguments, type PageTableArguments } from './protocol';
import { gotoInstruction, lastWrite, reverseContinue, stepBack } from './reverse';
import { RunControl } from './run-control';
import { defaultRuntimeFactory, type RuntimeFactory } from './runtime-bridge';
import { SessionState, UserError } from './session-state';
import { exceptionInfo, reportStop, sendTerminated } from './stops';
import { threads } from './threads';

/** Requests that need a launched machine. */
const NEEDS_MACHINE = new Set([
  'continue', 'next', 'stepIn', 'stepOut', 'pause', 'restart', 'stackTrace', 'scopes', 'variables', 'setVariable',
  'evaluate', 'exceptionInfo', 'readMemory', 'writeMemory', 'disassemble', 'dataBreakpointInfo', 'stepBack', 'reverseContinue',
  ...Object.values(CustomRequest),
]);
/** Requests that need the machine to be stopped (state inspection, travelling). */
const NEEDS_STOP = new Set(['stackTrace', 'scopes', 'variables', 'setVariable', 'exceptionInfo', 'next', 'stepIn', 'stepOut', 'stepBack',
  'reverseContinue', 'faultline/gotoInstruction', 'faultline/lastWrite']);

export class FaultlineSession extends DebugSession {
  private readonly s: SessionState;
  private readonly run: RunControl;
  private configurationDone?: () => void;
  private readonly configured: Promise<void>;

  /** Files and paths come through the host (node-host.ts under Node, workspace.fs in VS Code for the Web). */
  constructor(private readonly createRuntime: RuntimeFactory = defaultRuntimeFactory, private readonly host?: AdapterHost) {
    super();
    this.s = new SessionState((event) => this.sendEvent(event), host);
    this.run = new RunControl(this.s);
    this.configured = new Promise((resolve) => { this.configurationDone = resolve; });
  }

  // ---------------------------------------------------------------------------------------------------
  // dispatch: one place for validation and errors
  // ---------------------------------------------------------------------------------------------------

  /** launch.json `trace`: log the DAP traffic (requests in, responses out) to the Debug Console. */
  private get tracing(): boolean {
    return this.s.launchArgs?.trace === true;
  }

  private traceMessage(arrow: string, m: DebugProtocol.ProtocolMessage): void {
    const text = JSON.stringify(m);
    this.s.log(`${arrow} ${text.length > 600 ? `${text.slice(0, 600)}… (${text.length} characters)` : text}`);
  }

  sendResponse(response: DebugProtocol.Response): void {
    if (this.tracing) this.traceMessage('⇠', response);
    super.sendResponse(response);
  }

  protected dispatchRequest(request: DebugProtocol.Request): void {
    if (this.tracing) this.traceMessage('⇢', request);
    const response: DebugProtocol.Response = {
      seq: 0, type: 'response', request_seq: request.seq, command: request.command, success: true,
    };
    const fail = (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      if (!(e instanceof UserError) && !(e instanceof RequestError) && !(e instanceof InputError)) this.s.log(`internal error in ${request.command}: ${(e as Error)?.stack ?? message}`);
      response.success = false;
      response.message = message;
      response.body = { error: { id: 1, format: message.replace(/[{}]/g, ''), showUser: request.command === 'launch' } };
      this.sendResponse(response);
    };
    try {
      if (typeof request.command !== 'string') throw new UserError('the request has no command');
      const args = request.arguments === undefined || request.arguments === null ? {} : request.arguments;
      if (typeof args !== 'object' || Array.isArray(args)) throw new UserError(`the arguments of '${request.command}' must be an object`);
      if (NEEDS_MACHINE.has(request.command) && !this.s.rt) throw new UserError(`'${request.command}' needs a running machine: send 'launch' first`);
      if (NEEDS_STOP.has(request.command) && this.s.running) throw new UserError(`'${request.command}' needs the machine to be stopped: pause it first`);
      const handler = this.handlers[request.command];
      if (!handler) throw new UserError(`unknown request '${request.command}'`);
      const result = handler(args, response);
      if (result instanceof Promise) {
        result.then((body) => { if (body !== undefined) response.body = body; this.sendResponse(response); }, fail);
      } else {
        if (result !== undefined) response.body = result;
        this.sendResponse(response);
      }
    } catch (e) {
      fail(e);
    }
  }

  private readonly handlers: Record<string, (args: any, response: DebugProtocol.Response) => unknown> = {
    initialize: () => this.initialize(),
    launch: (a) => this.launch(a),
    attach: () => { throw new UserError('Faultline cannot attach; use a "launch" configuration with your kernel ELF'); },
    configurationDone: () => { this.configurationDone?.(); },
    disconnect: () => this.disconnect(),
    terminate: () => this.terminate(),
    restart: () => this.restart(),
    threads: () => threads(this.s),
    setBreakpoints: (a) => setBreakpoints(this.s, a),
    setFunctionBreakpoints: (a) => setFunctionBreakpoints(this.s, a),
    setInstructionBreakpoints: (a) => setInstructionBreakpoints(this.s, a),
    setExceptionBreakpoints: (a) => setExceptionBreakpoints(this.s, a),
    dataBreakpointInfo: (a) => dataBreakpointInfo(this.s, a),
    setDataBreakpoints: (a) => setDataBreakpoints(this.s, a),
    continue: () => { this.run.resume({ kind: 'continue' }); return { allThreadsContinued: true }; },
    next: (a) => { this.run.step(a, 'next'); },
    stepIn: (a) => { this.run.step(a, 'in'); },
    stepOut: (a) => { this.run.step(a, 'out'); },
    pause: () => this.run.pause(),
    stackTrace: (a) => stackTrace(this.s, a),
    scopes: () => ({ scopes: variableStore(this.s).scopes() }),
    variables: (a) => variables(this.s, a),
    setVariable: (a) => setVariable(this.s, a),
    evaluate: (a) => evaluate(this.s, a),
    exceptionInfo: () => exceptionInfo(this.s),
    readMemory: (a) => readMemory(this.memory, a),
    writeMemory: (a) => writeMemory(this.memory, a, () => {
      this.s.invalidate();
      this.sendEvent(new InvalidatedEvent(['variables', 'stacks']));
    }),
    disassemble: (a) => disassemble(this.memory, a),
    source: () => { throw new UserError('source text is only available from files on disk'); },
    loadedSources: () => ({ sources: (this.s.symbols?.sourceFiles() ?? []).map((f) => this.s.sources.source(f)).filter(Boolean) }),
    [CustomRequest.gdt]: () => gdtRequest(this.s.rt!),
    [CustomRequest.idt]: () => idtRequest(this.s.rt!, this.s.symbols, (a) => this.s.sources.line(this.s.symbols, a)),
    [CustomRequest.tss]: () => tssRequest(this.s.rt!, this.s.symbols),
    [CustomRequest.pageWalk]: (a: { address?: unknown; cr3?: unknown }) => pageWalkRequest(this.s.rt!, addressArg(this.s, a.address, 'address')),
    [CustomRequest.pageTable]: (a: PageTableArguments) => {
      for (const k of ['physAddr', 'level', 'baseVirtual'] as const) {
        if (a[k] !== undefined && typeof a[k] !== 'string') throw new UserError(`faultline/pageTable: '${k}' must be a string`);
      }
      if (a.physAddr !== undefined) addressArg(this.s, a.physAddr, 'physAddr');
      return pageTableRequest(this.s.rt!, a);
    },
    [CustomRequest.faultChain]: () => faultChainRequest(this.s.rt!, this.s.symbols, (a) => this.s.sources.line(this.s.symbols, a)),
    [CustomRequest.screen]: () => screenRequest(this.s.rt!),
    [CustomRequest.stateHash]: () => ({ instructionCount: this.s.rt!.instructionCount, hash: this.s.rt!.stateHash() }),
    [CustomRequest.serialInput]: (a) => this.s.io.serialInput(this.s.rt!, this.s.running, a, this.s.launchArgs?.com2 === true),
    [CustomRequest.keyboard]: (a) => this.s.io.keyboard(this.s.rt!, this.s.running, a),
    [CustomRequest.mouse]: (a) => this.s.io.mouse(this.s.rt!, this.s.running, a),
    [CustomRequest.frame]: (a) => this.s.io.frame(this.s.rt!, a),
    [CustomRequest.inputStatus]: () => this.s.rt!.inputStatus(),
    stepBack: (a: DebugProtocol.StepBackArguments) => { stepBack(this.s, a); },
    reverseContinue: () => { reverseContinue(this.s); },
    [CustomRequest.gotoInstruction]: (a: { count?: unknown; seq?: unknown }) => gotoInstruction(this.s, a),
    [CustomRequest.lastWrite]: (a: { address?: unknown; length?: unknown }) => lastWrite(this.s, a),
  };

  private get memory(): MemoryContext {
    return { rt: this.s.rt!, symbols: this.s.symbols, sources: this.s.sources, evaluate: (t) => evalExpression(this.s, t) };
  }

  // ---------------------------------------------------------------------------------------------------
  // lifecycle
  // ---------------------------------------------------------------------------------------------------

  private initialize(): DebugProtocol.Capabilities {
    return {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: exceptionBreakpointFilters(),
      supportsSteppingGranularity: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSetVariable: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsEvaluateForHovers: true,
      supportsLoadedSourcesRequest: true,
      supportsDelayedStackTraceLoading: true,
      supportsStepBack: true,
    };
  }

  /** Build the machine (launch.ts), then the DAP sequence: initialized, wait for configurationDone, run. */
  private async launch(raw: Partial<FaultlineLaunchArguments>): Promise<void> {
    const { rt, args } = await launchMachine(this.s, this.host, this.createRuntime, raw);
    syncBreakpoints(this.s);
    this.sendEvent(new InitializedEvent());
    await Promise.race([this.configured, new Promise((r) => setTimeout(r, 2000))]);
    setImmediate(() => {
      // Through firmware the entry is the kernel's (or the boot sector's) first instruction, not the reset vector.
      const entry = args.stopOnEntry ? rt.entryPoint?.() : undefined;
      if (entry !== undefined) this.run.resume({ kind: 'entry', target: entry });
      else if (args.stopOnEntry) reportStop(this.s, { reason: 'step' }, 'entry');
      else this.run.resume({ kind: 'continue' });
    });
  }

  private disconnect(): void {
    this.s.gdb?.server.close();
    this.s.running = false;
    this.s.out.flushSerial();
    setImmediate(() => this.shutdown());
  }

  private terminate(): void {
    this.s.running = false;
    this.s.out.flushSerial();
    sendTerminated(this.s);
  }

  private restart(): void {
    this.s.running = false;
    this.s.rt!.reset();
    this.s.lastException = undefined;
    this.s.invalidate();
    syncBreakpoints(this.s);
    setImmediate(() => {
      if (this.s.launchArgs?.stopOnEntry) reportStop(this.s, { reason: 'step' }, 'entry');
      else this.run.resume({ kind: 'continue' });
    });
  }
}

/** For the extension's DebugAdapterInlineImplementation (a FaultlineSession is a vscode.DebugAdapter). */
export function createFaultlineSession(factory?: RuntimeFactory, host?: AdapterHost): FaultlineSession {
  return new FaultlineSession(factory, host);
}
