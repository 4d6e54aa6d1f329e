import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

/**
 * `faultline run KERNEL --serial stdio` in a real terminal: tmux runs the CLI in a pseudo-terminal, the test
 * types commands into the serial-shell fixture with send-keys, reads the screen with capture-pane, quits with
 * Ctrl-A X and replays the recording it wrote. Skipped (with the reason) where tmux is not installed.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-stdio-'));
const socket = `faultline-test-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
after(() => {
  tmux('kill-server');
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function screenShows(pattern: RegExp, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  let text = '';
  while (Date.now() < end) {
    text = tmux('capture-pane', '-p', '-t', 'cli').stdout;
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the terminal never showed ${pattern}; it shows:\n${text}`);
}

test('--serial stdio under tmux: the prompt shows at once, typed commands reach COM1, Ctrl-A X quits, the recording replays', async (t) => {
  if (spawnSync('tmux', ['-V']).status !== 0) { t.skip('tmux is not installed (apt-get install tmux)'); return; }
  const rec = path.join(tmp, 'shell.json');
  const kernel = path.join(root, 'fixtures', 'bin', 'serial-shell.elf');
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} run ${JSON.stringify(kernel)} --serial stdio --record ${JSON.stringify(rec)}; echo "EXIT=$?"; sleep 30`;
  assert.equal(tmux('new-session', '-d', '-s', 'cli', '-x', '100', '-y', '30', cmd).status, 0);
  // The prompt is printed just before the guest idles in HLT: it must appear without any further output.
  await screenShows(/serial-shell ready\s+>\s*$/m);
  tmux('send-keys', '-t', 'cli', 'echo over a pty', 'Enter');
  await screenShows(/> echo over a pty\s+over a pty\s+>\s*$/m);
  tmux('send-keys', '-t', 'cli', 'ver', 'Enter');
  await screenShows(/serial-shell 1\.0/);
  // Ctrl-C goes to the guest in raw mode (the shell ignores it), it does not kill faultline.
  tmux('send-keys', '-t', 'cli', 'C-c');
  tmux('send-keys', '-t', 'cli', 'C-a', 'x');
  const end = await screenShows(/EXIT=\d+/);
  assert.match(end, /quit \(C-a x\) after \d+ instructions/);
  assert.match(end, /EXIT=0/);
  const replay = spawnSync(process.execPath, [cli, 'replay', rec], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(replay.status, 0, replay.stdout + replay.stderr);
  assert.match(replay.stdout, /replay identical .*3 input\(s\)/);
});

test('keys typed before C-a x in the same read reach COM1 and the recording; nothing after it does', async () => {
  const { Machine } = await import('../../emulator/machine');
  const { runInteractive } = await import('../../emulator/interactive');
  const { StdioSerial } = await import('../../emulator/serial-stdio');
  const { PassThrough } = await import('node:stream');
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  const said: string[] = [];
  const live = new StdioSerial(stdin, (s) => said.push(s));
  // Ctrl-C, then the quit sequence, then bytes typed after it, all in one chunk: the loop never sees the queue.
  live.feed(Uint8Array.of(0x03, 0x01, 0x78, 0x41, 0x42));
  assert.equal(live.quit, true);
  const m = Machine.create({ memoryMB: 32 });
  m.boot(new Uint8Array(fs.readFileSync(path.join(root, 'fixtures', 'bin', 'serial-shell.elf'))));
  const res = await runInteractive(m, 1_000_000, [], live, () => {});
  live.close();
  assert.equal(res.quit, true);
  assert.deepEqual(res.session.inputs.map((i) => [...(i as { bytes?: number[] }).bytes ?? []]), [[0x03]]);
  assert.match(said.join(''), /terminated by C-a x/);
});
