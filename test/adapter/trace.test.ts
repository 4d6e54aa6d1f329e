import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, startClient } from './helpers';

test('launch.json "trace" logs requests and responses to the Debug Console; without it nothing is logged', async () => {
  for (const trace of [true, false]) {
    const dc = await startClient();
    try {
      const lines: string[] = [];
      dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'console') lines.push(e.body.output); });
      const stopped = dc.waitForEvent('stopped');
      await Promise.all([
        dc.launchRequest({ kernel: fixture('breakpoint'), stopOnEntry: true, trace } as DebugProtocol.LaunchRequestArguments),
        dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      ]);
      await stopped;
      await dc.threadsRequest();
      const traced = lines.filter((l) => l.startsWith('⇢') || l.startsWith('⇠'));
      if (trace) {
        assert.ok(traced.some((l) => l.startsWith('⇢') && l.includes('"command":"threads"')), 'the threads request is logged');
        assert.ok(traced.some((l) => l.startsWith('⇠') && l.includes('"command":"threads"')), 'its response is logged');
      } else {
        assert.deepEqual(traced, []);
      }
    } finally {
      await dc.stop();
    }
  }
});
