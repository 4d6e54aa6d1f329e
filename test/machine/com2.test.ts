import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Machine } from '../../emulator/machine';
import { makeRecording, parseRecording, runSession, compareWithRecording } from '../../emulator/recording';

/**
 * COM2 (MachineOptions.com2: a second 16550 at 0x2F8 on IRQ 3, QEMU's second -serial). The com2-echo fixture
 * (fixtures/src/screens/com2-echo.asm) prints the BDA's COM table on COM1, answers COM2 input in upper case
 * through IRQ 3 and exits on 'q'. Golden: QEMU 7.2 with `-kernel com2-echo.elf -serial file:COM1
 * -chardev pipe,id=c2,path=P -serial chardev:c2 -device isa-debug-exit,iobase=0xf4,iosize=4`, "abc q" written
 * to P.in three seconds in: fixtures/golden/com2-echo.{serial,com2}.txt and .exit (SeaBIOS's banner cut).
 */
const root = path.resolve(__dirname, '..', '..', '..');
const kernel = path.join(root, 'fixtures/bin/com2-echo.elf');
const golden = (ext: string) => fs.readFileSync(path.join(root, 'fixtures/golden', `com2-echo.${ext}`), 'latin1');

function boot(com2: boolean) {
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop', com2 });
  let com1 = '', out2 = '';
  m.on('serial', (b) => { com1 += String.fromCharCode(b); });
  m.on('serial2', (b) => { out2 += String.fromCharCode(b); });
  m.boot(new Uint8Array(fs.readFileSync(kernel)));
  return { m, com1: () => com1, com2: () => out2 };
}

describe('COM2', { skip: !fs.existsSync(kernel) && 'fixtures/bin/com2-echo.elf missing (npm run fixtures)' }, () => {
  it('a kernel finds COM2 in the BDA, gets its input through IRQ 3 and answers on it: the same bytes and exit status as QEMU', () => {
    const g = boot(true);
    const bytes = new Uint8Array(fs.readFileSync(kernel));
    const session = runSession(g.m, 20_000_000, [{ instructions: 3_000_000, kind: 'serial2', bytes: [...Buffer.from('abc q')] }]);
    assert.equal(session.stop.reason, 'exit');
    assert.equal(session.stop.exitCode, Number(golden('exit').trim()));
    assert.equal(g.com1(), golden('serial.txt'));
    assert.equal(g.com2(), golden('com2.txt'));

    // Recorded and replayed exactly, COM2 input included.
    const rec = parseRecording(JSON.stringify(makeRecording(g.m, { path: kernel, bytes }, undefined, 20_000_000, session)), 'com2.json');
    assert.equal(rec.machine.com2, true);
    assert.deepEqual(rec.inputs.map((i) => i.kind), ['serial2']);
    const again = boot(true);
    const replayed = runSession(again.m, rec.maxInstructions, rec.inputs);
    assert.deepEqual(compareWithRecording(rec, makeRecording(again.m, { path: kernel, bytes }, undefined, 20_000_000, replayed)), []);
    assert.equal(again.com2(), golden('com2.txt'));
  });

  it('without com2 the BDA lists only COM1 and 0x2F8 reads as nothing there', () => {
    const g = boot(false);
    const stop = g.m.run(5_000_000);
    assert.equal(stop.reason, 'exit');
    assert.equal(stop.exitCode, 35);
    assert.match(g.com1(), /^BDA COM ports: 03f8 0000 0000 0000 count 1\r\nno COM2\r\n/);
    assert.throws(() => g.m.sendSerial([0x61], 2), /no COM2/);
  });
});
