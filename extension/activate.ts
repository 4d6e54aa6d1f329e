/**
 * The extension's activation minus how the debug adapter runs (extension.ts: a Node process or in-process
 * on desktop; web.ts: in-process in VS Code for the Web's worker): the configuration provider, the side panels
 * in Run and Debug (Fault Chain, GDT, IDT, TSS, Page Tables) refreshed on every stop, the Guest Screen, the
 * serial terminals and the commands. Decoding and formatting live in extension/views/model (no vscode import); this file wires.
 */
import * as vscode from 'vscode';
import { VIEW_KEYS, Views, registerCommands } from './commands';
import { FaultlineConfigurationProvider } from './config/provider';
import { GuestScreen } from './screen/panel';
import { SerialTerminals } from './serial-terminal';
import { SessionViews } from './session';
import { FaultChainView } from './views/faultChain';
import { GdtView } from './views/gdt';
import { IdtView } from './views/idt';
import { PageTablesView } from './views/pageTables';
import { TssView } from './views/tss';
import { NodeDecorations } from './views/tree';

/** Everything but how the adapter runs (`adapters`). */
export function activateWith(context: vscode.ExtensionContext, adapters: vscode.DebugAdapterDescriptorFactory): void {
  const sub = (d: vscode.Disposable) => context.subscriptions.push(d);

  sub(vscode.debug.registerDebugAdapterDescriptorFactory('faultline', adapters));
  const configs = new FaultlineConfigurationProvider();
  sub(vscode.debug.registerDebugConfigurationProvider('faultline', configs));
  sub(vscode.debug.registerDebugConfigurationProvider('faultline', configs, vscode.DebugConfigurationProviderTriggerKind.Dynamic));

  const views: Views = {
    faultChain: new FaultChainView(), gdt: new GdtView(), idt: new IdtView(), tss: new TssView(), pageTables: new PageTablesView(),
  };
  for (const k of VIEW_KEYS) {
    const tree = views[k];
    tree.view = vscode.window.createTreeView(tree.viewId, { treeDataProvider: tree, showCollapseAll: k !== 'tss' });
    sub(tree.view);
  }
  sub(vscode.window.registerFileDecorationProvider(new NodeDecorations()));

  const screen = new GuestScreen();
  const sessions = new SessionViews(VIEW_KEYS.map((k) => views[k]), screen);
  sub(vscode.debug.registerDebugAdapterTrackerFactory('faultline', sessions));
  const terminals = new SerialTerminals();
  sub(vscode.debug.registerDebugAdapterTrackerFactory('faultline', terminals));
  sub(vscode.debug.onDidStartDebugSession((s) => { if (s.type === 'faultline') void setActive(true); }));
  sub(vscode.debug.onDidTerminateDebugSession((s) => { if (s.type === 'faultline') { sessions.ended(s); terminals.ended(s); } }));
  sub(vscode.debug.onDidChangeActiveDebugSession((s) => { if (s?.type === 'faultline') void sessions.refresh(s); }));
  registerCommands(context, views, sessions, screen);

  // Show the panels in a workspace that has a faultline launch configuration, before the first F5.
  void setActive(hasFaultlineLaunchConfig());
  sub(vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('launch') && hasFaultlineLaunchConfig()) void setActive(true); }));
}

function setActive(on: boolean): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', 'faultline.active', on);
}

function hasFaultlineLaunchConfig(): boolean {
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const list = vscode.workspace.getConfiguration('launch', f).get<{ type?: string }[]>('configurations') ?? [];
    if (list.some((c) => c?.type === 'faultline')) return true;
  }
  return false;
}
