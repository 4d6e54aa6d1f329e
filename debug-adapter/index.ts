/**
 * In-process use by the extension: `new vscode.DebugAdapterInlineImplementation(createFaultlineSession())`
 * (a FaultlineSession implements vscode.DebugAdapter's handleMessage/onDidSendMessage). This is the Node
 * library (files through node-host.ts); VS Code for the Web builds its session in extension/web-adapter.ts.
 */
import type { AdapterHost } from './host';
import { nodeHost } from './node-host';
import { FaultlineSession } from './session';
import type { RuntimeFactory } from './runtime-bridge';

export { FaultlineSession } from './session';
export { nodeHost } from './node-host';
export type { AdapterHost, PathOps } from './host';
export { defaultRuntimeFactory, type RuntimeFactory } from './runtime-bridge';
export * from './protocol';

/** A session reading files with Node's fs unless another host is given. */
export function createFaultlineSession(factory?: RuntimeFactory, host: AdapterHost = nodeHost): FaultlineSession {
  return new FaultlineSession(factory, host);
}
