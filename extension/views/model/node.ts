/**
 * The tree node every Faultline view is built from: plain data, no `vscode` import, so the tests can check
 * labels, descriptions, tooltips and context values without a VS Code host. `extension/views/tree.ts` turns
 * a ViewNode into a vscode.TreeItem.
 */

export interface ViewNode {
  /** Stable id within its view (VS Code keeps expansion state by id). */
  id: string;
  label: string;
  description?: string;
  /** Plain text (may span lines); raw hex belongs here. */
  tooltip?: string;
  /** Words the `view/item/context` menus match on: 'pointer' (Open Memory), 'code' (Reveal Source). */
  contextValue?: string;
  /** Codicon id ('error', 'warning', 'circle-slash' …). */
  icon?: string;
  /** Theme color id for the icon ('errorForeground', 'disabledForeground' …). */
  iconColor?: string;
  /** Shown greyed out (non-present gates and entries, unused slots). */
  dimmed?: boolean;
  /** Highlighted (the CS/SS/TR rows, the faulting link). */
  marked?: boolean;
  expanded?: boolean;
  children?: ViewNode[];
  /** A page-table node whose children are fetched on expand with faultline/pageTable. */
  lazy?: { physAddr: string; level: string; baseVirtual: string };
  /** Guest-virtual code address to reveal on click (source line when known, else disassembly). */
  reveal?: { address: string; source?: { path: string; line: number } };
  /** Guest address (hex, or 'phys:0x…') that Open Memory at Pointer opens. */
  pointer?: string;
  /** A moment on the timeline (a Fault Chain link): Go Back to This Moment travels there (contextValue 'moment'). */
  moment?: { instructionCount: number; seq: number };
}

export function node(id: string, label: string, rest: Omit<ViewNode, 'id' | 'label'> = {}): ViewNode {
  return { id, label, ...rest };
}

/** A node that says why a view is empty or failed, e.g. "TR is not loaded (selector 0x0)". */
export function messageNode(id: string, text: string, kind: 'info' | 'warning' | 'error' = 'info'): ViewNode {
  const icon = kind === 'info' ? 'info' : kind;
  const iconColor = kind === 'error' ? 'errorForeground' : kind === 'warning' ? 'editorWarning.foreground' : undefined;
  return { id, label: text, tooltip: text, icon, iconColor };
}

/** The tree as indented text (Copy Table as Text): "label  description", two spaces per level. */
export function nodesToText(nodes: readonly ViewNode[], depth = 0): string {
  let out = '';
  for (const n of nodes) {
    out += '  '.repeat(depth) + n.label + (n.description ? '  ' + n.description : '') + '\n';
    if (n.children) out += nodesToText(n.children, depth + 1);
  }
  return out;
}

/** Depth-first search by id. */
export function findNode(nodes: readonly ViewNode[], id: string): ViewNode | undefined {
  for (const n of nodes) {
    if (n.id === id) return n;
    const c = n.children && findNode(n.children, id);
    if (c) return c;
  }
  return undefined;
}

/** "0x0000000000100139" → "0x100139"; leaves anything that is not hex alone. */
export function shortHex(hex: string | undefined): string {
  if (!hex) return '?';
  const m = /^0x0*([0-9a-f]+)$/i.exec(hex);
  return m ? '0x' + m[1].toLowerCase() : hex;
}

export function hex(n: number, width = 0): string {
  return '0x' + (n >>> 0).toString(16).padStart(width, '0');
}

/** True for "0x0", "0x0000", "0", "". */
export function isZeroHex(h: string | undefined): boolean {
  return !h || /^(0x)?0*$/i.test(h);
}
