/**
 * VS Code for the Web: the browser bundles run with no Node. dist/web/debug-adapter.js (the adapter and the
 * emulator built exactly as in dist/web/extension.js) is evaluated in a fresh vm context holding only what a
 * browser worker has (no require, process, Buffer, setImmediate, fs); files come through the AdapterHost
 * interface from an in-memory file table, as vscode.workspace.fs gives them in the browser. A plain DAP
 * session then boots the stack-overflow fixture to its #DF, reads the stack, memory (base64), disassembly
 * (iced-x86's wasm inlined) and the fault chain. The web extension bundle loads requiring only 'vscode'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { fixture, hasFixture, ROOT } from '../adapter/helpers';

const SEABIOS = '/usr/share/seabios';
const VGA_BIOS = path.join(SEABIOS, 'vgabios-stdvga.bin');

interface Msg { type: string; seq: number; command?: string; event?: string; success?: boolean; message?: string; body?: any } // eslint-disable-line @typescript-eslint/no-explicit-any

/** A browser's MessageChannel, except that its port does not keep node's test process alive once the test ends. */
class WorkerMessageChannel extends MessageChannel {
  constructor() {
    super();
    const port = this.port1;
    Object.defineProperty(port, 'onmessage', {
      set(fn: (e: unknown) => void) { port.addEventListener('message', fn as never); port.start(); port.unref(); },
    });
  }
}

/** Globals of a browser worker (what VS Code's web worker extension host offers), nothing from Node. */
function workerContext(require: (id: string) => unknown): vm.Context {
  const module = { exports: {} as Record<string, unknown> };
  return vm.createContext({
    console, setTimeout, clearTimeout, setInterval, clearInterval, queueMicrotask, MessageChannel: WorkerMessageChannel,
    TextEncoder, TextDecoder, atob, btoa, URL, WebAssembly: (globalThis as { WebAssembly?: unknown }).WebAssembly, performance, module, exports: module.exports, require,
  });
}

function load(bundle: string, require: (id: string) => unknown): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const file = path.join(ROOT, 'dist', 'web', bundle);
  assert.ok(fs.existsSync(file), `${file} is missing: run npm run build`);
  const ctx = workerContext(require);
  vm.runInContext(fs.readFileSync(file, 'utf8'), ctx, { filename: file });
  return ctx.module.exports;
}

