import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Machine } from '../../emulator/machine';
import { buildElf, concatBytes, multiboot1Header } from '../support/elf-builder';

/**
 * Reverse execution keeps decoded and translated code across a restore, except on the RAM pages the restore
 * put back (history.ts restore). A guest that rewrites its own loop (an immediate operand) after 100,000
 * iterations must re-execute, after going back to before the rewrite, the code that was there then: if a stale
 * block of the rewritten code survived the restore, the sum it accumulates would differ from the forward run's.
 */
const TEXT = 0x100000;
const HEADER = 12; // multiboot1 header size with flags 0x3
const SUM = 0x500;

function guest(): Uint8Array {
  const site = TEXT + HEADER + 3; // the MOV EAX, imm32 below
  const imm = site + 1;
  const code = Uint8Array.from([
    0x31, 0xc9, //                           xor ecx, ecx
    0x41, //                                 loop: inc ecx
    0xb8, 0x01, 0x00, 0x00, 0x00, //         mov eax, 1        (the immediate is rewritten to 2)
    0x01, 0x05, SUM & 0xff, SUM >> 8, 0, 0, // add [SUM], eax
    0x81, 0xf9, 0xa0, 0x86, 0x01, 0x00, //   cmp ecx, 100000
    0x75, 0xec, //                           jne loop
    0xc6, 0x05, imm & 0xff, (imm >> 8) & 0xff, (imm >> 16) & 0xff, imm >>> 24, 0x02, // mov byte [imm], 2
    0x31, 0xc9, //                           xor ecx, ecx
    0xeb, 0xe1, //                           jmp loop
  ]);
  assert.equal(code[3], 0xb8);
  const text = concatBytes(multiboot1Header(0x3), code);
  return buildElf({ class: 32, entry: TEXT + HEADER, segments: [{ paddr: TEXT, data: text, flags: 7 }] }).bytes;
}

function state(m: Machine): string {
  return `${m.instructionCount} sum=${m.mem.read(SUM, 4)} ${m.stateHash()}`;
}

test('going back before a guest rewrote its code re-executes the code that was there then (translated or not)', () => {
  const m = Machine.create({ memoryMB: 32, onTripleFault: 'stop' });
  m.boot(guest());
  m.enableHistory({ snapshotInterval: 50_000 });
  // Before the first rewrite (the loop runs 100,000 times, 5 instructions each), after it, and after the second.
  const at = [300_000, 499_990, 700_000, 1_300_000];
  const seen = new Map<number, string>();
  for (const n of at) {
    m.run(n - m.instructionCount);
    seen.set(n, state(m));
  }
  assert.equal(m.mem.read(TEXT + HEADER + 4, 1), 2, 'the guest rewrote its immediate');
  for (const n of [300_000, 1_300_000, 499_990, 700_000, 300_000, 1_300_000]) {
    m.goto(n);
    assert.equal(state(m), seen.get(n), `goto ${n}`);
  }
  m.goto(300_000);
  for (let k = 0; k < 3; k++) m.stepBack();
  m.run(1_300_000 - m.instructionCount);
  assert.equal(state(m), seen.get(1_300_000), 'forward again from before the rewrite');
});
