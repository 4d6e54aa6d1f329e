import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { POLL_DX, POLL_MEMORY, POLL_NONE, pollLoopPort } from '../../emulator/cpu/poll-loop';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { Flag } from '../../emulator/cpu/state';
import { CODE, makeCpu, poke } from '../support/cpu-harness';
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
  // Memory reads: CMP with memory, a MOV into a register the address does not use, MOV AL from an offset.
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0x80, { hasModrm: true, mod: 0, reg: 7, base: 3 }), jz(6)]), 0x61);
  assert.equal(pollLoopPort([insn(0x8b, { hasModrm: true, mod: 0, reg: 0, base: 3 }), insn(0x39, { hasModrm: true, mod: 3, reg: 0, rm: 1 }), jz(6)]), POLL_MEMORY);
  assert.equal(pollLoopPort([insn(0xa1, { len: 5 }), insn(0x39, { hasModrm: true, mod: 3, reg: 0, rm: 3 }), jz(9)]), POLL_MEMORY);
  // A counter in the loop (DEC), a memory write, a load into its own address register (mov eax, [eax]),
  // two port reads, a branch elsewhere: not the same iteration.
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0x48, { len: 1 }), jz(5)]), POLL_NONE);
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0x80, { hasModrm: true, mod: 0, reg: 0, base: 3 }), jz(6)]), POLL_NONE);
  assert.equal(pollLoopPort([insn(0x89, { hasModrm: true, mod: 0, reg: 0, base: 3 }), insn(0x39, { hasModrm: true, mod: 3 }), jz(6)]), POLL_NONE);
  assert.equal(pollLoopPort([insn(0x8b, { hasModrm: true, mod: 0, reg: 0, base: 0 }), insn(0x39, { hasModrm: true, mod: 3 }), jz(6)]), POLL_NONE);
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0xe4, { imm: 0x60 }), jz(6)]), POLL_NONE);
  assert.equal(pollLoopPort([insn(0xe4, { imm: 0x61 }), insn(0xa8, { imm: 0x20 }), jz(8)]), POLL_NONE);
  // IN from DX set to a constant in the loop (an unhoisted inb()): that port.
  assert.equal(pollLoopPort([insn(0xba, { len: 3, osz: 2, imm: 0x3fd }), insn(0xec, { len: 1 }), insn(0xa8, { imm: 1 }), jz(8)]), 0x3fd);
  // IN from DX while the loop changes DX.
  assert.equal(pollLoopPort([insn(0xec, { len: 1 }), insn(0xba, { len: 3 }), jz(6)]), POLL_NONE);
});

/**
 * A loop waiting for an interrupt handler to move a tick count in RAM (`1: mov eax, [0x2000]; cmp eax, ebx;
 * je 1b; hlt`), the interrupt raised by a timer at instruction 1,000,000 and its handler played by the test
 * (the count incremented at delivery): with its iterations skipped it halts at the same instruction with the
 * same state, having read memory a handful of times instead of ~330,000. Polling MMIO whose value moves with
 * time (a counter register) is never skipped: it ends where executing every iteration ends.
 */
const WAIT = [0xa1, 0x00, 0x20, 0x00, 0x00, 0x39, 0xd8, 0x74, 0xf7, 0xf4];
const COUNTER = 0x300000;

function waitForTick(skip: boolean, at: number, mmio: boolean): { n: number; rip: number; eax: number; reads: number } {
  const c: Cpu = makeCpu();
  c.efer = 0;
  c.segAttr[1] = 0xb | 0x10 | 0x80 | 0x4000 | 0x8000; // 32-bit flat code
  c.updateMode();
  c.flushTlb();
  c.pollSkip = skip;
  const code = mmio ? WAIT.map((b, k) => (k === 3 ? COUNTER >>> 16 : k === 2 ? (COUNTER >>> 8) & 255 : b)) : WAIT;
  poke(c, CODE, code);
  if (mmio) c.bus.registerMmio('counter', COUNTER, 4096, { read: () => Math.floor(c.clock.instructions / 5000), write: () => {} });
  c.setReg32(3, mmio ? 0 : 7);
  c.mem.view.setUint32(0x2000, 7, true);
  c.flags |= Flag.IF;
  let raised = false;
  c.clock.schedule(at, () => { raised = true; c.irqLine.pending = true; }, 0);
  c.irqPending = () => raised;
  let reads = 0;
  const rd = c.rd.bind(c);
  c.rd = (la: number, size: number) => { reads++; return rd(la, size); };
  for (let k = 0; k < 100; k++) {
    const e = c.run(50_000_000);
    if (e === Exit.IRQ) {
      raised = false; c.irqLine.pending = false;
      c.mem.view.setUint32(0x2000, 8, true); // the handler's tick
      continue;
    }
    if (e !== Exit.BUDGET) break;
  }
  return { n: c.clock.instructions, rip: c.rip, eax: c.r[0], reads };
}

