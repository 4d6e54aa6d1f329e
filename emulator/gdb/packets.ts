/**
 * GDB remote serial protocol framing (gdb manual, "Overview" of Remote Protocol): `$payload#cs` packets with a
 * two-hex-digit modulo-256 checksum, `}` escapes (the byte after it XOR 0x20), `+`/`-` acknowledgements, and
 * the out-of-band interrupt byte 0x03 (Ctrl-C). Pure: bytes in, packets and events out; the server owns the
 * socket.
 */

/** What the reader found in the byte stream, in order. */
export type Incoming =
  | { kind: 'packet'; payload: Buffer }
  | { kind: 'interrupt' }
  /** A packet whose checksum did not match (the server answers `-` so gdb resends). */
  | { kind: 'bad-checksum' }
  /** A packet larger than the reader accepts: dropped whole (the server answers `-` and an error). */
  | { kind: 'too-long' }
  | { kind: 'ack' }
  | { kind: 'nack' };

/** Largest packet we accept (and advertise as PacketSize); anything longer is dropped. */
export const MAX_PACKET = 0x4000;

/**
 * Incremental packet reader: feed() bytes as they arrive, get back complete items. Bytes outside a packet
 * other than `+`, `-` and 0x03 are ignored, as gdb's own stubs do.
 */
export class PacketReader {
  private state: 'idle' | 'payload' | 'cs1' | 'cs2' = 'idle';
  private buf: number[] = [];
  private sum = 0;
  private cs = 0;
  private overflow = false;

  feed(data: Uint8Array): Incoming[] {
    const out: Incoming[] = [];
    for (const b of data) {
      switch (this.state) {
        case 'idle':
          if (b === 0x24) { this.state = 'payload'; this.buf = []; this.sum = 0; this.overflow = false; }
          else if (b === 0x03) out.push({ kind: 'interrupt' });
          else if (b === 0x2b) out.push({ kind: 'ack' });
          else if (b === 0x2d) out.push({ kind: 'nack' });
          break;
        case 'payload':
          if (b === 0x23) { this.state = 'cs1'; break; }
          if (b === 0x24) { this.buf = []; this.sum = 0; this.overflow = false; break; } // a new start: gdb resent
          this.sum = (this.sum + b) & 0xff;
          if (this.buf.length < MAX_PACKET) this.buf.push(b);
          else this.overflow = true;
          break;
        case 'cs1':
          this.cs = hexDigit(b) << 4;
          this.state = 'cs2';
          if (this.cs < 0) { this.state = 'idle'; out.push({ kind: 'bad-checksum' }); }
          break;
        case 'cs2': {
          this.state = 'idle';
          const lo = hexDigit(b);
          if (lo < 0 || (this.cs | lo) !== this.sum) { out.push({ kind: 'bad-checksum' }); break; }
          if (this.overflow) { out.push({ kind: 'too-long' }); break; }
          out.push({ kind: 'packet', payload: unescape(this.buf) });
          break;
        }
      }
    }
    return out;
  }
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -256;
}

/** Undo the `}` escapes of binary data (X packets, and any payload gdb escaped). */
function unescape(bytes: number[]): Buffer {
  const out = Buffer.alloc(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x7d && i + 1 < bytes.length) out[n++] = bytes[++i] ^ 0x20;
    else out[n++] = bytes[i];
  }
  return out.subarray(0, n);
}

/** `$payload#cs`, escaping `$`, `#`, `}` and `*` (the run-length marker) in the payload. */
export function framePacket(payload: string | Buffer): Buffer {
  const src = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const body: number[] = [];
  for (const b of src) {
    if (b === 0x24 || b === 0x23 || b === 0x7d || b === 0x2a) body.push(0x7d, b ^ 0x20);
    else body.push(b);
  }
  let sum = 0;
  for (const b of body) sum = (sum + b) & 0xff;
  return Buffer.concat([Buffer.from('$'), Buffer.from(body), Buffer.from('#' + sum.toString(16).padStart(2, '0'))]);
}

/** Bytes as lower-case hex pairs (memory reads, monitor output). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex pairs to bytes; undefined when the text is not whole hex pairs. */
export function fromHex(text: string): Buffer | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}
