import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BootError, loadKernelFile, takesInitrd } from './boot';
import { parseModuleList } from './boot/loader';
import type { PcBoardOptions } from './board/pc';
import { boardFor } from './firmware/boot-media';
import { defaultFirmwareFor } from './firmware/kernel-rom';
import { loadFirmware } from './firmware/seabios';
import { Machine } from './machine';
import type { ExceptionEvent } from './api';
import {
  compareWithRecording, makeRecording, MAX_RESETS, parseRecording, PlannedInput, Recording, runSession, SessionResult, sha256Hex,
} from './recording';
import { GdbServer } from './gdb/server';
import type { GdbArch } from './gdb/target';
import { textToKeys } from './devices/keymap';
import { parseRtcBase, RTC_START_SECONDS } from './devices/cmos';
import { runInteractive } from './interactive';
import { encodePng } from './png';
import { describeChain } from './report';
import { StdioSerial } from './serial-stdio';

const USAGE = `faultline — boot an x86_64 multiboot kernel in the Faultline emulator

Usage:
  faultline run KERNEL [options]   boot KERNEL (an ELF with a multiboot1/2 header, a Linux bzImage, or an ELF with
                                   a PVH entry such as Linux's vmlinux); serial goes to stdout
  faultline run --hda IMG | --cdrom ISO | --fda IMG [options]
                                   power on with SeaBIOS and boot the disk, CD or floppy, as qemu-system-x86_64 does
  faultline replay FILE [--kernel PATH]
                                   run a recording made with --record again and check that serial output,
                                   fault chain and final state are identical (exit 0) or say what differs (exit 1)
  faultline demo                   run the blog_os double-fault demos from fixtures/ and explain each
  faultline dap [--port N]         the debug adapter for DAP editors (Neovim, Emacs, Helix): DAP on stdio, or
                                   with --port on 127.0.0.1:N (0 picks a free port, printed on stderr)
  faultline --help

Options for run:
  --kernel ELF           the kernel (same as the KERNEL argument): a multiboot kernel boots through SeaBIOS and
                         Faultline's multiboot option ROM, as qemu -kernel; --firmware none loads it directly
  --hda IMG, --hdb IMG   raw disk images on the primary IDE channel (master, slave)
  --cdrom ISO            a CD image in the IDE CD-ROM drive (secondary master)
  --fda IMG              a floppy image in drive A: (ISA floppy controller, as qemu -fda): 1.44 MB, 2.88 MB,
                         720 KB, 1.2 MB, 360 KB... (the sizes of QEMU's floppy formats); any other size is a 2.88 MB
                         diskette whose sectors past the end of the file read as zeros, as under QEMU
  --boot ORDER           boot order as QEMU's -boot: a = floppy, c = hard disk, d = CD-ROM (default: c, a, d)
  --firmware NAME        seabios (the default: SeaBIOS runs from the reset vector and boots the kernel through
                         an option ROM, multiboot or Linux, or the disk/CD) or none (the kernel is loaded
                         directly, no BIOS runs; the default for a Linux bzImage with a 32-bit entry, for a PVH
                         kernel such as vmlinux and for a kernel asking for a graphics framebuffer)
  --nic MODEL            the network card: e1000 (the default, as QEMU's pc: 00:03.0 on QEMU's user-mode network,
                         10.0.2.0/24 with DHCP, the outside unreachable) or none (as qemu -nic none)
  --bios FILE            system BIOS image, as qemu -bios (default: SeaBIOS bios-256k.bin from the extension or
                         /usr/share/seabios); a multiple of 64 KiB, its last 16 bytes the reset vector. Your own
                         firmware (or U-Boot, coreboot) decides itself what to boot: no disk is needed or checked
  --no-snapshot          write the guest's disk writes to the image files (default: they go to memory only,
                         as qemu -snapshot)
  --firmware-log         print the firmware's debug log (SeaBIOS writes it to port 0x402) to stderr
  --no-reboot            stop on a triple fault or a reset the guest asks for, instead of resetting (like qemu -no-reboot)
  --no-fast-waits        run every iteration of a busy-wait on the TSC or the ACPI PM timer (udelay, a bootloader's
                         sleep or countdown): by default an RDTSC (or IN from the PM timer) the guest spins on
                         waits as a slow instruction, so such a wait passes in a few dozen iterations instead of
                         one instruction per nanosecond of it
  --max-instructions N   stop after N guest instructions, counted from the reset vector (SeaBIOS's POST is about
                         8 million) (default 2000000000)
  --trace                print every exception event as it happens (the -d int view, in words)
  --screen               print the VGA text screen at the end
  --memory MB            guest RAM in MiB (default 128)
  --cmdline STRING       the kernel command line (multiboot, or Linux); --append is the same (QEMU's name)
  --initrd FILE          as qemu -initrd: the initial RAM disk of a Linux bzImage or PVH kernel (vmlinux); for a
                         multiboot kernel, its modules:
                         FILE[ ARGS][,FILE[ ARGS]]... (",," is a comma in a name; the whole entry is the module's
                         string in the boot information)
  --cpu MODEL            CPU model for CPUID: faultline (default), max (+FSGSBASE) or qemu64
  --smp N                N CPUs (1-16, default 1), as QEMU's -smp N: APIC IDs 0..N-1, the APs wait for
                         INIT-SIPI; run round-robin in fixed quanta, so runs and recordings are reproducible
  --rtc base=WHEN        what the RTC (and so the guest's clock) reads at power-on, as QEMU's -rtc base=: utc (the
                         host's time now), localtime, or a date YYYY-MM-DD[THH:MM:SS]; default 2026-01-01
                         00:00:00, so every run and recording repeats (recordings keep the time they started at)
  --input N:TEXT         send TEXT to COM1 when the instruction count reaches N (\\n, \\r, \\t, \\\\, \\xHH escapes);
                         may be repeated
  --input N:com2:TEXT    send TEXT to COM2 (needs --com2)
  --input N:kbd:TEXT     type TEXT on the PS/2 keyboard at instruction N (US layout; key presses and releases
                         as the 8042 delivers them; \\n is Enter, \\t Tab, \\b Backspace, \\x1b Escape)
  --serial stdio         COM1 is this terminal: keys go to the guest (raw mode), output appears at once;
                         Ctrl-A X quits, Ctrl-A H helps, Ctrl-A Ctrl-A sends Ctrl-A. Runs until the guest ends
                         or you quit (no instruction limit unless --max-instructions is given)
  --com2 FILE            give the machine a second UART (COM2, 0x2F8, IRQ 3; QEMU's second -serial) and write
                         what the guest sends on it to FILE; --input N:com2:TEXT types into it
  --screenshot FILE.png  write the guest's screen (text, VGA graphics or VBE framebuffer) as a PNG at the end
  --record FILE          write a replayable recording (JSON: kernel path and SHA-256, options, inputs with
                         their instruction counts, final instruction count, serial output hash, fault chain,
                         final state hashes) for faultline replay
  --gdb PORT             serve the GDB remote protocol on 127.0.0.1:PORT (in gdb: target remote :PORT; 0 picks
                         a free port and prints it); the machine runs until gdb connects, stops for it, runs on
                         when gdb detaches; --max-instructions does not apply
  --gdb-wait             with --gdb: hold the machine at its first instruction until gdb continues it
                         (like qemu -s -S)
  --gdb-arch ARCH        with --gdb: the target description gdb gets: x86-64 (default for ELF64 kernels), i8086
                         (default for ELF32 kernels and disk/CD boots: i386 registers, 16-bit selectors; gdb
                         follows 'set architecture i8086' or 'i386' on it) or i386

Options for replay:
  --kernel PATH          the recorded kernel is now at PATH (its SHA-256 must still match)

Exit status follows QEMU: isa-debug-exit value v → (v << 1) | 1; triple fault or guest reset with --no-reboot → 0;
instruction limit reached or HLT with interrupts off → 0; bad arguments or kernel → 2.
replay: 0 when the replay is identical, 1 when it differs, 2 for a bad recording or kernel.`;

