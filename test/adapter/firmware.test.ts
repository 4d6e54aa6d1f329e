import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { firmwareMissing } from '../support/firmware';
import { expectError, FIXTURES, launchArgsAndStop, startClient } from './helpers';

/**
 * launch.json boot paths through the firmware: "disks", "cdrom" and "fda" without a kernel boot with SeaBIOS, a
 * "kernel" with "firmware": "seabios" boots through SeaBIOS and the multiboot option ROM, the fault chain stops
 * the session as for a direct boot, and bad media are one sentence.
 */
describe('launch.json: disks, cdrom and fda through SeaBIOS', { skip: firmwareMissing() }, () => {
  it('"disks": [bootsector.img] boots through SeaBIOS and stops at the escalation #PF -> #NP', async () => {
    const dc = await startClient();
    try {
      const ev = await launchArgsAndStop(dc, { disks: [path.join(FIXTURES, 'bootsector.img')], historyMB: 0 }, ['escalation']);
      assert.equal(ev.body.reason, 'exception');
      const info = await dc.exceptionInfoRequest({ threadId: ev.body.threadId! });
      assert.match(info.body.exceptionId + ' ' + (info.body.description ?? ''), /#NP/);
    } finally {
      await dc.stop();
    }
  });

  it('"kernel" with "firmware": "seabios" boots through SeaBIOS and the option ROM, stops at #PF -> #NP with the kernel\'s symbols', async () => {
    const dc = await startClient();
    try {
      const ev = await launchArgsAndStop(dc, { kernel: path.join(FIXTURES, 'pf-missing-idt.elf'), firmware: 'seabios', historyMB: 0 }, ['escalation']);
      assert.equal(ev.body.reason, 'exception');
      const info = await dc.exceptionInfoRequest({ threadId: ev.body.threadId! });
      assert.match(info.body.exceptionId + ' ' + (info.body.description ?? ''), /#NP/);
      const st = await dc.stackTraceRequest({ threadId: ev.body.threadId! });
      assert.ok(st.body.stackFrames.some((f) => /^[A-Za-z_]/.test(f.name) && !/^0x/.test(f.name)), `a frame named from the kernel's symbols: ${st.body.stackFrames.map((f) => f.name).join(', ')}`);
    } finally {
      await dc.stop();
    }
  });

  it('"fda": floppy.img stops on entry at the boot sector (0000:7C00), then runs its FDC driver to its exit', async () => {
    const dc = await startClient();
    try {
      const ev = await launchArgsAndStop(dc, { fda: path.join(FIXTURES, 'floppy.img'), stopOnEntry: true, historyMB: 0 }, []);
      assert.equal(ev.body.reason, 'entry');
      const st = await dc.stackTraceRequest({ threadId: ev.body.threadId! });
      assert.equal(st.body.stackFrames[0].instructionPointerReference, '0x7c00');
      const exited = dc.waitForEvent('exited');
      await dc.continueRequest({ threadId: ev.body.threadId! });
      assert.equal((await exited).body.exitCode, 33, 'the fixture\'s isa-debug-exit after "floppy: done"');
    } finally {
      await dc.stop();
    }
  });

  it('a non-bootable disk, an ISO without El Torito and a bad "firmware" are one sentence each', async () => {
    const dc = await startClient();
    try {
      const launch = (a: object) => expectError(dc.launchRequest(a as DebugProtocol.LaunchRequestArguments));
      assert.match(await launch({ disks: [path.join(FIXTURES, 'pf-zero-idt.elf')] }), /is not bootable: its first sector does not end with the boot signature 0x55 0xAA/);
      assert.match(await launch({ cdrom: path.join(FIXTURES, 'bootsector.img') }), /is not an ISO 9660 CD image/);
      assert.match(await launch({ disks: [path.join(FIXTURES, 'bootsector.img')], firmware: 'coreboot' }), /"firmware" must be "seabios" or "none"/);
      assert.match(await launch({ fda: path.join(FIXTURES, 'missing.img') }), /disk image .*missing\.img does not exist/);
      assert.match(await launch({ fda: 42 }), /"fda" must be the path of a floppy image/);
    } finally {
      await dc.stop();
    }
  });
});
