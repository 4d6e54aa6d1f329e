import { PhysicalMemory } from '../memory/phys';
import { FAULT } from './fault';
import { Cr0, Cr4, Efer, Flag, TWO32 } from './state';

/** Access kinds, used as TLB indices. */
export const enum Access { READ = 0, WRITE = 1, EXEC = 2 }

/** What the page walker needs from the CPU. */
export interface PagingRegs {
  cr0: number;
  cr3: number;
  cr4: number;
  efer: number;
  flags: number;
  pkru: number;
  pkrs: number;
}

/** Physical-address width advertised in CPUID 0x80000008 (bits above it are reserved in paging entries). */
export const MAXPHYADDR = 40;
const RSVD_HI_PHYS = ((1 << (52 - 32)) - 1) & ~((1 << (MAXPHYADDR - 32)) - 1); // hi-half bits 40..51
/** 2^MAXPHYADDR, computed once (an exported const is a property load in the compiled module, and `**` on it a pow call per walk). */
const PHYS_LIMIT = 2 ** MAXPHYADDR;

/** Result of a successful walk (module-level scratch; the walker never allocates). */
export const walkOut = { phys: 0, pageSize: 4096, writable: true, user: true, exec: true };

const entryAddrs = new Float64Array(5);
const entryLos = new Int32Array(5);

/**
 * The dword at physical `ea` (4-aligned: half of a paging-structure entry). RAM is read from its view; an
 * address with MMIO on its page, or past RAM, goes through PhysicalMemory.read.
 */
function entryDword(mem: PhysicalMemory, ea: number): number {
  return ea + 4 <= mem.size && mem.bus.noMmioAt(ea) ? mem.i32[ea >>> 2] : mem.read(ea, 4) | 0;
}

function pf(la: number, present: boolean, access: Access, user: boolean, rsvd: boolean, regs: PagingRegs, why: string, pk = false): never {
  const fetchBit = access === Access.EXEC && ((regs.efer & Efer.NXE) !== 0 || (regs.cr4 & Cr4.SMEP) !== 0);
  FAULT.vector = 14;
  FAULT.errorCode = (present ? 1 : 0) | (access === Access.WRITE ? 2 : 0) | (user ? 4 : 0) | (rsvd ? 8 : 0) | (fetchBit ? 16 : 0) | (pk ? 32 : 0);
  FAULT.reason = why;
  FAULT.pfAddress = la;
  FAULT.pfWrite = access === Access.WRITE;
  FAULT.pfUser = user;
  FAULT.pfFetch = access === Access.EXEC;
  throw FAULT;
}

/**
 * Translate linear address `la` (48-bit linear form in long mode, 32-bit otherwise) for `access`, as the
 * CPU does: 4-level, PAE or 32-bit paging per CR0.PG/CR4.PAE/EFER.LMA, permission checks (U/S, R/W with
 * CR0.WP, NX with EFER.NXE, SMEP, SMAP), reserved-bit checks, and accessed/dirty bits written back
 * (SDM Vol. 3A §4.5-4.8). Throws the #PF GuestFault. Leaves results in `walkOut`.
 */
