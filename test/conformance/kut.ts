// kvm-unit-tests conformance: run kvm-unit-tests binaries (the prebuilt x86_64 set in ../shared/kvm-unit-tests
// and any directories FAULTLINE_KUT_DIR names) in the emulator, each with its unittests.cfg parameters
// (kut-suite.ts), and compare their PASS/FAIL/SKIP lines and exit status with QEMU TCG's recorded log. Shared
// by the `npm run conformance` table (run.ts) and the `npm test` gate (kvm-unit-tests.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadKernelFile } from '../../emulator/boot';
import { findSeabiosDir, loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { cpuFor, HW_ONLY_LINES, LEFT_OUT, SUITE } from './kut-suite';

/** The directory the tests live in: <repo>/../shared/kvm-unit-tests (the repo is two levels above out/test). */
export const KUT_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'kvm-unit-tests');

/**
 * More directories of binaries + QEMU logs in the same layout, for suites built locally (e.g. the whole
 * x86_64 and i386 builds of upstream): FAULTLINE_KUT_DIR=/dir/x86_64:/dir/i386 (a path-delimiter list).
 */
export const EXTRA_KUT_DIRS: string[] = (process.env.FAULTLINE_KUT_DIR ?? '')
  .split(path.delimiter)
  .filter((d) => d !== '')
  .map((d) => path.resolve(d));

export interface TestRef {
  name: string;
  dir: string;
  /** Which set it comes from: 'shared', or the extra directory's base name (e.g. x86_64, i386). */
  build: string;
}

/** Every test to run: the shared directory's, then each FAULTLINE_KUT_DIR directory's (all of them). */
export function findTests(): TestRef[] {
  const out: TestRef[] = [];
  for (const dir of [KUT_DIR, ...EXTRA_KUT_DIRS]) {
    const build = dir === KUT_DIR ? 'shared' : path.basename(dir);
    for (const name of listTests(dir)) out.push({ name, dir, build });
  }
  return out;
}

/** Binaries in a directory that are entries we leave out (they need KVM), with the reason. */
export function leftOutPresent(dir: string): { name: string; reason: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.flat') && LEFT_OUT[f.slice(0, -5)] !== undefined)
    .map((f) => ({ name: f.slice(0, -5), reason: LEFT_OUT[f.slice(0, -5)] }));
}

/** Tests that are not in the shared set yet, with what a user needs to know to run them (reported as skipped when absent). */
export const OPTIONAL_TESTS: Record<string, string> = {
  realmode: 'x86/realmode.flat is not among the binaries: build it from upstream kvm-unit-tests (./configure --arch=x86_64 && make x86/realmode.flat), record QEMU\'s log as README.md describes, and put both in ../shared/kvm-unit-tests or in a directory FAULTLINE_KUT_DIR names',
};

/** Measurements, not checks (sieve is CPU- and paging-heavy: bench/ runs it; vmexit_* time exits), not run here. */
export const BENCHMARK_ONLY = new Set(Object.keys(SUITE).filter((n) => SUITE[n].benchmark !== undefined));

export type Verdict = 'PASS' | 'FAIL' | 'SKIP';

export interface ResultLine {
  verdict: Verdict;
  text: string;
}

export interface TestLog {
  lines: ResultLine[];
  /** QEMU's exit status ((value << 1) | 1 for isa-debug-exit; 0 for a triple fault with -no-reboot). */
  exitStatus: number;
  /** The serial output ended in the library's "Unhandled exception" dump. */
  unhandledException: boolean;
}

const RESULT_RE = /^(PASS|FAIL|SKIP)(?:: (.*))?$/;

/** PASS/FAIL/SKIP lines of a serial transcript, in order. */
export function resultLines(serial: string): ResultLine[] {
  const out: ResultLine[] = [];
  for (const raw of serial.split('\n')) {
    const m = RESULT_RE.exec(raw.replace(/\r$/, ''));
    if (m) out.push({ verdict: m[1] as Verdict, text: m[2] ?? '' });
  }
  return out;
}

