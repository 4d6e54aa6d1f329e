/**
 * `monitor` commands (qRcmd): what Faultline's views show, as text for a gdb console. Tables come from the
 * inspection decoders (emulator/inspect: their `summary` and `problems` sentences), the fault chain from
 * report.ts (describeChain) and diagnose.ts; nothing is decoded here.
 */
import type { ExceptionEvent } from '../api';
import type { ElfFile } from '../boot';
import { ARCH_VECTORS } from '../cpu/vectors';
import { diagnose } from '../diagnose';
import { decodeGdt } from '../inspect/gdt';
import { decodeIdt } from '../inspect/idt';
import { hx as hex } from '../inspect/hex';
import { walkPage } from '../inspect/pagewalk';
import { decodeTss32, decodeTss64 } from '../inspect/tss';
import type { MemoryReader } from '../inspect/types';
import type { Machine } from '../machine';
import { describeChain, sym } from '../report';

/** Which raised exceptions stop the machine (shared with the server's stop policy). */
export class CatchPolicy {
  /** Vectors that stop when raised; escalations (#DF, a fault during delivery) and triple faults always stop. */
  vectors = new Set<number>();

  shouldStop(ev: ExceptionEvent): boolean {
    if (ev.phase !== 'raised') return true; // 'escalated' (#DF) and 'tripleFault'
    if (ev.duringDeliveryOf !== undefined || ev.vector === 8) return true;
    return !ev.external && !(ev.software && ev.vector >= 32) && this.vectors.has(ev.vector);
  }

  describe(): string {
    const extra = [...this.vectors].sort((a, b) => a - b).map((v) => `${vectorName(v)} (${v})`);
    return `stopping on: #DF, faults during delivery, triple faults${extra.length ? ', ' + extra.join(', ') : ''}`;
  }
}

export interface MonitorContext {
  machine: Machine;
  elf?: ElfFile;
  policy: CatchPolicy;
}

const HELP = `Faultline monitor commands:
  monitor faultchain        the last exception chain in words, and why it escalated
  monitor idt [VECTOR]      IDT gates (all present ones and vectors 0-31, or one vector)
  monitor gdt               GDT descriptors, with the loaded CS/SS/DS/ES/FS/GS/TR/LDTR marked
  monitor tss               the task-state segment TR selects (RSP0-2 and IST1-7, or the 32-bit TSS)
  monitor walk ADDR         the page walk for a virtual address (or a register: $rsp, $esp, cr2), level by level
  monitor phys ADDR [LEN]   read LEN (default 64, at most 4096) bytes of physical memory
  monitor phys-write ADDR HEX  write bytes (hex pairs) to physical memory
  monitor catch [default | all | none | VECTOR...]   which exceptions stop the machine (before delivery)
  monitor info              mode, CPL, CS:IP and its linear address, instruction count`;

/** Run one monitor command line; returns the text to print (always ends with a newline). */
export function monitorCommand(ctx: MonitorContext, line: string): string {
  const [cmd = '', ...args] = line.trim().split(/\s+/);
  const m = ctx.machine;
  try {
    switch (cmd.toLowerCase()) {
      case '': case 'help': return HELP + '\n';
      case 'faultchain': case 'fault-chain': case 'chain': return faultChain(ctx);
      case 'idt': return idt(m, ctx.elf, args[0]);
      case 'gdt': return gdt(m);
      case 'tss': return tss(m);
      case 'walk': return walk(m, args[0]);
      case 'phys': return phys(m, args[0], args[1]);
      case 'phys-write': return physWrite(m, args[0], args[1]);
      case 'catch': return catchCommand(ctx.policy, args);
      case 'info': {
        const s = m.state();
        // gdb's $pc is the offset in CS outside 64-bit mode; breakpoints and memory use the linear address.
        const at = s.codeBits === 64 ? `RIP ${hex(s.regs.rip)}` : `CS:${s.codeBits === 32 ? 'EIP' : 'IP'} ${hex(BigInt(s.cs.selector))}:${hex(s.regs.rip)} (linear ${hex(s.pc)})`;
        return `${s.mode} mode, ${s.codeBits}-bit code, CPL ${s.cpl}, ${at}, ${s.instructionCount} instructions retired${s.halted ? ', halted' : ''}\n`;
      }
      default: return `unknown monitor command '${cmd}'; 'monitor help' lists them\n`;
    }
  } catch (e) {
    return `${(e as Error).message}\n`;
  }
}

function faultChain(ctx: MonitorContext): string {
  const chain = ctx.machine.faultChain();
  if (chain.length === 0) return 'no exception has been raised yet\n';
  let out = `fault chain: ${describeChain(chain, ctx.elf)}\n`;
  for (const s of diagnose(ctx.machine, chain)) out += `  - ${s}\n`;
  return out;
}

