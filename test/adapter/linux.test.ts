import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { exceptionBreakpointFilters } from '../../debug-adapter/exception-filters';
import {
  LINUX32_INITRD, LINUX_APPEND, LINUX_INITRD, LINUX_KERNEL, LINUX_MEMORY_MB, LINUX_VMLINUX, linux32BootSkipped, linux32Kernel, linuxBootSkipped,
} from '../support/linux-fixture';
import * as fs from 'node:fs';
import { startClient } from './helpers';

/**
 * Debugging Linux through the adapter: launch Debian's kernel with the busybox initramfs (no symbols file: the
 * adapter reads kallsyms from guest RAM), pause during the init's shell loop, stop in a kernel function by name,
 * get a call stack that names kernel functions, and continue to the ACPI power-off. The default exception
 * filters are on: the user-space page faults Linux handles do not stop the session. Gated like the boot test
 * (FAULTLINE_LINUX_BOOT=1 and the cached fixture): minutes of wall time. Once with the x86_64 kernel, once with
 * the i386 PAE kernel (fixtures/linux32: 32-bit kallsyms, frame-pointer stacks, user faults in 32-bit mode).
 */

const FIXTURES = [
  { name: 'x86_64', kernel: LINUX_KERNEL, initrd: LINUX_INITRD, syscallFrame: /^(do_syscall_64|entry_SYSCALL_64)/, skip: linuxBootSkipped() },
  { name: 'i386 (686-pae)', kernel: linux32Kernel('pae'), initrd: LINUX32_INITRD, syscallFrame: /^do_(fast_syscall_32|int80_syscall_32)\b/, skip: linux32BootSkipped() },
  // The same x86_64 kernel uncompressed, booted through the PVH protocol (qemu -kernel vmlinux); stripped, so
  // its names come from kallsyms too.
  {
    name: 'x86_64 vmlinux (PVH)', kernel: LINUX_VMLINUX, initrd: LINUX_INITRD, syscallFrame: /^(do_syscall_64|entry_SYSCALL_64)/,
    skip: linuxBootSkipped() || (!fs.existsSync(LINUX_VMLINUX) && `${LINUX_VMLINUX} is missing: run bash fixtures/linux/build.sh`),
  },
];

function serialCollector(dc: DebugClient): { text: () => string; until: (re: RegExp, ms: number) => Promise<void> } {
  let text = '';
  dc.on('faultline/serialOutput', (e: DebugProtocol.Event) => { text += Buffer.from((e.body as { data: string }).data, 'base64').toString('latin1'); });
  return {
    text: () => text,
    until: async (re, ms) => {
      const end = Date.now() + ms;
      while (!re.test(text)) {
        if (Date.now() > end) assert.fail(`serial output never matched ${re}; it was ${JSON.stringify(text.slice(-2000))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

for (const fx of FIXTURES) describe(`debugging Debian's ${fx.name} kernel through the adapter`, { skip: fx.skip, timeout: 3_600_000 }, () => {
  let dc: DebugClient;
  before(async () => { dc = await startClient(); dc.defaultTimeout = 600_000; });
  after(async () => { await dc.stop(); });

  it('pauses in the shell loop, stops in ksys_write with kallsyms names in the stack, continues to power-off', async () => {
    const serial = serialCollector(dc);
    const stops: string[] = [];
    dc.on('stopped', (e: DebugProtocol.StoppedEvent) => { stops.push(`${e.body.reason}: ${e.body.description ?? ''}`); });
    const configured = dc.waitForEvent('initialized').then(async () => {
      await dc.setExceptionBreakpointsRequest({ filters: exceptionBreakpointFilters().filter((f) => f.default).map((f) => f.filter) });
      await dc.configurationDoneRequest();
    });
    await Promise.all([
      // historyMB 0: reverse-debugging snapshots every 500 000 instructions triple this run's time (Linux dirties
      // many pages); test/adapter/reverse.test.ts covers history.
      dc.launchRequest({ kernel: fx.kernel, initrd: fx.initrd, append: LINUX_APPEND, memoryMB: LINUX_MEMORY_MB, historyMB: 0 } as DebugProtocol.LaunchRequestArguments),
      configured,
    ]);
    await serial.until(/loop 1\r?\n/, 3_000_000);
    assert.deepEqual(stops, [], 'no stop before the pause: handled user and kernel page faults do not stop by default');

    const paused = dc.waitForEvent('stopped');
    await dc.pauseRequest({ threadId: 1 });
    await paused;
    const bp = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'ksys_write' }] });
    assert.equal(bp.body.breakpoints[0].verified, true, `ksys_write resolved from kallsyms: ${bp.body.breakpoints[0].message ?? ''}`);

    const hit = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: 1 });
    assert.equal((await hit).body.reason, 'function breakpoint');
    const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    assert.match(frames[0].name, /^ksys_write\b/, frames.map((f) => f.name).join(' <- '));
    // The frames below it walk back to the system call's entry (i386: SYSENTER through the vDSO, frame pointers all the
    // way; x86_64, built without frame pointers: the SYSCALL entry).
    assert.ok(frames.some((f) => fx.syscallFrame.test(f.name)), frames.map((f) => f.name).join(' <- '));

    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const ended = dc.waitForEvent('terminated', 3_000_000);
    await dc.continueRequest({ threadId: 1 });
    await ended;
    assert.match(serial.text(), /loop 3\r?\n/);
    assert.match(serial.text(), /reboot: Power down/);
  });
});
