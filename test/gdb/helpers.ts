import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Drive `faultline run KERNEL --gdb 0 --gdb-wait` (dist/cli.js) with Debian's gdb in batch mode. */

export const root = path.resolve(__dirname, '..', '..', '..');
export const cli = path.join(root, 'dist', 'cli.js');
export const fixture = (name: string) => path.join(root, 'fixtures', 'bin', name);
export const GDB = '/usr/bin/gdb';
export const haveGdb = fs.existsSync(GDB);

export interface Served {
  port: number;
  child: ChildProcess;
  /** Resolves with the CLI's exit status and everything it printed. */
  done: Promise<{ status: number | null; stdout: string; stderr: string }>;
}

/**
 * Start the CLI's gdb server on a free port, holding at the first instruction; resolves once it listens.
 * `kernel`: a kernel path, or the run arguments that name the guest (['--hda', IMG]).
 */
export function serve(kernel: string | string[], ...extra: string[]): Promise<Served> {
  const guest = typeof kernel === 'string' ? [kernel] : kernel;
  const child = spawn(process.execPath, [cli, 'run', ...guest, '--gdb', '0', '--gdb-wait', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`the gdb server did not start: ${stderr}`)); }, 20_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /gdb server on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) { clearTimeout(timer); resolve({ port: Number(m[1]), child, done }); }
    });
    child.on('close', () => { clearTimeout(timer); reject(new Error(`the CLI ended before listening: ${stderr}`)); });
  });
}

/** Run gdb -batch on `elf` (or on no file) with the commands (after `target remote`), returning its output. */
export function gdbBatch(elf: string | undefined, port: number, commands: string[]): string {
  const script = ['set pagination off', 'set confirm off', `target remote :${port}`, ...commands];
  const args = ['-nx', '-batch', ...script.flatMap((c) => ['-ex', c]), ...(elf ? [elf] : [])];
  // One stream for both, in the order gdb wrote them (monitor and O-packet text goes to stderr in batch mode).
  const r = spawnSync('sh', ['-c', '"$0" "$@" 2>&1', GDB, ...args], { encoding: 'utf8', timeout: 60_000 });
  return r.stdout;
}

/** gdb -batch as a child process (to signal it as a terminal's Ctrl-C does): its pid and its output when it ends. */
export function gdbBatchChild(elf: string, port: number, commands: string[]): { child: ChildProcess; output: Promise<string>; sofar(): string } {
  const script = ['set pagination off', 'set confirm off', `target remote :${port}`, ...commands];
  const child = spawn(GDB, ['-nx', '-batch', ...script.flatMap((c) => ['-ex', c]), elf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const output = new Promise<string>((resolve) => child.on('close', () => resolve(out)));
  return { child, output, sofar: () => out };
}

/**
 * Run a gdb session against a fresh server; the server is stopped afterwards whatever happens. gdb loads the
 * kernel's ELF unless `o.run` names the guest otherwise (a disk image: gdb then has no file).
 */
export async function session(kernel: string, commands: string[], o: { run?: string[]; extra?: string[] } = {}): Promise<{ gdb: string; cli: Awaited<Served['done']> }> {
  const s = await serve(o.run ?? kernel, ...(o.extra ?? []));
  try {
    const gdb = gdbBatch(o.run ? undefined : kernel, s.port, commands);
    s.child.kill();
    return { gdb, cli: await s.done };
  } finally {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  }
}

/** The value gdb printed for `p/x EXPR` as the nth `$N = 0x…` line. */
export function printed(out: string, n: number): bigint {
  const m = new RegExp(`^\\$${n} = (0x[0-9a-f]+)`, 'm').exec(out);
  if (!m) throw new Error(`no $${n} in gdb output:\n${out}`);
  return BigInt(m[1]);
}
