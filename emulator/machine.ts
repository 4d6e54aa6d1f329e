import {
  BootOptions, CpuStateView, DisplayFrame, ExceptionEvent, HistoryOptions, InputEvent, InputStatus, LinearRead, MachineOptions, RegisterName, ReverseStop, Runtime,
  SegmentState, StopInfo, TimelinePosition, WatchAccess, WatchSpec,
} from './api';
import { bootKernel, EntryState } from './boot/kernel';
import { checkDirectEntry, findLinuxHeader } from './boot/linux';
import { RTC_START_SECONDS } from './devices/cmos';
import { VirtualClock } from './clock';
import { Cpu, Exit, WATCH_READ, WATCH_WRITE } from './cpu/cpu';
import { CPU_MODELS } from './cpu/cpuid';
import { EventKind, deliver, escalate, lastFrame } from './cpu/exceptions';
import { FAULT } from './cpu/fault';
import { getFlags } from './cpu/flags';
import { TABLE, UNDEFINED } from './cpu/opcodes';
import { resetCpu } from './cpu/reset';
import { setSegment } from './cpu/segments';
import { Attr, CpuState, Flag, Seg, SEG_NAMES, TWO32, TWO48, canonicalSigned, fromCanonical64, toCanonical64 } from './cpu/state';
import { cpuModel } from './cpu/system';
import { debugRegsChanged } from './cpu/debug';
import { hasErrorCode, vectorMnemonic } from './cpu/vectors';
import { IoBus } from './devices/bus';
import { guestInputStatus } from './devices/input-status';
import { fontFromVgaBios, loadVgaFont } from './devices/vga-font';
import { frameSignature, renderFrame } from './devices/vga-render';
import { createPcDevices, PcDevices } from './devices';
import { History, ReplayControl } from './history';
import { walkPage } from './inspect/pagewalk';
import { acpiFwCfgFiles } from './firmware/acpi';
import { smbiosFwCfgFiles } from './firmware/smbios';
import { stageFirmwareKernel } from './firmware/kernel-rom';
import { Platform, pcPlatform } from './firmware/platform';
import type { FloppyType } from './devices/floppy-drive';
import { LPT1_BASE } from './devices/parallel';
import { seabiosPciSetup } from './firmware/pci-setup';
import { seabiosMtrrSetup } from './firmware/mtrr-setup';
import { lowRamTop } from './firmware/e820';
import { PhysicalMemory } from './memory/phys';
import { MAX_SMP, SmpHost, SmpScheduler } from './smp';
import { stateHash } from './snapshot';

/** An exception that was raised and not yet delivered (the machine may stop here, before delivery). */
interface Pending {
  vector: number;
  errorCode: number;
  kind: EventKind;
  /** Vector whose delivery this exception interrupted (-1: none), and that event's kind. */
  during: number;
  duringKind: EventKind;
  /** For a fault during delivery: whether escalate() has decided its fate yet. */
  resolved: boolean;
}

type Listener = (...args: never[]) => void;

/**
 * The machine: CPU, RAM, devices and virtual clock, driven through the Runtime API. It owns the exception
 * delivery loop: a raised exception becomes an event; the debugger may stop before delivery; delivery
 * faults are combined by escalate() (the one Table 6-5 decision) into #DF or a triple fault.
 */
/** Where the BIOS loads and enters a boot sector (and an El Torito no-emulation image by default): 0000:7C00. */
const BOOT_SECTOR = 0x7c00;

export class Machine implements Runtime {
  readonly clock = new VirtualClock();
  readonly bus = new IoBus();
  readonly mem: PhysicalMemory;
  /** The current CPU: the one running, or the one that stopped (selectCpu() changes it for inspection). */
  cpu: Cpu;
  /** Every CPU (cpus[i] has APIC ID i; cpus[0] is the BSP). */
  readonly cpus: Cpu[];
  readonly devices: PcDevices;
  readonly options: Required<Omit<MachineOptions, 'board'>>;
  /** Which CPU runs, INIT/SIPI, the round-robin loop (smp.ts). */
  private readonly smp: SmpScheduler;
  /** Firmware, disks and boot order of the PC board (MachineOptions.board). */
  readonly boardOptions: NonNullable<MachineOptions['board']>;
  entry?: EntryState;
  shouldStopOnException: ((ev: ExceptionEvent) => boolean) | null = null;

  private kernel?: Uint8Array;
  private bootOptions: BootOptions = {};
  private listeners = new Map<string, Listener[]>();
  private pending: Pending | null = null;
  private chain: ExceptionEvent[] = [];
  private seq = 0;
  private exitCode: number | undefined;
  /** The exit was ACPI soft-off (S5), not isa-debug-exit. */
  private poweredOff = false;
  private shutdown = false;
  private resetRequested = false;
  /** In S3 (suspend to RAM): the CPU is off and virtual time runs on until a wake event (sleepFor). */
  private sleeping = false;
  /** A wake event (the RTC alarm) came while sleeping. */
  private wakeRequested = false;
  private pauseRequested = false;
  /** Linear address of a breakpoint we stopped at: resuming must execute it instead of stopping again. */
  private resumeAt = -1;
  /** The VGA text font (textFont()); null when there is none. */
  private font: Uint8Array | null | undefined;
  /** Set by step(): every raise and escalation stops (stepping into delivery). */
  private stepping = false;
  /** Reverse debugging: snapshots + re-execution (history.ts). Off until enableHistory(). */
  readonly history: History;
  /** Set while the history re-executes: exception stops follow it instead of shouldStopOnException. */
  private replay: ReplayControl | null = null;

  static create(opts: MachineOptions = {}): Machine {
    return new Machine(opts);
  }

