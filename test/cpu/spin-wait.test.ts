import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { Cpu, Exit } from '../../emulator/cpu/cpu';
import { Flag } from '../../emulator/cpu/state';
import { SPIN_MIN } from '../../emulator/cpu/spin-wait';
import { CODE, makeCpu, poke } from '../support/cpu-harness';
import { buildElf, concatBytes, multiboot1Header } from '../support/elf-builder';

/**
 * Waits on the TSC (emulator/cpu/spin-wait.ts): a loop spinning on RDTSC until 10 ms have passed lets the
 * spinning RDTSC wait as a slow instruction, so it runs a few dozen iterations instead of ~1.4 million, and ends
 * having waited at least the 10 ms it asked for, with every slicing, translation and the history alike. A loop
 * that touches a device each iteration is never slowed, unless all it does is read a status that stays put.
 */
/** The loop's device access: none, a write to port 0x80 (an I/O delay), or a read of COM1's line status. */
type Io = 'none' | 'out80' | 'lsr';

function kernel(io: Io): Uint8Array {
  const body = [
    0xf3, 0x90, //                        w: pause
    0xff, 0x05, 0x00, 0x20, 0x00, 0x00, //   inc dword [0x2000] (iterations)
    ...(io === 'out80' ? [0xe6, 0x80] : []), //                       out 0x80, al
    ...(io === 'lsr' ? [0x66, 0xba, 0xfd, 0x03, 0xec] : []), //       mov dx, 0x3fd; in al, dx
    0x0f, 0x31, //                           rdtsc
    0x29, 0xd8, //                           sub eax, ebx
    0x3d, 0x80, 0x96, 0x98, 0x00, //         cmp eax, 10,000,000
  ];
  const code = [
    0x0f, 0x31, 0x89, 0xc3, //               rdtsc; mov ebx, eax
    ...body, 0x72, (-(body.length + 2)) & 0xff, // jb w
    0x89, 0xc7, //                           mov edi, eax (the time waited)
    0x66, 0xba, 0xf4, 0x00, 0xee, 0xf4, //   mov dx, 0xf4; out dx, al; hlt (isa-debug-exit)
  ];
  const text = concatBytes(multiboot1Header(0), Uint8Array.from(code));
  return buildElf({ class: 32, entry: 0x100000 + 12, segments: [{ paddr: 0x100000, data: text }] }).bytes;
}

interface Result { stop: string; count: number; waited: number; iterations: number; hash: string }

function run(opts: { fastWaits?: boolean; io?: Io; slice?: number; jit?: boolean; history?: boolean } = {}): Result {
  const m = Machine.create({ memoryMB: 16, fastWaits: opts.fastWaits });
  if (opts.jit) m.cpu.jitThreshold = 1;
  if (opts.history) m.enableHistory({ snapshotInterval: 100_000 });
  m.boot(kernel(opts.io ?? 'none'));
  let stop = m.run(opts.slice ?? 1e9);
  while (stop.reason === 'budget' && m.instructionCount < 1e9) stop = m.run(opts.slice ?? 1e9);
  return result(m, stop.reason);
}

/** How the run ended: EDI holds the time waited, the dword at 0x2000 the loop's iterations. */
function result(m: Machine, stop: string): Result {
  const waited = m.cpu.r[2 * 7] >>> 0, iterations = m.mem.view.getUint32(0x2000, true);
  return { stop, count: m.instructionCount, waited, iterations, hash: m.stateHash() };
}

test('a loop spinning on RDTSC waits at the RDTSC: it ends after the 10 ms it asked for, in a few dozen iterations', () => {
  const fast = run();
  assert.equal(fast.stop, 'exit');
  assert.ok(fast.waited >= 10_000_000 && fast.waited < 2 * 10_000_000 + 100, `waited ${fast.waited} ns`);
  assert.ok(fast.iterations < SPIN_MIN + 40, `${fast.iterations} iterations`);
  const every = run({ fastWaits: false });
  assert.equal(every.stop, 'exit');
  assert.ok(every.waited >= 10_000_000 && every.waited < 10_000_000 + 20, `waited ${every.waited} ns`);
  assert.ok(every.iterations > 1_000_000, `${every.iterations} iterations without waiting`);
});

