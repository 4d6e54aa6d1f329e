import { hx, isCanonical } from './hex';
import { MemoryReader, PageTableEntryInfo, PageWalkLevel, PageWalkResult } from './types';

/**
 * Page-table walks for the debugger (SDM Vol. 3A Chapter 4): 32-bit paging (§4.3), PAE (§4.4), 4-level and
 * 5-level paging (§4.5). Pure: reads physical memory through `readPhys` and never sets accessed/dirty bits.
 * Reserved-bit checks follow SDM Tables 4-8 … 4-20 with MAXPHYADDR `maxPhysAddr` (default 40, QEMU's TCG
 * default), so the reasons match the RSVD page faults the CPU would raise.
 */

export interface PagingRegisters {
  cr0: bigint | number;
  cr3: bigint | number;
  cr4: bigint | number;
  efer: bigint | number;
  /** MAXPHYADDR (CPUID 0x80000008 EAX[7:0]); default 40. */
  maxPhysAddr?: number;
}

export interface ReadTableOptions {
  /** Only entries with P = 1 (default: all of them). */
  presentOnly?: boolean;
  /** EFER.NXE: bit 63 is XD rather than reserved (default true). */
  nxe?: boolean;
  maxPhysAddr?: number;
  /** 5-level paging: canonical addresses are 57-bit. */
  la57?: boolean;
  /** PAE paging: bits 62:M of PD/PT entries are reserved (default false = 4/5-level). */
  pae?: boolean;
  /** 32-bit paging with CR4.PSE: a PDE with PS = 1 maps 4 MiB (default true). */
  pse?: boolean;
}

const CR0_PG = 1n << 31n;
const CR4_PSE = 1n << 4n;
const CR4_PAE = 1n << 5n;
const CR4_LA57 = 1n << 12n;
const EFER_LME = 1n << 8n;
const EFER_LMA = 1n << 10n;
const EFER_NXE = 1n << 11n;

/** Levels by name: index shift, entry size, next level, whether PS may map a page here. */
const LEVELS: Record<string, { shift: number; entry: 4 | 8; entries: number; next?: string; large: boolean }> = {
  PML5: { shift: 48, entry: 8, entries: 512, next: 'PML4', large: false },
  PML4: { shift: 39, entry: 8, entries: 512, next: 'PDPT', large: false },
  PDPT: { shift: 30, entry: 8, entries: 512, next: 'PD', large: true },
  PD: { shift: 21, entry: 8, entries: 512, next: 'PT', large: true },
  PT: { shift: 12, entry: 8, entries: 512, large: false },
  PDPTE: { shift: 30, entry: 8, entries: 4, next: 'PD', large: false },
  PDE: { shift: 22, entry: 4, entries: 1024, next: 'PTE', large: true },
  PTE: { shift: 12, entry: 4, entries: 1024, large: false },
};

