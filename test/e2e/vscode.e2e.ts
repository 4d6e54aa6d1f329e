/**
 * End-to-end: the packaged .vsix in a real VS Code (code-server + chromium, see test/e2e/host.ts).
 *   npm run e2e        (first run: scripts/setup-e2e.sh installs chromium and code-server; ~2 min)
 * Screenshots go to test-results/. The debugging scenarios need dist/debug-adapter.js and the fixture kernels;
 * without them those tests are skipped with the reason, and the install/views test still runs.
 *
 * Scenarios (shared/seed/double-faults.md): the stack overflow without IST stops with the Fault Chain
 * #PF → #PF → #DF → triple fault, the TSS view shows the empty IST and the IDT row for vector 8; the IST fix
 * stops on #DF and Step Into reaches double_fault_handler. Then the 32-bit way (fixtures/src/task-gate-df):
 * #DF through a task gate, Step Into switches tasks, the TSS view shows the back link. Last, a higher-half kernel
 * (fixtures/src/higher-half, linked at 0xFFFFFFFF80100000): the call stack through the #DF frame, the TSS view
 * with the TSS's 64-bit base, the GDT's TSS descriptor and the IDT gates' handler symbols. Talking to the guest
 * (issue 17): a command typed into the COM1 terminal of the serial-shell fixture is answered; keys typed into
 * the Guest Screen reach the keyboard fixture's IRQ1 handler, which echoes them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HIGHER_HALF, IST_FIX, KEYBOARD, KEYBOARD_CONFIG, OVERFLOW, SERIAL_SHELL, SERIAL_SHELL_CONFIG, TASK_GATE, makeWorkspace } from './workspace';
import {
  Host, RESULTS, ROOT, arrangePanes, log, waitPaused, within, expandPane, stopDebugging, widenSideBar, launchBrowser, openWorkbench, packageVsix, pane, rows, runCommand, setupHost, shot, shotOnFailure, startHost, until,
} from './host';

const FAULTLINE_VIEWS = ['Fault Chain', 'GDT', 'IDT', 'TSS', 'Page Tables'];

let host: Host | undefined;
let browser: Browser | undefined;
let page: Page;
const withShot = shotOnFailure(() => page);
let workspace: string;

function debuggingSkipReason(): string | undefined {
  if (!fs.existsSync(path.join(ROOT, 'debug-adapter', 'main.ts'))) return 'debug-adapter/main.ts does not exist yet (no adapter to bundle)';
  for (const k of [OVERFLOW, IST_FIX, TASK_GATE, HIGHER_HALF]) if (!fs.existsSync(path.join(ROOT, 'fixtures', 'bin', k))) return `fixtures/bin/${k} is missing`;
  return undefined;
}

before(async () => {
  const entry = setupHost();
  const vsix = packageVsix();
  workspace = makeWorkspace();
  log('packaged; starting code-server');
  host = await startHost(entry, vsix, workspace);
  browser = await launchBrowser();
  page = await openWorkbench(browser, host.url);
  log('workbench open');
}, { timeout: 15 * 60_000 });

after(async () => {
  await browser?.close().catch(() => undefined);
  await host?.stop();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

test('the .vsix installs and its views appear in Run and Debug', { timeout: 120_000 }, withShot('views', async () => {
  await page.keyboard.press('Control+Shift+D');
  await widenSideBar(page, 560);
  for (const v of FAULTLINE_VIEWS) {
    await until(`the ${v} view`, async () => pane(page, v).count(), (n) => n === 1, 30_000);
  }
  await shot(page, 'e2e-1-views');
}));

test('the .fltrace grammar colours a fault trace', { timeout: 60_000 }, withShot('fltrace', async () => {
  await runCommand(page, 'Go to File...', 'sample.fltrace', 'sample.fltrace');
  const editor = page.locator('.monaco-editor .view-lines');
  await editor.waitFor({ timeout: 20_000 });
  await until('the status bar language', async () => page.locator('.statusbar-item[id="status.editor.mode"]').innerText().catch(() => ''), (t) => /Fault Trace/.test(t), 20_000);
  await shot(page, 'e2e-2-fltrace');
  await runCommand(page, 'View: Close All Editors');
}));

test('stack overflow without IST: Fault Chain #PF → #PF → #DF → triple fault, empty IST, IDT vector 8', { timeout: 240_000 }, withShot('stack-overflow', async (t) => {
  const skip = debuggingSkipReason();
  if (skip) return t.skip(skip);
  await page.keyboard.press('Control+Shift+D');
  await arrangePanes(page, ['Fault Chain', 'TSS', 'Call Stack'], ['Variables', 'Watch', 'Breakpoints', 'GDT', 'Page Tables']);
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 400, y: 300 } });
  log('stack overflow: F5');
  await page.keyboard.press('F5');
  // The escalation filter may stop at #DF first; continue until the chain ends in the triple fault.
  const chain = await until('the Fault Chain to reach the triple fault', async () => {
    const r = await rows(page, 'Fault Chain');
    if (r.length && !r.some((x) => x.includes('triple fault')) && await isPaused(page)) await page.keyboard.press('F5');
    return r;
  }, (r) => r.some((x) => x.includes('#PF → #PF → #DF → triple fault')), 150_000);
  assert.ok(chain.some((x) => /#PF raised/.test(x)));
  // VS Code itself shows the stop as the exception (the Call Stack header's pause badge).
  await waitPaused(page);
  assert.match(await pauseBadge(page, /triple fault/i), /Triple fault: #PF → #PF → #DF/);
  log('stack overflow: Fault Chain ends in the triple fault');
  const tss = (await rows(page, 'TSS')).join('\n');
  assert.match(tss, /IST/);
  assert.match(tss, /empty|not loaded/);
  await expandPane(page, 'IDT');
  await runCommand(page, 'Faultline: Show IDT Entry...', '8');
  const idt = await until('the IDT row for vector 8', () => rows(page, 'IDT'), (r) => r.some((x) => /^8 #DF/.test(x)), 20_000);
  assert.ok(idt.some((x) => /^8 #DF .*interrupt gate/.test(x)), idt.join('\n'));
  // Opening the gate (Enter on the row Show IDT Entry selected; same as a click) reveals its handler's source.
  await runCommand(page, 'Faultline: Show IDT Entry...', '8');
  await page.waitForTimeout(500);
  await page.keyboard.press('Enter');
  await until('the editor at double_fault_handler (handlers.c:7)',
    () => page.locator('[id="status.editor.selection"]').innerText().catch(() => ''), (t) => /Ln 7\b/.test(t), 20_000);
  log('stack overflow: IDT gate 8 opened its handler');
  await shot(page, 'e2e-3-stack-overflow');
  await pane(page, 'IDT').screenshot({ path: path.join(RESULTS, 'e2e-3a-idt-pane.png') });

  // Walk the faulting address: the walk stops at the guard page's PT entry.
  await arrangePanes(page, ['Page Tables'], ['Fault Chain', 'Call Stack', 'IDT']);
  await runCommand(page, 'Faultline: Walk Address...', '0x105ff8');
  const walk = await until('the walk of 0x105ff8 down to PT[261]', () => rows(page, 'Page Tables'),
    (r) => r.some((x) => /^Walk 0x105ff8 stops: .*not present/.test(x)) && r.some((x) => /^PT\[261\]/.test(x)), 20_000);
  assert.ok(walk.some((x) => /^PML4\[0\]/.test(x)), walk.join('\n'));
  log('stack overflow: address walk shown');
  await shot(page, 'e2e-3b-page-walk');
  await arrangePanes(page, ['Fault Chain', 'Call Stack'], ['Page Tables']);
  await stopDebugging(page);
}));

test('IST fix: stops on #DF, Step Into reaches double_fault_handler', { timeout: 300_000 }, withShot('ist-fix', async (t) => {
  const skip = debuggingSkipReason();
  if (skip) return t.skip(skip);
  // The first stop is the escalation itself (#NP raised while delivering #PF, before Table 6-5 is applied).
  await startAndStopOnDoubleFault('IST fix', /#NP|#DF/, 'e2e-4a-ist-escalation');
  assert.match(await pauseBadge(page, /#DF/), /Paused on #DF \(Double fault\) before delivery/);
  await shot(page, 'e2e-4-ist-stop');
  log('IST fix: F11');
  await page.keyboard.press('F11');
  // The pane's whole text: per-row label spans can lag behind a re-rendered top frame.
  const stack = await until('the handler in the call stack', async () => `${(await rows(page, 'Call Stack')).join('\n')}\n${await pane(page, 'Call Stack').locator('.pane-body').innerText({ timeout: 2_000 }).catch(() => '')}`,
    (s) => s.includes('double_fault_handler'), 60_000);
  assert.match(stack, /double_fault_handler/);
  log('IST fix: double_fault_handler in the Call Stack');
  await waitPaused(page);
  log('IST fix: Step Into reached double_fault_handler');
  await shot(page, 'e2e-5-ist-handler');

  // Open Memory at Pointer on IST1 (the row's inline action): a hex dump of the IST stack's top.
  const ist1 = pane(page, 'TSS').locator('.monaco-list-row', { hasText: 'IST1' }).first();
  await ist1.scrollIntoViewIfNeeded();
  await ist1.hover();
  await ist1.locator('.action-label[aria-label="Open Memory at Pointer"]').click({ timeout: 10_000 });
  // Monaco renders spaces as U+00A0.
  await until('the hex dump of IST1', async () => (await page.locator('.monaco-editor .view-lines').allInnerTexts()).join('\n').replace(/\u00a0/g, ' '),
    (t) => t.includes('IST1: 0x10d000'), 20_000);
  log('IST fix: hex dump of IST1 open');
  await shot(page, 'e2e-5a-open-memory');

  // Copy Table as Text puts the TSS on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await runCommand(page, 'Faultline: Copy Table as Text', 'TSS', 'TSS');
  const copied = await until('the TSS on the clipboard', () => within('navigator.clipboard.readText()', page.evaluate('navigator.clipboard.readText()') as Promise<string>, 5_000).catch(() => ''),
    (t) => t.startsWith('TSS\n'), 15_000);
  assert.match(copied, /\nIST1 {2}0x10d000 {2}mapped {2}ist1_top\n/);
  log('IST fix: TSS copied as text');

  await runCommand(page, 'Faultline: Show Guest Screen');
  await page.locator('.tab', { hasText: 'Guest Screen' }).waitFor({ timeout: 20_000 });
  await page.waitForTimeout(1000);
  await shot(page, 'e2e-6-guest-screen');
  await stopDebugging(page);
  log('IST fix: done');
}));

test('32-bit kernel: #DF through a task gate; Step Into switches to the double-fault task, the TSS view shows the back link', { timeout: 240_000 }, withShot('task-gate', async (t) => {
  const skip = debuggingSkipReason();
  if (skip) return t.skip(skip);
  // The first stop is #PF raised while delivering #PF (the escalation filter).
  await startAndStopOnDoubleFault('32-bit task gate', /#PF raised/);
  await page.keyboard.press('F11');
  // VS Code shows the top frame first and loads the rest after it ("Load More Stack Frames" in between).
  const stack = await until('df_entry above the task-gate boundary in the call stack', () => rows(page, 'Call Stack'),
    (r) => /^df_entry/.test(r[0] ?? '') && r.some((x) => /#DF delivered through a task gate, error 0x0/.test(x)) && r.some((x) => /^stack_overflow/.test(x)), 60_000);
  assert.match(stack[0], /kernel\.asm/, 'the handler frame has its source');
  await waitPaused(page);
  const tss = await until('the TSS view on the double-fault task', () => rows(page, 'TSS'), (r) => r.some((x) => /^Back link 0x18 /.test(x)), 20_000);
  assert.ok(tss.some((x) => /^TR 0x20 .*32-bit TSS$/.test(x)), tss.join('\n'));
  assert.ok(tss.some((x) => /^Back link 0x18 stopped at EIP 0x[0-9a-f]+ stack_overflow, ESP 0x104000$/.test(x)), tss.join('\n'));
  log('task gate: double-fault task running, TSS view shows the back link');
  await shot(page, 'e2e-7-task-gate');
  await stopDebugging(page);
}));

test('talking to the guest: the COM1 terminal answers a typed command; keys typed into the Guest Screen reach the keyboard fixture', { timeout: 240_000 }, withShot('guest-io', async (t) => {
  for (const k of [SERIAL_SHELL, KEYBOARD]) if (!fs.existsSync(path.join(ROOT, 'fixtures', 'bin', k))) return t.skip(`fixtures/bin/${k} is missing`);
  await stopDebugging(page);
  log('serial shell: start debugging');
  await runCommand(page, 'Debug: Select and Start Debugging', `debug ${SERIAL_SHELL_CONFIG}`, SERIAL_SHELL_CONFIG);
  const term = page.locator('.terminal-wrapper.active .xterm-rows');
  await until('the serial-shell prompt in the COM1 terminal', () => term.innerText({ timeout: 2_000 }).catch(() => ''), (x) => /serial-shell ready\s+>/.test(x), 60_000);
  await page.locator('.terminal-wrapper.active .xterm').click();
  await page.keyboard.type('echo typed in VS Code');
  await page.keyboard.press('Enter');
  const answer = await until('the echo answer', () => term.innerText({ timeout: 2_000 }).catch(() => ''), (x) => /echo typed in VS Code\s+typed in VS Code\s+>/.test(x), 30_000);
  assert.match(answer, /serial-shell ready/);
  log('serial shell: command answered in the terminal');
  await shot(page, 'e2e-9-serial-terminal');
  await stopDebugging(page);

  log('keyboard: start debugging');
  await runCommand(page, 'Debug: Select and Start Debugging', `debug ${KEYBOARD_CONFIG}`, KEYBOARD_CONFIG);
  await until('the keyboard fixture ready in COM1', () => term.innerText({ timeout: 2_000 }).catch(() => ''), (x) => /keyboard ready/.test(x), 60_000);
  await runCommand(page, 'Faultline: Show Guest Screen');
  await page.locator('.tab', { hasText: 'Guest Screen' }).waitFor({ timeout: 20_000 });
  const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await view.locator('canvas#canvas').waitFor({ state: 'visible', timeout: 30_000 });
  await view.locator('#screen').click();
  // Physical keys: type() sends each character's key without Shift; Shift+Digit1 is a real shifted key.
  await page.keyboard.type('hi faultline');
  await page.keyboard.press('Shift+Digit1');
  await until('the keys echoed by the guest on COM1', () => term.innerText({ timeout: 2_000 }).catch(() => ''), (x) => /keyboard ready\s+hi faultline!/.test(x), 30_000);
  log('keyboard: keys typed into the Guest Screen reached the guest');
  await page.waitForTimeout(500);
  await shot(page, 'e2e-10-guest-screen-keyboard');
  // While the screen has focus every key goes to the guest (F1 too): give the keyboard back to VS Code.
  await view.locator('#screen').evaluate((e) => (e as unknown as { blur(): void }).blur());
  await stopDebugging(page);
}));

test('higher-half kernel: call stack through the #DF frame, TSS and GDT views with the 64-bit TSS base, IDT handler symbols', { timeout: 300_000 }, withShot('higher-half', async (t) => {
  const skip = debuggingSkipReason();
  if (skip) return t.skip(skip);
  // INT3 is handled without a stop (no #BP filter by default); the first stop is the #NP escalation.
  await startAndStopOnDoubleFault('Higher-half kernel', /#NP|#DF/);
  await page.keyboard.press('F11');
  const stack = await until('double_fault_handler above stack_overflow in the call stack', () => rows(page, 'Call Stack'),
    (r) => /^double_fault_handler/.test(r[0] ?? '') && r.some((x) => /^stack_overflow/.test(x)), 60_000);
  assert.match(stack[0], /handlers\.c/, 'the handler frame has its source');
  await waitPaused(page);
  log('higher-half: double_fault_handler over stack_overflow in the Call Stack');

  const tss = await until('the TSS view with the higher-half base', () => rows(page, 'TSS'), (r) => r.some((x) => /^TR 0x10 base 0xffffffff8011[0-9a-f]{4} limit 0x67/.test(x)), 20_000);
  assert.ok(tss.some((x) => /^IST1 0xffffffff8010f000 mapped ist1_top$/.test(x)), tss.join('\n'));
  log('higher-half: TSS view shows the 64-bit base');
  await shot(page, 'e2e-8-higher-half');

  await arrangePanes(page, ['GDT', 'IDT'], ['Fault Chain', 'Call Stack', 'TSS']);
  const gdt = await until('the GDT row of the TSS descriptor', () => rows(page, 'GDT'), (r) => r.some((x) => /TSS \(busy\)/.test(x)), 20_000);
  assert.ok(gdt.some((x) => /^0x10 64-bit TSS \(busy\) ◀ TR .*base 0xffffffff8011[0-9a-f]{4}, limit 0x67$/.test(x)), gdt.join('\n'));
  for (const [vector, handler] of [['3', 'breakpoint_handler'], ['8', 'double_fault_handler']]) {
    await runCommand(page, 'Faultline: Show IDT Entry...', vector);
    const idt = await until(`the IDT row for vector ${vector}`, () => rows(page, 'IDT'), (r) => r.some((x) => x.startsWith(`${vector} #`)), 20_000);
    const row = idt.find((x) => x.startsWith(`${vector} #`))!;
    assert.match(row, new RegExp(`interrupt gate, DPL 0,( IST1,)? 0x08:0xffffffff8[0-9a-f]{7} ${handler}$`));
  }
  log('higher-half: GDT TSS descriptor and IDT handler symbols');
  await shot(page, 'e2e-8a-higher-half-tables');
  await arrangePanes(page, ['Fault Chain', 'Call Stack'], ['GDT', 'IDT']);
  await stopDebugging(page);
}));

/**
 * Starts launch configuration `config` ("Select and Start Debugging" opens quick access with the "debug "
 * prefix) and waits for its first stop, which the default filters make a stop in the #PF delivery (its Fault
 * Chain matches `firstStop`). Unless that stop is already #DF, Step Into applies Table 6-5 and stops on #DF,
 * before its delivery. `escalationShot` names a screenshot of the first stop.
 */
