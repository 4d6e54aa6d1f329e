/**
 * The debug adapter as a library for a browser (no Node): what extension/web-adapter.ts uses, bundled alone to
 * dist/web/debug-adapter.js with the web extension's settings so a test can drive it with no Node globals.
 */
export { createFaultlineSession, FaultlineSession } from './session';
export { posixPath, type AdapterHost, type PathOps } from './host';