/** Translate `address` the way the MMU would, reporting every level and where and why the walk stops. */
export function walkPage(readPhys: MemoryReader, regs: PagingRegisters, address: bigint): PageWalkResult {
  const cr0 = BigInt(regs.cr0), cr4 = BigInt(regs.cr4), efer = BigInt(regs.efer), cr3 = BigInt(regs.cr3);
  const va = BigInt.asUintN(64, address);
  const maxPhys = regs.maxPhysAddr ?? 40;
  const nxe = (efer & EFER_NXE) !== 0n;
  if ((cr0 & CR0_PG) === 0n) {
    return { address: hx(va), mode: 'none', levels: [], mapped: true, physical: hx(va), writable: true, user: true, executable: true };
  }
  if ((cr4 & CR4_PAE) === 0n) {
    const la = va & 0xffffffffn;
    const opts: ReadTableOptions = { nxe: false, maxPhysAddr: maxPhys, pse: (cr4 & CR4_PSE) !== 0n };
    return walk(readPhys, hx(la), '32-bit', la, cr3 & 0xfffff000n, ['PDE', 'PTE'], opts);
  }
  if ((efer & (EFER_LMA | EFER_LME)) === 0n) {
    const la = va & 0xffffffffn;
    return walk(readPhys, hx(la), 'pae', la, cr3 & 0xffffffe0n, ['PDPTE', 'PD', 'PT'], { nxe, maxPhysAddr: maxPhys, pae: true });
  }
  const la57 = (cr4 & CR4_LA57) !== 0n;
  const mode = la57 ? '5-level' : '4-level';
  if (!isCanonical(va, la57 ? 57 : 48)) {
    const bit = la57 ? 56 : 47;
    return {
      address: hx(va), mode, levels: [], mapped: false,
      stopReason: `non-canonical address ${hx(va)}: bits 63:${bit} must all equal bit ${bit} (an access raises #GP, or #SS for a stack access)`,
    };
  }
  const names = la57 ? ['PML5', 'PML4', 'PDPT', 'PD', 'PT'] : ['PML4', 'PDPT', 'PD', 'PT'];
  return walk(readPhys, hx(va), mode, va, cr3 & physMask(maxPhys) & ~0xfffn, names, { nxe, maxPhysAddr: maxPhys, la57 });
}

function walk(readPhys: MemoryReader, shown: string, mode: PageWalkResult['mode'], va: bigint, firstTable: bigint, names: string[], opts: ReadTableOptions): PageWalkResult {
  const result: PageWalkResult = { address: shown, mode, levels: [], mapped: false };
  let table = firstTable;
  let writable = true, user = true, executable = true;
  for (const name of names) {
    const L = LEVELS[name];
    const index = Number((va >> BigInt(L.shift)) & BigInt(L.entries - 1));
    const entryAddress = table + BigInt(index * L.entry);
    const bytes = readPhys(entryAddress, L.entry);
    if (!bytes || bytes.length < L.entry) {
      result.stopReason = `the ${name} entry at physical ${hx(entryAddress)} is outside physical memory`;
      return result;
    }
    const raw = L.entry === 8 ? new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) : BigInt(new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true));
    const span = 1n << BigInt(L.shift);
    const start = va & ~(span - 1n);
    const e = decodeEntry(name, index, entryAddress, raw, start, opts);
    result.levels.push(e);
    const where = `${name} entry ${hx(index)} (covering ${e.covers[0]}-${e.covers[1]})`;
    if (!e.present) {
      result.stopReason = `${where} is not present`;
      return result;
    }
    if (e.reservedBits) {
      const bits = bitList(BigInt(e.reservedBits));
      result.stopReason = `reserved bit${bits.length > 1 ? 's' : ''} ${bits.join(', ')} set in ${where}`;
      return result;
    }
    // PAE PDPTEs have no R/W, U/S or XD (SDM Table 4-8); they do not restrict access.
    if (name !== 'PDPTE') {
      writable &&= e.writable;
      user &&= e.user;
      executable &&= !e.noExecute;
    }
    if (e.largePage || !L.next) {
      const pageSize = Number(span);
      result.mapped = true;
      result.pageSize = pageSize;
      result.physical = hx(BigInt(e.address) + (va & (span - 1n)));
      result.writable = writable;
      result.user = user;
      result.executable = executable;
      return result;
    }
    table = BigInt(e.address);
  }
  return result;
}

/**
 * Every entry (or only present ones) of the table at `physAddr`, whose first entry maps virtual `virtualBase`,
 * for a lazily expanded page-table tree. `level` is a LEVELS name ('PML4', 'PD', 'PDE' …).
 */
