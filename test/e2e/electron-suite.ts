/**
 * Runs inside VS Code's extension host (loaded by electron-runner.ts): the seed scenarios through the vscode
 * API, checking the views' models on the adapter's live responses.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { FaultChainResponseBody, TssResponseBody } from '../../debug-adapter/protocol';
import { faultChainNodes } from '../../extension/views/model/faultChain';
import { tssNodes } from '../../extension/views/model/tss';
import { IST_FIX_CONFIG, OVERFLOW_CONFIG } from './workspace';

/** Counts `stopped` events per session, so the suite can wait for the next one. */
const stops = new Map<string, number>();
const waiters: (() => void)[] = [];
vscode.debug.registerDebugAdapterTrackerFactory('faultline', {
  createDebugAdapterTracker: (s) => ({
    onDidSendMessage: (m: { type?: string; event?: string }) => {
      if (m.type === 'event' && m.event === 'stopped') {
        stops.set(s.id, (stops.get(s.id) ?? 0) + 1);
        waiters.splice(0).forEach((w) => w());
      }
    },
  }),
});

function nextStop(ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no stopped event')), ms);
    waiters.push(() => { clearTimeout(t); resolve(); });
  });
}

async function start(config: string): Promise<vscode.DebugSession> {
  const folder = vscode.workspace.workspaceFolders![0];
  const started = new Promise<vscode.DebugSession>((r) => {
    const d = vscode.debug.onDidStartDebugSession((s) => { if (s.type === 'faultline') { d.dispose(); r(s); } });
  });
  const stopped = nextStop();
  assert.ok(await vscode.debug.startDebugging(folder, config), `startDebugging(${config})`);
  const session = await started;
  await stopped;
  return session;
}

async function chain(s: vscode.DebugSession): Promise<FaultChainResponseBody> {
  return (await s.customRequest('faultline/faultChain', {})) as FaultChainResponseBody;
}

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension('faultline.faultline');
  assert.ok(ext, 'the extension is loaded');
  await ext.activate();
  const commands = await vscode.commands.getCommands(true);
  for (const c of ['faultline.walkAddress', 'faultline.showGdtEntry', 'faultline.showIdtEntry', 'faultline.copyTable', 'faultline.openMemory', 'faultline.showScreen']) {
    assert.ok(commands.includes(c), `${c} is registered`);
  }

  // Stack overflow without IST: continue until the triple fault.
  const a = await start(OVERFLOW_CONFIG);
  let c = await chain(a);
  for (let i = 0; i < 5 && !c.links.some((l) => l.phase === 'tripleFault'); i++) {
    const n = nextStop();
    await a.customRequest('continue', { threadId: 1 });
    await n;
    c = await chain(a);
  }
  assert.equal(faultChainNodes(c)[0].label, '#PF → #PF → #DF → triple fault');
  assert.match(tssNodes((await a.customRequest('faultline/tss', {})) as TssResponseBody)[0].label, /IST slot is empty/);
  await vscode.debug.stopDebugging(a);

  // IST fix: stops on #DF, stepIn reaches the handler.
  const b = await start(IST_FIX_CONFIG);
  assert.ok((await chain(b)).links.some((l) => l.vector === 8), 'stopped on #DF');
  const n = nextStop();
  await b.customRequest('stepIn', { threadId: 1 });
  await n;
  const st = (await b.customRequest('stackTrace', { threadId: 1, startFrame: 0, levels: 1 })) as { stackFrames: { name: string }[] };
  assert.match(st.stackFrames[0].name, /double_fault_handler/);
  await vscode.debug.stopDebugging(b);
}
