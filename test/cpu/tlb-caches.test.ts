import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT } from '../../emulator/cpu/fault';
import { WATCH_READ } from '../../emulator/cpu/cpu';
import { enablePaging, Exit, makeCpu, runCode } from '../support/cpu-harness';
import { Cpu } from '../../emulator/cpu/cpu';
import { Cr4, Flag } from '../../emulator/cpu/state';

/**
 * The CPU's translation caches beside the TLB proper. Reads of MMIO pages through paging (Cpu.rdSlow's cache of MMIO read translations): every read reaches the
 * device, never RAM; the cached translation goes with the TLB (INVLPG, CR3 writes), with a change of privilege,
 * and watchpoints still see every access. Implicit supervisor accesses use the TLB only where they are checked as
 * the CPU's own accesses are.
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

/** Make the page at `la` a user page: U/S = 1 in its PTE and in every table entry above it (SDM Vol. 3 §4.6.1). */
function makeUserPage(cpu: Cpu, la: number): void {
  let table = cpu.cr3;
  for (const shift of [39, 30, 21]) {
    const e = table + 8 * (Math.floor(la / 2 ** shift) % 512);
    cpu.mem.write(e, 4, cpu.mem.read(e, 4) | 4);
    table = cpu.mem.read(e, 4) & ~0xfff;
  }
  const pte = table + 8 * (Math.floor(la / 4096) % 512);
  cpu.mem.write(pte, 4, cpu.mem.read(pte, 4) | 4);
  cpu.flushTlb();
}

// Implicit supervisor accesses (Cpu.sysRd/sysWr: descriptor tables, TSS, delivery pushes) use the TLB at CPL 0-2,
// where they are checked as the CPU's own supervisor accesses are (SDM Vol. 3 §4.6), and nowhere else.
const SYS_LA = 0x7fd00000;

test('implicit supervisor reads and writes at CPL 0 go through the TLB and follow a remapped page after INVLPG', () => {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  cpu.mem.write(0x310000 + 8, 4, 0x11223344);
  cpu.mem.write(0x311000 + 8, 4, 0x55667788);
  map(BigInt(SYS_LA), 0x310000);
  assert.equal(cpu.sysRd(SYS_LA + 8, 4), 0x11223344);
  assert.equal(cpu.rd(SYS_LA + 8, 4), 0x11223344);
  cpu.sysWr(SYS_LA + 8, 2, 0xbeef);
  assert.equal(cpu.mem.read(0x310000 + 8, 4), 0x1122beef);
  cpu.mem.write(findPte(cpu, SYS_LA), 4, 0x311000 | 3);
  cpu.invalidatePage(SYS_LA);
  assert.equal(cpu.sysRd(SYS_LA + 8, 4), 0x55667788);
  cpu.sysWr(SYS_LA + 8, 1, 0xaa);
  assert.equal(cpu.mem.read(0x311000 + 8, 4), 0x556677aa);
  assert.equal(cpu.mem.read(0x310000 + 8, 4), 0x1122beef, 'the old page is not written through a stale entry');
});

test('at CPL 3 an implicit access still reaches a supervisor page the user cannot read', () => {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  cpu.mem.write(0x310000, 4, 0x12345678);
  map(BigInt(SYS_LA), 0x310000); // U/S = 0
  cpu.setCpl(3);
  assert.equal(cpu.sysRd(SYS_LA, 4), 0x12345678);
  cpu.sysWr(SYS_LA, 4, 0x9abcdef0);
  assert.equal(cpu.mem.read(0x310000, 4), 0x9abcdef0);
  assert.throws(() => cpu.rd(SYS_LA, 4), (e) => e === FAULT && FAULT.vector === 14 && (FAULT.errorCode & 4) !== 0);
});

test('under SMAP with RFLAGS.AC = 1 a CPL 0 read of a user page does not let an implicit access to it through', () => {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  cpu.mem.write(0x310000, 4, 0x0badf00d);
  map(BigInt(SYS_LA), 0x310000);
  makeUserPage(cpu, SYS_LA);
  cpu.cr4 |= Cr4.SMAP;
  cpu.flags |= Flag.AC;
  assert.equal(cpu.rd(SYS_LA, 4), 0x0badf00d, 'explicit supervisor read with AC = 1');
  assert.throws(() => cpu.sysRd(SYS_LA, 4), (e) => e === FAULT && FAULT.vector === 14 && (FAULT.errorCode & 4) === 0, 'implicit read: SMAP #PF');
  assert.throws(() => cpu.sysWr(SYS_LA, 4, 0), (e) => e === FAULT && FAULT.vector === 14 && (FAULT.errorCode & 6) === 2, 'implicit write: SMAP #PF');
});