export function walk(mem: PhysicalMemory, regs: PagingRegs, la: number, access: Access, user: boolean, implicitSupervisor = false): void {
  const nxe = (regs.efer & Efer.NXE) !== 0;
  let writable = true, usr = true, nx = false;
  let pkey = -1;
  let n = 0;
  let phys: number, size: number;
  const cr3 = regs.cr3;
  if (regs.efer & Efer.LMA) {
    const rsvdHi = RSVD_HI_PHYS | (nxe ? 0 : 0x80000000);
    let table = (cr3 - (cr3 % 4096)) % PHYS_LIMIT;
    let shift = 39;
    for (let level = 4; ; level--) {
      // Bits 12-29 lie in the low 32 bits (>>> is exact there); bits 30-47 need a division.
      const idx = shift < 30 ? (la >>> shift) & 511 : (la / (shift === 30 ? 1073741824 : 549755813888)) & 511;
      const ea = table + idx * 8;
      const lo = entryDword(mem, ea);
      const hi = entryDword(mem, ea + 4);
      if (!(lo & 1)) pf(la, false, access, user, false, regs, `${LEVEL_NAMES[level]} entry ${idx} is not present`);
      let rsvd = (hi & rsvdHi) !== 0;
      const ps = (lo & 0x80) !== 0;
      if (level === 4 && ps) rsvd = true;
      if (ps && level === 3 && (lo & 0x3fffe000)) rsvd = true;
      if (ps && level === 2 && (lo & 0x1fe000)) rsvd = true;
      if (rsvd) pf(la, true, access, user, true, regs, `reserved bit set in ${LEVEL_NAMES[level]} entry ${idx}`);
      if (!(lo & 2)) writable = false;
      if (!(lo & 4)) usr = false;
      if (hi & 0x80000000) nx = true;
      entryAddrs[n] = ea;
      entryLos[n++] = lo;
      const frame = (lo & 0xfffff000) >>> 0;
      const next = (hi & 0xff) * TWO32 + frame;
      if (level === 1 || (ps && level <= 3)) {
        pkey = (hi >>> 27) & 0xf;
        size = level === 1 ? 4096 : level === 2 ? 0x200000 : 0x40000000;
        const base = next - (next % size);
        phys = base + (la % size);
        break;
      }
      table = next;
      shift -= 9;
    }
  } else if (regs.cr4 & Cr4.PAE) {
    const pdpte = (cr3 & 0xffffffe0) >>> 0;
    const i3 = (la >>> 30) & 3;
    const plo = entryDword(mem, pdpte + i3 * 8);
    const phi = entryDword(mem, pdpte + i3 * 8 + 4);
    if (!(plo & 1)) pf(la, false, access, user, false, regs, `PDPTE ${i3} is not present`);
    if ((plo & 0x1e6) || (phi & RSVD_HI_PHYS)) pf(la, true, access, user, true, regs, `reserved bit set in PDPTE ${i3}`);
    let table = (phi & 0xff) * TWO32 + ((plo & 0xfffff000) >>> 0);
    const rsvdHi = RSVD_HI_PHYS | (nxe ? 0 : 0x80000000);
    let shift = 21;
    for (let level = 2; ; level--) {
      const idx = (la >>> shift) & 0x1ff;
      const ea = table + idx * 8;
      const lo = entryDword(mem, ea);
      const hi = entryDword(mem, ea + 4);
      if (!(lo & 1)) pf(la, false, access, user, false, regs, `${LEVEL_NAMES[level]} entry ${idx} is not present`);
      const ps = level === 2 && (lo & 0x80) !== 0;
      if ((hi & rsvdHi) || (ps && (lo & 0x1fe000))) pf(la, true, access, user, true, regs, `reserved bit set in ${LEVEL_NAMES[level]} entry ${idx}`);
      if (!(lo & 2)) writable = false;
      if (!(lo & 4)) usr = false;
      if (hi & 0x80000000) nx = true;
      entryAddrs[n] = ea;
      entryLos[n++] = lo;
      const next = (hi & 0xff) * TWO32 + ((lo & 0xfffff000) >>> 0);
      if (level === 1 || ps) {
        size = level === 1 ? 4096 : 0x200000;
        phys = next - (next % size) + (la % size);
        break;
      }
      table = next;
      shift -= 9;
    }
  } else {
    // 32-bit paging (SDM §4.3).
    const pdeAddr = ((cr3 & 0xfffff000) >>> 0) + (la >>> 22) * 4;
    const pde = entryDword(mem, pdeAddr);
    if (!(pde & 1)) pf(la, false, access, user, false, regs, `PD entry ${la >>> 22} is not present`);
    if (!(pde & 2)) writable = false;
    if (!(pde & 4)) usr = false;
    entryAddrs[n] = pdeAddr;
    entryLos[n++] = pde;
    if ((pde & 0x80) && (regs.cr4 & Cr4.PSE)) {
      if (pde & 0x200000) pf(la, true, access, user, true, regs, `reserved bit set in PD entry ${la >>> 22}`);
      size = 0x400000;
      phys = ((pde & 0xffc00000) >>> 0) + ((pde >>> 13) & 0xff) * TWO32 + (la & 0x3fffff);
    } else {
      const pteAddr = ((pde & 0xfffff000) >>> 0) + ((la >>> 12) & 0x3ff) * 4;
      const pte = entryDword(mem, pteAddr);
      if (!(pte & 1)) pf(la, false, access, user, false, regs, `PT entry ${(la >>> 12) & 0x3ff} is not present`);
      if (!(pte & 2)) writable = false;
      if (!(pte & 4)) usr = false;
      entryAddrs[n] = pteAddr;
      entryLos[n++] = pte;
      size = 4096;
      phys = ((pte & 0xfffff000) >>> 0) + (la & 0xfff);
    }
  }

  // Permission checks (SDM §4.6).
  if (user) {
    if (!usr) pf(la, true, access, true, false, regs, 'user-mode access to a supervisor page');
    if (access === Access.WRITE && !writable) pf(la, true, access, true, false, regs, 'user-mode write to a read-only page');
  } else {
    if (access === Access.WRITE && !writable && (regs.cr0 & Cr0.WP)) {
      pf(la, true, access, false, false, regs, 'write to a read-only page (CR0.WP=1)');
    }
    if (usr && access === Access.EXEC && (regs.cr4 & Cr4.SMEP)) {
      pf(la, true, access, false, false, regs, 'supervisor fetch from a user page (SMEP)');
    }
    if (usr && access !== Access.EXEC && (regs.cr4 & Cr4.SMAP) && (implicitSupervisor || !(regs.flags & Flag.AC))) {
      pf(la, true, access, false, false, regs, 'supervisor data access to a user page (SMAP)');
    }
  }
  if (access === Access.EXEC && nx && nxe) pf(la, true, access, user, false, regs, 'instruction fetch from a no-execute page');
  // Protection keys (§4.6.2): data accesses only, 4-level paging only; PKRU for user pages, PKRS for supervisor pages.
  if (pkey >= 0 && access !== Access.EXEC && (regs.cr4 & (usr ? Cr4.PKE : Cr4.PKS))) {
    const rights = ((usr ? regs.pkru : regs.pkrs) >>> (2 * pkey)) & 3;
    if (rights & 1) pf(la, true, access, user, false, regs, `protection key ${pkey} disables access (${usr ? 'PKRU' : 'PKRS'}.AD)`, true);
    if ((rights & 2) && access === Access.WRITE && (user || (regs.cr0 & Cr0.WP))) {
      pf(la, true, access, user, false, regs, `protection key ${pkey} disables writes (${usr ? 'PKRU' : 'PKRS'}.WD)`, true);
    }
  }

  // Accessed and dirty bits (SDM §4.8).
  for (let k = 0; k < n; k++) {
    let lo = entryLos[k];
    let upd = lo | 0x20;
    if (k === n - 1 && access === Access.WRITE) upd |= 0x40;
    if (upd !== lo) mem.write(entryAddrs[k], 4, upd >>> 0);
  }
  walkOut.phys = phys;
  walkOut.pageSize = size;
  walkOut.writable = writable;
  walkOut.user = usr;
  walkOut.exec = !(nx && nxe);
}

const LEVEL_NAMES = ['', 'PT', 'PD', 'PDPT', 'PML4'];