interface RunOptions {
  /** Direct-load kernel ('' when booting through firmware). */
  kernel: string;
  firmware?: 'seabios' | 'none';
  hda?: string;
  hdb?: string;
  cdrom?: string;
  /** --fda IMG */
  fda?: string;
  boot?: string;
  bios?: string;
  noSnapshot?: boolean;
  firmwareLog?: boolean;
  noReboot: boolean;
  maxInstructions: number;
  trace: boolean;
  screen: boolean;
  memoryMB: number;
  cmdline?: string;
  /**
   * The kernel's path as the kernel sees it at the start of a multiboot1 command line (QEMU's -kernel argument):
   * undefined, `kernel` as given; null, none (replaying a recording made before it was passed).
   */
  kernelName?: string | null;
  /** --initrd FILE (Linux bzImage, PVH kernel) or FILE[ ARGS],... (multiboot modules, as qemu -initrd) */
  initrd?: string;
  cpu: string;
  /** --smp N */
  smp?: number;
  /** --rtc base=…: what the RTC reads at power-on, resolved to seconds since the epoch when parsed. */
  rtcStart?: number;
  /** --input: serial input at instruction counts (sorted). */
  inputs?: PlannedInput[];
  /** --record FILE */
  record?: string;
  /** --serial stdio */
  serialStdio?: boolean;
  /** --com2 FILE */
  com2?: string;
  /** --screenshot FILE.png */
  screenshot?: string;
  /** --max-instructions was given */
  maxGiven?: boolean;
  /** --gdb PORT, --gdb-wait */
  gdbPort?: number;
  gdbWait?: boolean;
  /** --gdb-arch */
  gdbArch?: GdbArch;
  /** --nic e1000|none */
  nic?: 'e1000' | 'none';
  /** --no-fast-waits: false (MachineOptions.fastWaits) */
  fastWaits?: boolean;
}