export function readTable(readPhys: MemoryReader, physAddr: bigint, level: string, virtualBase: bigint, options: ReadTableOptions = {}): PageTableEntryInfo[] {
  const L = LEVELS[level];
  if (!L) throw new Error(`unknown page-table level ${level}; expected one of ${Object.keys(LEVELS).join(', ')}`);
  const opts: ReadTableOptions = { nxe: true, ...options, pae: options.pae ?? (level === 'PDPTE') };
  const bytes = readPhys(physAddr, L.entries * L.entry);
  if (!bytes || bytes.length < L.entries * L.entry) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PageTableEntryInfo[] = [];
  const vaBits = opts.la57 ? 57 : 48;
  const canonicalize = L.entry === 8 && level !== 'PDPTE' && !opts.pae;
  for (let i = 0; i < L.entries; i++) {
    const raw = L.entry === 8 ? view.getBigUint64(i * 8, true) : BigInt(view.getUint32(i * 4, true));
    if (opts.presentOnly && (raw & 1n) === 0n) continue;
    let start = virtualBase + (BigInt(i) << BigInt(L.shift));
    if (canonicalize) start = BigInt.asUintN(64, BigInt.asIntN(vaBits, start));
    const e: PageTableEntryInfo = decodeEntry(level, i, physAddr + BigInt(i * L.entry), raw, start, opts);
    if (e.present && !e.largePage && L.next && !e.reservedBits) e.next = { physAddr: e.address, level: L.next };
    out.push(e);
  }
  return out;
}

/** Decode one paging-structure entry of `level`; `start` is the first virtual address it covers. */
export function decodeEntry(level: string, index: number, entryAddress: bigint, raw: bigint, start: bigint, opts: ReadTableOptions): PageWalkLevel {
  const L = LEVELS[level];
  const bit = (n: number) => ((raw >> BigInt(n)) & 1n) === 1n;
  const maxPhys = opts.maxPhysAddr ?? 40;
  const nxe = opts.nxe ?? true;
  const largePage = L.large && bit(7) && (level !== 'PDE' || (opts.pse ?? true));
  const pageMask = (1n << BigInt(largePage ? L.shift : 12)) - 1n;
  let address: bigint;
  if (L.entry === 4) {
    address = largePage ? (raw & 0xffc00000n) | (((raw >> 13n) & 0xffn) << 32n) : raw & 0xfffff000n;
  } else {
    address = raw & physMask(maxPhys) & ~pageMask;
  }
  const reserved = reservedMask(level, largePage, maxPhys, nxe, !!opts.pae) & raw;
  const span = 1n << BigInt(L.shift);
  return {
    level, index, entryAddress: hx(entryAddress), raw: hx(raw),
    present: bit(0),
    writable: level === 'PDPTE' ? true : bit(1),
    user: level === 'PDPTE' ? true : bit(2),
    pwt: bit(3), pcd: bit(4), accessed: bit(5), dirty: bit(6),
    largePage,
    global: bit(8),
    noExecute: L.entry === 8 && nxe && level !== 'PDPTE' && bit(63),
    address: hx(address),
    covers: [hx(start), hx(BigInt.asUintN(64, start + span - 1n))],
    reservedBits: bit(0) && reserved !== 0n ? hx(reserved) : undefined,
  };
}

/** Bits that must be 0 in a present entry (SDM Tables 4-5/4-6 (32-bit), 4-8…4-11 (PAE), 4-14…4-20). */
function reservedMask(level: string, large: boolean, maxPhys: number, nxe: boolean, pae: boolean): bigint {
  const range = (lo: number, hi: number) => (hi < lo ? 0n : ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo));
  if (level === 'PTE') return 0n;
  if (level === 'PDE') return large ? (1n << 21n) | range(13 + Math.max(0, maxPhys - 32), 20) : 0n;
  if (level === 'PDPTE') return range(1, 2) | range(5, 8) | range(maxPhys, 63);
  let m = pae ? range(maxPhys, 62) : range(maxPhys, 51);
  if (!nxe) m |= 1n << 63n;
  if (level === 'PML4' || level === 'PML5') m |= 1n << 7n;
  if (level === 'PDPT' && large) m |= range(13, 29);
  if (level === 'PD' && large) m |= range(13, 20);
  return m;
}

function physMask(maxPhys: number): bigint {
  return (1n << BigInt(maxPhys)) - 1n;
}

function bitList(mask: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) out.push(i);
  return out;
}
