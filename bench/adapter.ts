/**
 * Adapter latency after a stop: stackTrace + scopes + variables (every scope) on the fixture kernels, over
 * the real stdio adapter (dist/debug-adapter.js). Reported by `npm run bench`; the goal is < 20 ms.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';

export interface AdapterBenchResult { kernel: string; stopReason: string; samples: number; medianMs: number; maxMs: number; launchToStopMs: number; startMs: number }

const ROOT = path.resolve(__dirname, '..', '..');

export async function benchAdapter(kernels = ['stack-overflow-no-ist', 'ist-double-fault', 'breakpoint'], samples = 20): Promise<AdapterBenchResult[]> {
  const results: AdapterBenchResult[] = [];
  for (const kernel of kernels) {
    const file = path.join(ROOT, 'fixtures', 'bin', `${kernel}.elf`);
    if (!fs.existsSync(file)) continue;
    const dc = new DebugClient('node', path.join(ROOT, 'dist', 'debug-adapter.js'), 'faultline');
    // Start -> initialized: the adapter process's start-up (Node, the bundle through V8's code cache) as VS Code
    // waits for it before it can even send the launch request.
    const tStart = performance.now();
    await dc.start();
    try {
      await dc.initializeRequest({ adapterID: 'faultline', pathFormat: 'path' });
      const startMs = performance.now() - tStart;
      // Launch -> first stop: from the launch request to the stopped event (boot, run, diagnosis).
      const tLaunch = performance.now();
      const stopped = dc.waitForEvent('stopped', 60_000).then((e) => ({ e, at: performance.now() }));
      // Configure when the adapter asks (initialized): the default filters plus #BP, so the breakpoint kernel
      // stops at its int3 too. The launch response comes only after configurationDone.
      const configured = dc.waitForEvent('initialized').then(async () => {
        await dc.setExceptionBreakpointsRequest({ filters: ['double-fault', 'triple-fault', 'escalation', 'vector-3'] });
        await dc.configurationDoneRequest();
      });
      await Promise.all([dc.launchRequest({ kernel: file } as never), configured]);
      const { e: ev, at } = await stopped;
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        const st = await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
        const sc = await dc.scopesRequest({ frameId: st.body.stackFrames[0]?.id ?? 1 });
        await Promise.all(sc.body.scopes.map((s) => dc.variablesRequest({ variablesReference: s.variablesReference })));
        times.push(performance.now() - t0);
        // a fresh stop recomputes everything: invalidate the adapter's per-stop caches with a no-op register write
        await dc.setVariableRequest({ variablesReference: sc.body.scopes[0].variablesReference, name: 'RAX', value: (await dc.evaluateRequest({ expression: 'rax' })).body.result.split(' ')[0] });
      }
      times.sort((a, b) => a - b);
      results.push({ kernel, stopReason: String(ev.body?.reason), samples, medianMs: times[times.length >> 1], maxMs: times[times.length - 1], launchToStopMs: at - tLaunch, startMs });
    } finally {
      await dc.stop();
    }
  }
  return results;
}
