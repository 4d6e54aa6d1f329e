import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExceptionEvent } from '../../emulator/api';
import { Machine } from '../../emulator/machine';
import { describeChain } from '../../emulator/report';
import { ADAPTER, launchArgsAndStop, startClient } from '../adapter/helpers';

/**
 * A system firmware image of one's own in place of SeaBIOS (qemu -bios FILE): fixtures/src/reset-vector/firmware.asm,
 * 64 KiB, run from the reset vector with no disk. Its serial output and exit status are QEMU's (fixtures/golden,
 * recorded by record-golden.sh with `qemu-system-x86_64 -nodefaults -bios reset-vector.rom`), on the machine, in
 * the CLI (`faultline run --bios FILE`) and in the debug adapter (launch.json "bios", stopOnEntry at the reset vector).
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const ROM_PATH = path.join(ROOT, 'fixtures', 'bin', 'reset-vector.rom');
const ROM = new Uint8Array(fs.readFileSync(ROM_PATH));
const golden = (ext: string) => fs.readFileSync(path.join(ROOT, 'fixtures', 'golden', `reset-vector.${ext}`), 'utf8');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-bios-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The image's UD2 (0F 0B), its offset in segment F000 (the image is mapped at 0xF0000-0xFFFFF). */
const UD2_IP = ROM.findIndex((b, i) => b === 0x0f && ROM[i + 1] === 0x0b);

describe('firmware of one\'s own (qemu -bios): fixtures/bin/reset-vector.rom', () => {
  it('runs from F000:FFF0 (linear 0xFFFFFFF0) with nothing to boot; serial output and exit status are QEMU\'s', () => {
    const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop', board: { bios: ROM, nodefaults: true } });
    const events: ExceptionEvent[] = [];
    let serial = '';
    m.on('exception', (e) => events.push(e));
    m.on('serial', (b) => { serial += String.fromCharCode(b); });
    m.bootFirmware();
    assert.equal(m.entryPoint(), undefined, 'no disk, CD or floppy: the entry is the reset vector itself');
    const s0 = m.state();
    assert.equal(s0.regs.rip, 0xfff0n);
    assert.equal(s0.pc, 0xfffffff0n);
    assert.equal(s0.cs.selector, 0xf000);
    assert.equal(s0.cs.base, 0xffff0000n, 'CS.base after reset (SDM Vol. 3 §9.1.4)');
    assert.deepEqual([...m.readLinear(0xfffffff0n, 5).data], [...ROM.subarray(0xfff0, 0xfff5)], 'the image\'s last 16 bytes at 0xFFFFFFF0');
    assert.deepEqual([...m.readPhysical(0xf0000n, 16)], [...ROM.subarray(0, 16)], 'and the image below 1 MiB');

    const stop = m.run(1_000_000);
    assert.equal(stop.reason, 'exit');
    assert.equal(stop.exitCode, Number(golden('exit').trim()));
    assert.equal(serial, golden('serial.txt'));

    // The #UD through the IVT, in CS:IP terms.
    assert.ok(UD2_IP > 0);
    const raised = events.find((e) => e.phase === 'raised' && e.vector === 6)!;
    assert.ok(raised?.realMode, 'raised in real-address mode');
    assert.equal(raised.cs, 0xf000);
    assert.equal(raised.rip, BigInt(UD2_IP));
    const delivered = events.find((e) => e.phase === 'delivered' && e.vector === 6)!;
    const ivt = m.readPhysical(6n * 4n, 4);
    assert.equal(delivered.rip, BigInt(ivt[0] | (ivt[1] << 8)), 'the handler the IVT entry names');
    const w = (v: number | bigint) => v.toString(16).toUpperCase().padStart(4, '0');
    assert.equal(describeChain([raised, delivered]), `#UD at F000:${w(UD2_IP)} (${raised.reason}) → #UD handler at F000:${w(delivered.rip)}`);
  });

  describe('the CLI', { skip: !fs.existsSync(CLI) && 'dist/cli.js is missing (run node scripts/bundle.js)' }, () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', cwd: tmp, timeout: 60_000 });

    it('faultline run --bios FILE alone runs it: QEMU\'s serial output, the #UD in CS:IP terms, exit status 33', () => {
      const r = run('--bios', ROM_PATH);
      assert.equal(r.status, 33, r.stderr);
      assert.ok(r.stdout.startsWith(golden('serial.txt')), r.stdout);
      assert.match(r.stdout, new RegExp(`\\[faultline\\] fault chain: #UD at F000:${UD2_IP.toString(16).toUpperCase().padStart(4, '0')} `));
    });

    it('with --bios, a disk needs no SeaBIOS boot signature (the firmware decides what it boots)', () => {
      const disk = path.join(tmp, 'data.img');
      fs.writeFileSync(disk, new Uint8Array(512 * 64));
      const r = run('--bios', ROM_PATH, '--hda', disk);
      assert.equal(r.status, 33, r.stderr);
      assert.ok(r.stdout.startsWith(golden('serial.txt')));
      // Without --bios (SeaBIOS) the same disk is refused in one sentence.
      const s = run('--hda', disk);
      assert.equal(s.status, 2);
      assert.match(s.stderr, /^faultline: .*data\.img is not bootable/);
    });

    it('a BIOS file that is missing or not a multiple of 64 KiB is one sentence, status 2', () => {
      const missing = run('--bios', path.join(tmp, 'nope.rom'));
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /^faultline: BIOS file .*nope\.rom does not exist or cannot be read/);
      const odd = path.join(tmp, 'odd.rom');
      fs.writeFileSync(odd, ROM.subarray(0, 40000));
      const r = run('--bios', odd);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^faultline: BIOS file .*odd\.rom is 40000 bytes; a system BIOS image is a multiple of 64 KiB/);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    });
  });

  it('the debug adapter: "bios" alone with stopOnEntry stops at the reset vector; continue runs it to its exit',
    { skip: !fs.existsSync(ADAPTER) && 'dist/debug-adapter.js is missing' }, async () => {
      const dc = await startClient();
      try {
        const stop = await launchArgsAndStop(dc, { bios: ROM_PATH, stopOnEntry: true, serialTerminal: false }, []);
        assert.equal(stop.body.reason, 'entry');
        const st = await dc.stackTraceRequest({ threadId: 1 });
        assert.equal(BigInt(st.body.stackFrames[0].instructionPointerReference!), 0xfffffff0n);
        const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
        const general = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
        const csip = general.body.variables.find((v: DebugProtocol.Variable) => v.name === 'CS:IP');
        assert.match(csip?.value ?? '', /^F000:FFF0/i);
        const dis = await dc.disassembleRequest({ memoryReference: '0xfffffff0', instructionCount: 1 });
        assert.equal(dis.body!.instructions[0].instruction, 'jmp far 0xf000:0x0', 'the far jump at the reset vector, selector:offset');

        const output: string[] = [];
        dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
        const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
        await dc.continueRequest({ threadId: 1 });
        assert.equal((await exited).body.exitCode, 33);
        assert.ok(output.join('').includes('back from the #UD handler'), output.join(''));
      } finally {
        await dc.stop();
      }
    });
});
