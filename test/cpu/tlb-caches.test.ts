import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT } from '../../emulator/cpu/fault';
import { WATCH_READ } from '../../emulator/cpu/cpu';
import { enablePaging, Exit, makeCpu, runCode } from '../support/cpu-harness';
import { Cpu } from '../../emulator/cpu/cpu';

/**
 * The CPU's translation caches beside the TLB proper. Reads of MMIO pages through paging (Cpu.rdSlow's cache of MMIO read translations): every read reaches the
 * device, never RAM; the cached translation goes with the TLB (INVLPG, CR3 writes), with a change of privilege,
 * and watchpoints still see every access.
 */
function setup() {
  const cpu = makeCpu();
  const reads: number[] = [];
  // Device A at physical 0x300000 (inside RAM, so a RAM read would return the 0xaa bytes below), device B at 0x301000.
  cpu.mem.u8.fill(0xaa, 0x300000, 0x302000);
  cpu.bus.registerMmio('a', 0x300000, 0x1000, { read: (off) => { reads.push(off); return 0x1000 + off; }, write: () => {} });
  cpu.bus.registerMmio('b', 0x301000, 0x1000, { read: (off) => { reads.push(-off); return 0x2000 + off; }, write: () => {} });
  const map = enablePaging(cpu);
  return { cpu, reads, map };
}

const LA = 0x7fe00000;

test('repeated reads of a paged MMIO page reach the device each time', () => {
  const { cpu, reads, map } = setup();
  map(BigInt(LA), 0x300000);
  for (let k = 0; k < 5; k++) assert.equal(cpu.rd(LA + 0x20, 4), 0x1020);
  assert.equal(cpu.rd(LA + 0x30, 2), 0x1030);
  assert.deepEqual(reads, [0x20, 0x20, 0x20, 0x20, 0x20, 0x30]);
});

test('INVLPG and a TLB flush drop the cached MMIO translation', () => {
  const { cpu, reads, map } = setup();
  map(BigInt(LA), 0x300000);
  assert.equal(cpu.rd(LA + 4, 4), 0x1004);
  // map() flushes the whole TLB: the next read walks to device B.
  map(BigInt(LA), 0x301000);
  assert.equal(cpu.rd(LA + 4, 4), 0x2004);
  // Rewrite the PTE by hand, then INVLPG that page only.
  const pte = findPte(cpu, LA);
  cpu.mem.write(pte, 4, 0x300000 | 3);
  cpu.invalidatePage(LA);
  assert.equal(cpu.rd(LA + 4, 4), 0x1004);
  // Not present after INVLPG: #PF, not the old device.
  cpu.mem.write(pte, 4, 0);
  cpu.invalidatePage(LA);
  assert.throws(() => cpu.rd(LA + 4, 4), (e) => e === FAULT && FAULT.vector === 14);
  assert.deepEqual(reads, [4, -4, 4]);
});

test('a supervisor MMIO page read at CPL 0 is not readable from CPL 3 through the cache', () => {
  const { cpu, map } = setup();
  map(BigInt(LA), 0x300000); // supervisor-only (U/S = 0)
  assert.equal(cpu.rd(LA, 4), 0x1000);
  cpu.setCpl(3);
  assert.throws(() => cpu.rd(LA, 4), (e) => e === FAULT && FAULT.vector === 14 && (FAULT.errorCode & 4) !== 0);
});

test('a watchpoint on an MMIO register stops a read whose translation was cached', () => {
  const { cpu, map } = setup();
  map(BigInt(LA), 0x300000);
  assert.equal(cpu.rd(LA + 0x20, 4), 0x1020);
  cpu.watch = [{ start: LA + 0x20, end: LA + 0x24, kinds: WATCH_READ }];
  assert.equal(cpu.rd(LA + 0x20, 4), 0x1020);
  assert.equal(cpu.stopRequested, true);
  assert.equal(cpu.watchHitAddr, LA + 0x20);
});

/** Physical address of the 4-level PTE mapping `la` (the harness's tables are all present by now). */
function findPte(cpu: ReturnType<typeof makeCpu>, la: number): number {
  let table = cpu.cr3;
  for (const shift of [39, 30, 21]) table = cpu.mem.read(table + 8 * (Math.floor(la / 2 ** shift) % 512), 4) & ~0xfff;
  return table + 8 * (Math.floor(la / 4096) % 512);
}

/** Run from `rip` to the HLT; EAX after it. */
function runAt(cpu: Cpu, rip: number): number {
  cpu.rip = rip;
  cpu.halted = false;
  assert.equal(cpu.run(100), Exit.HALT);
  return cpu.r[0];
}

for (const crowded of [false, true]) {
  test(`a page written through the write TLB and then run as code takes the slow path on the next write${crowded ? ' (more TLB fills than the flush log holds)' : ''}`, () => {
    const cpu = makeCpu();
    runCode(cpu, [0x90]); // settle the harness
    cpu.flushTlb();
    // Many other pages in the TLB first: the drop must then scan every slot instead of the log.
    if (crowded) {
      for (let p = 0x10; p < 0x400; p++) cpu.rd(p * 4096, 1);
      for (let p = 0x100; p < 0x200; p++) cpu.wr(p * 4096, 1, 0);
    }
    // mov eax, 1 ; hlt — stored by a plain write, which fills the write TLB for the page.
    cpu.wr(0x9000, 4, 0x0001b8);
    cpu.wr(0x9004, 2, 0xf400);
    assert.equal(runAt(cpu, 0x9000), 1);
    // The page now holds decoded code: this write must reach it through the slow path and drop the block.
    cpu.wr(0x9001, 1, 2);
    assert.equal(runAt(cpu, 0x9000), 2);
  });
}