test('the web adapter bundle runs a DAP session to the #DF with no Node globals', { skip: (!hasFixture('stack-overflow-seed') && 'fixture missing') || (!fs.existsSync(path.join(SEABIOS, 'bios-256k.bin')) && 'SeaBIOS is not installed') }, async () => {
  const required: string[] = [];
  const lib = load('debug-adapter.js', (id) => { required.push(id); throw new Error(`no module ${id} in a browser`); });
  assert.deepEqual(required, []);
  const files = new Map<string, Uint8Array>([['/ws/build/kernel.elf', new Uint8Array(fs.readFileSync(fixture('stack-overflow-seed')))]]);
  const host = {
    cwd: () => '/ws',
    readFile: async (p: string) => { const b = files.get(p); if (!b) throw new Error(`${p} does not exist`); return b; },
    exists: async (p: string) => files.has(p),
    path: lib.posixPath,
    // As web-adapter.ts reads the copies in the .vsix: the kernel boots through SeaBIOS (the default).
    firmware: async () => ({ bios: new Uint8Array(fs.readFileSync(path.join(SEABIOS, 'bios-256k.bin'))), vgaBios: new Uint8Array(fs.readFileSync(VGA_BIOS)) }),
  };
  const session = lib.createFaultlineSession(undefined, host);
  const waiting = new Map<string, (m: Msg) => void>();
  const seen: Msg[] = [];
  session.onDidSendMessage((m: Msg) => {
    seen.push(m);
    const key = m.type === 'event' ? `event:${m.event}` : `response:${m.command}`;
    const w = waiting.get(key);
    if (w) { waiting.delete(key); w(m); }
  });
  let seq = 1;
  const next = (key: string) => new Promise<Msg>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${key} within 60 s; saw ${seen.map((m) => `${m.event ?? m.command}${m.success === false ? ` (${m.message})` : m.event === 'output' ? ` (${m.body?.output})` : ''}`).join(', ')}`)), 60_000);
    waiting.set(key, (m) => { clearTimeout(t); resolve(m); });
  });
  const request = (command: string, args: object = {}) => {
    const r = next(`response:${command}`);
    session.handleMessage({ type: 'request', seq: seq++, command, arguments: args });
    return r;
  };

  assert.equal((await request('initialize', { adapterID: 'faultline', pathFormat: 'path', linesStartAt1: true })).success, true);
  // A path the host does not have: one sentence, no crash.
  const missing = await request('launch', { kernel: 'build/nope.elf' });
  assert.equal(missing.success, false);
  assert.match(missing.message!, /kernel \/ws\/build\/nope\.elf does not exist/);
  // A host whose SeaBIOS cannot be read: one sentence that names the way out.
  const noBios = lib.createFaultlineSession(undefined, { ...host, firmware: async () => { throw new Error('SeaBIOS (firmware/seabios/bios-256k.bin) is missing from the extension; reinstall Faultline'); } });
  const noBiosOut: Msg[] = [];
  noBios.onDidSendMessage((m: Msg) => noBiosOut.push(m));
  noBios.handleMessage({ type: 'request', seq: 1, command: 'initialize', arguments: { adapterID: 'faultline' } });
  noBios.handleMessage({ type: 'request', seq: 2, command: 'launch', arguments: { kernel: '/ws/build/kernel.elf' } });
  for (let i = 0; i < 200 && !noBiosOut.some((m) => m.command === 'launch'); i++) await new Promise((r) => setTimeout(r, 20));
  const noBiosLaunch = noBiosOut.find((m) => m.command === 'launch');
  assert.equal(noBiosLaunch?.success, false);
  assert.match(noBiosLaunch!.message!, /bios-256k\.bin\) is missing from the extension; reinstall Faultline; or set "firmware": "none"/);
  noBios.dispose();

  const session2 = lib.createFaultlineSession(undefined, host);
  session.dispose();
  waiting.clear();
  session2.onDidSendMessage((m: Msg) => {
    seen.push(m);
    const key = m.type === 'event' ? `event:${m.event}` : `response:${m.command}`;
    const w = waiting.get(key);
    if (w) { waiting.delete(key); w(m); }
  });
  const request2 = (command: string, args: object = {}) => {
    const r = next(`response:${command}`);
    session2.handleMessage({ type: 'request', seq: seq++, command, arguments: args });
    return r;
  };
  await request2('initialize', { adapterID: 'faultline', pathFormat: 'path', linesStartAt1: true });
  const initialized = next('event:initialized');
  const launched = request2('launch', { kernel: '${workspaceFolder}/build/kernel.elf'.replace('${workspaceFolder}', '/ws') });
  await initialized;
  await request2('setExceptionBreakpoints', { filters: ['double-fault'] });
  const stopped = next('event:stopped');
  await request2('configurationDone');
  assert.equal((await launched).success, true, JSON.stringify(seen.filter((m) => m.type === 'response' && !m.success)));
  const stop = await stopped;
  assert.equal(stop.body.reason, 'exception');
  assert.match(stop.body.text ?? stop.body.description ?? '', /#DF|double fault/i, JSON.stringify(stop.body));

  const info = await request2('exceptionInfo', { threadId: 1 });
  assert.match(info.body.exceptionId, /#DF/);
  const stack = await request2('stackTrace', { threadId: 1, startFrame: 0, levels: 20 });
  assert.ok(stack.body.stackFrames.length > 0);
  const pc = stack.body.stackFrames[0].instructionPointerReference as string;
  const mem = await request2('readMemory', { memoryReference: pc, offset: 0, count: 16 });
  assert.equal(mem.success, true);
  assert.equal(atob(mem.body.data).length, 16);
  const dis = await request2('disassemble', { memoryReference: pc, instructionOffset: 0, instructionCount: 4, resolveSymbols: true });
  assert.equal(dis.success, true, dis.message);
  assert.equal(dis.body.instructions.length, 4);
  assert.ok(dis.body.instructions.every((i: { instruction: string }) => i.instruction && !/unknown|invalid/i.test(i.instruction)), JSON.stringify(dis.body.instructions));
  const chain = await request2('faultline/faultChain');
  assert.equal(chain.success, true);
  assert.ok(chain.body.links.some((l: { vector: number }) => l.vector === 8), JSON.stringify(chain.body.links?.map((l: { vector: number }) => l.vector)));
  const gdbPort = await (async () => {
    const s3 = lib.createFaultlineSession(undefined, host);
    const out: Msg[] = [];
    s3.onDidSendMessage((m: Msg) => out.push(m));
    s3.handleMessage({ type: 'request', seq: 1, command: 'initialize', arguments: { adapterID: 'faultline' } });
    s3.handleMessage({ type: 'request', seq: 2, command: 'launch', arguments: { kernel: '/ws/build/kernel.elf', gdbPort: 0 } });
    for (let i = 0; i < 200 && !out.some((m) => m.command === 'launch'); i++) await new Promise((r) => setTimeout(r, 20));
    return out.find((m) => m.command === 'launch');
  })();
  assert.equal(gdbPort?.success, false);
  assert.match(gdbPort!.message!, /gdbPort.*desktop adapter/);
  await request2('disconnect', { terminateDebuggee: true });
});

test('source paths cross DAP as the workspace\'s URIs when the host maps them (a browser workspace not on file:)', { skip: (!hasFixture('stack-overflow-no-ist') && 'fixture missing') || (!fs.existsSync(path.join(SEABIOS, 'bios-256k.bin')) && 'SeaBIOS is not installed') }, async () => {
  const lib = load('debug-adapter.js', (id) => { throw new Error(`no module ${id} in a browser`); });
  const kernel = new Uint8Array(fs.readFileSync(fixture('stack-overflow-no-ist')));
  // As extension/web-adapter.ts maps them for a vscode-remote: folder: host paths are the URI's path.
  const base = 'vscode-remote://127.0.0.1:8080';
  const host = {
    cwd: () => '/ws',
    readFile: async (p: string) => { if (p !== '/ws/build/kernel.elf') throw new Error(`${p} does not exist`); return kernel; },
    exists: async (p: string) => p === '/ws/build/kernel.elf',
    path: lib.posixPath,
    clientPath: (p: string) => base + p,
    hostPath: (c: string) => c.startsWith(base) ? c.slice(base.length) : c,
    // As web-adapter.ts reads the copy in the .vsix; here the seabios package's, when installed.
    vgaBios: async () => fs.existsSync(VGA_BIOS) ? new Uint8Array(fs.readFileSync(VGA_BIOS)) : undefined,
    firmware: async () => ({ bios: new Uint8Array(fs.readFileSync(path.join(SEABIOS, 'bios-256k.bin'))) }),
  };
  const session = lib.createFaultlineSession(undefined, host);
  const seen: Msg[] = [];
  const waiting = new Map<string, (m: Msg) => void>();
  session.onDidSendMessage((m: Msg) => {
    seen.push(m);
    const w = waiting.get(m.type === 'event' ? `event:${m.event}` : `response:${m.command}`);
    if (w) { waiting.delete(m.type === 'event' ? `event:${m.event}` : `response:${m.command}`); w(m); }
  });
  const next = (key: string) => new Promise<Msg>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${key} within 60 s; saw ${seen.map((m) => m.event ?? m.command).join(', ')}`)), 60_000);
    waiting.set(key, (m) => { clearTimeout(t); resolve(m); });
  });
  let seq = 1;
  const request = (command: string, args: object = {}) => {
    const r = next(`response:${command}`);
    session.handleMessage({ type: 'request', seq: seq++, command, arguments: args });
    return r;
  };
  await request('initialize', { adapterID: 'faultline', pathFormat: 'path', linesStartAt1: true });
  const initialized = next('event:initialized');
  const launched = request('launch', { kernel: '/ws/build/kernel.elf' });
  await initialized;
  // handlers.c:30 is stack_overflow's recursive call; VS Code sends the editor's URI as source.path.
  const handlers = `${base}/ws/fixtures/src/common/handlers.c`;
  const bps = await request('setBreakpoints', { source: { path: handlers }, breakpoints: [{ line: 30 }] });
  assert.equal(bps.body.breakpoints[0].verified, true, JSON.stringify(bps.body));
  assert.equal(bps.body.breakpoints[0].source.path, handlers);
  await request('setExceptionBreakpoints', { filters: [] });
  const stopped = next('event:stopped');
  await request('configurationDone');
  assert.equal((await launched).success, true);
  assert.equal((await stopped).body.reason, 'breakpoint');
  const stack = await request('stackTrace', { threadId: 1, startFrame: 0, levels: 5 });
  const top = stack.body.stackFrames[0];
  assert.equal(top.source.path, handlers, JSON.stringify(top));
  assert.equal(top.source.name, 'handlers.c');
  assert.equal(top.line, 30);
  const idt = await request('faultline/idt');
  const gate8 = idt.body.gates.find((g: { vector: number }) => g.vector === 8);
  assert.ok(gate8?.source?.path?.startsWith(`${base}/ws/fixtures/src/`), JSON.stringify(gate8));
  // VGA text drawn as pixels with the font of the VGA BIOS the host gave (the fs shim has no /usr/share/seabios).
  if (fs.existsSync(VGA_BIOS)) {
    const frame = await request('faultline/frame', {});
    assert.equal(frame.body.available, true, JSON.stringify(frame.body));
    assert.equal(frame.body.mode, 'text');
    assert.deepEqual([frame.body.width, frame.body.height], [720, 400]);
  }
  await request('disconnect', { terminateDebuggee: true });
});

test('the web extension bundle loads requiring nothing but vscode', () => {
  const required: string[] = [];
  // Only module loading is checked here (activate needs a real VS Code): an object for 'vscode', an error for anything else.
  const exp = load('extension.js', (id) => { required.push(id); if (id === 'vscode') return {}; throw new Error(`no module ${id} in a browser`); });
  assert.ok([...new Set(required)].every((id) => id === 'vscode'), required.join(', '));
  assert.equal(typeof exp.activate, 'function');
});

test('package.json points VS Code for the Web at the web bundle', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.browser, './dist/web/extension.js');
});
