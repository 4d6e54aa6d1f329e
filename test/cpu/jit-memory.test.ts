import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Exit, WATCH_READ, WATCH_WRITE } from '../../emulator/cpu/cpu';
import { Cr0 } from '../../emulator/cpu/state';
import { CODE, enablePaging, makeCpu, sameWithAndWithoutTranslation } from '../support/cpu-harness';

/**
 * Translated blocks access memory through the software TLB inline (jit.ts load/store) and keep looping
 * when a Jcc in the middle of a block branches back to its start. Each case runs with translation on and
 * off and must leave the same registers, flags, memory and instruction count, plus the values the program
 * computes by construction.
 */
type Cpu = ReturnType<typeof makeCpu>;

function bothWays(code: number[], budget: number, setup?: (c: Cpu) => void, midway?: (c: Cpu) => void) {
  const { on, off } = sameWithAndWithoutTranslation(code, budget, setup, midway);
  assert.deepEqual(on.c.mem.u8.subarray(0, 0x80000), off.c.mem.u8.subarray(0, 0x80000), 'memory');
  const blocks = (on.c as unknown as { blocks: Map<number, { fn: unknown }> }).blocks;
  assert.ok([...blocks.values()].some((b) => b.fn !== null), 'a block was translated');
  return on;
}

const DATA = 0x20000;

