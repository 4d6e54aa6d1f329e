import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../emulator/clock';
import { IoBus } from '../../emulator/devices/bus';
import { Hpet } from '../../emulator/devices/hpet';
import { PhysicalMemory } from '../../emulator/memory/phys';
import { makeCpu, reg, runCode } from '../support/cpu-harness';
import { IrqRecorder, makePc, runTo } from './harness';

/**
 * The HPET (emulator/devices/hpet.ts) register by register, on the virtual clock (1 instruction = 1 ns, so one
 * counter tick = 10 instructions): alone with its interrupt lines recorded, and on the whole PC (IOAPIC, 8259s,
 * PIT, RTC). The guest's view against QEMU is fixtures/src/hpet (test/devices/hpet-kernel.test.ts).
 */
const HPET = 0xfed00000;
const CFG = 0x10;
const ISR = 0x20;
const CNT = 0xf0;
const T = (n: number, reg: number) => 0x100 + 0x20 * n + reg;
const TN_LEVEL = 0x2;
const TN_ENABLE = 0x4;
const TN_PERIODIC = 0x8;
const TN_SETVAL = 0x40;
const TN_32BIT = 0x100;
const ROUTE2 = 2 << 9;

function alone() {
  const bus = new IoBus();
  const clock = new VirtualClock();
  const phys = new PhysicalMemory(1 << 20, bus);
  const irq = new IrqRecorder(clock);
  const hpet = new Hpet(clock, irq);
  hpet.attach(bus);
  const rd = (off: number) => phys.read(HPET + off, 4);
  const wr = (off: number, v: number) => phys.write(HPET + off, 4, v >>> 0);
  return { clock, phys, irq, hpet, rd, wr, run: (ns: number) => runTo(clock, clock.instructions + ns) };
}

