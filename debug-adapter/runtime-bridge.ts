/**
 * Where the adapter gets the Machine. emulator/machine.ts is being written in parallel with the adapter; it
 * is loaded with `require` inside try/catch so the adapter builds (and says clearly what is missing) before
 * it exists, and bundles it as soon as it does.
 */
import type { MachineOptions, Runtime } from '../emulator/api';

export type RuntimeFactory = (options: MachineOptions) => Runtime;

/** Machine.create from emulator/machine.ts. */
export const defaultRuntimeFactory: RuntimeFactory = (options) => {
  let mod: { Machine?: { create(o: MachineOptions): Runtime } } | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('../emulator/machine');
  } catch (e) {
    throw new Error(`this build of Faultline has no emulator (emulator/machine.ts could not be loaded: ${(e as Error).message}); rebuild with npm run build`);
  }
  if (!mod?.Machine?.create) throw new Error('emulator/machine.ts does not export Machine.create; rebuild with npm run build');
  return mod.Machine.create(options);
};
