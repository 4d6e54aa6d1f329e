import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { decodePng } from '../../emulator/png';
import { expectError, fixture, ROOT, startClient } from './helpers';
import { buildElf, concatBytes, multiboot1Header } from '../support/elf-builder';

/**
 * The serial terminal and the Guest Screen through the real adapter (DebugClient over stdio): typing into the
 * serial-shell fixture with faultline/serialInput and reading its answer from faultline/serialOutput events,
 * input queued while paused, keys into the keyboard fixture, frames as PNG with dirty tracking.
 */

/** Collects faultline/serialOutput bytes of one port (COM1 by default) as text. */
function serialCollector(dc: DebugClient, port = 1): { text: () => string; until: (re: RegExp, ms?: number) => Promise<string> } {
  let text = '';
  dc.on('faultline/serialOutput', (e: DebugProtocol.Event) => {
    const b = e.body as { data: string; port: number };
    if (b.port === port) text += Buffer.from(b.data, 'base64').toString('latin1');
  });
  return {
    text: () => text,
    until: async (re, ms = 15_000) => {
      const end = Date.now() + ms;
      while (!re.test(text)) {
        if (Date.now() > end) assert.fail(`serial output never matched ${re}; it was ${JSON.stringify(text)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return text;
    },
  };
}

async function launch(dc: DebugClient, kernel: string, extra: object = {}): Promise<void> {
  const configured = dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest());
  await Promise.all([dc.launchRequest({ kernel: fixture(kernel), ...extra } as DebugProtocol.LaunchRequestArguments), configured]);
}

describe('serial terminal through the adapter', () => {
  let dc: DebugClient;
  before(async () => { dc = await startClient(); });
  after(async () => { await dc.stop(); });

  it('types a command into the serial shell and reads the answer; the idle guest keeps running (no stop)', async () => {
    const serial = serialCollector(dc);
    let stops = 0;
    dc.on('stopped', () => { stops++; });
    await launch(dc, 'serial-shell');
    await serial.until(/serial-shell ready.*> /s);
    const r = await dc.customRequest('faultline/serialInput', { text: 'echo from the terminal\r' });
    assert.deepEqual(r.body, { queued: false, bytes: 23 });
    await serial.until(/echo from the terminal\r\nfrom the terminal\r\n/);
    assert.equal(stops, 0, 'waiting in HLT for input is not a stop');
  });

  it('input typed while paused is queued and arrives when the machine runs', async () => {
    const serial = serialCollector(dc);
    const stopped = dc.waitForEvent('stopped');
    await dc.pauseRequest({ threadId: 1 });
    await stopped;
    const r = await dc.customRequest('faultline/serialInput', { text: 'ver\r' });
    assert.deepEqual(r.body, { queued: true, bytes: 4 });
    await new Promise((res) => setTimeout(res, 200));
    assert.doesNotMatch(serial.text(), /serial-shell 1\.0/);
    await dc.continueRequest({ threadId: 1 });
    await serial.until(/ver\r\nserial-shell 1\.0\r\n/);
  });

  it('bad serialInput arguments get an error sentence', async () => {
    await assert.rejects(dc.customRequest('faultline/serialInput', { text: 42 }), /needs 'text'/);
    await assert.rejects(dc.customRequest('faultline/serialInput', { text: 'x', port: 2 }), /no COM2: set "com2": true/);
    await assert.rejects(dc.customRequest('faultline/serialInput', { text: 'x', port: 3 }), /'port' is 1 \(COM1\) or 2 \(COM2\)/);
  });
});

describe('COM2 through the adapter (launch.json com2)', () => {
  let dc: DebugClient;
  before(async () => { dc = await startClient(); });
  after(async () => { await dc.stop(); });

  it('COM2 output arrives as port 2 events and in the Debug Console as [COM2]; typed input reaches the guest on COM2', async () => {
    const com1 = serialCollector(dc, 1);
    const com2 = serialCollector(dc, 2);
    let console = '';
    dc.on('output', (e: DebugProtocol.OutputEvent) => { console += e.body.output; });
    await launch(dc, 'com2-echo', { com2: true });
    await com1.until(/BDA COM ports: 03f8 02f8 0000 0000 count 2\r\ncom2 ready/);
    await com2.until(/hello on COM2\r\n/);
    assert.doesNotMatch(com1.text(), /hello on COM2/, 'COM2 bytes are not COM1 bytes');
    const exited = dc.waitForEvent('exited');
    const r = await dc.customRequest('faultline/serialInput', { text: 'xyz', port: 2 });
    assert.equal(r.body.bytes, 3);
    await com2.until(/XYZ$/);
    await dc.customRequest('faultline/serialInput', { text: 'q', port: 2 });
    assert.equal((await exited).body.exitCode, 33);
    assert.match(console, /\[COM2\] hello on COM2/);
  });
});

describe('Guest Screen keyboard and frames through the adapter', () => {
  let dc: DebugClient;
  before(async () => { dc = await startClient(); });
  after(async () => { await dc.stop(); });

  it('keys reach the keyboard fixture as IRQ1 scan codes; the frame is a PNG; an unchanged frame is not resent', async () => {
    const serial = serialCollector(dc);
    await launch(dc, 'keyboard');
    await serial.until(/keyboard ready/);
    const status = await dc.customRequest('faultline/inputStatus');
    assert.deepEqual(status.body, { keyboardInterrupt: true, irq1Unmasked: true, mouseReporting: false });
    // Listen before typing: the guest can draw "Ok" and the adapter announce it before the serial line arrives.
    const changed = dc.waitForEvent('faultline/screenChanged', 5000);
    for (const [code, down] of [['ShiftLeft', true], ['KeyO', true], ['KeyO', false], ['ShiftLeft', false], ['KeyK', true], ['KeyK', false]] as const) {
      await dc.customRequest('faultline/keyboard', { code, down });
    }
    await serial.until(/keyboard ready\r\nOk/);
    await changed;
    const f = await dc.customRequest('faultline/frame', {});
    const body = f.body as { available: boolean; png: string; width: number; height: number; mode: string; signature: number };
    if (body.available) {
      const img = decodePng(Buffer.from(body.png, 'base64'));
      assert.deepEqual([img.width, img.height, body.mode], [720, 400, 'text']);
      const again = await dc.customRequest('faultline/frame', { known: body.signature });
      assert.equal((again.body as { unchanged?: boolean }).unchanged, true);
    } else {
      assert.ok(!fs.existsSync('/usr/share/seabios/vgabios-stdvga.bin'), 'frames are only unavailable without a VGA BIOS font');
    }
  });
});

describe('graphics frame through the adapter', () => {
  let dc: DebugClient;
  before(async () => { dc = await startClient(); });
  after(async () => { await dc.stop(); });

  it('the multiboot2 framebuffer fixture comes back as the same PNG pixels as QEMU screendump', async () => {
    const serial = serialCollector(dc);
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, 'mb2-framebuffer');
    await stopped; // HLT with interrupts off: nothing can wake it
    assert.match(serial.text(), /pattern drawn/);
    const f = await dc.customRequest('faultline/frame', {});
    const img = decodePng(Buffer.from((f.body as { png: string }).png, 'base64'));
    const qemu = decodePng(fs.readFileSync(path.join(ROOT, 'fixtures', 'golden', 'mb2-framebuffer.screen.png')));
    assert.ok(Buffer.from(img.rgba).equals(Buffer.from(qemu.rgba)));
  });
});

describe('"rtc" in launch.json (QEMU\'s -rtc base=)', () => {
  // A 32-bit multiboot kernel that writes the RTC's year, month, day, hour, minute and second (BCD) to COM1.
  const code: number[] = [];
  for (const r of [9, 8, 7, 4, 2, 0]) code.push(0xb0, r, 0xe6, 0x70, 0xe4, 0x71, 0x66, 0xba, 0xf8, 0x03, 0xee);
  code.push(0xfa, 0xf4);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-rtc-'));
  const kernel = path.join(tmp, 'rtc.elf');
  fs.writeFileSync(kernel, buildElf({ class: 32, entry: 0x100000 + 12, segments: [{ paddr: 0x100000, data: concatBytes(multiboot1Header(0), Uint8Array.from(code)) }] }).bytes);
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the guest reads the date and time it names; a bad one fails the launch in one sentence', async () => {
    const dc = await startClient();
    try {
      const serial = serialCollector(dc);
      const configured = dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest());
      await Promise.all([dc.launchRequest({ kernel, firmware: 'none', rtc: '2006-06-17T16:01:21' } as DebugProtocol.LaunchRequestArguments), configured]);
      const text = await serial.until(/^[\s\S]{6}$/);
      assert.deepEqual([...Buffer.from(text, 'latin1')], [0x06, 0x06, 0x17, 0x16, 0x01, 0x21]);
    } finally {
      await dc.stop();
    }
    const bad = await startClient();
    try {
      assert.match(await expectError(bad.launchRequest({ kernel, rtc: '2026-02-30' } as DebugProtocol.LaunchRequestArguments)),
        /"rtc": the RTC base must be utc, localtime or a date 1970-2099 as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS \(QEMU's -rtc base=\), not '2026-02-30'/);
    } finally {
      await bad.stop();
    }
  });
});