function linear(m: Machine): MemoryReader {
  return (a, len) => {
    const r = m.readLinear(a, len);
    return r.readable >= len ? r.data.subarray(0, len) : undefined;
  };
}

function physical(m: Machine): MemoryReader {
  return (a, len) => (a + BigInt(len) <= BigInt(m.mem.size) ? m.readPhysical(a, len) : undefined);
}

function idt(m: Machine, elf: ElfFile | undefined, which?: string): string {
  const s = m.state();
  const gates = decodeIdt(linear(m), s.idtr.base, s.idtr.limit, s.mode === 'long');
  let out = `IDTR base ${hex(s.idtr.base)} limit ${hex(s.idtr.limit)} (${gates.length} gates)\n`;
  const only = which !== undefined ? parseNumber(which, 'a vector number') : undefined;
  for (const g of gates) {
    if (only !== undefined ? g.vector !== Number(only) : !g.present && g.vector >= 32) continue;
    const handler = g.present && g.kind !== 'task-gate' ? sym(BigInt(g.offset), elf) : '';
    out += `  ${String(g.vector).padStart(3)} ${g.vectorName.padEnd(5)} ${g.summary}${handler}\n`;
    for (const p of g.problems) out += `        ! ${p}\n`;
  }
  if (only !== undefined && !gates.some((g) => g.vector === Number(only))) out += `  vector ${only} lies beyond IDTR.limit: delivering it raises #GP\n`;
  return out;
}

function gdt(m: Machine): string {
  const s = m.state();
  const entries = decodeGdt(linear(m), s.gdtr.base, s.gdtr.limit, s.mode === 'long');
  const loaded: [string, number][] = [['CS', s.cs.selector], ['SS', s.ss.selector], ['DS', s.ds.selector], ['ES', s.es.selector],
    ['FS', s.fs.selector], ['GS', s.gs.selector], ['TR', s.tr.selector], ['LDTR', s.ldtr.selector]];
  let out = `GDTR base ${hex(s.gdtr.base)} limit ${hex(s.gdtr.limit)}\n`;
  for (const d of entries) {
    const marks = loaded.filter(([, sel]) => (sel & 4) === 0 && sel >> 3 === d.index && d.index !== 0).map(([n]) => n);
    out += `  ${String(d.index).padStart(3)} ${hex(d.selector).padEnd(6)} ${d.summary}${marks.length ? `  <- ${marks.join(', ')}` : ''}\n`;
    for (const p of d.problems) out += `        ! ${p}\n`;
  }
  return out;
}

function tss(m: Machine): string {
  const s = m.state();
  if (s.tr.selector === 0) return 'TR not loaded (selector 0): the kernel has not executed LTR\n';
  let out = `TR ${hex(s.tr.selector)} base ${hex(s.tr.base)} limit ${hex(s.tr.limit)}\n`;
  if (s.mode === 'long') {
    const t = decodeTss64(linear(m), s.tr.base, s.tr.limit);
    t.rsp.forEach((v, i) => { out += `  RSP${i}  ${v}\n`; });
    t.ist.forEach((v, i) => { out += `  IST${i + 1}  ${v}\n`; });
    out += `  I/O map base ${hex(t.iopbOffset)}\n`;
    for (const p of t.problems) out += `  ! ${p}\n`;
    return out;
  }
  const t = decodeTss32(linear(m), s.tr.base, s.tr.limit);
  out += `  back link ${hex(t.link)}\n  ESP0 ${t.esp0} SS0 ${hex(t.ss0)}\n  ESP1 ${t.esp1} SS1 ${hex(t.ss1)}\n  ESP2 ${t.esp2} SS2 ${hex(t.ss2)}\n`;
  out += `  CR3 ${t.cr3} EIP ${t.eip} EFLAGS ${t.eflags}\n  ${Object.entries(t.gprs).map(([k, v]) => `${k.toUpperCase()} ${v}`).join(' ')}\n`;
  out += `  ES ${hex(t.es)} CS ${hex(t.cs)} SS ${hex(t.ss)} DS ${hex(t.ds)} FS ${hex(t.fs)} GS ${hex(t.gs)} LDT ${hex(t.ldt)}\n`;
  for (const p of t.problems) out += `  ! ${p}\n`;
  return out;
}

