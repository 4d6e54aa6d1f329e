/**
 * Guest states that once hung or crashed the machine (found by the fuzzer, test/fuzz/). Each scenario is a
 * function that builds the state on a fresh Machine and runs it; robustness.test.ts runs them in a worker
 * thread so a regression to an endless host loop fails the test on a wall-clock timeout instead of hanging it.
 */
import { StopInfo } from '../../emulator/api';
import { Machine } from '../../emulator/machine';
import { Attr, Cr0, Seg } from '../../emulator/cpu/state';

const GDT = 0x5000, IDT = 0x6000, HANDLER = 0x10000;

/** Flat 32-bit protected mode, paging off, every IDT gate a 32-bit interrupt gate to HANDLER. */
export function flat32(handlerCode: number[]): Machine {
  const m = Machine.create({ memoryMB: 2, onTripleFault: 'stop' });
  m.reset();
  const c = m.cpu, dv = m.mem.view;
  dv.setUint32(GDT + 8, 0x0000ffff, true); dv.setUint32(GDT + 12, 0x00cf9a00, true); // 0x08 code
  dv.setUint32(GDT + 16, 0x0000ffff, true); dv.setUint32(GDT + 20, 0x00cf9200, true); // 0x10 data
  for (let v = 0; v < 256; v++) {
    dv.setUint32(IDT + 8 * v, (0x08 << 16) | (HANDLER & 0xffff), true);
    dv.setUint32(IDT + 8 * v + 4, (HANDLER & 0xffff0000) | 0x8e00, true);
  }
  m.mem.u8.set(handlerCode, HANDLER);
  c.cr0 = Cr0.PE | Cr0.ET | Cr0.NE;
  c.gdtrBase = GDT; c.gdtrLimit = 0x17; c.idtrBase = IDT; c.idtrLimit = 0x7ff;
  const data = 0x3 | Attr.S | Attr.P | Attr.DB | Attr.G;
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) { c.segSel[s] = 0x10; c.segBase[s] = 0; c.segLimit[s] = 0xffffffff; c.segAttr[s] = data; }
  c.segSel[Seg.CS] = 0x08; c.segBase[Seg.CS] = 0; c.segLimit[Seg.CS] = 0xffffffff; c.segAttr[Seg.CS] = 0xb | Attr.S | Attr.P | Attr.DB | Attr.G;
  c.setCpl(0);
  c.updateMode();
  c.flushTlb();
  c.setReg32(4, 0x80000); // room for 38000 12-byte frames above the handler
  c.rip = HANDLER;
  return m;
}

/** The #UD handler is itself UD2: every delivery succeeds and no instruction ever retires. */
export function deliveryLoop(budget: number): { stop: StopInfo; raised: number; delivered: number } {
  const m = flat32([0x0f, 0x0b]);
  let raised = 0, delivered = 0;
  m.on('exception', (e) => { if (e.phase === 'raised') raised++; else if (e.phase === 'delivered') delivered++; });
  const stop = m.run(budget);
  return { stop: { reason: stop.reason }, raised, delivered };
}

/** A kernel that triple-faults about every 14,000 instructions, with onTripleFault 'reset': a boot loop. */
export function bootLoop(kernelPath: string, budget: number): { stop: StopInfo; resets: number; instructions: number } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'reset' });
  let resets = 0;
  m.on('reset', () => resets++);
  m.boot(new Uint8Array(fs.readFileSync(kernelPath)));
  const stop = m.run(budget);
  return { stop: { reason: stop.reason }, resets, instructions: m.instructionCount };
}

/** `mov eax, 0x20000; jmp eax` with 32-bit paging where page 0x20000 is not present: #PF on the fetch. */
export function fetchFault(): { raised: { rip: string; cr2: string; errorCode?: number }[]; pushedEip: number } {
  const m = flat32([0xb8, 0x00, 0x00, 0x02, 0x00, 0xff, 0xe0]);
  const c = m.cpu, dv = m.mem.view;
  dv.setUint32(0x1000, 0x2000 | 3, true);
  for (let p = 0; p < 512; p++) if (p !== 0x20) dv.setUint32(0x2000 + 4 * p, (p * 4096) | 3, true);
  c.cr3 = 0x1000;
  c.cr0 |= Cr0.PG;
  c.flushTlb();
  const raised: { rip: string; cr2: string; errorCode?: number }[] = [];
  m.on('exception', (e) => { if (e.phase === 'raised') raised.push({ rip: e.rip.toString(16), cr2: e.cr2.toString(16), errorCode: e.errorCode }); });
  m.run(3); // mov, jmp; then the fetch at 0x20000 faults and #PF is delivered (frame: error code, EIP, CS, EFLAGS)
  return { raised, pushedEip: dv.getUint32((c.r[8] >>> 0) + 4, true) };
}
