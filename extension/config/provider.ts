/**
 * Launch configurations for `faultline`: F5 without a launch.json finds the kernel (an ELF with a multiboot
 * header under build/ or target/, else anywhere in the workspace), asks when there are several, and offers
 * a file picker when there are none; so does a launch.json configuration that names nothing to boot (no kernel,
 * disks, cdrom, fda or bios).
 */
import * as vscode from 'vscode';
import { defaultLaunchConfig, isMultibootKernel, namesWhatBoots, rankKernelPaths } from './kernel';

const SEARCH = '{build,target}/**/*';
const EXCLUDE = '{**/node_modules/**,**/.git/**,**/*.o,**/*.a,**/*.d,**/*.rlib,**/*.rmeta,**/*.c,**/*.rs,**/*.asm,**/*.h,**/*.json,**/*.txt,**/*.md}';

export class FaultlineConfigurationProvider implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const kernels = await findKernels(folder);
    if (kernels.length === 0) return [defaultLaunchConfig('${workspaceFolder}/build/kernel.elf', undefined) as vscode.DebugConfiguration];
    return kernels.map((k) => defaultLaunchConfig(k.fsPath, folder?.uri.fsPath) as vscode.DebugConfiguration);
  }

  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    const noLaunchJson = !config.type && !config.request && !config.name;
    if (!noLaunchJson && namesWhatBoots(config)) return config;
    const kernel = await pickKernel(folder);
    if (!kernel) return undefined; // cancelled: VS Code aborts the launch quietly
    if (noLaunchJson) return defaultLaunchConfig(kernel.fsPath, folder?.uri.fsPath) as vscode.DebugConfiguration;
    return { ...config, kernel: kernel.fsPath };
  }
}

/** Multiboot ELFs under build/ or target/; if there are none, anywhere in the folder (up to 200 files looked at). */
export async function findKernels(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.Uri[]> {
  const base = folder ?? vscode.workspace.workspaceFolders?.[0];
  if (!base) return [];
  let files = await vscode.workspace.findFiles(new vscode.RelativePattern(base, SEARCH), EXCLUDE, 200);
  let kernels = await filterKernels(files);
  if (kernels.length === 0) {
    files = await vscode.workspace.findFiles(new vscode.RelativePattern(base, '**/*.{elf,bin,kernel}'), EXCLUDE, 200);
    kernels = await filterKernels(files);
  }
  const byPath = new Map(kernels.map((u) => [vscode.workspace.asRelativePath(u, false), u]));
  return rankKernelPaths([...byPath.keys()]).map((p) => byPath.get(p)!);
}

async function filterKernels(files: vscode.Uri[]): Promise<vscode.Uri[]> {
  const out: vscode.Uri[] = [];
  for (const f of files) {
    try {
      const stat = await vscode.workspace.fs.stat(f);
      if (stat.type !== vscode.FileType.File || stat.size < 64) continue;
      const bytes = await vscode.workspace.fs.readFile(f);
      if (isMultibootKernel(bytes.subarray(0, 32768))) out.push(f);
    } catch {
      // unreadable: not a candidate
    }
  }
  return out;
}

async function pickKernel(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.Uri | undefined> {
  const kernels = await findKernels(folder);
  if (kernels.length === 1) return kernels[0];
  if (kernels.length > 1) {
    const pick = await vscode.window.showQuickPick(
      kernels.map((u) => ({ label: vscode.workspace.asRelativePath(u, false), uri: u })),
      { title: 'Faultline: which kernel?', placeHolder: 'ELF files with a multiboot header' },
    );
    return pick?.uri;
  }
  const chosen = await vscode.window.showOpenDialog({
    title: 'Faultline: no multiboot kernel found under build/ or target/; choose the kernel ELF',
    canSelectMany: false, defaultUri: folder?.uri, openLabel: 'Debug this kernel',
  });
  if (!chosen?.[0]) return undefined;
  const bytes = await vscode.workspace.fs.readFile(chosen[0]);
  if (!isMultibootKernel(bytes.subarray(0, 32768))) {
    void vscode.window.showErrorMessage(`${vscode.workspace.asRelativePath(chosen[0], false)} is not an ELF with a multiboot header in its first 32 KiB; is it linked with the header section first?`);
    return undefined;
  }
  return chosen[0];
}
