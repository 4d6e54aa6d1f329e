import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTable, walkPage } from '../../emulator/inspect/pagewalk';
import { Buffer64 } from './buffer';

const P = 1n, W = 2n, U = 4n, PS = 0x80n, NX = 1n << 63n;
const LONG = { cr0: 0x80000011n, cr3: 0x1000n, cr4: 0x20n, efer: 0xd00n }; // PG|PE, PAE, LME|LMA|NXE

/**
 * PML4 0x1000: [0] → PDPT 0x2000, [511] → PDPT 0x6000 (higher half).
 * PDPT 0x2000: [0] → PD 0x3000, [1] 1 GiB page at 0x40000000, [2] reserved bit 51 (a table pointer).
 * PD 0x3000: [0] → PT 0x4000, [1] 2 MiB page at 0x200000 (NX, read-only), [2] 2 MiB page with reserved bit 13.
 * PT 0x4000: [0x100] 4 KiB page 0x100000, [0x101] not present (guard page), [0x102] user page.
 * PDPT 0x6000: [510] → PD 0x7000; PD 0x7000: [0] 2 MiB page at 0x400000.
 */
function tables(): Buffer64 {
  const m = new Buffer64(0x8000);
  m.q(0x1000, 0x2000n | P | W | U);
  m.q(0x1000 + 511 * 8, 0x6000n | P | W);
  m.q(0x2000, 0x3000n | P | W | U);
  m.q(0x2008, 0x40000000n | P | W | PS);
  m.q(0x2010, (1n << 51n) | 0x5000n | P | W);
  m.q(0x3000, 0x4000n | P | W | U);
  m.q(0x3008, 0x200000n | P | PS | NX);
  m.q(0x3010, 0x400000n | (1n << 13n) | P | W | PS);
  m.q(0x4000 + 0x100 * 8, 0x100000n | P | W);
  m.q(0x4000 + 0x102 * 8, 0x102000n | P | W | U);
  m.q(0x6000 + 510 * 8, 0x7000n | P | W);
  m.q(0x7000, 0x400000n | P | W | PS | (1n << 8n));
  return m;
}

test('a 4 KiB page walks through PML4, PDPT, PD and PT', () => {
  const r = walkPage(tables().read, LONG, 0x100123n);
  assert.equal(r.mode, '4-level');
  assert.equal(r.mapped, true);
  assert.equal(r.physical, '0x100123');
  assert.equal(r.pageSize, 4096);
  assert.deepEqual(r.levels.map((l) => [l.level, l.index, l.entryAddress]), [
    ['PML4', 0, '0x1000'], ['PDPT', 0, '0x2000'], ['PD', 0, '0x3000'], ['PT', 0x100, '0x4800'],
  ]);
  assert.equal(r.writable, true);
  assert.equal(r.user, false, 'the PT entry is supervisor-only');
  assert.equal(r.executable, true);
  assert.deepEqual(r.levels[3].covers, ['0x100000', '0x100fff']);
  assert.deepEqual(r.levels[2].covers, ['0x0', '0x1fffff']);
});

test('a guard page stops at the PT entry that is not present', () => {
  const r = walkPage(tables().read, LONG, 0x101000n);
  assert.equal(r.mapped, false);
  assert.equal(r.stopReason, 'PT entry 0x101 (covering 0x101000-0x101fff) is not present');
  assert.equal(r.levels.length, 4);
});

test('2 MiB and 1 GiB pages end the walk early; NX counts only with EFER.NXE', () => {
  const m = tables();
  const two = walkPage(m.read, LONG, 0x212345n);
  assert.equal(two.pageSize, 2 * 1024 * 1024);
  assert.equal(two.physical, '0x212345');
  assert.equal(two.levels[2].largePage, true);
  assert.equal(two.levels[2].noExecute, true);
  assert.equal(two.executable, false);
  assert.equal(two.writable, false);
  const gig = walkPage(m.read, LONG, 0x4abcdef0n);
  assert.equal(gig.pageSize, 1 << 30);
  assert.equal(gig.physical, '0x4abcdef0');
  assert.equal(gig.levels.length, 2);
  // Without NXE, bit 63 is reserved.
  const noNxe = walkPage(m.read, { ...LONG, efer: 0x500n }, 0x212345n);
  assert.equal(noNxe.mapped, false);
  assert.match(noNxe.stopReason!, /^reserved bit 63 set in PD entry 0x1 \(covering 0x200000-0x3fffff\)$/);
});

