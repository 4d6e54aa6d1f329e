import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ROOT, fixture, hasFixture, launchAndStop, startClient } from './helpers';

async function continueTo(dc: DebugClient, until: (e: DebugProtocol.StoppedEvent) => boolean, max = 10): Promise<DebugProtocol.StoppedEvent> {
  for (let i = 0; i < max; i++) {
    const next = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: 1 });
    const e = await next;
    if (until(e)) return e;
  }
  throw new Error('the expected stop never came');
}

test('stack overflow: #PF filter stops at the call into the guard page; the chain ends in a diagnosed triple fault',
  { skip: !hasFixture('stack-overflow-no-ist') && 'fixture missing' }, async () => {
    const dc = await startClient();
    try {
      const first = await launchAndStop(dc, 'stack-overflow-no-ist', ['vector-14', 'double-fault', 'triple-fault']);
      assert.equal(first.body.reason, 'exception');
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.match(st.body.stackFrames[0].name, /^stack_overflow/);
      const dis = await dc.disassembleRequest({ memoryReference: st.body.stackFrames[0].instructionPointerReference!, instructionCount: 1 });
      assert.match(dis.body!.instructions[0].instruction, /^call/);
      const info = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.equal(info.body.exceptionId, '#PF');
      // the guard page (CR2) is unreadable
      const regs = await dc.evaluateRequest({ expression: 'cr2' });
      const guard = regs.body.memoryReference!;
      const mem = await dc.customRequest('readMemory', { memoryReference: guard, count: 16 });
      assert.equal(mem.body.unreadableBytes, 16);

      const last = await continueTo(dc, (e) => e.body.text === 'Triple fault');
      assert.equal(last.body.reason, 'exception');
      const tf = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.equal(tf.body.exceptionId, 'Triple fault');
      assert.match(tf.body.description ?? '', /#PF → #PF → #DF → #PF → triple fault/);
      assert.match(tf.body.description ?? '', /stack overflow into a guard page/);
      const chain = await dc.customRequest('faultline/faultChain');
      assert.equal(chain.body.summary, '#PF → #PF → #DF → #PF → triple fault');
      const stack = await dc.stackTraceRequest({ threadId: 1 });
      assert.ok(stack.body.stackFrames.some((f) => f.name.startsWith('stack_overflow')));
    } finally {
      await dc.stop();
    }
  });

test('IST fix: the #DF filter stops, stepIn lands in the handler on the IST stack, continue prints its output',
  { skip: !hasFixture('ist-double-fault') && 'fixture missing' }, async () => {
    const dc = await startClient();
    try {
      let out = '';
      dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'stdout') out += e.body.output; });
      let stop = await launchAndStop(dc, 'ist-double-fault', ['double-fault']);
      if (stop.body.text !== '#DF Double fault') stop = await continueTo(dc, (e) => /#DF/.test(e.body.text ?? ''));
      const next = dc.waitForEvent('stopped');
      await dc.stepInRequest({ threadId: 1 });
      await next;
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.match(st.body.stackFrames[0].name, /double_fault_handler/);
      assert.ok(st.body.stackFrames.some((f) => f.name.startsWith('⚡ #DF delivered')));
      const rsp = BigInt((await dc.evaluateRequest({ expression: 'rsp' })).body.result.split(' ')[0]);
      const bottom = BigInt((await dc.evaluateRequest({ expression: 'ist1_bottom' })).body.result.split(' ')[0]);
      const top = BigInt((await dc.evaluateRequest({ expression: 'ist1_top' })).body.result.split(' ')[0]);
      assert.ok(rsp >= bottom && rsp <= top, `RSP 0x${rsp.toString(16)} is on the IST1 stack`);
      const ended = dc.waitForEvent('terminated');
      await dc.continueRequest({ threadId: 1 });
      await ended;
      assert.match(out, /DOUBLE FAULT/);
    } finally {
      await dc.stop();
    }
  });

