/**
 * `npm run fuzz` — random instruction streams in a sandboxed machine (see rig.ts for what a stream is).
 *
 *   node out/test/fuzz/run.js [--seed N] [--count N] [--start I] [--workers N] [--budget N] [--hang-ms N]
 *   node out/test/fuzz/run.js --seed N --only I     replay one stream and print its events
 *
 * Prints the count, time and outcome histogram; on a host exception or hang, the seed, index and code
 * bytes that reproduce it, and exits 1.
 */
import { FuzzRig, hex } from './rig';
import { runFuzz, FuzzSummary } from './driver';

const DEFAULT_SEED = 0x5eed;

function args(argv: string[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const v = Number(argv[++k]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${a} takes a non-negative number, not '${argv[k]}'`);
    o[a.slice(2)] = v;
  }
  return o;
}

function table(title: string, h: Record<string, number>, total: number): string {
  const rows = Object.entries(h).sort((a, b) => b[1] - a[1]);
  return `${title}:\n` + rows.map(([k, v]) => `  ${k.padEnd(40)} ${String(v).padStart(9)}  ${(100 * v / total).toFixed(2).padStart(6)}%`).join('\n');
}

export function report(s: FuzzSummary, seed: number): string {
  const lines = [
    `seed ${seed}: ${s.count} streams in ${(s.ms / 1000).toFixed(1)} s (${Math.round(s.count / (s.ms / 1000))} streams/s), ${s.exceptions} exceptions raised`,
    table('outcome', s.outcomes, s.count),
    table('first exception', s.firstExceptions, s.count),
    table('mode', s.modes, s.count),
  ];
  if (s.failures.length) {
    lines.push(`FAILURES (${s.failures.length}${s.failures.length >= 20 ? ' or more' : ''}; one per distinct error):`);
    const seen = new Set<string>();
    for (const f of s.failures) {
      const sig = `${f.kind} ${(f.error ?? '').split('\n').slice(0, 3).join(' ')}`;
      if (seen.has(sig)) continue;
      seen.add(sig);
      lines.push(`  ${f.kind} in stream ${f.index} (${f.mode ?? '?'}): reproduce with node out/test/fuzz/run.js --seed ${f.seed} --only ${f.index}`);
      if (f.code) lines.push(`    code: ${f.code}`);
      if (f.error) lines.push(`    ${f.error.split('\n').slice(0, 6).join('\n    ')}`);
    }
  } else lines.push('no host exceptions, no hangs');
  return lines.join('\n');
}

async function main(): Promise<number> {
  const o = args(process.argv.slice(2));
  const seed = o.seed ?? DEFAULT_SEED;
  if (o.only !== undefined) {
    const rig = new FuzzRig();
    rig.machine.on('exception', (e) => console.log(`  ${e.phase} ${e.name}${e.errorCode !== undefined ? `(0x${e.errorCode.toString(16)})` : ''} rip=0x${e.rip.toString(16)} ${e.reason}`));
    const r = rig.run(seed, o.only, o.budget ?? 100, true);
    console.log(`stream ${o.only} of seed ${seed}: mode ${r.mode}${r.hostilePaging ? ', hostile page tables' : ''}${r.hostileTables ? ', hostile descriptor tables' : ''}`);
    console.log(`code at 0x10000: ${hex(r.code)}`);
    console.log(`outcome: ${r.outcome}`);
    if (r.error) console.log(r.error);
    return r.error ? 1 : 0;
  }
  const count = o.count ?? 1_000_000;
  let lastShown = 0;
  const s = await runFuzz({
    seed, count, start: o.start, workers: o.workers ?? 2, budget: o.budget, hangMs: o['hang-ms'],
    onProgress: (done) => {
      if (process.stderr.isTTY && Date.now() - lastShown > 1000) { lastShown = Date.now(); process.stderr.write(`\r${done}/${count}`); }
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\r');
  console.log(report(s, seed));
  return s.failures.length ? 1 : 0;
}

if (require.main === module) {
  main().then((code) => { process.exitCode = code; }, (e) => { console.error(`fuzz: ${e instanceof Error ? e.message : e}`); process.exitCode = 2; });
}
