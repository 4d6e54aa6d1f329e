import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IoBus } from '../../emulator/devices/bus';
import { FAULT } from '../../emulator/cpu/fault';
import { Access, PagingRegs, walk, walkOut } from '../../emulator/cpu/paging';
import { Cr0, Cr4, Efer } from '../../emulator/cpu/state';
import { PhysicalMemory } from '../../emulator/memory/phys';
import { Flag } from '../../emulator/cpu/state';
import { CODE, enablePaging, Exit, makeCpu, runCode, setFlags } from '../support/cpu-harness';

/** 4-level paging walks over hand-built tables (SDM Vol. 3A §4.5-4.8). */
const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;
const NX_HI = 0x80000000;

function setup() {
  const mem = new PhysicalMemory(8 << 20, new IoBus());
  const regs: PagingRegs = { cr0: Cr0.PE | Cr0.PG | Cr0.WP, cr3: 0x1000, cr4: Cr4.PAE, efer: Efer.LME | Efer.LMA | Efer.NXE, flags: 0, pkru: 0, pkrs: 0 };
  const entry = (table: number, index: number, lo: number, hi = 0) => {
    mem.write(table + index * 8, 4, lo >>> 0);
    mem.write(table + index * 8 + 4, 4, hi >>> 0);
  };
  const read = (table: number, index: number) => mem.read(table + index * 8, 4);
  // PML4[0] → PDPT 0x2000; PDPT[0] → PD 0x3000; PD[0] → PT 0x4000; PD[1] = 2 MiB page at 0x200000;
  // PDPT[1] = 1 GiB page at 0 (reserved-bit-free); PT[1] → 0x5000 (user, writable); PT[2] → 0x6000 (read-only);
  // PT[3] not present (guard page); PT[4] → 0x7000 NX.
  entry(0x1000, 0, 0x2000 | P | RW | US);
  entry(0x2000, 0, 0x3000 | P | RW | US);
  entry(0x2000, 1, 0x0 | P | RW | PS);
  entry(0x3000, 0, 0x4000 | P | RW | US);
  entry(0x3000, 1, 0x200000 | P | RW | PS);
  entry(0x4000, 1, 0x5000 | P | RW | US);
  entry(0x4000, 2, 0x6000 | P);
  entry(0x4000, 4, 0x7000 | P | RW, NX_HI);
  return { mem, regs, entry, read };
}

function pfCode(fn: () => void): number {
  try {
    fn();
  } catch (e) {
    if (e !== FAULT) throw e;
    assert.equal(FAULT.vector, 14);
    return FAULT.errorCode;
  }
  assert.fail('expected a page fault');
}

describe('4-level paging', () => {
  it('translates 4 KiB, 2 MiB and 1 GiB pages', () => {
    const { mem, regs } = setup();
    walk(mem, regs, 0x1234, Access.READ, false);
    assert.equal(walkOut.phys, 0x5234);
    assert.equal(walkOut.pageSize, 4096);
    walk(mem, regs, 0x212345, Access.READ, false);
    assert.equal(walkOut.phys, 0x212345);
    assert.equal(walkOut.pageSize, 0x200000);
    walk(mem, regs, 0x40000000 + 0x123456, Access.READ, false);
    assert.equal(walkOut.phys, 0x123456);
    assert.equal(walkOut.pageSize, 0x40000000);
  });

  it('a not-present entry gives #PF with P=0 and the W/U bits of the access', () => {
    const { mem, regs } = setup();
    assert.equal(pfCode(() => walk(mem, regs, 0x3000, Access.WRITE, false)), 0x2);
    assert.equal(pfCode(() => walk(mem, regs, 0x3000, Access.READ, true)), 0x4);
  });

  it('writes to a read-only page fault with CR0.WP=1 and succeed at CPL 0 with CR0.WP=0', () => {
    const { mem, regs } = setup();
    assert.equal(pfCode(() => walk(mem, regs, 0x2000, Access.WRITE, false)), 0x3);
    regs.cr0 &= ~Cr0.WP;
    walk(mem, regs, 0x2000, Access.WRITE, false);
    assert.equal(walkOut.phys, 0x6000);
    assert.equal(pfCode(() => walk(mem, regs, 0x2000, Access.WRITE, true)), 0x7, 'user writes always fault');
  });

  it('user access to a supervisor page is a protection fault', () => {
    const { mem, regs } = setup();
    assert.equal(pfCode(() => walk(mem, regs, 0x212345, Access.READ, true)), 0x5);
  });

  it('fetching from an NX page faults with I/D when EFER.NXE=1, and NX is a reserved bit when NXE=0', () => {
    const { mem, regs } = setup();
    assert.equal(pfCode(() => walk(mem, regs, 0x4000, Access.EXEC, false)), 0x11);
    walk(mem, regs, 0x4000, Access.READ, false);
    regs.efer &= ~Efer.NXE;
    assert.equal(pfCode(() => walk(mem, regs, 0x4000, Access.READ, false)), 0x9);
  });

  it('reserved bits above MAXPHYADDR and in large-page frames give RSVD', () => {
    const { mem, regs, entry } = setup();
    entry(0x4000, 5, 0x8000 | P | RW, 0x100); // bit 40
    assert.equal(pfCode(() => walk(mem, regs, 0x5000, Access.READ, false)), 0x9);
    entry(0x3000, 2, 0x400000 | 0x2000 | P | RW | PS); // bit 13 of a 2 MiB frame
    assert.equal(pfCode(() => walk(mem, regs, 0x400000, Access.READ, false)), 0x9);
    entry(0x1000, 1, 0x2000 | P | RW | PS); // PS in a PML4 entry
    assert.equal(pfCode(() => walk(mem, regs, 0x8000000000, Access.READ, false)), 0x9);
  });

  it('sets accessed bits on every level and the dirty bit on a write', () => {
    const { mem, regs, read } = setup();
    walk(mem, regs, 0x1000, Access.READ, false);
    assert.ok(read(0x1000, 0) & A && read(0x2000, 0) & A && read(0x3000, 0) & A && read(0x4000, 1) & A);
    assert.equal(read(0x4000, 1) & D, 0);
    walk(mem, regs, 0x1000, Access.WRITE, false);
    assert.ok(read(0x4000, 1) & D);
  });

  it('a faulting walk sets no accessed or dirty bits on the leaf', () => {
    const { mem, regs, read } = setup();
    pfCode(() => walk(mem, regs, 0x2000, Access.WRITE, false));
    assert.equal(read(0x4000, 2) & (A | D), 0);
  });
});

