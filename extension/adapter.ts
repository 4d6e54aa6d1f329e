/**
 * How VS Code starts the Faultline debug adapter: by default the bundled script dist/debug-adapter.js under the
 * extension host's own Node (`faultline.debugAdapter: "executable"`); or in-process
 * (`"inline"`), when that bundle exports a session factory.
 */
import * as vscode from 'vscode';

interface AdapterModule {
  createDebugSession?: () => vscode.DebugAdapter;
  FaultlineDebugSession?: new () => vscode.DebugAdapter;
}

export class FaultlineAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly context: vscode.ExtensionContext) {}

  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const script = this.context.asAbsolutePath('dist/debug-adapter.js');
    const mode = vscode.workspace.getConfiguration('faultline').get<string>('debugAdapter', 'executable');
    if (mode === 'inline') {
      const inline = loadInline(script);
      if (inline) return new vscode.DebugAdapterInlineImplementation(inline);
      void vscode.window.showWarningMessage('Faultline: this build of the debug adapter exports no in-process session; running it as a separate process instead.');
    }
    // In desktop VS Code the extension host's execPath is Electron: make it behave as plain Node.
    return new vscode.DebugAdapterExecutable(process.execPath, [script], { env: { ELECTRON_RUN_AS_NODE: '1' } });
  }
}

function loadInline(script: string): vscode.DebugAdapter | undefined {
  // A plain require of a runtime path: esbuild leaves it alone, so the adapter stays a separate bundle.
  const req = eval('require') as NodeJS.Require;
  const mod = req(script) as AdapterModule;
  if (mod.createDebugSession) return mod.createDebugSession();
  if (mod.FaultlineDebugSession) return new mod.FaultlineDebugSession();
  return undefined;
}
