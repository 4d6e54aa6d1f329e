import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Exit, makeCpu, peek, poke, reg, rflags, runCode, setReg } from '../support/cpu-harness';

const RCX = 1, RSI = 6, RDI = 7, RAX = 0;

test('rep movsb copies forward and leaves RCX=0, RSI/RDI advanced', () => {
  const cpu = makeCpu();
  poke(cpu, 0x2000, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  setReg(cpu, RSI, 0x2000n); setReg(cpu, RDI, 0x3000n); setReg(cpu, RCX, 10n);
  const r = runCode(cpu, [0xf3, 0xa4]);
  assert.equal(r.exit, Exit.BUDGET);
  assert.deepEqual(peek(cpu, 0x3000, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(reg(cpu, RCX), 0n);
  assert.equal(reg(cpu, RSI), 0x200an);
  assert.equal(reg(cpu, RDI), 0x300an);
});

test('rep movsb across pages and with an overlapping destination above the source replicates bytes', () => {
  const cpu = makeCpu();
  const src = 0x2ff0;
  for (let k = 0; k < 64; k++) cpu.mem.u8[src + k] = k + 1;
  setReg(cpu, RSI, BigInt(src)); setReg(cpu, RDI, 0x5ffcn); setReg(cpu, RCX, 64n);
  runCode(cpu, [0xf3, 0xa4]);
  assert.deepEqual(peek(cpu, 0x5ffc, 64), Array.from({ length: 64 }, (_, k) => k + 1));
  // memmove-incompatible overlap: dst = src + 1 fills with the first byte.
  poke(cpu, 0x7000, [9, 8, 7, 6, 5]);
  setReg(cpu, RSI, 0x7000n); setReg(cpu, RDI, 0x7001n); setReg(cpu, RCX, 4n);
  runCode(cpu, [0xf3, 0xa4]);
  assert.deepEqual(peek(cpu, 0x7000, 5), [9, 9, 9, 9, 9]);
});

test('rep stosq fills qwords; std makes rep stosb go backwards', () => {
  const cpu = makeCpu();
  setReg(cpu, RAX, 0x1122334455667788n); setReg(cpu, RDI, 0x4000n); setReg(cpu, RCX, 3n);
  runCode(cpu, [0xf3, 0x48, 0xab]);
  assert.deepEqual(peek(cpu, 0x4000, 8), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
  assert.equal(reg(cpu, RDI), 0x4018n);
  setReg(cpu, RAX, 0xabn); setReg(cpu, RDI, 0x5003n); setReg(cpu, RCX, 4n);
  runCode(cpu, [0xfd, 0xf3, 0xaa, 0xfc], 3);
  assert.deepEqual(peek(cpu, 0x5000, 4), [0xab, 0xab, 0xab, 0xab]);
  assert.equal(reg(cpu, RDI), 0x4fffn);
});

test('rep stos of every size, aligned and not, writes each element little-endian up to the page end and no further', () => {
  for (const [prefix, size] of [[[], 1], [[0x66], 2], [[], 4], [[0x48], 8]] as const) {
    for (const start of [0x6000, 0x6001, 0x6002, 0x6003, 0x6ff0 - 3 * size - 1]) {
      const cpu = makeCpu();
      const count = start > 0x6100 ? 7 : 37; // the 7-element run crosses into the next page
      const bytes = size * count;
      cpu.mem.u8.fill(0xee, start - 8, start + bytes + 8);
      setReg(cpu, RAX, 0x8877665544332211n); setReg(cpu, RDI, BigInt(start)); setReg(cpu, RCX, BigInt(count));
      runCode(cpu, [0xf3, ...prefix, size === 1 ? 0xaa : 0xab]);
      const want = Array.from({ length: bytes }, (_, k) => 0x11 * ((k % size) + 1));
      assert.deepEqual(peek(cpu, start, bytes), want, `rep stos size ${size} at 0x${start.toString(16)}`);
      assert.deepEqual(peek(cpu, start - 8, 8), Array(8).fill(0xee), 'nothing before the first element');
      assert.deepEqual(peek(cpu, start + bytes, 8), Array(8).fill(0xee), 'nothing after the last element');
      assert.equal(reg(cpu, RDI), BigInt(start + bytes));
      assert.equal(reg(cpu, RCX), 0n);
    }
  }
});

test('repne scasb finds a terminator (strlen idiom) and repe cmpsb stops at the first difference', () => {
  const cpu = makeCpu();
  poke(cpu, 0x2000, [...Buffer.from('hello'), 0]);
  setReg(cpu, RAX, 0n); setReg(cpu, RDI, 0x2000n); setReg(cpu, RCX, -1n);
  runCode(cpu, [0xf2, 0xae]);
  assert.equal(reg(cpu, RCX), BigInt.asUintN(64, -7n)); // not(rcx) - 1 == 5
  assert.equal(reg(cpu, RDI), 0x2006n);
  poke(cpu, 0x3000, [...Buffer.from('abcX')]);
  poke(cpu, 0x3100, [...Buffer.from('abcY')]);
  setReg(cpu, RSI, 0x3000n); setReg(cpu, RDI, 0x3100n); setReg(cpu, RCX, 10n);
  runCode(cpu, [0xf3, 0xa6]);
  assert.equal(reg(cpu, RCX), 6n);
  assert.equal(rflags(cpu) & 0x40, 0, 'ZF clear after a mismatch');
  assert.equal(rflags(cpu) & 1, 1, "CF set: 'X' < 'Y'");
});

test('a fault in the middle of rep stosb leaves RCX/RDI at the faulting iteration and RIP on the instruction', () => {
  const cpu = makeCpu();
  setReg(cpu, RDI, 0x7ffffffffffen); setReg(cpu, RCX, 5n); setReg(cpu, RAX, 0n);
  const r = runCode(cpu, [0xf3, 0xaa]);
  assert.equal(r.exit, Exit.FAULT);
  assert.equal(r.vector, 13);
  assert.equal(reg(cpu, RCX), 3n);
  assert.equal(reg(cpu, RDI), 0x800000000000n);
  assert.equal(cpu.rip, 0x1000);
});

test('32-bit address size (67) uses ECX/ESI/EDI and zero-extends them', () => {
  const cpu = makeCpu();
  poke(cpu, 0x2000, [5, 6]);
  setReg(cpu, RSI, 0xffff00000000_2000n); setReg(cpu, RDI, 0x1_0000_3000n); setReg(cpu, RCX, 0x1_0000_0002n);
  runCode(cpu, [0x67, 0xf3, 0xa4]);
  assert.deepEqual(peek(cpu, 0x3000, 2), [5, 6]);
  assert.equal(reg(cpu, RCX), 0n);
  assert.equal(reg(cpu, RSI), 0x2002n);
  assert.equal(reg(cpu, RDI), 0x3002n);
});

test('lodsd loads and advances; xlat translates AL through [RBX+AL]', () => {
  const cpu = makeCpu();
  poke(cpu, 0x2000, [0x78, 0x56, 0x34, 0x12]);
  setReg(cpu, RSI, 0x2000n); setReg(cpu, RAX, -1n);
  runCode(cpu, [0xad]);
  assert.equal(reg(cpu, RAX), 0x12345678n);
  assert.equal(reg(cpu, RSI), 0x2004n);
  poke(cpu, 0x2105, [0x42]);
  setReg(cpu, 3, 0x2100n); setReg(cpu, RAX, 5n);
  runCode(cpu, [0xd7]);
  assert.equal(reg(cpu, RAX), 0x42n);
});

test('rep outsb writes each byte to the port in DX', () => {
  const cpu = makeCpu();
  const seen: number[] = [];
  cpu.bus.registerPorts(0xe9, 1, { read: () => 0, write: (_p, _s, v) => { seen.push(v); } });
  poke(cpu, 0x2000, [...Buffer.from('hi!')]);
  setReg(cpu, RSI, 0x2000n); setReg(cpu, RCX, 3n); setReg(cpu, 2, 0xe9n);
  runCode(cpu, [0xf3, 0x6e]);
  assert.deepEqual(seen, [0x68, 0x69, 0x21]);
});

test('rep movsb out of a ROM (MmioHandler.romBytes) copies its bytes in bulk; from another device, one read per byte', () => {
  // 3 pages of "ROM" at 8 MiB (above the harness's RAM), copied from 0x1ff0 in it to its end (crossing a page end).
  const image = Uint8Array.from({ length: 0x3000 }, (_, k) => (k * 7 + 3) & 0xff);
  const run = (rom: boolean) => {
    const cpu = makeCpu();
    const reads: number[] = [];
    cpu.bus.registerMmio('rom', 0x800000, image.length, {
      read: (off, size) => { reads.push(off); let v = 0; for (let i = size - 1; i >= 0; i--) v = v * 256 + image[off + i]; return v; },
      write: () => {},
      ...(rom ? { romBytes: image } : {}),
    });
    setReg(cpu, RSI, 0x801ff0n); setReg(cpu, RDI, 0x10000n); setReg(cpu, RCX, 0x1010n);
    const r = runCode(cpu, [0xf3, 0xa4]);
    assert.equal(r.exit, Exit.BUDGET);
    assert.deepEqual(peek(cpu, 0x10000, 0x1010), Array.from(image.subarray(0x1ff0, 0x3000)));
    assert.equal(reg(cpu, RCX), 0n);
    assert.equal(reg(cpu, RSI), 0x803000n);
    assert.equal(reg(cpu, RDI), 0x11010n);
    return reads;
  };
  assert.equal(run(true).length, 0, 'the ROM is copied without per-byte reads');
  const reads = run(false);
  assert.equal(reads.length, 0x1010, 'a device without romBytes sees every byte read');
  assert.deepEqual(reads.slice(0, 3), [0x1ff0, 0x1ff1, 0x1ff2]);
});