function parseRun(args: string[]): RunOptions {
  const o: RunOptions = { kernel: '', noReboot: false, maxInstructions: 2_000_000_000, trace: false, screen: false, memoryMB: 128, cpu: 'faultline' };
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const value = (): string => {
      if (k + 1 >= args.length) throw new UsageError(`${a} needs a value`);
      return args[++k];
    };
    switch (a) {
      case '--no-reboot': o.noReboot = true; break;
      case '--no-fast-waits': o.fastWaits = false; break;
      case '--trace': o.trace = true; break;
      case '--screen': o.screen = true; break;
      case '--max-instructions': o.maxInstructions = positive(a, value()); o.maxGiven = true; break;
      case '--serial': {
        const v = value();
        if (v !== 'stdio') throw new UsageError(`--serial takes 'stdio' (COM1 on this terminal), not '${v}'`);
        o.serialStdio = true;
        break;
      }
      case '--screenshot': o.screenshot = value(); break;
      case '--com2': o.com2 = value(); break;
      case '--memory':
        o.memoryMB = positive(a, value());
        if (o.memoryMB < 2 || o.memoryMB > 4096) throw new UsageError(`--memory takes a size in MiB from 2 to 4096, not ${o.memoryMB}`);
        break;
      case '--cmdline': case '--append': o.cmdline = value(); break;
      case '--initrd': o.initrd = value(); break;
      case '--cpu': o.cpu = value(); break;
      case '--smp':
        o.smp = positive(a, value());
        if (o.smp > 16) throw new UsageError(`--smp takes a number of CPUs from 1 to 16, not ${o.smp}`);
        break;
      case '--rtc': {
        const v = value();
        try { o.rtcStart = parseRtcBase(v, Date.now(), new Date().getTimezoneOffset()); } catch (e) { throw new UsageError(`--rtc: ${(e as Error).message}`); }
        break;
      }
      case '--input': (o.inputs ??= []).push(parseInput(value())); break;
      case '--record': o.record = value(); break;
      case '--gdb': {
        const v = value();
        o.gdbPort = Number(v);
        if (!/^\d+$/.test(v) || o.gdbPort > 65535) throw new UsageError(`--gdb takes a TCP port from 0 to 65535 (0 picks a free one), not '${v}'`);
        break;
      }
      case '--gdb-wait': o.gdbWait = true; break;
      case '--gdb-arch': {
        const v = value();
        if (v !== 'x86-64' && v !== 'i386' && v !== 'i8086') throw new UsageError(`--gdb-arch takes x86-64, i386 or i8086, not '${v}'`);
        o.gdbArch = v;
        break;
      }
      case '--kernel':
        if (o.kernel) throw new UsageError(`more than one kernel given (${o.kernel}, ${args[k + 1] ?? ''})`);
        o.kernel = value();
        break;
      case '--hda': o.hda = value(); break;
      case '--hdb': o.hdb = value(); break;
      case '--cdrom': o.cdrom = value(); break;
      case '--fda': o.fda = value(); break;
      case '--boot': {
        const b = value().replace(/^order=/, '');
        if (!/^[acdn]+$/.test(b)) throw new UsageError(`--boot takes drive letters as QEMU's -boot (a = floppy, c = hard disk, d = CD-ROM), not '${b}'`);
        o.boot = b;
        break;
      }
      case '--firmware': {
        const f = value();
        if (f !== 'seabios' && f !== 'none') throw new UsageError(`--firmware takes seabios or none, not '${f}'`);
        o.firmware = f;
        break;
      }
      case '--bios': o.bios = value(); break;
      case '--nic': {
        const n = value();
        if (n !== 'e1000' && n !== 'none') throw new UsageError(`--nic takes e1000 or none, not '${n}'`);
        o.nic = n;
        break;
      }
      case '--no-snapshot': o.noSnapshot = true; break;
      case '--firmware-log': o.firmwareLog = true; break;
      default:
        if (a.startsWith('-')) throw new UsageError(unknownOption(a));
        if (o.kernel) throw new UsageError(`more than one kernel given (${o.kernel}, ${a})`);
        o.kernel = a;
    }
  }
  const media = o.hda || o.hdb || o.cdrom || o.fda;
  if (!o.kernel) o.firmware ??= 'seabios';
  // --bios FILE alone: power on with that firmware and nothing to boot (qemu -bios FILE), e.g. firmware of one's own.
  if (!o.kernel && !media && !o.bios) throw new UsageError('no kernel given: give a kernel ELF, or boot a disk, CD or floppy with --hda IMG / --cdrom ISO / --fda IMG, or run a firmware image with --bios FILE');
  if (o.firmware === 'none' && !o.kernel) throw new UsageError('--firmware none boots a kernel directly; give the kernel ELF, or boot the disk/CD/floppy with --firmware seabios (nothing else runs a boot sector)');
  if (o.serialStdio && !o.maxGiven) o.maxInstructions = Number.MAX_SAFE_INTEGER;
  if (o.gdbWait && o.gdbPort === undefined) throw new UsageError('--gdb-wait needs --gdb PORT');
  if (o.gdbArch && o.gdbPort === undefined) throw new UsageError('--gdb-arch needs --gdb PORT');
  if (o.gdbPort !== undefined && (o.record || o.inputs)) throw new UsageError('--gdb cannot be combined with --record or --input (the debugger drives the run)');
  if (o.gdbPort !== undefined && o.serialStdio) throw new UsageError('--gdb cannot be combined with --serial stdio (the debugger drives the run)');
  if (o.record && !o.kernel) throw new UsageError('--record needs a kernel (it records a kernel\'s run); a disk or CD boot cannot be recorded yet');
  if (o.record && o.initrd !== undefined) throw new UsageError('--record cannot record a run with --initrd yet: a recording holds the kernel, not its initrd or modules, so its replay would boot without them');
  if (!o.com2 && o.inputs?.some((i) => i.kind === 'serial2')) throw new UsageError('--input N:com2:TEXT needs --com2 FILE (the machine has no COM2 without it)');
  o.inputs?.sort((a, b) => a.instructions - b.instructions);
  return o;
}