test('reserved bits stop the walk: above MAXPHYADDR, and inside a large-page address', () => {
  const m = tables();
  assert.equal(walkPage(m.read, LONG, 0x80000000n).stopReason, 'reserved bit 51 set in PDPT entry 0x2 (covering 0x80000000-0xbfffffff)');
  assert.equal(walkPage(m.read, LONG, 0x400000n).stopReason, 'reserved bit 13 set in PD entry 0x2 (covering 0x400000-0x5fffff)');
  assert.equal(walkPage(m.read, { ...LONG, maxPhysAddr: 52 }, 0x80000000n).stopReason, 'the PD entry at physical 0x8000000005000 is outside physical memory');
});

test('higher-half and non-canonical addresses', () => {
  const m = tables();
  const r = walkPage(m.read, LONG, 0xffffffff80012345n);
  assert.equal(r.physical, '0x412345');
  assert.deepEqual(r.levels[0].covers, ['0xffffff8000000000', '0xffffffffffffffff']);
  assert.equal(r.levels[2].global, true);
  const bad = walkPage(m.read, LONG, 0x0000800000000000n);
  assert.equal(bad.mapped, false);
  assert.match(bad.stopReason!, /^non-canonical address 0x800000000000/);
});

test('paging off maps identity; 32-bit paging with 4 MiB pages; PAE', () => {
  const m = new Buffer64(0x10000);
  assert.equal(walkPage(m.read, { cr0: 1, cr3: 0, cr4: 0, efer: 0 }, 0x1234n).physical, '0x1234');
  // 32-bit: PD at 0x1000, PDE[0] → PT 0x2000, PDE[1] 4 MiB page at 0xc00000; PTE[5] → 0x9000.
  m.d(0x1000, 0x2003);
  m.d(0x1004, 0xc00083);
  m.d(0x2000 + 5 * 4, 0x9007);
  const pg32 = { cr0: 0x80000001, cr3: 0x1000, cr4: 0x10, efer: 0 };
  const a = walkPage(m.read, pg32, 0x5abcn);
  assert.equal(a.mode, '32-bit');
  assert.equal(a.physical, '0x9abc');
  assert.deepEqual(a.levels.map((l) => l.level), ['PDE', 'PTE']);
  const b = walkPage(m.read, pg32, 0x412345n);
  assert.equal(b.pageSize, 4 << 20);
  assert.equal(b.physical, '0xc12345');
  // PAE: PDPTEs at 0x3000 (32-byte aligned); PDPTE[0] → PD 0x4000; PD[0] 2 MiB page at 0x600000.
  m.q(0x3000, 0x4001n);
  m.q(0x4000, 0x600083n);
  const pae = walkPage(m.read, { cr0: 0x80000001, cr3: 0x3000, cr4: 0x20, efer: 0 }, 0x1234n);
  assert.equal(pae.mode, 'pae');
  assert.equal(pae.physical, '0x601234');
  assert.deepEqual(pae.levels.map((l) => l.level), ['PDPTE', 'PD']);
  m.q(0x3000, 0x4003n); // R/W is reserved in a PAE PDPTE
  assert.match(walkPage(m.read, { cr0: 0x80000001, cr3: 0x3000, cr4: 0x20, efer: 0 }, 0n).stopReason!, /^reserved bit 1 set in PDPTE entry 0x0/);
});

test('readTable lists all or only present entries with next-level links', () => {
  const m = tables();
  const all = readTable(m.read, 0x1000n, 'PML4', 0n);
  assert.equal(all.length, 512);
  const present = readTable(m.read, 0x1000n, 'PML4', 0n, { presentOnly: true });
  assert.deepEqual(present.map((e) => e.index), [0, 511]);
  assert.deepEqual(present[0].next, { physAddr: '0x2000', level: 'PDPT' });
  assert.deepEqual(present[1].covers, ['0xffffff8000000000', '0xffffffffffffffff']);
  const pd = readTable(m.read, 0x3000n, 'PD', 0n, { presentOnly: true });
  assert.deepEqual(pd.map((e) => [e.index, e.largePage, e.next?.level]), [[0, false, 'PT'], [1, true, undefined], [2, true, undefined]]);
  assert.equal(pd[2].reservedBits, '0x2000');
  const pt = readTable(m.read, 0x4000n, 'PT', 0n, { presentOnly: true });
  assert.deepEqual(pt.map((e) => e.covers[0]), ['0x100000', '0x102000']);
  assert.equal(pt[1].user, true);
});

test('the walk never writes accessed or dirty bits', () => {
  const m = tables();
  const before = m.bytes.slice();
  walkPage(m.read, LONG, 0x100123n);
  readTable(m.read, 0x3000n, 'PD', 0n);
  assert.deepEqual(m.bytes, before);
});
