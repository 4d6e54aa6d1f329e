#!/usr/bin/env node
// Bundles the CLI, the debug adapter and the extension with esbuild into dist/.
'use strict';
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const entries = [
  // The CLI and the adapter: a small launcher each, which runs the bundle through V8's code cache
  // (emulator/compile-cache.ts).
  { in: 'emulator/cli-entry.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'emulator/cli.ts', out: 'dist/cli-main.js' },
  { in: 'debug-adapter/entry.ts', out: 'dist/debug-adapter.js' },
  { in: 'debug-adapter/main.ts', out: 'dist/debug-adapter-main.js' },
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
// VS Code for the Web: the extension with the emulator and the adapter inline, for a browser's worker extension
// host (no Node). Node's 'events'/'url' (used by @vscode/debugadapter), setImmediate, 'fs' (no local files) and
// 'zlib' (stored-block deflate for PNG frames) come from small shims;
// iced-x86's Node build reads its wasm with fs beside __dirname, so the web build inlines the wasm bytes.
const shims = path.join(__dirname, 'web-shims');
const icedWasmInline = {
  name: 'iced-x86-wasm-inline',
  setup(build) {
    build.onLoad({ filter: /iced-x86[\\/]iced_x86\.js$/ }, (a) => {
      let js = fs.readFileSync(a.path, 'utf8');
      const tail = /const path = require\('path'\)\.join\(__dirname, 'iced_x86_bg\.wasm'\);\s*const bytes = require\('fs'\)\.readFileSync\(path\);/;
      if (!tail.test(js)) throw new Error('iced-x86: the wasm loading code changed; update scripts/bundle.js');
      js = js.replace(tail, "const bytes = require('./iced_x86_bg.wasm');").replace('require(`util`)', 'globalThis');
      return { contents: js, loader: 'js', resolveDir: path.dirname(a.path) };
    });
  },
};
const webBuilds = [
  ['extension/web.ts', 'dist/web/extension.js'],
  // The adapter alone with the same settings, for test/web (driven with no Node globals).
  ['debug-adapter/web.ts', 'dist/web/debug-adapter.js'],
].map(([entry, out]) => esbuild.build({
  entryPoints: [path.join(root, entry)],
  outfile: path.join(root, out),
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode'],
  alias: {
    events: path.join(shims, 'events.js'), url: path.join(shims, 'url.js'),
    fs: path.join(shims, 'fs.js'), 'node:fs': path.join(shims, 'fs.js'), 'node:zlib': path.join(shims, 'zlib.js'),
  },
  inject: [path.join(shims, 'immediate.js')],
  define: { 'process.platform': '"browser"' },
  loader: { '.wasm': 'binary' },
  plugins: [icedWasmInline],
  logLevel: 'warning',
}));
Promise.all(webBuilds).catch(() => { process.exitCode = 1; });

// iced-x86 loads its wasm from beside its JS file; the bundles need it next to them.
const wasm = path.join(root, 'node_modules', 'iced-x86', 'iced_x86_bg.wasm');
if (fs.existsSync(wasm)) fs.copyFileSync(wasm, path.join(root, 'dist', 'iced_x86_bg.wasm'));
// SeaBIOS beside the bundles (firmware/seabios/, shipped in the .vsix): warn only here; npm run package insists.
const seabiosError = require('./copy-seabios').copySeabios();
if (seabiosError) process.stderr.write(`warning: ${seabiosError}; firmware boots will look in /usr/share/seabios\n`);