/** Parse `NAME.qemu-tcg.log`: serial output, last line `qemu-exit-status: N`. */
export function parseQemuLog(text: string): TestLog {
  const m = /qemu-exit-status: (\d+)\s*$/.exec(text);
  if (!m) throw new Error('QEMU log has no final "qemu-exit-status: N" line; was it recorded by the script in README.md?');
  return { lines: resultLines(text), exitStatus: Number(m[1]), unhandledException: /^Unhandled exception/m.test(text) };
}

/** The fast tests present in the directory (every NAME.flat with a QEMU log, minus the benchmark). */
export function listTests(dir = KUT_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.flat') && fs.existsSync(path.join(dir, f.replace(/\.flat$/, '.qemu-tcg.log'))))
    .map((f) => f.replace(/\.flat$/, ''))
    .filter((n) => !BENCHMARK_ONLY.has(n) && LEFT_OUT[n] === undefined)
    .sort();
}

export interface RunLimits {
  /** Guest instruction budget. */
  maxInstructions: number;
  /** Wall-clock limit in milliseconds (checked between slices of the run). */
  wallMs: number;
}

export const DEFAULT_LIMITS: RunLimits = { maxInstructions: 400_000_000, wallMs: 60_000 };

export interface OurRun extends TestLog {
  serial: string;
  /** Why the run ended: the guest's exit, a triple fault, HLT, or one of our limits (exit status 124, as timeout(1) gives QEMU's run). */
  ended: 'exit' | 'shutdown' | 'halt' | 'instruction budget' | 'wall-clock limit' | string;
  instructions: number;
  ms: number;
}

/**
 * Boot NAME.flat the way `qemu -kernel` does (multiboot1, through SeaBIOS and the multiboot option ROM), with
 * the entry's CPU model and test_args as the
 * command line (kut-suite.ts), 256 MiB and the entry's `smp` CPUs, and run it to its isa-debug-exit write or a limit. Exit
 * status as the CLI (and QEMU) report it; 124 when a limit ends the run.
 */
export function runTest(name: string, limits: RunLimits = DEFAULT_LIMITS, dir = KUT_DIR): OurRun {
  const t0 = Date.now();
  const more = SUITE[name]?.instructions?.count;
  if (more !== undefined && more > limits.maxInstructions) {
    limits = { maxInstructions: more, wallMs: Math.round(limits.wallMs * (more / limits.maxInstructions)) };
  }
  // As qemu -kernel (and Faultline's default): SeaBIOS, then the multiboot option ROM; the direct load only
  // where SeaBIOS is not installed.
  const fw = findSeabiosDir() ? loadFirmware() : undefined;
  const board = fw && { bios: fw.bios, vgaBios: fw.vgaBios, nodefaults: true };
  const m = Machine.create({ memoryMB: 256, onTripleFault: 'stop', cpu: cpuFor(name), board, smp: SUITE[name]?.smp ?? 1 });
  const bytes: number[] = [];
  m.on('serial', (b: number) => bytes.push(b));
  const args = SUITE[name]?.args;
  m.boot(loadKernelFile(path.join(dir, `${name}.flat`)), args ? { cmdline: args } : {});
  let ended = 'instruction budget';
  let exitStatus = 0;
  while (m.instructionCount < limits.maxInstructions) {
    if (Date.now() - t0 > limits.wallMs) { ended = 'wall-clock limit'; break; }
    const stop = m.run(Math.min(5_000_000, limits.maxInstructions - m.instructionCount));
    if (stop.reason === 'budget') continue;
    ended = stop.reason;
    if (stop.reason === 'exit') exitStatus = stop.exitCode ?? 1;
    break;
  }
  if (ended === 'instruction budget' || ended === 'wall-clock limit') exitStatus = 124;
  const serial = Buffer.from(bytes).toString('latin1');
  return {
    serial,
    lines: resultLines(serial),
    exitStatus,
    unhandledException: /^Unhandled exception/m.test(serial),
    ended,
    instructions: m.instructionCount,
    ms: Date.now() - t0,
  };
}

