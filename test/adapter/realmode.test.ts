import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { IdtResponseBody } from '../../debug-adapter/protocol';
import { fixture, hasFixture, launchAndStop, startClient } from './helpers';

// Symbols of fixtures/bin/realmode-ops.elf (linked at 0x8000, running at CS = 0, so linear = offset).
const DE_SITE = 0x8083n; // real_entry.de_site: div bl
const DE_HANDLER = 0x8344n;

test('real mode: #DE stops at CS:IP, 16-bit disassembly, CS:IP registers, the IVT view; stepping in crosses the IVT frame',
  { skip: !hasFixture('realmode-ops') && 'fixture missing' }, async () => {
    const dc = await startClient();
    try {
      const stop = await launchAndStop(dc, 'realmode-ops', ['vector-0']);
      assert.equal(stop.body.reason, 'exception');
      assert.match(stop.body.text ?? '', /^#DE/);
      let st = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(BigInt(st.body.stackFrames[0].instructionPointerReference!), DE_SITE);
      assert.match(st.body.stackFrames[0].name, /de_site/);
      const dis = await dc.disassembleRequest({ memoryReference: st.body.stackFrames[0].instructionPointerReference!, instructionCount: 2 });
      assert.match(dis.body!.instructions[0].instruction, /^div\s+bl/);
      assert.equal(BigInt(dis.body!.instructions[1].address), DE_SITE + 2n);
      const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
      const general = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      const csip = general.body.variables.find((v: DebugProtocol.Variable) => v.name === 'CS:IP');
      assert.ok(csip, 'CS:IP row');
      assert.match(csip!.value, /^0000:8083 {2}\(0x8083\)/);
      const idt = (await dc.customRequest('faultline/idt', {})).body as IdtResponseBody;
      assert.equal(idt.gates.length, 0);
      assert.equal(idt.ivt?.length, 256);
      assert.equal(BigInt(idt.ivt![0].linear), DE_HANDLER);

      const stepped = dc.waitForEvent('stopped');
      await dc.stepInRequest({ threadId: 1 });
      await stepped;
      st = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(BigInt(st.body.stackFrames[0].instructionPointerReference!), DE_HANDLER);
      assert.equal(st.body.stackFrames[1].name, '⚡ #DE delivered through the IVT');
      assert.equal(BigInt(st.body.stackFrames[1].instructionPointerReference!), DE_SITE, 'the IVT frame holds the DIV\'s CS:IP');
    } finally {
      await dc.stop();
    }
  });

test('real mode: an instruction breakpoint at a linear address (segment × 16 + offset) stops there',
  { skip: !hasFixture('realmode-ops') && 'fixture missing' }, async () => {
    const dc = await startClient();
    try {
      const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      const configured = dc.waitForEvent('initialized').then(async () => {
        await dc.setExceptionBreakpointsRequest({ filters: [] });
        await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x8342' }] }); // int42
        await dc.configurationDoneRequest();
      });
      await Promise.all([dc.launchRequest({ kernel: fixture('realmode-ops') } as DebugProtocol.LaunchRequestArguments), configured]);
      const stop = await stopped;
      assert.match(stop.body.reason, /breakpoint/);
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(BigInt(st.body.stackFrames[0].instructionPointerReference!), 0x8342n);
      assert.match(st.body.stackFrames[0].name, /int42/);
    } finally {
      await dc.stop();
    }
  });
