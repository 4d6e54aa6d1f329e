/**
 * Page Tables view model: a lazy tree CR3 → PML4 → PDPT → PD → PT, one faultline/pageTable response per level,
 * each entry with index, physical address, flags (P RW US PWT PCD A D PS G NX) and the virtual range it
 * covers; and the walk of one address (faultline/pageWalk) with where and why it stops (SDM Vol. 3A §4.5).
 */
import type { PageTableEntryInfo, PageWalkLevel, PageWalkResult } from '../../../emulator/inspect/types';
import type { PageTableResponseBody } from '../../../debug-adapter/protocol';
import { ViewNode, messageNode, shortHex } from './node';

const FLAG_ORDER: [keyof PageWalkLevel, string][] = [
  ['present', 'P'], ['writable', 'RW'], ['user', 'US'], ['pwt', 'PWT'], ['pcd', 'PCD'], ['accessed', 'A'],
  ['dirty', 'D'], ['largePage', 'PS'], ['global', 'G'], ['noExecute', 'NX'],
];

/** "P RW A NX": the flags that are set, in SDM order. */
export function flagText(e: PageWalkLevel): string {
  return FLAG_ORDER.filter(([k]) => e[k] === true).map(([, n]) => n).join(' ') || '-';
}

/** Every flag with its value, for tooltips: "P=1 RW=1 US=0 …". */
export function flagTable(e: PageWalkLevel): string {
  return FLAG_ORDER.map(([k, n]) => `${n}=${e[k] ? 1 : 0}`).join(' ');
}

export function rangeText(covers: [string, string]): string {
  return `${shortHex(covers[0])}–${shortHex(covers[1])}`;
}

/** Nodes for one table (the root when `parentId` is 'pt'). */
export function pageTableNodes(body: PageTableResponseBody | undefined, parentId = 'pt'): ViewNode[] {
  if (!body) return [];
  if (body.error) return [messageNode(`${parentId}/error`, body.error, 'error')];
  if (body.mode === 'none') return [messageNode(`${parentId}/off`, 'Paging is off (CR0.PG = 0): linear addresses are physical.')];
  if (body.entries.length === 0) return [messageNode(`${parentId}/empty`, `${body.level} at ${shortHex(body.physAddr)} has no present entries.`)];
  return body.entries.map((e) => entryNode(e, body.level, parentId));
}

/** The root row: "CR3 → PML4 at 0x1000". */
export function rootNode(body: PageTableResponseBody): ViewNode {
  return {
    id: 'pt', label: `CR3 → ${body.level}`, description: `${shortHex(body.physAddr)} (${body.mode} paging)`,
    expanded: true, icon: 'type-hierarchy', pointer: 'phys:' + body.physAddr, contextValue: 'pointer',
    children: pageTableNodes(body, 'pt'),
  };
}

export function entryNode(e: PageTableEntryInfo, tableLevel: string, parentId: string): ViewNode {
  const id = `${parentId}/${e.index}`;
  const leaf = e.largePage || !e.next;
  const target = e.next && !e.largePage ? `→ ${e.next.level} ${shortHex(e.next.physAddr)}` : `→ page ${shortHex(e.address)}`;
  const description = e.present
    ? `${target}  [${flagText(e)}]  ${rangeText(e.covers)}`
    : `not present  ${rangeText(e.covers)}`;
  const tooltip = [
    `${tableLevel}[${e.index}] at ${e.entryAddress} = ${e.raw}`,
    flagTable(e),
    `maps ${e.covers[0]} – ${e.covers[1]}`,
    e.present ? (leaf ? `page frame ${e.address}${e.largePage ? ' (large page)' : ''}` : `next table ${e.next?.level} at ${e.next?.physAddr}`) : 'not present',
    e.reservedBits ? `⚠ reserved bits set: ${e.reservedBits} (any access faults with RSVD)` : undefined,
  ].filter(Boolean).join('\n');
  return {
    id, label: `${tableLevel}[${e.index}]`, description, tooltip,
    icon: !e.present ? 'circle-slash' : e.reservedBits ? 'warning' : leaf ? 'file-binary' : 'folder',
    iconColor: e.reservedBits ? 'editorWarning.foreground' : undefined,
    dimmed: !e.present,
    lazy: e.present && !leaf && e.next ? { physAddr: e.next.physAddr, level: e.next.level, baseVirtual: e.covers[0] } : undefined,
    contextValue: 'entry pointer',
    pointer: 'phys:' + (e.present ? e.address : e.entryAddress),
  };
}

/** The walk of one address, level by level, ending in the frame or in where and why it stopped. */
export function pageWalkNodes(w: PageWalkResult): ViewNode {
  const id = `walk/${w.address}`;
  const children: ViewNode[] = w.levels.map((l, i): ViewNode => ({
    id: `${id}/${i}`, label: `${l.level}[${l.index}]`,
    description: `${shortHex(l.raw)} [${flagText(l)}]` + (l.present ? '' : '  ✗ not present'),
    tooltip: `${l.level}[${l.index}] at ${l.entryAddress} = ${l.raw}\n${flagTable(l)}\ncovers ${l.covers[0]} – ${l.covers[1]}`,
    icon: l.present ? (l.reservedBits ? 'warning' : 'check') : 'close',
    iconColor: l.present && !l.reservedBits ? undefined : 'errorForeground',
    pointer: 'phys:' + l.entryAddress, contextValue: 'entry pointer',
  }));
  children.push(w.mapped
    ? { id: `${id}/result`, label: `→ ${shortHex(w.physical)}`, description: walkSummary(w), icon: 'pass', pointer: 'phys:' + w.physical, contextValue: 'pointer' }
    : { id: `${id}/result`, label: 'stops', description: w.stopReason ?? 'not mapped', tooltip: w.stopReason, icon: 'error', iconColor: 'errorForeground' });
  return { id, label: `Walk ${shortHex(w.address)}`, description: walkSummary(w), tooltip: walkSummary(w), expanded: true, icon: 'search', children, contextValue: 'walk' };
}

/** "mapped → 0x2000 (4 KiB, RW, NX)" or "stops: PT entry 511 is not present". */
export function walkSummary(w: PageWalkResult): string {
  if (!w.mapped) return `stops: ${w.stopReason ?? 'not mapped'}`;
  const size = w.pageSize ? sizeText(w.pageSize) : '?';
  const perms = [w.writable ? 'RW' : 'RO', w.user ? 'user' : 'supervisor', w.executable ? 'X' : 'NX'];
  return `mapped → ${shortHex(w.physical)} (${size} page, ${perms.join(', ')})`;
}

function sizeText(n: number): string {
  if (n >= 1 << 30) return `${n / (1 << 30)} GiB`;
  if (n >= 1 << 20) return `${n / (1 << 20)} MiB`;
  return `${n / 1024} KiB`;
}
