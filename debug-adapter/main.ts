/**
 * The debug adapter as a program: `node dist/debug-adapter.js` (or `faultline dap`) speaks DAP on stdio;
 * `--port N` serves DAP on 127.0.0.1:N instead, one session per connection (0 picks a free port; the port is
 * printed on stderr), for editors that attach to a running adapter (nvim-dap, dap-mode, Helix).
 */
import * as net from 'node:net';
import { nodeHost } from './node-host';
import { FaultlineSession } from './session';

process.on('uncaughtException', (e) => {
  process.stderr.write(`faultline debug adapter: uncaught ${e?.stack ?? e}\n`);
});
process.on('unhandledRejection', (e) => {
  process.stderr.write(`faultline debug adapter: unhandled rejection ${(e as Error)?.stack ?? e}\n`);
});

/** Run the adapter with these arguments (`[]` or `['--port', N]`); returns an exit status on bad arguments. */
export function serveDap(args: string[]): number | undefined {
  if (args.length === 0) {
    const session = new FaultlineSession(undefined, nodeHost);
    process.on('SIGTERM', () => session.shutdown());
    session.start(process.stdin, process.stdout);
    return undefined;
  }
  const port = args[0] === '--port' && args.length === 2 && /^\d+$/.test(args[1]) ? Number(args[1]) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    process.stderr.write('faultline dap: usage: faultline dap [--port N]  (no option: DAP on stdio; --port: DAP on 127.0.0.1:N, 0 picks a free port)\n');
    return 2;
  }
  const server = net.createServer((socket) => {
    const session = new FaultlineSession(undefined, nodeHost);
    session.setRunAsServer(true); // a session's end closes its connection, not the process
    socket.on('error', () => undefined);
    // A client gone without 'disconnect' (editor closed): end its session as 'disconnect' would.
    socket.on('close', () => session.handleMessage({ seq: 0, type: 'request', command: 'disconnect', arguments: {} } as never));
    session.start(socket, socket);
  });
  server.on('error', (e: NodeJS.ErrnoException) => {
    process.stderr.write(`faultline dap: cannot listen on 127.0.0.1:${port} (${e.code === 'EADDRINUSE' ? 'the port is in use; choose another' : e.code ?? e.message})\n`);
    process.exitCode = 2;
  });
  server.listen(port, '127.0.0.1', () => {
    process.stderr.write(`faultline dap: listening on 127.0.0.1:${(server.address() as net.AddressInfo).port}\n`);
  });
  return undefined;
}

if (require.main === module) {
  const status = serveDap(process.argv.slice(2));
  if (status !== undefined) process.exitCode = status;
}
