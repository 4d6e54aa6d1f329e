/**
 * GDT view model: one row per descriptor of faultline/gdt with its selector, decoded fields (code/data:
 * L, D/B, DPL, P, base, limit; system: type, busy bit, 16-byte size) and the CS/SS/TR/… rows marked.
 * Raw hex in the tooltip (SDM Vol. 3A §3.4.5, §7.2.3 for the 16-byte TSS descriptor).
 */
import type { DescriptorInfo } from '../../../emulator/inspect/types';
import type { GdtResponseBody } from '../../../debug-adapter/protocol';
import { ViewNode, hex, messageNode, shortHex } from './node';

export function gdtNodes(body: GdtResponseBody | undefined): ViewNode[] {
  if (!body) return [];
  if (body.error) return [messageNode('gdt/error', body.error, 'error')];
  const out: ViewNode[] = [{
    id: 'gdt/gdtr', label: 'GDTR', description: `base ${shortHex(body.base)} limit 0x${body.limit.toString(16)} (${Math.floor((body.limit + 1) / 8)} slots)`,
    pointer: body.base, contextValue: 'pointer', icon: 'symbol-array',
  }];
  const marks = loadedMarks(body.loaded);
  let skipUpper = false;
  for (const d of body.entries) {
    if (d.kind === 'upper-half' && skipUpper) { skipUpper = false; continue; }
    skipUpper = d.size === 16;
    out.push(descriptorNode(d, marks.get(d.index) ?? []));
  }
  return out;
}

/** Index → ["CS", "SS", …] for the loaded selectors (TI=0 only; LDT selectors do not index the GDT). */
export function loadedMarks(loaded: GdtResponseBody['loaded']): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const [reg, sel] of Object.entries(loaded) as [string, number][]) {
    if ((sel & 4) !== 0 || (sel & ~7) === 0) continue;
    const idx = sel >>> 3;
    const list = m.get(idx) ?? [];
    list.push(reg.toUpperCase());
    m.set(idx, list);
  }
  return m;
}

export function descriptorKindText(d: DescriptorInfo): string {
  switch (d.kind) {
    case 'null': return 'null';
    case 'code': return d.long ? '64-bit code' : d.defaultBig ? '32-bit code' : '16-bit code';
    case 'data': return 'data';
    case 'tss-available': return `${d.size === 16 ? '64-bit ' : ''}TSS (available)`;
    case 'tss-busy': return `${d.size === 16 ? '64-bit ' : ''}TSS (busy)`;
    case 'ldt': return 'LDT';
    case 'upper-half': return 'upper half of a 16-byte descriptor';
    default: return d.kind.replace('-', ' ');
  }
}

export function descriptorNode(d: DescriptorInfo, marks: string[]): ViewNode {
  const id = `gdt/${d.index}`;
  const kind = descriptorKindText(d);
  const flags: string[] = [];
  if (d.kind !== 'null') {
    flags.push(`DPL ${d.dpl}`, d.present ? 'P' : 'not present');
    if (d.kind === 'code') flags.push(`L=${+d.long}`, `D=${+d.defaultBig}`);
    if (d.kind === 'data') flags.push(d.readableWritable ? 'RW' : 'RO');
    if (d.kind === 'tss-busy') flags.push('busy');
    if (d.kind !== 'code' || !d.long) flags.push(`base ${shortHex(d.base)}`, `limit ${shortHex(d.limit)}`);
  }
  const label = `${hex(d.selector, 2)} ${kind}` + (marks.length ? `  ◀ ${marks.join(' ')}` : '');
  const tooltip = [
    `GDT[${d.index}] selector ${hex(d.selector, 2)}: ${d.summary}`,
    `raw ${d.raw.join(' ')}`,
    ...d.problems.map((p) => `⚠ ${p}`),
  ].join('\n');
  const children: ViewNode[] = d.kind === 'null' ? [] : fieldNodes(d, id);
  const problem = d.problems.length > 0;
  return {
    id, label, description: flags.join(', '), tooltip,
    icon: problem ? 'warning' : iconFor(d), iconColor: problem ? 'editorWarning.foreground' : undefined,
    dimmed: d.kind === 'null' || !d.present, marked: marks.length > 0, children,
    contextValue: d.kind === 'tss-available' || d.kind === 'tss-busy' || d.kind === 'ldt' ? 'descriptor pointer' : 'descriptor',
    pointer: d.kind === 'tss-available' || d.kind === 'tss-busy' || d.kind === 'ldt' ? d.base : undefined,
  };
}

function iconFor(d: DescriptorInfo): string {
  if (d.kind === 'code') return 'symbol-method';
  if (d.kind === 'data') return 'symbol-field';
  if (d.kind === 'null') return 'circle-slash';
  return 'server-process';
}

function fieldNodes(d: DescriptorInfo, id: string): ViewNode[] {
  const f = (name: string, value: string) => ({ id: `${id}/${name}`, label: name, description: value });
  const rows: ViewNode[] = [
    f('type', `${d.type} (0x${d.type.toString(16)}) ${descriptorKindText(d)}`),
    f('S', d.s ? '1 code/data' : '0 system'),
    f('DPL', String(d.dpl)),
    f('P', d.present ? '1 present' : '0 not present'),
    f('base', d.base),
    f('limit', d.limit),
    f('G', d.granularity ? '1 (4 KiB units)' : '0 (bytes)'),
  ];
  if (d.s) {
    rows.push(f('L', d.long ? '1 64-bit' : '0'), f('D/B', d.defaultBig ? '1 32-bit' : '0 16-bit'), f('AVL', String(+d.avl)));
    if (d.kind === 'code') {
      rows.push(f('readable', String(!!d.readableWritable)), f('conforming', String(!!d.conforming)));
    } else {
      rows.push(f('writable', String(!!d.readableWritable)), f('expand-down', String(!!d.expandDown)));
    }
    rows.push(f('accessed', String(!!d.accessed)));
  } else {
    rows.push(f('size', `${d.size} bytes`));
    if (d.kind === 'tss-available' || d.kind === 'tss-busy') rows.push(f('busy', d.kind === 'tss-busy' ? '1' : '0'));
  }
  rows.push(f('raw', d.raw.join(' ')));
  for (const [i, p] of d.problems.entries()) rows.push({ id: `${id}/problem/${i}`, label: p, description: '', icon: 'warning' });
  return rows;
}
