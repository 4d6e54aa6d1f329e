import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { POLL_DX, POLL_NONE, pollLoopPort } from '../../emulator/cpu/poll-loop';
import { Insn } from '../../emulator/cpu/insn';
import { buildElf, concatBytes, multiboot1Header } from '../support/elf-builder';

/**
 * Polling loops on the PIT (GRUB's and Linux's TSC calibration): the run loop retires their identical
 * iterations at once (emulator/cpu/poll-loop.ts). The result must be the one executing every iteration gives:
 * same instruction count, same CPU + RAM state, same exit; only the port reads are fewer.
 */
function kernel(code: number[]): Uint8Array {
  const text = concatBytes(multiboot1Header(0), Uint8Array.from(code));
  return buildElf({ class: 32, entry: 0x100000 + 12, segments: [{ paddr: 0x100000, data: text }] }).bytes;
}

// Counter 2 in mode 0 with gate on counts 0x2000 PIT ticks (6.9 ms: 6.9 million instructions), then the loop
// `in al, 0x61; test al, 0x20; jz` sees OUT2 rise and the kernel exits through isa-debug-exit.
const PIT_WAIT = kernel([
  0xe4, 0x61, 0x24, 0xfc, 0x0c, 0x01, 0xe6, 0x61, //   in al, 0x61; and al, 0xfc; or al, 1; out 0x61, al (gate 2 on)
  0xb0, 0xb0, 0xe6, 0x43, //                           mov al, 0xb0; out 0x43, al (counter 2, lo/hi, mode 0)
  0xb0, 0x00, 0xe6, 0x42, 0xb0, 0x20, 0xe6, 0x42, //   count 0x2000
  0xe4, 0x61, 0xa8, 0x20, 0x74, 0xfa, //               poll: in al, 0x61; test al, 0x20; jz poll
  0x66, 0xba, 0xf4, 0x00, 0xee, 0xf4, //               mov dx, 0xf4; out dx, al; hlt
]);

function run(skip: boolean, slice: number) {
  const m = Machine.create({ memoryMB: 16 });
  m.cpu.pollSkip = skip;
  let reads = 0;
  const inPort = m.bus.inPort.bind(m.bus);
  m.bus.inPort = (port: number, size: number) => { if (port === 0x61) reads++; return inPort(port, size); };
  m.boot(PIT_WAIT);
  let stop = m.run(slice);
  while (stop.reason === 'budget' && m.instructionCount < 20_000_000) stop = m.run(slice);
  return { stop: stop.reason, exit: stop.exitCode, count: m.instructionCount, hash: m.stateHash(), reads };
}

test('a PIT polling loop ends at the same instruction and state with its iterations skipped, in any slicing', () => {
  const every = run(false, 10_000_000);
  assert.equal(every.stop, 'exit');
  assert.equal(((every.exit! - 1) >> 1) & 0x21, 0x21, 'AL holds port 0x61 with OUT2 (0x20) and gate 2 set');
  assert.ok(every.count > 6_800_000, `the wait took ${every.count} instructions`);
  assert.ok(every.reads > 2_000_000, 'every iteration read the port');
  for (const slice of [10_000_000, 1_000_000, 77_777]) {
    const skipped = run(true, slice);
    assert.deepEqual({ ...skipped, reads: 0 }, { ...every, reads: 0 }, `slices of ${slice}`);
    assert.ok(skipped.reads < every.reads / 100, `${skipped.reads} port reads instead of ${every.reads}`);
  }
});

function insn(op: number, fields: Partial<Insn> = {}): Insn {
  return Object.assign(new Insn(), { op, len: 2, ...fields });
}

test('only loops of one IN and idempotent register instructions back to their start are polling loops', () => {
  const jz = (total: number) => insn(0x74, { imm: -total });
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0xa8, { imm: 0x20 }), jz(6)]), 0x61);
  assert.equal(pollLoopPort([insn(0xec, { len: 1 }), insn(0x24, { imm: 1 }), jz(5)]), POLL_DX);
  // A counter in the loop (DEC), a memory operand, two port reads, a branch elsewhere: not the same iteration.
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0x48, { len: 1 }), jz(5)]), POLL_NONE);
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0x80, { mod: 0, reg: 7 }), jz(6)]), POLL_NONE);
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0xe4, { imm: 0x60 }), jz(6)]), POLL_NONE);
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0xa8, { imm: 0x20 }), jz(8)]), POLL_NONE);
  // IN from DX while the loop changes DX.
  assert.equal(pollLoopPort([insn(0xec, { len: 1 }), insn(0xba, { len: 3 }), jz(6)]), POLL_NONE);
});