test('a loop polling a tick count in RAM skips its iterations up to the timer interrupt, and one polling MMIO does not', () => {
  const every = waitForTick(false, 1_000_000, false);
  const skipped = waitForTick(true, 1_000_000, false);
  assert.equal(every.rip, CODE + WAIT.length, 'halted after the loop');
  assert.equal(every.eax, 8);
  assert.deepEqual({ ...skipped, reads: 0 }, { ...every, reads: 0 });
  assert.ok(every.reads > 300_000, `${every.reads} reads executing every iteration`);
  assert.ok(skipped.reads < 10, `${skipped.reads} reads with the iterations skipped`);
  const mmioEvery = waitForTick(false, 1_000_000, true);
  const mmioSkip = waitForTick(true, 1_000_000, true);
  assert.deepEqual(mmioSkip, mmioEvery);
  assert.ok(mmioEvery.n < 10_000, `the counter moved after ${mmioEvery.n} instructions`);
});

/**
 * Waiting for input by polling a status port, as a kernel without interrupts does: the 8042's status port
 * (`in al, 0x64; test al, 1; jz`) and the UART's line status (`mov dx, 0x3fd; in al, dx; test al, 1; jz`). The
 * status changes only when input arrives (here between two runs, at instruction 3,000,000), so the loop's
 * iterations are skipped to the end of each run; the kernel then reads the byte and exits with it, at the same
 * instruction count and state as executing every iteration.
 */
const WAIT_KEY = kernel([
  0xe4, 0x64, 0xa8, 0x01, 0x74, 0xfa, //               wait: in al, 0x64; test al, 1; jz wait
  0xe4, 0x60, //                                       in al, 0x60
  0x66, 0xba, 0xf4, 0x00, 0xee, 0xf4, //               mov dx, 0xf4; out dx, al; hlt
]);
const WAIT_SERIAL = kernel([
  0x66, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xf7, // wait: mov dx, 0x3fd; in al, dx; test al, 1; jz wait
  0x66, 0xba, 0xf8, 0x03, 0xec, //                        mov dx, 0x3f8; in al, dx
  0x66, 0xba, 0xf4, 0x00, 0xee, 0xf4, //                  mov dx, 0xf4; out dx, al; hlt
]);

function waitInput(code: Uint8Array, skip: boolean, send: (m: Machine) => void, port: number) {
  const m = Machine.create({ memoryMB: 16 });
  m.cpu.pollSkip = skip;
  let reads = 0;
  const inPort = m.bus.inPort.bind(m.bus);
  m.bus.inPort = (p: number, size: number) => { if (p === port) reads++; return inPort(p, size); };
  m.boot(code);
  while (m.instructionCount < 3_000_000) m.run(Math.min(1_000_000, 3_000_000 - m.instructionCount));
  send(m);
  const stop = m.run(1_000_000);
  return { stop: stop.reason, exit: stop.exitCode, count: m.instructionCount, hash: m.stateHash(), reads };
}

test('a loop polling the keyboard controller or the UART for input is skipped until the input comes', () => {
  for (const [name, code, send, port, byte] of [
    ['8042 status', WAIT_KEY, (m: Machine) => m.sendKeys([0x1c]), 0x64, 0x1c],
    ['UART line status', WAIT_SERIAL, (m: Machine) => m.sendSerial([0x41]), 0x3fd, 0x41],
  ] as const) {
    const every = waitInput(code, false, send, port);
    const skipped = waitInput(code, true, send, port);
    assert.equal(every.stop, 'exit', name);
    assert.equal((every.exit! - 1) >> 1, byte, `${name}: the kernel read the byte sent`);
    assert.deepEqual({ ...skipped, reads: 0 }, { ...every, reads: 0 }, name);
    assert.ok(every.reads > 500_000, `${name}: ${every.reads} status reads executing every iteration`);
    assert.ok(skipped.reads < 20, `${name}: ${skipped.reads} status reads with the iterations skipped`);
  }
});
