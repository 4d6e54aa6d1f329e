/**
 * VS Code for the Web (vscode.dev, github.dev, a browser's worker extension host): no Node, no processes.
 * The emulator and the adapter run in the extension host itself (DebugAdapterInlineImplementation) and read
 * the kernel, symbols and any other file through vscode.workspace.fs: a launch.json path such as
 * ${workspaceFolder}/build/kernel.elf is a path inside the session's workspace folder's URI scheme.
 */
import * as vscode from 'vscode';
import { posixPath, type AdapterHost } from '../debug-adapter/host';
import { createFaultlineSession } from '../debug-adapter/session';

/**
 * Files by path in the folder's file system (its scheme and authority), or file: when there is no folder.
 * Source paths cross DAP as that file system's URIs (VS Code reads a plain absolute path as a file: URI,
 * which a browser cannot open), and breakpoints' URIs come back as paths.
 */
export function workspaceHost(folder: vscode.WorkspaceFolder | undefined, extensionUri?: vscode.Uri): AdapterHost {
  const base = folder?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = (p: string) => base ? base.with({ path: p }) : vscode.Uri.file(p);
  const onFile = !base || base.scheme === 'file';
  return {
    cwd: () => base?.path ?? '/',
    clientPath: (p) => onFile ? p : uri(p).toString(),
    hostPath: (c) => /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(c) ? vscode.Uri.parse(c).path : c,
    async readFile(p: string): Promise<Uint8Array> {
      try {
        return await vscode.workspace.fs.readFile(uri(p));
      } catch (e) {
        throw new Error(e instanceof vscode.FileSystemError && e.code === 'FileNotFound' ? `${p} does not exist` : `cannot read ${p} (${(e as Error).message})`);
      }
    },
    async exists(p: string): Promise<boolean> {
      try {
        return (await vscode.workspace.fs.stat(uri(p))).type !== vscode.FileType.Directory;
      } catch {
        return false;
      }
    },
    path: posixPath,
    // The VGA BIOS shipped in the .vsix (firmware/seabios, scripts/copy-seabios.js): its font draws VGA text.
    vgaBios: async () => extensionUri ? vscode.workspace.fs.readFile(seabiosFile(extensionUri, 'vgabios-stdvga.bin')) : undefined,
    // SeaBIOS shipped in the .vsix: a kernel boots through it, as on the desktop.
    async firmware() {
      if (!extensionUri) throw new Error('SeaBIOS cannot be found without the extension\'s folder');
      const bios = await vscode.workspace.fs.readFile(seabiosFile(extensionUri, 'bios-256k.bin')).then(undefined, () => {
        throw new Error('SeaBIOS (firmware/seabios/bios-256k.bin) is missing from the extension; reinstall Faultline');
      });
      const vgaBios = await vscode.workspace.fs.readFile(seabiosFile(extensionUri, 'vgabios-stdvga.bin')).then(undefined, () => undefined);
      return { bios, vgaBios };
    },
  };
}

function seabiosFile(extensionUri: vscode.Uri, name: string): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'firmware', 'seabios', name);
}

export class WebAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionUri?: vscode.Uri) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(createFaultlineSession(undefined, workspaceHost(session.workspaceFolder, this.extensionUri)));
  }
}