/** `N:TEXT` → COM1 bytes at instruction N; `N:com2:TEXT` → COM2 bytes; `N:kbd:TEXT` → key strokes. */
function parseInput(spec: string): PlannedInput {
  const m = /^(\d+):(.*)$/s.exec(spec);
  if (!m) throw new UsageError(`--input takes N:TEXT or N:kbd:TEXT (an instruction count, a colon, the text), not '${spec}'`);
  const com2 = /^com2:(.*)$/s.exec(m[2]);
  if (com2) return { instructions: Number(m[1]), kind: 'serial2', bytes: unescapeInput(com2[1], spec) };
  const kbd = /^kbd:(.*)$/s.exec(m[2]);
  const bytes = unescapeInput(kbd ? kbd[1] : m[2], spec);
  if (!kbd) return { instructions: Number(m[1]), kind: 'serial', bytes };
  try {
    return { instructions: Number(m[1]), kind: 'keyboard', bytes: [], keys: textToKeys(Buffer.from(bytes).toString('utf8')) };
  } catch (e) {
    throw new UsageError(`--input '${spec}': ${(e as Error).message}`);
  }
}

function unescapeInput(t: string, spec: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (ch !== '\\') { bytes.push(...Buffer.from(ch, 'utf8')); continue; }
    const e = t[++i];
    if (e === 'n') bytes.push(10);
    else if (e === 'r') bytes.push(13);
    else if (e === 't') bytes.push(9);
    else if (e === '\\') bytes.push(92);
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(t.slice(i + 1, i + 3))) { bytes.push(parseInt(t.slice(i + 1, i + 3), 16)); i += 2; }
    else if (e === 'b') bytes.push(8);
    else throw new UsageError(`--input '${spec}' has an unknown escape \\${e ?? ''}; use \\n, \\r, \\t, \\b, \\\\ or \\xHH`);
  }
  return bytes;
}

class UsageError extends Error {}

/** The run options the usage text lists (--kernel, --hda, --append, ...). */
const RUN_OPTIONS = [...new Set([...USAGE.matchAll(/(?<![a-z-])(--[a-z0-9][a-z0-9-]*)/g)].map((m) => m[1]))];

/** QEMU options whose Faultline spelling is not just a second dash: what to write instead. */
const QEMU_HINTS: Record<string, string> = {
  '-m': "QEMU's -m is --memory MB here",
  '-s': "QEMU's -s is --gdb 1234 here",
  '-S': "QEMU's -S is --gdb PORT --gdb-wait here",
  '-d': "QEMU's -d int is --trace here",
  '-drive': "QEMU's -drive is --hda IMG, --hdb IMG, --cdrom ISO or --fda IMG here",
  '-nographic': 'no need here: COM1 goes to stdout (--serial stdio to type into it)',
  '-display': 'no need here: there is no window (--screen or --screenshot FILE.png show the screen)',
};

/**
 * "unknown option X", with the option meant where that is clear: QEMU's spelling of one of ours (-kernel →
 * --kernel, -m → --memory), or a typo one or two letters off (--kernal → --kernel).
 */
export function unknownOption(a: string): string {
  if (QEMU_HINTS[a]) return `unknown option ${a}: ${QEMU_HINTS[a]}`;
  const long = a.startsWith('--') ? a : `-${a}`;
  if (!a.startsWith('--') && RUN_OPTIONS.includes(long)) return `unknown option ${a}: Faultline's options take two dashes (QEMU's ${a} is ${long} here)`;
  const scored = RUN_OPTIONS.map((o) => ({ o, d: editDistance(o, long) })).filter((x) => x.d <= 2);
  const best = Math.min(...scored.map((x) => x.d));
  const near = scored.filter((x) => x.d === best);
  return near.length === 1 ? `unknown option ${a} (did you mean ${near[0].o}?)` : `unknown option ${a}`;
}