test('the waits are the same however the run is sliced, translated or recorded', () => {
  const base = run();
  const variants = [{ slice: 100_000 }, { slice: 7_777 }, { slice: 1 }, { jit: true }, { jit: true, slice: 3_333 }, { history: true }];
  for (const opts of variants) {
    assert.deepEqual(run(opts), base, JSON.stringify(opts));
  }
});

test('going back into a wait (history goto) and running forward again gives the same states and exit', () => {
  const m = Machine.create({ memoryMB: 16 });
  m.enableHistory({ snapshotInterval: 1_000_000 });
  m.boot(kernel('lsr'));
  const at = [500_000, 2_500_000, 4_000_001, 7_777_777];
  const seen = at.map((n) => { m.run(n - m.instructionCount); return m.stateHash(); });
  assert.equal(m.run(1e9).reason, 'exit');
  const end = m.stateHash() + m.instructionCount;
  for (const k of [2, 0, 3, 1]) {
    m.goto(at[k]);
    assert.equal(m.stateHash(), seen[k], `goto ${at[k]}`);
  }
  m.goto(at[1]);
  assert.equal(m.run(1e9).reason, 'exit');
  assert.equal(m.stateHash() + m.instructionCount, end);
});

test('a step back over an RDTSC that waited goes to the RDTSC before its wait, as the step forward came from', () => {
  const m = Machine.create({ memoryMB: 16 });
  m.enableHistory();
  m.boot(kernel('none'));
  m.run(300_000); // waits have begun (this may stop inside one)
  const rdtsc = 0x100000 + 12 + 12;
  do m.step(); while (m.cpu.rip !== rdtsc);
  const before = { n: m.instructionCount, hash: m.stateHash() };
  m.step();
  assert.ok(m.instructionCount - before.n > 1000, 'the step waited');
  assert.notEqual(m.cpu.rip, rdtsc);
  m.stepBack();
  assert.deepEqual({ n: m.instructionCount, hash: m.stateHash() }, before);
  assert.equal(m.cpu.rip, rdtsc);
  m.stepBack();
  assert.equal(m.instructionCount, before.n - 1, 'then the instruction before it');
});

test('a loop that writes a port between its RDTSCs runs every iteration; one reading a steady status still waits', () => {
  const out = run({ io: 'out80' });
  const every = run({ io: 'out80', fastWaits: false });
  assert.deepEqual(out, every);
  assert.ok(every.iterations > 500_000);
  // COM1's line status with no input pending (a loop checking for a key while it waits).
  const lsr = run({ io: 'lsr' });
  assert.equal(lsr.stop, 'exit');
  assert.ok(lsr.waited >= 10_000_000 && lsr.iterations < SPIN_MIN + 40, `${lsr.iterations} iterations`);
});

/**
 * The same wait on the ACPI PM timer (port 0x608 as SeaBIOS and Faultline's direct boot place the PM block):
 * `in eax, dx` in a loop until 35,795 ticks (10 ms at 3.579545 MHz) have passed, as OVMF's MicroSecondDelay.
 */
function pmKernel(): Uint8Array {
  const body = [
    0xf3, 0x90, //                        w: pause
    0xff, 0x05, 0x00, 0x20, 0x00, 0x00, //   inc dword [0x2000] (iterations)
    0xed, //                                 in eax, dx
    0x29, 0xd8, //                           sub eax, ebx
    0x25, 0xff, 0xff, 0xff, 0x00, //         and eax, 0xffffff
    0x3d, 0xd3, 0x8b, 0x00, 0x00, //         cmp eax, 35,795
  ];
  const code = [
    0x66, 0xba, 0x08, 0x06, 0xed, 0x89, 0xc3, // mov dx, 0x608; in eax, dx; mov ebx, eax
    ...body, 0x72, (-(body.length + 2)) & 0xff, // jb w
    0x89, 0xc7, 0x66, 0xba, 0xf4, 0x00, 0xee, 0xf4, // mov edi, eax; mov dx, 0xf4; out dx, al; hlt
  ];
  const text = concatBytes(multiboot1Header(0), Uint8Array.from(code));
  return buildElf({ class: 32, entry: 0x100000 + 12, segments: [{ paddr: 0x100000, data: text }] }).bytes;
}

