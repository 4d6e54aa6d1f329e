import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, fixture, startClient } from './helpers';

test('malformed and out-of-order requests each get an error response and the adapter survives', async () => {
  const dc = await startClient();
  try {
    // before launch
    assert.match(await expectError(dc.stackTraceRequest({ threadId: 1 })), /launch/);
    assert.match(await expectError(dc.customRequest('readMemory', { memoryReference: '0x1000', count: 16 })), /launch/);
    assert.match(await expectError(dc.continueRequest({ threadId: 1 })), /launch/);
    assert.match(await expectError(dc.customRequest('faultline/gdt')), /launch/);
    // unknown commands and malformed arguments
    assert.match(await expectError(dc.customRequest('noSuchCommand', { x: 1 })), /unknown request/);
    assert.match(await expectError(dc.customRequest('launch', [1, 2] as unknown as object)), /object|kernel/);
    assert.match(await expectError(dc.launchRequest({} as never)), /"kernel" is missing/);
    assert.match(await expectError(dc.launchRequest({ kernel: 42 } as never)), /"kernel" is missing/);
    assert.match(await expectError(dc.launchRequest({ kernel: '/nonexistent/kernel.elf' } as never)), /does not exist/);
    assert.match(await expectError(dc.launchRequest({ kernel: __filename, memoryMB: -3 } as never)), /memoryMB/);
    assert.match(await expectError(dc.launchRequest({ kernel: __filename, cmdline: 'a', append: 'b' } as never)), /same setting/);
    assert.match(await expectError(dc.launchRequest({ kernel: __filename, initrd: 7 } as never)), /"initrd" must be/);
    assert.match(await expectError(dc.launchRequest({ kernel: __filename, initrd: '/nonexistent/initrd.gz' } as never)), /module \/nonexistent\/initrd\.gz does not exist; "initrd" lists a multiboot kernel's modules/);
    assert.match(await expectError(dc.setBreakpointsRequest({} as never)), /source\.path/);
    // a file that is not an ELF: the boot loader's sentence (or the missing emulator) comes back, adapter stays up
    const notElf = await expectError(dc.launchRequest({ kernel: __filename } as never));
    assert.ok(notElf.length > 10, notElf);
    // still alive
    const threads = await dc.threadsRequest();
    assert.equal(threads.body.threads[0].name, 'CPU 0');
  } finally {
    await dc.stop();
  }
});

test('after launch: huge reads, bad references and bad arguments are errors, not crashes', { skip: !require('node:fs').existsSync(fixture('stack-overflow-seed')) && 'fixture missing' }, async () => {
  const dc = await startClient();
  try {
    await Promise.all([
      dc.launch({ kernel: fixture('stack-overflow-seed'), stopOnEntry: true }),
      dc.waitForEvent('stopped'),
    ]);
    assert.match(await expectError(dc.customRequest('readMemory', { memoryReference: '0x100000', count: 1 << 30 })), /limit/);
    assert.match(await expectError(dc.customRequest('readMemory', { memoryReference: 'no_such_symbol', count: 4 })), /unknown name/);
    assert.match(await expectError(dc.customRequest('readMemory', { memoryReference: 5 as never, count: 4 })), /memoryReference/);
    assert.match(await expectError(dc.variablesRequest({ variablesReference: 999999 })), /not valid/);
    assert.match(await expectError(dc.evaluateRequest({ expression: 'rip +' })), /ends too early/);
    assert.match(await expectError(dc.customRequest('faultline/pageWalk', { address: {} })), /address/);
    assert.match(await expectError(dc.disassembleRequest({ memoryReference: '0x100000', instructionCount: -1 })), /instructionCount/);
    assert.match(await expectError(dc.setVariableRequest({ variablesReference: 1, name: 'bogus', value: '1' })), /registers/);
    const st = await dc.stackTraceRequest({ threadId: 1 });
    assert.ok(st.body.stackFrames.length >= 1);
  } finally {
    await dc.stop();
  }
});