test('an implicit write to a page holding decoded code drops the code', () => {
  const cpu = makeCpu();
  // mov eax, 1 ; hlt at 0x9000, run (decoded), then an implicit store rewrites the immediate.
  cpu.wr(0x9000, 4, 0x0001b8);
  cpu.wr(0x9004, 2, 0xf400);
  assert.equal(runAt(cpu, 0x9000), 1);
  cpu.sysWr(0x9001, 1, 3);
  assert.equal(runAt(cpu, 0x9000), 3);
});

test('at CPL 3 under SMAP an implicit access to a user page faults though the user\'s own read of it is cached', () => {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  cpu.mem.write(0x310000, 4, 0x13572468);
  map(BigInt(SYS_LA), 0x310000);
  makeUserPage(cpu, SYS_LA);
  cpu.cr4 |= Cr4.SMAP;
  cpu.setCpl(3);
  assert.equal(cpu.rd(SYS_LA, 4), 0x13572468, 'the user read fills the TLB');
  assert.equal(cpu.rd(SYS_LA, 4), 0x13572468);
  assert.throws(() => cpu.sysRd(SYS_LA, 4), (e) => e === FAULT && FAULT.vector === 14 && (FAULT.errorCode & 4) === 0);
});

test('a write miss gives the read TLB the page too, but not a page watched for reads: the read after the write stops there', () => {
  const { cpu, map } = setup();
  map(BigInt(LA), 0x320000);
  map(BigInt(LA + 0x1000), 0x321000);
  cpu.watch.push({ start: LA + 0x1100, end: LA + 0x1104, kinds: WATCH_READ });
  cpu.flushTlb();
  // Unwatched page: the write's walk serves the read (a later PTE change without INVLPG is not seen by either).
  cpu.wr(LA + 0x10, 4, 0x1234);
  cpu.mem.write(findPte(cpu, LA), 4, 0x322000 | 3);
  assert.equal(cpu.rd(LA + 0x10, 4), 0x1234, 'read through the entry the write left');
  // Watched page: written first, read afterwards: the read reaches the watchpoint.
  cpu.wr(LA + 0x1100, 4, 0x5678);
  assert.equal(cpu.watchHitAddr, -1, 'a write does not hit a read watchpoint');
  assert.equal(cpu.rd(LA + 0x1100, 4), 0x5678);
  assert.equal(cpu.watchHitAddr, LA + 0x1100, 'the read after the write stopped at the watchpoint');
});

test('a translated block\'s miss on a cached MMIO page does not walk: its read goes to the device through the cached translation', () => {
  const { cpu, reads, map } = setup();
  map(BigInt(LA), 0x300000);
  assert.equal(cpu.rd(LA + 0x20, 4), 0x1020);
  // The PTE now points at RAM, without INVLPG: the cached translation still holds, as a TLB entry would.
  const pte = findPte(cpu, LA);
  cpu.mem.write(pte, 4, 0x320000 | 3);
  assert.equal(cpu.tlbFill(LA + 0x20, 4, false), -1, 'no page walk, no RAM mapping: the block calls Cpu.rd');
  assert.equal(cpu.rd(LA + 0x20, 4), 0x1020);
  // After INVLPG the miss walks again and finds the RAM page.
  cpu.invalidatePage(LA);
  assert.equal(cpu.tlbFill(LA + 0x20, 4, false), 0x320000);
  assert.deepEqual(reads, [0x20, 0x20]);
});

