/** dist/cli.js: runs the CLI's bundle (dist/cli-main.js, from cli.ts) through V8's code cache (compile-cache.ts). */
import * as path from 'node:path';
import { runBundle } from './compile-cache';

runBundle(path.join(__dirname, 'cli-main.js'), module, require);
