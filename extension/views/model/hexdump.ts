/**
 * Hex dump text for Open Memory at Pointer, from a DAP readMemory response (base64 data; bytes past
 * `unreadableBytes` shown as "??", never as zeros). Pure: no `vscode` import.
 */

export function hexDump(startAddress: bigint, data: Uint8Array, requested: number): string {
  const lines: string[] = [];
  const start = startAddress & ~0xfn;
  const skip = Number(startAddress - start);
  const total = skip + requested;
  for (let off = 0; off < total; off += 16) {
    const addr = start + BigInt(off);
    let hexPart = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const k = off + i - skip;
      if (off + i < skip || k >= requested) { hexPart += '   '; ascii += ' '; }
      else if (k >= data.length) { hexPart += '?? '; ascii += '?'; }
      else {
        const b = data[k];
        hexPart += b.toString(16).padStart(2, '0') + ' ';
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      }
      if (i === 7) hexPart += ' ';
    }
    lines.push(`${addr.toString(16).padStart(16, '0')}  ${hexPart}|${ascii}|`);
  }
  return lines.join('\n');
}

/** "0x10_0000", "1048576", "phys:0x1000" → { physical, address }; undefined if not a number. */
export function parseGuestAddress(text: string): { physical: boolean; address: bigint } | undefined {
  let t = text.trim().replace(/_/g, '');
  const physical = t.startsWith('phys:');
  if (physical) t = t.slice(5);
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(t)) return undefined;
  return { physical, address: BigInt(t) };
}
