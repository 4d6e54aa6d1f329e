/**
 * Faultline's commands: Walk Address…, Show GDT/IDT Entry…, Copy Table as Text, Open Memory at Pointer,
 * Show Guest Screen, Refresh Views, and the click action of code addresses (Reveal Source or Disassembly).
 */
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fromBase64 } from '../emulator/bytes';
import { GuestScreen } from './screen/panel';
import { SessionViews } from './session';
import { FaultChainView } from './views/faultChain';
import { hexDump, parseGuestAddress } from './views/model/hexdump';
import { ViewNode, isZeroHex } from './views/model/node';
import { walkSummary } from './views/model/pageTables';
import { PageTablesView } from './views/pageTables';
import { FaultlineTree, errorText } from './views/tree';

export interface Views {
  faultChain: FaultChainView;
  gdt: FaultlineTree;
  idt: FaultlineTree;
  tss: FaultlineTree;
  pageTables: PageTablesView;
}

/** The short names used by the per-view Copy commands (faultline.copyTable.gdt …). */
export const VIEW_KEYS = ['faultChain', 'gdt', 'idt', 'tss', 'pageTables'] as const;

export function registerCommands(context: vscode.ExtensionContext, views: Views, sessions: SessionViews, screen: GuestScreen): void {
  const reg = (id: string, fn: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(ReadOnlyDocs.scheme, readOnly));

  reg('faultline.walkAddress', async (address?: string) => {
    const session = requireSession();
    if (!session) return;
    const cr2 = views.faultChain.last?.links.find((l) => l.vector === 14)?.cr2;
    const text = address ?? await vscode.window.showInputBox({
      title: 'Faultline: walk the page tables for an address',
      prompt: 'Linear address (hex or decimal) or a symbol name',
      value: cr2 && !isZeroHex(cr2) ? cr2 : undefined,
    });
    if (!text) return;
    try {
      const w = await views.pageTables.walkAddress(session, text.trim());
      const n = views.pageTables.walkNode;
      if (n && views.pageTables.view) await views.pageTables.view.reveal(n, { expand: true, focus: true, select: true });
      void vscode.window.showInformationMessage(`${text.trim()}: ${walkSummary(w)}`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Faultline: walking ${text} failed: ${errorText(e)}`);
    }
  });

  reg('faultline.showGdtEntry', async (index?: number) => {
    const input = index ?? await askNumber('GDT entry: index (decimal) or selector (0x…)', (t) => t.startsWith('0x') ? Number(t) >>> 3 : Number(t));
    if (input !== undefined) await revealById(views.gdt, `gdt/${input}`, `GDT has no entry ${input} (beyond GDTR.limit, or no session stopped).`);
  });

  reg('faultline.showIdtEntry', async (vector?: number) => {
    const input = vector ?? await askNumber('IDT vector (decimal or 0x…)', (t) => Number(t));
    if (input !== undefined) await revealById(views.idt, `idt/${input}`, `IDT has no gate ${input} (beyond IDTR.limit, or no session stopped).`);
  });

  const copy = async (tree: FaultlineTree) => {
    await vscode.env.clipboard.writeText(tree.asText());
    void vscode.window.setStatusBarMessage(`Faultline: ${tree.title} copied`, 3000);
  };
  reg('faultline.copyTable', async (key?: string) => {
    const k = key && (VIEW_KEYS as readonly string[]).includes(key) ? key as keyof Views : (await vscode.window.showQuickPick(
      VIEW_KEYS.map((v) => ({ label: views[v].title, key: v })), { title: 'Faultline: copy which table as text?' }))?.key;
    if (k) await copy(views[k]);
  });
  for (const k of VIEW_KEYS) reg(`faultline.copyTable.${k}`, () => copy(views[k]));

  reg('faultline.goToMoment', async (n?: ViewNode) => {
    const session = requireSession();
    if (!session || !n?.moment) return;
    await travel(session, 'faultline/gotoInstruction', { count: n.moment.instructionCount, seq: n.moment.seq });
  });

  reg('faultline.gotoInstruction', async () => {
    const session = requireSession();
    if (!session) return;
    const count = await askNumber('Go to instruction count (retired instructions since power-on)', (t) => Number(t));
    if (count !== undefined) await travel(session, 'faultline/gotoInstruction', { count });
  });

  reg('faultline.lastWrite', async (n?: ViewNode) => {
    const session = requireSession();
    if (!session) return;
    const text = n?.pointer ?? await vscode.window.showInputBox({
      title: 'Faultline: back to the last write of an address', prompt: 'Guest address (hex) and optional length, e.g. 0x10f024 8',
    });
    if (!text) return;
    const [address, length] = text.trim().split(/\s+/);
    try {
      const r = await session.customRequest('faultline/lastWrite', { address, length: length ? Number(length) : 8 });
      if (!r?.found) void vscode.window.showInformationMessage(`Faultline: ${r?.message ?? 'no write found'}`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Faultline: ${errorText(e)}`);
    }
  });

  reg('faultline.openMemory', async (n?: ViewNode) => {
    const session = requireSession();
    if (!session || !n?.pointer) return;
    await openMemory(session, n.pointer, n.label);
  });

  reg('faultline.revealAddress', async (n?: ViewNode) => {
    const session = vscode.debug.activeDebugSession;
    if (!n?.reveal) return;
    await revealAddress(session, n.reveal.address, n.reveal.source);
  });

  reg('faultline.showScreen', () => screen.show(activeFaultlineSession()));
  reg('faultline.screenshot', () => screen.screenshot(activeFaultlineSession()));
  reg('faultline.refreshViews', () => {
    const s = activeFaultlineSession();
    if (s) void sessions.refresh(s);
  });
}

