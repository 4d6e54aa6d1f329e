import { ExceptionEvent } from './api';
import { ElfFile, symbolAt } from './boot/kernel';

/**
 * The fault chain in words, the CLI's answer to `qemu -d int`: each raised exception with where and why,
 * escalations, and the triple fault, e.g.
 * "#PF at 0x100139 writing 0xdeadbeaf (PT entry 0 is not present) → #NP delivering #PF: IDT gate 14 (#PF) is
 * not present → #DF (#PF then #NP) → #NP delivering #DF: IDT gate 8 (#DF) is not present → triple fault".
 */
export function describeChain(chain: ExceptionEvent[], elf?: ElfFile): string {
  const parts: string[] = [];
  for (const ev of chain) {
    if (ev.phase === 'raised') parts.push(describeRaise(ev, elf));
    else if (ev.phase === 'escalated') parts.push(`#DF (${mnemonic(ev.escalatedFrom?.first)} then ${mnemonic(ev.escalatedFrom?.second)})`);
    else if (ev.phase === 'tripleFault') parts.push('triple fault');
    else if (ev.phase === 'delivered') parts.push(`${ev.name} handler at ${where(ev, elf)}`);
  }
  return parts.join(' → ');
}

function mnemonic(v: number | undefined): string {
  if (v === undefined) return '?';
  const names = ['#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', '#CSO', '#TS', '#NP', '#SS', '#GP', '#PF', '#15', '#MF', '#AC', '#MC', '#XM', '#VE', '#CP'];
  return names[v] ?? `vector ${v}`;
}

function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}

/**
 * Where an event happened, with the symbol there: CS:IP in real-address mode (as a firmware listing names it:
 * F000:004A; the symbol at CS × 16 + IP), else the RIP.
 */
function where(ev: ExceptionEvent, elf?: ElfFile): string {
  if (!ev.realMode) return `${hex(ev.rip)}${sym(ev.rip, elf)}`;
  const w = (v: number | bigint) => v.toString(16).toUpperCase().padStart(4, '0');
  return `${w(ev.cs)}:${w(ev.rip)}${sym(BigInt(ev.cs) * 16n + ev.rip, elf)}`;
}

/** " <name+0xoff>" for an address inside a symbol of `elf`, else "" (also the gdb monitor's handler names). */
export function sym(addr: bigint, elf?: ElfFile): string {
  if (!elf) return '';
  const s = symbolAt(elf, addr);
  if (!s) return '';
  const off = addr - s.value;
  return ` <${s.name}${off ? `+0x${off.toString(16)}` : ''}>`;
}

function describeRaise(ev: ExceptionEvent, elf?: ElfFile): string {
  const code = ev.errorCode !== undefined ? `(${hex(ev.errorCode)})` : '';
  if (ev.duringDeliveryOf !== undefined) {
    return `${ev.name}${code} delivering ${mnemonic(ev.duringDeliveryOf)}: ${ev.reason}`;
  }
  if (ev.vector === 14 && ev.access && !ev.software) {
    const what = ev.access.fetch ? 'fetching' : ev.access.write ? 'writing' : 'reading';
    return `#PF${code} at ${where(ev, elf)} ${what} ${hex(ev.cr2)} (${ev.access.cause})`;
  }
  return `${ev.name}${code} at ${where(ev, elf)}${ev.reason && !ev.software ? ` (${ev.reason})` : ''}`;
}
