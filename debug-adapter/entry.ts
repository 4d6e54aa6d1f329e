/**
 * dist/debug-adapter.js, what VS Code starts: runs the adapter's bundle (dist/debug-adapter-main.js, from main.ts)
 * through V8's code cache (emulator/compile-cache.ts), so an F5 does not wait for 2.5 MB of JavaScript to compile.
 */
import * as path from 'node:path';
import { runBundle } from '../emulator/compile-cache';

runBundle(path.join(__dirname, 'debug-adapter-main.js'), module, require);
