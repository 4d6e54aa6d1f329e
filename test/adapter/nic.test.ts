import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { expectError, fixture, hasFixture, startClient } from './helpers';

/**
 * launch.json "nic": the e1000 is on the board by default (QEMU's pc), "none" takes it away (qemu -nic none), and
 * anything else is one sentence. The e1000 fixture says what its driver found on the Debug Console.
 */
async function consoleOf(args: object): Promise<string> {
  const dc = await startClient();
  let text = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => { text += e.body.output; });
  try {
    const ended = dc.waitForEvent('terminated', 60_000);
    const configured = dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest());
    await Promise.all([dc.launchRequest({ kernel: fixture('e1000'), firmware: 'none', historyMB: 0, serialTerminal: false, ...args } as DebugProtocol.LaunchRequestArguments), configured]);
    await ended;
    return text;
  } finally {
    await dc.stop();
  }
}

test('"nic": the e1000 by default (DHCP gives 10.0.2.15), none with "none", a wrong value is one sentence', { skip: !hasFixture('e1000') && 'fixture missing' }, async () => {
  assert.match(await consoleOf({}), /address 10\.0\.2\.15/);
  const none = await consoleOf({ nic: 'none' });
  assert.match(none, /no 82540EM on bus 0/);
  const dc = await startClient();
  try {
    const msg = await expectError(dc.launchRequest({ kernel: fixture('e1000'), nic: 'rtl8139' } as unknown as DebugProtocol.LaunchRequestArguments));
    assert.match(msg, /"nic" must be "e1000" \(QEMU's default network card\) or "none"/);
  } finally {
    await dc.stop();
  }
});