/** Read-only documents for hex dumps and disassembly (no "save?" prompt when closed). */
class ReadOnlyDocs implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'faultline';
  private readonly texts = new Map<string, string>();
  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
  async show(name: string, content: string, language: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: ReadOnlyDocs.scheme, path: '/' + name.replace(/[^\w.:+-]+/g, '-') });
    this.texts.set(uri.toString(), content);
    const doc = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(uri), language);
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}
const readOnly = new ReadOnlyDocs();

export function activeFaultlineSession(): vscode.DebugSession | undefined {
  const s = vscode.debug.activeDebugSession;
  return s?.type === 'faultline' ? s : undefined;
}

function requireSession(): vscode.DebugSession | undefined {
  const s = activeFaultlineSession();
  if (!s) void vscode.window.showWarningMessage('Faultline: start a Faultline debug session (F5) and stop it first.');
  return s;
}

async function askNumber(prompt: string, parse: (t: string) => number): Promise<number | undefined> {
  const t = await vscode.window.showInputBox({
    prompt, validateInput: (v) => Number.isInteger(parse(v.trim().toLowerCase())) ? undefined : 'a number, e.g. 8 or 0x28',
  });
  return t === undefined ? undefined : parse(t.trim().toLowerCase());
}

async function revealById(tree: FaultlineTree, id: string, missing: string): Promise<void> {
  const n = tree.find(id);
  if (!n || !tree.view) { void vscode.window.showWarningMessage(`Faultline: ${missing}`); return; }
  await tree.view.reveal(n, { select: true, focus: true, expand: true });
}

/** The source line of a guest address when DWARF knows it, else its disassembly in an editor. */
export async function revealAddress(session: vscode.DebugSession | undefined, address: string, source?: { path: string; line: number }): Promise<void> {
  if (source) {
    try {
      // A URI where the workspace is not on file: (VS Code for the Web, web-adapter.ts), else a file path.
      const uri = /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(source.path) ? vscode.Uri.parse(source.path) : vscode.Uri.file(source.path);
      const doc = await vscode.workspace.openTextDocument(uri);
      const line = Math.max(0, source.line - 1);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(line, 0, line, 0), preview: true });
      return;
    } catch {
      // source not on this machine: fall back to disassembly
    }
  }
  if (!session) return;
  try {
    const r = (await session.customRequest('disassemble', {
      memoryReference: address, instructionOffset: 0, instructionCount: 32, resolveSymbols: true,
    } satisfies DebugProtocol.DisassembleArguments)) as DebugProtocol.DisassembleResponse['body'];
    const insns = r?.instructions ?? [];
    const first = insns[0];
    if (first?.location?.path && first.line) return revealAddress(undefined, address, { path: first.location.path, line: first.line });
    const text = insns.map((i) => `${i.symbol ? `; <${i.symbol}>\n` : ''}${i.address}  ${(i.instructionBytes ?? '').padEnd(24)} ${i.instruction}`).join('\n');
    await readOnly.show(`disassembly ${address}.asm`, `; disassembly at ${address}\n${text}\n`, 'nasm');
  } catch (e) {
    void vscode.window.showErrorMessage(`Faultline: cannot disassemble ${address}: ${errorText(e)}`);
  }
}

/** A hex dump of 256 bytes around a guest pointer (unreadable bytes shown as ??). */
async function openMemory(session: vscode.DebugSession, pointer: string, what: string): Promise<void> {
  const parsed = parseGuestAddress(pointer);
  if (!parsed) { void vscode.window.showWarningMessage(`Faultline: ${pointer} is not an address.`); return; }
  const start = parsed.address >= 0x40n ? (parsed.address & ~0xfn) - 0x40n : 0n;
  const count = 256;
  const ref = (parsed.physical ? 'phys:' : '') + '0x' + start.toString(16);
  try {
    const r = (await session.customRequest('readMemory', { memoryReference: ref, offset: 0, count } satisfies DebugProtocol.ReadMemoryArguments)) as DebugProtocol.ReadMemoryResponse['body'];
    const data = r?.data ? fromBase64(r.data) : new Uint8Array(0);
    const header = `; ${what}: ${pointer} (${parsed.physical ? 'physical' : 'linear'}), ${count} bytes from ${ref}; ?? = unreadable\n`;
    await readOnly.show(`memory ${what} ${pointer}.hex`, header + hexDump(start, data, count) + '\n', 'plaintext');
  } catch (e) {
    void vscode.window.showErrorMessage(`Faultline: cannot read memory at ${pointer}: ${errorText(e)}`);
  }
}

/** A reverse-debugging custom request; the adapter reports the stop, so the views refresh by themselves. */
async function travel(session: vscode.DebugSession, command: string, args: object): Promise<void> {
  try {
    await session.customRequest(command, args);
  } catch (e) {
    void vscode.window.showErrorMessage(`Faultline: ${errorText(e)}`);
  }
}
