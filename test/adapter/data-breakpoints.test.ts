import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, hasFixture, launchAndStop, startClient } from './helpers';

/**
 * Data breakpoints of every DAP access type (write, read, readWrite) on the 32-bit C kernel: divide() loads
 * `divisor`, set_gate() writes the #DE gate and delivering #DE reads it. The machine stops after the access.
 */
function symbol(name: string): bigint {
  const line = execFileSync('nm', [fixture('c32-bare-bones')], { encoding: 'utf8' }).split('\n').find((l) => l.endsWith(` ${name}`))!;
  return BigInt('0x' + line.split(' ')[0]);
}

async function continueToStop(dc: DebugClient): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await dc.continueRequest({ threadId: 1 });
  return stopped;
}

test('data breakpoints: read, readWrite and write access types stop after the access and say which it was',
  { skip: !hasFixture('c32-bare-bones') && 'fixture missing' }, async () => {
    const dc = await startClient();
    try {
      await launchAndStop(dc, 'c32-bare-bones', [], { stopOnEntry: true });
      const divisor = symbol('divisor'), idt = symbol('idt');
      const info = await dc.dataBreakpointInfoRequest({ name: `0x${divisor.toString(16)}`, bytes: 4 } as DebugProtocol.DataBreakpointInfoArguments);
      assert.deepEqual(info.body.accessTypes, ['write', 'read', 'readWrite']);
      const gate = await dc.dataBreakpointInfoRequest({ name: `0x${idt.toString(16)}`, bytes: 8 } as DebugProtocol.DataBreakpointInfoArguments);
      const set = await dc.setDataBreakpointsRequest({ breakpoints: [
        { dataId: info.body.dataId!, accessType: 'read' },
        { dataId: gate.body.dataId!, accessType: 'readWrite' },
        { dataId: gate.body.dataId!, accessType: 'execute' as never },
      ] });
      assert.deepEqual(set.body.breakpoints.map((b) => b.verified), [true, true, false]);
      assert.match(set.body.breakpoints[2].message!, /accessType 'execute' is not write, read or readWrite/);
      // set_gate: two dword stores into the gate.
      let s = await continueToStop(dc);
      assert.equal(s.body.reason, 'data breakpoint');
      assert.match(s.body.description!, new RegExp(`^write of 4 bytes to 0x${idt.toString(16)} at 0x[0-9a-f]+$`));
      s = await continueToStop(dc);
      assert.match(s.body.description!, new RegExp(`^write of 4 bytes to 0x${(idt + 4n).toString(16)} at `));
      // divide(): mov ecx, [divisor]
      s = await continueToStop(dc);
      assert.match(s.body.description!, new RegExp(`^read of 4 bytes from 0x${divisor.toString(16)} at 0x[0-9a-f]+$`));
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.match(st.body.stackFrames[0].name, /^divide/);
      // #DE delivery reads the gate: stopped at the handler's first instruction.
      s = await continueToStop(dc);
      assert.match(s.body.description!, new RegExp(`^read of \\d bytes from 0x${idt.toString(16)} at `));
      const handler = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(BigInt(handler.body.stackFrames[0].instructionPointerReference!), symbol('divide_error'));
    } finally {
      await dc.stop();
    }
  });
