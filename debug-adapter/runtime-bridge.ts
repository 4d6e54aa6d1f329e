/**
 * Where the adapter gets the Machine and the inspection decoders. Both are being written in parallel with
 * the adapter; they are loaded with `require` inside try/catch so the adapter builds (and says clearly what
 * is missing) before they exist, and bundles them as soon as they do.
 */
import type { MachineOptions, Runtime } from '../emulator/api';
import type { DescriptorInfo, GateInfo, MemoryReader, PageTableEntryInfo, PageWalkResult, TssInfo } from '../emulator/inspect/types';

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

/** The decoder functions the custom requests need (emulator/inspect/*.ts). */
export interface InspectDecoders {
  gdt?: (read: MemoryReader, base: bigint, limit: number) => DescriptorInfo[];
  idt?: (read: MemoryReader, base: bigint, limit: number) => GateInfo[];
  tss?: (read: MemoryReader, base: bigint, limit: number) => TssInfo;
  pageWalk?: (read: MemoryReader, address: bigint, regs: { cr0: bigint; cr3: bigint; cr4: bigint; efer: bigint }) => PageWalkResult;
  pageTable?: (read: MemoryReader, physAddr: bigint, level: string, baseVirtual: bigint, mode: string) => PageTableEntryInfo[];
}

type AnyFn = (...a: unknown[]) => unknown;

function load(loader: () => Record<string, unknown>, names: string[]): AnyFn | undefined {
  let mod: Record<string, unknown>;
  try {
    mod = loader();
  } catch {
    return undefined;
  }
  for (const n of names) if (typeof mod[n] === 'function') return mod[n] as AnyFn;
  return undefined;
}

let decoders: InspectDecoders | undefined;

/** The decoders that exist in this build (each may be missing while emulator/inspect is in progress). */
export function inspectDecoders(): InspectDecoders {
  if (decoders) return decoders;
  /* eslint-disable @typescript-eslint/no-require-imports */
  decoders = {
    gdt: load(() => require('../emulator/inspect/gdt'), ['decodeGdt', 'readGdt', 'gdt']) as InspectDecoders['gdt'],
    idt: load(() => require('../emulator/inspect/idt'), ['decodeIdt', 'readIdt', 'idt']) as InspectDecoders['idt'],
    tss: load(() => require('../emulator/inspect/tss'), ['decodeTss', 'readTss', 'tss']) as InspectDecoders['tss'],
    pageWalk: load(() => require('../emulator/inspect/pagewalk'), ['walkPage', 'pageWalk', 'walk']) as InspectDecoders['pageWalk'],
    pageTable: load(() => require('../emulator/inspect/pagewalk'), ['decodePageTable', 'readPageTable', 'pageTable']) as InspectDecoders['pageTable'],
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return decoders;
}
