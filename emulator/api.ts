import type { PcBoardOptions } from './board/pc';
/**
 * The emulator's runtime API: everything the CLI, the debug adapter, the conformance runner and reverse
 * debugging use. Nothing here knows about DAP or VS Code. 64-bit guest values are `bigint` on this
 * (inspection) side; the hot loop never allocates them.
 */

export type ExceptionPhase =
  /** The CPU detected the exception; nothing has been pushed yet (state is what the CPU saw). */
  | 'raised'
  /** Delivery succeeded: the frame is pushed and RIP is the handler's first instruction. */
  | 'delivered'
  /** A fault during delivery combined with the one being delivered into #DF (SDM §6.15 Table 6-5). */
  | 'escalated'
  /** A fault while delivering #DF: the CPU shuts down. */
  | 'tripleFault';

export interface ExceptionEvent {
  /** Increases by one for every exception event since power-on. */
  seq: number;
  /** Retired-instruction count when it happened (virtual time; the handle for reverse debugging). */
  instructionCount: number;
  phase: ExceptionPhase;
  vector: number;
  /** Mnemonic as in the SDM: '#PF', '#DF', 'INT 0x80', 'IRQ 0' (vector 0x20) … */
  name: string;
  /** Error code pushed (or to be pushed); undefined for vectors without one. */
  errorCode?: number;
  /** CR2 (for #PF: the faulting linear address). */
  cr2: bigint;
  /** For 'raised': the faulting/trapping instruction; for 'delivered': the handler entry. */
  rip: bigint;
  cs: number;
  rsp: bigint;
  ss: number;
  /** Hardware interrupt (IRQ) rather than an exception or INT n. */
  external: boolean;
  /** INT n / INT3 / INTO (software-generated). */
  software: boolean;
  /** Vector whose delivery was in progress when this one was raised (a fault during delivery). */
  duringDeliveryOf?: number;
  /** Plain-English reason, derived at the check that failed: "IDT gate 14 is not present". */
  reason: string;
  /** For 'escalated': the two exceptions that combined. */
  escalatedFrom?: { first: number; second: number };
  /** For #PF: what access faulted. */
  access?: { address: bigint; write: boolean; user: boolean; fetch: boolean; cause: string };
  /**
   * For 'delivered': where the CPU was when the event interrupted it (the RIP the handler returns to, and RSP
   * before the frame was pushed), and whether delivery went through a task gate (state saved in the old TSS).
   */
  interrupted?: { rip: bigint; rsp: bigint; taskSwitch: boolean };
  /**
   * True when the CPU was in real-address mode (CR0.PE = 0): delivery goes through the IVT (4-byte IP:CS
   * vectors at IDTR.base), pushes FLAGS/CS/IP as words and never an error code; `rip` is then the IP offset
   * in the code segment `cs` (linear address cs × 16 + rip).
   */
  realMode?: boolean;
}

export type StopReason =
  | 'budget' //        the instruction budget of this run() call is used up
  | 'step' //          step() finished
  | 'breakpoint' //    RIP reached an instruction breakpoint (before executing it)
  | 'watchpoint' //    an access touched a watched linear range (stops after the accessing instruction)
  | 'exception' //     shouldStopOnException returned true (state is before delivery)
  | 'halt' //          HLT with interrupts disabled or nothing left that could wake it
  | 'shutdown' //      triple fault with onTripleFault = 'stop'
  | 'exit' //          the guest wrote to isa-debug-exit, or turned the machine off (ACPI S5: powerOff)
  | 'pause'; //        pause() was called

/** Which accesses a watchpoint catches (DAP's DataBreakpointAccessType). */
export type WatchAccess = 'write' | 'read' | 'readWrite';

export interface WatchSpec { start: bigint; length: number; access?: WatchAccess }

