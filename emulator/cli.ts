import * as fs from 'node:fs';
import * as path from 'node:path';
import { BootError, loadKernelFile } from './boot';
import { Machine } from './machine';
import {
  compareWithRecording, makeRecording, MAX_RESETS, parseRecording, PlannedInput, Recording, runSession, SessionResult, sha256Hex,
} from './recording';
import { describeChain } from './report';

const USAGE = `faultline — boot an x86_64 multiboot kernel in the Faultline emulator

Usage:
  faultline run KERNEL [options]   boot KERNEL (ELF with a multiboot1/2 header); serial goes to stdout
  faultline replay FILE [--kernel PATH]
                                   run a recording made with --record again and check that serial output,
                                   fault chain and final state are identical (exit 0) or say what differs (exit 1)
  faultline demo                   run the blog_os double-fault demos from fixtures/ and explain each
  faultline --help

Options for run:
  --no-reboot            stop on a triple fault (like qemu -no-reboot) instead of resetting
  --max-instructions N   stop after N guest instructions (default 2000000000)
  --trace                print every exception event as it happens (the -d int view, in words)
  --screen               print the VGA text screen at the end
  --memory MB            guest RAM in MiB (default 128)
  --cmdline STRING       the kernel command line (multiboot, or Linux); --append is the same (QEMU's name)
  --initrd FILE          Linux bzImage only: the initial RAM disk (qemu -initrd)
  --cpu MODEL            CPU model for CPUID: faultline (default) or qemu64
  --input N:TEXT         send TEXT to COM1 when the instruction count reaches N (\\n, \\r, \\t, \\\\, \\xHH escapes);
                         may be repeated
  --record FILE          write a replayable recording (JSON: kernel path and SHA-256, options, inputs with
                         their instruction counts, final instruction count, serial output hash, fault chain,
                         final state hashes) for faultline replay

Options for replay:
  --kernel PATH          the recorded kernel is now at PATH (its SHA-256 must still match)

Exit status follows QEMU: isa-debug-exit value v → (v << 1) | 1; triple fault with --no-reboot → 0;
instruction limit reached or HLT with interrupts off → 0; bad arguments or kernel → 2.
replay: 0 when the replay is identical, 1 when it differs, 2 for a bad recording or kernel.`;

interface RunOptions {
  kernel: string;
  noReboot: boolean;
  maxInstructions: number;
  trace: boolean;
  screen: boolean;
  memoryMB: number;
  cmdline?: string;
  /** --initrd FILE (Linux bzImage) */
  initrd?: string;
  cpu: string;
  /** --input: serial input at instruction counts (sorted). */
  inputs?: PlannedInput[];
  /** --record FILE */
  record?: string;
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
      case '--trace': o.trace = true; break;
      case '--screen': o.screen = true; break;
      case '--max-instructions': o.maxInstructions = positive(a, value()); break;
      case '--memory':
        o.memoryMB = positive(a, value());
        if (o.memoryMB < 2 || o.memoryMB > 4096) throw new UsageError(`--memory takes a size in MiB from 2 to 4096, not ${o.memoryMB}`);
        break;
      case '--cmdline': case '--append': o.cmdline = value(); break;
      case '--initrd': o.initrd = value(); break;
      case '--cpu': o.cpu = value(); break;
      case '--input': (o.inputs ??= []).push(parseInput(value())); break;
      case '--record': o.record = value(); break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        if (o.kernel) throw new UsageError(`more than one kernel given (${o.kernel}, ${a})`);
        o.kernel = a;
    }
  }
  if (!o.kernel) throw new UsageError('no kernel given');
  o.inputs?.sort((a, b) => a.instructions - b.instructions);
  return o;
}

