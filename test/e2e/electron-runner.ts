/**
 * The same end-to-end scenarios in desktop VS Code through @vscode/test-electron, for machines that have a
 * VS Code build (CI uses code-server instead: vscode.e2e.ts). test-electron downloads VS Code at run time
 * unless VSCODE_EXECUTABLE names an installed one:
 *
 *   npx tsc -p . ; node scripts/bundle.js
 *   VSCODE_EXECUTABLE=/usr/share/code/code node out/test/e2e/electron-runner.js
 *
 * The extension is loaded from this repo (extensionDevelopmentPath), the tests run inside the extension host
 * (electron-suite.ts) against the fixture workspace.
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT, makeWorkspace } from './workspace';

async function main(): Promise<void> {
  const workspace = makeWorkspace();
  await runTests({
    vscodeExecutablePath: process.env.VSCODE_EXECUTABLE,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(__dirname, 'electron-suite.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
}

main().catch((e) => {
  console.error(`electron e2e failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
