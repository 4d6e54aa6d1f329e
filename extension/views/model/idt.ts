/**
 * IDT view model: 256 gates from faultline/idt with vector name, gate type, DPL, present, IST index,
 * selector:offset and handler symbol; non-present gates dimmed; a click reveals the handler
 * (SDM Vol. 3A §6.14.1 64-bit IDT gate descriptors).
 */
import type { IdtResponseBody } from '../../../debug-adapter/protocol';
import { ViewNode, hex, messageNode, shortHex } from './node';

export type IdtGate = IdtResponseBody['gates'][number];

export function idtNodes(body: IdtResponseBody | undefined): ViewNode[] {
  if (!body) return [];
  if (body.error) return [messageNode('idt/error', body.error, 'error')];
  if (body.ivt) return ivtNodes(body, body.ivt);
  const out: ViewNode[] = [{
    id: 'idt/idtr', label: 'IDTR', description: `base ${shortHex(body.base)} limit 0x${body.limit.toString(16)} (${Math.floor((body.limit + 1) / 16)} gates)`,
    pointer: body.base, contextValue: 'pointer', icon: 'symbol-array',
  }];
  for (const g of body.gates) out.push(gateNode(g));
  const covered = body.gates.length;
  if (covered < 256) {
    out.push(messageNode('idt/beyond', `vectors ${covered}–255 lie beyond IDTR.limit: delivering one raises #GP`, 'warning'));
  }
  return out;
}

export function gateTypeText(g: IdtGate): string {
  switch (g.kind) {
    case 'interrupt-gate': return 'interrupt gate';
    case 'trap-gate': return 'trap gate';
    case 'task-gate': return 'task gate';
    case 'call-gate': return 'call gate';
    default: return `invalid type ${g.type}`;
  }
}

export function gateNode(g: IdtGate): ViewNode {
  const id = `idt/${g.vector}`;
  const handler = `${hex(g.selector, 2)}:${shortHex(g.offset)}` + (g.symbol ? ` ${g.symbol}` : '');
  const label = `${g.vector} ${g.vectorName}`;
  const description = g.present
    ? [gateTypeText(g), `DPL ${g.dpl}`, g.ist ? `IST${g.ist}` : undefined, handler].filter(Boolean).join(', ')
    : 'not present';
  const problem = g.problems.length > 0 && g.present;
  const tooltip = [
    `vector ${g.vector} (${hex(g.vector, 2)}) ${g.vectorName}: ${g.summary}`,
    `type ${g.type} ${gateTypeText(g)}, DPL ${g.dpl}, ${g.present ? 'present' : 'NOT present'}, IST ${g.ist || 'none'}`,
    `handler ${handler}` + (g.source ? ` (${g.source.path}:${g.source.line})` : ''),
    `raw ${g.raw.join(' ')}`,
    ...g.problems.map((p) => `⚠ ${p}`),
    g.fault ? `delivering vector ${g.vector} through this gate raises ${g.fault.mnemonic}(0x${g.fault.errorCode.toString(16)})` : undefined,
  ].filter(Boolean).join('\n');
  const f = (name: string, value: string): ViewNode => ({ id: `${id}/${name}`, label: name, description: value });
  const children: ViewNode[] = [
    f('type', `${g.type} ${gateTypeText(g)}`), f('DPL', String(g.dpl)), f('P', g.present ? '1 present' : '0 not present'),
    f('IST', g.ist ? `IST${g.ist}` : '0 (no stack switch)'), f('selector', hex(g.selector, 2)),
    { id: `${id}/offset`, label: 'offset', description: g.offset + (g.symbol ? ` ${g.symbol}` : ''),
      reveal: { address: g.offset, source: g.source }, contextValue: 'code pointer', pointer: g.offset },
    f('raw', g.raw.join(' ')),
    ...g.problems.map((p, i): ViewNode => ({ id: `${id}/problem/${i}`, label: p, icon: 'warning' })),
  ];
  return {
    id, label, description, tooltip, children,
    icon: !g.present ? 'circle-slash' : problem ? 'warning' : g.ist ? 'layers' : 'symbol-event',
    iconColor: problem ? 'editorWarning.foreground' : g.present ? undefined : 'disabledForeground',
    dimmed: !g.present,
    contextValue: g.present ? 'gate code pointer' : 'gate',
    reveal: g.present ? { address: g.offset, source: g.source } : undefined,
    pointer: g.present ? g.offset : undefined,
  };
}

export type IvtRow = NonNullable<IdtResponseBody['ivt']>[number];

/**
 * Real mode (CR0.PE = 0): the interrupt vector table in place of the IDT: IDTR as the CPU uses it (base of
 * the 4-byte IP:CS entries), then one row per vector, "8 #DF  F000:FEA5 (0xffea5) <symbol>"; empty entries
 * dimmed; a click reveals the handler.
 */
export function ivtNodes(body: IdtResponseBody, entries: readonly IvtRow[]): ViewNode[] {
  const out: ViewNode[] = [{
    id: 'idt/ivt', label: 'IVT (real mode)',
    description: `base ${shortHex(body.base)} limit 0x${body.limit.toString(16)} (${entries.length} vectors of 4 bytes, IP:CS)`,
    tooltip: 'CR0.PE = 0: interrupts and exceptions are delivered through the interrupt vector table at IDTR.base: ' +
      'FLAGS, CS and IP are pushed as words (no error code) and CS:IP is loaded from the entry (SDM Vol. 3A §20.1.4).',
    pointer: body.base, contextValue: 'pointer', icon: 'symbol-array',
  }];
  for (const e of entries) {
    const empty = e.segment === 0 && e.offset === 0;
    const description = e.summary + (e.symbol ? ` ${e.symbol}` : '');
    out.push({
      id: `idt/ivt/${e.vector}`, label: `${e.vector} ${e.vectorName}`, description,
      tooltip: [`vector ${e.vector} (${hex(e.vector, 2)}) ${e.vectorName}: ${e.summary}`, `raw ${e.raw}`, ...e.problems.map((p) => `⚠ ${p}`)].join('\n'),
      icon: empty ? 'circle-slash' : 'symbol-event', iconColor: empty ? 'disabledForeground' : undefined, dimmed: empty,
      contextValue: empty ? 'gate' : 'gate code pointer',
      reveal: empty ? undefined : { address: e.linear }, pointer: empty ? undefined : e.linear,
    });
  }
  if (entries.length < 256) {
    out.push(messageNode('idt/ivt/beyond', `vectors ${entries.length}–255 lie beyond IDTR.limit: delivering one raises #GP`, 'warning'));
  }
  return out;
}
