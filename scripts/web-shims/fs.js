// Node's 'fs' for the web bundle: VS Code for the Web reads files through vscode.workspace.fs (AdapterHost), so
// the Node-only paths that remain linked (disk images, the VGA BIOS font) find no file system and say so.
'use strict';
function none(p) {
  const e = new Error(`${p}: there is no local file system in VS Code for the Web`);
  e.code = 'ENOENT';
  throw e;
}
exports.readFileSync = none;
exports.statSync = none;
exports.openSync = none;
exports.existsSync = () => false;
