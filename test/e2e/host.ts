/**
 * A real VS Code for the end-to-end test: code-server (VS Code 1.100 server, installed by
 * scripts/setup-e2e.sh into a cache folder) on 127.0.0.1, driven through Debian's chromium by playwright-core.
 * Pieces used by vscode.e2e.ts; no test logic here.
 */
import type { TestContext } from 'node:test';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const RESULTS = path.join(ROOT, 'test-results');

/** Runs scripts/setup-e2e.sh (idempotent) and returns code-server's entry.js. */
export function setupHost(): string {
  if (process.env.FAULTLINE_CODE_SERVER) return process.env.FAULTLINE_CODE_SERVER;
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup-e2e.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/setup-e2e.sh failed (exit ${r.status}); run it by hand to see why.`);
  return r.stdout.trim().split('\n').at(-1)!;
}

/**
 * `npm run package`; if the full build fails on someone's in-progress type errors, bundle and package directly.
 * `npm run e2e` runs two files (vscode.e2e.ts, web.e2e.ts) one after the other under one `node --test`: the
 * second reuses the .vsix the first packaged in the same run (same parent process), nothing older.
 */
export function packageVsix(): string {
  const vsix = path.join(ROOT, 'faultline.vsix');
  const marker = path.join(RESULTS, '.vsix-packaged-for');
  // node --test marks the files it runs with NODE_TEST_CONTEXT; its pid is the run.
  const run = process.env.NODE_TEST_CONTEXT ? `${process.ppid}` : `direct ${process.pid}`;
  if (fs.existsSync(vsix) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === run) return vsix;
  fs.rmSync(marker, { force: true });
  const exec = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  let r = exec('npm', ['run', 'package', '--silent']);
  if (r.status !== 0) {
    console.error(`npm run package failed (exit ${r.status}); bundling and packaging without the type check.\n${(r.stdout + r.stderr).slice(-2000)}`);
    r = exec('node', ['scripts/bundle.js']);
    if (r.status !== 0) throw new Error(`node scripts/bundle.js failed:\n${r.stderr}`);
    r = exec('npx', ['vsce', 'package', '--no-dependencies', '--skip-license', '-o', 'faultline.vsix']);
    if (r.status !== 0) throw new Error(`vsce package failed:\n${r.stdout}${r.stderr}`);
  }
  if (!fs.existsSync(vsix)) throw new Error('packaging produced no faultline.vsix');
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(marker, run);
  return vsix;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Host {
  url: string;
  server: ChildProcess;
  dataDir: string;
  extDir: string;
  stop(): Promise<void>;
}

/**
 * A fresh user-data-dir with workspace trust off and no startup editor, the .vsix installed, code-server up.
 * `settings` are added to the user settings (web.e2e.ts moves the extension to the browser's worker host);
 * `tag` names this host's logs in test-results/ (code-server[-tag].log, vscode-logs[-tag]/).
 */
export async function startHost(entry: string, vsix: string, workspace: string, settings: Record<string, unknown> = {}, tag = ''): Promise<Host> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-e2e-'));
  const dataDir = path.join(base, 'data');
  const extDir = path.join(base, 'extensions');
  fs.mkdirSync(path.join(dataDir, 'User'), { recursive: true });
  fs.mkdirSync(extDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'User', 'settings.json'), JSON.stringify({
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'debug.openDebug': 'openOnDebugBreak',
    'window.dialogStyle': 'custom',
    // The DOM renderer keeps terminal text in the page, where the serial-terminal test reads it.
    'terminal.integrated.gpuAcceleration': 'off',
    ...settings,
  }, null, 2));
  const common = ['--auth', 'none', '--disable-telemetry', '--extensions-dir', extDir, '--user-data-dir', dataDir];
  const inst = spawnSync(process.execPath, [entry, ...common, '--install-extension', vsix, '--force'], { encoding: 'utf8' });
  if (inst.status !== 0) throw new Error(`code-server --install-extension failed:\n${inst.stdout}${inst.stderr}`);
  const installed = fs.readdirSync(extDir).filter((d) => d.startsWith('faultline.'));
  if (installed.length === 0) throw new Error(`the .vsix did not install into ${extDir}:\n${inst.stdout}${inst.stderr}`);

  const port = await freePort();
  fs.mkdirSync(RESULTS, { recursive: true });
  const log = fs.openSync(path.join(RESULTS, `code-server${tag && '-' + tag}.log`), 'w');
  const server = spawn(process.execPath, [entry, ...common, '--bind-addr', `127.0.0.1:${port}`, '--disable-workspace-trust', workspace], {
    stdio: ['ignore', log, log], env: { ...process.env, CS_DISABLE_GETTING_STARTED_OVERRIDE: '1' },
  });
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000, server);
  return {
    url, server, dataDir, extDir,
    stop: async () => {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => { server.once('exit', r); setTimeout(r, 5000); });
      }
      fs.closeSync(log);
      // Keep VS Code's logs with the screenshots, drop the rest of the temporary profile.
      const logs = path.join(dataDir, 'logs');
      if (fs.existsSync(logs)) fs.cpSync(logs, path.join(RESULTS, `vscode-logs${tag && '-' + tag}`), { recursive: true });
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

async function waitForHttp(url: string, ms: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`code-server exited with ${proc.exitCode}; see test-results/code-server.log`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer ${url} within ${ms} ms; see test-results/code-server.log`);
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.FAULTLINE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** Opens the workbench; `prepare` sees the page before it loads (to listen to its console). */
export async function openWorkbench(browser: Browser, url: string, prepare?: (page: Page) => void): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  prepare?.(page);
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // Let extensions activate and the first layout settle.
  await page.locator('.statusbar').waitFor({ timeout: 30_000 });
  await page.waitForTimeout(3000);
  return page;
}

