import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc, runTo } from './harness';
import { Exit, makeCpu, reg, runCode, setReg } from '../support/cpu-harness';

const APIC = 0xfee00000;

function pc() {
  const p = makePc();
  const rd = (reg: number) => p.phys.read(APIC + reg, 4);
  const wr = (reg: number, v: number) => p.phys.write(APIC + reg, 4, v);
  return { ...p, lapic: p.devices.lapic, router: p.devices.router, rd, wr };
}

test('xAPIC MMIO: ID, version 0x50014, SVR reset value, LVTs masked', () => {
  const { rd } = pc();
  assert.equal(rd(0x20), 0);
  assert.equal(rd(0x30), 0x50014);
  assert.equal(rd(0xf0), 0xff);
  assert.equal(rd(0x320), 0x10000);
  assert.equal(rd(0xe0), 0xffffffff);
});

test('a self-IPI is accepted only once the APIC is software-enabled, and EOI retires it', () => {
  const { lapic, router, rd, wr } = pc();
  wr(0x300, 0x40040); // fixed, shorthand self, vector 0x40
  assert.equal(lapic.hasInterrupt(), false, 'software-disabled: held in IRR');
  assert.equal(rd(0x200 + 0x20) & 1, 1, 'IRR bit 0x40');
  wr(0xf0, 0x1ff);
  assert.equal(router.pending, true);
  assert.equal(router.acknowledge(), 0x40);
  assert.equal(rd(0x100 + 0x20) & 1, 1, 'ISR bit 0x40');
  assert.equal(rd(0xa0), 0x40, 'PPR follows the in-service class');
  wr(0xb0, 0);
  assert.equal(rd(0x100 + 0x20), 0);
  assert.equal(router.pending, false);
});

test('TPR blocks interrupts of the same or lower priority class', () => {
  const { lapic, wr } = pc();
  wr(0xf0, 0x1ff);
  wr(0x80, 0x50);
  wr(0x300, 0x40055);
  assert.equal(lapic.hasInterrupt(), false);
  wr(0x300, 0x40061);
  assert.equal(lapic.acknowledge(), 0x61);
  wr(0xb0, 0);
  assert.equal(lapic.hasInterrupt(), false, 'still blocked by TPR');
  lapic.writeCr8(0);
  assert.equal(lapic.acknowledge(), 0x55);
});

test('a vector below 16 is not accepted and sets ESR after the arming write', () => {
  const { rd, wr } = pc();
  wr(0xf0, 0x1ff);
  wr(0x300, 0x40005);
  assert.equal(rd(0x280), 0);
  wr(0x280, 0);
  assert.equal(rd(0x280), 0x20, 'send illegal vector');
});

test('timer one-shot fires after initial count x divisor instructions', () => {
  const { clock, lapic, rd, wr } = pc();
  wr(0xf0, 0x1ff);
  wr(0x3e0, 0x3); // divide by 16
  wr(0x320, 0x30); // one-shot, vector 0x30
  clock.instructions = 1000;
  wr(0x380, 100);
  runTo(clock, 1000 + 1599);
  assert.equal(lapic.hasInterrupt(), false);
  assert.equal(rd(0x390), 1);
  runTo(clock, 1000 + 1600);
  assert.equal(lapic.hasInterrupt(), true);
  assert.equal(rd(0x390), 0);
  assert.equal(lapic.acknowledge(), 0x30);
});

test('timer periodic reloads and fires every period; masking stops delivery, not counting', () => {
  const { clock, lapic, rd, wr } = pc();
  wr(0xf0, 0x1ff);
  wr(0x3e0, 0xb); // divide by 1
  wr(0x320, 0x20031);
  wr(0x380, 1000);
  const fired: number[] = [];
  for (let t = 100; t <= 5000; t += 100) {
    runTo(clock, t);
    if (lapic.hasInterrupt()) {
      fired.push(t);
      lapic.acknowledge();
      wr(0xb0, 0);
    }
  }
  assert.deepEqual(fired, [1000, 2000, 3000, 4000, 5000]);
  runTo(clock, 5250);
  assert.equal(rd(0x390), 750);
  wr(0x320, 0x30031);
  runTo(clock, 9000);
  assert.equal(lapic.hasInterrupt(), false);
});

test('TSC-deadline mode: MSR 0x6E0 arms, fires at the deadline and reads 0 afterwards', () => {
  const { clock, lapic, wr } = pc();
  wr(0xf0, 0x1ff);
  lapic.writeMsr(0x6e0, 5000, 0);
  assert.equal(lapic.readTscDeadline(), 0, 'ignored outside TSC-deadline mode');
  wr(0x320, 0x40032);
  assert.equal(lapic.writeMsr(0x6e0, 5000, 0), true);
  runTo(clock, 4999);
  assert.equal(lapic.hasInterrupt(), false);
  runTo(clock, 5000);
  assert.equal(lapic.acknowledge(), 0x32);
  assert.deepEqual(lapic.readMsr(0x6e0), [0, 0]);
});