export interface StopInfo {
  reason: StopReason;
  /** The exception event that caused an 'exception' or 'shutdown' stop. */
  event?: ExceptionEvent;
  /** QEMU-style process exit status for 'exit': (value << 1) | 1; 0 for a power-off. */
  exitCode?: number;
  /** 'exit' by ACPI soft-off (SLP_TYP S5 + SLP_EN in the PIIX4 PM1a_CNT), as Linux's poweroff does. */
  powerOff?: boolean;
  /** 'exit' because the guest asked for a reset and MachineOptions.onResetRequest is 'stop' (status 0, as qemu -no-reboot). */
  resetRequest?: boolean;
  /**
   * The watched access for 'watchpoint': the first watched byte it touched, its size, the instruction, the
   * kind of watchpoint that caught it and whether it was a write.
   */
  watch?: { address: bigint; size: number; rip: bigint; access: WatchAccess; write: boolean };
}

export interface MachineOptions {
  /** Guest RAM in MiB (default 128). */
  memoryMB?: number;
  /** What a triple fault does: 'stop' (like qemu -no-reboot) or 'reset' (QEMU's default boot loop). */
  onTripleFault?: 'stop' | 'reset';
  /**
   * What a reset the guest asks for (the 8042's reset pulse, port 0xCF9, the ACPI reset register) does: 'reset'
   * (the default: the machine restarts, as QEMU's does) or 'stop': the run ends with reason 'exit', status 0 and
   * `resetRequest`, as `qemu -no-reboot` exits instead of rebooting.
   */
  onResetRequest?: 'stop' | 'reset';
  /** CPU model name for CPUID (see emulator/cpu/cpuid.ts; default 'faultline'). */
  cpu?: string;
  /** The PC board's firmware, disks and boot order (emulator/board/pc.ts); default: no firmware, no disks. */
  board?: PcBoardOptions;
  /** A second 16550 UART, COM2 at 0x2F8 on IRQ 3 (QEMU's second `-serial`); without it COM2's ports read 0xFF. */
  com2?: boolean;
  /**
   * CPUs (1-16, default 1), as QEMU's `-smp N`: APIC IDs 0..N-1, CPU 0 the BSP, the APs waiting for INIT-SIPI;
   * firmware tables (fw_cfg, MP, ACPI MADT) list N. Run round-robin (machine.ts); reverse debugging needs 1.
   */
  smp?: number;
  /**
   * What the RTC reads at power-on, in whole seconds since the Unix epoch (QEMU's `-rtc base=`; parseRtcBase in
   * devices/cmos.ts reads its values). Default 2026-01-01 00:00:00, so runs and recordings repeat.
   */
  rtcStart?: number;
  /**
   * Whether an RDTSC (or IN from the ACPI PM timer) the guest spins on waits as a slow instruction, so busy-waits
   * (udelay, a bootloader's sleep or countdown) pass in a few instructions instead of one per nanosecond
   * (emulator/cpu/spin-wait.ts). Default true; false runs every iteration of such a wait.
   */
  fastWaits?: boolean;
}

export interface BootOptions {
  cmdline?: string;
  /**
   * The kernel's path as the user gave it (QEMU's -kernel argument): a multiboot1 kernel's command line is
   * "<fileName> <cmdline>", as QEMU passes it (and GRUB, with its own path); error sentences name it too.
   */
  fileName?: string;
  modules?: { name: string; data: Uint8Array; cmdline?: string }[];
  /** Linux bzImage only: the initial RAM disk (qemu -initrd). */
  initrd?: Uint8Array;
}

/** Register names accepted by getRegister/setRegister. */
export type RegisterName =
  | 'rax' | 'rbx' | 'rcx' | 'rdx' | 'rsi' | 'rdi' | 'rbp' | 'rsp'
  | 'r8' | 'r9' | 'r10' | 'r11' | 'r12' | 'r13' | 'r14' | 'r15'
  | 'rip' | 'rflags' | 'cr0' | 'cr2' | 'cr3' | 'cr4' | 'cr8' | 'efer'
  | 'dr0' | 'dr1' | 'dr2' | 'dr3' | 'dr6' | 'dr7'
  | 'fs_base' | 'gs_base' | 'kernel_gs_base';

export interface SegmentState {
  selector: number;
  base: bigint;
  limit: number;
  /** Descriptor attribute bits 8..15 and 20..23 of the high dword, as in a descriptor (type, S, DPL, P, AVL, L, D/B, G). */
  attributes: number;
}

