// Node's 'zlib' as emulator/png.ts uses it, for the web bundle: deflateSync writes a valid zlib stream of stored
// (uncompressed) blocks (RFC 1950/1951), which every PNG reader accepts; inflateSync reads such streams back.
'use strict';
function adler32(b) {
  let a = 1, s = 0;
  for (let i = 0; i < b.length; i++) { a = (a + b[i]) % 65521; s = (s + a) % 65521; }
  return ((s << 16) | a) >>> 0;
}
exports.deflateSync = function deflateSync(data) {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; out[1] = 0x01;
  let o = 2;
  for (let k = 0; k < blocks; k++) {
    const from = k * 65535, len = Math.min(65535, data.length - from);
    out[o] = k === blocks - 1 ? 1 : 0;
    out[o + 1] = len & 0xff; out[o + 2] = len >> 8; out[o + 3] = ~len & 0xff; out[o + 4] = (~len >> 8) & 0xff;
    out.set(data.subarray(from, from + len), o + 5);
    o += 5 + len;
  }
  const c = adler32(data);
  out[o] = c >>> 24; out[o + 1] = (c >>> 16) & 0xff; out[o + 2] = (c >>> 8) & 0xff; out[o + 3] = c & 0xff;
  return out;
};
exports.inflateSync = function inflateSync(z) {
  const parts = [];
  let o = 2, last = 0;
  while (!last) {
    const h = z[o];
    if ((h & 6) !== 0) throw new Error('compressed deflate blocks cannot be read in VS Code for the Web');
    last = h & 1;
    const len = z[o + 1] | (z[o + 2] << 8);
    parts.push(z.subarray(o + 5, o + 5 + len));
    o += 5 + len;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
