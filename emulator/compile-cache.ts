import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/**
 * Start-up of the CLI and the debug adapter (dist/cli.js, dist/debug-adapter.js): each is a small launcher that
 * runs its bundle (dist/cli-main.js, dist/debug-adapter-main.js) through V8's code cache. Node 20 compiles a
 * 1-2.5 MB bundle on every start (about 100 ms of a `faultline --help`, and of every F5 before the adapter
 * answers), then each function again when it first runs; V8 can save both (Script.createCachedData after the
 * run holds every function compiled so far) and load them on the next start. Node 22's module.enableCompileCache
 * does the same for every module; this is that, for our two bundles, on the Node we support.
 *
 * The cache is one file per bundle in $XDG_CACHE_HOME/faultline/v8 (~/.cache/faultline/v8; %LOCALAPPDATA% on
 * Windows), named by the bundle's name, size and modification time, Node's version and architecture. V8 checks
 * the data against the source and its own flags and rejects what does not fit; the bundle then compiles as
 * usual and the cache is written again at exit. A cache that cannot be read or written (read-only home) is
 * skipped without a word. FAULTLINE_NO_COMPILE_CACHE=1 turns it off.
 *
 * Public API: runBundle(file, module, require), cacheFileFor(file, stat).
 */

/** How long a process runs before its cache is written if it has not exited (a debug session's first stop is sooner). */
const WRITE_AFTER_MS = 10_000;
/** A cache V8 accepted is replaced by this run's when that is this many times its size (a run that did much more). */
const GROWN = 1.25;

/** The cache file for a bundle, or undefined when the cache is off or there is no place for it. */
export function cacheFileFor(file: string, stat: fs.Stats): string | undefined {
  if (process.env.FAULTLINE_NO_COMPILE_CACHE === '1') return undefined;
  const base = process.env.XDG_CACHE_HOME || (process.platform === 'win32' ? process.env.LOCALAPPDATA : undefined) || path.join(os.homedir(), '.cache');
  if (!base) return undefined;
  const key = fnv1a64(`${file}\0${stat.size}\0${stat.mtimeMs}\0${process.version}\0${process.arch}`);
  return path.join(base, 'faultline', 'v8', `${path.basename(file, '.js')}-${key}.bin`);
}

/**
 * 64-bit FNV-1a of the string's UTF-16 code units, as 16 hex digits: a name for the cache file, not a
 * guard (V8 checks the data against the source). Not node:crypto's SHA-1, whose loading alone costs every
 * start ~9 ms of CPU: more than the rest of this launcher.
 */
function fnv1a64(s: string): string {
  // The 64-bit state as two 32-bit halves; the prime 2^40 + 0x1b3 multiplies as lo * 0x1b3 + (lo << 8 in hi).
  let hi = 0xcbf29ce4, lo = 0x84222325;
  for (let i = 0; i < s.length; i++) {
    lo = (lo ^ s.charCodeAt(i)) >>> 0;
    const l = lo * 0x1b3;
    const h = hi * 0x1b3 + (lo << 8) + Math.floor(l / 2 ** 32);
    lo = l >>> 0;
    hi = h >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/**
 * Run the CommonJS bundle `file` as if it were the launcher itself: its `module`, `exports` and `require`, so
 * `require.main === module` holds in the bundle when the launcher is the program; __filename and __dirname are
 * the bundle's (beside the launcher, in dist/).
 */
export function runBundle(file: string, mod: NodeModule, req: NodeRequire): void {
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = cacheFileFor(file, fs.statSync(file));
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try { cachedData = fs.readFileSync(cacheFile); } catch { /* no cache yet */ }
  }
  // The same wrapper Node's CommonJS loader puts around a module's source.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  if (cacheFile) {
    // Later, the script's cache holds the functions this run compiled too, not just the top level: at exit, or
    // after WRITE_AFTER_MS for a process that is killed rather than exits (an adapter VS Code stops). It is
    // written when there was none (or V8 rejected it), and again when this run compiled much more than it held:
    // a first `faultline --help` would otherwise leave the emulator's functions out of every later start's cache.
    const had = cachedData === undefined || script.cachedDataRejected ? 0 : cachedData.length;
    let done = false;
    const write = (): void => {
      if (done) return;
      done = true;
      const data = script.createCachedData();
      if (had === 0 || data.length > GROWN * had) writeCache(cacheFile, data);
    };
    process.once('exit', write);
    setTimeout(write, WRITE_AFTER_MS).unref();
  }
  const fn = script.runInThisContext() as (e: unknown, r: NodeRequire, m: NodeModule, f: string, d: string) => void;
  fn.call(mod.exports, mod.exports, req, mod, file, path.dirname(file));
}

function writeCache(cacheFile: string, data: Buffer): void {
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    // Written aside and renamed: two processes starting at once never read half a file.
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, cacheFile);
    // The caches of earlier builds of this bundle (another size or time in the name) are of no more use.
    const dir = path.dirname(cacheFile), name = path.basename(cacheFile), prefix = name.slice(0, name.lastIndexOf('-') + 1);
    for (const f of fs.readdirSync(dir)) if (f !== name && f.startsWith(prefix) && f.endsWith('.bin')) fs.rmSync(path.join(dir, f), { force: true });
  } catch {
    /* no cache this time */
  }
}
