/**
 * Fault Chain view model: one node per link of faultline/faultChain (vector, name, phase, error code decoded,
 * CR2, RIP → symbol, RSP, the reason at the failing check), the one-line summary first and the diagnosis last.
 * The fault raised while delivering #DF is shown as the triple fault itself (its details under that link), so
 * the chain reads as in the SDM and the seed post: #PF → #PF → #DF → triple fault.
 */
import type { FaultChainLink, FaultChainResponseBody } from '../../../debug-adapter/protocol';
import { decodeErrorCode } from './errorCode';
import { ViewNode, isZeroHex, messageNode, shortHex } from './node';

export function faultChainNodes(body: FaultChainResponseBody | undefined): ViewNode[] {
  if (!body || body.links.length === 0) {
    return [messageNode('chain/none', 'No exception since the last run started.')];
  }
  const out: ViewNode[] = [];
  const shown = foldTripleFault(body.links);
  const summary = chainSummary(shown);
  const last = body.links[body.links.length - 1];
  const severity = last.phase === 'tripleFault' ? 'error' : body.links.some((l) => l.phase === 'escalated') ? 'warning' : undefined;
  out.push({
    id: 'chain/summary', label: summary, tooltip: body.summary && body.summary !== summary ? `${summary}\n(adapter: ${body.summary})` : summary,
    icon: severity ?? 'debug-stackframe', contextValue: 'summary',
    iconColor: severity === 'error' ? 'errorForeground' : severity === 'warning' ? 'editorWarning.foreground' : undefined,
  });
  shown.forEach(({ link, cause }, i) => out.push(cause ? tripleFaultNode(link, cause, i) : linkNode(link, i, i === shown.length - 1)));
  if (body.diagnosis.length) {
    out.push({
      id: 'chain/diagnosis', label: 'Diagnosis', icon: 'lightbulb', expanded: true,
      tooltip: body.diagnosis.join('\n'),
      children: body.diagnosis.map((d, i) => ({ id: `chain/diagnosis/${i}`, label: d, tooltip: d, icon: 'arrow-small-right' })),
    });
  }
  return out;
}

/**
 * The links as shown: a fault raised while delivering #DF, followed by the triple fault, becomes one row
 * (`cause` is that fault). SDM §6.15 Interrupt 8: any further fault during #DF delivery shuts the CPU down.
 */
export function foldTripleFault(links: readonly FaultChainLink[]): { link: FaultChainLink; cause?: FaultChainLink }[] {
  const out: { link: FaultChainLink; cause?: FaultChainLink }[] = [];
  for (let i = 0; i < links.length; i++) {
    const l = links[i], next = links[i + 1];
    if (l.phase === 'raised' && next?.phase === 'tripleFault') {
      out.push({ link: next, cause: l });
      i++;
    } else {
      out.push({ link: l });
    }
  }
  return out;
}

/** The triple fault row: the shutdown reason, with the fault that caused it underneath. */
function tripleFaultNode(tf: FaultChainLink, cause: FaultChainLink, i: number): ViewNode {
  const n = linkNode(cause, i, true);
  return {
    ...n, id: `chain/${tf.seq}`, label: `${i + 1}. triple fault`, description: tf.reason || `${cause.name} while delivering #DF`,
    tooltip: `triple fault: ${tf.reason}\n\ncaused by:\n${n.tooltip}`, icon: PHASE_ICON.tripleFault, iconColor: 'errorForeground',
  };
}

/**
 * "#PF → #PF → #DF → triple fault", or "#PF → #NP → #DF, delivered to double_fault_handler": each exception
 * once, in the order raised; a delivery ends the line instead of repeating the vector.
 */
export function chainSummary(shown: readonly { link: FaultChainLink; cause?: FaultChainLink }[]): string {
  const parts: string[] = [];
  let tail = '';
  for (const { link, cause } of shown) {
    if (cause) parts.push('triple fault');
    else if (link.phase === 'delivered') tail = `, delivered to ${link.symbol ?? shortHex(link.rip)}`;
    else parts.push(linkShortName(link));
  }
  return parts.join(' → ') + tail;
}

