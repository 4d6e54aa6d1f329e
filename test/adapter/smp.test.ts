import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { expectError, fixture, hasFixture, startClient } from './helpers';

/**
 * "smp" in launch.json: one DAP thread per CPU. fixtures/bin/smp.elf (fixtures/src/smp/kernel.asm) starts its
 * APs by INIT-SIPI-SIPI; a function breakpoint on int40, the handler of the IPI the BSP sends each AP, stops
 * the machine on the AP that runs it.
 */
test('smp 2: two threads; a breakpoint hit on CPU 1 stops on thread 2; each thread has its own stack; no reverse debugging',
  { skip: !hasFixture('smp') && 'fixture missing' }, async () => {
    const dc = await startClient();
    try {
      const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      const configured = dc.waitForEvent('initialized').then(async () => {
        await dc.setExceptionBreakpointsRequest({ filters: [] });
        const bp = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'int40' }] });
        assert.equal(bp.body.breakpoints[0].verified, true);
        await dc.configurationDoneRequest();
      });
      await Promise.all([dc.launchRequest({ kernel: fixture('smp'), smp: 2, firmware: 'none' } as DebugProtocol.LaunchRequestArguments), configured]);
      const stop = await stopped;
      assert.match(stop.body.reason, /breakpoint/);
      assert.equal(stop.body.threadId, 2, 'CPU 1 hit it');
      assert.equal(stop.body.allThreadsStopped, true);

      const threads = await dc.threadsRequest();
      assert.deepEqual(threads.body.threads.map((t) => t.name), ['CPU 0', 'CPU 1']);
      const ap = await dc.stackTraceRequest({ threadId: 2 });
      assert.match(ap.body.stackFrames[0].name, /int40/);
      const bsp = await dc.stackTraceRequest({ threadId: 1 });
      assert.doesNotMatch(bsp.body.stackFrames[0].name, /int40/, 'CPU 0 is elsewhere');
      // Registers follow the thread: CPU 1's EIP is int40.
      const apAgain = await dc.stackTraceRequest({ threadId: 2 });
      const scopes = await dc.scopesRequest({ frameId: apAgain.body.stackFrames[0].id });
      const regs = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      const rip = regs.body.variables.find((v) => /^(rip|eip)$/i.test(v.name));
      assert.ok(rip, 'an instruction pointer row');
      assert.equal(BigInt(rip!.value.split(/\s/)[0]), BigInt(ap.body.stackFrames[0].instructionPointerReference!));

      assert.match(await expectError(dc.customRequest('stepBack', { threadId: 2 })), /one CPU only/);

      // Stepping runs the CPU that stopped.
      const stepped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await dc.nextRequest({ threadId: 2, granularity: 'instruction' });
      assert.equal((await stepped).body.threadId, 2);

      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      const ended = dc.waitForEvent('terminated');
      await dc.continueRequest({ threadId: 2 });
      await ended;
    } finally {
      await dc.stop();
    }
  });

test('smp: a wrong value, or history asked for with several CPUs, fails the launch in one sentence', { skip: !hasFixture('smp') && 'fixture missing' }, async () => {
  for (const [args, pattern] of [
    [{ smp: 0 }, /"smp" must be a whole number of CPUs from 1 to 16/],
    [{ smp: 2.5 }, /"smp" must be a whole number of CPUs from 1 to 16/],
    [{ smp: 2, historyMB: 64 }, /reverse debugging \("historyMB"\) works with one CPU only/],
  ] as const) {
    const dc = await startClient();
    try {
      const msg = await expectError(dc.launchRequest({ kernel: fixture('smp'), ...args } as unknown as DebugProtocol.LaunchRequestArguments));
      assert.match(msg, pattern);
    } finally {
      await dc.stop();
    }
  }
});
