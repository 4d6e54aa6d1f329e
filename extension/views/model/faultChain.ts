/**
 * Fault Chain view model: one node per link of faultline/faultChain (vector, name, phase, error code decoded,
 * CR2, RIP → symbol, RSP, the reason at the failing check), the one-line summary first and the diagnosis last.
 */
import type { FaultChainLink, FaultChainResponseBody } from '../../../debug-adapter/protocol';
import { decodeErrorCode } from './errorCode';
import { ViewNode, isZeroHex, messageNode, shortHex } from './node';

export function faultChainNodes(body: FaultChainResponseBody | undefined): ViewNode[] {
  if (!body || body.links.length === 0) {
    return [messageNode('chain/none', 'No exception since the last run started.')];
  }
  const out: ViewNode[] = [];
  const summary = body.summary || body.links.map(linkShortName).join(' → ');
  const fatal = body.links.some((l) => l.phase === 'tripleFault' || l.phase === 'escalated');
  out.push({
    id: 'chain/summary', label: summary, tooltip: summary, icon: fatal ? 'error' : 'debug-stackframe',
    iconColor: fatal ? 'errorForeground' : undefined, contextValue: 'summary',
  });
  body.links.forEach((l, i) => out.push(linkNode(l, i, i === body.links.length - 1)));
  if (body.diagnosis.length) {
    out.push({
      id: 'chain/diagnosis', label: 'Diagnosis', icon: 'lightbulb', expanded: true,
      tooltip: body.diagnosis.join('\n'),
      children: body.diagnosis.map((d, i) => ({ id: `chain/diagnosis/${i}`, label: d, tooltip: d, icon: 'arrow-small-right' })),
    });
  }
  return out;
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
    marked: last, children, expanded: false, contextValue: 'link code', reveal: { address: l.rip, source: l.source },
  };
}

function basename(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}
