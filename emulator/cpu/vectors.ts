/** Architectural exception vectors, named as in the Intel SDM Vol. 3A §6.3.1 Table 6-1. */

export const enum Vec {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, CSO = 9, TS = 10, NP = 11,
  SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20, CP = 21,
}

export interface VectorInfo {
  vector: number;
  mnemonic: string;
  name: string;
  /** Whether the CPU pushes an error code for this vector (when it is an exception, not INT n / IRQ). */
  hasErrorCode: boolean;
}

const TABLE: [string, string, boolean][] = [
  ['#DE', 'Divide error', false],
  ['#DB', 'Debug', false],
  ['NMI', 'Non-maskable interrupt', false],
  ['#BP', 'Breakpoint', false],
  ['#OF', 'Overflow', false],
  ['#BR', 'BOUND range exceeded', false],
  ['#UD', 'Invalid opcode', false],
  ['#NM', 'Device not available', false],
  ['#DF', 'Double fault', true],
  ['#MF9', 'Coprocessor segment overrun', false],
  ['#TS', 'Invalid TSS', true],
  ['#NP', 'Segment not present', true],
  ['#SS', 'Stack-segment fault', true],
  ['#GP', 'General protection', true],
  ['#PF', 'Page fault', true],
  ['#15', 'Reserved (15)', false],
  ['#MF', 'x87 floating-point error', false],
  ['#AC', 'Alignment check', true],
  ['#MC', 'Machine check', false],
  ['#XM', 'SIMD floating-point exception', false],
  ['#VE', 'Virtualization exception', false],
  ['#CP', 'Control protection', true],
];

/** The architectural exceptions 0..21 with mnemonic, long name and error-code flag. */
export const ARCH_VECTORS: readonly VectorInfo[] = TABLE.map(([mnemonic, name, hasErrorCode], vector) => ({
  vector,
  mnemonic: vector === 9 ? '#CSO' : mnemonic,
  name,
  hasErrorCode,
}));

/** Short mnemonic for any vector: '#PF', or 'vector 0x20' beyond the architectural range. */
export function vectorMnemonic(vector: number): string {
  if (vector < ARCH_VECTORS.length) return ARCH_VECTORS[vector].mnemonic;
  return `vector 0x${vector.toString(16)}`;
}

/** Long name for any vector: 'Page fault', or 'Interrupt 0x20'. */
export function vectorName(vector: number): string {
  if (vector < ARCH_VECTORS.length) return ARCH_VECTORS[vector].name;
  if (vector < 32) return `Reserved (${vector})`;
  return `Interrupt 0x${vector.toString(16)}`;
}

/** Exceptions that push an error code (SDM Table 6-1): 8, 10-14, 17, 21. */
export function hasErrorCode(vector: number): boolean {
  return vector < ARCH_VECTORS.length && ARCH_VECTORS[vector].hasErrorCode;
}