/** `N:TEXT` → serial bytes at instruction N. */
function parseInput(spec: string): PlannedInput {
  const m = /^(\d+):(.*)$/s.exec(spec);
  if (!m) throw new UsageError(`--input takes N:TEXT (an instruction count, a colon, the text), not '${spec}'`);
  const bytes: number[] = [];
  const t = m[2];
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (ch !== '\\') { bytes.push(...Buffer.from(ch, 'utf8')); continue; }
    const e = t[++i];
    if (e === 'n') bytes.push(10);
    else if (e === 'r') bytes.push(13);
    else if (e === 't') bytes.push(9);
    else if (e === '\\') bytes.push(92);
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(t.slice(i + 1, i + 3))) { bytes.push(parseInt(t.slice(i + 1, i + 3), 16)); i += 2; }
    else throw new UsageError(`--input '${spec}' has an unknown escape \\${e ?? ''}; use \\n, \\r, \\t, \\\\ or \\xHH`);
  }
  return { instructions: Number(m[1]), kind: 'serial', bytes };
}

class UsageError extends Error {}
/** A recording that cannot be written, or replayed as asked (missing, damaged, another kernel): status 2, no usage text. */
class RecordingError extends Error {}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, not '${v}'`);
  return n;
}

/**
 * Collects output (serial bytes arrive one at a time) and passes it on in chunks: at 16 KiB, or when 100 ms
 * have passed since the last chunk (output stays live), and at flush(). One write per byte would make a
 * chatty guest spend most of its time in write(2).
 */
function chunked(out: (s: string) => void): { write: (s: string) => void; flush: () => void } {
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
  };
}

/** Boot and run one kernel; returns the process exit status. */
export function runKernel(o: RunOptions, direct: (s: string) => void = (s) => process.stdout.write(s)): number {
  const bytes = loadKernelFile(o.kernel);
  const sink = chunked(direct);
  const out = sink.write;
  let status: number;
  try {
    const m = startMachine(o, bytes, out);
    const session = runSession(m, o.maxInstructions, o.inputs ?? []);
    status = report(m, o, session, out);
    if (o.record) record(m, o, o.record, bytes, session, out);
  } finally {
    sink.flush();
  }
  return status;
}

/** --record FILE: write the finished session as a recording. */
function record(m: Machine, o: RunOptions, file: string, bytes: Uint8Array, session: SessionResult, out: (s: string) => void): void {
  const rec = makeRecording(m, { path: path.resolve(o.kernel), bytes }, o.cmdline, o.maxInstructions, session);
  try {
    fs.writeFileSync(file, JSON.stringify(rec, null, 2) + '\n');
  } catch (e) {
    throw new RecordingError(`cannot write the recording to ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); check that its folder exists and is writable`);
  }
  out(`[faultline] recording written to ${file}: ${rec.inputs.length} input(s), ${rec.end.instructions} instructions, state ${rec.stateHash}\n`);
}

function startMachine(o: RunOptions, kernel: Uint8Array, out: (s: string) => void): Machine {
  const m = Machine.create({ memoryMB: o.memoryMB, onTripleFault: o.noReboot ? 'stop' : 'reset', cpu: o.cpu });
  m.on('serial', (b: number) => out(String.fromCharCode(b)));
  if (o.trace) {
    m.on('reset', () => out('\n[faultline] triple fault → system reset\n'));
    m.on('exception', (e) => {
      if (!e.external) out(`[faultline] ${e.phase} ${e.name}${e.errorCode !== undefined ? ` error 0x${e.errorCode.toString(16)}` : ''} rip=0x${e.rip.toString(16)} rsp=0x${e.rsp.toString(16)} cr2=0x${e.cr2.toString(16)}: ${e.reason}\n`);
    });
  }
  const initrd = o.initrd !== undefined ? loadKernelFile(o.initrd, 'initrd') : undefined;
  m.boot(kernel, { cmdline: o.cmdline, initrd });
  return m;
}

/** Print the fault chain, resets, screen and why the run stopped; returns the run's exit status. */
function report(m: Machine, o: RunOptions, session: SessionResult, out: (s: string) => void): number {
  const { stop, resets } = session;
  const chain = m.faultChain();
  out('\n');
  if (chain.length) out(`[faultline] fault chain: ${describeChain(chain, m.entry?.elf)}\n`);
  if (resets) out(`[faultline] the machine reset ${resets} time(s) after triple faults (a boot loop; use --no-reboot to stop at the first)\n`);
  if (o.screen) out(`[faultline] screen:\n${m.screenText()}\n`);
  if (stop.reason === 'pause' && resets > MAX_RESETS) return 0; // the boot loop reported above
  switch (stop.reason) {
    case 'exit': out(`[faultline] guest exit via isa-debug-exit: status ${stop.exitCode} after ${m.instructionCount} instructions\n`); return stop.exitCode ?? 1;
    case 'shutdown': out(`[faultline] triple fault: CPU shut down after ${m.instructionCount} instructions\n`); return 0;
    case 'halt': out(`[faultline] halted (HLT with interrupts off) after ${m.instructionCount} instructions\n`); return 0;
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
export function replay(args: { file: string; kernel?: string }, out: (s: string) => void = (s) => process.stdout.write(s)): number {
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
  const o: RunOptions = {
    kernel: kernelPath, noReboot: rec.machine.onTripleFault === 'stop', maxInstructions: rec.maxInstructions, trace: false, screen: false,
    memoryMB: rec.machine.memoryMB, cmdline: rec.cmdline ?? undefined, cpu: rec.machine.cpu,
  };
  const m = startMachine(o, bytes, out);
  const session = runSession(m, rec.maxInstructions, rec.inputs);
  report(m, o, session, out);
  const again = makeRecording(m, { path: kernelPath, bytes }, o.cmdline, rec.maxInstructions, session);
  const diffs = compareWithRecording(rec, again);
  if (diffs.length) {
    out(`[faultline] replay differs from ${args.file}:\n${diffs.map((d) => `  ${d}\n`).join('')}`);
    return 1;
  }
  out(`[faultline] replay identical to ${args.file}: ${rec.inputs.length} input(s), serial output (${rec.serial.bytes} bytes), fault chain (${rec.faultChain.length} links), ` +
    `${rec.end.instructions} instructions, state ${rec.stateHash}\n`);
  return 0;
}

interface ManifestKernel { name: string; file: string; description: string; cmdline: string | null }

function demo(): number {
  const root = path.resolve(__dirname, '..');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'fixtures', 'manifest.json'), 'utf8')) as { kernels: ManifestKernel[] };
  const seed = ['pf-missing-idt', 'df-handler', 'stack-overflow-no-ist', 'stack-overflow-seed', 'ist-double-fault', 'breakpoint', 'rust-ist', 'task-gate-df', 'c-workload'];
  for (const name of seed) {
    const k = manifest.kernels.find((x) => x.name === name);
    if (!k) continue;
    process.stdout.write(`\n=== ${k.name}: ${k.description}\n`);
    const status = runKernel({ kernel: path.join(root, k.file), noReboot: true, maxInstructions: 200_000_000, trace: false, screen: false, memoryMB: 128, cmdline: k.cmdline ?? undefined, cpu: 'faultline' });
    process.stdout.write(`[faultline] exit status ${status}\n`);
  }
  return 0;
}

export function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(USAGE + '\n'); return cmd ? 0 : 2; }
    if (cmd === 'run') return runKernel(parseRun(rest));
    if (cmd === 'replay') return replay(parseReplay(rest));
    if (cmd === 'demo') return demo();
    throw new UsageError(`unknown command '${cmd}'`);
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`faultline: ${e.message}\n\n${USAGE}\n`); return 2; }
    if (e instanceof BootError || e instanceof RecordingError || (e instanceof Error && /memoryMB|CPU model/.test(e.message))) { process.stderr.write(`faultline: ${e.message}\n`); return 2; }
    throw e;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
