/**
 * Exception breakpoint filters: one per architectural vector, plus the escalating ones (double fault,
 * triple fault, a fault during delivery) which are on by default. Each filter may carry a condition over
 * the event (`cr2 == 0xdeadbeaf`, `errorCode & 2`). The decision runs inside runtime.shouldStopOnException,
 * i.e. for every 'raised' event, before delivery.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ExceptionEvent } from '../emulator/api';
import { ARCH_VECTORS } from '../emulator/cpu/vectors';
import { compileExpression, type CompiledExpression } from './expression';

export const FILTER_DOUBLE_FAULT = 'double-fault';
export const FILTER_TRIPLE_FAULT = 'triple-fault';
export const FILTER_ESCALATION = 'escalation';
export const FILTER_INTERRUPTS = 'interrupts';

/** Names a condition may use. */
export const CONDITION_FIELDS = ['vector', 'errorCode', 'cr2', 'rip', 'rsp', 'cs', 'ss', 'write', 'user', 'fetch', 'external', 'software', 'realMode'];

const CONDITION_HELP = 'Stop only when this is true, e.g. "cr2 == 0xdeadbeaf" or "errorCode & 2" (fields: ' +
  CONDITION_FIELDS.join(', ') + ')';

export function exceptionFilterId(vector: number): string {
  return `vector-${vector}`;
}

/** The filters the adapter advertises in its capabilities. */
export function exceptionBreakpointFilters(): DebugProtocol.ExceptionBreakpointsFilter[] {
  const filters: DebugProtocol.ExceptionBreakpointsFilter[] = [
    { filter: FILTER_DOUBLE_FAULT, label: 'Double fault (#DF)', default: true, supportsCondition: true, conditionDescription: CONDITION_HELP,
      description: 'Stop when #DF is raised: a fault during delivery combined into a double fault (SDM Table 6-5).' },
    { filter: FILTER_TRIPLE_FAULT, label: 'Triple fault', default: true,
      description: 'Stop when a fault during #DF delivery shuts the CPU down (instead of resetting).' },
    { filter: FILTER_ESCALATION, label: 'Escalation (a fault during delivery)', default: true, supportsCondition: true,
      conditionDescription: CONDITION_HELP, description: 'Stop when an exception is raised while the CPU delivers another one.' },
  ];
  for (const v of ARCH_VECTORS) {
    if (v.vector === 8 || v.vector === 15) continue; // #DF has its own filter; 15 is reserved
    filters.push({
      filter: exceptionFilterId(v.vector), label: `${v.mnemonic} ${v.name} (${v.vector})`, default: false,
      supportsCondition: true, conditionDescription: CONDITION_HELP,
    });
  }
  filters.push({ filter: FILTER_INTERRUPTS, label: 'Interrupts and INT n (IRQs, and INT n with any vector)', default: false,
    supportsCondition: true, conditionDescription: CONDITION_HELP });
  return filters;
}

interface ActiveFilter { id: string; condition?: CompiledExpression }

export class ExceptionFilterSet {
  private active = new Map<string, ActiveFilter>();
  /** Set when the last shouldStop() call matched: which filter, so the stop can say so. */
  lastMatch: string | undefined;

  constructor() {
    for (const f of exceptionBreakpointFilters()) if (f.default) this.active.set(f.filter, { id: f.filter });
  }

  /**
   * Replace the active filters. Returns one DAP Breakpoint per requested filter (unverified with a message
   * when the id is unknown or the condition does not parse).
   */
  set(filters: string[], options: DebugProtocol.ExceptionFilterOptions[]): DebugProtocol.Breakpoint[] {
    const known = new Set(exceptionBreakpointFilters().map((f) => f.filter));
    const next = new Map<string, ActiveFilter>();
    const result: DebugProtocol.Breakpoint[] = [];
    const requests = [...filters.map((f) => ({ filterId: f, condition: undefined as string | undefined })),
      ...options.map((o) => ({ filterId: o.filterId, condition: o.condition }))];
    for (const req of requests) {
      if (typeof req.filterId !== 'string' || !known.has(req.filterId)) {
        result.push({ verified: false, message: `unknown exception filter '${String(req.filterId)}'` });
        continue;
      }
      let condition: CompiledExpression | undefined;
      if (req.condition !== undefined && String(req.condition).trim() !== '') {
        try {
          condition = compileExpression(String(req.condition));
          const unknown = condition.identifiers.filter((i) => !CONDITION_FIELDS.includes(i));
          if (unknown.length) throw new Error(`unknown name${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; use ${CONDITION_FIELDS.join(', ')}`);
        } catch (e) {
          result.push({ verified: false, message: `condition "${req.condition}": ${(e as Error).message}` });
          continue;
        }
      }
      next.set(req.filterId, { id: req.filterId, condition });
      result.push({ verified: true });
    }
    this.active = next;
    return result;
  }

  get tripleFault(): boolean {
    return this.active.has(FILTER_TRIPLE_FAULT);
  }

  /** Decide for a 'raised' event (runtime.shouldStopOnException). */
  shouldStop(ev: ExceptionEvent): boolean {
    this.lastMatch = undefined;
    const candidates: string[] = [];
    if (ev.vector === 8) candidates.push(FILTER_DOUBLE_FAULT);
    if (ev.duringDeliveryOf !== undefined) candidates.push(FILTER_ESCALATION);
    // INT n is an interrupt whatever its vector (real-mode BIOS calls use 10h-1Fh, which are exception vectors
    // in protected mode); INT3 and INTO stay with #BP and #OF.
    if (ev.vector >= 32 || ev.external || (ev.software && ev.vector !== 3 && ev.vector !== 4)) candidates.push(FILTER_INTERRUPTS);
    else if (ev.vector !== 8) candidates.push(exceptionFilterId(ev.vector));
    for (const id of candidates) {
      const f = this.active.get(id);
      if (!f) continue;
      if (f.condition) {
        try {
          if (f.condition.evaluate({ lookup: (n) => conditionField(ev, n) }) === 0n) continue;
        } catch {
          continue; // a condition that cannot be evaluated for this event does not stop
        }
      }
      this.lastMatch = id;
      return true;
    }
    return false;
  }
}

function conditionField(ev: ExceptionEvent, name: string): bigint | undefined {
  const b = (x: boolean | undefined) => (x ? 1n : 0n);
  switch (name) {
    case 'vector': return BigInt(ev.vector);
    case 'errorCode': return BigInt(ev.errorCode ?? 0);
    case 'cr2': return ev.cr2;
    case 'rip': return ev.rip;
    case 'rsp': return ev.rsp;
    case 'cs': return BigInt(ev.cs);
    case 'ss': return BigInt(ev.ss);
    case 'write': return b(ev.access?.write);
    case 'user': return b(ev.access?.user);
    case 'fetch': return b(ev.access?.fetch);
    case 'external': return b(ev.external);
    case 'software': return b(ev.software);
    case 'realMode': return b(ev.realMode);
  }
  return undefined;
}
