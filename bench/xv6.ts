import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { DiskImage } from '../emulator/devices/disk-image';
import { loadFirmware } from '../emulator/firmware/seabios';
import { Machine } from '../emulator/machine';
import { xv6Dir, xv6QemuArgs } from '../test/support/xv6';

/**
 * xv6's `usertests` in `npm run bench` (alone: `npm run bench -- --only xv6`): unmodified xv6-public from its two
 * IDE images (built locally, never committed: test/support/xv6.ts says where they are looked for; skipped when
 * absent), booted by SeaBIOS with 512 MiB and one CPU as xv6's Makefile runs QEMU. At the first shell prompt
 * `usertests` is typed on COM1; the run ends at "ALL TESTS PASSED". Ours: instructions and wall time from power-on
 * to the prompt and from typing to the pass line; QEMU TCG: the same two spans in the same run. The two
 * transcripts from `usertests starting` to the pass line must be the same text (xv6 prints pids and fault
 * addresses, which agree when the machines do). Ours runs in its own process:
 *   node out/bench/xv6.js DIR     prints one JSON line (Xv6Result)
 */
export interface Xv6Result {
  promptInstructions: number;
  promptS: number;
  /** From typing `usertests` to ALL TESTS PASSED (or the stop). */
  testInstructions: number;
  testS: number;
  stop: string;
  transcript: string;
}

const COMMAND = 'usertests\n';
const PASSED = 'ALL TESTS PASSED';
/** usertests retires about 6.3e9 instructions here; well past that something is wrong. */
const MAX = 40_000_000_000;

/** The usertests part of a serial transcript (from its first line to the pass line), or '' when absent. */
function usertestsPart(serial: string): string {
  const a = serial.indexOf('usertests starting');
  const b = serial.indexOf(PASSED);
  return a >= 0 && b > a ? serial.slice(a, b + PASSED.length).replace(/\r/g, '') : '';
}

function runOurs(dir: string): void {
  const t0 = process.hrtime.bigint();
  const fw = loadFirmware();
  const m = Machine.create({
    memoryMB: 512, onTripleFault: 'stop',
    board: { bios: fw.bios, vgaBios: fw.vgaBios, hda: DiskImage.open(path.join(dir, 'xv6.img')), hdb: DiskImage.open(path.join(dir, 'fs.img')) },
  });
  let serial = '';
  m.on('serial', (b: number) => { serial += String.fromCharCode(b); });
  m.bootFirmware();
  let prompt: { n: number; t: bigint } | undefined;
  let stop = m.run(1);
  // Slices of 10 M instructions: the prompt is typed at the end of the slice that printed it (xv6 waits for it).
  while (stop.reason === 'budget' && m.instructionCount < MAX && !serial.includes(PASSED)) {
    if (!prompt && serial.includes('$ ')) {
      prompt = { n: m.instructionCount, t: process.hrtime.bigint() };
      m.sendSerial([...Buffer.from(COMMAND)]);
    }
    stop = m.run(10_000_000);
  }
  const t1 = process.hrtime.bigint();
  const s = (a: bigint, b: bigint): number => Number(b - a) / 1e9;
  const r: Xv6Result = {
    promptInstructions: prompt?.n ?? -1, promptS: prompt ? s(t0, prompt.t) : -1,
    testInstructions: prompt ? m.instructionCount - prompt.n : -1, testS: prompt ? s(prompt.t, t1) : -1,
    stop: serial.includes(PASSED) ? 'passed' : stop.reason === 'budget' ? `no "${PASSED}" after ${m.instructionCount} instructions` : stop.reason,
    transcript: usertestsPart(serial),
  };
  console.log(JSON.stringify(r));
}

/** QEMU TCG: seconds from start to the prompt and from typing `usertests` to the pass line, and the transcript. */
function qemuUsertests(dir: string): Promise<{ promptS: number; testS: number; transcript: string } | undefined> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let out = '';
    let typed: bigint | undefined;
    let done = false;
    const p = spawn('qemu-system-x86_64', xv6QemuArgs(dir), { stdio: ['pipe', 'pipe', 'ignore'] });
    const timer = setTimeout(() => p.kill(), 600_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (typed === undefined && out.includes('$ ')) {
        typed = process.hrtime.bigint();
        p.stdin.write(COMMAND);
      }
      if (typed !== undefined && !done && out.includes(PASSED)) {
        done = true;
        const now = process.hrtime.bigint();
        clearTimeout(timer);
        p.kill();
        resolve({ promptS: Number(typed - t0) / 1e9, testS: Number(now - typed) / 1e9, transcript: usertestsPart(out) });
      }
    });
    p.on('error', () => { clearTimeout(timer); resolve(undefined); });
    p.on('exit', () => { clearTimeout(timer); if (!done) resolve(undefined); });
  });
}

export async function benchXv6(): Promise<void> {
  const dir = xv6Dir();
  console.log('xv6 usertests: xv6-public from its IDE images through SeaBIOS, 512 MiB; `usertests` typed at the first prompt');
  if (!dir) { console.log('  skipped: no xv6.img/fs.img (see test/support/xv6.ts)'); return; }
  let fwMissing: string | undefined;
  try { loadFirmware(); } catch (e) { fwMissing = (e as Error).message; }
  if (fwMissing) { console.log(`  skipped: ${fwMissing}`); return; }
  const r = spawnSync(process.execPath, [__filename, dir], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) { console.log(`  ours failed: ${r.stderr || r.stdout}`); return; }
  const o = JSON.parse(line) as Xv6Result;
  const mips = (n: number, s: number): string => (n / s / 1e6).toFixed(1);
  console.log(`  ours: prompt after ${o.promptInstructions.toLocaleString('en-US')} instructions, ${o.promptS.toFixed(1)} s; usertests ${o.stop} after ` +
    `${o.testInstructions.toLocaleString('en-US')} instructions, ${o.testS.toFixed(1)} s (${mips(o.testInstructions, o.testS)} MIPS)`);
  const q = await qemuUsertests(dir);
  if (!q) { console.log('  QEMU: not installed, or it did not pass usertests in 600 s'); return; }
  const same = q.transcript !== '' && q.transcript === o.transcript;
  console.log(`  QEMU TCG: prompt ${q.promptS.toFixed(1)} s, usertests ${q.testS.toFixed(1)} s; ours/QEMU usertests time = ${(o.testS / q.testS).toFixed(2)}×; ` +
    `transcripts ${same ? 'identical' : 'DIFFER'} (${q.transcript.split('\n').length} lines)`);
}

if (require.main === module) runOurs(process.argv[2]);
