/**
 * Drives the bundled debug adapter (dist/debug-adapter.js) over stdio with DebugClient, runs a fixture kernel
 * until a stop that `done` accepts, and collects every faultline/* response the views use. Shared by
 * live.test.ts and record-live.ts (which re-records test/extension/recorded/ from it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type {
  FaultChainResponseBody, GdtResponseBody, IdtResponseBody, PageTableResponseBody, PageWalkResponseBody,
  ScreenResponseBody, TssResponseBody,
} from '../../debug-adapter/protocol';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const ADAPTER = path.join(ROOT, 'dist', 'debug-adapter.js');

export interface LiveResponses {
  faultChain: FaultChainResponseBody;
  gdt: GdtResponseBody;
  idt: IdtResponseBody;
  tss: TssResponseBody;
  pageTableRoot: PageTableResponseBody;
  /** The tables under the first present entry, level by level (PDPT, PD, PT) when there are any. */
  pageTableChildren: PageTableResponseBody[];
  /** The walk of the last #PF's CR2 (or of RIP). */
  pageWalk: PageWalkResponseBody;
  screen: ScreenResponseBody;
  stops: number;
}

export function liveSkipReason(kernel: string): string | undefined {
  if (!fs.existsSync(ADAPTER)) return 'dist/debug-adapter.js is not built (node scripts/bundle.js)';
  if (!fs.existsSync(path.join(ROOT, 'fixtures', 'bin', kernel))) return `fixtures/bin/${kernel} is missing`;
  return undefined;
}

async function custom<T>(dc: DebugClient, command: string, args: object = {}): Promise<T> {
  return (await dc.customRequest(command, args)).body as T;
}

/** Launches `kernel`, continues from stop to stop (at most 8) until `done(chain)`, then queries every view. */
/** Run `kernel` with the default filters, continuing until `done(chain)`; then `stepIns` Step Into requests. */
export async function runLive(kernel: string, done: (c: FaultChainResponseBody) => boolean, stepIns = 0): Promise<LiveResponses> {
  const dc = new DebugClient(process.execPath, ADAPTER, 'faultline');
  dc.defaultTimeout = 30_000;
  await dc.start();
  try {
    await dc.initializeRequest({ adapterID: 'faultline', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const stopped = dc.waitForEvent('stopped', 60_000);
    await dc.launch({ kernel: path.join(ROOT, 'fixtures', 'bin', kernel), onTripleFault: 'stop', memoryMB: 32 } as object);
    await dc.configurationDoneRequest();
    await stopped;
    let stops = 1;
    let chain = await custom<FaultChainResponseBody>(dc, 'faultline/faultChain');
    while (!done(chain) && stops < 8) {
      const next = dc.waitForEvent('stopped', 60_000);
      await dc.continueRequest({ threadId: 1 });
      await next;
      stops++;
      chain = await custom<FaultChainResponseBody>(dc, 'faultline/faultChain');
    }
    for (let i = 0; i < stepIns; i++) {
      const next = dc.waitForEvent('stopped', 60_000);
      await dc.stepInRequest({ threadId: 1 });
      await next;
      chain = await custom<FaultChainResponseBody>(dc, 'faultline/faultChain');
    }
    const pageTableRoot = await custom<PageTableResponseBody>(dc, 'faultline/pageTable');
    const pageTableChildren: PageTableResponseBody[] = [];
    let table = pageTableRoot;
    while (table.entries?.[0]?.next && !table.entries[0].largePage && pageTableChildren.length < 3) {
      const e = table.entries[0];
      table = await custom<PageTableResponseBody>(dc, 'faultline/pageTable', { physAddr: e.next!.physAddr, level: e.next!.level, baseVirtual: e.covers[0] });
      pageTableChildren.push(table);
    }
    const pf = [...chain.links].reverse().find((l) => l.vector === 14);
    const address = pf?.cr2 ?? chain.links.at(-1)?.rip ?? '0x100000';
    return {
      faultChain: chain,
      gdt: await custom(dc, 'faultline/gdt'),
      idt: await custom(dc, 'faultline/idt'),
      tss: await custom(dc, 'faultline/tss'),
      pageTableRoot, pageTableChildren,
      pageWalk: await custom(dc, 'faultline/pageWalk', { address }),
      screen: await custom(dc, 'faultline/screen'),
      stops,
    };
  } finally {
    await dc.disconnectRequest({ terminateDebuggee: true }).catch(() => undefined);
    await dc.stop();
  }
}

export const endsInTripleFault = (c: FaultChainResponseBody) => c.links.some((l) => l.phase === 'tripleFault');
export const reachedDoubleFault = (c: FaultChainResponseBody) => c.links.some((l) => l.vector === 8);