function editDistance(x: string, y: string): number {
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}
/** A recording that cannot be written, or replayed as asked (missing, damaged, another kernel): status 2, no usage text. */
class RecordingError extends Error {}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, not '${v}'`);
  return n;
}

/**
 * The guest's serial bytes travel through the CLI's output strings as these characters (a Private Use Area
 * block, never in Faultline's own messages), so stdout gets them unchanged, as QEMU's `-serial stdio` passes
 * them through (a guest printing UTF-8 shows its characters, not one per byte), while the messages go out as
 * UTF-8 (terminalBytes).
 */
const SERIAL_CHAR = 0xf700;
const serialChar = (b: number): string => String.fromCharCode(SERIAL_CHAR + b);

/** The bytes for stdout: serial characters as the guest's bytes, everything else UTF-8. */
export function terminalBytes(s: string): Buffer {
  const parts: Buffer[] = [];
  let text = '';
  let raw: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= SERIAL_CHAR && c < SERIAL_CHAR + 256) {
      if (text) { parts.push(Buffer.from(text, 'utf8')); text = ''; }
      raw.push(c - SERIAL_CHAR);
    } else {
      if (raw.length) { parts.push(Buffer.from(raw)); raw = []; }
      text += s[i];
    }
  }
  if (text) parts.push(Buffer.from(text, 'utf8'));
  if (raw.length) parts.push(Buffer.from(raw));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

const toStdout = (s: string): void => { process.stdout.write(terminalBytes(s)); };

/**
 * Collects output (serial bytes arrive one at a time) and passes it on in chunks: at 16 KiB, or when 100 ms
 * have passed since the last chunk (output stays live), and at flush(). One write per byte would make a
 * chatty guest spend most of its time in write(2).
 */
function chunked(out: (s: string) => void): { write: (s: string) => void; flush: () => void; tick: () => void } {
  let pending = '';
  let last = Date.now();
  const flush = () => {
    if (pending) out(pending);
    pending = '';
    last = Date.now();
  };
  return {
    write: (s) => {
      pending += s;
      if (pending.length >= 16384 || Date.now() - last > 100) flush();
    },
    flush,
    /** Between run slices: pass on what is pending once a frame's time (16 ms) has passed. */
    tick: () => { if (pending && Date.now() - last >= 16) flush(); },
  };
}

/**
 * The kernel's bytes (empty for a disk/CD boot), and the firmware it boots through when --firmware was not
 * given: SeaBIOS, or the direct load for a Linux bzImage (defaultFirmwareFor).
 */
function kernelBytes(o: RunOptions): Uint8Array {
  if (!o.kernel) return new Uint8Array(0);
  const bytes = loadKernelFile(o.kernel);
  o.firmware ??= defaultFirmwareFor(bytes);
  return bytes;
}

/** Boot and run one kernel (or the firmware and its boot device); returns the process exit status. */
export function runKernel(o: RunOptions, direct: (s: string) => void = toStdout): number {
  const bytes = kernelBytes(o);
  const sink = chunked(direct);
  const out = sink.write;
  let status: number;
  try {
    const m = o.kernel ? startMachine(o, bytes, out) : startFirmwareMachine(o, out);
    const session = runSession(m, o.maxInstructions, o.inputs ?? [], sink.tick);
    status = finish(m, o, bytes, session, out);
  } finally {
    sink.flush();
  }
  return status;
}

/** `--serial stdio`: boot, then run live with the terminal as COM1 until the guest ends or Ctrl-A X. */
export async function runKernelInteractive(o: RunOptions): Promise<number> {
  const bytes = kernelBytes(o);
  const direct = toStdout;
  const sink = chunked(direct);
  const terminal = new StdioSerial(process.stdin, direct);
  // In raw mode the terminal does not turn \n into \r\n; the guest's own output goes out untouched, our
  // reports get \r\n so they start at the left margin.
  const report = (s: string) => sink.write(s.replace(/\r?\n/g, '\r\n'));
  try {
    const m = o.kernel ? startMachine(o, bytes, sink.write) : startFirmwareMachine(o, sink.write);
    const live = await runInteractive(m, o.maxInstructions, o.inputs ?? [], terminal, sink.flush);
    if (!live.quit) return finish(m, o, bytes, live.session, report);
    report(`\n[faultline] quit (C-a x) after ${live.instructions} instructions\n`);
    // A replay runs the same number of instructions with the inputs at the counts they arrived.
    const replayable = { ...o, maxInstructions: Math.max(1, live.instructions) };
    if (o.screenshot) screenshot(m, o.screenshot, report);
    if (o.record) record(m, replayable, o.record, bytes, live.session, report);
    return 0;
  } finally {
    sink.flush();
    terminal.close();
  }
}

/** After a run: the report, --screenshot and --record; returns the exit status. */
function finish(m: Machine, o: RunOptions, bytes: Uint8Array, session: SessionResult, out: (s: string) => void): number {
  const status = report(m, o, session, out);
  if (o.screenshot) screenshot(m, o.screenshot, out);
  if (o.record) record(m, o, o.record, bytes, session, out);
  return status;
}

/** --screenshot FILE.png: the display as the renderer draws it. */
function screenshot(m: Machine, file: string, out: (s: string) => void): void {
  const f = m.frame();
  if (!f) {
    throw new RecordingError(`cannot draw the text screen for ${file}: no VGA font found (install the seabios package, which has the VGA BIOS Faultline takes it from); --screen prints the text instead`);
  }
  try {
    fs.writeFileSync(file, encodePng(f.width, f.height, f.rgba));
  } catch (e) {
    throw new RecordingError(`cannot write the screenshot to ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); check that its folder exists and is writable`);
  }
  out(`[faultline] screenshot written to ${file}: ${f.width}x${f.height}, ${f.mode}${f.unsupported ? ` (${f.unsupported} is not drawn)` : ''}\n`);
}

/** The system BIOS a recording names (with its SHA-256), when the kernel booted through SeaBIOS. */
function recordedBios(o: RunOptions): { path: string; bytes: Uint8Array } | undefined {
  if (o.firmware !== 'seabios') return undefined;
  const fw = loadFirmware({ bios: o.bios });
  return { path: path.resolve(fw.biosPath), bytes: fw.bios };
}

/** --record FILE: write the finished session as a recording. */
function record(m: Machine, o: RunOptions, file: string, bytes: Uint8Array, session: SessionResult, out: (s: string) => void): void {
  const rec = makeRecording(m, { path: path.resolve(o.kernel), bytes, name: o.kernel }, o.cmdline, o.maxInstructions, session, recordedBios(o));
  try {
    fs.writeFileSync(file, JSON.stringify(rec, null, 2) + '\n');
  } catch (e) {
    throw new RecordingError(`cannot write the recording to ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); check that its folder exists and is writable`);
  }
  out(`[faultline] recording written to ${file}: ${rec.inputs.length} input(s), ${rec.end.instructions} instructions, state ${rec.stateHash}\n`);
}

/** The machine the run options describe, its output watched (serial, events, firmware log). */
function newMachine(o: RunOptions, out: (s: string) => void): Machine {
  const m = Machine.create({ memoryMB: o.memoryMB, onTripleFault: o.noReboot ? 'stop' : 'reset', onResetRequest: o.noReboot ? 'stop' : 'reset', cpu: o.cpu, board: board(o), com2: o.com2 !== undefined, smp: o.smp ?? 1, rtcStart: o.rtcStart, fastWaits: o.fastWaits });
  watch(m, o, out);
  if (o.firmwareLog) m.on('firmwareLog', (b: number) => process.stderr.write(String.fromCharCode(b)));
  return m;
}

function startMachine(o: RunOptions, kernel: Uint8Array, out: (s: string) => void): Machine {
  const m = newMachine(o, out);
  // --initrd as qemu -initrd: a Linux bzImage's (or PVH kernel's) initial RAM disk, or a multiboot kernel's module list.
  const ramDisk = takesInitrd(kernel);
  const initrd = o.initrd !== undefined && ramDisk ? loadKernelFile(o.initrd, 'initrd') : undefined;
  const modules = o.initrd !== undefined && !ramDisk
    ? parseModuleList(o.initrd).map(({ file, cmdline }) => ({ name: file, data: loadKernelFile(file, 'module'), cmdline }))
    : undefined;
  m.boot(kernel, { cmdline: o.cmdline, fileName: o.kernelName === undefined ? o.kernel : o.kernelName ?? undefined, initrd, modules });
  return m;
}

/** The board for the command line's media: data disks for a direct boot; with firmware, the BIOS too. */
function board(o: RunOptions): PcBoardOptions {
  return boardFor({ hda: o.hda, hdb: o.hdb, cdrom: o.cdrom, fda: o.fda, boot: o.boot, writeThrough: o.noSnapshot, firmware: o.firmware === 'seabios', bios: o.bios, kernel: !!o.kernel, nic: o.nic !== 'none' });
}

/** Power on with SeaBIOS (the boot device was checked by boardFor). */
function startFirmwareMachine(o: RunOptions, out: (s: string) => void): Machine {
  const m = newMachine(o, out);
  m.bootFirmware();
  return m;
}

function watch(m: Machine, o: RunOptions, out: (s: string) => void): void {
  m.on('serial', (b: number) => out(serialChar(b)));
  if (o.com2 !== undefined) writeCom2To(m, o.com2);
  if (o.trace) {
    m.on('reset', () => out(m.resetCause === 'guest' ? '\n[faultline] the guest asked for a reset → system reset\n' : '\n[faultline] triple fault → system reset\n'));
    // The firmware's own BIOS calls (SeaBIOS and option ROMs calling INT 10h/13h/15h…) are not the kernel's
    // events: a software interrupt raised in the BIOS area is left out, and so is its delivery.
    let firmwareCall = -1;
    m.on('exception', (e) => {
      if (e.phase === 'raised' && isFirmwareCall(e)) { firmwareCall = e.seq; return; }
      if (e.software && e.phase === 'delivered' && e.seq === firmwareCall + 1) return;
      if (!e.external) out(`[faultline] ${e.phase} ${e.name}${e.errorCode !== undefined ? ` error 0x${e.errorCode.toString(16)}` : ''} rip=0x${e.rip.toString(16)} rsp=0x${e.rsp.toString(16)} cr2=0x${e.cr2.toString(16)}: ${e.reason}\n`);
    });
  }
}

/** --com2 FILE: COM2's bytes go to FILE (created or truncated), in 4 KiB chunks and at every line end and exit. */
function writeCom2To(m: Machine, file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (e) {
    throw new UsageError(`--com2: cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); check that its folder exists and is writable`);
  }
  const buf = new Uint8Array(4096);
  let n = 0;
  const flush = () => { if (n) { fs.writeSync(fd, buf, 0, n); n = 0; } };
  m.on('serial2', (b: number) => { buf[n++] = b; if (b === 10 || n === buf.length) flush(); });
  process.on('exit', flush);
}

/**
 * A "chain" that is only the firmware's own BIOS call (INT n in real mode from the BIOS or an option ROM at
 * 0xC0000-0xFFFFF, e.g. the multiboot option ROM's last INT 15h before it entered the kernel) is no fault.
 */
function firmwareCallsOnly(chain: ExceptionEvent[]): boolean {
  return chain.length > 0 && chain.every(isFirmwareCall);
}

/** INT n in real mode from the BIOS area (0xC0000-0xFFFFF: SeaBIOS, the VGA BIOS, option ROMs). */
function isFirmwareCall(e: ExceptionEvent): boolean {
  const linear = e.cs * 16 + Number(e.rip);
  return e.realMode === true && e.software && linear >= 0xc0000 && linear < 0x100000;
}

/** Print the fault chain, resets, screen and why the run stopped; returns the run's exit status. */
function report(m: Machine, o: RunOptions, session: Pick<SessionResult, 'stop' | 'resets'>, out: (s: string) => void): number {
  const { stop, resets } = session;
  const chain = firmwareCallsOnly(m.faultChain()) ? [] : m.faultChain();
  out('\n');
  if (chain.length) out(`[faultline] fault chain: ${describeChain(chain, m.entry?.elf)}\n`);
  if (resets) out(`[faultline] the machine reset ${resets} time(s) (triple faults or the guest's reset requests: a boot loop; use --no-reboot to stop at the first)\n`);
  if (o.screen) {
    // The text screen, or one sentence when the display does not show text (the text buffer would be stale).
    const mode = m.devices.vga.displayMode;
    out(mode === 'text' ? `[faultline] screen:\n${m.screenText()}\n`
      : `[faultline] screen: the display shows ${mode === 'blank' ? 'nothing (blanked)' : mode === 'vbe' ? 'VBE graphics' : 'VGA graphics'}, not text; --screenshot FILE.png saves it\n`);
  }
  if (stop.reason === 'pause' && resets > MAX_RESETS) return 0; // the boot loop reported above
  switch (stop.reason) {
    case 'exit':
      if (stop.powerOff) { out(`[faultline] guest powered off (ACPI S5) after ${m.instructionCount} instructions\n`); return 0; }
      if (stop.resetRequest) { out(`[faultline] the guest asked for a reset: stopped (--no-reboot) after ${m.instructionCount} instructions\n`); return 0; }
      out(`[faultline] guest exit via isa-debug-exit: status ${stop.exitCode} after ${m.instructionCount} instructions\n`);
      return stop.exitCode ?? 1;
    case 'shutdown': out(`[faultline] triple fault: CPU shut down after ${m.instructionCount} instructions\n`); return 0;
    case 'halt':
      out(m.state().regs.rflags & 0x200n
        ? `[faultline] idle: HLT with interrupts on, nothing timed to wake the guest and no more input, after ${m.instructionCount} instructions\n`
        : `[faultline] halted (HLT with interrupts off) after ${m.instructionCount} instructions\n`);
      return 0;
    default: out(`[faultline] stopped after ${m.instructionCount} instructions (${stop.reason})\n`); return 0;
  }
}