  constructor(opts: MachineOptions = {}) {
    this.options = { memoryMB: opts.memoryMB ?? 128, onTripleFault: opts.onTripleFault ?? 'stop', onResetRequest: opts.onResetRequest ?? 'reset', cpu: opts.cpu ?? 'faultline', com2: opts.com2 ?? false, smp: opts.smp ?? 1, rtcStart: opts.rtcStart ?? RTC_START_SECONDS, fastWaits: opts.fastWaits ?? true };
    if (!Number.isInteger(this.options.rtcStart) || this.options.rtcStart < 0 || this.options.rtcStart >= Date.UTC(2100, 0, 1) / 1000) throw new Error(`rtcStart must be whole seconds from 1970 to 2099, not ${this.options.rtcStart}`);
    const smp = this.options.smp;
    if (!(Number.isInteger(smp) && smp >= 1 && smp <= MAX_SMP)) throw new Error(`smp must be a whole number of CPUs from 1 to ${MAX_SMP}, not ${smp}`);
    this.boardOptions = opts.board ?? {};
    const model = CPU_MODELS[this.options.cpu];
    if (!model) throw new Error(`unknown CPU model '${this.options.cpu}'; choose one of: ${Object.keys(CPU_MODELS).join(', ')}`);
    cpuModel.current = model;
    if (!(this.options.memoryMB >= 2 && this.options.memoryMB <= 4096)) throw new Error(`memoryMB must be between 2 and 4096, not ${this.options.memoryMB}`);
    this.mem = new PhysicalMemory(this.options.memoryMB * 1024 * 1024, this.bus);
    this.cpus = [];
    for (let i = 0; i < smp; i++) {
      const c = new Cpu(this.mem, this.bus, this.clock, TABLE, UNDEFINED);
      c.apicId = i;
      c.cpuCount = smp;
      c.waitSkip = this.options.fastWaits;
      this.cpus.push(c);
    }
    this.cpu = this.cpus[0];
    if (smp > 1) {
      // Every CPU decodes on its own; a store into decoded code (any CPU's, or a device's) reaches them all.
      for (const c of this.cpus) c.peers = this.cpus;
      this.mem.notifyCodeWrite = (page, addr, len) => { for (const c of this.cpus) c.invalidateCode(page, addr, len); };
    }
    this.devices = createPcDevices({
      bus: this.bus, phys: this.mem, clock: this.clock, memoryBytes: this.mem.size, cpuCount: smp, rtcStart: this.options.rtcStart,
      onSerial: (b) => this.emit('serial', b),
      onSerial2: opts.com2 ? (b) => this.emit('serial2', b) : undefined,
      onDebugcon: (b) => this.emit('debugcon', b),
      onExit: (status) => { this.exitCode = status; this.cpu.stopRequested = true; },
      onResetRequest: () => { this.resetRequested = true; this.cpu.stopRequested = true; },
      onA20: (enabled) => this.cpu.setA20(enabled),
      board: {
        ...this.boardOptions,
        onFirmwareLog: (b) => this.emit('firmwareLog', b),
        // ACPI soft-off (S5): QEMU exits with status 0.
        onPowerOff: () => { this.exitCode = 0; this.poweredOff = true; this.cpu.stopRequested = true; },
        // ACPI S3: QEMU's qemu_system_suspend (the RTC marks the shutdown status byte for the firmware's resume).
        onSuspend: () => { this.sleeping = true; this.devices.cmos.enterSuspend(); this.cpu.stopRequested = true; },
      },
      onMemoryMapChange: (base, size) => { for (const c of this.cpus) { c.flushTlb(); c.invalidateCodeRange(base, size); c.codeDirty = true; } },
    });
    if (this.boardOptions.bios) {
      // What QEMU's pc machine gives SeaBIOS over fw_cfg: its ACPI tables and the table-loader script, and its
      // SMBIOS structures and entry point.
      const platform = this.platform();
      for (const [name, data] of [...acpiFwCfgFiles(platform), ...smbiosFwCfgFiles(platform)]) this.devices.fwcfg.addFile(name, data);
    }
    // The RTC alarm wakes the machine from S3 while PM1_EN.RTC_EN allows it (QEMU's wakeup reason RTC).
    this.devices.cmos.onAlarm = () => { if (this.sleeping && this.devices.board.pm.rtcWakeEnabled) this.wakeRequested = true; };
    const router = this.devices.router;
    const ferr = this.devices.ferr;
    this.cpus.forEach((c, i) => {
      const line = router.lines[i];
      c.irqPending = i === 0 ? () => router.pending : () => line.pending;
      const lapic = this.devices.lapics[i];
      lapic.x2apicSupported = (model.leaf1Ecx & (1 << 21)) !== 0;
      c.host = {
        readMsr: (index) => lapic.readMsr(index),
        writeMsr: (index, lo, hi) => lapic.writeMsr(index, lo, hi),
        readCr8: () => lapic.readCr8(),
        writeCr8: (v) => lapic.writeCr8(v),
      };
      c.irqLine = i === 0 ? router : line;
      c.ferr = (asserted) => ferr.ferr(asserted);
    });
    this.smp = new SmpScheduler(this.cpus, this.devices);
    this.history = new History(this.historyHost());
  }

  // ----------------------------------------------------------------------------------- events
  on(event: 'exception', cb: (ev: ExceptionEvent) => void): void;
  on(event: 'serial' | 'serial2' | 'debugcon' | 'firmwareLog', cb: (byte: number) => void): void;
  on(event: 'reset' | 'screen', cb: () => void): void;
  on(event: string, cb: Listener): void {
    const l = this.listeners.get(event) ?? [];
    l.push(cb);
    this.listeners.set(event, l);
  }

  private emit(event: string, ...args: unknown[]): void {
    if (this.history.enabled && this.history.silent(event === 'exception' ? (args[0] as ExceptionEvent).seq : -1)) return;
    const l = this.listeners.get(event);
    if (l) for (const cb of l) (cb as (...a: unknown[]) => void)(...args);
  }

  // ------------------------------------------------------------------------------------- boot
  boot(kernel: Uint8Array, opts: BootOptions = {}): void {
    this.kernel = kernel;
    this.bootOptions = opts;
    if (this.boardOptions.bios) {
      // Through the firmware, as qemu -kernel: SeaBIOS runs from the reset vector, then the option ROM
      // (firmware/kernel-rom.ts) loads the kernel. The entry state is the kernel's placement and symbols.
      const staged = stageFirmwareKernel(kernel, this.mem.size, {
        cmdline: opts.cmdline, fileName: opts.fileName, modules: opts.modules, initrd: opts.initrd, platform: this.platform(),
      });
      staged.install(this.devices.fwcfg);
      this.powerOn();
      this.entry = staged.entry;
      return;
    }
    this.powerOn();
  }

  /**
   * Power on with the board's firmware (MachineOptions.board.bios): the CPU starts at the reset vector and the
   * BIOS finds the disks, as `qemu-system-x86_64 -hda/-cdrom` without -kernel.
   */
  bootFirmware(): void {
    if (!this.boardOptions.bios) throw new Error('bootFirmware needs MachineOptions.board.bios (the SeaBIOS image)');
    this.kernel = undefined;
    this.bootOptions = {};
    this.entry = undefined;
    this.powerOn();
  }

