import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BootError } from '../../emulator/boot';
import { Machine } from '../../emulator/machine';
import { runFuzz } from './driver';
import { Rng } from './rig';

/**
 * The fixed-seed slice of `npm run fuzz` (test/fuzz/run.ts): random instruction streams with random page
 * tables and descriptor tables, in every mode, must each end in a guest-visible outcome: no host exception,
 * no hang (each worker has a wall-clock watchdog). Plus mutated fixture kernels through the boot loader.
 */
const SEED = 0x5eed;
const COUNT = 20_000;

describe('fuzz: random instruction streams', () => {
  it(`${COUNT} streams of seed ${SEED} end in budget, halt, exit or triple fault, never a host error or hang`, async () => {
    const s = await runFuzz({ seed: SEED, count: COUNT, workers: 2, hangMs: 30_000 });
    const failures = s.failures.map((f) => `${f.kind} in stream ${f.index} (node out/test/fuzz/run.js --seed ${f.seed} --only ${f.index}): ${f.error?.split('\n').slice(0, 3).join(' ')}`);
    assert.deepEqual(failures, []);
    assert.equal(s.count, COUNT);
    const known = new Set(['budget', 'halt', 'triple fault', 'exit']);
    for (const k of Object.keys(s.outcomes)) assert.ok(known.has(k), `unexpected outcome ${k}`);
    // The generator reaches every kind of ending and every mode (a guard against a rig that stopped fuzzing).
    for (const k of ['budget', 'halt', 'triple fault']) assert.ok((s.outcomes[k] ?? 0) > COUNT / 1000, `outcome ${k}: ${s.outcomes[k]}`);
    for (const m of ['long64', 'prot32', 'prot32-paging', 'prot32-pae', 'compat32']) assert.ok((s.modes[m] ?? 0) > 0, `mode ${m}`);
    for (const v of ['#PF', '#GP', '#UD', '#DE', '#BP']) assert.ok((s.firstExceptions[v] ?? 0) > 0, `first exception ${v}`);
  });
});

describe('fuzz: mutated kernel files', () => {
  it('byte-mutated fixture ELFs either boot and run or are refused with a BootError sentence', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const files = ['pf-missing-idt.elf', 'mb2-info.elf', 'c-workload.elf', 'rust-ist.elf'].map((f) => new Uint8Array(fs.readFileSync(path.join(root, 'fixtures', 'bin', f))));
    const m = Machine.create({ memoryMB: 16, onTripleFault: 'stop' });
    const outcomes = new Map<string, number>();
    for (let n = 0; n < 400; n++) {
      const rng = new Rng(SEED, n);
      const orig = files[n % files.length];
      const k = orig.slice(0, rng.chance(0.2) ? rng.below(orig.length) : orig.length);
      // Mutate the headers most of the time (that is where the loader looks), the body sometimes.
      const edits = 1 + rng.below(8);
      for (let e = 0; e < edits; e++) {
        const at = rng.chance(0.7) ? rng.below(Math.min(k.length, 0x2000)) : rng.below(Math.max(1, k.length));
        k[at] = rng.chance(0.5) ? rng.below(256) : rng.pick([0, 0xff, 0x7f, 0x80, 1]);
      }
      let outcome: string;
      try {
        m.boot(k);
        outcome = m.run(20_000).reason;
      } catch (e) {
        if (!(e instanceof BootError)) throw new Error(`mutation ${n} of seed ${SEED}: ${e instanceof Error ? e.stack : e}`);
        assert.match(e.message, /^[^\n]+$/, 'one line');
        outcome = 'refused';
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    assert.ok((outcomes.get('refused') ?? 0) > 0 && outcomes.size > 1, JSON.stringify([...outcomes]));
  });
});
