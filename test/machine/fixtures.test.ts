import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ExceptionEvent } from '../../emulator/api';
import { Machine } from '../../emulator/machine';
import { exceptionChain, parseQemuIntLog } from '../support/qemu-log';

/**
 * Every fixture kernel runs in the machine and must reproduce what QEMU recorded for it: the exception
 * sequence (vectors, CR2, error codes), the serial output and the exit status.
 */
const root = path.resolve(__dirname, '..', '..', '..');
interface Kernel {
  name: string; file: string; cmdline: string | null; boot: string; expectedExit: number;
  golden: { log: string; serial: string; exit: string };
  /** Where QEMU 7.2 deviates from the SDM and Faultline follows the SDM: [QEMU text, SDM text] in the serial output. */
  sdmDeviations?: { serial: [string, string][]; why: string };
  /** Recorded through GRUB: boot-loader-specific lines (loader name, extra tags) cannot match. */
  serialIsLoaderSpecific?: string;
  /** The test that compares this kernel's serial output field by field, with its documented differences. */
  serialComparedBy?: string;
}
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'fixtures/manifest.json'), 'utf8')) as { kernels: Kernel[] };

/** Our events in the manifest's chain notation. */
function ourChain(events: ExceptionEvent[]): string[] {
  const chain: string[] = [];
  for (const e of events) {
    if (e.external) continue;
    if (e.phase === 'raised') chain.push(e.software && e.vector !== 3 ? `INT 0x${e.vector.toString(16)}` : e.name);
    else if (e.phase === 'escalated') chain.push('#DF');
    else if (e.phase === 'tripleFault') chain.push('triple fault');
  }
  return chain;
}

export function runFixture(k: Kernel): { events: ExceptionEvent[]; serial: string; exit: number; m: Machine } {
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop' });
  const events: ExceptionEvent[] = [];
  let serial = '';
  m.on('exception', (e) => events.push(e));
  m.on('serial', (b) => { serial += String.fromCharCode(b); });
  // QEMU passes "<file name> <args>" for multiboot1; the loader does the same from fileName.
  m.boot(fs.readFileSync(path.join(root, k.file)), { cmdline: k.cmdline ?? undefined });
  const stop = m.run(300_000_000);
  const exit = stop.reason === 'exit' ? stop.exitCode! : stop.reason === 'shutdown' ? 0 : -1;
  return { events, serial, exit, m };
}

describe('fixture kernels match QEMU', () => {
  for (const k of manifest.kernels) {
    it(`${k.name}${k.cmdline ? ` (${k.cmdline})` : ''}: same exception chain, CR2, serial output and exit status as QEMU`, () => {
      const { events, serial, exit } = runFixture(k);
      const golden = parseQemuIntLog(fs.readFileSync(path.join(root, k.golden.log), 'utf8'));
      assert.deepEqual(ourChain(events), exceptionChain(golden), 'exception chain');
      // CR2 of every page fault QEMU delivered or tried to deliver.
      const qemuPf = golden.filter((e) => e.kind === 'exception' && e.vector === 14).map((e) => BigInt((e as { cr2: string }).cr2));
      const ourPf = events.filter((e) => e.phase === 'raised' && e.vector === 14).map((e) => e.cr2);
      for (const cr2 of qemuPf) assert.ok(ourPf.includes(cr2), `CR2 0x${cr2.toString(16)} from QEMU's log`);
      let goldenSerial = fs.readFileSync(path.join(root, k.golden.serial), 'utf8');
      for (const [qemu, sdm] of k.sdmDeviations?.serial ?? []) goldenSerial = goldenSerial.split(qemu).join(sdm);
      if (k.serialComparedBy) {
        assert.ok(fs.existsSync(path.join(root, k.serialComparedBy)), `${k.serialComparedBy} exists`);
      } else if (k.serialIsLoaderSpecific) {
        const ours = serial.trimEnd().split('\n');
        const theirs = goldenSerial.trimEnd().split('\n');
        assert.equal(ours[0], theirs[0], 'first line of serial output');
        assert.equal(ours[ours.length - 1], theirs[theirs.length - 1], 'last line of serial output');
        for (const line of theirs.filter((l) => l.includes('cmdline:'))) assert.ok(ours.includes(line), `serial line ${line}`);
      } else {
        assert.equal(serial, goldenSerial, 'serial output');
      }
      assert.equal(exit, Number(fs.readFileSync(path.join(root, k.golden.exit), 'utf8').trim()), 'exit status');
    });
  }
});