describe('translated memory operands and mid-block branches', () => {
  it('byte loads, stores and read-modify-writes (C6, 88, 8A with DH, 80, FE, 30, 2A, 84), MOVZX/MOVSX/MOVSXD give the interpreter\'s results', () => {
    // loop: mov byte [rbx+rax],1 ; mov dl,[rbx+rax] ; add dl,0x7f ; mov [rbx+rax+0x100],dl ;
    //       cmp byte [rbx+rax+0x100],0x80 ; jb skip ; inc byte [rbx+rax+0x200] ; skip: mov dh,[rbx+rax+0x100] ;
    //       xor [rbx+rax+0x300],dh ; movzx esi,byte [..+0x100] ; movsx rdi,byte [..+0x100] ; add r8,rdi ; add r9,rsi ;
    //       movsxd r10,[rbx+rax*4+0x1000] ; add r11,r10 ; sub cl,[rbx+rax] ; test byte [..+0x300],0x40 ;
    //       test [..+0x300],cl ; setnz r12b ; add r13,r12 ; inc eax ; cmp eax,0x180 ; jne loop ; hlt
    const code = [0xc6, 0x04, 0x03, 0x01, 0x8a, 0x14, 0x03, 0x80, 0xc2, 0x7f, 0x88, 0x94, 0x03, 0x00, 0x01, 0x00, 0x00, 0x80, 0xbc, 0x03, 0x00, 0x01, 0x00, 0x00,
      0x80, 0x72, 0x07, 0xfe, 0x84, 0x03, 0x00, 0x02, 0x00, 0x00, 0x8a, 0xb4, 0x03, 0x00, 0x01, 0x00, 0x00, 0x30, 0xb4, 0x03, 0x00, 0x03, 0x00, 0x00,
      0x0f, 0xb6, 0xb4, 0x03, 0x00, 0x01, 0x00, 0x00, 0x48, 0x0f, 0xbe, 0xbc, 0x03, 0x00, 0x01, 0x00, 0x00, 0x49, 0x01, 0xf8, 0x49, 0x01, 0xf1, 0x4c,
      0x63, 0x94, 0x83, 0x00, 0x10, 0x00, 0x00, 0x4d, 0x01, 0xd3, 0x2a, 0x0c, 0x03, 0xf6, 0x84, 0x03, 0x00, 0x03, 0x00, 0x00, 0x40, 0x84, 0x8c, 0x03,
      0x00, 0x03, 0x00, 0x00, 0x41, 0x0f, 0x95, 0xc4, 0x4d, 0x01, 0xe5, 0xff, 0xc0, 0x3d, 0x80, 0x01, 0x00, 0x00, 0x75, 0x8c, 0xf4];
    const r = bothWays(code, 100_000, (c) => {
      c.r[6] = DATA;
      for (let k = 0; k < 0x180 * 4; k++) c.mem.u8[DATA + 0x1000 + k] = (k * 37) & 0xff;
      for (let k = 0; k < 0x180; k++) c.mem.u8[DATA + 0x300 + k] = (k * 11) & 0xff;
    });
    assert.equal(r.c.r[0], 0x180, 'loop counter');
    // 1 + 0x7f = 0x80 stored at +0x100 for every k: MOVZX sums 0x80, MOVSX sums -0x80, INC ran every time.
    assert.equal(r.c.r[18], 0x180 * 0x80, 'r9: movzx sum');
    assert.equal(r.c.r[16] | 0, -0x180 * 0x80, 'r8: movsx sum');
    assert.equal(r.rip, CODE + code.length);
  });

  it('a write watchpoint set on a page a translated block is writing stops after the store that hits it', () => {
    // loop: mov [rbx+rax*8], rax ; inc eax ; cmp eax, 4000 ; jne loop ; hlt
    const code = [0x48, 0x89, 0x04, 0xc3, 0xff, 0xc0, 0x3d, 0xa0, 0x0f, 0x00, 0x00, 0x75, 0xf3, 0xf4];
    const r = bothWays(code, 100_000, (c) => { c.r[6] = DATA; }, (c) => {
      // After 5,000 instructions RAX is 1250: the store of RAX=1500 is 250 translated iterations away.
      c.watch.push({ start: DATA + 8 * 1500, end: DATA + 8 * 1500 + 8, kinds: WATCH_WRITE });
      c.flushTlb();
    });
    assert.equal(r.exits[r.exits.length - 1], Exit.STOP);
    assert.ok(r.c.watchHitAddr >= DATA + 8 * 1500 && r.c.watchHitAddr < DATA + 8 * 1501, 'the hit is in the watched qword');
    assert.equal(r.c.r[0], 1500, 'stopped right after the watched store, before INC');
  });

  it('a read watchpoint stops after the load that hits it; a write watchpoint on the same qword lets loads pass', () => {
    // loop: add rdx, [rbx+rax*8] ; inc eax ; cmp eax, 4000 ; jne loop ; hlt
    const code = [0x48, 0x03, 0x14, 0xc3, 0xff, 0xc0, 0x3d, 0xa0, 0x0f, 0x00, 0x00, 0x75, 0xf3, 0xf4];
    const at = DATA + 8 * 1500;
    const read = bothWays(code, 100_000, (c) => { c.r[6] = DATA; }, (c) => {
      c.watch.push({ start: at + 4, end: at + 6, kinds: WATCH_READ });
      c.flushTlb();
    });
    assert.equal(read.exits[read.exits.length - 1], Exit.STOP);
    assert.equal(read.c.watchHitAddr, at + 4, 'the first watched byte the qword load touched');
    assert.equal(read.c.watchHitWrite, false);
    assert.equal(read.c.r[0], 1500, 'stopped right after the watched load, before INC');
    const write = bothWays(code, 100_000, (c) => { c.r[6] = DATA; }, (c) => {
      c.watch.push({ start: at, end: at + 8, kinds: WATCH_WRITE });
      c.flushTlb();
    });
    assert.equal(write.c.watchHitAddr, -1, 'loads do not hit a write watchpoint');
    assert.equal(write.c.r[0], 4000, 'the loop ran to its end');
  });

  it('with paging: translated loads see a PTE change after INVLPG and after a CR3 reload, also once the TLB log overflowed', () => {
    // touch: mov rax,[rsi+0xff8] ; mov [rsi+0xff8],rax ; add rsi,4096 ; cmp rsi,0x200000 ; jne touch (512 pages, read
    // + write entries: more fills than the flush log holds) ; mov r15, PTE(0x40000) ;
    // remap: add r8,[0x40000] ; mov qword [r15],0x41003 ; invlpg [0x40000] ; add r9,[0x40000] ; mov qword [r15],0x40003 ;
    //        mov rax,cr3 ; mov cr3,rax ; add r10,[0x40000] ; dec ecx ; jnz remap ; hlt
    const code = [0x31, 0xf6, 0x48, 0x8b, 0x86, 0xf8, 0x0f, 0x00, 0x00, 0x48, 0x89, 0x86, 0xf8, 0x0f, 0x00, 0x00, 0x48, 0x81, 0xc6, 0x00, 0x10, 0x00,
      0x00, 0x48, 0x81, 0xfe, 0x00, 0x00, 0x20, 0x00, 0x75, 0xe2, 0x41, 0xbf, 0x00, 0x32, 0x10, 0x00, 0x4c, 0x03, 0x04, 0x25, 0x00, 0x00, 0x04, 0x00,
      0x49, 0xc7, 0x07, 0x03, 0x10, 0x04, 0x00, 0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x04, 0x00, 0x4c, 0x03, 0x0c, 0x25, 0x00, 0x00, 0x04, 0x00, 0x49,
      0xc7, 0x07, 0x03, 0x00, 0x04, 0x00, 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, 0x4c, 0x03, 0x14, 0x25, 0x00, 0x00, 0x04, 0x00, 0xff, 0xc9, 0x75, 0xc8, 0xf4];
    const r = bothWays(code, 1_000_000, (c) => {
      // Identity map of the first 2 MiB in 4 KiB pages: PML4 0x100000 → PDPT 0x101000 → PD 0x102000 → PT 0x103000.
      const v = c.mem.view;
      v.setUint32(0x100000, 0x101003, true);
      v.setUint32(0x101000, 0x102003, true);
      v.setUint32(0x102000, 0x103003, true);
      for (let p = 0; p < 512; p++) v.setUint32(0x103000 + 8 * p, p * 4096 + 3, true);
      v.setUint32(0x40000, 1, true);
      v.setUint32(0x41000, 100, true);
      c.cr3 = 0x100000;
      c.cr0 |= Cr0.PG;
      c.flushTlb();
      c.r[2] = 300;
    });
    assert.equal(r.c.r[2], 0, 'remap loop finished');
    assert.deepEqual([r.c.r[16], r.c.r[18], r.c.r[20]], [300, 30000, 300], 'r8 (old frame), r9 (after INVLPG), r10 (after CR3 reload)');
  });

  it('the one-page read/write caches of a translated loop: two linear pages in one TLB slot, a page-crossing store, a remap between runs', () => {
    // loop: mov rax,[rbx] ; add [rsi],rax ; mov [rbx+8],rax ; add byte [rbx+16],1 ; mov rdx,[rsi+24] ; add rdx,rax ;
    //       mov [rbx+0xfff],dx (crosses into the next page) ; dec ecx ; jnz loop ; hlt
    // RBX's and RSI's pages are 256 MiB apart, so they share a slot of the 65,536-entry TLB: each access evicts the
    // other's entry, and the cached page of the block must not outlive what the slow path did to the TLB.
    const code = [0x48, 0x8b, 0x03, 0x48, 0x01, 0x06, 0x48, 0x89, 0x43, 0x08, 0x80, 0x43, 0x10, 0x01, 0x48, 0x8b, 0x56, 0x18, 0x48, 0x01,
      0xc2, 0x66, 0x89, 0x93, 0xff, 0x0f, 0x00, 0x00, 0xff, 0xc9, 0x75, 0xe0, 0xf4];
    const A = 0x40000000n, B = A + 0x10000000n;
    const maps = new Map<Cpu, (la: bigint, pa: number) => void>();
    const r = bothWays(code, 40_000, (c) => {
      const map = enablePaging(c);
      maps.set(c, map);
      map(A, 0x30000); map(A + 0x1000n, 0x32000); map(B, 0x31000);
      c.r[6] = Number(A);
      c.r[12] = Number(B);
      c.r[2] = 4000;
      c.mem.view.setUint32(0x30000, 7, true);
      c.mem.view.setUint32(0x33000, 1000, true);
      c.mem.view.setUint32(0x31018, 3, true);
    }, (c) => maps.get(c)!(A, 0x33000));
    assert.equal(r.c.r[2], 0, 'loop finished');
    assert.equal((r.c.mem.u8[0x33010] + r.c.mem.u8[0x30010]) & 0xff, 4000 & 0xff, 'the byte counter moved to the new frame with the remap');
    assert.equal(r.c.mem.view.getUint32(0x33008, true), 1000, 'stores after the remap went to the new frame');
  });

  it('registers below 4 GiB whose address sum passes 4 GiB or, with a negative displacement, wraps to the upper half', () => {
    // loop: mov rax,[rbx+rcx*8+0x40] (RBX = 0xffffff00: the sum is above 4 GiB) ; add r8,rax ;
    //       mov rdx,[rsi-0x20] (RSI = 0x10: the sum is -0x10, linear 0xffff_ffff_ffff_fff0) ; add r9,rdx ;
    //       mov [rsi-0x18],r8 ; inc rcx ; cmp rcx,0x100 ; jne loop ; hlt
    const code = [0x48, 0x8b, 0x44, 0xcb, 0x40, 0x49, 0x01, 0xc0, 0x48, 0x8b, 0x56, 0xe0, 0x49, 0x01, 0xd1, 0x4c, 0x89, 0x46, 0xe8, 0x48, 0xff,
      0xc1, 0x48, 0x81, 0xf9, 0x00, 0x01, 0x00, 0x00, 0x75, 0xe1, 0xf4];
    const r = bothWays(code, 10_000, (c) => {
      const map = enablePaging(c);
      map(0x1_0000_0000n, 0x30000);
      map(0xffff_ffff_ffff_f000n, 0x31000);
      for (let k = 0; k < 0x200; k++) c.mem.view.setUint32(0x30000 + 8 * k, k + 1, true);
      c.mem.view.setUint32(0x31ff0, 5, true);
      c.r[6] = 0xffffff00 | 0; // RBX
      c.r[12] = 0x10; // RSI
      c.r[2] = 0x20; // RCX
    });
    // RAX = k + 1 for the qword k = RCX - 0x18 of the page at 4 GiB (0xffffff00 + 8 * RCX + 0x40 - 2^32 = 8 * (RCX - 0x18)).
    let sum = 0;
    for (let rcx = 0x20; rcx < 0x100; rcx++) sum += rcx - 0x18 + 1;
    assert.equal(r.c.r[16], sum, 'r8: the qwords read above 4 GiB');
    assert.equal(r.c.r[18], 5 * (0x100 - 0x20), 'r9: the qword read at -0x10');
    assert.equal(r.c.mem.view.getUint32(0x31ff8, true), sum, 'the store at -0x8 landed in the upper-half page');
  });

  it('a load that crosses from a page in the TLB into an unmapped one faults (#PF) at the load, with its count and flags', () => {
    // loop: add ebx, eax ; mov eax, [rsi] ; inc rsi ; dec ecx ; jnz loop ; hlt — RSI walks one byte at a time to the
    // end of a mapped page followed by an unmapped one. The first page stays in the TLB (and in the block's page
    // cache), but an access across its end is no hit: it takes the slow path with its fault point.
    const code = [0x01, 0xc3, 0x8b, 0x06, 0x48, 0xff, 0xc6, 0xff, 0xc9, 0x75, 0xf5, 0xf4];
    const A = 0x40000000n;
    const r = bothWays(code, 100_000, (c) => {
      const map = enablePaging(c);
      map(A, 0x30000);
      for (let k = 0; k < 0x1000; k++) c.mem.u8[0x30000 + k] = (k * 13) & 0xff;
      c.r[12] = Number(A) + 0xf00;
      c.r[2] = 100_000;
    });
    assert.equal(r.exits[r.exits.length - 1], Exit.FAULT);
    assert.equal(r.insnStart, CODE + 2, 'insnStart at the faulting load');
    assert.equal(r.c.r[12], Number(A) + 0xffd, 'RSI at the first load that crosses the page end');
  });

  it('a 4-byte store that crosses from canonical into non-canonical space faults with #GP inside a translated loop', () => {
    // loop: mov [rdi], eax ; inc rdi ; dec ecx ; jnz loop ; hlt — RDI walks up to 2^47 one byte at a time.
    const code = [0x89, 0x07, 0x48, 0xff, 0xc7, 0xff, 0xc9, 0x75, 0xf7, 0xf4];
    const r = bothWays(code, 100_000, (c) => { c.r[2] = 100_000; c.r[14] = -300; c.r[15] = 0x7fff; });
    assert.equal(r.exits[r.exits.length - 1], Exit.FAULT);
    assert.equal(r.rip, CODE, 'RIP at the faulting store');
    assert.equal(r.c.r[14], -3, 'RDI = 2^47 - 3: the first store whose last byte is non-canonical');
  });
});
