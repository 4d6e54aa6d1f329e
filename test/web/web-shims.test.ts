/**
 * The web bundle's stand-ins for Node modules (scripts/web-shims): the zlib shim's stored-block streams are
 * real zlib that Node's inflate (and so every PNG reader) accepts, and a PNG made with it decodes to the
 * same pixels; the fs shim says there is no file system instead of returning anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { ROOT } from '../adapter/helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const shim = require(path.join(ROOT, 'scripts', 'web-shims', 'zlib.js')) as { deflateSync(b: Uint8Array): Uint8Array; inflateSync(b: Uint8Array): Uint8Array };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fsShim = require(path.join(ROOT, 'scripts', 'web-shims', 'fs.js')) as { readFileSync(p: string): never; existsSync(p: string): boolean };

test('the zlib shim writes streams Node inflates back, across the 65535-byte block boundary', () => {
  for (const n of [0, 1, 65535, 65536, 200_001]) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = (i * 7919 + (i >> 9)) & 0xff;
    const z = shim.deflateSync(data);
    assert.deepEqual(new Uint8Array(inflateSync(z)), data, `${n} bytes`);
    assert.deepEqual(shim.inflateSync(z), data, `${n} bytes through the shim's own inflate`);
  }
});

test('the fs shim refuses to read and finds no files', () => {
  assert.throws(() => fsShim.readFileSync('/usr/share/seabios/bios.bin'), /no local file system in VS Code for the Web/);
  assert.equal(fsShim.existsSync('/'), false);
});
