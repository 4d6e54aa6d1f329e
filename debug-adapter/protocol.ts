/**
 * The Faultline debug adapter's protocol surface beyond standard DAP: the launch arguments and the custom
 * requests the extension's side panels use. Every result carries decoded fields with the raw hex next to them
 * (the shapes come from emulator/inspect/types.ts). 64-bit values are hex strings ("0x...").
 *
 * A client sends e.g. `session.customRequest('faultline/pageWalk', { address: '0xdeadbeaf' })` and gets a
 * `PageWalkResponseBody` back. Every custom request fails with a sentence when no machine is launched.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { IvtEntry } from '../emulator/inspect/ivt';
import type {
  DescriptorInfo, GateInfo, PageTableEntryInfo, PageWalkResult, Tss32Info, TssInfo,
} from '../emulator/inspect/types';

// ---------------------------------------------------------------------------------------------------------
// launch
// ---------------------------------------------------------------------------------------------------------

/** The `launch` request's arguments (launch.json attributes of the `faultline` debugger type). */
export interface FaultlineLaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** Path of the kernel ELF (multiboot1 or multiboot2), absolute or relative to `cwd`; omit it to boot `disks`/`cdrom`/`fda` through the firmware. */
  kernel?: string;
  /** CD image (ISO with El Torito) in the IDE CD-ROM drive, as qemu -cdrom. */
  cdrom?: string;
  /** Raw disk images on the primary IDE channel: [hda] or [hda, hdb], as qemu -hda/-hdb. */
  disks?: string[];
  /** A floppy image in drive A: of the ISA floppy controller, as qemu -fda. */
  fda?: string;
  /** 'seabios' (default without a kernel): the BIOS boots the disks/CD/floppy; 'none' (default with a kernel): direct load. */
  firmware?: 'seabios' | 'none';
  /**
   * System BIOS image instead of SeaBIOS, as qemu -bios (a multiple of 64 KiB; its last 16 bytes hold the reset
   * vector): firmware of your own, U-Boot, coreboot. Alone (no kernel, disks, CD or floppy) it runs with nothing
   * to boot, and stopOnEntry stops at the reset vector.
   */
  bios?: string;
  /** Boot order as qemu -boot: 'a' floppy, 'c' hard disk, 'd' CD-ROM (default 'cad'). */
  boot?: string;
  /** false: guest writes go to the image files; true (default): to memory only, as qemu -snapshot. */
  snapshot?: boolean;
  /**
   * Optional separate ELF with symbols and DWARF, or a System.map (defaults to the kernel itself; a Linux
   * bzImage's symbols come from its kallsyms once it has decompressed itself).
   */
  symbols?: string;
  /** Guest RAM in MiB (default 128). */
  memoryMB?: number;
  /** Kernel command line passed through multiboot, or to a Linux bzImage. */
  cmdline?: string;
  /** Linux bzImage: the command line (QEMU's -append; the same as cmdline). */
  append?: string;
  /**
   * As QEMU's -initrd: the initial RAM disk of a Linux bzImage or PVH kernel (vmlinux); for a multiboot kernel, its modules, "FILE[ ARGS]"
   * separated by commas (",," is a comma in a name; the entry is the module's string). Paths relative to `cwd`.
   */
  initrd?: string;
  /** Stop at the kernel's entry point before executing anything (default false). */
  stopOnEntry?: boolean;
  /** 'stop' (default): a triple fault stops the session; 'reset': the machine reboots like real hardware. */
  onTripleFault?: 'stop' | 'reset';
  /** Directory relative paths are resolved against (default: the adapter's working directory). */
  cwd?: string;
  /** Log DAP traffic to the debug console. */
  trace?: boolean;
  /** Reverse-debugging history (snapshot ring) budget in MiB; 0 turns reverse debugging off (default 512). */
  historyMB?: number;
  /** Open COM1 as a VS Code terminal with the session (default true); the Debug Console keeps the plain log. */
  serialTerminal?: boolean;
  /** A second UART, COM2 at 0x2F8 on IRQ 3 (default false); its terminal opens on its first output. */
  com2?: boolean;
  /** The network card: "e1000" (default, QEMU's pc: 00:03.0 on the user-mode network) or "none" (qemu -nic none). */
  nic?: 'e1000' | 'none';
  /** CPUs, as QEMU's -smp (1-16, default 1); each is a thread ("CPU 0", "CPU 1"…). Reverse debugging needs 1. */
  smp?: number;
  /**
   * What the RTC reads at power-on, as QEMU's -rtc base=: "utc" (the host's time now), "localtime", or a date
   * "YYYY-MM-DD" / "YYYY-MM-DDTHH:MM:SS". Default 2026-01-01T00:00:00, so every run repeats.
   */
  rtc?: string;
  /** Also serve the GDB remote protocol on 127.0.0.1:gdbPort for this machine (0 picks a free port). */
  gdbPort?: number;
  /**
   * Busy-waits on the TSC or the ACPI PM timer pass in a few iterations (default true: an RDTSC or PM-timer IN
   * the guest spins on waits as a slow instruction); false runs every iteration, one instruction per ns waited.
   */
  fastWaits?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// custom requests: names