test('a source-line breakpoint in the C fixture stops at the address DWARF gives for that line',
  { skip: !hasFixture('breakpoint') && 'fixture missing' }, async () => {
    const dc = await startClient();
    try {
      const src = path.join(ROOT, 'fixtures', 'src', 'breakpoint', 'main.c');
      const line = fs.readFileSync(src, 'utf8').split('\n').findIndex((l) => l.includes('idt_load();')) + 1;
      const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      let bp: DebugProtocol.SetBreakpointsResponse | undefined;
      const configured = dc.waitForEvent('initialized').then(async () => {
        bp = await dc.setBreakpointsRequest({ source: { path: src }, breakpoints: [{ line }] });
        await dc.configurationDoneRequest();
      });
      await Promise.all([dc.launchRequest({ kernel: fixture('breakpoint') } as DebugProtocol.LaunchRequestArguments), configured]);
      assert.equal(bp!.body.breakpoints[0].verified, true);
      const e = await stopped;
      assert.equal(e.body.reason, 'breakpoint');
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(st.body.stackFrames[0].line, line);
      // cross-check with objdump's decoded line table: the first is_stmt address of that line
      const text = execFileSync('objdump', ['--dwarf=decodedline', fixture('breakpoint')], { encoding: 'utf8' });
      const addrs = text.split('\n').map((l) => /^main\.c\s+(\d+)\s+(0x[0-9a-f]+)(?:\s+\d+)?\s+x\s*$/.exec(l))
        .filter((m): m is RegExpExecArray => !!m && Number(m[1]) === line).map((m) => BigInt(m[2]));
      assert.ok(addrs.length > 0);
      const min = addrs.reduce((a, b) => (a < b ? a : b));
      assert.equal(BigInt(st.body.stackFrames[0].instructionPointerReference!), min);
    } finally {
      await dc.stop();
    }
  });

test('32-bit C kernel: a source breakpoint, then #DE three calls deep; the handler\'s call stack crosses the exception frame; 32-bit registers',
  { skip: !hasFixture('c32-bare-bones') && 'fixture missing' }, async () => {
    const dc = await startClient();
    try {
      const src = path.join(ROOT, 'fixtures/src/c32-bare-bones/kernel.c');
      const line = fs.readFileSync(src, 'utf8').split('\n').findIndex((l) => l.includes('int middle(int a)')) + 1;
      const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      let bp: DebugProtocol.SetBreakpointsResponse | undefined;
      const configured = dc.waitForEvent('initialized').then(async () => {
        bp = await dc.setBreakpointsRequest({ source: { path: src }, breakpoints: [{ line }] });
        await dc.setExceptionBreakpointsRequest({ filters: ['vector-0'] });
        await dc.configurationDoneRequest();
      });
      await Promise.all([dc.launchRequest({ kernel: fixture('c32-bare-bones') } as DebugProtocol.LaunchRequestArguments), configured]);
      assert.equal(bp!.body.breakpoints[0].verified, true, 'the ELF32 line table resolves the line');
      assert.equal((await stopped).body.reason, 'breakpoint');
      let names = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames.map((f) => f.name);
      assert.deepEqual(names.map((n) => n.replace(/\+0x[0-9a-f]+$/, '')), ['middle', 'outer', 'kmain', '_start'], '32-bit CFI unwinding');

      const de = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await dc.continueRequest({ threadId: 1 });
      assert.equal((await de).body.text, '#DE Divide error');
      const into = dc.waitForEvent('stopped');
      await dc.stepInRequest({ threadId: 1 });
      await into;
      const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      names = frames.map((f) => f.name.replace(/\+0x[0-9a-f]+$/, ''));
      assert.deepEqual(names, ['divide_error', '⚡ #DE delivered', 'divide', 'middle', 'outer', 'kmain', '_start']);
      assert.equal(frames[2].source?.name, 'kernel.c');

      const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
      const general = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
      assert.deepEqual(general.map((v) => v.name), ['EAX', 'EBX', 'ECX', 'EDX', 'ESI', 'EDI', 'EBP', 'ESP', 'EIP', 'EFLAGS']);
      assert.match(general.find((v) => v.name === 'EIP')!.value, /^0x[0-9a-f]{8} {2}<divide_error>$/);
      assert.equal((await dc.evaluateRequest({ expression: 'eax' })).body.result.split(' ')[0], general[0].value.split(' ')[0].replace(/^0x0+(?=.)/, '0x'));
      const set = await dc.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'EBX', value: '0x1234' });
      assert.equal(set.body.value, '0x00001234');
      await assert.rejects(dc.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'EBX', value: '0x100000000' }), /32 bits wide/);
    } finally {
      await dc.stop();
    }
  });
