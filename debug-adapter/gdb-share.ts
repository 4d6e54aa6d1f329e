/**
 * launch.json `gdbPort`: the gdb server (emulator/gdb) on the session's own machine, so gdb and VS Code look
 * at one machine. The semantics, kept simple: one driver at a time. gdb may read and write registers and
 * memory whenever it asks; it may run the machine (continue, stepi, reverse) only while VS Code is stopped,
 * and VS Code then shows the machine running and stops with gdb ("stopped by gdb"); VS Code's Continue or
 * Step while gdb runs it is refused, and VS Code's Pause interrupts gdb's run (gdb sees SIGINT). VS Code's
 * breakpoints and exception filters apply to every run; gdb's breakpoints only to the runs gdb starts; gdb's
 * watchpoints are not offered (use data breakpoints in VS Code). gdb's `kill` only disconnects gdb.
 */
import type { Runtime, StopInfo } from '../emulator/api';
import type { ElfFile } from '../emulator/boot';
import { GdbServer } from '../emulator/gdb/server';
import type { Machine } from '../emulator/machine';

export interface GdbShareHooks {
  /** VS Code's session is running the machine. */
  running(): boolean;
  /** VS Code's breakpoint addresses. */
  breakpoints(): Set<bigint>;
  /** gdb started running the machine. */
  continued(): void;
  /** gdb's run stopped. */
  stopped(stop: StopInfo): void;
  log(line: string): void;
}

/** Start the server on 127.0.0.1:port for this runtime; resolves with the port it listens on. */
export async function shareWithGdb(rt: Runtime, port: number, elf: ElfFile | undefined, hooks: GdbShareHooks): Promise<{ server: GdbServer; port: number }> {
  if (!('history' in rt) || !('cpu' in rt)) throw new Error('gdbPort needs the Faultline machine as the runtime');
  const server = new GdbServer(rt as unknown as Machine, {
    port, wait: true, elf, log: (l) => hooks.log(`gdb: ${l}`),
    shared: { busy: hooks.running, keep: hooks.breakpoints, resumed: hooks.continued, stopped: hooks.stopped },
  });
  return { server, port: await server.listen() };
}