// ---------------------------------------------------------------------------------------------------------

export const CustomRequest = {
  gdt: 'faultline/gdt',
  idt: 'faultline/idt',
  tss: 'faultline/tss',
  pageWalk: 'faultline/pageWalk',
  pageTable: 'faultline/pageTable',
  faultChain: 'faultline/faultChain',
  screen: 'faultline/screen',
  /** Travel to `{ count, seq? }`: a retired-instruction count (and event count there, as a Fault Chain link's seq + 1). */
  gotoInstruction: 'faultline/gotoInstruction',
  /** Travel back to the last write into `{ address, length }`; body `{ found, instructionCount?, rip?, message? }`. */
  lastWrite: 'faultline/lastWrite',
  /** `{ instructionCount, hash }`: a fingerprint of all CPU state and RAM, to compare two moments or two runs. */
  stateHash: 'faultline/stateHash',
  /** `{ text }` or `{ data: base64 }`: bytes for COM1 (queued while stopped); body `{ queued, bytes }`. */
  serialInput: 'faultline/serialInput',
  /** `{ code, down }`: a key press/release by KeyboardEvent.code (queued while stopped). */
  keyboard: 'faultline/keyboard',
  /** `{ dx, dy, dz?, buttons }`: PS/2 mouse movement (dy up) and buttons (queued while stopped). */
  mouse: 'faultline/mouse',
  /** `{ known? }`: the display as a PNG; `{ unchanged: true }` when `known` is the current signature. */
  frame: 'faultline/frame',
  /** `InputStatus`: whether keys reach the guest (IRQ1) and whether it enabled the mouse. */
  inputStatus: 'faultline/inputStatus',
} as const;
export type CustomRequestName = (typeof CustomRequest)[keyof typeof CustomRequest];

/** Custom events the adapter sends (besides standard `invalidated`). */
export const CustomEvent = {
  /** The VGA text buffer changed (throttled while running); body: `ScreenChangedEventBody`. */
  screenChanged: 'faultline/screenChanged',
  /** COM1 output as raw bytes `{ port: 1, data: base64 }` (the serial terminal), after every run slice and stop. */
  serialOutput: 'faultline/serialOutput',
} as const;

// ---------------------------------------------------------------------------------------------------------
// custom requests: arguments and response bodies
// ---------------------------------------------------------------------------------------------------------

/** faultline/gdt: no arguments. The table GDTR points at, decoded entry by entry. */
export interface GdtResponseBody {
  /** GDTR.base, hex. */
  base: string;
  /** GDTR.limit (bytes - 1). */
  limit: number;
  entries: DescriptorInfo[];
  /** Selectors currently loaded, so the tree can mark the rows (selector values, RPL included). */
  loaded: { cs: number; ds: number; es: number; fs: number; gs: number; ss: number; tr: number; ldtr: number };
  /** Set when the table could not be read (e.g. base unmapped); entries is then empty. */
  error?: string;
}

/** faultline/idt: no arguments. All gates within IDTR.limit (up to 256). */
export interface IdtResponseBody {
  base: string;
  limit: number;
  /**
   * Real-address mode (CR0.PE = 0): the CPU delivers through the interrupt vector table at IDTR.base, so the
   * IVT's entries come here (with the handler's symbol) and `gates` is empty.
   */
  ivt?: (IvtEntry & { symbol?: string })[];
  gates: (GateInfo & {
    /** Symbol of the handler offset, "isr_page_fault" or "isr_page_fault+0x4", when known. */
    symbol?: string;
    /** Source location of the handler entry, when DWARF lines exist. */
    source?: { path: string; line: number };
  })[];
  error?: string;
}

