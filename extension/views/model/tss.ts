/**
 * TSS view model: RSP0–2 and IST1–7 from faultline/tss, each with whether its stack page is mapped, empty IST
 * slots flagged, the IOPB offset and the decoder's problems (SDM Vol. 3A §7.7 Figure 7-11, §6.14.5 IST).
 * In protected mode, the 32-bit TSS (Figure 7-2): ESP0–2 with SS0–2, the back link of a nested task and
 * where that task stopped, and the state saved in this TSS by the last switch away from it.
 */
import type { TssResponseBody } from '../../../debug-adapter/protocol';
import { ViewNode, hex, isZeroHex, messageNode, shortHex } from './node';

export function tssNodes(body: TssResponseBody | undefined): ViewNode[] {
  if (!body) return [];
  if (body.selector === 0 && !body.tss) {
    const n = messageNode('tss/none', 'TR is not loaded (selector 0x0): no TSS, so every IST slot is empty and there is no RSP0. Load one with LTR.', 'warning');
    if (body.error) n.tooltip += `\n${body.error}`;
    return [n];
  }
  if (body.error) return [messageNode('tss/error', body.error, 'error')];
  if (body.tss32) return tss32Nodes(body, body.tss32);
  if (!body.tss) return [messageNode('tss/none', `TR ${hex(body.selector, 2)} has no readable TSS.`, 'warning')];
  const t = body.tss;
  const out: ViewNode[] = [{
    id: 'tss/tr', label: 'TR', description: `${hex(body.selector, 2)} base ${shortHex(t.base)} limit 0x${t.limit.toString(16)}`,
    tooltip: `raw ${t.raw}`, pointer: t.base, contextValue: 'pointer', icon: 'server-process',
  }];
  for (const p of body.pointers) out.push(pointerNode(p));
  out.push({ id: 'tss/iopb', label: 'IOPB offset', description: `0x${t.iopbOffset.toString(16)}` + (t.iopbOffset > t.limit ? ' (beyond limit: no I/O permission bitmap)' : '') });
  t.problems.forEach((p, i) => out.push(messageNode(`tss/problem/${i}`, p, 'warning')));
  return out;
}

type TssPointer = TssResponseBody['pointers'][number];

export function pointerNode(p: TssPointer): ViewNode {
  const empty = isZeroHex(p.value);
  const isIst = /^IST/i.test(p.name);
  let state: string;
  if (empty) state = isIst ? 'empty' : 'zero';
  else if (!p.mapped) state = 'unmapped';
  else if (!p.writable) state = 'read-only';
  else state = 'mapped';
  const bad = empty || !p.mapped || !p.writable;
  const description = `${shortHex(p.value)}  ${state}` + (p.symbol ? `  ${p.symbol}` : '');
  const tooltip = empty
    ? `${p.name} is 0${isIst ? ': a gate that names this IST slot switches to RSP 0 and faults while pushing the frame' : ''}`
    : `${p.name} = ${p.value}: the page below it is ${p.mapped ? 'mapped' : 'NOT mapped'}${p.mapped ? (p.writable ? ' and writable' : ' but not writable') : ''}`;
  return {
    id: `tss/${p.name}`, label: p.name, description, tooltip,
    icon: empty ? 'circle-large-outline' : bad ? 'warning' : 'pass',
    iconColor: empty ? 'disabledForeground' : bad ? 'editorWarning.foreground' : undefined,
    dimmed: empty && isIst,
    contextValue: empty ? 'slot empty' : 'slot pointer',
    pointer: empty ? undefined : p.value,
  };
}

type Tss32 = NonNullable<TssResponseBody['tss32']>;

function tss32Nodes(body: TssResponseBody, t: Tss32): ViewNode[] {
  const out: ViewNode[] = [{
    id: 'tss/tr', label: 'TR', description: `${hex(body.selector, 2)} base ${shortHex(t.base)} limit 0x${t.limit.toString(16)}  32-bit TSS`,
    tooltip: `raw ${t.raw}`, pointer: t.base, contextValue: 'pointer', icon: 'server-process',
  }];
  const ss = [t.ss0, t.ss1, t.ss2];
  body.pointers.forEach((p, i) => {
    const n = pointerNode(p);
    n.description += `  SS${i} ${hex(ss[i], 2)}`;
    out.push(n);
  });
  const l = body.link;
  if (l) {
    const where = l.error ?? `stopped at EIP ${shortHex(l.eip ?? '0x0')}${l.eipSymbol ? ` ${l.eipSymbol}` : ''}, ESP ${shortHex(l.esp ?? '0x0')}`;
    out.push({
      id: 'tss/link', label: 'Back link', description: `${hex(l.selector, 2)}  ${where}`, icon: 'reply',
      tooltip: `This task was entered by CALL or through a task gate (EFLAGS.NT = 1); IRET returns to TSS ${hex(l.selector, 2)}.` +
        (l.busy === false ? ' That TSS is not busy: the IRET would raise #TS.' : ''),
      reveal: l.eip && !l.error ? { address: l.eip } : undefined, contextValue: l.eip && !l.error ? 'code' : undefined,
    });
  }
  out.push({
    id: 'tss/saved', label: 'Saved state', icon: 'history',
    description: `EIP ${shortHex(t.eip)}${body.eipSymbol ? ` ${body.eipSymbol}` : ''}, ESP ${shortHex(t.gprs.esp)}, EFLAGS ${shortHex(t.eflags)}`,
    tooltip: 'Written by the last task switch away from this task (the running task\'s own TSS is stale until then).',
  });
  out.push({ id: 'tss/cr3', label: 'CR3', description: shortHex(t.cr3) + (isZeroHex(t.cr3) ? '  (a switch to this task with paging on loads CR3 = 0)' : '') });
  out.push({ id: 'tss/segs', label: 'Segments', description: `CS ${hex(t.cs, 2)} SS ${hex(t.ss, 2)} DS ${hex(t.ds, 2)} ES ${hex(t.es, 2)} FS ${hex(t.fs, 2)} GS ${hex(t.gs, 2)} LDT ${hex(t.ldt, 2)}` });
  out.push({ id: 'tss/iopb', label: 'IOPB offset', description: `0x${t.iopbOffset.toString(16)}` + (t.iopbOffset > t.limit ? ' (beyond limit: no I/O permission bitmap)' : '') });
  t.problems.forEach((p, i) => out.push(messageNode(`tss/problem/${i}`, p, 'warning')));
  return out;
}
