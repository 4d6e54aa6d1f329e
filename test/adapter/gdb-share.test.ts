import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { framePacket } from '../../emulator/gdb/packets';
import { Client } from '../gdb/rsp-client';
import { expectError, fixture, startClient } from './helpers';

/**
 * launch.json gdbPort: a gdb client and the DAP session on one machine. gdb reads the state VS Code stopped
 * at; a continue from gdb shows as 'continued' then 'stopped' in DAP (at gdb's breakpoint, where the DAP
 * stack trace then is); VS Code's next step starts from there; a bad gdbPort is one sentence.
 */
describe('gdbPort: gdb shares the DAP session\'s machine', () => {
  it('gdb runs the stopped machine to its breakpoint and the DAP session follows; VS Code steps on from there', async () => {
    const dc = await startClient();
    try {
      const portLine = new Promise<number>((resolve) => {
        dc.on('output', (e: DebugProtocol.OutputEvent) => {
          const m = /gdb server on 127\.0\.0\.1:(\d+)/.exec(e.body.output);
          if (m) resolve(Number(m[1]));
        });
      });
      const entry = dc.waitForEvent('stopped');
      await Promise.all([
        dc.launchRequest({ kernel: fixture('c32-bare-bones'), stopOnEntry: true, gdbPort: 0 } as DebugProtocol.LaunchRequestArguments),
        dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      ]);
      await entry;
      const gdb = await Client.connect(await portLine);
      try {
        // i386 register file: EIP is register 8, after eight 4-byte GPRs.
        const g = await gdb.ask('g');
        const eip = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].instructionPointerReference!;
        assert.equal(BigInt('0x' + Buffer.from(g.slice(64, 72), 'hex').reverse().toString('hex')), BigInt(eip));

        const divide = 0x100122; // nm fixtures/bin/c32-bare-bones.elf: divide
        assert.equal(await gdb.ask(`Z0,${divide.toString(16)},1`), 'OK');
        const continued = dc.waitForEvent('continued');
        const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
        gdb.raw(framePacket('vCont;c'));
        assert.equal(await gdb.next(), 'T05thread:01;swbreak:;');
        await continued;
        const stop = await stopped;
        assert.equal(stop.body.reason, 'breakpoint');
        const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
        assert.match(frames[0].name, /^divide/);
        assert.match(frames[1].name, /^middle/);

        // gdb's breakpoint acts on gdb's runs only: VS Code steps one instruction from here.
        const stepped = dc.waitForEvent('stopped');
        await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
        await stepped;
        const after = await gdb.ask('g');
        const eip2 = BigInt('0x' + Buffer.from(after.slice(64, 72), 'hex').reverse().toString('hex'));
        assert.equal(eip2 > BigInt(divide), true, 'gdb sees the state VS Code stepped to');
        assert.equal(await gdb.ask('Z2,1042c0,4'), '', 'watchpoints belong to VS Code (data breakpoints) on a shared machine');
      } finally {
        gdb.socket.destroy();
      }
    } finally {
      await dc.stop();
    }
  });

  it('a bad gdbPort is one sentence', async () => {
    const dc = await startClient();
    try {
      const msg = await expectError(dc.launchRequest({ kernel: fixture('c32-bare-bones'), gdbPort: 'x' } as unknown as DebugProtocol.LaunchRequestArguments));
      assert.match(msg, /"gdbPort" must be a TCP port from 0 to 65535/);
    } finally {
      await dc.stop();
    }
  });
});
