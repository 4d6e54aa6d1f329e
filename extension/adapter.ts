/**
 * How VS Code starts the Faultline debug adapter: by default the bundled script dist/debug-adapter.js under the
 * extension host's own Node (`faultline.debugAdapter: "executable"`); or in-process (`"inline"`) from
 * dist/debug-adapter-inline.js, a bundle of debug-adapter/index.ts that exports the session factory without
 * starting a stdio server (dist/debug-adapter.js cannot be loaded in-process: it takes over stdin/stdout).
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { withHostTunables } from '../emulator/host-memory';

interface AdapterModule {
  createFaultlineSession?: () => vscode.DebugAdapter;
  createDebugSession?: () => vscode.DebugAdapter;
  FaultlineDebugSession?: new () => vscode.DebugAdapter;
}

export class FaultlineAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly context: vscode.ExtensionContext) {}

  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const script = this.context.asAbsolutePath('dist/debug-adapter.js');
    const mode = vscode.workspace.getConfiguration('faultline').get<string>('debugAdapter', 'executable');
    if (mode === 'inline') {
      const inline = loadInline(this.context.asAbsolutePath('dist/debug-adapter-inline.js'));
      if (inline) return new vscode.DebugAdapterInlineImplementation(inline);
      void vscode.window.showWarningMessage('Faultline: this build has no in-process debug adapter (dist/debug-adapter-inline.js); running it as a separate process instead.');
    }
    // In desktop VS Code the extension host's execPath is Electron: make it behave as plain Node. Guest RAM in
    // huge pages (emulator/host-memory.ts); VS Code merges this env into the extension host's.
    const env = withHostTunables({ GLIBC_TUNABLES: process.env.GLIBC_TUNABLES });
    return new vscode.DebugAdapterExecutable(process.execPath, [script], { env: { ELECTRON_RUN_AS_NODE: '1', GLIBC_TUNABLES: env.GLIBC_TUNABLES ?? '' } });
  }
}

function loadInline(script: string): vscode.DebugAdapter | undefined {
  if (!fs.existsSync(script)) return undefined;
  // module.require of a runtime path: esbuild leaves it alone, so the adapter stays a separate bundle.
  const mod = module.require(script) as AdapterModule;
  if (mod.createFaultlineSession) return mod.createFaultlineSession();
  if (mod.createDebugSession) return mod.createDebugSession();
  if (mod.FaultlineDebugSession) return new mod.FaultlineDebugSession();
  return undefined;
}
