// Node's 'url' as @vscode/debugadapter uses it (URL only), for the web bundle.
'use strict';
exports.URL = globalThis.URL;