test('a CPL change keeps the TLB, but a supervisor translation never serves CPL 3 and a user one never CPL 0', () => {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  cpu.mem.write(0x330000, 4, 0x11111111);
  cpu.mem.write(0x331000, 4, 0x22222222);
  map(BigInt(SYS_LA), 0x330000); // supervisor only
  assert.equal(cpu.rd(SYS_LA, 4), 0x11111111);
  cpu.wr(SYS_LA + 4, 4, 0x33333333);
  cpu.setCpl(3);
  assert.throws(() => cpu.rd(SYS_LA, 4), (e) => e === FAULT && FAULT.vector === 14 && (FAULT.errorCode & 5) === 5, 'user read: protection #PF');
  assert.throws(() => cpu.wr(SYS_LA + 4, 4, 0), (e) => e === FAULT && FAULT.vector === 14 && (FAULT.errorCode & 7) === 7, 'user write: protection #PF');
  cpu.setCpl(0);
  // Remapped without INVLPG: CPL 0 still uses the entries it filled before the round trip (nothing flushed them).
  cpu.mem.write(findPte(cpu, SYS_LA), 4, 0x331000 | 7);
  assert.equal(cpu.rd(SYS_LA, 4), 0x11111111);
  // At CPL 3 the page is walked afresh (a user translation of its own): the new user page.
  cpu.setCpl(3);
  makeUserPage(cpu, SYS_LA); // (flushes)
  assert.equal(cpu.rd(SYS_LA, 4), 0x22222222);
  cpu.mem.write(findPte(cpu, SYS_LA), 4, 0x330000 | 3); // supervisor only again, without INVLPG
  cpu.setCpl(0);
  assert.equal(cpu.rd(SYS_LA, 4), 0x11111111, 'CPL 0 does not use the user entry: it walks to the new mapping');
});

/**
 * A TLB flush is a generation increment (Cpu.rb/wb), not a clear: a translation made before it must miss after
 * it, also once the 11-bit generation wraps and the arrays are cleared, for reads, fetches' page (read TLB) and
 * writes, and a write entry from an earlier history epoch is re-armed only if no flush came between.
 */
const X = 0x300000, Y = 0x301000;

/** LA mapped to page X (bytes 0x11); page Y (bytes 0x22) to point its PTE at. */
function twoPages() {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  cpu.mem.u8.fill(0x11, X, X + 0x1000);
  cpu.mem.u8.fill(0x22, Y, Y + 0x1000);
  map(BigInt(LA), X);
  return { cpu, map, pte: findPte(cpu, LA) };
}

test('after every one of 5000 flushes a remapped page is reached through its new translation, reads and writes', () => {
  const { cpu, pte } = twoPages();
  for (let k = 0; k < 5000; k++) {
    const pa = k % 2 === 0 ? X : Y;
    cpu.mem.write(pte, 4, pa | 3);
    cpu.flushTlb();
    assert.equal(cpu.rd(LA + 8, 1), pa === X ? 0x11 : 0x22, `read after flush ${k}`);
    cpu.wr(LA + 16, 1, k & 0xff);
    assert.equal(cpu.mem.u8[pa + 16], k & 0xff, `write after flush ${k}`);
    // The other page was not written through a stale entry.
    assert.equal(cpu.mem.u8[(pa === X ? Y : X) + 16], k === 0 ? (pa === X ? 0x22 : 0x11) : (k - 1) & 0xff);
  }
});

test('a write entry from an earlier write epoch is not re-armed across a flush that remapped its page', () => {
  const { cpu, pte } = twoPages();
  cpu.wr(LA, 4, 0x1111); // the write TLB maps LA -> X
  cpu.newWriteEpoch(); // a history snapshot: the entry is stale but re-armable (same page, no flush since)
  cpu.wr(LA + 4, 4, 0x2222);
  assert.equal(cpu.mem.read(X + 4, 4), 0x2222);
  cpu.newWriteEpoch();
  cpu.mem.write(pte, 4, Y | 3);
  cpu.flushTlb(); // MOV CR3: the old translation is gone, whatever its epoch
  cpu.wr(LA + 8, 4, 0x3333);
  assert.equal(cpu.mem.read(Y + 8, 4), 0x3333);
  assert.equal(cpu.mem.read(X + 8, 4), 0x11111111);
});

test('a translation left untouched while the flush generation wraps does not come back', () => {
  const { cpu, pte } = twoPages();
  // The generation comes back to the same value after 2047 flushes (it counts 1..2047): around that count, a
  // translation to X made before the flushes, then the PTE pointed at Y.
  for (const n of [2046, 2047, 2048, 4094]) {
    cpu.mem.write(pte, 4, X | 3);
    cpu.flushTlb();
    assert.equal(cpu.rd(LA, 1), 0x11);
    cpu.wr(LA + 1, 1, 0x11);
    cpu.mem.write(pte, 4, Y | 3);
    for (let k = 0; k < n; k++) cpu.flushTlb();
    assert.equal(cpu.rd(LA, 1), 0x22, `read after ${n} flushes`);
    cpu.wr(LA + 2, 1, 0x44);
    assert.equal(cpu.mem.u8[X + 2], 0x11, `write after ${n} flushes`);
  }
});