test('x2APIC: enabled through IA32_APIC_BASE, registers as MSRs, MMIO off, invalid transitions #GP', () => {
  const { lapic, rd } = pc();
  assert.equal(lapic.readMsr(0x802), undefined, 'x2APIC MSRs #GP in xAPIC mode');
  const [base] = lapic.readMsr(0x1b)!;
  assert.equal(base, 0xfee00900);
  assert.equal(lapic.writeMsr(0x1b, base | 0x400, 0), true);
  assert.deepEqual(lapic.readMsr(0x803), [0x50014, 0]);
  assert.deepEqual(lapic.readMsr(0x80d), [1, 0], 'LDR derived from the ID');
  assert.equal(lapic.readMsr(0x80b), undefined, 'EOI is write-only');
  assert.equal(lapic.writeMsr(0x80f, 0x1ff, 0), true);
  assert.equal(lapic.writeMsr(0x83f, 0x45, 0), true); // SELF IPI
  assert.equal(lapic.acknowledge(), 0x45);
  assert.equal(lapic.writeMsr(0x80b, 0, 0), true); // EOI
  assert.equal(lapic.writeMsr(0x830, 0x40046, 0), true); // ICR, 64-bit in one MSR
  assert.equal(lapic.acknowledge(), 0x46);
  assert.equal(rd(0x30), 0xffffffff, 'MMIO interface is off: nothing answers on the bus');
  assert.equal(lapic.writeMsr(0x1b, 0xfee00800, 0), false, 'x2APIC -> xAPIC directly is invalid');
  assert.equal(lapic.writeMsr(0x1b, 0xfee00000, 0), true, 'disable is allowed');
  assert.equal(lapic.writeMsr(0x1b, 0xfee00400, 0), false, 'x2APIC without enable is invalid');
  assert.equal(lapic.writeMsr(0x1b, 0xfee00c00, 0), false, 'disabled -> x2APIC directly is invalid');
  assert.equal(lapic.writeMsr(0x1b, 0xfee00800, 0), true, 'disabled -> xAPIC');
  assert.equal(lapic.writeMsr(0x1b, 0xfee00c00, 0), true, 'xAPIC -> x2APIC');
});

test('a model without x2APIC: IA32_APIC_BASE.EXTD is reserved (#GP)', () => {
  const { lapic } = pc();
  lapic.x2apicSupported = false;
  assert.equal(lapic.writeMsr(0x1b, 0xfee00c00, 0), false);
  assert.equal(lapic.x2apic, false);
  assert.equal(lapic.writeMsr(0x1b, 0xfee00800, 0), true, 'xAPIC mode is still fine');
});

test('globally disabled (IA32_APIC_BASE.EN = 0): the MMIO page is not decoded, and comes back with the enable', () => {
  const { lapic, rd, wr } = pc();
  const version = rd(0x30);
  assert.equal(lapic.writeMsr(0x1b, 0xfee00000, 0), true);
  assert.equal(rd(0x30), 0xffffffff, 'reads go to the bus');
  wr(0x80, 0x20); // TPR: ignored
  assert.equal(lapic.writeMsr(0x1b, 0xfee00800, 0), true);
  assert.equal(rd(0x30), version);
  assert.equal(rd(0x80), 0, 'the write while disabled did not reach the TPR');
});

test('state round-trips, and a periodic timer keeps its schedule', () => {
  const a = pc();
  a.wr(0xf0, 0x1ff);
  a.wr(0x3e0, 0xb);
  a.wr(0x320, 0x20031);
  a.wr(0x380, 1000);
  runTo(a.clock, 2500);
  const saved = JSON.parse(JSON.stringify(a.lapic.saveState()));
  const b = pc();
  b.clock.instructions = 2500;
  b.lapic.loadState(saved);
  assert.equal(b.rd(0x390), 500);
  runTo(b.clock, 3000);
  assert.equal(b.lapic.hasInterrupt(), true);
});

test('CR8 is TPR[7:4] (SDM §11.8.6.1): MOV to/from CR8 and the TPR register are one register', () => {
  const { lapic, rd, wr } = pc();
  const c = makeCpu();
  c.host = {
    readMsr: (i) => lapic.readMsr(i), writeMsr: (i, lo, hi) => lapic.writeMsr(i, lo, hi),
    readCr8: () => lapic.readCr8(), writeCr8: (v) => lapic.writeCr8(v),
  };
  setReg(c, 0, 0xan);
  assert.equal(runCode(c, [0x44, 0x0f, 0x22, 0xc0]).exit, Exit.BUDGET); // mov cr8, rax
  assert.equal(rd(0x80), 0xa0);
  wr(0x80, 0x5c);
  assert.equal(runCode(c, [0x44, 0x0f, 0x20, 0xc1]).exit, Exit.BUDGET); // mov rcx, cr8
  assert.equal(reg(c, 1), 5n);
  // A pending vector below the new priority class stays in the IRR (PPR from TPR).
  wr(0xf0, 0x1ff);
  setReg(c, 0, 0x4n);
  runCode(c, [0x44, 0x0f, 0x22, 0xc0]);
  wr(0x300, 0x40031); // self IPI, vector 0x31 (class 3 < 4)
  assert.equal(lapic.hasInterrupt(), false);
  setReg(c, 0, 0x2n);
  runCode(c, [0x44, 0x0f, 0x22, 0xc0]);
  assert.equal(lapic.hasInterrupt(), true);
});
