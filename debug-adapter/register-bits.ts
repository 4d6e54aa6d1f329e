/**
 * Names of the architectural bits the Variables view decodes (display data only: SDM Vol. 3A §2.3 for
 * RFLAGS/CR0/CR4, §2.2.1 for EFER, §3.4.5 for segment attributes).
 */

export type BitField = [name: string, bit: number, width?: number];

export const RFLAGS_BITS: BitField[] = [
  ['CF', 0], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11],
  ['IOPL', 12, 2], ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
];
export const CR0_BITS: BitField[] = [
  ['PE', 0], ['MP', 1], ['EM', 2], ['TS', 3], ['ET', 4], ['NE', 5], ['WP', 16], ['AM', 18], ['NW', 29], ['CD', 30], ['PG', 31],
];
export const CR4_BITS: BitField[] = [
  ['VME', 0], ['PVI', 1], ['TSD', 2], ['DE', 3], ['PSE', 4], ['PAE', 5], ['MCE', 6], ['PGE', 7], ['PCE', 8],
  ['OSFXSR', 9], ['OSXMMEXCPT', 10], ['UMIP', 11], ['LA57', 12], ['VMXE', 13], ['SMXE', 14], ['FSGSBASE', 16],
  ['PCIDE', 17], ['OSXSAVE', 18], ['SMEP', 20], ['SMAP', 21], ['PKE', 22], ['CET', 23],
];
export const EFER_BITS: BitField[] = [
  ['SCE', 0], ['LME', 8], ['LMA', 10], ['NXE', 11], ['SVME', 12], ['LMSLE', 13], ['FFXSR', 14], ['TCE', 15],
];
export const CR3_BITS: BitField[] = [['PWT', 3], ['PCD', 4]];
/** Segment attribute layout: bits 8..15 and 20..23 of a descriptor's high dword. */
export const SEGMENT_ATTRIBUTE_BITS: BitField[] = [
  ['type', 8, 4], ['S', 12], ['DPL', 13, 2], ['P', 15], ['AVL', 20], ['L', 21], ['D/B', 22], ['G', 23],
];

/** Value of one field. */
export function fieldValue(value: bigint, [, bit, width = 1]: BitField): number {
  return Number((value >> BigInt(bit)) & ((1n << BigInt(width)) - 1n));
}

/** "ZF IF" style summary of the set one-bit flags (multi-bit fields as NAME=v). */
export function summarizeBits(value: bigint, fields: BitField[]): string {
  return fields
    .map((f) => ({ f, v: fieldValue(value, f) }))
    .filter(({ f, v }) => v !== 0 || (f[2] ?? 1) > 1)
    .map(({ f, v }) => ((f[2] ?? 1) > 1 ? `${f[0]}=${v}` : f[0]))
    .join(' ');
}
