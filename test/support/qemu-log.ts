// Parser for QEMU's `-d int,cpu_reset` log (target/i386: check_exception / do_interrupt_all /
// cpu_reset), turning it into the events our emulator's exception delivery must reproduce.

export type QemuLogEvent =
  | CheckExceptionEvent
  | ExceptionEvent
  | { kind: 'hardware-interrupt'; vector: number; line: number }
  | { kind: 'triple-fault'; line: number }
  | { kind: 'reset'; line: number };

/** `check_exception old: 0xe new 0xb`: QEMU's Table 6-5 decision input (old is null when no
 *  exception was being delivered, logged as 0xffffffff). */
export interface CheckExceptionEvent {
  kind: 'check-exception';
  old: number | null;
  new: number;
  line: number;
}

/** `     0: v=0e e=0002 i=0 cpl=0 IP=0008:... pc=... SP=0000:... CR2=...`: one delivery. */
export interface ExceptionEvent {
  kind: 'exception';
  /** QEMU's running interrupt count (the number before the colon). */
  count: number;
  vector: number;
  /** Only for vectors that push an error code (SDM Table 6-1) and not for INT n. */
  errorCode?: number;
  /** QEMU's `i=` (is_int): 1 for a software interrupt instruction (INT3, INT n, INTO). */
  softwareInt: boolean;
  cpl: number;
  cs: number;
  /** RIP of the faulting instruction (for INT3: of the int3 itself), as `0x` + lower-case hex.
   *  `pc`, `sp` and `cr2` use the same form. */
  ip: string;
  pc: string;
  ss: number;
  sp: string;
  /** From the `CR2=` field of the v= line (#PF) or else of the register dump that follows. */
  cr2?: string;
  line: number;
}

/** Vectors that push an error code (SDM Table 6-1): #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX. */
export const ERROR_CODE_VECTORS: ReadonlySet<number> = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);

export const VECTOR_MNEMONICS: readonly string[] = [
  '#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'CSO', '#TS', '#NP', '#SS', '#GP', '#PF', '#15',
  '#MF', '#AC', '#MC', '#XM', '#VE', '#CP',
];

export function vectorMnemonic(vector: number): string {
  return VECTOR_MNEMONICS[vector] ?? `#${vector}`;
}

const CHECK_RE = /^check_exception old: 0x([0-9a-f]+) new 0x([0-9a-f]+)/;
const INT_RE =
  /^\s*(\d+): v=([0-9a-f]+) e=([0-9a-f]+) i=(\d) cpl=(\d) IP=([0-9a-f]+):([0-9a-f]+) pc=([0-9a-f]+) SP=([0-9a-f]+):([0-9a-f]+)(?: CR2=([0-9a-f]+))?/;
const DUMP_CR2_RE = /^CR0=[0-9a-f]+ CR2=([0-9a-f]+)/;
const HW_RE = /^Servicing hardware INT=0x([0-9a-f]+)/;

export function parseQemuIntLog(text: string): QemuLogEvent[] {
  const events: QemuLogEvent[] = [];
  let awaitingCr2: ExceptionEvent | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i];
    const line = i + 1;
    let m: RegExpExecArray | null;
    if ((m = CHECK_RE.exec(s))) {
      const old = parseInt(m[1], 16);
      events.push({ kind: 'check-exception', old: old === 0xffffffff ? null : old, new: parseInt(m[2], 16), line });
      awaitingCr2 = undefined;
    } else if ((m = INT_RE.exec(s))) {
      const vector = parseInt(m[2], 16);
      const softwareInt = m[4] === '1';
      const ev: ExceptionEvent = {
        kind: 'exception',
        count: parseInt(m[1], 10),
        vector,
        softwareInt,
        cpl: parseInt(m[5], 10),
        cs: parseInt(m[6], 16),
        ip: trimHex(m[7]),
        pc: trimHex(m[8]),
        ss: parseInt(m[9], 16),
        sp: trimHex(m[10]),
        line,
      };
      if (!softwareInt && ERROR_CODE_VECTORS.has(vector)) ev.errorCode = parseInt(m[3], 16);
      if (m[11] !== undefined) ev.cr2 = trimHex(m[11]);
      events.push(ev);
      awaitingCr2 = ev.cr2 === undefined ? ev : undefined;
    } else if ((m = DUMP_CR2_RE.exec(s))) {
      if (awaitingCr2) awaitingCr2.cr2 = trimHex(m[1]);
      awaitingCr2 = undefined;
    } else if ((m = HW_RE.exec(s))) {
      events.push({ kind: 'hardware-interrupt', vector: parseInt(m[1], 16), line });
    } else if (s.startsWith('Triple fault')) {
      events.push({ kind: 'triple-fault', line });
    } else if (s.startsWith('CPU Reset')) {
      events.push({ kind: 'reset', line });
      awaitingCr2 = undefined;
    }
  }
  return events;
}

/** The exception chain in words, as fixtures/manifest.json states it ("chainRule"). */
export function exceptionChain(events: readonly QemuLogEvent[]): string[] {
  const chain: string[] = [];
  let checked: number | undefined;
  for (const ev of events) {
    if (ev.kind === 'check-exception') {
      chain.push(vectorMnemonic(ev.new));
      checked = ev.new;
    } else if (ev.kind === 'exception') {
      // INT n (i=1) is named like our events name it; INT3/INTO keep their mnemonics.
      const name = ev.softwareInt && ev.vector !== 3 && ev.vector !== 4 ? `INT 0x${ev.vector.toString(16)}` : vectorMnemonic(ev.vector);
      if (checked === undefined || checked !== ev.vector) chain.push(name);
      checked = undefined;
    } else if (ev.kind === 'triple-fault') {
      chain.push('triple fault');
    }
  }
  return chain;
}

function trimHex(h: string): string {
  return '0x' + h.toLowerCase().replace(/^0+(?=.)/, '');
}