  /** The drive types of the floppy drives present, with or without a diskette (the firmware tables describe them). */
  private floppyTypes(): FloppyType[] {
    return this.devices.board.fdc.drives.flatMap((d) => (d.type ? [d.type] : []));
  }

  /**
   * The board as the firmware tables describe it (firmware/platform.ts): the same on the direct path and, through
   * fw_cfg, on the SeaBIOS path. The PCI slots are the bus's function-0 devices.
   */
  platform(): Platform {
    const p = pcPlatform(this.mem.size, CPU_MODELS[this.options.cpu], this.options.smp,
      { com2: this.devices.uart2 !== undefined, nodefaults: this.boardOptions.nodefaults, floppies: this.floppyTypes() });
    p.pciSlots = this.devices.board.pci.functions.filter((f) => f.fn === 0)
      .map((f) => ({ slot: f.slot, classCode: f.config[0x09] | (f.config[0x0a] << 8) | (f.config[0x0b] << 16), hotpluggable: f.hotpluggable }));
    p.lptPorts = this.devices.lpt ? [LPT1_BASE] : [];
    return p;
  }

  entryPoint(): bigint | undefined {
    if (!this.boardOptions.bios) return undefined;
    if (this.entry) return BigInt(this.entry.entry);
    // Firmware with no disk, CD or floppy (a BIOS of one's own, qemu -bios alone): its reset vector is the entry.
    const b = this.boardOptions;
    return b.hda || b.hdb || b.cdrom || b.fda ? BigInt(BOOT_SECTOR) : undefined;
  }

