// `npm run conformance [NAME...]`: every kvm-unit-tests binary present (../shared/kvm-unit-tests and the
// FAULTLINE_KUT_DIR directories; except the sieve benchmark and the entries that need KVM) against QEMU TCG's
// recorded log. Prints one row per test and build, the lines we miss, separately the lines QEMU FAILs that
// hardware passes, and the entries left out with the reason.
// Exit status 1 if any line QEMU passes does not pass here or an exit status differs; 0 otherwise, and 0 with a
// note when no directory is present.
import * as fs from 'node:fs';
import { compare, Comparison, DEFAULT_LIMITS, EXTRA_KUT_DIRS, findTests, KUT_DIR, leftOutPresent, loadQemuLog, runTest } from './kut';
import { SUITE } from './kut-suite';

function pad(s: string | number, n: number): string {
  const t = String(s);
  return t.length >= n ? t : t + ' '.repeat(n - t.length);
}

function main(): number {
  const dirs = [KUT_DIR, ...EXTRA_KUT_DIRS].filter((d) => fs.existsSync(d));
  if (dirs.length === 0) {
    process.stdout.write(`kvm-unit-tests not found at ${KUT_DIR} (nor in FAULTLINE_KUT_DIR): nothing to compare (see issue 4 for how it is built).\n`);
    return 0;
  }
  const only = process.argv.slice(2);
  const tests = findTests().filter((t) => only.length === 0 || only.includes(t.name));
  const rows: Comparison[] = [];
  for (const t of tests) {
    const c = compare(t.name, loadQemuLog(t.name, t.dir), runTest(t.name, DEFAULT_LIMITS, t.dir));
    c.name = `${t.build}/${t.name}`;
    rows.push(c);
    process.stderr.write(`${c.name}: ${c.oursPass}/${c.qemuPass} in ${c.ms} ms (${c.ended})\n`);
  }
  const w = Math.max(4, ...rows.map((r) => r.name.length)) + 2;
  const head = `${pad('test', w)}${pad('QEMU PASS', 11)}${pad('ours PASS', 11)}${pad('QEMU-only', 11)}${pad('exit ours/QEMU', 16)}time`;
  const out: string[] = [head, '-'.repeat(head.length + 6)];
  let qemuTotal = 0;
  let matched = 0;
  let bad = 0;
  for (const r of rows) {
    qemuTotal += r.qemuPass;
    matched += r.qemuPass - r.missing.length;
    if (r.missing.length || !r.exitOk) bad++;
    const exit = `${r.oursExit}/${r.qemuExit}${r.exitOk ? (r.oursExit === r.qemuExit ? '' : ' (hw)') : ' ✗'}`;
    out.push(`${pad(r.name, w)}${pad(r.qemuPass, 11)}${pad(r.oursPass, 11)}${pad(r.missing.length, 11)}${pad(exit, 16)}${(r.ms / 1000).toFixed(1)} s${r.ended === 'exit' ? '' : ` (${r.ended})`}`);
  }
  out.push('-'.repeat(head.length + 6));
  out.push(`lines QEMU TCG passes that pass here too: ${matched}/${qemuTotal}`);
  out.push('"(hw)": QEMU FAILed lines or died on its own bug, so status 1 (all lines pass, as on hardware) is accepted.');
  out.push('Exit 124: the run hit its time limit (QEMU: the cfg timeout; ours: DEFAULT_LIMITS).');
  const smp = rows.filter((r) => (SUITE[r.name.split('/')[1]]?.smp ?? 1) > 1);
  if (smp.length) {
    out.push(`smp > 1 in unittests.cfg (${smp.map((r) => r.name).join(', ')}): run with that many CPUs, as QEMU's -smp.`);
  }
  const missing = rows.filter((r) => r.missing.length);
  if (missing.length) {
    out.push('', 'Lines QEMU passes that do not pass here:');
    for (const r of missing) for (const m of r.missing) out.push(`  ${r.name}: ${m}`);
  }
  const fails = rows.filter((r) => r.qemuFails.length || r.hwOnly.length);
  if (fails.length) {
    out.push('', 'Lines QEMU TCG FAILs or never reaches (hardware passes them), with our result:');
    for (const r of fails) {
      for (const f of r.qemuFails) {
        out.push(`  ${r.name}: QEMU FAIL: ${f.qemu}`);
        out.push(`  ${' '.repeat(r.name.length)}  ours ${f.ours ? `${f.ours.verdict}: ${f.ours.text}` : '(line not printed)'}`);
      }
      for (const h of r.hwOnly) {
        out.push(`  ${r.name}: QEMU never prints (its run hangs): ${h.line}`);
        out.push(`  ${' '.repeat(r.name.length)}  ours ${h.ours ? `${h.ours.verdict}: ${h.ours.text}` : '(line not printed)'}`);
      }
    }
  }
  const left = dirs.flatMap((d) => leftOutPresent(d));
  const seen = new Set<string>();
  const uniq = left.filter((l) => !seen.has(l.name) && seen.add(l.name));
  if (uniq.length) {
    out.push('', 'Left out (they need KVM itself; test/conformance/kut-suite.ts LEFT_OUT):');
    for (const l of uniq) out.push(`  ${l.name}: ${l.reason}`);
  }
  const bench = [...new Set(dirs.flatMap((d) => fs.readdirSync(d)).filter((f) => f.endsWith('.flat')).map((f) => f.slice(0, -5)))]
    .filter((n) => SUITE[n]?.benchmark !== undefined).sort();
  if (bench.length) {
    out.push('', 'Not run (measurements, no PASS lines):');
    const byWhy = new Map<string, string[]>();
    for (const n of bench) byWhy.set(SUITE[n].benchmark!, [...(byWhy.get(SUITE[n].benchmark!) ?? []), n]);
    for (const [why, ns] of byWhy) out.push(`  ${ns.join(', ')}: ${why}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return bad ? 1 : 0;
}

process.exitCode = main();