function parseReplay(args: string[]): { file: string; kernel?: string } {
  let file = '';
  let kernel: string | undefined;
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (a === '--kernel') {
      if (k + 1 >= args.length) throw new UsageError('--kernel needs a value');
      kernel = args[++k];
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      if (file) throw new UsageError(`more than one recording given (${file}, ${a})`);
      file = a;
    }
  }
  if (!file) throw new UsageError('no recording given');
  return { file, kernel };
}

/** Replay a recording: same kernel, options and inputs; 0 when everything recorded is reproduced, 1 if not. */
export function replay(args: { file: string; kernel?: string }, out: (s: string) => void = toStdout): number {
  let text: string;
  try {
    text = fs.readFileSync(args.file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RecordingError(code === 'ENOENT' ? `recording ${args.file} does not exist; check the path` : `cannot read recording ${args.file} (${code}); check the path`);
  }
  let rec: Recording;
  try {
    rec = parseRecording(text, args.file);
  } catch (e) {
    throw new RecordingError((e as Error).message);
  }
  const kernelPath = args.kernel ?? rec.kernel.path;
  if (!args.kernel && !fs.existsSync(kernelPath)) {
    throw new RecordingError(`the recorded kernel ${kernelPath} does not exist any more; pass --kernel PATH with the kernel it was recorded with`);
  }
  const bytes = loadKernelFile(kernelPath);
  const hash = sha256Hex(bytes);
  if (hash !== rec.kernel.sha256) {
    throw new RecordingError(`${kernelPath} is not the recorded kernel (its SHA-256 is ${hash}, the recording's is ${rec.kernel.sha256}); rebuild the recorded version or pass --kernel PATH to it`);
  }
  const bios = rec.firmware ? replayBios(rec.firmware) : undefined;
  const o: RunOptions = {
    kernel: kernelPath, kernelName: rec.kernel.name ?? null, firmware: bios ? 'seabios' : 'none', bios: bios?.path, noReboot: rec.machine.onTripleFault === 'stop', maxInstructions: rec.maxInstructions, trace: false, screen: false,
    memoryMB: rec.machine.memoryMB, cmdline: rec.cmdline ?? undefined, cpu: rec.machine.cpu, smp: rec.machine.smp ?? 1,
    rtcStart: rec.machine.rtcStart ?? RTC_START_SECONDS,
    // A recording from before fastWaits existed ran every iteration of its waits.
    fastWaits: rec.machine.fastWaits ?? false,
    // The recorded machine's COM2 (its output is not part of the recording: written nowhere).
    com2: rec.machine.com2 ? os.devNull : undefined,
    nic: rec.nic,
  };
  const m = startMachine(o, bytes, out);
  const session = runSession(m, rec.maxInstructions, rec.inputs);
  report(m, o, session, out);
  const again = makeRecording(m, { path: kernelPath, bytes, name: rec.kernel.name }, o.cmdline, rec.maxInstructions, session, bios);
  const diffs = compareWithRecording(rec, again);
  if (diffs.length) {
    out(`[faultline] replay differs from ${args.file}:\n${diffs.map((d) => `  ${d}\n`).join('')}`);
    return 1;
  }
  out(`[faultline] replay identical to ${args.file}: ${rec.inputs.length} input(s), serial output (${rec.serial.bytes} bytes), fault chain (${rec.faultChain.length} links), ` +
    `${rec.end.instructions} instructions, state ${rec.stateHash}\n`);
  return 0;
}

/** The recorded BIOS file, or (moved or gone) the installed SeaBIOS; either must have the recorded SHA-256. */
function replayBios(f: NonNullable<Recording['firmware']>): { path: string; bytes: Uint8Array } {
  const fw = loadFirmware(fs.existsSync(f.bios) ? { bios: f.bios } : {});
  const hash = sha256Hex(fw.bios);
  if (hash !== f.sha256) {
    throw new RecordingError(`${fw.biosPath} is not the BIOS the recording booted through (its SHA-256 is ${hash}, the recording's is ${f.sha256}); install the SeaBIOS it was recorded with, or record again`);
  }
  return { path: fw.biosPath, bytes: fw.bios };
}

interface ManifestKernel { name: string; file: string; description: string; cmdline: string | null }

function demo(): number {
  const root = path.resolve(__dirname, '..');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'fixtures', 'manifest.json'), 'utf8')) as { kernels: ManifestKernel[] };
  const seed = ['pf-missing-idt', 'df-handler', 'stack-overflow-no-ist', 'stack-overflow-seed', 'ist-double-fault', 'higher-half', 'breakpoint', 'rust-ist', 'task-gate-df', 'c-workload'];
  for (const name of seed) {
    const k = manifest.kernels.find((x) => x.name === name);
    if (!k) continue;
    process.stdout.write(`\n=== ${k.name}: ${k.description}\n`);
    const status = runKernel({ kernel: path.join(root, k.file), noReboot: true, maxInstructions: 200_000_000, trace: false, screen: false, memoryMB: 128, cmdline: k.cmdline ?? undefined, cpu: 'faultline' });
    process.stdout.write(`[faultline] exit status ${status}\n`);
  }
  return 0;
}