  private powerOn(): void {
    this.mem.clear();
    this.clock.reset();
    for (const d of this.devices.all) d.reset();
    this.resetCpus();
    const c = this.cpu;
    this.pending = null;
    this.shutdown = false;
    this.exitCode = undefined;
    this.poweredOff = false;
    this.resetRequested = false;
    this.sleeping = false;
    this.wakeRequested = false;
    if (!this.kernel || this.boardOptions.bios) {
      if (this.boardOptions.bios) this.history.restart(); // firmware boot: the reset vector is the start
      return;
    }
    // The PCI board and the MTRRs as SeaBIOS leaves them before `qemu -kernel` boots the kernel.
    seabiosPciSetup(this.devices.board.pci, this.bus);
    // SeaBIOS sets the APs' MTRRs as the BSP's (smp.c replays its MTRR writes on each AP); INIT keeps them.
    for (const x of this.cpus) seabiosMtrrSetup(x, CPU_MODELS[this.options.cpu], lowRamTop(this.mem.size));
    const linux = findLinuxHeader(this.kernel);
    if (linux) checkDirectEntry(linux, 'the kernel');
    const e = bootKernel(this.kernel, this.mem, {
      cmdline: this.bootOptions.cmdline, fileName: this.bootOptions.fileName, modules: this.bootOptions.modules, initrd: this.bootOptions.initrd, display: this.devices.vga,
      platform: this.platform(),
      secondsOfDay: this.devices.cmos.secondsSinceEpoch() % 86400,
    });
    this.entry = e;
    // Multiboot entry state (spec §3.2): flat 32-bit protected mode, paging off, IF = 0.
    c.cr0 = e.cr0;
    c.gdtrBase = e.gdtBase;
    c.gdtrLimit = e.gdtLimit;
    // The firmware that ran before the loader (SeaBIOS under qemu -kernel) left the real-mode IVT's IDTR, base 0
    // limit 0x3ff, not the reset value's limit 0xffff (fixtures/golden/lowmem-probe*.serial.txt).
    c.idtrBase = 0;
    c.idtrLimit = 0x3ff;
    const code = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
    const data = 0x3 | Attr.S | Attr.P | Attr.DB | Attr.G;
    for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) setSegment(c, s, e.ds, 0, 0xffffffff, data);
    setSegment(c, Seg.CS, e.cs, 0, 0xffffffff, code);
    c.flags = e.eflags;
    c.setReg32(0, e.eax);
    c.setReg32(1, e.regs.ecx);
    c.setReg32(2, e.regs.edx);
    c.setReg32(3, e.ebx);
    c.setReg32(4, e.regs.esp);
    c.setReg32(5, e.regs.ebp);
    c.setReg32(6, e.regs.esi);
    c.setReg32(7, e.regs.edi);
    c.rip = e.entry;
    c.setCpl(0);
    c.flushTlb();
    c.updateMode();
    this.history.restart();
  }

  /** Every CPU to its RESET state: the BSP runs from the reset vector, the APs wait for a SIPI (SDM §9.1). */
  private resetCpus(): void {
    for (const c of this.cpus) {
      c.flushCode();
      resetCpuState(c);
    }
    this.smp.reset();
    this.cpu = this.cpus[0];
  }

  /** Number of CPUs. */
  get cpuCount(): number {
    return this.cpus.length;
  }

  /** The CPU that runs next (or stopped): its index; the debugger's current thread. */
  get currentCpu(): number {
    return this.smp.cur;
  }

  /** Point inspection (state, registers, memory through its paging) at CPU `i`; run/step go back to the scheduler's CPU. */
  selectCpu(i: number): void {
    if (!(i >= 0 && i < this.cpus.length)) throw new Error(`there is no CPU ${i}: this machine has ${this.cpus.length}`);
    this.cpu = this.cpus[i];
  }

  /** CPU `i` waits for a STARTUP IPI (an AP not started yet). */
  waitsForSipi(i: number): boolean {
    return this.smp.waitSipi[i];
  }

  /** Resets since construction (run() uses it to keep its budget across a clock restart). */
  private resetCount = 0;

  /** The machine as the SMP scheduler sees it. */
  private readonly smpHost: SmpHost = (() => {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const m = this;
    return {
      clock: m.clock,
      get sleeping() { return m.sleeping; },
      sleepFor: (budget: number) => m.sleepFor(budget),
      get resetCount() { return m.resetCount; },
      setCurrent: (c: Cpu) => { m.cpu = c; },
      handleExit: (exit: Exit) => m.handleExit(exit),
    };
  })();

  /**
   * Why the machine last reset: a triple fault (onTripleFault 'reset'), the guest's own request (onResetRequest
   * 'reset'), or a caller of reset() ('user'). Set before the 'reset' event, for its listeners.
   */
  resetCause: 'tripleFault' | 'guest' | 'user' = 'user';

  reset(cause: 'tripleFault' | 'guest' | 'user' = 'user'): void {
    this.resetCause = cause;
    this.resetCount++;
    this.powerOn();
    this.emit('reset');
  }

  /**
   * S3: the CPU is off; virtual time passes from timer to timer, at most `budget` ns, until a wake event, then
   * the wake-up reset. Returns what the run slice counts for: the time that passed, at least 1 (so a run
   * always returns within its budget), or -1 when nothing is left that could ever wake it.
   */
  private sleepFor(budget: number): number {
    const clock = this.clock;
    const start = clock.instructions;
    const end = start + budget;
    while (!this.wakeRequested) {
      const next = clock.nextDeadline;
      if (next === Infinity) return -1;
      if (next > end) { clock.instructions = end; return budget; }
      clock.instructions = Math.max(clock.instructions, next);
      clock.fire();
    }
    const passed = clock.instructions - start;
    this.wakeUp();
    return passed > 0 ? passed : 1;
  }

  /**
   * The system reset that ends S3 (QEMU's qemu_wakeup_requested: qemu_system_reset, then the wakeup
   * notifiers). Unlike power-on, RAM keeps its contents, the host bridge keeps its configuration (QEMU resets
   * only a PCI function's header, so the PAM registers still map the shadowed BIOS; SeaBIOS relies on it to
   * find its own HaveRunPost), and the RTC keeps CMOS RAM and the time of day. Then PM1_STS shows the wake.
   */
  private wakeUp(): void {
    const d = this.devices;
    this.sleeping = false;
    this.wakeRequested = false;
    const seconds = d.cmos.secondsSinceEpoch();
    const hostBridge = d.board.i440fx.saveConfig();
    this.resetCount++;
    this.clock.reset();
    for (const dev of d.all) if (dev !== d.cmos) dev.reset();
    d.cmos.resetKeepingRam(seconds);
    d.board.i440fx.loadConfig(hostBridge);
    this.resetCpus();
    this.pending = null;
    this.shutdown = false;
    d.board.pm.woke(true);
    this.history.restart();
    this.emit('reset');
  }

  // -------------------------------------------------------------------------------------- run
  get instructionCount(): number {
    return this.clock.instructions;
  }

  pause(): void {
    this.pauseRequested = true;
    for (const c of this.cpus) c.stopRequested = true;
  }

  run(maxInstructions: number): StopInfo {
    if (this.shutdown) {
      if (this.options.onTripleFault !== 'reset') return { reason: 'shutdown', event: this.chain[this.chain.length - 1] };
      this.reset('tripleFault');
    }
    this.cpu = this.cpus[this.smp.cur];
    if (this.pending) {
      const s = this.continueDelivery();
      if (s) return s;
    }
    let skip = this.resumeAt;
    this.resumeAt = -1;
    if (this.cpus.length > 1) return this.smp.run(maxInstructions, skip, this.smpHost);
    // `used` counts what this call retired. A reset (triple fault with onTripleFault 'reset', or the guest's
    // reset request) restarts the clock at 0, so a slice that reset counts what ran before it; a slice that
    // retired nothing (a handler that faults on its first instruction, forever) counts 1. So run() always
    // returns within its budget, even in a boot loop.
    let used = 0;
    if (this.history.enabled) this.history.runStarted();
    for (;;) {
      const left = maxInstructions - used;
      if (left <= 0) return { reason: 'budget' };
      if (this.sleeping) {
        const passed = this.sleepFor(left);
        if (passed < 0) return { reason: 'halt' };
        used += passed;
        continue;
      }
      const before = this.clock.instructions;
      const resetsBefore = this.resetCount;
      if (this.history.enabled) this.history.tick();
      const slice = this.history.enabled ? Math.min(left, this.history.untilNext()) : left;
      const exit = this.cpu.run(slice, skip);
      const ran = this.clock.instructions - before;
      skip = -1;
      // A budget exit of a slice cut short for the history's next snapshot: keep going. A HLT lets time jump no
      // further than this call's budget (a run of N ends after N, halted or not; the next run goes on waiting).
      this.haltLimit = before + left;
      const s = exit === Exit.BUDGET && slice < left ? undefined : this.handleExit(exit);
      this.haltLimit = Infinity;
      if (s) return s;
      const d = this.resetCount === resetsBefore ? this.clock.instructions - before : ran;
      used += d > 0 ? d : 1;
    }
  }

  step(): StopInfo {
    this.cpu = this.cpus[this.smp.cur];
    this.stepping = true;
    try {
      if (this.shutdown) return { reason: 'shutdown', event: this.chain[this.chain.length - 1] };
      if (this.pending) return this.continueDelivery() ?? { reason: 'step' };
      if (this.sleeping) {
        // In S3 no instruction executes: a step lets 1 ns of virtual time pass (a wake-up may end it).
        const s = this.run(1);
        return s.reason === 'budget' ? { reason: 'step' } : s;
      }
      const skip = this.resumeAt;
      this.resumeAt = -1;
      const before = this.clock.instructions;
      for (let guard = 0; guard < 4; guard++) {
        // A CPU waiting at an RDTSC (cpu/spin-wait.ts): the wait ends first, or the next timer does; then the
        // step runs the RDTSC, as a run would.
        const c = this.cpus[this.smp.cur];
        if (c.stallUntil > this.clock.instructions) this.clock.instructions = Math.min(c.stallUntil, this.clock.nextDeadline);
        // With several CPUs a step runs the current CPU alone; halted, it does not wait for the others.
        const exit = this.cpus.length > 1 ? this.smp.step(skip) : this.cpu.run(1, skip);
        if (exit === undefined) return { reason: 'step' };
        const s = this.handleExit(exit);
        if (s && s.reason !== 'budget') return s;
        // An RDTSC that began to wait has not run yet: the step goes on until it has.
        if (this.cpus[this.smp.cur].stallUntil > this.clock.instructions && exit === Exit.BUDGET) continue;
        if (this.clock.instructions !== before || exit === Exit.FAULT) return { reason: 'step' };
      }
      return { reason: 'step' };
    } finally {
      this.stepping = false;
    }
  }

  /** How far a HLT may let the clock jump (run(): the end of its budget; a step: to the next timer). */
  private haltLimit = Infinity;

  /** Turn a CPU exit into a stop, or undefined to keep running. */
  private handleExit(exit: Exit): StopInfo | undefined {
    const c = this.cpu;
    switch (exit) {
      case Exit.BUDGET:
        return { reason: 'budget' };
      case Exit.FAULT: {
        const kind = c.softIntPending ? EventKind.SOFTWARE : EventKind.EXCEPTION;
        c.softIntPending = false;
        if (FAULT.vector === 14) c.cr2 = FAULT.pfAddress;
        const code = kind === EventKind.EXCEPTION && hasErrorCode(FAULT.vector) ? FAULT.errorCode : -1;
        return this.raiseEvent(FAULT.vector, code, kind, -1, FAULT.reason);
      }
      case Exit.NMI: {
        // NMI delivery blocks further NMIs until the next IRET (SDM Vol. 3 §6.7.1).
        this.devices.router.takeNmi(this.smp.cur);
        c.nmiBlocked = true;
        this.pending = { vector: 2, errorCode: -1, kind: EventKind.EXTERNAL, during: -1, duringKind: EventKind.EXTERNAL, resolved: true };
        this.emitEvent('raised', 2, -1, EventKind.EXTERNAL, -1, 'NMI delivered');
        return this.continueDelivery();
      }
      case Exit.IRQ: {
        const vector = this.devices.router.acknowledge(this.smp.cur);
        if (vector < 0) return undefined;
        this.pending = { vector, errorCode: -1, kind: EventKind.EXTERNAL, during: -1, duringKind: EventKind.EXTERNAL, resolved: true };
        this.emitEvent('raised', vector, -1, EventKind.EXTERNAL, -1, `IRQ delivered as vector 0x${vector.toString(16)}`);
        return this.continueDelivery();
      }
      case Exit.HALT: {
        // Halted with interrupts enabled: let virtual time jump to the next timer event (within the run's budget).
        if ((c.flags & Flag.IF) && this.clock.nextDeadline !== Infinity) {
          this.clock.instructions = Math.max(this.clock.instructions, Math.min(this.clock.nextDeadline, this.haltLimit));
          if (this.clock.instructions >= this.clock.nextDeadline) this.clock.fire();
          return undefined;
        }
        return { reason: 'halt' };
      }
      case Exit.STOP: {
        c.stopRequested = false;
        if (this.exitCode !== undefined) return this.poweredOff ? { reason: 'exit', exitCode: this.exitCode, powerOff: true } : { reason: 'exit', exitCode: this.exitCode };
        if (this.resetRequested) {
          if (this.options.onResetRequest === 'stop') {
            this.resetRequested = false;
            return { reason: 'exit', exitCode: 0, resetRequest: true };
          }
          this.reset('guest');
          return undefined;
        }
        if (this.sleeping) return undefined;
        if (c.breakpointHit) {
          c.breakpointHit = false;
          this.resumeAt = c.codeLinear();
          return { reason: 'breakpoint' };
        }
        if (c.watchHitAddr >= 0) {
          const access: WatchAccess = c.watchHitKinds === WATCH_WRITE ? 'write' : c.watchHitKinds === WATCH_READ ? 'read' : 'readWrite';
          const w = { address: toCanonical64(c.watchHitAddr), size: c.watchHitSize, rip: this.ripBig(c.insnStart), access, write: c.watchHitWrite };
          c.watchHitAddr = -1;
          return { reason: 'watchpoint', watch: w };
        }
        if (this.pauseRequested) { this.pauseRequested = false; return { reason: 'pause' }; }
        return undefined;
      }
    }
  }

  private ripBig(rip: number): bigint {
    return this.cpu.lma ? toCanonical64(rip) : BigInt(rip);
  }

  /** Build, record and publish an exception event. */
  private emitEvent(phase: ExceptionEvent['phase'], vector: number, errorCode: number, kind: EventKind, during: number, reason: string,
    escalatedFrom?: { first: number; second: number }, interrupted?: ExceptionEvent['interrupted']): ExceptionEvent {
    const c = this.cpu;
    const ev: ExceptionEvent = {
      seq: this.seq++,
      instructionCount: this.clock.instructions,
      phase,
      vector,
      name: kind === EventKind.SOFTWARE && vector !== 3 && vector !== 4 ? `INT 0x${vector.toString(16)}` : kind === EventKind.EXTERNAL ? `IRQ (vector 0x${vector.toString(16)})` : vectorMnemonic(vector),
      // Real-mode delivery pushes no error code (SDM §20.1.4), whatever the vector.
      errorCode: errorCode >= 0 && (c.cr0 & 1) !== 0 ? errorCode : undefined,
      cr2: c.lma ? toCanonical64(c.cr2) : BigInt(c.cr2),
      rip: this.ripBig(c.rip),
      cs: c.segSel[Seg.CS],
      rsp: regBig(c, 4),
      ss: c.segSel[Seg.SS],
      external: kind === EventKind.EXTERNAL,
      software: kind === EventKind.SOFTWARE,
      duringDeliveryOf: during >= 0 ? during : undefined,
      reason,
      escalatedFrom,
    };
    if (interrupted) ev.interrupted = interrupted;
    if (!(c.cr0 & 1)) ev.realMode = true;
    if (vector === 14 && phase === 'raised' && kind === EventKind.EXCEPTION) {
      ev.access = {
        address: ev.cr2, write: (errorCode & 2) !== 0, user: (errorCode & 4) !== 0, fetch: (errorCode & 16) !== 0 || FAULT.pfFetch,
        cause: reason,
      };
    }
    if (kind !== EventKind.EXTERNAL) {
      if (phase === 'raised' && during < 0) this.chain = [];
      this.chain.push(ev);
    }
    if (this.history.enabled) this.history.noteEvent(ev);
    this.emit('exception', ev);
    return ev;
  }

  private wantsStop(ev: ExceptionEvent): boolean {
    if (this.replay) return this.replay.stopAtSeq >= 0 && ev.seq + 1 >= this.replay.stopAtSeq;
    if (this.stepping && ev.phase !== 'delivered' && (ev.duringDeliveryOf !== undefined || ev.phase !== 'raised')) return true;
    return this.shouldStopOnException ? this.shouldStopOnException(ev) : false;
  }

  /** A new exception was detected by an instruction (not during delivery). */
  private raiseEvent(vector: number, errorCode: number, kind: EventKind, during: number, reason: string): StopInfo | undefined {
    const ev = this.emitEvent('raised', vector, errorCode, kind, during, reason);
    this.pending = { vector, errorCode, kind, during: -1, duringKind: kind, resolved: true };
    if (this.wantsStop(ev)) return { reason: 'exception', event: ev };
    return this.continueDelivery();
  }

  /**
   * Deliver the pending exception. A fault during delivery is first reported as a 'raised' event (the
   * debugger may stop there, before anything is decided); then escalate() (SDM Table 6-5, the one place)
   * decides serial delivery, #DF ('escalated' event, another possible stop) or shutdown ('tripleFault').
   */
  private continueDelivery(): StopInfo | undefined {
    const c = this.cpu;
    for (;;) {
      const p = this.pending!;
      if (p.during >= 0 && !p.resolved) {
        p.resolved = true;
        // Only exceptions take part in Table 6-5; a fault while delivering INT n or an IRQ is handled serially.
        const outcome = p.duringKind === EventKind.EXCEPTION ? escalate(p.during, p.vector) : 'serial';
        if (outcome === 'triple-fault') {
          const ev = this.emitEvent('tripleFault', p.vector, p.errorCode, EventKind.EXCEPTION, p.during,
            `${vectorMnemonic(p.vector)} while delivering #DF: the CPU shuts down (triple fault)`);
          this.pending = null;
          this.shutdown = true;
          c.halted = true;
          if (this.options.onTripleFault === 'reset' && !this.wantsStop(ev)) {
            this.reset('tripleFault');
            return undefined;
          }
          return { reason: 'shutdown', event: ev };
        }
        if (outcome === 'double-fault') {
          const ev = this.emitEvent('escalated', 8, 0, EventKind.EXCEPTION, p.during,
            `${vectorMnemonic(p.during)} then ${vectorMnemonic(p.vector)} → #DF (SDM Table 6-5)`, { first: p.during, second: p.vector });
          this.pending = { vector: 8, errorCode: 0, kind: EventKind.EXCEPTION, during: -1, duringKind: EventKind.EXCEPTION, resolved: true };
          if (this.wantsStop(ev)) return { reason: 'exception', event: ev };
          continue;
        }
      }
      const fromRip = this.ripBig(c.rip), fromRsp = regBig(c, 4), fromTr = c.segSel[Seg.TR];
      try {
        deliver(c, p.vector, p.kind === EventKind.EXCEPTION && hasErrorCode(p.vector) ? p.errorCode : -1, p.kind);
      } catch (e) {
        if (e !== FAULT) throw e;
        // A fault while delivering INT n / INT3 / INTO is reported at the INT instruction, which did not
        // complete (the trap's return address is not used): QEMU and the SDM agree.
        if (p.kind === EventKind.SOFTWARE) c.rip = c.insnStart;
        c.watchHitAddr = -1; // the delivery's watched accesses (gate, stack) count when a delivery completes
        const second = FAULT.vector;
        if (second === 14) c.cr2 = FAULT.pfAddress;
        c.faultRf = Flag.RF; // an exception during delivery is a fault
        const code2 = hasErrorCode(second) ? FAULT.errorCode : -1;
        const raised = this.emitEvent('raised', second, code2, EventKind.EXCEPTION, p.vector, FAULT.reason);
        this.pending = { vector: second, errorCode: code2, kind: EventKind.EXCEPTION, during: p.vector, duringKind: p.kind, resolved: false };
        if (this.wantsStop(raised)) return { reason: 'exception', event: raised };
        continue;
      }
      this.pending = null;
      const ev = this.emitEvent('delivered', p.vector, p.kind === EventKind.EXCEPTION && hasErrorCode(p.vector) ? p.errorCode : -1, p.kind, -1, `delivered to ${this.ripBig(c.rip).toString(16)}`,
        undefined, { rip: fromRip, rsp: fromRsp, taskSwitch: c.segSel[Seg.TR] !== fromTr });
      if (this.stepping || (this.replay && this.replay.stopAtSeq >= 0 && ev.seq + 1 >= this.replay.stopAtSeq)) return { reason: 'step', event: ev };
      return undefined;
    }
  }

  /** The exception currently raised but not yet delivered (at an 'exception' stop). */
  pendingException(): { vector: number; errorCode?: number } | undefined {
    return this.pending ? { vector: this.pending.vector, errorCode: this.pending.errorCode >= 0 ? this.pending.errorCode : undefined } : undefined;
  }

  get isShutdown(): boolean {
    return this.shutdown;
  }

  /** Where the last delivery pushed its frame (linear RSP after the pushes) and whether it switched stacks. */
  lastDeliveryFrame(): { rsp: bigint; ist: number; stackSwitched: boolean } {
    return { rsp: this.cpu.lma ? toCanonical64(lastFrame.rsp) : BigInt(lastFrame.rsp), ist: lastFrame.ist, stackSwitched: lastFrame.stackSwitched };
  }

  faultChain(): ExceptionEvent[] {
    return this.chain.slice();
  }

  // ------------------------------------------------------------------------------- breakpoints
  /** Breakpoints and watchpoints apply to every CPU: a hit on any of them stops the machine. */
  addBreakpoint(rip: bigint): void {
    const la = this.toLinear(rip);
    if (la !== undefined) for (const c of this.cpus) { c.breakpoints.add(la); c.bpGen++; }
  }

  removeBreakpoint(rip: bigint): void {
    const la = this.toLinear(rip);
    if (la !== undefined) for (const c of this.cpus) { c.breakpoints.delete(la); c.bpGen++; }
  }

  clearBreakpoints(): void {
    for (const c of this.cpus) {
      c.breakpoints.clear();
      c.bpGen++;
    }
  }

  setWatchpoints(ranges: WatchSpec[]): void {
    const watch: { start: number; end: number; kinds: number }[] = [];
    for (const r of ranges) {
      const la = this.toLinear(r.start);
      const kinds = r.access === 'read' ? WATCH_READ : r.access === 'readWrite' ? WATCH_READ | WATCH_WRITE : WATCH_WRITE;
      if (la !== undefined && r.length > 0) watch.push({ start: la, end: la + r.length, kinds });
    }
    for (const c of this.cpus) {
      c.watch = watch.slice();
      c.flushTlb();
    }
  }

  /** 64-bit guest address → the CPU's linear form (undefined if non-canonical). */
  private toLinear(a: bigint): number | undefined {
    return fromCanonical64(a);
  }

  // -------------------------------------------------------------------------------- inspection
  state(): CpuStateView {
    const c = this.cpu;
    const regs = {} as Record<RegisterName, bigint>;
    const names: RegisterName[] = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
    names.forEach((n, i) => { regs[n] = regBig(c, i); });
    regs.rip = this.ripBig(c.rip);
    regs.rflags = BigInt(getFlags(c) >>> 0);
    regs.cr0 = BigInt(c.cr0 >>> 0);
    regs.cr2 = c.lma ? toCanonical64(c.cr2) : BigInt(c.cr2);
    regs.cr3 = BigInt(c.cr3);
    regs.cr4 = BigInt(c.cr4 >>> 0);
    regs.cr8 = BigInt(this.devices.lapics[c.apicId].readCr8());
    regs.efer = BigInt(c.efer >>> 0);
    for (const k of [0, 1, 2, 3, 6, 7]) regs[`dr${k}` as RegisterName] = BigInt(c.dr[k]);
    regs.fs_base = toCanonical64(c.segBase[Seg.FS]);
    regs.gs_base = toCanonical64(c.segBase[Seg.GS]);
    regs.kernel_gs_base = toCanonical64(c.kernelGsBase);
    const seg = (s: number): SegmentState => ({
      selector: c.segSel[s], base: c.lma ? toCanonical64(c.segBase[s]) : BigInt(c.segBase[s]), limit: c.segLimit[s],
      // As in the descriptor's high dword: type/S/DPL/P at bits 8-15, AVL/L/D/G at 20-23.
      attributes: ((c.segAttr[s] & 0xff) << 8) | ((c.segAttr[s] & 0xf000) << 8),
    });
    return {
      regs,
      cs: seg(Seg.CS), ds: seg(Seg.DS), es: seg(Seg.ES), fs: seg(Seg.FS), gs: seg(Seg.GS), ss: seg(Seg.SS),
      tr: seg(Seg.TR), ldtr: seg(Seg.LDTR),
      gdtr: { base: c.lma ? toCanonical64(c.gdtrBase) : BigInt(c.gdtrBase), limit: c.gdtrLimit },
      idtr: { base: c.lma ? toCanonical64(c.idtrBase) : BigInt(c.idtrBase), limit: c.idtrLimit },
      mode: c.modeName(),
      codeBits: c.long ? 64 : c.codeSize === 4 ? 32 : 16,
      pc: c.long ? toCanonical64(c.codeLinear()) : BigInt(c.codeLinear()),
      cpl: c.cpl,
      halted: c.halted || this.smp.waitSipi[c.apicId],
      instructionCount: this.clock.instructions,
    };
  }

  setRegister(name: RegisterName, value: bigint): void {
    this.setRegisterValue(name, value);
    this.history.edited();
  }

  private setRegisterValue(name: RegisterName, value: bigint): void {
    const c = this.cpu;
    const lo = Number(value & 0xffffffffn) | 0;
    const hi = Number((value >> 32n) & 0xffffffffn) | 0;
    const gprs = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
    const gi = gprs.indexOf(name);
    if (gi >= 0) { c.setReg64(gi, lo, hi); return; }
    switch (name) {
      case 'rip': {
        const la = c.lma ? fromCanonical64(value) : Number(value & 0xffffffffn);
        if (la === undefined) throw new Error(`0x${value.toString(16)} is not a canonical address`);
        c.rip = la;
        return;
      }
      case 'rflags': getFlags(c); c.flags = (lo & 0x3f7fd5) | Flag.FIXED1; return;
      case 'cr2': c.cr2 = fromCanonical64(value) ?? 0; return;
      case 'cr3': c.cr3 = Number(value & 0xfffffffffffffn); c.flushTlb(); return;
      case 'cr8': c.cr8 = lo & 0xf; this.devices.lapics[c.apicId].writeCr8(c.cr8); return;
      default: throw new Error(`register ${name} cannot be set from the debugger`);
    }
  }

  /** Translate a guest-virtual address without side effects (no A/D bits, no TLB); undefined if unmapped. */
  translateLinear(addr: bigint): number | undefined {
    const c = this.cpu;
    let linear = addr;
    if (!c.lma) linear = addr & 0xffffffffn;
    // A debugger stop reads many addresses in few pages (stack unwinding, memory views): remember each page's
    // translation until the machine moves on, the paging registers change, or the debugger writes memory.
    const key = `${this.clock.instructions}:${c.cr0}:${c.cr3}:${c.cr4}:${c.efer}`;
    if (key !== this.translationKey) {
      this.translationKey = key;
      this.translations.clear();
    }
    const page = linear >> 12n;
    let base = this.translations.get(page);
    if (base === undefined && !this.translations.has(page)) {
      const readPhys = (a: bigint, len: number): Uint8Array | undefined => {
        const n = Number(a);
        return n + len <= this.mem.size ? this.mem.slice(n, len) : undefined;
      };
      const w = walkPage(readPhys, { cr0: BigInt(c.cr0 >>> 0), cr3: BigInt(c.cr3), cr4: BigInt(c.cr4 >>> 0), efer: BigInt(c.efer >>> 0) } as never, page << 12n);
      base = w.mapped && w.physical !== undefined ? Number(BigInt(w.physical)) : undefined;
      this.translations.set(page, base);
    }
    return base === undefined ? undefined : base + Number(linear & 0xfffn);
  }

  private translations = new Map<bigint, number | undefined>();
  private translationKey = '';

  readLinear(addr: bigint, len: number): LinearRead {
    const data = new Uint8Array(len);
    let readable = 0;
    let a = addr;
    while (readable < len) {
      const pa = this.translateLinear(a);
      if (pa === undefined || pa >= this.mem.size && !this.bus.findMmio(pa)) break;
      const chunk = Math.min(len - readable, 4096 - Number(a & 0xfffn));
      data.set(this.mem.slice(pa, chunk), readable);
      readable += chunk;
      a = BigInt.asUintN(64, a + BigInt(chunk));
    }
    return { data, readable };
  }

  writeLinear(addr: bigint, data: Uint8Array): number {
    this.translationKey = '';
    let done = 0;
    let a = addr;
    while (done < data.length) {
      const pa = this.translateLinear(a);
      if (pa === undefined) break;
      const chunk = Math.min(data.length - done, 4096 - Number(a & 0xfffn));
      for (let k = 0; k < chunk; k++) this.mem.write8(pa + k, data[done + k]);
      done += chunk;
      a = BigInt.asUintN(64, a + BigInt(chunk));
    }
    if (done) this.history.edited();
    return done;
  }

  readPhysical(addr: bigint, len: number): Uint8Array {
    return this.mem.slice(Number(addr), len);
  }

  writePhysical(addr: bigint, data: Uint8Array): void {
    this.translationKey = '';
    for (let k = 0; k < data.length; k++) this.mem.write8(Number(addr) + k, data[k]);
    this.history.edited();
  }

  // ------------------------------------------------------------------------- reverse debugging
  /** Start recording history (snapshots every `snapshotInterval` instructions, ring of `limitMB`). */
  enableHistory(opts: HistoryOptions = {}): void {
    if (this.cpus.length > 1) throw new Error(`reverse debugging needs a machine with one CPU: this one has ${this.cpus.length} (smp); start it with smp 1 to record history`);
    this.history.enable(opts);
  }

  /** Travel to an instruction count (and optionally an exception event there) within the recorded history. */
  goto(instructions: number, seq = 0): StopInfo {
    return this.history.goto({ instructions, seq });
  }

  stepBack(): ReverseStop {
    return this.history.stepBack();
  }

  reverseContinue(stopOnException?: (ev: ExceptionEvent) => boolean): ReverseStop {
    return this.history.reverseContinue(stopOnException);
  }

  /** The last write into a linear range before now (the machine stays where it is). */
  lastWriteTo(address: bigint, length: number): { position: TimelinePosition; rip: bigint } | undefined {
    return this.history.lastWriteTo(address, length);
  }

  get position(): TimelinePosition {
    return this.history.now();
  }

  /** Bytes arriving on COM1 (or COM2) / keys pressed now (logged for replay when history or a recording is on). */
  sendSerial(bytes: number[], port: 1 | 2 = 1): void {
    if (port === 2 && !this.devices.uart2) throw new Error('this machine has no COM2 (start it with com2)');
    this.history.input(port === 2 ? 'serial2' : 'serial', bytes);
  }

  sendKeys(bytes: number[]): void {
    this.history.input('keyboard', bytes);
  }

  /**
   * A guest halted with interrupts on and nothing timed to wake it (a shell waiting for a key): let virtual
   * time pass to instruction count `count`, as it passes on a real machine while the CPU sleeps. No-op otherwise.
   * Timers due by then fire. Returns true if time moved.
   */
  idleUntil(count: number): boolean {
    const c = this.cpu;
    if (this.cpus.length > 1) {
      // Every CPU halted or waiting for a SIPI, one of them with interrupts on.
      const waiting = this.smp.waitSipi;
      if (!this.cpus.every((x, i) => x.halted || waiting[i]) || !this.cpus.some((x, i) => !waiting[i] && (x.flags & Flag.IF) !== 0)) return false;
      if (count <= this.clock.instructions) return false;
    } else if (!c.halted || !(c.flags & Flag.IF) || count <= this.clock.instructions) return false;
    this.clock.instructions = Math.min(count, this.clock.nextDeadline);
    this.clock.fire();
    return true;
  }

  /** Bytes from the PS/2 mouse as they were sent (replays of recorded mouse input). */
  sendAux(bytes: number[]): void {
    this.history.input('mouse', bytes);
  }

  sendKey(code: string, down: boolean): void {
    const bytes = this.devices.ps2.keyBytes(code, down);
    if (bytes.length) this.sendKeys(bytes);
  }

  sendMouse(dx: number, dy: number, dz: number, buttons: number): void {
    const bytes = this.devices.ps2.mousePacket(dx, dy, dz, buttons);
    if (bytes.length) this.history.input('mouse', bytes);
  }

  inputStatus(): InputStatus {
    return guestInputStatus(this.devices);
  }

  frame(): DisplayFrame | undefined {
    return renderFrame(this.devices.vga, this.mem, this.textFont());
  }

  /** From the board's VGA BIOS when it has one, else the installed seabios package's (vga-font.ts). */
  private textFont(): Uint8Array | undefined {
    if (this.font === undefined) this.font = (this.boardOptions.vgaBios && fontFromVgaBios(this.boardOptions.vgaBios)) || loadVgaFont() || null;
    return this.font ?? undefined;
  }

  frameSignature(): number {
    return frameSignature(this.devices.vga, this.mem);
  }

  /** Hash of all CPU state and RAM (tests, recordings). */
  stateHash(): string {
    return stateHash(this.cpus.length > 1 ? this.cpus : this.cpus[0], this.mem);
  }

  private historyHost() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const m = this;
    return {
      cpu: m.cpu, mem: m.mem, clock: m.clock, deviceList: m.devices.all,
      get eventSeq() { return m.seq; },
      get shouldStopOnException() { return m.shouldStopOnException; },
      saveRunState: () => ({
        pending: m.pending && { ...m.pending }, chain: m.chain.slice(), seq: m.seq, exitCode: m.exitCode, poweredOff: m.poweredOff, shutdown: m.shutdown,
        resetRequested: m.resetRequested, sleeping: m.sleeping, wakeRequested: m.wakeRequested,
      }),
      loadRunState: (x: unknown) => {
        const r = x as { pending: Pending | null; chain: ExceptionEvent[]; seq: number; exitCode: number | undefined; poweredOff?: boolean; shutdown: boolean; resetRequested: boolean; sleeping?: boolean; wakeRequested?: boolean };
        m.pending = r.pending && { ...r.pending };
        m.chain = r.chain.slice();
        m.seq = r.seq;
        m.exitCode = r.exitCode;
        m.poweredOff = r.poweredOff === true;
        m.shutdown = r.shutdown;
        m.resetRequested = r.resetRequested;
        m.sleeping = r.sleeping === true;
        m.wakeRequested = r.wakeRequested === true;
        m.resumeAt = -1;
        m.pauseRequested = false;
      },
      setReplay: (r: ReplayControl | null) => { m.replay = r; },
      run: (n: number) => m.run(n),
      applyInput: (ev: InputEvent) => {
        if (ev.kind === 'serial') m.devices.uart.receive(ev.bytes);
        else if (ev.kind === 'serial2') m.devices.uart2?.receive(ev.bytes);
        else if (ev.kind === 'mouse') m.devices.ps2.auxInput(ev.bytes);
        else m.devices.ps2.pressKey(ev.bytes);
      },
    };
  }

  /** VGA text screen as plain text (25 lines). */
  screenText(): string {
    return this.devices.vga.text();
  }
}

function regBig(c: Cpu, i: number): bigint {
  return (BigInt(c.r[2 * i + 1] >>> 0) << 32n) | BigInt(c.r[2 * i] >>> 0);
}

/** Power-on register state (SDM §9.1.1): the CPU's own reset (cpu/reset.ts), before a boot loader's entry state. */
function resetCpuState(c: Cpu): void {
  resetCpu(c);
}

export { canonicalSigned, MAX_SMP, SEG_NAMES, TWO32, TWO48 };
