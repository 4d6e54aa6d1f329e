/**
 * Re-records test/extension/recorded/*.json from the live adapter:
 *   npx tsc -p . ; node scripts/bundle.js ; node out/test/extension/record-live.js
 * Review the diff: the unit tests assert on these responses.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, endsInTripleFault, liveSkipReason, reachedDoubleFault, runLive } from './live-adapter';

const DIR = path.join(ROOT, 'test', 'extension', 'recorded');

function write(name: string, body: unknown, compactArray?: string): void {
  let text = JSON.stringify(body, null, 1);
  if (compactArray && body && typeof body === 'object') {
    // One array element per line keeps 256 IDT gates reviewable.
    const b = body as Record<string, unknown[]>;
    const rest = { ...b, [compactArray]: undefined };
    text = JSON.stringify(rest, null, 1).replace(/\n}$/, `,\n "${compactArray}": [\n${b[compactArray].map((x) => '  ' + JSON.stringify(x)).join(',\n')}\n ]\n}`);
  }
  fs.writeFileSync(path.join(DIR, name + '.json'), text + '\n');
  console.log('wrote', name);
}

async function main(): Promise<void> {
  for (const [kernel, tag, done] of [
    ['stack-overflow-no-ist.elf', 'stack-overflow-no-ist', endsInTripleFault],
    ['ist-double-fault.elf', 'ist-double-fault', reachedDoubleFault],
  ] as const) {
    const skip = liveSkipReason(kernel);
    if (skip) { console.error(`skipping ${kernel}: ${skip}`); continue; }
    const r = await runLive(kernel, done);
    write(`faultChain-${tag}`, r.faultChain);
    write(`gdt-${tag}`, r.gdt, 'entries');
    write(`idt-${tag}`, r.idt, 'gates');
    write(`tss-${tag}`, r.tss);
    write(`screen-${tag}`, r.screen);
    if (tag === 'stack-overflow-no-ist') {
      write('pageTable-root', r.pageTableRoot);
      r.pageTableChildren.forEach((t) => write(`pageTable-${t.level.toLowerCase()}`, t, 'entries'));
      write('pageWalk-guard', r.pageWalk);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