/**
 * faultline dap: the debug adapter, loaded from beside this file at run time (dist/debug-adapter.js, or
 * out/debug-adapter/main.js under tsc) so the emulator layer does not import the adapter.
 */
function dap(args: string[]): number | Promise<number> {
  const candidates = [path.join(__dirname, 'debug-adapter.js'), path.join(__dirname, '..', 'debug-adapter', 'main.js')];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new UsageError('the debug adapter (dist/debug-adapter.js) is missing; run npm run build');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const adapter = require(file) as { serveDap(a: string[]): number | undefined };
  const status = adapter.serveDap(args);
  return status ?? new Promise<number>(() => undefined); // the adapter runs until its client or stdin ends
}

/** run --gdb PORT: the machine under the gdb server; resolves with the exit status when the guest or gdb ends it. */
async function serveGdb(o: RunOptions, port: number): Promise<number> {
  const bytes = kernelBytes(o);
  const sink = chunked(toStdout);
  const m = o.kernel ? startMachine(o, bytes, sink.write) : startFirmwareMachine(o, sink.write);
  if (m.cpuCount === 1) m.enableHistory(); // reverse execution (bs, rc) needs one CPU; with more gdb sees the CPU that stopped
  if (o.kernel) runToKernelEntry(m);
  const log = (line: string) => process.stderr.write(`[faultline] ${line}\n`);
  return new Promise<number>((resolve, reject) => {
    const server = new GdbServer(m, {
      port, wait: !!o.gdbWait, elf: m.entry?.elf, arch: o.gdbArch, log,
      onEnd: (stop) => {
        sink.flush();
        if (stop === 'killed') { log('killed by gdb'); resolve(0); return; }
        resolve(report(m, o, { stop, resets: 0 }, toStdout));
      },
    });
    server.listen().then((p) => {
      log(`gdb server on 127.0.0.1:${p}${o.gdbWait ? ', holding at the first instruction' : ''}: in gdb, target remote :${p}`);
    }, reject);
  });
}