export interface CpuStateView {
  regs: Record<RegisterName, bigint>;
  cs: SegmentState; ds: SegmentState; es: SegmentState; fs: SegmentState; gs: SegmentState; ss: SegmentState;
  tr: SegmentState; ldtr: SegmentState;
  gdtr: { base: bigint; limit: number };
  idtr: { base: bigint; limit: number };
  /** 'real' | 'protected' | 'compatibility' | 'long' */
  mode: string;
  /** Width of the code at RIP: 64 (64-bit mode), 32 or 16 (the CS cache's D bit, in real mode too). */
  codeBits: 16 | 32 | 64;
  /**
   * Linear address of the next instruction: CS.base + RIP outside 64-bit mode (real mode: CS × 16 + IP), RIP
   * in 64-bit mode. Breakpoints, disassembly and symbols work on it; `regs.rip` stays the offset in CS.
   */
  pc: bigint;
  cpl: number;
  halted: boolean;
  instructionCount: number;
}

/** Result of reading guest-virtual memory: bytes up to the first unmapped one. */
export interface LinearRead {
  data: Uint8Array;
  /** Number of leading bytes that are readable; data[readable..] are absent. */
  readable: number;
}

/**
 * The machine as its consumers drive it (implemented by `Machine` in machine.ts). Synchronous: run() executes
 * up to a budget and returns why it stopped; an async host (the debug adapter) calls it in slices.
 */
export interface Runtime {
  /** Load and boot an ELF with a multiboot1/2 header. Throws BootError with a user-facing sentence. */
  boot(kernel: Uint8Array, opts?: BootOptions): void;
  /** Power on with the board's firmware (MachineOptions.board.bios), which boots the disks or CD (if any). */
  bootFirmware?(): void;
  /**
   * Booted through firmware: the linear address where what it boots starts (the kernel's entry point for a
   * kernel, 0x7C00 for a boot sector), the debugger's "entry" stop; undefined for a direct load, which starts there,
   * and for firmware with nothing to boot (qemu -bios FILE alone), whose entry is the reset vector.
   */
  entryPoint?(): bigint | undefined;
  /** Run at most `maxInstructions` guest instructions. */
  run(maxInstructions: number): StopInfo;
  /** Execute one instruction; at an 'exception' stop, perform the delivery instead (stop at the handler). */
  step(): StopInfo;
  /** Request a stop from another async context (takes effect at the next instruction boundary). */
  pause(): void;
  /** Power-cycle: reset CPU and devices and boot the same kernel again. */
  reset(): void;

  addBreakpoint(rip: bigint): void;
  removeBreakpoint(rip: bigint): void;
  clearBreakpoints(): void;
  /**
   * Stop after any instruction that accesses [start, start+length) (linear addresses) as `access` says:
   * 'write' (the default), 'read' or 'readWrite' (DAP's data breakpoint access types; gdb's Z2, Z3, Z4).
   */
  setWatchpoints(ranges: WatchSpec[]): void;
  /** Decide per 'raised' exception whether to stop before delivery. */
  shouldStopOnException: ((ev: ExceptionEvent) => boolean) | null;

  on(event: 'exception', cb: (ev: ExceptionEvent) => void): void;
  on(event: 'serial', cb: (byte: number) => void): void;
  /** COM2's transmitted bytes (MachineOptions.com2). */
  on(event: 'serial2', cb: (byte: number) => void): void;
  on(event: 'debugcon', cb: (byte: number) => void): void;
  on(event: 'reset', cb: () => void): void;
  on(event: 'screen', cb: () => void): void;

