/**
 * Error codes decoded bit by bit for the Fault Chain view (SDM Vol. 3A §6.13 Error Code, §4.7 Page-Fault
 * Error Code, §6.15 per-vector descriptions). The adapter sends a one-line `errorCodeText`; these are the
 * rows under it.
 */

export interface ErrorCodeBit {
  /** Short field name as in the SDM: 'P', 'W/R', 'U/S', 'RSVD', 'I/D', 'EXT', 'IDT', 'TI', 'index'. */
  name: string;
  value: number;
  meaning: string;
}

export interface DecodedErrorCode {
  /** 'page-fault' | 'selector' | 'control-protection' | 'zero' (#DF, #AC: always 0) | 'none'. */
  kind: 'page-fault' | 'selector' | 'control-protection' | 'zero' | 'none';
  summary: string;
  bits: ErrorCodeBit[];
}

const PF = 14;
const SELECTOR_VECTORS = new Set([10, 11, 12, 13]); // #TS #NP #SS #GP
const CP = 21;

export function decodeErrorCode(vector: number, code: number | undefined): DecodedErrorCode {
  if (code === undefined) return { kind: 'none', summary: 'no error code', bits: [] };
  if (vector === PF) return decodePageFault(code);
  if (SELECTOR_VECTORS.has(vector)) return decodeSelectorCode(code);
  if (vector === CP) return decodeControlProtection(code);
  return { kind: 'zero', summary: code === 0 ? '0' : `0x${code.toString(16)}`, bits: [] };
}

/** SDM Vol. 3A §4.7 Figure 4-12. */
export function decodePageFault(code: number): DecodedErrorCode {
  const b = (n: number) => (code >>> n) & 1;
  const bits: ErrorCodeBit[] = [
    { name: 'P', value: b(0), meaning: b(0) ? 'protection violation on a present page' : 'page not present' },
    { name: 'W/R', value: b(1), meaning: b(1) ? 'write' : 'read' },
    { name: 'U/S', value: b(2), meaning: b(2) ? 'user-mode access' : 'supervisor-mode access' },
    { name: 'RSVD', value: b(3), meaning: b(3) ? 'reserved bit set in a paging entry' : 'no reserved-bit violation' },
    { name: 'I/D', value: b(4), meaning: b(4) ? 'instruction fetch' : 'not an instruction fetch' },
  ];
  if (b(5)) bits.push({ name: 'PK', value: 1, meaning: 'protection-key violation' });
  if (b(6)) bits.push({ name: 'SS', value: 1, meaning: 'shadow-stack access' });
  if (b(15)) bits.push({ name: 'SGX', value: 1, meaning: 'SGX access-control violation' });
  const what = [b(4) ? 'fetch' : b(1) ? 'write' : 'read', b(0) ? 'protection violation' : 'not present',
    b(2) ? 'user' : 'supervisor'];
  if (b(3)) what.push('reserved bit');
  return { kind: 'page-fault', summary: `0x${code.toString(16)}: ${what.join(', ')}`, bits };
}

/** SDM Vol. 3A §6.13 Figure 6-6: EXT, IDT, TI, segment selector index. */
export function decodeSelectorCode(code: number): DecodedErrorCode {
  if (code === 0) {
    return { kind: 'selector', summary: '0 (not related to a particular segment or gate)', bits: [] };
  }
  const ext = code & 1, idt = (code >>> 1) & 1, ti = (code >>> 2) & 1, index = (code >>> 3) & 0x1fff;
  const table = idt ? 'IDT' : ti ? 'LDT' : 'GDT';
  const bits: ErrorCodeBit[] = [
    { name: 'EXT', value: ext, meaning: ext ? 'during delivery of an external event or an earlier exception' : 'caused by the program' },
    { name: 'IDT', value: idt, meaning: idt ? 'index refers to an IDT gate' : 'index refers to the GDT or LDT' },
  ];
  if (!idt) bits.push({ name: 'TI', value: ti, meaning: ti ? 'LDT' : 'GDT' });
  bits.push({ name: 'index', value: index, meaning: idt ? `IDT vector ${index}` : `${table} entry ${index} (selector 0x${(index * 8).toString(16)})` });
  const what = idt ? `IDT vector ${index}` : `${table} selector 0x${(code & 0xfff8).toString(16)}`;
  return { kind: 'selector', summary: `0x${code.toString(16)}: ${what}${ext ? ', external' : ''}`, bits };
}

const CP_CODES: Record<number, string> = {
  1: 'near RET', 2: 'far RET or IRET', 3: 'missing ENDBRANCH', 4: 'RSTORSSP token', 5: 'SETSSBSY token',
};

/** SDM Vol. 3A §6.15 Interrupt 21. */
export function decodeControlProtection(code: number): DecodedErrorCode {
  const cause = CP_CODES[code & 0x7fff] ?? `code ${code & 0x7fff}`;
  const bits: ErrorCodeBit[] = [{ name: 'CPEC', value: code & 0x7fff, meaning: cause }];
  if (code & 0x8000) bits.push({ name: 'ENCL', value: 1, meaning: 'in an enclave' });
  return { kind: 'control-protection', summary: `0x${code.toString(16)}: ${cause}`, bits };
}
