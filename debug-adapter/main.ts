/** The debug adapter over stdio: `node dist/debug-adapter.js`. */
import { FaultlineSession } from './session';

process.on('uncaughtException', (e) => {
  process.stderr.write(`faultline debug adapter: uncaught ${e?.stack ?? e}\n`);
});
process.on('unhandledRejection', (e) => {
  process.stderr.write(`faultline debug adapter: unhandled rejection ${(e as Error)?.stack ?? e}\n`);
});
const session = new FaultlineSession();
process.on('SIGTERM', () => session.shutdown());
session.start(process.stdin, process.stdout);
