#!/usr/bin/env node
// Record a local kvm-unit-tests build in the layout of ../shared/kvm-unit-tests/README.md, for `npm run conformance`
// and the conformance test through FAULTLINE_KUT_DIR:
// OUT/ENTRY.flat (the entry's `file`, copied under the entry's name) and OUT/ENTRY.qemu-tcg.log (QEMU TCG's
// serial output, last line `qemu-exit-status: N`; 124 when the cfg timeout ends the run, as timeout(1)).
// The command line is the README's plus the entry's -smp, -append (test_args) and qemu_params, from the
// build's x86/unittests.cfg. Entries in kut-suite.ts LEFT_OUT (they need KVM) are not recorded.
//
// usage (after npm run build; SRC_BUILD_DIR: an upstream checkout after `./configure --arch=ARCH && make`):
//   node scripts/record-kut.js SRC_BUILD_DIR OUT_DIR x86_64|i386 [--bench] [--only NAME,NAME]
// --bench also records the benchmark entries (vmexit_*, sieve). Nothing from upstream is committed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const [src, out, arch] = process.argv.slice(2, 5);
if (!src || !out || (arch !== 'x86_64' && arch !== 'i386')) {
  console.error('usage: node scripts/record-kut.js SRC_BUILD_DIR OUT_DIR x86_64|i386 [--bench] [--only NAME,NAME]');
  process.exit(2);
}
const withBench = process.argv.includes('--bench');
const onlyIdx = process.argv.indexOf('--only');
const only = onlyIdx > 0 ? new Set(process.argv[onlyIdx + 1].split(',')) : undefined;
const { SUITE, LEFT_OUT } = require(path.join(__dirname, '..', 'out', 'test', 'conformance', 'kut-suite.js'));

/** unittests.cfg as [{name, file, smp, test_args, qemu_params, arch, timeout, ...}]. */
function parseCfg(text) {
  const entries = [];
  let cur;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) { cur = { name: sec[1] }; entries.push(cur); continue; }
    const kv = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (kv && cur) cur[kv[1]] = kv[2].trim();
  }
  return entries;
}

/** A cfg value as the shell (upstream's runner evals it) splits it: quotes removed, whitespace separated. */
function shellWords(s) {
  const words = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  let m;
  while ((m = re.exec(s)) !== null) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

function run(args, timeoutS) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    let stderr = '';
    let timedOut = false;
    p.stdout.on('data', (d) => chunks.push(d));
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; p.kill('SIGTERM'); setTimeout(() => p.kill('SIGKILL'), 1000); }, timeoutS * 1000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ serial: Buffer.concat(chunks), status: timedOut ? 124 : code ?? 128, stderr, s: (Date.now() - t0) / 1000 });
    });
  });
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const cfg = parseCfg(fs.readFileSync(path.join(src, 'x86', 'unittests.cfg'), 'utf8'));
  const summary = [];
  for (const e of cfg) {
    if (only && !only.has(e.name)) continue;
    if (LEFT_OUT[e.name] !== undefined) continue;
    if (e.arch && e.arch !== arch) continue;
    const s = SUITE[e.name];
    if (!s) { summary.push(`${e.name}: in unittests.cfg but neither in SUITE nor LEFT_OUT (not recorded)`); continue; }
    if (s.benchmark && !withBench) continue;
    const flat = path.join(src, 'x86', e.file);
    if (!fs.existsSync(flat)) { summary.push(`${e.name}: ${e.file} was not built for ${arch}`); continue; }
    const extra = [];
    if (e.test_args) extra.push('-append', shellWords(e.test_args).join(' '));
    if (e.qemu_params) extra.push(...shellWords(e.qemu_params));
    // Our table's -cpu must be the cfg's (kut-suite.ts qemuCpu; qemu64 when absent).
    const cpuAt = extra.indexOf('-cpu');
    const cfgCpu = cpuAt >= 0 ? extra[cpuAt + 1] : undefined;
    if (cfgCpu !== s.qemuCpu) summary.push(`${e.name}: cfg -cpu ${cfgCpu} differs from kut-suite.ts qemuCpu ${s.qemuCpu}`);
    const dest = path.join(out, `${e.name}.flat`);
    fs.copyFileSync(flat, dest);
    const args = ['--no-reboot', '-nodefaults', '-device', 'pc-testdev', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4',
      '-display', 'none', '-serial', 'stdio', '-device', 'pci-testdev', '-machine', 'accel=tcg', '-m', '256',
      '-smp', e.smp ?? '1', '-kernel', dest, ...extra];
    const timeoutS = Number(e.timeout ?? 90);
    const r = await run(args, timeoutS);
    fs.writeFileSync(path.join(out, `${e.name}.qemu-tcg.log`),
      Buffer.concat([r.serial, Buffer.from(`${r.serial.length && r.serial[r.serial.length - 1] !== 10 ? '\n' : ''}qemu-exit-status: ${r.status}\n`)]));
    const text = r.serial.toString('latin1');
    const n = (v) => (text.match(new RegExp(`^${v}`, 'gm')) ?? []).length;
    const line = `${e.name}: status ${r.status}, ${n('PASS')} PASS, ${n('FAIL')} FAIL, ${n('SKIP')} SKIP, ${r.s.toFixed(1)} s` +
      (r.stderr.trim() ? ` (stderr: ${r.stderr.trim().split('\n')[0]})` : '');
    console.log(line);
    summary.push(line);
    fs.appendFileSync(path.join(out, 'RECORDED.txt'), `qemu-system-x86_64 ${args.join(' ')}\n  -> ${line}\n`);
  }
  console.log('---');
  for (const l of summary) console.log(l);
}

main();
