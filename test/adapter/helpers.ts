/** Shared paths and a DebugClient factory for the adapter tests (real adapter over stdio, real fixtures). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const ADAPTER = path.join(ROOT, 'dist', 'debug-adapter.js');
export const FIXTURES = path.join(ROOT, 'fixtures', 'bin');

export function fixture(name: string): string {
  return path.join(FIXTURES, `${name}.elf`);
}

export function hasFixture(name: string): boolean {
  return fs.existsSync(fixture(name));
}

export async function startClient(): Promise<DebugClient> {
  if (!fs.existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: run npx tsc -p . && node scripts/bundle.js`);
  const dc = new DebugClient('node', ADAPTER, 'faultline');
  dc.defaultTimeout = 20_000;
  await dc.start();
  await dc.initializeRequest({ adapterID: 'faultline', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  return dc;
}

/** Expect a request to fail; returns the error message. */
export async function expectError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the request succeeded but an error response was expected');
}

/** Launch `kernel` with these exception filters (plus `launch` attributes) and wait for the first stop. */
export async function launchAndStop(dc: DebugClient, kernel: string, filters: string[], launch: object = {}): Promise<DebugProtocol.StoppedEvent> {
  return launchArgsAndStop(dc, { kernel: fixture(kernel), ...launch }, filters);
}

/** Launch with these launch.json attributes and exception filters and wait for the first stop. */
export async function launchArgsAndStop(dc: DebugClient, args: object, filters: string[]): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  const configured = dc.waitForEvent('initialized').then(async () => {
    await dc.setExceptionBreakpointsRequest({ filters });
    await dc.configurationDoneRequest();
  });
  await Promise.all([dc.launchRequest(args as DebugProtocol.LaunchRequestArguments), configured]);
  return stopped;
}