/** faultline/tss: no arguments. The TSS that TR designates. */
export interface TssResponseBody {
  /** The decoded 64-bit TSS (long mode); undefined when TR is not loaded (selector 0) or its base is unreadable. */
  tss?: TssInfo;
  /** The decoded 32-bit TSS (protected mode), with the state the last task switch away from it saved. */
  tss32?: Tss32Info;
  /** 32-bit TSS: the symbol at its saved EIP. */
  eipSymbol?: string;
  /** 32-bit TSS with a back link (a nested task: CALL or a task gate): where the previous task stopped. */
  link?: { selector: number; eip?: string; esp?: string; eipSymbol?: string; busy?: boolean; error?: string };
  /** TR selector. */
  selector: number;
  /** For each of RSP0..2 and IST1..7 (ESP0..2 for a 32-bit TSS): whether the pointer's page (the byte below it) is mapped and writable. */
  pointers: { name: string; value: string; mapped: boolean; writable: boolean; symbol?: string }[];
  error?: string;
}

/** faultline/pageWalk arguments. */
export interface PageWalkArguments {
  /** Linear address: hex string "0xdeadbeaf", decimal string, number, or a symbol name. */
  address: string | number;
  /** CR3 to walk with (hex); default the current CR3. */
  cr3?: string;
}
export type PageWalkResponseBody = PageWalkResult;

/** faultline/pageTable arguments: one table level at a time, for a lazy tree. */
export interface PageTableArguments {
  /** Physical address of the table (hex). Omit for the root (CR3's table). */
  physAddr?: string;
  /** 'PML4' | 'PDPT' | 'PD' | 'PT'. Omit for the root. */
  level?: string;
  /** Linear address the table's first entry maps (hex), so `covers` is right; default 0 / from the root. */
  baseVirtual?: string;
  /** Include non-present entries (default false: only present ones, to keep the tree small). */
  includeNotPresent?: boolean;
}
export interface PageTableResponseBody {
  physAddr: string;
  level: string;
  mode: PageWalkResult['mode'];
  entries: PageTableEntryInfo[];
  error?: string;
}

/** One link of the fault chain, as the Fault Chain view shows it. */
export interface FaultChainLink {
  seq: number;
  instructionCount: number;
  phase: 'raised' | 'delivered' | 'escalated' | 'tripleFault';
  vector: number;
  /** '#PF', '#DF', 'IRQ 0' … */
  name: string;
  errorCode?: number;
  /** Error code decoded: "write, not-present, supervisor" (#PF) or "selector 0x40 (IDT)" (selector codes). */
  errorCodeText?: string;
  cr2: string;
  rip: string;
  /** Symbol of rip ("stack_overflow+0x4"). */
  symbol?: string;
  source?: { path: string; line: number };
  rsp: string;
  cs: number;
  ss: number;
  /** The emulator's reason at the failing check ("IDT gate 14 is not present"). */
  reason: string;
  duringDeliveryOf?: number;
}
/** faultline/faultChain: no arguments. */
export interface FaultChainResponseBody {
  links: FaultChainLink[];
  /** Plain-English diagnosis of the whole chain (emulator/diagnose.ts); empty when there is nothing to say. */
  diagnosis: string[];
  /** One-line summary: "#PF → #PF → #DF → triple fault". */
  summary: string;
}

/** faultline/screen: no arguments. The VGA text buffer. */
export interface ScreenResponseBody {
  mode: 'text' | 'graphics' | 'off';
  columns: number;
  rows: number;
  /** One string per row (CP437 mapped to Unicode). */
  lines: string[];
  /** Attribute byte per cell, row-major, hex-encoded ("07" per cell: 2 chars * columns * rows). */
  attributes: string;
  cursor?: { row: number; column: number; visible: boolean };
}

export interface ScreenChangedEventBody {
  /** Instruction count at which the change was noticed. */
  instructionCount: number;
}

/** faultline/stateHash: no arguments. */
export interface StateHashResponseBody {
  instructionCount: number;
  /** 16 hex digits over every CPU register (lazy flags resolved the same way) and all of guest RAM. */
  hash: string;
}

/** Map from custom request name to its argument and body types (for typed clients). */
export interface CustomRequests {
  'faultline/gdt': { args: Record<string, never>; body: GdtResponseBody };
  'faultline/idt': { args: Record<string, never>; body: IdtResponseBody };
  'faultline/tss': { args: Record<string, never>; body: TssResponseBody };
  'faultline/pageWalk': { args: PageWalkArguments; body: PageWalkResponseBody };
  'faultline/pageTable': { args: PageTableArguments; body: PageTableResponseBody };
  'faultline/faultChain': { args: Record<string, never>; body: FaultChainResponseBody };
  'faultline/screen': { args: Record<string, never>; body: ScreenResponseBody };
  'faultline/stateHash': { args: Record<string, never>; body: StateHashResponseBody };
}

/** memoryReference prefix for guest-physical addresses ("phys:0x1000"); plain hex is linear. */
export const PHYS_PREFIX = 'phys:';
