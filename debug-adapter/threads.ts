/**
 * Threads: one per CPU (launch.json smp), "CPU n" as thread THREAD_ID + n. A stop names the CPU that stopped;
 * the views (stack, variables, memory) show the focused CPU, which a stackTrace for another thread changes.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { UserError, type SessionState } from './session-state';

export const THREAD_ID = 1;

export function threads(s: SessionState): DebugProtocol.ThreadsResponse['body'] {
  return { threads: Array.from({ length: s.rt?.cpuCount ?? 1 }, (_, i) => ({ id: THREAD_ID + i, name: `CPU ${i}` })) };
}

/** Show `cpu` in the views; changing it drops the views' cache. */
export function focus(s: SessionState, cpu: number): void {
  const rt = s.rt;
  if (!rt?.selectCpu || !((rt.cpuCount ?? 1) > 1)) return;
  if (!(Number.isInteger(cpu) && cpu >= 0 && cpu < (rt.cpuCount ?? 1))) throw new UserError(`there is no thread ${cpu + THREAD_ID}: the machine has ${rt.cpuCount} CPUs`);
  rt.selectCpu(cpu);
  if (cpu !== s.focusedCpu) s.invalidate();
  s.focusedCpu = cpu;
}
