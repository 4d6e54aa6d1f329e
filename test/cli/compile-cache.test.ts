import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The CLI's and the adapter's launchers run their bundles through V8's code cache (emulator/compile-cache.ts):
 * the first start writes the cache, later starts load it, a rebuilt bundle gets a new one in place of the old,
 * and a cache directory that cannot be written changes nothing but speed.
 */
const CACHE_MODULE = path.join(__dirname, '..', '..', 'emulator', 'compile-cache.js');

function launcher(dir: string): string {
  const file = path.join(dir, 'launch.js');
  fs.writeFileSync(file, `require(${JSON.stringify(CACHE_MODULE)}).runBundle(require('path').join(__dirname, 'main.js'), module, require);\n`);
  return file;
}

function run(file: string, cacheHome: string, extra: Record<string, string> = {}, args: string[] = []) {
  return spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome, FAULTLINE_NO_COMPILE_CACHE: '', ...extra } });
}

test('a bundle runs as the program through the launcher, and its code cache is written, reused and replaced', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-cc-'));
  const cacheHome = path.join(dir, 'cache');
  const bundle = path.join(dir, 'main.js');
  // What a bundle relies on: require.main === module, its own __filename/__dirname, require of Node modules.
  const body = (tag: string) => `"use strict";\nconst p = require('node:path');\nfunction f(n) { return n < 2 ? n : f(n - 1) + f(n - 2); }\n` +
    `if (require.main === module) console.log(${JSON.stringify(tag)}, p.basename(__filename), __dirname === ${JSON.stringify(dir)}, f(20));\n`;
  fs.writeFileSync(bundle, body('first'));
  const start = launcher(dir);
  const cacheDir = path.join(cacheHome, 'faultline', 'v8');
  let r = run(start, cacheHome);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'first main.js true 6765');
  const written = fs.readdirSync(cacheDir);
  assert.equal(written.length, 1);
  assert.match(written[0], /^main-[0-9a-f]{16}\.bin$/);
  const data = fs.readFileSync(path.join(cacheDir, written[0]));
  assert.ok(data.length > 0);
  // Loaded, not rewritten (same bytes, same file).
  r = run(start, cacheHome);
  assert.equal(r.stdout.trim(), 'first main.js true 6765');
  assert.deepEqual(fs.readdirSync(cacheDir), written);
  assert.deepEqual(fs.readFileSync(path.join(cacheDir, written[0])), data);
  // A rebuilt bundle (new size and time): its own cache, and the old one goes.
  fs.writeFileSync(bundle, body('second, rebuilt'));
  fs.utimesSync(bundle, new Date(), new Date(Date.now() + 5000));
  r = run(start, cacheHome);
  assert.equal(r.stdout.trim(), 'second, rebuilt main.js true 6765');
  const after = fs.readdirSync(cacheDir);
  assert.equal(after.length, 1);
  assert.notEqual(after[0], written[0]);
  // Off, or nowhere to write: the bundle still runs and nothing is written.
  fs.rmSync(cacheDir, { recursive: true });
  r = run(start, cacheHome, { FAULTLINE_NO_COMPILE_CACHE: '1' });
  assert.equal(r.stdout.trim(), 'second, rebuilt main.js true 6765');
  assert.equal(fs.existsSync(cacheDir), false);
  fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
  r = run(start, path.join(dir, 'not-a-dir'));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'second, rebuilt main.js true 6765');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a cache written by a run that compiled little is replaced by one that compiled much more, and only then', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-cc-'));
  const cacheHome = path.join(dir, 'cache');
  // A bundle whose bulk (as the emulator behind `faultline --help`) is compiled only when asked for.
  const lines = Array.from({ length: 400 }, (_, i) => `  s = (s * 31 + ${i} + (n ^ ${i})) % 1000003;`).join('\n');
  fs.writeFileSync(path.join(dir, 'main.js'), `"use strict";\nfunction bulk(n) {\n  let s = 0;\n${lines}\n  return s;\n}\n` +
    `console.log(process.argv[2] === 'more' ? bulk(7) : 'help');\n`);
  const start = launcher(dir);
  const cacheDir = path.join(cacheHome, 'faultline', 'v8');
  const cache = (): Buffer => fs.readFileSync(path.join(cacheDir, fs.readdirSync(cacheDir)[0]));
  assert.equal(run(start, cacheHome).stdout.trim(), 'help');
  const small = cache();
  const r = run(start, cacheHome, {}, ['more']);
  assert.equal(r.status, 0, r.stderr);
  const grown = cache();
  assert.ok(grown.length > 1.25 * small.length, `the cache was rewritten with bulk() compiled: ${small.length} -> ${grown.length} bytes`);
  // A later run that compiles less leaves the larger cache as it is.
  assert.equal(run(start, cacheHome).stdout.trim(), 'help');
  assert.deepEqual(cache(), grown);
  assert.equal(fs.readdirSync(cacheDir).length, 1);
  fs.rmSync(dir, { recursive: true, force: true });
});