async function startAndStopOnDoubleFault(config: string, firstStop: RegExp, escalationShot?: string): Promise<void> {
  await stopDebugging(page);
  await arrangePanes(page, ['Fault Chain', 'TSS', 'Call Stack'], ['Variables', 'Watch', 'Breakpoints', 'GDT', 'IDT', 'Page Tables']);
  log(`${config}: start debugging`);
  await runCommand(page, 'Debug: Select and Start Debugging', `debug ${config}`, config);
  await until('a stop in the #PF delivery', () => rows(page, 'Fault Chain'), (r) => r.some((x) => firstStop.test(x)), 120_000);
  await waitPaused(page);
  log(`${config}: first stop`);
  if (!(await rows(page, 'Fault Chain')).some((x) => x.includes('#DF'))) {
    if (escalationShot) await shot(page, escalationShot);
    await page.keyboard.press('F11');
    await until('a stop on #DF', () => rows(page, 'Fault Chain'), (r) => r.some((x) => x.includes('#DF')), 60_000);
    await waitPaused(page);
  }
  log(`${config}: stopped on #DF`);
}

/** The Call Stack header's pause badge (VS Code's own words for the stop), once it matches `want`. */
function pauseBadge(p: Page, want: RegExp): Promise<string> {
  return until('the Call Stack pause badge', () => pane(p, 'Call Stack').locator('.pane-header').innerText({ timeout: 2_000 }).catch(() => ''), (t) => want.test(t), 20_000);
}


async function isPaused(p: Page): Promise<boolean> {
  return p.locator('.debug-toolbar .codicon-debug-continue').isVisible().catch(() => false);
}
