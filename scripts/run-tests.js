#!/usr/bin/env node
// Runs every compiled test file under out/test with node's built-in test runner.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function collect(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) collect(p, out);
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const root = path.join(__dirname, '..', 'out', 'test');
const files = collect(root, []).sort();
const filter = process.argv.slice(2);
const chosen = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
if (chosen.length === 0) {
  console.error('no test files found under out/test (did the build run?)');
  process.exit(1);
}
// Guest RAM in huge pages, as the debug adapter runs (emulator/host-memory.ts): fewer host page faults per test machine.
const { withHostTunables } = require(path.join(__dirname, '..', 'out', 'emulator', 'host-memory.js'));
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...chosen], { stdio: 'inherit', env: withHostTunables(process.env) });
process.exit(r.status ?? 1);
