import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ExceptionEvent } from '../../emulator/api';
import { Exit } from '../../emulator/cpu/cpu';
import { Flag } from '../../emulator/cpu/state';
import { Machine } from '../../emulator/machine';
import { CODE, makeCpu, sameWithAndWithoutTranslation, setFlags } from '../support/cpu-harness';

/**
 * Block translation (emulator/cpu/jit.ts) must be invisible: every fixture kernel, and targeted programs
 * for flags across block boundaries, self-modifying code and faults inside translated blocks, give the
 * same events, serial output, instruction counts and final state with translation on and off.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'fixtures/manifest.json'), 'utf8')) as { kernels: { name: string; file: string; cmdline: string | null }[] };

function runKernel(file: string, cmdline: string | null, jit: boolean, budget: number) {
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop' });
  m.cpu.jit = jit;
  m.cpu.jitThreshold = 64; // the fixtures' warm blocks are translated too, whatever Cpu's default
  const events: ExceptionEvent[] = [];
  let serial = '';
  m.on('exception', (e) => events.push({ ...e }));
  m.on('serial', (b) => { serial += String.fromCharCode(b); });
  m.boot(fs.readFileSync(path.join(root, file)), { cmdline: cmdline ?? undefined });
  const stop = m.run(budget);
  const state = m.state();
  return { stop, events, serial, state, instructions: m.instructionCount, translated: countTranslated(m) };
}

function countTranslated(m: Machine): number {
  const blocks = (m.cpu as unknown as { blocks: Map<number, { fn: unknown }> }).blocks;
  let n = 0;
  for (const b of blocks.values()) if (b.fn) n++;
  return n;
}

describe('block translation gives the interpreter\'s results', () => {
  const kernels = [...manifest.kernels.map((k) => ({ name: k.name, file: k.file, cmdline: k.cmdline, budget: 300_000_000 })),
    // the paging benchmark: TLB misses, PTE edits + INVLPG, REP MOVSQ yielding mid-block, memory RMW
    { name: 'bench-paging', file: 'fixtures/bin/bench-paging.elf', cmdline: null, budget: 100_000_000 }];
  for (const k of kernels) {
    it(`${k.name}${k.cmdline ? ` (${k.cmdline})` : ''}: same exception events, serial output, instruction count and final registers`, () => {
      const off = runKernel(k.file, k.cmdline, false, k.budget);
      const on = runKernel(k.file, k.cmdline, true, k.budget);
      assert.deepEqual(on.stop, off.stop, 'stop');
      assert.deepEqual(on.events, off.events, 'exception events');
      assert.equal(on.serial, off.serial, 'serial output');
      assert.equal(on.instructions, off.instructions, 'retired instructions');
      assert.deepEqual(on.state, off.state, 'final state');
      assert.equal(off.translated, 0);
      if (k.name === 'c-workload' || k.name === 'bench-paging') assert.ok(on.translated > 0, 'hot blocks were translated');
    });
  }

  it('the register loop benchmark runs translated and ends with the sum n(n+1)/2 in RBX', () => {
    // Stopped early (a budget that ends mid-loop) both ways: same RIP, RAX, RCX, flags, count.
    const off = runKernel('fixtures/bin/bench-loop.elf', null, false, 3_000_001);
    const on = runKernel('fixtures/bin/bench-loop.elf', null, true, 3_000_001);
    assert.deepEqual(on.state, off.state);
    assert.equal(on.instructions, 3_000_001);
    assert.ok(on.translated > 0, 'the loop block was translated');
    const full = runKernel('fixtures/bin/bench-loop.elf', null, true, 2_000_000_000);
    assert.equal(full.stop.reason, 'exit');
    const n = 500_000_000n;
    assert.equal(BigInt(full.state.regs.rbx), n * (n + 1n) / 2n);
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function sameBothWays(code: number[], budget: number, setup?: (c: ReturnType<typeof makeCpu>) => void) {
  return sameWithAndWithoutTranslation(code, budget, setup).on;
}

describe('block translation: targeted cases', () => {
  it('an interrupt waiting through STI\'s shadow is taken after the next instruction, not at the end of a translated block', () => {
    // sti ; inc edx ; inc ebx ; cli ; hlt, with an interrupt waiting from the start and every block translated
    // at once: the interpreter stops for it after INC EDX (the shadow instruction); a translation of the block
    // after STI must not run INC EBX and CLI past it (Linux's interrupt timing diverged by one instruction).
    const code = [0xfb, 0xff, 0xc2, 0xff, 0xc3, 0xfa, 0xf4];
    const r = sameBothWays(code, 1_000, (c) => {
      c.jitThreshold = 1;
      c.irqLine.pending = true;
      c.irqPending = () => true;
    });
    assert.equal(r.exits[r.exits.length - 1], Exit.IRQ);
    assert.equal(r.c.r[4], 1, 'INC EDX ran');
    assert.equal(r.c.r[6], 0, 'INC EBX did not');
    assert.equal(r.c.rip, CODE + 3);
  });

  it('flags set in one block are read by Jcc/ADC/SETcc in the next (CF from ADD, OF/SF from SUB, INC keeping CF)', () => {
    // loop: mov eax, 0xffffffff; add eax, ecx (CF=1 when ecx>0) ; jmp next ; next: adc rdx, 0 ; inc ebx (keeps CF)
    //       ; jmp n2 ; n2: setc sil ; add rdi, rsi ; cmp ebx, 0x7ffffff0 ; jl ... (signed, crosses OF) ; dec rcx ; jnz loop
    const code = [
      0xb8, 0xff, 0xff, 0xff, 0xff, //        mov eax, 0xffffffff
      0x01, 0xc8, //                           add eax, ecx
      0xeb, 0x00, //                           jmp +0 (new block)
      0x48, 0x83, 0xd2, 0x00, //               adc rdx, 0
      0xff, 0xc3, //                           inc ebx
      0xeb, 0x00, //                           jmp +0
      0x40, 0x0f, 0x92, 0xc6, //               setc sil
      0x48, 0x01, 0xf7, //                     add rdi, rsi
      0x81, 0xfb, 0xf0, 0xff, 0xff, 0x7f, //   cmp ebx, 0x7ffffff0
      0x7c, 0x03, //                           jl +3
      0x48, 0xff, 0xc5, //                     inc rbp
      0x48, 0xff, 0xc9, //                     dec rcx
      0x75, 0xd7, //                           jnz loop (back to mov eax)
      0xf4, //                                 hlt
    ];
    const disp = -(code.length - 1);
    code[code.length - 2] = disp & 0xff;
    const r = sameBothWays(code, 100_000, (c) => { c.r[2] = 3000; c.r[6] = 0x7fffff00; });
    assert.equal(r.c.r[2], 0, 'loop finished');
    assert.ok(r.c.r[4] > 0 && r.c.r[10] > 0, 'rdx and rbp counted');
  });

  it('a 64-bit carry between halves and Jcc on every condition after CMP give the same state', () => {
    // For each of the 16 Jcc conditions after cmp rax, rbx: count taken branches in r8..; operands walk across signs.
    const code: number[] = [];
    code.push(0x48, 0x81, 0xc0, 0x01, 0x00, 0x00, 0x80); //   add rax, 0x80000001 (sign-extended)
    code.push(0x48, 0x81, 0xeb, 0xff, 0xff, 0xff, 0x7f); //   sub rbx, 0x7fffffff
    for (let cc = 0; cc < 16; cc++) {
      code.push(0x48, 0x39, 0xd8); //                          cmp rax, rbx
      code.push(0x70 + cc, 0x03); //                           jcc +3
      code.push(0x49, 0xff, 0xc0); //                          inc r8
      code.push(0x49, 0x01, 0xc1); //                          add r9, rax
    }
    code.push(0x48, 0xff, 0xc9); //                            dec rcx
    const back = -(code.length + 6);
    code.push(0x0f, 0x85, back & 0xff, (back >> 8) & 0xff, 0xff, 0xff); // jnz loop
    code.push(0xf4);
    sameBothWays(code, 200_000, (c) => { c.r[2] = 2000; c.r[0] = -5; c.r[1] = 0x7fffffff; c.r[6] = 7; });
  });

  it('self-modifying code: a store from another block rewrites a translated block, which is decoded again', () => {
    // loop: add eax, imm32 (imm at CODE+1) ; cmp ecx, 50 ; jne skip ; mov dword [CODE+1], 1000 ; skip: dec ecx ; jnz loop
    const imm = CODE + 1;
    const code = [
      0x05, 0x01, 0x00, 0x00, 0x00, //                                add eax, 1
      0x83, 0xf9, 0x32, //                                            cmp ecx, 50
      0x75, 0x0b, //                                                  jne skip
      0xc7, 0x04, 0x25, imm & 0xff, imm >> 8, 0, 0, 0xe8, 0x03, 0, 0, // mov dword [CODE+1], 1000
      0xff, 0xc9, //                                                  skip: dec ecx
      0x75, 0xe7, //                                                  jnz loop
      0xf4,
    ];
    const r = sameBothWays(code, 10_000, (c) => { c.r[2] = 200; });
    // 151 iterations (ecx 200..50) add 1, the last 49 add 1000: the first block ran translated before the store.
    assert.equal(r.c.r[0], 151 + 49 * 1000);
  });

  it('self-modifying code: a translated block that stores into itself stops after the store and goes on decoded afresh', () => {
    // loop: add eax, imm32 ; mov [rdi], ebx ; add rdi, rsi ; dec ecx ; jnz loop. RDI reaches the immediate on
    // the 101st iteration (the block is translated long before), after that iteration's ADD.
    const code = [0x05, 0x01, 0x00, 0x00, 0x00, 0x89, 0x1f, 0x48, 0x01, 0xf7, 0xff, 0xc9, 0x75, 0xf2, 0xf4];
    const r = sameBothWays(code, 10_000, (c) => { c.r[2] = 101; c.r[14] = CODE + 1 - 8 * 100; c.r[12] = 8; c.r[6] = 1000; });
    assert.equal(r.c.r[0], 101);
    assert.equal(r.c.mem.view.getInt32(CODE + 1, true), 1000);
    assert.equal(r.rip, CODE + code.length, 'after HLT');
  });

  it('a store beside decoded instructions, or one that writes the bytes an instruction already holds, keeps their block and never reaches the CPU', () => {
    // loop: mov [rdi], eax ; dec ecx ; jnz loop ; hlt (8 bytes at CODE). RDI: the same page 2 KiB on (data beside
    // code, as SeaBIOS keeps its stack and variables), then the first chunk's unused bytes (as real-mode code keeps
    // variables between routines: the page's byte map says they hold no instruction), then the loop's own first
    // four bytes, with the value they hold (GRUB patches its BIOS-call trampoline's immediates before every call,
    // mostly with the values they already hold: every decoded instruction is still exact).
    const code = [0x89, 0x07, 0xff, 0xc9, 0x75, 0xfa, 0xf4];
    for (const target of [CODE + 0x800, CODE + 0x30, CODE]) {
      let notified = 0;
      const r = sameBothWays(code, 10_000, (c) => {
        c.r[2] = 1000; c.r[14] = target; c.r[0] = 0xc9ff0789 | 0;
        const notify = c.mem.notifyCodeWrite;
        c.mem.notifyCodeWrite = (page, addr, len) => { notified++; notify(page, addr, len); };
      });
      assert.equal(r.c.r[2], 0, 'RCX');
      assert.equal(r.rip, CODE + code.length, 'after HLT');
      assert.equal(notified, 0, `0x${(target - CODE).toString(16)}: the store does not even reach the CPU`);
    }
  });

  it('a store that changes an instruction of the running block drops it and the new instruction runs next', () => {
    // The same loop storing 74 fa f4 00 over its JNZ and HLT: the first iteration turns JNZ into JZ, which is not
    // taken (ECX = 999), so the loop ends after one iteration.
    const code = [0x89, 0x07, 0xff, 0xc9, 0x75, 0xfa, 0xf4];
    let dirty = 0;
    const r = sameBothWays(code, 10_000, (c) => {
      c.r[2] = 1000; c.r[14] = CODE + 4; c.r[0] = 0x00f4fa74;
      const notify = c.mem.notifyCodeWrite;
      c.mem.notifyCodeWrite = (page, addr, len) => { notify(page, addr, len); if (c.codeDirty) dirty++; };
    });
    assert.ok(dirty > 0, 'the store reached the CPU and dropped the block');
    assert.equal(r.c.r[2], 999, 'RCX: one iteration');
    assert.equal(r.rip, CODE + code.length, 'after HLT');
  });

  it('a REP MOVSB that yields after 64 Ki iterations resumes itself before the next instruction of its block runs', () => {
    // rep movsb (128 KiB) ; inc ebx ; hlt
    const r = sameBothWays([0xf3, 0xa4, 0xff, 0xc3, 0xf4], 1_000, (c) => { c.r[2] = 0x20000; c.r[12] = 0x100000; c.r[14] = 0x200000; });
    assert.equal(r.c.r[2], 0, 'RCX');
    assert.equal(r.c.r[6], 1, 'INC EBX ran once, after the copy');
    assert.equal(r.c.r[14], 0x220000, 'RDI');
  });

  it('a page fault inside a translated block stops at the faulting instruction with the count of retired ones', () => {
    // loop: mov [rdi], eax ; add rdi, rsi ; dec ecx ; jnz loop. RDI walks up to 2^47 in 4 KiB steps, so after
    // 200 iterations (the block is translated by then) the store's address is non-canonical: #GP(0).
    const code = [0x89, 0x07, 0x48, 0x01, 0xf7, 0xff, 0xc9, 0x75, 0xf7, 0xf4];
    const r = sameBothWays(code, 100_000, (c) => { c.r[2] = 100_000; c.r[14] = -200 * 4096; c.r[15] = 0x7fff; c.r[12] = 4096; });
    assert.equal(r.exits[r.exits.length - 1], Exit.FAULT);
    assert.equal(r.rip, CODE, 'RIP at the faulting store');
  });

  it('a loop whose body starts with a register ALU op leaves the last iteration\'s flags when it stops at any count', () => {
    // loop: sub eax, ecx ; inc edx (keeps CF) ; dec ecx ; jnz loop ; pushfq ; hlt. The back edge writes the
    // flag record only on the way out: stopping on the budget mid-loop, at the end, or by the timer must
    // leave exactly the interpreter's RFLAGS.
    const code = [0x29, 0xc8, 0xff, 0xc2, 0xff, 0xc9, 0x75, 0xf8, 0x9c, 0xf4];
    for (const budget of [1_001, 1_002, 1_003, 1_004, 4_000, 40_000, 400_003]) {
      const r = sameBothWays(code, budget, (c) => { c.r[0] = 0x1234; c.r[2] = 100_000; });
      assert.ok(r.n <= budget);
    }
    // A timer interrupt becoming deliverable mid-loop (as the PIT does through the machine): the run stops
    // for it at an iteration boundary, where the RFLAGS an interrupt frame would hold are the last iteration's.
    for (const at of [2_000, 2_001, 2_002, 2_003, 30_000]) {
      const r = sameBothWays(code, 100_000, (c) => {
        c.r[0] = 0x1234; c.r[2] = 100_000; c.flags |= Flag.IF;
        let raised = false;
        c.clock.schedule(at, () => { raised = true; c.irqLine.pending = true; }, 0);
        c.irqPending = () => raised;
      });
      assert.equal(r.exits[r.exits.length - 1], Exit.IRQ, `stopped for the interrupt at ${at}`);
    }
    const done = sameBothWays(code, 1_000_000, (c) => { c.r[0] = 7; c.r[2] = 1_000; });
    assert.equal(done.exits[done.exits.length - 1], Exit.HALT);
    // The same loop ending exactly at a page boundary, so its block is just the four loop instructions and
    // a budget can run out right at the back edge (nothing interpreted after it rewrites the flags).
    const paged = new Array<number>(0x1002).fill(0x90);
    paged.splice(0, 5, 0xe9, ...le32(0xff8 - 5)); //   jmp loop
    paged.splice(0xff8, 8, ...code.slice(0, 8)); //   loop: sub eax, ecx ; inc edx ; dec ecx ; jnz loop (ends at CODE + 0x1000)
    paged.splice(0x1000, 2, 0x9c, 0xf4); //             pushfq ; hlt
    for (const budget of [1_001, 1_002, 1_003, 1_004, 4_001]) sameBothWays(paged, budget, (c) => { c.r[0] = 0x1234; c.r[2] = 100_000; });
  });

  it('a loop that starts with a load keeps its flag record and registers in locals, and calls a register-only handler (ROL) with just its register: same state at any stop', () => {
    // loop: add rbx, [rsi] ; rol rbx, 1 ; add rsi, 8 ; dec rcx ; jnz loop ; pushfq ; hlt
    const code = [0x48, 0x03, 0x1e, 0x48, 0xd1, 0xc3, 0x48, 0x83, 0xc6, 0x08, 0x48, 0xff, 0xc9, 0x75, 0xf1, 0x9c, 0xf4];
    const setup = (c: ReturnType<typeof makeCpu>): void => {
      c.r[2] = 5_000; c.r[12] = 0x100000; c.r[6] = 0x1234; c.r[7] = -7;
      for (let k = 0; k < 5_000 * 8; k++) c.mem.u8[0x100000 + k] = (k * 37 + 11) & 0xff;
    };
    for (const budget of [1, 2, 3, 4, 5, 6, 1_001, 1_002, 1_003, 1_004, 1_005, 24_999, 25_003, 100_000]) {
      const r = sameBothWays(code, budget, setup);
      assert.ok(r.n <= budget);
    }
    for (const at of [2_000, 2_001, 2_002, 2_003, 2_004]) {
      const r = sameBothWays(code, 100_000, (c) => {
        setup(c);
        c.flags |= Flag.IF;
        let raised = false;
        c.clock.schedule(at, () => { raised = true; c.irqLine.pending = true; }, 0);
        c.irqPending = () => raised;
      });
      assert.equal(r.exits[r.exits.length - 1], Exit.IRQ, `stopped for the interrupt at ${at}`);
    }
  });

  it('a loop ending in CMP/TEST or INC/DEC of registers + Jcc: the record recomputed from the registers is what each iteration\'s flag readers, faults, register writes and stops see', () => {
    // The record the back edge leaves is not carried in locals but recomputed from the compared registers
    // (jit.ts rematAtTop); the first iteration sees the CPU's own record. Each program stops at many counts
    // (inside the first iteration, at every instruction of a later one), at a fault and at a timer interrupt.
    const ENTRY = 0x8d5; // CF PF AF ZF SF OF set at entry, so the first iteration's readers see them
    const programs: { name: string; code: number[]; setup: (c: ReturnType<typeof makeCpu>) => void }[] = [
      // loop: mov rax,[rsi] (faults when RSI becomes non-canonical) ; setb r9b ; add r10,r9 ; add rsi,8 ; cmp rsi,rdx ; jne loop ; hlt
      { name: 'cmp r64,r64; a load faulting before any flag is set; SETcc at the top', code: [0x48, 0x8b, 0x06, 0x41, 0x0f, 0x92, 0xc1, 0x4d, 0x01, 0xca, 0x48, 0x83, 0xc6, 0x08, 0x48, 0x39, 0xd6, 0x75, 0xed, 0xf4],
        setup: (c) => { c.r[12] = 0xfffff800 | 0; c.r[13] = 0x7fff; c.r[4] = 1; c.r[5] = 0x8000; } },
      // loop: cmovl r8d,ecx ; mov r9d,ecx ; lea ecx,[rcx+3] (writes a compared register first) ; setg r12b ; add r13,r12 ; cmp ecx,3000 ; jl loop ; hlt
      { name: 'cmp r32,imm32; CMOVcc reads it, LEA rewrites the compared register before any flag is set', code: [0x44, 0x0f, 0x4c, 0xc1, 0x41, 0x89, 0xc9, 0x8d, 0x49, 0x03, 0x41, 0x0f, 0x9f, 0xc4, 0x4d, 0x01, 0xe5, 0x81, 0xf9, 0xb8, 0x0b, 0x00, 0x00, 0x7c, 0xe7, 0xf4],
        setup: (c) => { c.r[2] = -2000; } },
      // loop: rol r8,3 ; inc r9 ; xor r10,r9 ; test r10,r11 ; jp loop ; hlt
      { name: 'test r64,r64 with a JP back edge (parity), a rotate and INC at the top', code: [0x49, 0xc1, 0xc0, 0x03, 0x49, 0xff, 0xc1, 0x4d, 0x31, 0xca, 0x4d, 0x85, 0xda, 0x7a, 0xf1, 0xf4],
        setup: (c) => { c.r[16] = 0x12345; c.r[22] = 0x5a5a5a5a; c.r[23] = 0x3c3c; } },
      // loop: dec r8 (keeps CF of the CMP) ; adc r9,0 ; add eax,7 ; cmp eax,100000 ; jb loop ; hlt
      { name: 'cmp eax,imm32; DEC keeps the recomputed CF, ADC reads it', code: [0x49, 0xff, 0xc8, 0x49, 0x83, 0xd1, 0x00, 0x83, 0xc0, 0x07, 0x3d, 0xa0, 0x86, 0x01, 0x00, 0x72, 0xef, 0xf4],
        setup: (c) => { c.r[16] = 3; } },
      // loop: cmovz ecx,r8d (a conditional write of the compared register) ; add r9,rcx ; add ecx,1 ; mov r8d,0 ; cmp ecx,5000 ; jne loop ; hlt
      { name: 'cmp r32,imm32; CMOVcc conditionally rewrites the compared register', code: [0x41, 0x0f, 0x44, 0xc8, 0x49, 0x01, 0xc9, 0x83, 0xc1, 0x01, 0x41, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x81, 0xf9, 0x88, 0x13, 0x00, 0x00, 0x75, 0xe8, 0xf4],
        setup: (c) => { c.r[16] = 4990; } },
      // outer: xor r8d,r8d ; jmp inner ; inner: jz out (taken in the first iteration: ZF from the XOR) ; add ecx,1 ;
      //        cmp ecx,100 ; jne inner ; out: setz r9b ; add r10,r9 ; setc r12b ; add r13,r12 ; dec r14 ; jnz outer ; hlt
      // Leaving from the first iteration, before any flag is set, must leave the CPU's record (the XOR's) as it is.
      { name: 'a Jcc at the top leaves in the first iteration with the flags from before the loop', code: [0x45, 0x31, 0xc0, 0xeb, 0x00, 0x74, 0x08, 0x83, 0xc1, 0x01, 0x83,
        0xf9, 0x64, 0x75, 0xf6, 0x41, 0x0f, 0x94, 0xc1, 0x4d, 0x01, 0xca, 0x41, 0x0f, 0x92, 0xc4, 0x4d, 0x01, 0xe5, 0x49, 0xff, 0xce, 0x75, 0xde, 0xf4],
        setup: (c) => { c.r[28] = 500; c.r[2] = 7; } },
      // loop: mov rax,[rsi] (faults at 2^47) ; adc r9,rax (CF kept by DEC from the previous ADD) ; add r10d,0x50000000 ;
      //       lea rsi,[rsi+8] ; dec rcx ; jnz loop ; hlt
      { name: 'dec r64 + JNZ: the recomputed record carries the CF DEC kept; a load faults before any flag is set', code: [0x48, 0x8b, 0x06, 0x49, 0x11, 0xc1, 0x41,
        0x81, 0xc2, 0x00, 0x00, 0x00, 0x50, 0x48, 0x8d, 0x76, 0x08, 0x48, 0xff, 0xc9, 0x75, 0xea, 0xf4],
        setup: (c) => { c.r[12] = 0xfffff800 | 0; c.r[13] = 0x7fff; c.r[2] = 100_000; } },
      // loop: setc r8b ; add r9,r8 ; add r11d,0x60000000 ; inc ecx ; jnz loop ; hlt
      { name: 'inc r32 + JNZ: SETcc at the top reads the CF INC kept', code: [0x41, 0x0f, 0x92, 0xc0, 0x4d, 0x01, 0xc1, 0x41, 0x81, 0xc3, 0x00, 0x00, 0x00, 0x60, 0xff, 0xc1,
        0x75, 0xee, 0xf4],
        setup: (c) => { c.r[2] = -3000; } },
    ];
    for (const { name, code, setup } of programs) {
      const start = (c: ReturnType<typeof makeCpu>): void => { setup(c); setFlags(c, ENTRY); };
      for (const budget of [1, 2, 3, 4, 5, 6, 7, 1_001, 1_002, 1_003, 1_004, 1_005, 1_006, 1_007, 30_000]) sameBothWays(code, budget, start);
      for (const at of [1_500, 1_501, 1_502, 1_503, 1_504, 1_505]) {
        const r = sameBothWays(code, 100_000, (c) => {
          start(c);
          c.flags |= Flag.IF;
          let raised = false;
          c.clock.schedule(at, () => { raised = true; c.irqLine.pending = true; }, 0);
          c.irqPending = () => raised;
        });
        assert.ok(r.exits[r.exits.length - 1] !== Exit.BUDGET, `${name}: stopped by the interrupt or earlier`);
      }
    }
    const faulted = sameBothWays(programs[0].code, 100_000, (c) => { programs[0].setup(c); setFlags(c, ENTRY); });
    assert.equal(faulted.exits[faulted.exits.length - 1], Exit.FAULT, 'the load at 2^47 faults');
  });

  it('LEA and 32-bit address-size memory operands are computed inline like the interpreter (the upper half of a base register is ignored)', () => {
    // loop: lea eax, [rbx+rcx*4+0x10] ; lea rdx, [rbx+rcx*8-8] ; mov r8d, [ebx+ecx*2] ; add [esi], eax ;
    //       inc rcx ; cmp rcx, 100 ; jne loop ; hlt
    const code = [0x8d, 0x44, 0x8b, 0x10, 0x48, 0x8d, 0x54, 0xcb, 0xf8, 0x67, 0x44, 0x8b, 0x04, 0x4b, 0x67, 0x01, 0x06,
      0x48, 0xff, 0xc1, 0x48, 0x83, 0xf9, 0x64, 0x75, 0xe6, 0xf4];
    for (const hi of [0, 1, -1]) {
      const r = sameBothWays(code, 10_000, (c) => {
        c.r[6] = 0x100000; c.r[7] = hi; c.r[12] = 0x200000; c.r[13] = hi;
        for (let k = 0; k < 4096; k++) c.mem.u8[0x100000 + k] = (k * 13) & 0xff;
      });
      assert.equal(r.exits[r.exits.length - 1], Exit.HALT);
      assert.equal(r.regs[2], 100);
    }
  });
});