/** A line's identity without its measured outcome ("..., should #SS(0), got #GP(0)" → "..., should #SS(0),"). */
export function lineKey(text: string): string {
  const k = text.search(/\bgot\b/);
  return k >= 0 ? text.slice(0, k).trimEnd() : text;
}

function maskNumbers(text: string): string {
  return text.replace(/0x[0-9a-f]+|\b\d+\b/gi, '#');
}

export interface Comparison {
  name: string;
  qemuPass: number;
  oursPass: number;
  /** PASS lines in QEMU's log with no matching PASS line here (counted with multiplicity). */
  missing: string[];
  /** Lines QEMU FAILs (hardware passes them, README): QEMU's text and our verdict + text for the same check. */
  qemuFails: { qemu: string; ours?: ResultLine }[];
  /** Lines QEMU never prints (its run hangs) that hardware passes (kut-suite.ts HW_ONLY_LINES), with ours. */
  hwOnly: { line: string; ours?: ResultLine }[];
  qemuExit: number;
  oursExit: number;
  /**
   * Exit statuses that agree with the reference: QEMU's, or 1 (every line passed, as on hardware) when
   * QEMU's run FAILed lines or died in an unhandled exception that hardware does not raise.
   */
  acceptedExits: number[];
  exitOk: boolean;
  ended: string;
  ms: number;
}

export function compare(name: string, qemu: TestLog, ours: OurRun): Comparison {
  const have = new Map<string, number>();
  for (const l of ours.lines) if (l.verdict === 'PASS') have.set(l.text, (have.get(l.text) ?? 0) + 1);
  const unmatched: string[] = [];
  for (const l of qemu.lines) {
    if (l.verdict !== 'PASS') continue;
    const n = have.get(l.text) ?? 0;
    if (n > 0) have.set(l.text, n - 1);
    else unmatched.push(l.text);
  }
  // Some lines print run-time values (xsave: an XCR index built from RDTSC): a PASS line that differs from
  // QEMU's only in its numbers is the same check passing.
  const haveMasked = new Map<string, number>();
  for (const [text, n] of have) if (n > 0) haveMasked.set(maskNumbers(text), (haveMasked.get(maskNumbers(text)) ?? 0) + n);
  const missing: string[] = [];
  for (const text of unmatched) {
    const n = haveMasked.get(maskNumbers(text)) ?? 0;
    if (n > 0) haveMasked.set(maskNumbers(text), n - 1);
    else missing.push(text);
  }
  // For each QEMU FAIL, our line for the same check: the k-th line with the same key.
  const used = new Set<number>();
  const qemuFails = qemu.lines
    .filter((l) => l.verdict === 'FAIL')
    .map((l) => {
      const key = lineKey(l.text);
      const k = ours.lines.findIndex((o, i) => !used.has(i) && lineKey(o.text) === key);
      if (k >= 0) used.add(k);
      return { qemu: l.text, ours: k >= 0 ? ours.lines[k] : undefined };
    });
  const hw = HW_ONLY_LINES[name];
  const hwOnly = (hw?.lines ?? []).map((line) => ({ line, ours: ours.lines.find((o) => o.text === line) }));
  const qemuBroken = qemuFails.length > 0 || qemu.unhandledException || hw !== undefined;
  const acceptedExits = qemuBroken && qemu.exitStatus !== 1 ? [qemu.exitStatus, 1] : [qemu.exitStatus];
  return {
    name,
    qemuPass: qemu.lines.filter((l) => l.verdict === 'PASS').length,
    oursPass: ours.lines.filter((l) => l.verdict === 'PASS').length,
    missing,
    qemuFails,
    hwOnly,
    qemuExit: qemu.exitStatus,
    oursExit: ours.exitStatus,
    acceptedExits,
    exitOk: acceptedExits.includes(ours.exitStatus),
    ended: ours.ended,
    ms: ours.ms,
  };
}

export function loadQemuLog(name: string, dir = KUT_DIR): TestLog {
  return parseQemuLog(fs.readFileSync(path.join(dir, `${name}.qemu-tcg.log`), 'latin1'));
}
