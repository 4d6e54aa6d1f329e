#!/usr/bin/env node
// Bundles the CLI, the debug adapter and the extension with esbuild into dist/.
'use strict';
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const entries = [
  { in: 'emulator/cli.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'debug-adapter/main.ts', out: 'dist/debug-adapter.js' },
  // The same adapter as a library (no stdio side effects) for the extension's in-process mode.
  { in: 'debug-adapter/index.ts', out: 'dist/debug-adapter-inline.js' },
  { in: 'extension/extension.ts', out: 'dist/extension.js', external: ['vscode'] },
];
for (const e of entries) {
  if (!fs.existsSync(path.join(root, e.in))) continue;
  esbuild.buildSync({
    entryPoints: [path.join(root, e.in)],
    outfile: path.join(root, e.out),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    external: e.external ?? [],
    banner: e.banner ? { js: e.banner } : undefined,
    logLevel: 'warning',
  });
}
// iced-x86 loads its wasm from beside its JS file; the bundles need it next to them.
const wasm = path.join(root, 'node_modules', 'iced-x86', 'iced_x86_bg.wasm');
if (fs.existsSync(wasm)) fs.copyFileSync(wasm, path.join(root, 'dist', 'iced_x86_bg.wasm'));
// SeaBIOS beside the bundles (firmware/seabios/, shipped in the .vsix): warn only here; npm run package insists.
const seabiosError = require('./copy-seabios').copySeabios();
if (seabiosError) process.stderr.write(`warning: ${seabiosError}; firmware boots will look in /usr/share/seabios\n`);
