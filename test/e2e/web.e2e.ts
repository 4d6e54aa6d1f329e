/**
 * End-to-end, VS Code for the Web: the packaged .vsix in code-server with the extension moved into the
 * browser's web worker extension host (the host vscode.dev and github.dev use; no Node, package.json's
 * `browser` entry, the adapter in-process, the kernel read through vscode.workspace.fs from the server's
 * file system). The user setting `remote.extensionKind: { "faultline.faultline": ["web"] }` makes VS Code pick
 * the LocalWebWorker host for an extension installed on the server.
 *   npm run e2e        (runs vscode.e2e.ts, then this file)
 * Proves where it runs (Developer: Show Running Extensions says "web worker"), then F5 on the stack-overflow
 * fixture stops on #DF with the Fault Chain, a call stack with its source, the TSS view and the Guest Screen (VGA text as pixels);
 * a breakpoint set in the editor stops there. Screenshots go to test-results/web-*.png, the
 * page's console (the web worker's errors included) to test-results/web-console.log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { OVERFLOW, makeWorkspace } from './workspace';
import {
  Host, RESULTS, ROOT, arrangePanes, launchBrowser, log, openWorkbench, packageVsix, pane, rows, runCommand, setupHost, shot, shotOnFailure, startHost, stopDebugging, until, waitPaused, widenSideBar,
} from './host';

const EXTENSION_ID = 'faultline.faultline';

let host: Host | undefined;
let browser: Browser | undefined;
let page: Page;
const withShot = shotOnFailure(() => page, 'web-');
let workspace: string;
const consoleLines: string[] = [];

before(async () => {
  const entry = setupHost();
  const vsix = packageVsix();
  workspace = makeWorkspace();
  // The DWARF file names are relative to the repo ("fixtures/src/common/handlers.c"), and the web adapter
  // resolves them against the workspace folder: put the stack-overflow fixture's sources there.
  for (const d of ['common', 'stack-overflow-no-ist']) fs.cpSync(path.join(ROOT, 'fixtures', 'src', d), path.join(workspace, 'fixtures', 'src', d), { recursive: true });
  log('web: packaged; starting code-server with the extension in the web worker host');
  host = await startHost(entry, vsix, workspace, { 'remote.extensionKind': { [EXTENSION_ID]: ['web'] } }, 'web');
  browser = await launchBrowser();
  page = await openWorkbench(browser, host.url, (p) => {
    p.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    p.on('response', (r) => { if (r.status() >= 400) consoleLines.push(`[http ${r.status()}] ${r.url()}`); });
    p.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  });
  log('web: workbench open');
}, { timeout: 15 * 60_000 });

after(async () => {
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'web-console.log'), consoleLines.join('\n') + '\n');
  await browser?.close().catch(() => undefined);
  await host?.stop();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

test('VS Code for the Web: the extension runs in the web worker extension host', { timeout: 120_000 }, withShot('running', async () => {
  await runCommand(page, 'Developer: Show Running Extensions');
  const editor = page.locator('.runtime-extensions-editor');
  await editor.waitFor({ timeout: 30_000 });
  const row = editor.locator('.monaco-list-row', { hasText: 'Faultline' });
  const text = await until('Faultline in the running extensions', () => row.first().innerText({ timeout: 2_000 }).catch(() => ''), (t) => t.length > 0, 60_000);
  await shot(page, 'web-1-running-extensions');
  assert.match(text, /web worker/i, text);
  log(`web: running extensions row: ${text.replace(/\s+/g, ' ')}`);
  await runCommand(page, 'View: Close All Editors');
}));

test('VS Code for the Web: F5 on the stack overflow stops on #DF with the Fault Chain and a call stack', { timeout: 180_000 }, withShot('double-fault', async (t) => {
  if (!fs.existsSync(path.join(ROOT, 'fixtures', 'bin', OVERFLOW))) return t.skip(`fixtures/bin/${OVERFLOW} is missing`);
  await page.keyboard.press('Control+Shift+D');
  // Run and Debug focuses its Start button, whose hover can cover the pane headers arrangePanes clicks: give
  // the focus to the editor area (widening the side bar also makes the rows readable in the screenshots).
  await widenSideBar(page, 480);
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 400, y: 300 } });
  await arrangePanes(page, ['Fault Chain', 'Call Stack'], ['Variables', 'Watch', 'Breakpoints', 'GDT', 'IDT', 'TSS', 'Page Tables']);
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 400, y: 300 } });
  log('web: F5');
  await page.keyboard.press('F5');
  // The default filters stop first in the #PF delivery; Step Into applies Table 6-5 and stops on #DF.
  await until('a stop in the #PF delivery', () => rows(page, 'Fault Chain'), (r) => r.some((x) => /#PF raised|#DF/.test(x)), 120_000);
  await waitPaused(page);
  if (!(await rows(page, 'Fault Chain')).some((x) => x.includes('#DF'))) {
    await page.keyboard.press('F11');
    await until('a stop on #DF', () => rows(page, 'Fault Chain'), (r) => r.some((x) => x.includes('#DF')), 60_000);
    await waitPaused(page);
  }
  const chain = await rows(page, 'Fault Chain');
  log(`web: Fault Chain: ${chain.join(' | ')}`);
  const badge = await until('the Call Stack pause badge', () => pane(page, 'Call Stack').locator('.pane-header').innerText({ timeout: 2_000 }).catch(() => ''), (x) => /#DF/.test(x), 20_000);
  assert.match(badge, /Paused on #DF \(Double fault\)/);
  const stack = await until('frames in the call stack', () => rows(page, 'Call Stack'), (r) => r.some((x) => /^stack_overflow/.test(x)), 30_000);
  log(`web: Call Stack: ${stack.slice(0, 3).join(' | ')} … (${stack.length} rows)`);
  // The top frame's source opened through the workspace's vscode-remote: URI (a plain path would be file:).
  await until('handlers.c open at the faulting line', () => editorState(page), (s) => s.tab === 'handlers.c' && /Ln 30\b/.test(s.cursor) && s.text.includes('stack_overflow();'), 20_000);
  await shot(page, 'web-2-double-fault');
  // The seed's diagnosis in the TSS view: the #DF gate had no IST stack to switch to.
  await arrangePanes(page, ['TSS'], ['Call Stack']);
  const tss = await until('the TSS view', () => rows(page, 'TSS'), (r) => r.some((x) => /IST/.test(x)), 20_000);
  assert.match(tss.join('\n'), /empty|not loaded/);
  // The Guest Screen webview, fed by the extension in the worker: VGA text drawn as pixels with the font of the
  // VGA BIOS in the .vsix (read through workspace.fs; a browser has no /usr/share/seabios).
  await runCommand(page, 'Faultline: Show Guest Screen');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const mode = await until('the Guest Screen mode line', () => view.locator('#mode').innerText({ timeout: 2_000 }).catch(() => ''), (x) => /VGA text/.test(x), 30_000);
  assert.match(mode, /^VGA text 720×400/);
  await view.locator('canvas#canvas').waitFor({ state: 'visible', timeout: 10_000 });
  log(`web: Guest Screen: ${mode}`);
  await shot(page, 'web-2a-guest-screen');
  await runCommand(page, 'View: Close All Editors');
  await arrangePanes(page, ['Call Stack'], ['TSS']);
  await stopDebugging(page);
}));

test('VS Code for the Web: a breakpoint set in the editor stops there', { timeout: 120_000 }, withShot('breakpoint', async (t) => {
  if (!fs.existsSync(path.join(ROOT, 'fixtures', 'bin', OVERFLOW))) return t.skip(`fixtures/bin/${OVERFLOW} is missing`);
  await runCommand(page, 'Go to File...', 'handlers.c', 'handlers.c');
  await until('handlers.c in the editor', () => editorState(page), (s) => s.tab === 'handlers.c', 20_000);
  await runCommand(page, 'Go to Line/Column...', ':30');
  await until('the cursor on line 30', () => editorState(page), (s) => /Ln 30\b/.test(s.cursor), 10_000);
  await page.keyboard.press('F9');
  await page.locator('.monaco-editor .codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
  log('web: breakpoint on handlers.c:30; F5');
  await page.keyboard.press('F5');
  const badge = await until('the Call Stack pause badge', () => pane(page, 'Call Stack').locator('.pane-header').innerText({ timeout: 2_000 }).catch(() => ''), (x) => /breakpoint/i.test(x), 60_000);
  assert.match(badge, /Paused on breakpoint/i);
  await waitPaused(page);
  // The view fills in after the pause (the top frame first, then the rest): wait for the frame on top.
  const stack = await until('the breakpoint frame on top of the Call Stack', () => rows(page, 'Call Stack'), (s) => /^stack_overflow.*handlers\.c 30/.test(s[0] ?? ''), 20_000);
  assert.match(stack[0] ?? '', /^stack_overflow.*handlers\.c 30/, stack.join('\n'));
  log('web: stopped on the source breakpoint');
  await shot(page, 'web-3-breakpoint');
  await stopDebugging(page);
}));


/** The active editor tab's name, the status bar's cursor position and the editor's visible text. */
async function editorState(p: Page): Promise<{ tab: string; cursor: string; text: string }> {
  const tab = await p.locator('.tab.active .label-name').first().innerText({ timeout: 2_000 }).catch(() => '');
  const cursor = await p.locator('[id="status.editor.selection"]').innerText({ timeout: 2_000 }).catch(() => '');
  const text = (await p.locator('.monaco-editor .view-lines').first().innerText({ timeout: 2_000 }).catch(() => '')).replace(/\u00a0/g, ' ');
  return { tab, cursor, text };
}