export async function shot(page: Page, name: string): Promise<string> {
  const file = path.join(RESULTS, name + '.png');
  await page.screenshot({ path: file });
  return file;
}

/** F1, type the command's title, Enter; then optional input text + Enter. */
export async function runCommand(page: Page, title: string, input?: string, pick?: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const box = page.locator('.quick-input-widget input');
  await box.waitFor({ state: 'visible', timeout: 10_000 });
  await box.fill('>' + title);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
  if (input !== undefined) {
    await page.waitForTimeout(500);
    await box.fill(input);
    // A picker (not an input box) filters its rows: wait for the one we mean before Enter.
    if (pick) await page.locator('.quick-input-list .monaco-list-row', { hasText: pick }).first().waitFor({ timeout: 20_000 });
    await page.keyboard.press('Enter');
  }
}

/** Drags the side bar's edge so tree rows are readable in screenshots. */
export async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const x = box.x + box.width + 1, y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
}

/** Stops the debug session if one is running (the toolbar is visible). */
export async function stopDebugging(page: Page): Promise<void> {
  if (await page.locator('.debug-toolbar').isVisible().catch(() => false)) {
    await page.keyboard.press('Shift+F5');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 }).catch(() => undefined);
  }
}

/** Opens or closes side-bar panes so the ones a test reads have room. */
export async function arrangePanes(page: Page, open: string[], closed: string[]): Promise<void> {
  for (const t of closed) {
    const h = pane(page, t).locator('.pane-header');
    if (await h.count() && (await h.getAttribute('aria-expanded')) === 'true') await h.click();
  }
  for (const t of open) await expandPane(page, t);
}

/** The view pane in the side bar whose header says `title`. */
export function pane(page: Page, title: string): Locator {
  // Match the title element only: headers also carry badges such as "Paused on step".
  return page.locator('.split-view-view .pane').filter({ has: page.locator('.pane-header .title', { hasText: new RegExp(`^\\s*${title}\\s*$`, 'i') }) });
}

/** Expands a collapsed pane by clicking its header. */
export async function expandPane(page: Page, title: string): Promise<void> {
  const header = pane(page, title).locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
}

/**
 * Visible rows of a tree pane: each row's label and description as the screen reader would read them.
 * One evaluateAll, so the rows are read in a single snapshot of the DOM: counting rows and then reading row i
 * separately waits (playwright's default 30 s) for every row that a re-render removed in between.
 */
export async function rows(page: Page, title: string): Promise<string[]> {
  const texts = await pane(page, title).locator('.monaco-list-row').evaluateAll((els) => els.map((el) => {
    // Label and description are separate spans with no space between them in innerText.
    const parts = [...el.querySelectorAll('.label-name, .label-description')].map((e) => e.textContent ?? '');
    // A virtualized list reuses row elements, so their order in the DOM need not be the list's: data-index is.
    return { index: Number(el.getAttribute('data-index') ?? 0), text: parts.length ? parts.join(' ') : (el as unknown as { innerText: string }).innerText };
  })).catch(() => [] as { index: number; text: string }[]);
  return texts.sort((a, b) => a.index - b.index).map((t) => t.text.replace(/\s+/g, ' ').trim());
}

const started = Date.now();
/** A timestamped progress line, so a slow or stuck step is visible in the test output. */
export function log(step: string): void {
  console.log(`[e2e +${((Date.now() - started) / 1000).toFixed(1)}s] ${step}`);
}

/** Rejects with a clear message when `p` takes longer than `ms` (a browser call that never settles). */
export async function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until VS Code itself considers the session paused: the toolbar's Step Into is enabled. The Faultline
 * views refresh from the adapter's stopped event and can show the stop before VS Code has fetched the call
 * stack and set its "stopped" state, when F10/F11 are still ignored.
 */
export async function waitPaused(page: Page, ms = 60_000): Promise<void> {
  const stepInto = page.locator('.debug-toolbar .action-label.codicon-debug-step-into');
  await until('the session to be paused (Step Into enabled)', async () => {
    if (!(await stepInto.isVisible().catch(() => false))) return false;
    return (await stepInto.getAttribute('aria-disabled').catch(() => 'true')) !== 'true';
  }, (v) => v, ms);
}

/** Polls `probe` until it returns a value that passes `ok`, or throws with the last value. */
export async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const t0 = Date.now(), deadline = t0 + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) {
      if (Date.now() - t0 > 10_000) log(`slow: ${what} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return last;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

/**
 * Wraps test bodies so a failure leaves a screenshot of what VS Code showed (test-results/PREFIXfail-NAME.png)
 * and stops the debug session; `page` gives the current page (undefined before the workbench opened).
 */
export function shotOnFailure(page: () => Page | undefined, prefix = '') {
  return (name: string, body: (t: TestContext) => Promise<void>) => async (t: TestContext): Promise<void> => {
    try {
      await body(t);
    } catch (e) {
      const p = page();
      if (p) {
        await shot(p, `${prefix}fail-${name}`).catch(() => undefined);
        await stopDebugging(p).catch(() => undefined);
      }
      throw e;
    }
  };
}
