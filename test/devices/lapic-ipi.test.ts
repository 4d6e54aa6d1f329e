import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePc } from './harness';

/**
 * IPIs between local APICs (SDM Vol. 3A §11.6): a PC's devices with four CPUs' APICs (cpuCount 4), driven
 * through their registers as each CPU would (xAPIC MMIO goes to the APIC of `lapics[0].current`, the running
 * CPU; x2APIC through the MSRs). The receiving side is checked in IRR and on each CPU's interrupt line.
 */
function pc4() {
  const p = makePc({ cpuCount: 4 });
  const { lapics, router } = p.devices;
  const on = (cpu: number) => { lapics[0].current = cpu; };
  const rd = (cpu: number, reg: number) => { on(cpu); return p.phys.read(0xfee00000 + reg, 4); };
  const wr = (cpu: number, reg: number, v: number) => { on(cpu); p.phys.write(0xfee00000 + reg, 4, v >>> 0); };
  const inits: number[] = [];
  const sipis: [number, number][] = [];
  const nmis: number[] = [];
  lapics.forEach((a, i) => {
    a.onInit = () => inits.push(i);
    a.onSipi = (v) => sipis.push([i, v]);
  });
  for (let i = 0; i < 4; i++) wr(i, 0xf0, 0x1ff); // software-enable every APIC
  const irr = (cpu: number, vector: number) => (rd(cpu, 0x200 + ((vector >> 5) << 4)) >>> (vector & 31)) & 1;
  const pending = () => router.lines.map((l) => l.pending);
  return { ...p, lapics, router, rd, wr, irr, pending, inits, sipis, nmis };
}

test('each APIC has its own ID; only CPU 0 is the BSP and takes the 8259 through LINT0', () => {
  const p = pc4();
  assert.deepEqual([0, 1, 2, 3].map((i) => p.rd(i, 0x20) >>> 24), [0, 1, 2, 3]);
  assert.deepEqual(p.lapics.map((a) => ((a.readMsr(0x1b)![0] >>> 8) & 1)), [1, 0, 0, 0]);
  assert.deepEqual(p.lapics.map((a) => a.acceptsPicInterrupts()), [true, false, false, false]);
});

test('fixed IPI by physical destination reaches that CPU alone; the shorthands self, all, all-but-self', () => {
  const p = pc4();
  p.wr(0, 0x310, 2 << 24);
  p.wr(0, 0x300, 0x4041); // fixed, physical, vector 0x41 to APIC 2
  assert.deepEqual([0, 1, 2, 3].map((i) => p.irr(i, 0x41)), [0, 0, 1, 0]);
  assert.deepEqual(p.pending(), [false, false, true, false]);
  assert.equal(p.rd(0, 0x300) & (1 << 12), 0, 'delivery status idle');
  p.wr(3, 0x300, 0xc4042); // from CPU 3, all excluding self
  assert.deepEqual([0, 1, 2, 3].map((i) => p.irr(i, 0x42)), [1, 1, 1, 0]);
  p.wr(3, 0x300, 0x84043); // all including self
  assert.deepEqual([0, 1, 2, 3].map((i) => p.irr(i, 0x43)), [1, 1, 1, 1]);
  p.wr(1, 0x300, 0x44044); // self
  assert.deepEqual([0, 1, 2, 3].map((i) => p.irr(i, 0x44)), [0, 1, 0, 0]);
  p.wr(0, 0x310, 0xff << 24);
  p.wr(0, 0x300, 0x4045); // physical broadcast 0xFF
  assert.deepEqual([0, 1, 2, 3].map((i) => p.irr(i, 0x45)), [1, 1, 1, 1]);
  assert.equal(p.router.acknowledge(2), 0x45, 'CPU 2 takes its highest vector');
});

test('logical destinations: flat and cluster models; lowest priority goes to the lowest-numbered APIC of the set', () => {
  const p = pc4();
  for (let i = 0; i < 4; i++) p.wr(i, 0xd0, (1 << i) << 24); // flat: LDR bit i
  p.wr(0, 0x310, 0x0a << 24);
  p.wr(0, 0x300, 0x4850); // fixed, logical, vector 0x50 to mask 1010b
  assert.deepEqual([0, 1, 2, 3].map((i) => p.irr(i, 0x50)), [0, 1, 0, 1]);
  p.wr(0, 0x300, 0x4951); // lowest priority, same set
  assert.deepEqual([0, 1, 2, 3].map((i) => p.irr(i, 0x51)), [0, 1, 0, 0]);
  // Cluster model: LDR = cluster << 4 | member bit
  for (let i = 0; i < 4; i++) {
    p.wr(i, 0xe0, 0x0fffffff);
    p.wr(i, 0xd0, (((i >> 1) << 4) | (1 << (i & 1))) << 24);
  }
  p.wr(0, 0x310, 0x13 << 24); // cluster 1, members 0 and 1: CPUs 2 and 3
  p.wr(0, 0x300, 0x4852);
  assert.deepEqual([0, 1, 2, 3].map((i) => p.irr(i, 0x52)), [0, 0, 1, 1]);
});

test('INIT (not the level de-assert), STARTUP and NMI reach the CPUs their destination names', () => {
  const p = pc4();
  let nmi: number[] = [];
  p.router.lines.forEach((l, i) => { if (l.nmiPending) nmi.push(i); });
  assert.deepEqual(nmi, []);
  p.wr(0, 0x310, 1 << 24);
  p.wr(0, 0x300, 0x4500); // INIT assert to APIC 1
  p.wr(0, 0x300, 0x8500); // INIT level de-assert: no INIT
  p.wr(0, 0x300, 0x4608); // STARTUP vector 08h
  assert.deepEqual(p.inits, [1]);
  assert.deepEqual(p.sipis, [[1, 8]]);
  p.wr(0, 0x300, 0xc4400); // NMI to all excluding self
  nmi = [];
  p.router.lines.forEach((l, i) => { if (l.nmiPending) nmi.push(i); });
  assert.deepEqual(nmi, [1, 2, 3]);
});

test('x2APIC: ICR as one MSR write, 32-bit physical destination, cluster logical destination from the ID', () => {
  const p = pc4();
  for (const a of p.lapics) assert.equal(a.writeMsr(0x1b, 0xfee00c00 | ((a.readMsr(0x1b)![0]) & 0x100), 0), true);
  assert.equal(p.lapics[0].writeMsr(0x830, 0x60, 3), true); // fixed, physical, vector 0x60 to x2APIC ID 3
  assert.deepEqual([0, 1, 2, 3].map((i) => (p.lapics[i].readMsr(0x823)![0] >>> 0) & 1), [0, 0, 0, 1]);
  // Logical: cluster 0 (IDs 0-15), members 1 and 2 → CPUs 1 and 2 (LDR = 1 << (ID & 15))
  assert.equal(p.lapics[3].writeMsr(0x830, 0x861, 0x6), true);
  assert.deepEqual([0, 1, 2, 3].map((i) => (p.lapics[i].readMsr(0x823)![0] >>> 1) & 1), [0, 1, 1, 0]);
  assert.equal(p.lapics[1].readMsr(0x80d)![0], 1 << 1, 'LDR of x2APIC ID 1');
});