test('a loop spinning on the ACPI PM timer waits at its IN the same way', () => {
  const go = (fastWaits: boolean, slice: number) => {
    const m = Machine.create({ memoryMB: 16, fastWaits });
    m.boot(pmKernel());
    let stop = m.run(slice);
    while (stop.reason === 'budget' && m.instructionCount < 1e9) stop = m.run(slice);
    return result(m, stop.reason);
  };
  const fast = go(true, 1e9);
  assert.equal(fast.stop, 'exit');
  assert.ok(fast.waited >= 35_795 && fast.waited < 2 * 35_795 + 10, `waited ${fast.waited} ticks`);
  assert.ok(fast.iterations < SPIN_MIN + 40, `${fast.iterations} iterations`);
  assert.deepEqual(go(true, 9_999), fast);
  const every = go(false, 1e9);
  assert.ok(every.waited >= 35_795 && every.waited < 35_795 + 5 && every.iterations > 500_000, JSON.stringify(every));
});

/** The harness CPU in 64-bit mode spinning on `1: rdtsc; jmp 1b` with a timer due at `at`. */
function spinning(at: number): { c: Cpu; irq: () => boolean } {
  const c = makeCpu();
  poke(c, CODE, [0x0f, 0x31, 0xeb, 0xfc]);
  c.flags |= Flag.IF;
  let raised = false;
  c.clock.schedule(at, () => { raised = true; c.irqLine.pending = true; }, 0);
  c.irqPending = () => raised;
  return { c, irq: () => raised };
}

test('a wait ends at the next timer: an interrupt due during it is taken at its instruction count, at the RDTSC', () => {
  const at = 5_000_000;
  const { c, irq } = spinning(at);
  const e = c.run(1e9);
  assert.equal(e, Exit.IRQ);
  assert.ok(irq());
  assert.equal(c.clock.instructions, at);
  assert.equal(c.rip, CODE, 'RIP at the RDTSC, waiting');
  assert.equal(c.stallUntil, at, 'the wait went no further than the timer');
});

test('single steps, TF and armed debug registers never start a wait; a step through a waiting RDTSC retires it', () => {
  const { c } = spinning(Infinity);
  c.flags |= Flag.TF;
  c.run(10_000);
  assert.equal(c.stallUntil, 0, 'TF set: no wait');
  c.flags &= ~Flag.TF;
  const m = Machine.create({ memoryMB: 16 });
  m.boot(kernel('none'));
  m.run(400); // well into the spin
  const rdtsc = 0x100000 + 12 + 12; // the loop's RDTSC: after rdtsc, mov, pause, inc
  let waits = 0;
  for (let k = 0; k < 1000; k++) {
    const rip = m.cpu.rip, before = m.instructionCount;
    const s = m.step();
    if (s.reason === 'exit') break;
    assert.equal(s.reason, 'step');
    assert.notEqual(m.cpu.rip, rip, `step ${k} at 0x${rip.toString(16)} retired its instruction`);
    if (rip === rdtsc && m.instructionCount - before > 1) waits++;
  }
  assert.ok(m.cpu.rip > rdtsc, 'stepped out of the loop');
  assert.ok(waits > 5, `${waits} steps waited at the RDTSC`);
  assert.ok(m.cpu.r[2 * 7] >>> 0 >= 10_000_000, 'and the loop waited its 10 ms');
});