function walk(m: Machine, addr: string | undefined): string {
  if (addr === undefined) return 'usage: monitor walk ADDR (a virtual address, e.g. 0xdeadbeaf)\n';
  const r = m.state().regs;
  // gdb passes monitor arguments as typed: accept a register ($rsp, cr2) besides a number.
  // 32- and 16-bit names ($esp, $eip, $sp) name the same registers (their values are the zero-extended ones).
  const reg = addr.replace(/^\$/, '').toLowerCase().replace(/^e?(ax|bx|cx|dx|si|di|bp|sp|ip)$/, 'r$1');
  const a = reg in r ? r[reg as keyof typeof r] : parseNumber(addr, 'an address or a register ($rsp, $esp, cr2 …)');
  const w = walkPage(physical(m), { cr0: r.cr0, cr3: r.cr3, cr4: r.cr4, efer: r.efer }, a);
  let out = `walk ${hex(a)} (${w.mode === 'none' ? 'paging off' : w.mode + ' paging'})\n`;
  for (const l of w.levels) {
    const bits = [l.present ? 'P' : 'not present'];
    if (l.present) {
      bits.push(l.writable ? 'W' : 'RO', l.user ? 'U' : 'S');
      if (l.largePage) bits.push('PS');
      if (l.noExecute) bits.push('NX');
      if (l.accessed) bits.push('A');
      if (l.dirty) bits.push('D');
      if (l.global) bits.push('G');
    }
    out += `  ${`${l.level}[${l.index}]`.padEnd(10)} at ${l.entryAddress} = ${l.raw}  ${bits.join(' ')}${l.present ? ` -> ${l.address}` : ''}${l.reservedBits ? `  reserved bits ${l.reservedBits} set` : ''}\n`;
  }
  out += w.mapped ? `  => physical ${w.physical} (${w.pageSize !== undefined ? `${w.pageSize / 1024} KiB page, ` : ''}${w.writable ? 'writable' : 'read-only'}, ${w.user ? 'user' : 'supervisor'}, ${w.executable ? 'executable' : 'no-execute'})\n`
    : `  => not mapped: ${w.stopReason ?? 'no translation'}\n`;
  return out;
}

function phys(m: Machine, addr: string | undefined, len: string | undefined): string {
  if (addr === undefined) return 'usage: monitor phys ADDR [LEN]\n';
  const a = parseNumber(addr, 'an address');
  const n = len === undefined ? 64 : Number(parseNumber(len, 'a length'));
  if (n < 1 || n > 4096) return 'LEN must be from 1 to 4096\n';
  if (a + BigInt(n) > BigInt(m.mem.size)) return `${hex(a)}+${n} lies beyond guest RAM (${m.mem.size / 1048576} MiB)\n`;
  const b = m.readPhysical(a, n);
  let out = '';
  for (let o = 0; o < n; o += 16) {
    const row = b.subarray(o, Math.min(n, o + 16));
    out += `  ${hex(a + BigInt(o)).padStart(12)}: ${[...row].map((x) => x.toString(16).padStart(2, '0')).join(' ')}\n`;
  }
  return out;
}

function physWrite(m: Machine, addr: string | undefined, hexBytes: string | undefined): string {
  if (addr === undefined || hexBytes === undefined || !/^([0-9a-fA-F]{2})+$/.test(hexBytes)) return 'usage: monitor phys-write ADDR HEXBYTES (e.g. 0x1000 90cc)\n';
  const a = parseNumber(addr, 'an address');
  const bytes = Buffer.from(hexBytes, 'hex');
  if (a + BigInt(bytes.length) > BigInt(m.mem.size)) return `${hex(a)}+${bytes.length} lies beyond guest RAM\n`;
  m.writePhysical(a, bytes);
  return `wrote ${bytes.length} byte(s) at physical ${hex(a)}\n`;
}

function catchCommand(p: CatchPolicy, args: string[]): string {
  if (args.length === 0) return p.describe() + '\n';
  const known = new Set(ARCH_VECTORS.map((v) => v.vector));
  if (args[0] === 'default' || args[0] === 'none') p.vectors.clear();
  else if (args[0] === 'all') { p.vectors = new Set([...known].filter((v) => v !== 2)); }
  else {
    const next = new Set<number>();
    for (const a of args) {
      const byName = ARCH_VECTORS.find((v) => v.mnemonic.toLowerCase() === a.toLowerCase() || v.mnemonic.toLowerCase() === `#${a.toLowerCase()}`);
      const v = byName ? byName.vector : Number(a);
      if (!known.has(v)) return `'${a}' is not an exception vector (0-31 or a mnemonic like #PF)\n`;
      next.add(v);
    }
    p.vectors = next;
  }
  return p.describe() + '\n';
}

function vectorName(v: number): string {
  return ARCH_VECTORS.find((x) => x.vector === v)?.mnemonic ?? `vector ${v}`;
}

function parseNumber(text: string, what: string): bigint {
  const t = text.replace(/_/g, '');
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) throw new Error(`'${text}' is not ${what} (decimal or 0x-hex)`);
  return BigInt(t);
}

