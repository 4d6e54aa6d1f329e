import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fixture, ROOT } from './helpers';

/**
 * `faultline dap` (stdio) and `faultline dap --port N` (TCP) driven as nvim-dap, dap-mode and Helix drive an
 * adapter: plain Content-Length-framed DAP with the requests every client sends (initialize with their
 * capabilities, launch, setBreakpoints by source path, setExceptionBreakpoints, configurationDone, threads,
 * stackTrace, scopes, variables, next, continue, disconnect) and no VS Code-only request or library.
 */
const CLI = path.join(ROOT, 'dist', 'cli.js');

class DapClient {
  private seq = 1;
  private buf = Buffer.alloc(0);
  private pending = new Map<number, (m: Msg) => void>();
  private events: Msg[] = [];
  private eventWaiters: { name: string; resolve: (m: Msg) => void }[] = [];
  constructor(private readonly out: Writable, input: Readable) {
    input.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const head = this.buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const len = Number(/Content-Length: (\d+)/i.exec(this.buf.subarray(0, head).toString())?.[1]);
        if (this.buf.length < head + 4 + len) return;
        const msg = JSON.parse(this.buf.subarray(head + 4, head + 4 + len).toString()) as Msg;
        this.buf = this.buf.subarray(head + 4 + len);
        if (msg.type === 'response') this.pending.get(msg.request_seq!)?.(msg);
        else if (msg.type === 'event') {
          const w = this.eventWaiters.findIndex((x) => x.name === msg.event);
          if (w >= 0) this.eventWaiters.splice(w, 1)[0].resolve(msg); else this.events.push(msg);
        }
      }
    });
  }
  request(command: string, args: object = {}): Promise<Msg> {
    const seq = this.seq++;
    const json = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.out.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no response to ${command}`)), 20_000);
      this.pending.set(seq, (m) => { clearTimeout(t); resolve(m); });
    });
  }
  event(name: string): Promise<Msg> {
    const i = this.events.findIndex((e) => e.event === name);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${name} event`)), 20_000);
      this.eventWaiters.push({ name, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }
}

interface Msg { type: string; seq: number; request_seq?: number; command?: string; event?: string; success?: boolean; message?: string; body?: any } // eslint-disable-line @typescript-eslint/no-explicit-any

/** The session every editor runs: break at a C line, stop there, look at the stack and variables, step, continue to the end. */
async function editorSession(dc: DapClient): Promise<void> {
  const init = await dc.request('initialize', {
    clientID: 'neovim', clientName: 'nvim-dap', adapterID: 'faultline', pathFormat: 'path', linesStartAt1: true,
    columnsStartAt1: true, supportsRunInTerminalRequest: false, supportsVariableType: true, locale: 'en_US',
  });
  assert.equal(init.success, true);
  assert.equal(init.body.supportsConfigurationDoneRequest, true);
  const kernel = fixture('c32-bare-bones');
  const source = path.join(ROOT, 'fixtures', 'src', 'c32-bare-bones', 'kernel.c');
  const initialized = dc.event('initialized');
  const launched = dc.request('launch', { type: 'faultline', request: 'launch', name: 'kernel', kernel });
  await initialized;
  const bps = await dc.request('setBreakpoints', { source: { path: source }, breakpoints: [{ line: 57 }] });
  assert.equal(bps.body.breakpoints[0].verified, true, JSON.stringify(bps.body));
  await dc.request('setExceptionBreakpoints', { filters: [] });
  const stopped = dc.event('stopped');
  assert.equal((await dc.request('configurationDone')).success, true);
  assert.equal((await launched).success, true);
  const stop = await stopped;
  assert.equal(stop.body.reason, 'breakpoint');
  const threads = await dc.request('threads');
  const threadId = threads.body.threads[0].id;
  const stack = await dc.request('stackTrace', { threadId, startFrame: 0, levels: 20 });
  assert.deepEqual(stack.body.stackFrames.slice(0, 4).map((f: { name: string }) => f.name.replace(/[+\s].*$/, '')), ['divide', 'middle', 'outer', 'kmain']);
  assert.equal(stack.body.stackFrames[0].line, 57);
  assert.equal(stack.body.stackFrames[0].source.path, source);
  const scopes = await dc.request('scopes', { frameId: stack.body.stackFrames[0].id });
  assert.ok(scopes.body.scopes.length > 0);
  const names: string[] = [];
  for (const s of scopes.body.scopes) {
    const v = await dc.request('variables', { variablesReference: s.variablesReference });
    names.push(...v.body.variables.map((x: { name: string }) => x.name));
  }
  assert.ok(names.some((n) => /^eip$/i.test(n)), `EIP among the registers: ${names.join(', ')}`);
  const stepped = dc.event('stopped');
  assert.equal((await dc.request('next', { threadId })).success, true);
  await stepped;
  const terminated = dc.event('terminated');
  await dc.request('setBreakpoints', { source: { path: source }, breakpoints: [] });
  await dc.request('continue', { threadId });
  await terminated;
  assert.equal((await dc.request('disconnect', { terminateDebuggee: true })).success, true);
}

function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('faultline dap for other editors', () => {
  it('over stdio (nvim-dap "executable", Helix "stdio", dap-mode): a whole session', async () => {
    const child = spawnCli(['dap']);
    try {
      await editorSession(new DapClient(child.stdin!, child.stdout!));
      const code = await new Promise((r) => child.on('close', r));
      assert.equal(code, 0, 'the adapter process ends after disconnect');
    } finally {
      child.kill();
    }
  });

  it('over TCP on 127.0.0.1 (nvim-dap "server", Helix "tcp"): two sessions one after the other on one adapter', async () => {
    const child = spawnCli(['dap', '--port', '0']);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d) => {
          err += d;
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
          if (m) resolve(Number(m[1]));
        });
        child.on('close', () => reject(new Error(err)));
      });
      for (let k = 0; k < 2; k++) {
        const socket = net.connect(port, '127.0.0.1');
        await new Promise((r) => socket.once('connect', r));
        await editorSession(new DapClient(socket, socket));
        socket.destroy();
      }
      assert.equal(child.exitCode, null, 'the TCP adapter keeps serving');
    } finally {
      child.kill();
    }
  });

  it('refuses bad arguments with one sentence', async () => {
    const child = spawnCli(['dap', '--port', 'x']);
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 2);
    assert.match(err, /^faultline dap: usage: faultline dap \[--port N\]/);
  });
});