describe('HPET registers (IA-PC HPET 1.0a, QEMU pc)', () => {
  it("reads QEMU's capabilities, period and reset values", () => {
    const { rd, phys } = alone();
    assert.equal(rd(0), 0x8086a201, 'vendor 8086, LegacyReplacement capable, 64-bit counter, 3 timers, rev 1');
    assert.equal(rd(4), 10_000_000, '10 ns per tick (femtoseconds)');
    assert.equal(rd(CFG), 0);
    assert.equal(rd(ISR), 0);
    for (let n = 0; n < 3; n++) {
      assert.equal(rd(T(n, 0)), 0x30, 'periodic and 64-bit capable, disabled');
      assert.equal(rd(T(n, 4)), 0x4, 'pc-piix: IOAPIC input 2 only');
      assert.equal(rd(T(n, 8)), 0xffffffff);
      assert.equal(rd(T(n, 12)), 0xffffffff);
    }
    assert.equal(rd(T(3, 0)), 0, 'no fourth timer');
    assert.equal(phys.read(HPET, 1), 0, 'byte reads are not decoded (QEMU: 32-bit accesses only)');
  });

  it('runs the main counter at 100 MHz of virtual time; halted, it holds and takes writes', () => {
    const { rd, wr, run } = alone();
    run(12_345);
    assert.equal(rd(CNT), 0, 'halted at reset');
    wr(CNT, 0xfffffff0);
    wr(CNT + 4, 2);
    assert.deepEqual([rd(CNT + 4), rd(CNT)], [2, 0xfffffff0]);
    wr(CFG, 1);
    run(159);
    assert.equal(rd(CNT), 0xffffffff, '15 whole ticks in 159 ns');
    run(1);
    assert.deepEqual([rd(CNT + 4), rd(CNT)], [3, 0], 'the carry reaches the upper half');
    run(1_000_000_000);
    assert.deepEqual([rd(CNT + 4), rd(CNT)], [3, 100_000_000], 'one virtual second = 100,000,000 ticks');
    wr(CNT, 5);
    assert.equal(rd(CNT), 100_000_000, 'a write while the counter runs is lost (spec: halt it first)');
    wr(CFG, 0);
    run(1000);
    assert.equal(rd(CNT), 100_000_000, 'halted again: it keeps its value');
  });

  it('a one-shot comparator interrupts once, when the counter reaches it (edge: a pulse, no status bit)', () => {
    const { rd, wr, run, irq, clock } = alone();
    wr(T(2, 8), 1000);
    wr(T(2, 12), 0);
    wr(T(2, 0), ROUTE2 | TN_ENABLE);
    run(500);
    wr(CFG, 1); // counting from 0 at t = 500
    run(20_000_000);
    assert.deepEqual(irq.rises(2), [500 + 1000 * 10]);
    assert.equal(irq.levels[2], false);
    assert.equal(rd(ISR), 0);
    void clock;
  });

  it('a comparator behind the counter does not match until the counter comes round (QEMU fires it one tick later)', () => {
    const { wr, run, irq } = alone();
    wr(CFG, 1);
    run(100_000);
    wr(T(2, 8), 10);
    wr(T(2, 12), 0);
    wr(T(2, 0), ROUTE2 | TN_ENABLE | TN_32BIT);
    run(1_000_000);
    assert.deepEqual(irq.rises(2), [], 'a 32-bit comparator matches again after 2^32 ticks (43 s), not now');
  });

  it('periodic: the accumulator adds the period at each match (Linux: SETVAL with the first match, then the period)', () => {
    const { rd, wr, run, irq } = alone();
    wr(CFG, 1);
    run(1000); // counter 100
    wr(T(0, 0), ROUTE2 | TN_ENABLE | TN_PERIODIC | TN_SETVAL | TN_32BIT);
    wr(T(0, 8), 100 + 500); // Tn_VAL_SET_CNF: the accumulator
    assert.equal(rd(T(0, 0)) & TN_SETVAL, 0, 'Tn_VAL_SET_CNF clears itself');
    wr(T(0, 8), 500); // the period
    run(500 * 10 * 4 + 5);
    assert.deepEqual(irq.rises(2), [6000, 11000, 16000, 21000], 'one interrupt per period, at the match');
    assert.equal(rd(T(0, 8)), 100 + 500 * 5, 'the comparator holds the next match');
    assert.equal(rd(T(0, 12)), 0);
  });

  it('periodic in 64-bit mode, and a late event catches up in one interrupt', () => {
    const { rd, wr, run, irq, clock } = alone();
    // 64-bit periodic set-up as QEMU reads the spec: each comparator write clears Tn_VAL_SET_CNF, and without it
    // a write sets the period (the low half's write sets both), so the comparator's upper half goes first.
    wr(T(1, 0), ROUTE2 | TN_PERIODIC | TN_SETVAL);
    wr(T(1, 12), 0);
    wr(T(1, 0), ROUTE2 | TN_PERIODIC | TN_SETVAL);
    wr(T(1, 8), 1000); // comparator and period
    assert.deepEqual([rd(T(1, 12)), rd(T(1, 8))], [0, 1000]);
    wr(T(1, 0), ROUTE2 | TN_ENABLE | TN_PERIODIC);
    wr(CFG, 1);
    // A deadline is only noticed between instruction blocks: jump 3.5 periods past the first match at once.
    clock.instructions = 10_000 + 35_000;
    clock.fire();
    assert.deepEqual(irq.rises(2), [45_000]);
    assert.equal(rd(T(1, 8)), 5000, 'advanced past the counter (4500) by whole periods');
    run(5_000);
    assert.deepEqual(irq.rises(2), [45_000, 50_000]);
  });

  it('level-triggered: Tn_INT_STS and the line stay set until software writes 1 to the status bit', () => {
    const { rd, wr, run, irq } = alone();
    wr(T(2, 8), 10);
    wr(T(2, 12), 0);
    wr(T(2, 0), ROUTE2 | TN_ENABLE | TN_LEVEL);
    wr(CFG, 1);
    run(200);
    assert.equal(rd(ISR), 4);
    assert.equal(irq.levels[2], true);
    wr(ISR, 1); // another timer's bit: nothing
    assert.equal(irq.levels[2], true);
    wr(ISR, 4);
    assert.equal(rd(ISR), 0);
    assert.equal(irq.levels[2], false);
  });

  it('routes outside the capability and FSB delivery are not taken (QEMU stores them)', () => {
    const { rd, wr } = alone();
    wr(T(0, 0), (5 << 9) | 0x4000);
    assert.equal(rd(T(0, 0)), 0x30, 'route 5 is not in the capability 0x4; no FSB capability');
    wr(T(0, 0), ROUTE2);
    assert.equal(rd(T(0, 0)), 0x30 | ROUTE2);
  });

  it('32-bit mode: the comparator is truncated; a one-shot also interrupts when the low half wraps', () => {
    const { rd, wr, run, irq } = alone();
    wr(CNT, 0xffffff00);
    wr(T(1, 0), ROUTE2 | TN_ENABLE | TN_32BIT);
    assert.deepEqual([rd(T(1, 12)), rd(T(1, 8))], [0, 0xffffffff], 'setting 32-bit mode clears the upper half');
    wr(T(1, 8), 0x100);
    wr(CFG, 1);
    run(0x1000 * 10);
    assert.deepEqual(irq.rises(2), [0x100 * 10, 0x200 * 10], 'at the wrap to 0 and at the match');
  });

  it("a 64-bit MOV reads the whole counter at one instant, through the CPU (QEMU 7.2's HPET declares 32-bit accesses only)", () => {
    const cpu = makeCpu();
    const hpet = new Hpet(cpu.clock, new IrqRecorder());
    hpet.attach(cpu.bus);
    cpu.mem.write(HPET + CNT, 4, 0xfffffff6);
    cpu.mem.write(HPET + CNT + 4, 4, 1);
    // mov rbx, 0xfed000f0; mov rax, [rbx]
    const code = [0x48, 0xbb, 0xf0, 0x00, 0xd0, 0xfe, 0, 0, 0, 0, 0x48, 0x8b, 0x03];
    runCode(cpu, code, 2);
    assert.equal(reg(cpu, 0), 0x1fffffff6n, 'halted');
    cpu.mem.write(HPET + CFG, 4, 1);
    // The load retires 1-2 ns after the run starts; keep clear of tick edges (10 ns).
    cpu.clock.instructions += 94; // 9 ticks on: one tick before the low half wraps
    runCode(cpu, code, 2);
    assert.equal(reg(cpu, 0), 0x1ffffffffn);
    cpu.clock.instructions += 8;
    runCode(cpu, code, 2);
    assert.equal(reg(cpu, 0), 0x200000000n, 'both halves from the same instant across the carry');
    // and again through the MMIO read translation the CPU keeps for the page (it caches the mapping, not data)
    cpu.clock.instructions += 10;
    runCode(cpu, code, 2);
    assert.equal(reg(cpu, 0), 0x200000001n);
  });

  it('a snapshot restores the counter and re-arms the comparators at their deadlines', () => {
    const a = alone();
    a.wr(T(0, 0), ROUTE2 | TN_ENABLE | TN_PERIODIC | TN_SETVAL | TN_32BIT);
    a.wr(T(0, 8), 123);
    a.wr(T(0, 8), 77);
    a.wr(CFG, 1);
    a.run(3333);
    const saved = JSON.parse(JSON.stringify(a.hpet.saveState()));
    const at = a.clock.instructions;
    a.run(10_000);
    const b = alone();
    b.clock.instructions = at;
    b.hpet.loadState(saved);
    assert.equal(b.rd(CNT), 333);
    b.run(10_000);
    assert.deepEqual(b.irq.rises(2), a.irq.rises(2).filter((t) => t > at));
    assert.equal(b.rd(T(0, 8)), a.rd(T(0, 8)));
    b.hpet.reset();
    assert.equal(b.rd(CNT), 0);
    assert.equal(b.clock.nextDeadline, Infinity, 'reset cancels the timers');
  });
});

