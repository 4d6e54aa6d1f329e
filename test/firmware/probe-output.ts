/**
 * Parser for the lowmem-probe's COM1 output (fixtures/src/lowmem-probe/probe.c): hex dumps ("PREFIX +0010:
 * xx xx ..." and folded "PREFIX +0020..+005f: zero") become byte arrays by prefix; every other line is a fact.
 */
export interface ProbeOutput {
  lines: string[];
  dumps: Map<string, Uint8Array>;
}

const DUMP = /^(.+) \+([0-9a-f]{4}): ((?:[0-9a-f]{2} ?)+)$/;
const ZERO = /^(.+) \+([0-9a-f]{4})\.\.\+([0-9a-f]{4}): zero$/;

export function parseProbe(text: string): ProbeOutput {
  const lines: string[] = [];
  const parts = new Map<string, Map<number, number>>();
  const bytes = (prefix: string) => {
    let m = parts.get(prefix);
    if (!m) parts.set(prefix, (m = new Map()));
    return m;
  };
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('[faultline]')) continue;
    const d = DUMP.exec(line);
    const z = ZERO.exec(line);
    if (d) {
      const at = parseInt(d[2], 16);
      d[3].trim().split(' ').forEach((b, i) => bytes(d[1]).set(at + i, parseInt(b, 16)));
    } else if (z) {
      for (let a = parseInt(z[2], 16); a <= parseInt(z[3], 16); a++) bytes(z[1]).set(a, 0);
    } else {
      lines.push(line);
    }
  }
  const dumps = new Map<string, Uint8Array>();
  for (const [prefix, m] of parts) {
    const out = new Uint8Array(Math.max(...m.keys()) + 1);
    for (const [a, v] of m) out[a] = v;
    dumps.set(prefix, out);
  }
  return { lines, dumps };
}

/** Copy of `bytes` with the given offsets zeroed (fields that differ for a documented reason). */
export function without(bytes: Uint8Array | undefined, offsets: number[]): number[] {
  if (!bytes) return [];
  const out = [...bytes];
  for (const o of offsets) if (o < out.length) out[o] = 0;
  return out;
}

export const range = (start: number, end: number): number[] => Array.from({ length: end - start }, (_, i) => start + i);
