// `npm run conformance`: every kvm-unit-tests binary present (except the sieve benchmark) against QEMU TCG's
// recorded log. Prints one row per test and, separately, the lines QEMU FAILs that hardware passes.
// Exit status 1 if any line QEMU passes does not pass here or an exit status differs; 0 otherwise, and 0 with a
// note when ../shared/kvm-unit-tests is absent.
import * as fs from 'node:fs';
import { compare, Comparison, DEFAULT_LIMITS, EXTRA_KUT_DIR, findTests, KUT_DIR, loadQemuLog, OPTIONAL_TESTS, runTest } from './kut';

function pad(s: string | number, n: number): string {
  const t = String(s);
  return t.length >= n ? t : t + ' '.repeat(n - t.length);
}

function main(): number {
  if (!fs.existsSync(KUT_DIR) && !(EXTRA_KUT_DIR && fs.existsSync(EXTRA_KUT_DIR))) {
    process.stdout.write(`kvm-unit-tests not found at ${KUT_DIR}: nothing to compare (see issue 4 for how it is built).\n`);
    return 0;
  }
  const only = process.argv.slice(2);
  const all = findTests();
  for (const [name, how] of Object.entries(OPTIONAL_TESTS)) {
    if (!all.some((t) => t.name === name)) process.stderr.write(`${name}: skipped: ${how}\n`);
  }
  const rows: Comparison[] = [];
  for (const { name, dir } of all.filter((t) => only.length === 0 || only.includes(t.name))) {
    const c = compare(name, loadQemuLog(name, dir), runTest(name, DEFAULT_LIMITS, dir));
    rows.push(c);
    process.stderr.write(`${name}: ${c.oursPass}/${c.qemuPass} in ${c.ms} ms (${c.ended})\n`);
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
  const missing = rows.filter((r) => r.missing.length);
  if (missing.length) {
    out.push('', 'Lines QEMU passes that do not pass here:');
    for (const r of missing) for (const m of r.missing) out.push(`  ${r.name}: ${m}`);
  }
  const fails = rows.filter((r) => r.qemuFails.length);
  if (fails.length) {
    out.push('', 'Lines QEMU TCG FAILs (hardware passes them), with our result:');
    for (const r of fails) {
      for (const f of r.qemuFails) {
        out.push(`  ${r.name}: QEMU FAIL: ${f.qemu}`);
        out.push(`  ${' '.repeat(r.name.length)}  ours ${f.ours ? `${f.ours.verdict}: ${f.ours.text}` : '(line not printed)'}`);
      }
    }
  }
  process.stdout.write(out.join('\n') + '\n');
  return bad ? 1 : 0;
}

process.exitCode = main();
