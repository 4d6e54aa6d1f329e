import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Access } from '../../emulator/cpu/paging';
import { enablePaging, Exit, makeCpu, peek, poke, reg, rflags, runCode, setReg } from '../support/cpu-harness';

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

test('rep movsq and rep stosq over several pages: in bulk across physically contiguous pages, page by page elsewhere', () => {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  const S = 0x40000000n, D = 0x40100000n;
  // Source pages 0, 1, 3 in consecutive frames, page 2 elsewhere; destination pages in consecutive frames.
  const sFrames = [0x100000, 0x101000, 0x180000, 0x103000];
  for (let p = 0; p < 4; p++) { map(S + BigInt(p * 4096), sFrames[p]); map(D + BigInt(p * 4096), 0x200000 + p * 4096); }
  for (let p = 0; p < 4; p++) for (let k = 0; k < 4096; k += 4) cpu.mem.view.setUint32(sFrames[p] + k, p * 0x10000 + k, true);
  // Every page in the TLB, so the bulk path finds the contiguous runs there.
  for (let p = 0; p < 4; p++) { cpu.rd(Number(S) + p * 4096, 4); cpu.wr(Number(D) + p * 4096, 4, 0); }
  setReg(cpu, RSI, S); setReg(cpu, RDI, D); setReg(cpu, RCX, 4n * 512n);
  assert.equal(runCode(cpu, [0xf3, 0x48, 0xa5]).exit, Exit.BUDGET);
  for (let p = 0; p < 4; p++) {
    for (const k of [0, 8, 2044, 4092]) assert.equal(cpu.mem.view.getUint32(0x200000 + p * 4096 + k, true), p * 0x10000 + k, `page ${p} +${k}`);
  }
  assert.deepEqual([reg(cpu, RCX), reg(cpu, RSI), reg(cpu, RDI)], [0n, S + 0x4000n, D + 0x4000n]);
  // A fill from the middle of a page over the next three: ends exactly at RCX = 0.
  setReg(cpu, RAX, 0x0102030405060708n); setReg(cpu, RDI, D + 0x800n); setReg(cpu, RCX, 1000n);
  runCode(cpu, [0xf3, 0x48, 0xab]);
  assert.equal(reg(cpu, RDI), D + 0x800n + 8000n);
  assert.equal(cpu.mem.view.getUint32(0x200000 + 0x800 + 7992, true), 0x05060708);
  assert.equal(cpu.mem.view.getUint32(0x200000 + 0x800 + 8000, true), 2 * 0x10000 + 0x740, 'the element after the fill (page 2 + 0x740) is still the copy');
});

test('rep stosq in bulk stops at the end of the lower canonical half: #GP there with RCX and RDI at that iteration', () => {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  // The two pages below the boundary and the first one above it in consecutive frames, all in the write TLB.
  map(0x7fffffffe000n, 0x200000); map(0x7ffffffff000n, 0x201000); map(0xffff800000000000n, 0x202000);
  for (const la of [0x7fffffffe000, 0x7ffffffff000, 0x800000000000]) cpu.wr(la, 4, 0);
  setReg(cpu, RDI, 0x7fffffffe000n); setReg(cpu, RCX, 1536n); setReg(cpu, RAX, 0n);
  const r = runCode(cpu, [0xf3, 0x48, 0xab]);
  assert.equal(r.exit, Exit.FAULT);
  assert.equal(r.vector, 13);
  assert.equal(reg(cpu, RCX), 512n);
  assert.equal(reg(cpu, RDI), 0x800000000000n);
});

test('after a new write epoch (a history snapshot) rep movsq runs on through the pages the write TLB held, without a page walk, marking each one written', () => {
  const cpu = makeCpu();
  const map = enablePaging(cpu);
  const S = 0x40000000n, D = 0x40100000n;
  for (let p = 0; p < 4; p++) { map(S + BigInt(p * 4096), 0x100000 + p * 4096); map(D + BigInt(p * 4096), 0x200000 + p * 4096); }
  for (let p = 0; p < 4; p++) for (let k = 0; k < 4096; k += 4) cpu.mem.view.setUint32(0x100000 + p * 4096 + k, p * 0x10000 + k, true);
  for (let p = 0; p < 4; p++) { cpu.rd(Number(S) + p * 4096, 4); cpu.wr(Number(D) + p * 4096, 4, 0); }
  cpu.newWriteEpoch();
  cpu.mem.clearDirty();
  let writeWalks = 0;
  const translate = cpu.translate.bind(cpu);
  cpu.translate = (...args) => { if (args[1] === Access.WRITE) writeWalks++; return translate(...args); };
  setReg(cpu, RSI, S); setReg(cpu, RDI, D); setReg(cpu, RCX, 4n * 512n);
  assert.equal(runCode(cpu, [0xf3, 0x48, 0xa5]).exit, Exit.BUDGET);
  assert.equal(reg(cpu, RCX), 0n, 'all four pages in one instruction');
  assert.equal(writeWalks, 0);
  for (let p = 0; p < 4; p++) {
    assert.equal(cpu.mem.dirtyPages[0x200 + p], 1, `page ${p} is marked written`);
    assert.equal(cpu.mem.view.getUint32(0x200000 + p * 4096 + 4092, true), p * 0x10000 + 4092, `page ${p}`);
  }
});