describe('protection keys (SDM §4.6.2)', () => {
  // PT[5] → 0x8000, user, writable, key 2; PT[6] → 0x9000, supervisor, writable, key 2.
  const keyed = () => {
    const t = setup();
    t.entry(0x4000, 5, 0x8000 | P | RW | US, 2 << 27);
    t.entry(0x4000, 6, 0x9000 | P | RW, 2 << 27);
    return t;
  };
  it('PKRU (CR4.PKE) guards user pages: AD faults reads and writes with PF.PK, WD faults user writes and, with CR0.WP, supervisor writes', () => {
    const { mem, regs } = keyed();
    regs.pkru = 0x10; // key 2 AD
    walk(mem, regs, 0x5000, Access.READ, true); // CR4.PKE = 0: no checks
    regs.cr4 |= Cr4.PKE;
    assert.equal(pfCode(() => walk(mem, regs, 0x5000, Access.READ, true)), 0x25);
    assert.equal(pfCode(() => walk(mem, regs, 0x5000, Access.WRITE, false)), 0x23);
    walk(mem, regs, 0x6000, Access.READ, false); // the supervisor page: PKRU does not apply
    walk(mem, regs, 0x1000, Access.READ, true); // key 0
    walk(mem, regs, 0x5000, Access.EXEC, true); // fetches are not checked
    regs.pkru = 0x20; // key 2 WD
    walk(mem, regs, 0x5000, Access.READ, true);
    assert.equal(pfCode(() => walk(mem, regs, 0x5000, Access.WRITE, true)), 0x27);
    assert.equal(pfCode(() => walk(mem, regs, 0x5000, Access.WRITE, false)), 0x23, 'supervisor write, CR0.WP = 1');
    regs.cr0 &= ~Cr0.WP;
    walk(mem, regs, 0x5000, Access.WRITE, false); // CR0.WP = 0
  });
  it('PKRS (CR4.PKS) guards supervisor pages the same way', () => {
    const { mem, regs } = keyed();
    regs.cr4 |= Cr4.PKS;
    regs.pkrs = 0x10;
    assert.equal(pfCode(() => walk(mem, regs, 0x6000, Access.READ, false)), 0x21);
    walk(mem, regs, 0x5000, Access.READ, true); // user page: PKRS does not apply
    regs.pkrs = 0x20;
    walk(mem, regs, 0x6000, Access.READ, false);
    assert.equal(pfCode(() => walk(mem, regs, 0x6000, Access.WRITE, false)), 0x23);
  });
});


describe('SMAP through the software TLB', () => {
  it('a supervisor read of a user page allowed with AC=1 faults after CLAC (the translation was not cached)', () => {
    const cpu = makeCpu();
    const map = enablePaging(cpu);
    const la = 0x10000000n;
    map(la, 0x5000);
    // Make the path to the page user-accessible (U at every level).
    const view = new DataView(cpu.mem.u8.buffer, cpu.mem.u8.byteOffset);
    let table = cpu.cr3;
    for (const shift of [39n, 30n, 21n, 12n]) {
      const at = table + Number((la >> shift) & 511n) * 8;
      view.setUint32(at, view.getUint32(at, true) | 4, true);
      table = view.getUint32(at, true) & ~0xfff;
    }
    cpu.cr4 |= Cr4.SMAP;
    cpu.flushTlb();
    // mov eax, [0x10000000]: 8b 04 25 00 00 00 10
    const load = [0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x10];
    setFlags(cpu, Flag.AC);
    assert.equal(runCode(cpu, load, 1).exit, Exit.BUDGET, 'AC=1: allowed');
    setFlags(cpu, 0);
    const r = runCode(cpu, load, 1);
    assert.equal(r.vector, 14, 'AC=0: #PF');
    assert.equal(r.errorCode, 1);
    assert.equal(cpu.rip, CODE);
  });
});