  // ---- talking to the guest (issue 17); every input is logged for reverse debugging and replays
  /** Bytes arriving on COM1's line (its receive FIFO and interrupt), or COM2's with port 2. */
  sendSerial(bytes: number[], port?: 1 | 2): void;
  /** A key press or release (KeyboardEvent.code, e.g. "KeyA"), as the 8042 delivers it now. */
  sendKey(code: string, down: boolean): void;
  /** Mouse movement (dx right, dy up), wheel and buttons (bit 0 left, 1 right, 2 middle); dropped while the guest has not enabled the mouse. */
  sendMouse(dx: number, dy: number, dz: number, buttons: number): void;
  /** Whether typed keys reach the guest as IRQ1 and whether the guest has enabled the mouse. */
  inputStatus(): InputStatus;
  /** The display as RGBA pixels (vga-render.ts); undefined for text mode when no font is available. */
  frame(): DisplayFrame | undefined;
  /** Changes when the displayed image may have changed (cheap: call at frame rate). */
  frameSignature(): number;

  /** The chain of events of the most recent exception sequence (first raise .. delivered / triple fault). */
  faultChain(): ExceptionEvent[];
  state(): CpuStateView;
  setRegister(name: RegisterName, value: bigint): void;
  readLinear(addr: bigint, len: number): LinearRead;
  writeLinear(addr: bigint, data: Uint8Array): number;
  readPhysical(addr: bigint, len: number): Uint8Array;
  writePhysical(addr: bigint, data: Uint8Array): void;
  readonly instructionCount: number;
  /** A fingerprint of all CPU state and all of RAM (16 hex digits; not cryptographic): equal machines, equal hashes. */
  stateHash(): string;
  /** CPUs in the machine (MachineOptions.smp; absent: one). */
  readonly cpuCount?: number;
  /** The CPU that stopped (and that step() steps): the debugger's current thread, 0-based. */
  readonly currentCpu?: number;
  /** Point state(), setRegister() and linear memory access at CPU `i`; run() and step() go back to `currentCpu`. */
  selectCpu?(i: number): void;
}

// ------------------------------------------------------------------------------ reverse debugging (issue 7)

/**
 * A moment on the timeline: the retired-instruction count and how many exception events had been emitted
 * (raise, escalation and delivery of one fault all happen at the same count). seq 0 means the earliest
 * moment at that count.
 */
export interface TimelinePosition {
  instructions: number;
  seq: number;
}

export interface HistoryOptions {
  /** Memory budget of the snapshot ring in MiB (launch.json `historyMB`; default 512). */
  limitMB?: number;
  /** Instructions between snapshots. Default: ~20 ms of running at the guest's speed, at least 500 000 (history.ts). */
  snapshotInterval?: number;
}

export interface HistoryStats {
  enabled: boolean;
  snapshots: number;
  /** Bytes held by snapshots (RAM pages + a fixed estimate per snapshot for CPU and device state). */
  bytes: number;
  limitBytes: number;
  /** The oldest position one can travel back to. */
  oldest: TimelinePosition;
  /** The furthest position ever executed. */
  frontier: TimelinePosition;
  snapshotInterval: number;
}

/** A device input, logged with the instruction count at which it arrived (replayed at the same count). */
export interface InputEvent {
  instructions: number;
  /** serial/serial2: COM1/COM2 line bytes; keyboard: 8042 output bytes (scan codes as read from port 0x60); mouse: aux bytes. */
  kind: 'serial' | 'serial2' | 'keyboard' | 'mouse';
  bytes: number[];
}

/** Where a reverse operation stopped; `reachedStart` when it ran into the beginning of the recorded history. */
export interface ReverseStop extends StopInfo {
  position: TimelinePosition;
  reachedStart: boolean;
}

/** Keyboard and mouse readiness of the guest (the Guest Screen's hint). */
export interface InputStatus {
  /** Scanning on, keyboard interface enabled and its interrupt enabled in the 8042 command byte. */
  keyboardInterrupt: boolean;
  /** IRQ1 unmasked at the PIC (or routed by the I/O APIC). */
  irq1Unmasked: boolean;
  /** The guest enabled mouse data reporting. */
  mouseReporting: boolean;
}

/** One rendered frame (emulator/devices/vga-render.ts Frame). */
export interface DisplayFrame {
  width: number;
  height: number;
  rgba: Uint8Array;
  mode: 'vbe' | 'graphics' | 'text' | 'blank';
  unsupported?: string;
}