/**
 * A kernel booted through SeaBIOS: run the POST and the option ROM up to the kernel's first instruction, so gdb
 * (and --gdb-wait) meets the kernel where a direct load starts it, with the firmware already in the history
 * (reverse-stepi goes back into it). Anything that stops the machine before (a triple fault) ends this early.
 */
function runToKernelEntry(m: Machine): void {
  const entry = m.entryPoint();
  if (entry === undefined) return;
  m.addBreakpoint(entry);
  m.run(KERNEL_ENTRY_BUDGET);
  m.removeBreakpoint(entry);
}
/** Far more than SeaBIOS's POST (about 8 million instructions) takes to reach a kernel. */
const KERNEL_ENTRY_BUDGET = 200_000_000;

function failed(e: unknown): number {
  process.stderr.write(`faultline: ${(e as Error).message}\n`);
  return 2;
}

export function main(argv: string[]): number | Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(USAGE + '\n'); return cmd ? 0 : 2; }
    // `faultline run --help` (any command): the usage, not "unknown option".
    if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(USAGE + '\n'); return 0; }
    if (cmd === 'run') {
      const o = parseRun(rest);
      if (o.gdbPort !== undefined) return serveGdb(o, o.gdbPort).catch(failed);
      if (o.serialStdio) return runKernelInteractive(o).catch((e) => failure(e));
      return runKernel(o);
    }
    if (cmd === 'replay') return replay(parseReplay(rest));
    if (cmd === 'demo') return demo();
    if (cmd === 'dap') return dap(rest);
    throw new UsageError(`unknown command '${cmd}'`);
  } catch (e) {
    return failure(e);
  }
}

function failure(e: unknown): number {
  if (e instanceof UsageError) { process.stderr.write(`faultline: ${e.message}\n\n${USAGE}\n`); return 2; }
  if (e instanceof BootError || e instanceof RecordingError || (e instanceof Error && /memoryMB|CPU model/.test(e.message))) { process.stderr.write(`faultline: ${e.message}\n`); return 2; }
  throw e;
}

if (require.main === module) {
  const status = main(process.argv.slice(2));
  if (typeof status === 'number') process.exitCode = status;
  else void status.then((s) => { process.exitCode = s; process.exit(s); });
}
