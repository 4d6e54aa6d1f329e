/**
 * The Faultline debug session: DAP requests → the emulator's Runtime API, the symbol reader and the
 * inspection decoders. Holds no x86 semantics. Every request goes through one dispatcher that turns any
 * thrown error into an error response, so malformed or out-of-order requests never take the adapter down.
 * The guest runs in slices (run(SLICE) then setImmediate), so pause and other requests are served while a
 * guest loops forever.
 */
import { DebugSession, Event, InitializedEvent, OutputEvent, StoppedEvent, TerminatedEvent, ExitedEvent, InvalidatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { CpuStateView, ExceptionEvent, RegisterName, ReverseStop, Runtime, StopInfo, TimelinePosition, WatchSpec } from '../emulator/api';
import { hasErrorCode, vectorName } from '../emulator/cpu/vectors';
import { latin1Text } from '../emulator/bytes';
import { diagnose } from '../emulator/diagnose';
import type { PcBoardOptions } from '../emulator/board/pc';
import { SymbolIndex } from '../emulator/symbols/symbols';
import {
  chainSummary, faultChainRequest, gdtRequest, idtRequest, pageTableRequest, pageWalkRequest, RequestError, screenRequest, tssRequest,
} from './custom-requests';
import { BreakpointBook } from './breakpoints';
import { ExceptionFilterSet, exceptionBreakpointFilters } from './exception-filters';
import { GuestIo, InputError } from './guest-io';
import type { AdapterHost } from './host';
import { decodeAt, disassemble, MAX_READ, readMemory, writeMemory, type MemoryContext } from './memory-requests';
import { compileExpression } from './expression';
import { isBzImage, kallsymsIndex, symbolsFrom } from './kernel-symbols';
import { defaultFirmwareFor } from '../emulator/firmware/kernel-rom';
import { CustomEvent, CustomRequest, type FaultlineLaunchArguments, type PageTableArguments } from './protocol';
import { defaultRuntimeFactory, type RuntimeFactory } from './runtime-bridge';
import { validateLaunch } from './launch-args';
import { SourcePaths } from './sources';
import { unwind, type UnwoundFrame } from './stack';
import { CONTROL_REGISTERS, GENERAL_REGISTERS, REGISTERS_32, hex, parseRegisterValue, VariableStore } from './variables';

const THREAD_ID = 1;
const SLICE = 200_000;
const SLICE_MS = 25;
const LINE_STEP_LIMIT = 5_000_000;
const SCREEN_EVENT_MS = 200;
/** advance(): the guest is idle in HLT; end this slice and wait for input. */
const IDLE: StopInfo = { reason: 'halt' };

/** Requests that need a launched machine. */
const NEEDS_MACHINE = new Set([
  'continue', 'next', 'stepIn', 'stepOut', 'pause', 'restart', 'stackTrace', 'scopes', 'variables', 'setVariable',
  'evaluate', 'exceptionInfo', 'readMemory', 'writeMemory', 'disassemble', 'dataBreakpointInfo', 'stepBack', 'reverseContinue',
  ...Object.values(CustomRequest),
]);
/** Requests that need the machine to be stopped (state inspection, travelling). */
const NEEDS_STOP = new Set(['stackTrace', 'scopes', 'variables', 'setVariable', 'exceptionInfo', 'next', 'stepIn', 'stepOut', 'stepBack',
  'reverseContinue', 'faultline/gotoInstruction', 'faultline/lastWrite']);
const DEFAULT_HISTORY_MB = 512;
/** Reverse line steps go back at most this many instructions. */
const LINE_BACK_LIMIT = 2000;

/** The reverse-debugging side of the machine (emulator/machine.ts: Machine). */
interface Reversible {
  enableHistory(o: { limitMB?: number }): void;
  goto(instructions: number, seq?: number): StopInfo;
  stepBack(): ReverseStop;
  reverseContinue(stop?: (ev: ExceptionEvent) => boolean): ReverseStop;
  lastWriteTo(address: bigint, length: number): { position: TimelinePosition; rip: bigint } | undefined;
  readonly position: TimelinePosition;
}

type Goal =
  | { kind: 'continue' }
  | { kind: 'instruction' }
  | { kind: 'deliver' }
  | { kind: 'until'; target: bigint; rsp: bigint } // run until rip == target with rsp >= the given one
  | { kind: 'entry'; target: bigint } // stopOnEntry through firmware: run until what it boots starts
  | { kind: 'line'; over: boolean; file: string; line: number; count: number; sub?: { target: bigint; rsp: bigint } };


class UserError extends Error {}

export class FaultlineSession extends DebugSession {
  private rt?: Runtime;
  private symbols?: SymbolIndex;
  /** A Linux bzImage without a symbols file: its kallsyms are read from RAM at the first stop in the kernel. */
  private kallsymsPending = false;
  private launchArgs?: FaultlineLaunchArguments;
  private cwd = '';
  private readonly filters = new ExceptionFilterSet();
  private running = false;
  private pauseRequested = false;
  private goal: Goal = { kind: 'continue' };
  private tempBreakpoints = new Set<bigint>();
  private lastStop?: StopInfo;
  private lastException?: ExceptionEvent;
  private stopCache?: { frames?: UnwoundFrame[]; vars?: VariableStore };
  private configurationDone?: () => void;
  private readonly configured: Promise<void>;
  private serial: number[] = [];
  private screenDirty = false;
  private lastScreenEvent = 0;
  private terminated = false;
  private firstSlice = false;
  private readonly bps = new BreakpointBook();
  private readonly sources: SourcePaths;
  /** Serial terminal, keyboard, mouse and frames (guest-io.ts). */
  private readonly io = new GuestIo((event, body) => this.sendEvent(new Event(event, body)));
  /** The guest sits in HLT with interrupts on and nothing timed: keep running, wait for input. */
  private idle = false;

  /** Files and paths come through the host (node-host.ts under Node, workspace.fs in VS Code for the Web). */
  constructor(private readonly createRuntime: RuntimeFactory = defaultRuntimeFactory, private readonly host?: AdapterHost) {
    super();
    this.sources = new SourcePaths(host, () => ({ cwd: this.cwd, debugFile: this.launchArgs ? this.launchArgs.symbols ?? this.launchArgs.kernel ?? '.' : undefined }));
    this.configured = new Promise((resolve) => { this.configurationDone = resolve; });
  }

  // ---------------------------------------------------------------------------------------------------
  // dispatch: one place for validation and errors
  // ---------------------------------------------------------------------------------------------------

  /** launch.json `trace`: log the DAP traffic (requests in, responses out) to the Debug Console. */
  private get tracing(): boolean {
    return this.launchArgs?.trace === true;
  }

  private traceMessage(arrow: string, m: DebugProtocol.ProtocolMessage): void {
    const text = JSON.stringify(m);
    this.log(`${arrow} ${text.length > 600 ? `${text.slice(0, 600)}… (${text.length} characters)` : text}`);
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
      if (!(e instanceof UserError) && !(e instanceof RequestError) && !(e instanceof InputError)) this.log(`internal error in ${request.command}: ${(e as Error)?.stack ?? message}`);
      response.success = false;
      response.message = message;
      response.body = { error: { id: 1, format: message.replace(/[{}]/g, ''), showUser: request.command === 'launch' } };
      this.sendResponse(response);
    };
    try {
      if (typeof request.command !== 'string') throw new UserError('the request has no command');
      const args = request.arguments === undefined || request.arguments === null ? {} : request.arguments;
      if (typeof args !== 'object' || Array.isArray(args)) throw new UserError(`the arguments of '${request.command}' must be an object`);
      if (NEEDS_MACHINE.has(request.command) && !this.rt) throw new UserError(`'${request.command}' needs a running machine: send 'launch' first`);
      if (NEEDS_STOP.has(request.command) && this.running) throw new UserError(`'${request.command}' needs the machine to be stopped: pause it first`);
      const handler = this.handlers[request.command];
      if (!handler) throw new UserError(`unknown request '${request.command}'`);
      const result = handler.call(this, args, response);
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
    initialize: this.initialize,
    launch: this.launch,
    attach: () => { throw new UserError('Faultline cannot attach; use a "launch" configuration with your kernel ELF'); },
    configurationDone: () => { this.configurationDone?.(); },
    disconnect: this.disconnect,
    terminate: this.terminate,
    restart: this.restart,
    threads: () => ({ threads: Array.from({ length: this.rt?.cpuCount ?? 1 }, (_, i) => ({ id: THREAD_ID + i, name: `CPU ${i}` })) }),
    setBreakpoints: this.setBreakpoints,
    setFunctionBreakpoints: this.setFunctionBreakpoints,
    setInstructionBreakpoints: this.setInstructionBreakpoints,
    setExceptionBreakpoints: this.setExceptionBreakpoints,
    dataBreakpointInfo: this.dataBreakpointInfo,
    setDataBreakpoints: this.setDataBreakpoints,
    continue: () => { this.resume({ kind: 'continue' }); return { allThreadsContinued: true }; },
    next: (a) => { this.step(a, 'next'); },
    stepIn: (a) => { this.step(a, 'in'); },
    stepOut: (a) => { this.step(a, 'out'); },
    pause: this.pause,
    stackTrace: this.stackTrace,
    scopes: () => ({ scopes: this.variableStore().scopes() }),
    variables: this.variables,
    setVariable: this.setVariable,
    evaluate: this.evaluate,
    exceptionInfo: this.exceptionInfo,
    readMemory: (a) => readMemory(this.memory, a),
    writeMemory: this.writeMemory,
    disassemble: (a) => disassemble(this.memory, a),
    source: () => { throw new UserError('source text is only available from files on disk'); },
    loadedSources: () => ({ sources: (this.symbols?.sourceFiles() ?? []).map((f) => this.sources.source(f)).filter(Boolean) }),
    [CustomRequest.gdt]: () => gdtRequest(this.rt!),
    [CustomRequest.idt]: () => idtRequest(this.rt!, this.symbols, (a) => this.sources.line(this.symbols, a)),
    [CustomRequest.tss]: () => tssRequest(this.rt!, this.symbols),
    [CustomRequest.pageWalk]: (a: { address?: unknown; cr3?: unknown }) => pageWalkRequest(this.rt!, this.address(a.address, 'address')),
    [CustomRequest.pageTable]: (a: PageTableArguments) => {
      for (const k of ['physAddr', 'level', 'baseVirtual'] as const) {
        if (a[k] !== undefined && typeof a[k] !== 'string') throw new UserError(`faultline/pageTable: '${k}' must be a string`);
      }
      if (a.physAddr !== undefined) this.address(a.physAddr, 'physAddr');
      return pageTableRequest(this.rt!, a);
    },
    [CustomRequest.faultChain]: () => faultChainRequest(this.rt!, this.symbols, (a) => this.sources.line(this.symbols, a)),
    [CustomRequest.screen]: () => screenRequest(this.rt!),
    [CustomRequest.stateHash]: () => ({ instructionCount: this.rt!.instructionCount, hash: this.rt!.stateHash() }),
    [CustomRequest.serialInput]: (a) => this.io.serialInput(this.rt!, this.running, a, this.launchArgs?.com2 === true),
    [CustomRequest.keyboard]: (a) => this.io.keyboard(this.rt!, this.running, a),
    [CustomRequest.mouse]: (a) => this.io.mouse(this.rt!, this.running, a),
    [CustomRequest.frame]: (a) => this.io.frame(this.rt!, a),
    [CustomRequest.inputStatus]: () => this.rt!.inputStatus(),
    stepBack: (a: DebugProtocol.StepBackArguments) => { this.stepBack(a); },
    reverseContinue: () => { this.travel(() => this.reversible().reverseContinue()); },
    [CustomRequest.gotoInstruction]: (a: { count?: unknown; seq?: unknown }) => {
      const count = Number(a.count), seq = a.seq === undefined ? 0 : Number(a.seq);
      if (!Number.isInteger(count) || count < 0 || !Number.isInteger(seq) || seq < 0) throw new UserError("faultline/gotoInstruction needs 'count' (a retired-instruction count, a whole number)");
      const r = this.reversible();
      this.travel(() => ({ ...r.goto(count, seq), position: r.position, reachedStart: false }));
      return { position: r.position };
    },
    [CustomRequest.lastWrite]: (a: { address?: unknown; length?: unknown }) => {
      const address = this.address(a.address, 'address');
      const length = a.length === undefined ? 8 : Number(a.length);
      if (!Number.isInteger(length) || length < 1 || length > MAX_READ) throw new UserError("faultline/lastWrite: 'length' must be a byte count from 1 to 1048576");
      const r = this.reversible();
      const w = r.lastWriteTo(address, length);
      if (!w) return { found: false, message: `no write to ${hex(address)} in the recorded history` };
      this.travel(() => ({ ...r.goto(w.position.instructions, w.position.seq), position: r.position, reachedStart: false }), 'data breakpoint',
        `last write to ${hex(address)} (instruction ${w.position.instructions}, at ${hex(w.rip)})`);
      return { found: true, instructionCount: w.position.instructions, rip: hex(w.rip) };
    },
  };

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

  private async launch(raw: Partial<FaultlineLaunchArguments>): Promise<void> {
    if (this.rt) throw new UserError('this session already has a machine; start a new debug session');
    const args = validateLaunch(raw);
    this.launchArgs = args;
    const host = this.host;
    if (!host) throw new UserError('this debug adapter was built without a way to read files; start it with createFaultlineSession(factory, host)');
    const path = host.path;
    this.cwd = args.cwd ? path.resolve(host.cwd(), args.cwd) : host.cwd();
    const kernelPath = args.kernel ? path.resolve(this.cwd, args.kernel) : undefined;
    let kernel: Uint8Array | undefined;
    if (kernelPath) {
      if (!(await host.exists(kernelPath))) throw new UserError(`kernel ${kernelPath} does not exist; set "kernel" in launch.json to your kernel ELF (relative paths start at "cwd")`);
      kernel = await host.readFile(kernelPath).catch((e: Error) => { throw new UserError(`kernel: ${e.message}`); });
    }
    // Without "firmware": SeaBIOS, as qemu -kernel (a bzImage: the direct load, firmware/kernel-rom.ts).
    const firmware = (args.firmware ?? (kernel ? defaultFirmwareFor(kernel) : 'seabios')) === 'seabios';
    let board: PcBoardOptions | undefined;
    if (args.disks?.length || args.cdrom || (firmware && host.openMedia)) {
      // Disks, CD and (with firmware) the BIOS: emulator/firmware/boot-media.ts, BootError sentences.
      if (!host.openMedia) throw new UserError('disk and CD images need the desktop debug adapter (Node); here, boot a "kernel"');
      board = host.openMedia({
        hda: args.disks?.[0] && path.resolve(this.cwd, args.disks[0]), hdb: args.disks?.[1] && path.resolve(this.cwd, args.disks[1]),
        cdrom: args.cdrom && path.resolve(this.cwd, args.cdrom), boot: args.boot, writeThrough: args.snapshot === false, firmware, kernel: !!kernelPath,
      });
    } else if (firmware) {
      // The browser: SeaBIOS from the extension's own files.
      if (!host.firmware) throw new UserError('this debug adapter cannot read SeaBIOS; set "firmware": "none" to load the kernel directly');
      if (!kernel) throw new UserError('"kernel" is missing: set it in launch.json to the path of your kernel ELF');
      const fw = await host.firmware().catch((e: Error) => { throw new UserError(`${e.message}; or set "firmware": "none" to load the kernel directly`); });
      board = { bios: fw.bios, vgaBios: fw.vgaBios };
    }
    if (!board?.vgaBios && host.vgaBios) {
      const vgaBios = await host.vgaBios().catch(() => undefined);
      if (vgaBios) board = { ...board, vgaBios };
    }
    const rt = this.createRuntime({ memoryMB: args.memoryMB, onTripleFault: args.onTripleFault ?? 'stop', board, com2: args.com2, smp: args.smp });
    if (firmware && !kernel) {
      if (!rt.bootFirmware) throw new UserError('this runtime cannot boot firmware; use "kernel" with "firmware": "none"');
      rt.bootFirmware();
    } else {
      if (!kernelPath || !kernel) throw new UserError('"kernel" is missing: set it in launch.json to the path of your kernel ELF, or boot "disks"/"cdrom" through "firmware": "seabios"');
      const initrdPath = args.initrd ? path.resolve(this.cwd, args.initrd) : undefined;
      if (initrdPath && !(await host.exists(initrdPath))) throw new UserError(`initrd ${initrdPath} does not exist; set "initrd" in launch.json to your initial RAM disk`);
      const initrd = initrdPath ? await host.readFile(initrdPath).catch((e: Error) => { throw new UserError(`initrd: ${e.message}`); }) : undefined;
      // With "firmware": "seabios" the board has the BIOS and the kernel boots through its option ROM
      // (emulator/firmware/kernel-rom.ts). BootError: its message is the sentence for the user.
      rt.boot(kernel, { cmdline: args.append ?? args.cmdline, initrd });
    }
    this.rt = rt;
    // Reverse debugging is on by default with one CPU; with several it stays off (snapshots hold one CPU).
    const historyMB = args.historyMB ?? ((args.smp ?? 1) > 1 ? 0 : DEFAULT_HISTORY_MB);
    if (historyMB > 0 && 'enableHistory' in rt) (rt as Runtime & Reversible).enableHistory({ limitMB: historyMB });
    const symbolsPath = args.symbols ? path.resolve(this.cwd, args.symbols) : kernelPath;
    const bz = !args.symbols && kernel !== undefined && isBzImage(kernel);
    if (symbolsPath) {
      const bytes = bz ? undefined : symbolsPath === kernelPath ? kernel : await host.readFile(symbolsPath).catch((e: Error) => e);
      const loaded = symbolsFrom(bytes, path.basename(symbolsPath), symbolsPath);
      this.symbols = loaded.symbols;
      for (const m of loaded.messages) this.log(m);
    }
    this.kallsymsPending = !this.symbols && bz;
    rt.shouldStopOnException = (ev) => this.filters.shouldStop(ev);
    rt.on('serial', (b) => { this.serial.push(b); this.io.serialByte(b); if (b === 10) this.flushSerial(); });
    rt.on('debugcon', (b) => { this.serial.push(b); if (b === 10) this.flushSerial(); });
    if (args.com2) rt.on('serial2', (b) => { this.io.serialByte(b, 2); this.com2Line.push(b); if (b === 10) this.flushCom2Line(); });
    rt.on('screen', () => { this.screenDirty = true; });
    rt.on('reset', () => this.log('the machine reset (triple fault with onTripleFault = "reset")'));
    if (args.gdbPort !== undefined) await this.startGdb(args.gdbPort);
    this.syncBreakpoints();
    this.sendEvent(new InitializedEvent());
    await Promise.race([this.configured, new Promise((r) => setTimeout(r, 2000))]);
    setImmediate(() => {
      // Through firmware the entry is the kernel's (or the boot sector's) first instruction, not the reset vector.
      const entry = args.stopOnEntry ? rt.entryPoint?.() : undefined;
      if (entry !== undefined) this.resume({ kind: 'entry', target: entry });
      else if (args.stopOnEntry) this.reportStop({ reason: 'step' }, 'entry');
      else this.resume({ kind: 'continue' });
    });
  }

  /** launch.json gdbPort: gdb shares this machine (semantics in gdb-share.ts). */
  private gdb?: Awaited<ReturnType<NonNullable<AdapterHost['shareWithGdb']>>>;

  private async startGdb(port: number): Promise<void> {
    const elf = (this.rt as { entry?: { elf?: import('../emulator/boot').ElfFile } }).entry?.elf;
    if (!this.host?.shareWithGdb) throw new UserError('"gdbPort" needs the desktop adapter (Node): this host cannot open TCP ports, e.g. VS Code for the Web');
    this.gdb = await this.host.shareWithGdb(this.rt!, port, elf, {
      running: () => this.running,
      breakpoints: () => new Set([...this.bps.addresses(), ...this.tempBreakpoints]),
      continued: () => {
        this.invalidate();
        this.lastStop = undefined;
        this.sendEvent(new Event('continued', { threadId: THREAD_ID, allThreadsContinued: true }));
      },
      stopped: (stop) => this.reportStop(stop.reason === 'budget' ? { reason: 'step' } : stop, undefined,
        stop.reason === 'exception' || stop.reason === 'shutdown' ? undefined : 'Stopped by gdb'),
      log: (l) => this.log(l),
    }).catch((e: Error) => { throw new UserError(`gdbPort: ${e.message}`); });
    this.log(`gdb server on 127.0.0.1:${this.gdb.port} shares this machine: in gdb, target remote :${this.gdb.port}`);
  }

  private disconnect(): void {
    this.gdb?.server.close();
    this.running = false;
    this.flushSerial();
    setImmediate(() => this.shutdown());
  }

  private terminate(): void {
    this.running = false;
    this.flushSerial();
    this.sendTerminated();
  }

  private restart(): void {
    this.running = false;
    this.rt!.reset();
    this.lastException = undefined;
    this.invalidate();
    this.syncBreakpoints();
    setImmediate(() => {
      if (this.launchArgs?.stopOnEntry) this.reportStop({ reason: 'step' }, 'entry');
      else this.resume({ kind: 'continue' });
    });
  }

  private sendTerminated(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.sendEvent(new TerminatedEvent());
  }

  // ---------------------------------------------------------------------------------------------------
  // breakpoints
  // ---------------------------------------------------------------------------------------------------

  private setBreakpoints(a: DebugProtocol.SetBreakpointsArguments): DebugProtocol.SetBreakpointsResponse['body'] {
    const file = a.source?.path;
    if (typeof file !== 'string') throw new UserError("setBreakpoints needs 'source.path'");
    const lines = Array.isArray(a.breakpoints) ? a.breakpoints.map((b) => b?.line) : Array.isArray(a.lines) ? a.lines : [];
    const list = this.bps.setSource(this.sources.hostPath(file), lines);
    this.syncBreakpoints();
    const name = this.sources.path.basename(file);
    return { breakpoints: list.map((b) => BreakpointBook.sourceResult(file, b, this.symbols, name)) };
  }

  private setFunctionBreakpoints(a: DebugProtocol.SetFunctionBreakpointsArguments): DebugProtocol.SetFunctionBreakpointsResponse['body'] {
    const bps = Array.isArray(a.breakpoints) ? a.breakpoints : [];
    const list = this.bps.setFunctions(bps.map((b) => String(b?.name ?? '')));
    this.syncBreakpoints();
    return {
      breakpoints: list.map((b) => b.address !== undefined
        ? { id: b.id, verified: true, instructionReference: hex(b.address), ...this.sources.sourceAndLine(this.symbols, b.address) }
        : { id: b.id, verified: false, message: this.symbols ? `no function '${b.name}' in the symbol table` : 'resolved when the kernel is launched' }),
    };
  }

  private setInstructionBreakpoints(a: DebugProtocol.SetInstructionBreakpointsArguments): DebugProtocol.SetInstructionBreakpointsResponse['body'] {
    const bps = Array.isArray(a.breakpoints) ? a.breakpoints : [];
    const list = this.bps.setInstructions(bps.map((b) => this.address(b?.instructionReference, 'instructionReference') + BigInt(b?.offset ?? 0)));
    this.syncBreakpoints();
    return { breakpoints: list.map((b) => ({ id: b.id, verified: true, instructionReference: hex(b.address) })) };
  }

  /** Resolve every user breakpoint to addresses and give the runtime the union (plus temporary ones). */
  private syncBreakpoints(): void {
    this.bps.resolve(this.symbols, (dwarf, file) => this.sources.same(dwarf, file));
    if (!this.rt) return;
    this.rt.clearBreakpoints();
    for (const a of this.bps.addresses()) this.rt.addBreakpoint(a);
    for (const a of this.tempBreakpoints) this.rt.addBreakpoint(a);
  }

  private setExceptionBreakpoints(a: DebugProtocol.SetExceptionBreakpointsArguments): DebugProtocol.SetExceptionBreakpointsResponse['body'] {
    const filters = Array.isArray(a.filters) ? a.filters : [];
    const options = Array.isArray(a.filterOptions) ? a.filterOptions : [];
    return { breakpoints: this.filters.set(filters, options) };
  }

  private dataBreakpointInfo(a: DebugProtocol.DataBreakpointInfoArguments & { asAddress?: boolean; bytes?: number }): DebugProtocol.DataBreakpointInfoResponse['body'] {
    if (typeof a.name !== 'string') throw new UserError("dataBreakpointInfo needs 'name' (an address expression such as 0x1000 or tss+0x24)");
    let address: bigint;
    try {
      address = this.evalExpression(a.name);
    } catch (e) {
      return { dataId: null, description: `cannot watch '${a.name}': ${(e as Error).message}` };
    }
    const size = typeof a.bytes === 'number' && a.bytes > 0 ? Math.min(a.bytes, 1 << 20) : 8;
    return { dataId: `${hex(address)}:${size}`, description: `${hex(address)}..${hex(address + BigInt(size - 1))}`, accessTypes: ['write', 'read', 'readWrite'], canPersist: true };
  }

  private setDataBreakpoints(a: DebugProtocol.SetDataBreakpointsArguments): DebugProtocol.SetDataBreakpointsResponse['body'] {
    const bps = Array.isArray(a.breakpoints) ? a.breakpoints : [];
    const ranges: WatchSpec[] = [];
    const result: DebugProtocol.Breakpoint[] = bps.map((b) => {
      const m = /^(0x[0-9a-f]+):(\d+)$/i.exec(String(b?.dataId ?? ''));
      if (!m) return { verified: false, message: `unknown data breakpoint id '${String(b?.dataId)}'` };
      const access = b.accessType ?? 'write';
      if (access !== 'write' && access !== 'read' && access !== 'readWrite') return { verified: false, message: `accessType '${String(access)}' is not write, read or readWrite` };
      ranges.push({ start: BigInt(m[1]), length: Number(m[2]), access });
      return { verified: true, id: this.bps.newId() };
    });
    this.rt?.setWatchpoints(ranges);
    if (!this.rt && ranges.length) throw new UserError("setDataBreakpoints needs a running machine: send 'launch' first");
    return { breakpoints: result };
  }

  // ---------------------------------------------------------------------------------------------------
  // execution
  // ---------------------------------------------------------------------------------------------------

  private pause(): void {
    if (this.gdb?.server.running) { this.gdb.server.interrupt(); return; }
    if (this.running) this.pauseRequested = true;
    else this.reportStop({ reason: 'pause' });
  }

  private step(a: DebugProtocol.StepInArguments, kind: 'next' | 'in' | 'out'): void {
    const rt = this.rt!;
    // Steps run the CPU that stopped (the others wait); the views go back to it.
    this.focus(rt.currentCpu ?? 0);
    const instruction = a.granularity === 'instruction';
    if (this.lastStop?.reason === 'exception' && kind !== 'out') return this.resume({ kind: 'deliver' });
    if (this.lastStop?.reason === 'shutdown' || this.lastStop?.reason === 'exit') throw new UserError('the CPU has shut down; restart the session to run again');
    const st = rt.state();
    const rip = st.pc;
    if (kind === 'out') {
      const frames = this.frames();
      const caller = frames[1]?.kind === 'exception' ? frames[2] : frames[1];
      if (!caller) return this.resume({ kind: 'continue' });
      return this.resume({ kind: 'until', target: caller.pc, rsp: caller.rsp });
    }
    const loc = this.symbols?.lineAt(rip);
    if (instruction || !loc) {
      if (kind === 'next') {
        const insn = decodeAt(this.rt!, rip);
        if (insn?.isCall) return this.resume({ kind: 'until', target: rip + BigInt(insn.length), rsp: stackLinear(st) });
      }
      return this.resume({ kind: 'instruction' });
    }
    this.resume({ kind: 'line', over: kind === 'next', file: loc.file, line: loc.line, count: 0 });
  }

  private reversible(): Reversible {
    const rt = this.rt as (Runtime & Partial<Reversible>) | undefined;
    if ((rt?.cpuCount ?? 1) > 1) throw new UserError('reverse debugging works with one CPU only: set "smp" to 1 in launch.json');
    if (!rt || typeof rt.stepBack !== 'function' || this.launchArgs?.historyMB === 0) {
      throw new UserError('reverse debugging is off: set "historyMB" above 0 in launch.json');
    }
    return rt as Runtime & Reversible;
  }

  /** stepBack: one instruction (granularity 'instruction' or no line info), else to the start of the previous line. */
  private stepBack(a: DebugProtocol.StepBackArguments): void {
    const r = this.reversible();
    const rt = this.rt!;
    const loc = this.symbols?.lineAt(rt.state().pc);
    if (a.granularity === 'instruction' || !loc) return this.travel(() => r.stepBack());
    this.travel(() => {
      let s = r.stepBack();
      for (let i = 0; i < LINE_BACK_LIMIT && !s.reachedStart; i++) {
        const pc = rt.state().pc;
        const l = this.symbols?.lineAt(pc);
        if (s.reason !== 'step' || (l && l.isStmt && pc === l.address && (l.line !== loc.line || l.file !== loc.file))) break;
        s = r.stepBack();
      }
      return s;
    });
  }

  /** Run a reverse operation (synchronous) and report where it stopped, like any other stop. */
  private travel(f: () => ReverseStop, reason?: string, description?: string): void {
    this.clearTemps();
    const s = f();
    this.lastException = undefined;
    setImmediate(() => {
      if (s.reachedStart) {
        this.reportStop({ reason: 'step' }, 'step');
        this.log(`reached the start of the recorded history (instruction ${s.position.instructions}); raise "historyMB" to keep more`);
        return;
      }
      const info: StopInfo = { reason: s.reason === 'budget' ? 'step' : s.reason, event: s.event, watch: s.watch };
      this.reportStop(info, reason, description);
    });
  }

  private resume(goal: Goal): void {
    if (!this.rt || this.terminated) return;
    if (this.gdb?.server.running) throw new UserError('gdb is running the machine; pause here (or interrupt in gdb) first');
    this.goal = goal;
    if (goal.kind === 'until' || goal.kind === 'entry') this.addTemp(goal.target);
    this.invalidate();
    this.lastStop = undefined;
    this.running = true;
    this.pauseRequested = false;
    this.firstSlice = true;
    this.io.deliver(this.rt);
    setImmediate(() => this.pump());
  }

  private addTemp(a: bigint): void {
    if (this.tempBreakpoints.has(a)) return;
    this.tempBreakpoints.add(a);
    this.rt!.addBreakpoint(a);
  }

  private clearTemps(): void {
    const user = this.bps.addresses();
    for (const a of this.tempBreakpoints) if (!user.has(a)) this.rt!.removeBreakpoint(a);
    this.tempBreakpoints.clear();
  }

  /** Run one slice of the current goal; reschedule or report the stop. */
  private pump(): void {
    if (!this.running || !this.rt) return;
    const deadline = Date.now() + SLICE_MS;
    try {
      while (Date.now() < deadline) {
        if (this.pauseRequested) return this.reportStop({ reason: 'pause' });
        const info = this.advance();
        if (info === IDLE) break;
        if (info) return this.reportStop(info, this.goal.kind === 'entry' && info.reason === 'step' ? 'entry' : undefined);
      }
    } catch (e) {
      this.log(`the emulator failed: ${(e as Error).stack ?? e}`);
      return this.reportStop({ reason: 'pause' });
    }
    this.flushScreen(false);
    this.io.flushSerial();
    this.io.pollScreen(this.rt, false);
    if (this.serial.length || this.com2Line.length) this.flushSerial();
    // An idle guest (HLT, interrupts on, no timer) waits for input without spinning the adapter.
    if (this.idle) setTimeout(() => this.pump(), 10);
    else setImmediate(() => this.pump());
  }

  /** Run from the current RIP, first stepping off a breakpoint we are standing on. */
  private runFromHere(budget: number): StopInfo {
    const rt = this.rt!;
    const rip = rt.state().pc;
    if (this.tempBreakpoints.has(rip) || this.bps.addresses().has(rip)) {
      const s = rt.step();
      if (s.reason !== 'step') return s;
    }
    return rt.run(budget);
  }

  /** One piece of the goal: a StopInfo when it is reached (or something else stopped the machine); IDLE while the guest waits. */
  private advance(): StopInfo | undefined {
    const rt = this.rt!;
    const g = this.goal;
    switch (g.kind) {
      case 'instruction':
      case 'deliver': {
        const s = rt.step();
        return s;
      }
      case 'continue': {
        const s = this.firstSlice ? this.runFromHere(SLICE) : rt.run(SLICE);
        this.firstSlice = false;
        // HLT with interrupts on and nothing timed: not the end, the guest waits for a key or a serial byte.
        this.idle = s.reason === 'halt' && (rt.state().regs.rflags & 0x200n) !== 0n;
        if (this.idle) return this.io.pending ? (this.io.deliver(rt), undefined) : IDLE;
        return s.reason === 'budget' ? undefined : s;
      }
      case 'until': {
        const s = this.runFromHere(SLICE);
        if (s.reason === 'budget') return undefined;
        if (s.reason === 'breakpoint' && rt.state().pc === g.target && !this.bps.addresses().has(g.target)) {
          return stackLinear(rt.state()) >= g.rsp ? { reason: 'step' } : undefined; // a deeper recursion level: keep going
        }
        return s;
      }
      case 'entry': {
        const s = rt.run(SLICE);
        if (s.reason === 'budget') return undefined;
        if (s.reason === 'breakpoint' && rt.state().pc === g.target && !this.bps.addresses().has(g.target)) return { reason: 'step' };
        return s;
      }
      case 'line': return this.advanceLine(g);
    }
  }

  private advanceLine(g: Extract<Goal, { kind: 'line' }>): StopInfo | undefined {
    const rt = this.rt!;
    for (let i = 0; i < 20_000; i++) {
      if (g.sub) {
        const s = this.runFromHere(SLICE);
        if (s.reason === 'budget') return undefined;
        const st = rt.state().regs;
        const at = rt.state().pc;
        if (s.reason === 'breakpoint' && at === g.sub.target && !this.bps.addresses().has(at)) {
          if (stackLinear(rt.state()) < g.sub.rsp) continue;
          this.tempBreakpoints.delete(g.sub.target);
          if (!this.bps.addresses().has(g.sub.target)) rt.removeBreakpoint(g.sub.target);
          g.sub = undefined;
        } else {
          return s;
        }
      }
      const st = rt.state().regs;
      const pc = rt.state().pc;
      if (g.count > 0) {
        const loc = this.symbols?.lineAt(pc);
        if (loc && loc.isStmt && pc === loc.address && (loc.line !== g.line || loc.file !== g.file)) return { reason: 'step' };
      }
      if (g.count >= LINE_STEP_LIMIT) return { reason: 'step' };
      if (g.over) {
        const insn = decodeAt(this.rt!, pc);
        if (insn?.isCall) {
          g.sub = { target: pc + BigInt(insn.length), rsp: stackLinear(rt.state()) };
          this.addTemp(g.sub.target);
          g.count++;
          continue;
        }
      }
      const s = rt.step();
      g.count++;
      if (s.reason !== 'step') return s;
    }
    return undefined;
  }

  /** Read a Linux kernel's kallsyms from RAM, once it runs from its own mapping. */
  private loadKallsyms(rt: Runtime): void {
    const symbols = kallsymsIndex(rt, (this.launchArgs?.memoryMB ?? 128) * 1024 * 1024);
    if (!symbols) return;
    this.symbols = symbols;
    this.kallsymsPending = false;
    this.log(`symbols: ${symbols.symbols.length} from the kernel's kallsyms in memory`);
  }

  private reportStop(info: StopInfo, reasonOverride?: string, descriptionOverride?: string): void {
    this.running = false;
    this.idle = false;
    this.io.flushSerial();
    if (this.rt) this.io.pollScreen(this.rt, true);
    if (this.kallsymsPending && this.rt) this.loadKallsyms(this.rt);
    this.pauseRequested = false;
    if (this.rt) this.clearTemps();
    this.invalidate();
    this.flushSerial();
    this.flushScreen(true);
    if (info.reason === 'exit') {
      this.lastStop = info;
      const code = info.exitCode ?? 0;
      this.log(info.powerOff ? 'the guest powered the machine off (ACPI S5)' : `the guest exited through isa-debug-exit with status ${code}`);
      this.sendEvent(new ExitedEvent(code));
      this.sendTerminated();
      return;
    }
    this.lastStop = info;
    let reason = reasonOverride ?? 'step';
    let text: string | undefined;
    let description: string | undefined;
    let hit: number[] | undefined;
    const rip = this.rt!.state().pc;
    switch (info.reason) {
      case 'exception':
        this.lastException = info.event;
        reason = 'exception';
        text = info.event ? `${info.event.name} ${vectorName(info.event.vector)}` : 'Exception';
        description = info.event ? `Paused on ${info.event.name} (${vectorName(info.event.vector)}) before delivery` : undefined;
        break;
      case 'shutdown':
        this.lastException = info.event;
        reason = 'exception';
        text = 'Triple fault';
        description = `Triple fault: ${chainSummary(this.rt!.faultChain())}. The CPU has shut down.`;
        break;
      case 'breakpoint': {
        const h = this.bps.hitsAt(rip);
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
    this.focus(this.rt?.currentCpu ?? 0);
    const ev = new StoppedEvent(reason, THREAD_ID + (this.rt?.currentCpu ?? 0), text) as DebugProtocol.StoppedEvent;
    ev.body.allThreadsStopped = true;
    description = descriptionOverride ?? description;
    if (description) ev.body.description = description;
    if (hit?.length) ev.body.hitBreakpointIds = hit;
    this.sendEvent(ev);
  }

  private invalidate(): void {
    this.stopCache = undefined;
  }

  /** The CPU whose registers, stack and memory the views show (a thread per CPU); changing it drops the views' cache. */
  private focusedCpu = 0;
  private focus(cpu: number): void {
    const rt = this.rt;
    if (!rt?.selectCpu || !((rt.cpuCount ?? 1) > 1)) return;
    if (!(Number.isInteger(cpu) && cpu >= 0 && cpu < (rt.cpuCount ?? 1))) throw new UserError(`there is no thread ${cpu + THREAD_ID}: the machine has ${rt.cpuCount} CPUs`);
    rt.selectCpu(cpu);
    if (cpu !== this.focusedCpu) this.invalidate();
    this.focusedCpu = cpu;
  }

  // ---------------------------------------------------------------------------------------------------
  // inspection
  // ---------------------------------------------------------------------------------------------------

  private frames(): UnwoundFrame[] {
    this.stopCache ??= {};
    if (!this.stopCache.frames) {
      const st = this.rt!.state();
      const long = st.codeBits === 64;
      // Real mode: the unwinder works on linear addresses (segment × 16 + offset) and 16-bit stack words.
      const real = st.mode === 'real' ? { csBase: st.cs.base, ssBase: st.ss.base } : undefined;
      const sp = stackLinear(st);
      const bp = real ? real.ssBase + (st.regs.rbp & 0xffffn) : st.regs.rbp;
      this.stopCache.frames = unwind(this.rt!, this.symbols, { rip: st.pc, rsp: sp, rbp: bp, long, real },
        this.rt!.faultChain(), hasErrorCode, 2000);
    }
    return this.stopCache.frames;
  }

  private stackTrace(a: DebugProtocol.StackTraceArguments): DebugProtocol.StackTraceResponse['body'] {
    if (a.threadId !== undefined) this.focus(Number(a.threadId) - THREAD_ID);
    const frames = this.frames();
    const start = Math.max(0, Number(a.startFrame) || 0);
    const levels = Number(a.levels) > 0 ? Number(a.levels) : frames.length;
    const out: DebugProtocol.StackFrame[] = frames.slice(start, start + levels).map((f, i) => {
      const id = start + i + 1;
      if (f.kind === 'exception') {
        return { id, name: f.label ?? '⚡ exception', line: 0, column: 0, presentationHint: 'label', instructionPointerReference: hex(f.pc) };
      }
      const lookup = start + i === 0 || frames[start + i - 1]?.kind === 'exception' ? f.pc : f.pc - 1n;
      const name = this.symbols?.describe(f.pc) ?? hex(f.pc);
      const loc = this.symbols?.lineAt(lookup);
      const frame: DebugProtocol.StackFrame = { id, name, line: loc?.line ?? 0, column: loc ? Math.max(1, loc.column) : 0, instructionPointerReference: hex(f.pc) };
      if (loc) frame.source = this.sources.source(loc.file);
      else frame.presentationHint = 'subtle';
      return frame;
    });
    return { stackFrames: out, totalFrames: frames.length };
  }

  private variableStore(): VariableStore {
    this.stopCache ??= {};
    if (!this.stopCache.vars) {
      const rt = this.rt!;
      const lastException = this.lastException;
      this.stopCache.vars = new VariableStore({
        state: rt.state(), lastException,
        diagnosis: lastException ? diagnose(rt, rt.faultChain()) : [],
        describe: (a) => this.symbols?.describe(a),
      });
    }
    return this.stopCache.vars;
  }

  private variables(a: DebugProtocol.VariablesArguments): DebugProtocol.VariablesResponse['body'] {
    const vars = this.variableStore().variables(Number(a.variablesReference));
    if (!vars) throw new UserError(`variablesReference ${a.variablesReference} is not valid (it expires when the machine runs)`);
    return { variables: vars };
  }

  private setVariable(a: DebugProtocol.SetVariableArguments): DebugProtocol.SetVariableResponse['body'] {
    const given = String(a.name ?? '').toLowerCase();
    const name = (REGISTERS_32[given] ?? given) as RegisterName;
    if (![...GENERAL_REGISTERS, ...CONTROL_REGISTERS].includes(name)) throw new UserError(`only registers can be set (RAX…R15 or EAX…EDI, RIP/EIP, RFLAGS/EFLAGS, CR0…EFER); '${a.name}' is not one`);
    const v = parseRegisterValue(String(a.value ?? ''));
    if (v === undefined) throw new UserError(`'${a.value}' is not a number; write hex (0x…) or decimal`);
    const narrow = name !== given;
    if (narrow && v > 0xffffffffn) throw new UserError(`${given.toUpperCase()} is 32 bits wide; ${a.value} does not fit`);
    this.rt!.setRegister(name, v);
    this.invalidate();
    this.sendEvent(new InvalidatedEvent(['variables', 'stacks']));
    const now = this.rt!.state().regs[name];
    return { value: narrow ? '0x' + (now & 0xffffffffn).toString(16).padStart(8, '0') : '0x' + now.toString(16).padStart(16, '0') };
  }

  private exceptionInfo(): DebugProtocol.ExceptionInfoResponse['body'] {
    const ev = this.lastException;
    if (!ev) throw new UserError('the machine did not stop on an exception');
    const rt = this.rt!;
    const chain = rt.faultChain();
    const diagnosis = diagnose(rt, chain);
    const triple = this.lastStop?.reason === 'shutdown';
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
        fullTypeName: `${e.name} ${vectorName(e.vector)} (${e.phase}) at ${hex(e.rip)}${this.symbols?.describe(e.rip) ? ` <${this.symbols.describe(e.rip)}>` : ''}`,
        evaluateName: `$cr2`, innerException: inner ? [inner] : undefined,
      };
    };
    const summary = chainSummary(chain);
    const head = triple ? `Triple fault (${summary})` : describe(ev);
    return {
      exceptionId: triple ? 'Triple fault' : ev.name,
      description: [head, ...diagnosis].join('\n'),
      breakMode: this.filters.lastMatch || (triple && this.filters.tripleFault) ? 'always' : 'unhandled',
      details: { ...(detail(0) ?? { message: head }), stackTrace: diagnosis.join('\n') || undefined },
    };
  }

  private evaluate(a: DebugProtocol.EvaluateArguments): DebugProtocol.EvaluateResponse['body'] {
    const expr = String(a.expression ?? '').trim();
    if (!expr) throw new UserError('nothing to evaluate');
    const rt = this.rt!;
    const json = (v: unknown) => ({ result: JSON.stringify(v, null, 1), variablesReference: 0 });
    let m: RegExpExecArray | null;
    if ((m = /^gdt\[(\d+)\]$/i.exec(expr))) {
      const e = gdtRequest(rt).entries.find((x) => x.index === Number(m![1]));
      if (!e) throw new UserError(`GDT entry ${m[1]} is beyond GDTR.limit`);
      return { result: `${e.summary}  raw ${e.raw.join(' ')}${e.problems.length ? '  ⚠ ' + e.problems.join('; ') : ''}`, variablesReference: 0 };
    }
    if ((m = /^idt\[(\w+)\]$/i.exec(expr))) {
      const v = Number(m[1]);
      const g = idtRequest(rt, this.symbols, () => undefined).gates.find((x) => x.vector === v);
      if (!g) throw new UserError(`IDT gate ${m[1]} is beyond IDTR.limit`);
      return { result: `${g.summary}${g.symbol ? ` → ${g.symbol}` : ''}  raw ${g.raw.join(' ')}${g.problems.length ? '  ⚠ ' + g.problems.join('; ') : ''}`, variablesReference: 0 };
    }
    if (/^tss$/i.test(expr)) return json(tssRequest(rt, this.symbols));
    if ((m = /^walk\s+(.+)$/i.exec(expr))) {
      const w = pageWalkRequest(rt, this.evalExpression(m[1]));
      return { result: w.mapped ? `${w.address} → ${w.physical} (${w.levels.map((l) => `${l.level}[${l.index}]`).join(' → ')})` : `${w.address}: ${w.stopReason}`, variablesReference: 0 };
    }
    const v = this.evalExpression(expr);
    const sym = this.symbols?.describe(v);
    return { result: `0x${v.toString(16)} (${v})${sym ? ` <${sym}>` : ''}`, variablesReference: 0, memoryReference: hex(v), type: 'u64' };
  }

  /** Evaluate an address/value expression: registers ($rax or rax), symbols, *(u64*)ADDR. */
  private evalExpression(text: string): bigint {
    const rt = this.rt;
    const regs = rt?.state().regs as Record<string, bigint> | undefined;
    const lookup = (name: string): bigint | undefined => {
      const n = name.startsWith('$') ? name.slice(1) : name;
      if (regs && n.toLowerCase() in regs) return regs[n.toLowerCase()];
      if (regs && n.toLowerCase() in REGISTERS_32) return regs[REGISTERS_32[n.toLowerCase()]] & 0xffffffffn;
      return this.symbols?.lookup(name)?.address;
    };
    const read = (addr: bigint, size: number): bigint | undefined => {
      const r = rt?.readLinear(addr, size);
      if (!r || r.readable < size) return undefined;
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(r.data[i]);
      return v;
    };
    try {
      return compileExpression(text).evaluate({ lookup, read });
    } catch (e) {
      throw new UserError(`${text}: ${(e as Error).message}`);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // memory and disassembly
  // ---------------------------------------------------------------------------------------------------

  private address(v: unknown, what: string): bigint {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
    if (typeof v !== 'string' || !v.trim()) throw new UserError(`'${what}' must be an address: a hex string like 0xdeadbeaf, a number or a symbol`);
    return this.evalExpression(v);
  }

  private get memory(): MemoryContext {
    return { rt: this.rt!, symbols: this.symbols, sources: this.sources, evaluate: (t) => this.evalExpression(t) };
  }

  private writeMemory(a: DebugProtocol.WriteMemoryArguments): DebugProtocol.WriteMemoryResponse['body'] {
    return writeMemory(this.memory, a, () => {
      this.invalidate();
      this.sendEvent(new InvalidatedEvent(['variables', 'stacks']));
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // sources, output
  // ---------------------------------------------------------------------------------------------------

  /** COM2's current line, for the Debug Console (prefixed [COM2]); its terminal gets the raw bytes. */
  private com2Line: number[] = [];
  private flushCom2Line(): void {
    if (!this.com2Line.length) return;
    const text = latin1Text(this.com2Line);
    this.com2Line = [];
    this.sendEvent(new OutputEvent(`[COM2] ${text}${text.endsWith('\n') ? '' : '\n'}`, 'stdout'));
  }

  private flushSerial(): void {
    this.flushCom2Line();
    if (!this.serial.length) return;
    const text = latin1Text(this.serial);
    this.serial = [];
    this.sendEvent(new OutputEvent(text, 'stdout'));
  }

  private flushScreen(force: boolean): void {
    if (!this.screenDirty || !this.rt) return;
    const now = Date.now();
    if (!force && now - this.lastScreenEvent < SCREEN_EVENT_MS) return;
    this.screenDirty = false;
    this.lastScreenEvent = now;
    this.sendEvent(new Event(CustomEvent.screenChanged, { instructionCount: this.rt.instructionCount }));
  }

  private log(text: string): void {
    this.sendEvent(new OutputEvent(text + '\n', 'console'));
  }
}

/** For the extension's DebugAdapterInlineImplementation (a FaultlineSession is a vscode.DebugAdapter). */
export function createFaultlineSession(factory?: RuntimeFactory, host?: AdapterHost): FaultlineSession {
  return new FaultlineSession(factory, host);
}

/**
 * The stack pointer as a linear address, comparable with the unwinder's frame addresses: SS × 16 + SP in
 * real mode (the stack is a 64 KiB segment anywhere below 1 MiB), RSP itself with the flat stacks of
 * protected and long mode.
 */
function stackLinear(st: CpuStateView): bigint {
  return st.mode === 'real' ? st.ss.base + (st.regs.rsp & 0xffffn) : st.regs.rsp;
}