describe('HPET on the PC: IOAPIC, 8259s, LegacyReplacement of the PIT and the RTC', () => {
  function pc() {
    const p = makePc();
    const ioapic = (pin: number, lo: number) => {
      p.phys.write(0xfec00000, 4, 0x10 + 2 * pin);
      p.phys.write(0xfec00010, 4, lo);
      p.phys.write(0xfec00000, 4, 0x11 + 2 * pin);
      p.phys.write(0xfec00010, 4, 0);
    };
    p.phys.write(0xfee000f0, 4, 0x1ff); // software-enable the local APIC
    p.outb(0x21, 0xff);
    p.outb(0xa1, 0xff);
    const wr = (off: number, v: number) => p.phys.write(HPET + off, 4, v >>> 0);
    const run = (ns: number) => runTo(p.clock, p.clock.instructions + ns);
    const eoi = () => p.phys.write(0xfee000b0, 4, 0);
    return { ...p, ioapic, wr, run, eoi, router: p.devices.router };
  }

  it('a comparator on route 2 reaches IOAPIC input 2 as its vector', () => {
    const { ioapic, wr, run, router } = pc();
    ioapic(2, 0x40);
    wr(T(2, 8), 100);
    wr(T(2, 12), 0);
    wr(T(2, 0), ROUTE2 | TN_ENABLE);
    wr(CFG, 1);
    run(999);
    assert.equal(router.pending, false);
    run(1);
    assert.equal(router.pending, true);
    assert.equal(router.acknowledge(), 0x40);
  });

  it('LegacyReplacement: timer 0 -> IRQ0 (input 2), timer 1 -> IRQ8; the PIT and the RTC are cut off, and back after', () => {
    const { ioapic, wr, run, router, outb, eoi, phys } = pc();
    ioapic(2, 0x40);
    ioapic(8, 0x48);
    // PIT counter 0, mode 2, every 1193 input clocks (1 ms)
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    run(1_100_000);
    assert.equal(router.acknowledge(), 0x40, 'the PIT reaches input 2');
    eoi();
    wr(CFG, 3);
    run(5_000_000);
    assert.equal(router.pending, false, 'no PIT interrupt under LegacyReplacement');
    const now = phys.read(HPET + CNT, 4);
    wr(T(0, 12), 0);
    wr(T(0, 8), now + 100);
    wr(T(1, 12), 0);
    wr(T(1, 8), now + 110);
    wr(T(0, 0), TN_ENABLE);
    wr(T(1, 0), TN_ENABLE);
    run(1_000);
    assert.equal(router.acknowledge(), 0x40, 'timer 0 on IRQ0');
    eoi();
    run(1_000);
    assert.equal(router.acknowledge(), 0x48, 'timer 1 on IRQ8');
    eoi();
    // The RTC's periodic interrupt (register A rate 6: 1024 Hz, register B PIE) is held while cut off...
    outb(0x70, 0x0a);
    outb(0x71, 0x26);
    outb(0x70, 0x0b);
    outb(0x71, 0x42);
    run(2_000_000);
    assert.equal(router.pending, false);
    wr(T(0, 0), 0);
    wr(T(1, 0), 0);
    wr(CFG, 1); // ... and reaches IRQ8 when LegacyReplacement ends (the RTC's line is still high: IRQF unread)
    const vectors = new Set<number>();
    for (let i = 0; i < 3 && router.pending; i++) {
      vectors.add(router.acknowledge());
      eoi();
    }
    assert.ok(vectors.has(0x48), 'the RTC output is put back on IRQ8');
    run(1_000_000);
    assert.equal(router.acknowledge(), 0x40, 'the PIT reaches IRQ0 again');
  });

  it('LegacyReplacement timer 0 reaches the 8259 as IRQ0 when the IOAPIC is not used', () => {
    const { wr, run, router, outb } = pc();
    outb(0x20, 0x11);
    outb(0x21, 0x20);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0x21, 0xfe); // IRQ0 only
    outb(0x43, 0x30); // PIT counter 0 quiet (mode 0, count 1: one edge now)
    outb(0x40, 1);
    outb(0x40, 0);
    run(10);
    if (router.pending) {
      router.acknowledge();
      outb(0x20, 0x20);
    }
    wr(CFG, 3);
    wr(T(0, 12), 0);
    wr(T(0, 8), 50);
    wr(T(0, 0), TN_ENABLE);
    run(1000);
    assert.equal(router.acknowledge(), 0x20);
  });
});
