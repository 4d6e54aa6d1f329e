/**
 * In-process use by the extension: `new vscode.DebugAdapterInlineImplementation(createFaultlineSession())`
 * (a FaultlineSession implements vscode.DebugAdapter's handleMessage/onDidSendMessage).
 */
export { FaultlineSession, createFaultlineSession } from './session';
export { defaultRuntimeFactory, type RuntimeFactory } from './runtime-bridge';
export * from './protocol';