/** "#PF", "#DF", "triple fault" — the words the summary line uses. */
export function linkShortName(l: FaultChainLink): string {
  return l.phase === 'tripleFault' ? 'triple fault' : l.name;
}

const PHASE_TEXT: Record<FaultChainLink['phase'], string> = {
  raised: 'raised',
  delivered: 'delivered',
  escalated: 'escalated to #DF',
  tripleFault: 'shutdown',
};

const PHASE_ICON: Record<FaultChainLink['phase'], string> = {
  raised: 'debug-breakpoint-unverified',
  delivered: 'pass',
  escalated: 'arrow-down',
  tripleFault: 'error',
};

function linkNode(l: FaultChainLink, i: number, last: boolean): ViewNode {
  const id = `chain/${l.seq}`;
  const where = l.symbol ? `${shortHex(l.rip)} ${l.symbol}` : shortHex(l.rip);
  const label = l.phase === 'tripleFault' ? 'triple fault' : `${l.name} ${PHASE_TEXT[l.phase]}`;
  const description = l.phase === 'tripleFault' ? l.reason : `at ${where}`;
  const ec = decodeErrorCode(l.vector, l.errorCode);
  const children: ViewNode[] = [];
  children.push({ id: `${id}/vector`, label: `vector ${l.vector}`, description: l.name });
  if (l.errorCode !== undefined) {
    children.push({
      id: `${id}/error`, label: 'error code', description: l.errorCodeText ?? ec.summary, tooltip: ec.summary,
      children: ec.bits.map((b) => ({ id: `${id}/error/${b.name}`, label: `${b.name}=${b.value}`, description: b.meaning })),
    });
  }
  if (l.vector === 14 || !isZeroHex(l.cr2)) {
    children.push({ id: `${id}/cr2`, label: 'CR2', description: shortHex(l.cr2), pointer: l.cr2, contextValue: 'pointer' });
  }
  children.push({
    id: `${id}/rip`, label: 'RIP', description: where + (l.source ? `  ${basename(l.source.path)}:${l.source.line}` : ''),
    reveal: { address: l.rip, source: l.source }, contextValue: 'code pointer', pointer: l.rip,
  });
  children.push({ id: `${id}/rsp`, label: 'RSP', description: shortHex(l.rsp), pointer: l.rsp, contextValue: 'pointer' });
  children.push({ id: `${id}/cs`, label: 'CS:SS', description: `0x${l.cs.toString(16)}:0x${l.ss.toString(16)}` });
  if (l.duringDeliveryOf !== undefined) {
    children.push({ id: `${id}/during`, label: 'during delivery of', description: `vector ${l.duringDeliveryOf}` });
  }
  if (l.reason) children.push({ id: `${id}/reason`, label: 'reason', description: l.reason, tooltip: l.reason });
  children.push({ id: `${id}/count`, label: 'instruction', description: String(l.instructionCount) });
  const tooltip = [
    `${l.name} (vector ${l.vector}) ${PHASE_TEXT[l.phase]}`,
    l.errorCode !== undefined ? `error code ${ec.summary}` : undefined,
    `RIP ${l.rip}${l.symbol ? ' <' + l.symbol + '>' : ''}`,
    `CR2 ${l.cr2}`, `RSP ${l.rsp}`, l.reason,
  ].filter(Boolean).join('\n');
  return {
    id, label: `${i + 1}. ${label}`, description, tooltip, icon: PHASE_ICON[l.phase],
    iconColor: l.phase === 'tripleFault' || l.phase === 'escalated' ? 'errorForeground' : undefined,
    marked: last, children, expanded: false, contextValue: 'link code moment', reveal: { address: l.rip, source: l.source },
    // The state right after this event: seq + 1 events had been emitted at that instruction count.
    moment: { instructionCount: l.instructionCount, seq: l.seq + 1 },
  };
}

function basename(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}
