/**
 * Plain-object results of the inspection decoders. The CLI, the debug adapter's custom requests
 * (faultline/gdt, faultline/idt, faultline/tss, faultline/pageWalk, faultline/pageTable) and the extension's
 * tree views all use these shapes. 64-bit values are hex strings ("0x..."), so they survive JSON and DAP.
 */

/** Reads `len` bytes of guest memory at `addr` (linear or physical, per the caller); undefined if unreadable. */
export type MemoryReader = (addr: bigint, len: number) => Uint8Array | undefined;

export interface DescriptorInfo {
  index: number;
  /** Selector that would index this entry with RPL 0 (index * 8). */
  selector: number;
  /** Raw 8 bytes (or 16 for a long-mode system descriptor) as hex, little-endian qwords "0x...". */
  raw: string[];
  kind: 'null' | 'code' | 'data' | 'tss-available' | 'tss-busy' | 'ldt' | 'call-gate' | 'interrupt-gate'
    | 'trap-gate' | 'task-gate' | 'reserved' | 'upper-half';
  /** 4-bit type field. */
  type: number;
  /** S bit: 1 = code/data, 0 = system. */
  s: boolean;
  dpl: number;
  present: boolean;
  base: string;
  /** Limit in bytes after granularity scaling, hex. */
  limit: string;
  granularity: boolean;
  /** L bit (64-bit code segment). */
  long: boolean;
  /** D/B bit. */
  defaultBig: boolean;
  avl: boolean;
  /** For code: readable; for data: writable. */
  readableWritable?: boolean;
  accessed?: boolean;
  conforming?: boolean;
  expandDown?: boolean;
  /** 16 bytes in long mode for system descriptors (TSS, LDT, gates). */
  size: 8 | 16;
  /** One line describing the entry, e.g. "64-bit code, DPL 0, present". */
  summary: string;
  /** Problems the decoder noticed, e.g. "upper half of a 16-byte TSS descriptor". */
  problems: string[];
}

export interface GateInfo {
  vector: number;
  /** SDM name of the vector (#DE … #CP, or 'IRQ n'/'user' for the rest). */
  vectorName: string;
  raw: string[];
  kind: 'interrupt-gate' | 'trap-gate' | 'task-gate' | 'call-gate' | 'invalid';
  type: number;
  present: boolean;
  dpl: number;
  selector: number;
  /** Handler offset, hex (64-bit in long mode). */
  offset: string;
  /** IST index 0..7 (0 = none); long mode only. */
  ist: number;
  summary: string;
  /** Why the CPU would refuse this gate when delivering the vector, if it would; e.g. "not present". */
  problems: string[];
  /** The first exception delivery through this gate raises, in the CPU's order of checks (e.g. #NP(0x72)). */
  fault?: { vector: number; mnemonic: '#GP' | '#NP'; errorCode: number };
}

export interface TssInfo {
  /** Linear base of the TSS (from TR), hex. */
  base: string;
  limit: number;
  rsp: string[]; // RSP0..RSP2
  ist: string[]; // IST1..IST7 (index 0 here is IST1)
  iopbOffset: number;
  raw: string;
  problems: string[];
}

export interface PageWalkLevel {
  /** 'PML5' | 'PML4' | 'PDPT' | 'PD' | 'PT' (or 'PDPTE' register for PAE, 'PDE'/'PTE' for 32-bit paging). */
  level: string;
  /** Index into this table. */
  index: number;
  /** Physical address of the entry, hex. */
  entryAddress: string;
  /** The entry's raw value, hex. */
  raw: string;
  present: boolean;
  writable: boolean;
  user: boolean;
  pwt: boolean;
  pcd: boolean;
  accessed: boolean;
  dirty: boolean;
  /** PS: this entry maps a large page (2 MiB / 1 GiB / 4 MiB). */
  largePage: boolean;
  global: boolean;
  noExecute: boolean;
  /** Physical address the entry points to (next table or page frame), hex. */
  address: string;
  /** Virtual range this entry covers, hex [start, end]. */
  covers: [string, string];
  /** Reserved bits that are set (would fault with RSVD), hex mask, or undefined. */
  reservedBits?: string;
}

export interface PageWalkResult {
  address: string;
  mode: 'none' | '32-bit' | 'pae' | '4-level' | '5-level';
  levels: PageWalkLevel[];
  /** True if the walk reached a page frame. */
  mapped: boolean;
  /** Physical address when mapped, hex. */
  physical?: string;
  pageSize?: number;
  /** Effective permissions along the path. */
  writable?: boolean;
  user?: boolean;
  executable?: boolean;
  /** Where and why the walk stopped, e.g. "PT entry 511 is not present" or "non-canonical address". */
  stopReason?: string;
}

export interface PageTableEntryInfo extends PageWalkLevel {
  /** Level of the table this entry points to, if it points to a table. */
  next?: { physAddr: string; level: string };
}

/** A 32-bit TSS (SDM Vol. 3A §7.2.1 Figure 7-2), for protected-mode kernels. Selectors are numbers. */
export interface Tss32Info {
  base: string;
  limit: number;
  /** Previous task link (selector). */
  link: number;
  esp0: string; ss0: number;
  esp1: string; ss1: number;
  esp2: string; ss2: number;
  cr3: string;
  eip: string;
  eflags: string;
  /** EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI in TSS order, hex. */
  gprs: Record<'eax' | 'ecx' | 'edx' | 'ebx' | 'esp' | 'ebp' | 'esi' | 'edi', string>;
  es: number; cs: number; ss: number; ds: number; fs: number; gs: number;
  ldt: number;
  /** T flag: raise #DB on a task switch to this task. */
  trap: boolean;
  iopbOffset: number;
  raw: string;
  problems: string[];
}
