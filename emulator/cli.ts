import * as fs from 'node:fs';
import * as path from 'node:path';
import { StopInfo } from './api';
import { BootError, loadKernelFile } from './boot';
import { Machine } from './machine';
import { describeChain } from './report';

const USAGE = `faultline — boot an x86_64 multiboot kernel in the Faultline emulator

Usage:
  faultline run KERNEL [options]   boot KERNEL (ELF with a multiboot1/2 header); serial goes to stdout
  faultline demo                   run the blog_os double-fault demos from fixtures/ and explain each
  faultline --help

Options for run:
  --no-reboot            stop on a triple fault (like qemu -no-reboot) instead of resetting
  --max-instructions N   stop after N guest instructions (default 2000000000)
  --trace                print every exception event as it happens (the -d int view, in words)
  --screen               print the VGA text screen at the end
  --memory MB            guest RAM in MiB (default 128)
  --cmdline STRING       multiboot command line
  --cpu MODEL            CPU model for CPUID: faultline (default) or qemu64

Exit status follows QEMU: isa-debug-exit value v → (v << 1) | 1; triple fault with --no-reboot → 0;
instruction limit reached or HLT with interrupts off → 0; bad arguments or kernel → 2.`;

interface RunOptions {
  kernel: string;
  noReboot: boolean;
  maxInstructions: number;
  trace: boolean;
  screen: boolean;
  memoryMB: number;
  cmdline?: string;
  cpu: string;
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
      case '--cmdline': o.cmdline = value(); break;
      case '--cpu': o.cpu = value(); break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        if (o.kernel) throw new UsageError(`more than one kernel given (${o.kernel}, ${a})`);
        o.kernel = a;
    }
  }
  if (!o.kernel) throw new UsageError('no kernel given');
  return o;
}

class UsageError extends Error {}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, not '${v}'`);
  return n;
}

/** Boot and run one kernel; returns the process exit status. */
export function runKernel(o: RunOptions, out: (s: string) => void = (s) => process.stdout.write(s)): number {
  const m = Machine.create({ memoryMB: o.memoryMB, onTripleFault: o.noReboot ? 'stop' : 'reset', cpu: o.cpu });
  m.on('serial', (b: number) => out(String.fromCharCode(b)));
  let resets = 0;
  m.on('reset', () => {
    resets++;
    if (o.trace) out('\n[faultline] triple fault → system reset\n');
    // QEMU would boot-loop forever; after a few rounds the loop is evident, so stop and report it.
    if (resets > 3) m.pause();
  });
  if (o.trace) {
    m.on('exception', (e) => {
      if (!e.external) out(`[faultline] ${e.phase} ${e.name}${e.errorCode !== undefined ? ` error 0x${e.errorCode.toString(16)}` : ''} rip=0x${e.rip.toString(16)} rsp=0x${e.rsp.toString(16)} cr2=0x${e.cr2.toString(16)}: ${e.reason}\n`);
    });
  }
  m.boot(loadKernelFile(o.kernel), { cmdline: o.cmdline });
  let stop: StopInfo = { reason: 'budget' };
  let left = o.maxInstructions;
  while (left > 0) {
    const before = m.instructionCount;
    stop = m.run(Math.min(left, 50_000_000));
    left -= m.instructionCount - before;
    if (stop.reason !== 'budget') break;
  }
  const chain = m.faultChain();
  out('\n');
  if (chain.length) out(`[faultline] fault chain: ${describeChain(chain, m.entry?.elf)}\n`);
  if (resets) out(`[faultline] the machine reset ${resets} time(s) after triple faults (a boot loop; use --no-reboot to stop at the first)\n`);
  if (o.screen) out(`[faultline] screen:\n${m.screenText()}\n`);
  if (stop.reason === 'pause' && resets > 3) return 0; // the boot loop reported above
  switch (stop.reason) {
    case 'exit': out(`[faultline] guest exit via isa-debug-exit: status ${stop.exitCode} after ${m.instructionCount} instructions\n`); return stop.exitCode ?? 1;
    case 'shutdown': out(`[faultline] triple fault: CPU shut down after ${m.instructionCount} instructions\n`); return 0;
    case 'halt': out(`[faultline] halted (HLT with interrupts off) after ${m.instructionCount} instructions\n`); return 0;
    default: out(`[faultline] stopped after ${m.instructionCount} instructions (${stop.reason})\n`); return 0;
  }
}

interface ManifestKernel { name: string; file: string; description: string; cmdline: string | null }

function demo(): number {
  const root = path.resolve(__dirname, '..');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'fixtures', 'manifest.json'), 'utf8')) as { kernels: ManifestKernel[] };
  const seed = ['pf-missing-idt', 'df-handler', 'stack-overflow-no-ist', 'stack-overflow-seed', 'ist-double-fault', 'breakpoint', 'rust-ist', 'c-workload'];
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
    if (cmd === 'demo') return demo();
    throw new UsageError(`unknown command '${cmd}'`);
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`faultline: ${e.message}\n\n${USAGE}\n`); return 2; }
    if (e instanceof BootError || (e instanceof Error && /memoryMB|CPU model/.test(e.message))) { process.stderr.write(`faultline: ${e.message}\n`); return 2; }
    throw e;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
