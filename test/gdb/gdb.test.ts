import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { cli, fixture, gdbBatchChild, haveGdb, printed, serve, session } from './helpers';

/**
 * Debian's gdb (apt package gdb) against `faultline run KERNEL --gdb 0 --gdb-wait`, in batch mode, as a kernel
 * developer uses it with qemu -s -S: breakpoints at symbols, stepi, registers, memory, a watchpoint, the
 * stop on the #DF, reverse-stepi, and the monitor commands.
 */
const skip = haveGdb ? false : '/usr/bin/gdb is not installed (apt-get install gdb)';

/** Address of a symbol, from the ELF (nm). */
function symbol(elf: string, name: string): bigint {
  const line = execFileSync('nm', [elf], { encoding: 'utf8' }).split('\n').find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`${name} not in ${elf}`);
  return BigInt('0x' + line.split(' ')[0]);
}

describe('gdb against the gdb server', { skip }, () => {
  it('64-bit stack overflow: break at kmain, registers, memory, stepi, the stop on the #DF, reverse-stepi, reverse-continue, monitor commands', async () => {
    const elf = fixture('stack-overflow-no-ist.elf');
    const { gdb } = await session(elf, [
      'p/x $pc', //                                     $1: the multiboot entry, before the first instruction
      'break kmain', 'continue',
      'p/x $pc', 'p/x $cr0', 'p/x $efer', //           $2-$4
      'p/x *(unsigned long long*)$rsp', //              $5: the return address on the stack
      'stepi', 'p/x $pc', //                            $6
      'continue', //                                    the fault during delivery (#PF while delivering #PF)
      'continue', //                                    the #DF
      'p/x $pc', //                                     $7
      'monitor faultchain',
      'reverse-stepi', 'p/x $pc', //                    $8
      'monitor gdt', 'monitor idt 8', 'monitor walk 0x100000', 'monitor tss',
      'reverse-continue', 'p/x $pc', //                 $9: back to the breakpoint at kmain
    ]);
    assert.equal(printed(gdb, 1), symbol(elf, '_start'));
    assert.match(gdb, /Breakpoint 1, kmain \(/);
    assert.equal(printed(gdb, 2), symbol(elf, 'kmain'));
    assert.equal(printed(gdb, 3) & 0x80000001n, 0x80000001n, 'CR0.PG and PE set in kmain');
    assert.equal(printed(gdb, 4) & 0x500n, 0x500n, 'EFER.LME and LMA');
    assert.equal(printed(gdb, 5), symbol(elf, 'long_mode') + 0x21n, 'kmain returns into long_mode (after its call)');
    assert.equal(printed(gdb, 6), symbol(elf, 'kmain') + 4n, 'stepi executed sub rsp, 8');
    assert.match(gdb, /Faultline: #PF\(0x2\) raised at 0x[0-9a-f]+ during delivery: PT entry \d+ is not present/);
    assert.match(gdb, /Faultline: #PF then #PF → #DF \(SDM Table 6-5\)/);
    assert.equal((gdb.match(/Program received signal SIGSEGV/g) ?? []).length >= 2, true, 'both stops are SIGSEGV');
    assert.equal(printed(gdb, 7) - symbol(elf, 'stack_overflow') < 16n, true, 'stopped in stack_overflow before #DF delivery');
    assert.match(gdb, /fault chain: #PF\(0x2\) at 0x[0-9a-f]+ <stack_overflow\+0x[0-9a-f]+> writing 0x[0-9a-f]+ \(PT entry \d+ is not present\) → #PF\(0x2\) delivering #PF: PT entry \d+ is not present → #DF \(#PF then #PF\)/);
    assert.match(gdb, /the #DF gate has no IST stack \(IST 0\)/);
    assert.equal(printed(gdb, 8), printed(gdb, 7), 'reverse-stepi from the #DF goes back to the raise at the same instruction');
    assert.match(gdb, /1 0x8\s+64-bit code, readable, DPL 0, present {2}<- CS/);
    assert.match(gdb, / 8 #DF\s+interrupt gate → 0x8:0x[0-9a-f]+, DPL 0, present <double_fault_handler>/);
    assert.match(gdb, /PT\[256\]\s+at 0x[0-9a-f]+ = 0x100063 {2}P W S A D -> 0x100000\n {2}=> physical 0x100000 \(4 KiB page/);
    assert.match(gdb, /TR not loaded \(selector 0\)/);
    assert.equal(printed(gdb, 9), symbol(elf, 'kmain'), 'reverse-continue runs back to the breakpoint');
    assert.doesNotMatch(gdb, /internal-error|Remote connection closed|Ignoring packet error/);
  });

  it('64-bit watchpoints: awatch reports the write of an unchanged and of a changed value, watch with reverse-continue finds the last write', async () => {
    const elf = fixture('stack-overflow-no-ist.elf');
    const { gdb } = await session(elf, [
      'break kmain', 'continue',
      'awatch idt[8].offset_low', 'continue', //         idt_fill_missing: idt_set(8, 0) writes 0 over 0
      'continue', 'p/x idt[8].offset_low', //           $1: idt_set(8, double_fault_handler)
      'delete', 'continue', 'continue', //              the fault during delivery, then the #DF
      'watch idt[14].offset_low',
      'reverse-continue', //                            back to the fault during delivery (an exception stop)
      'reverse-continue', //                            back past it to idt_set(14, page_fault_handler)
      'p/x $pc', //                                     $2
      'info watchpoints',
    ]);
    assert.match(gdb, /Hardware access \(read\/write\) watchpoint 2: idt\[8\]\.offset_low\n+Value = 0\nidt_set \(vector=vector@entry=8 /);
    assert.match(gdb, /Hardware access \(read\/write\) watchpoint 2: idt\[8\]\.offset_low\n+Old value = 0\nNew value = (\d+)\nidt_set \(vector=vector@entry=8 '\\b', handler=0x[0-9a-f]+ <double_fault_handler>/);
    assert.equal(printed(gdb, 1), symbol(elf, 'double_fault_handler') & 0xffffn);
    assert.match(gdb, /Faultline: #PF then #PF → #DF/);
    // Reverse execution shows the write backwards: the value before it is the "new" one.
    assert.match(gdb, /Hardware watchpoint 3: idt\[14\]\.offset_low\n+Old value = (\d+)\nNew value = 0\n0x[0-9a-f]+ in idt_set \(vector=vector@entry=14 '\\016', handler=0x[0-9a-f]+ <page_fault_handler>/);
    const pc = printed(gdb, 2);
    assert.equal(pc >= symbol(elf, 'idt_set') && pc < symbol(elf, 'idt_load'), true, 'reverse-continue stopped in idt_set');
    assert.match(gdb, /3 +hw watchpoint +keep y +idt\[14\]\.offset_low/);
    assert.doesNotMatch(gdb, /internal-error|Remote connection closed|Ignoring packet error|Could not insert/);
  });

  it('IST fix: the #DF stop, then stepi delivers it onto the IST1 stack the TSS names', async () => {
    const elf = fixture('ist-double-fault.elf');
    const { gdb, cli } = await session(elf, [
      'continue', 'continue', //                        escalation, then the #DF before delivery
      'monitor tss',
      'stepi', //                                       deliver #DF through IST1
      'p/x $pc', 'p/x $rsp', 'p/x &ist1_top', //        $1-$3
      'x/2gx $rsp', //                                  error code 0, then the interrupted RIP
      'reverse-stepi', 'p/x $pc', //                    $4: back before delivery
      'continue',
    ]);
    assert.match(gdb, /IST1 {2}0x[0-9a-f]+/);
    assert.equal(printed(gdb, 1), symbol(elf, 'double_fault_handler'));
    const top = printed(gdb, 3);
    assert.equal(printed(gdb, 2), top - 48n, 'the #DF frame (SS, RSP, RFLAGS, CS, RIP, error code) is on IST1');
    assert.match(gdb, new RegExp(`0x${(top - 48n).toString(16)}:\\s+0x0000000000000000\\s+0x00000000001009`));
    assert.equal(printed(gdb, 4) - symbol(elf, 'stack_overflow') < 16n, true, 'reverse-stepi returns to the faulting push');
    assert.match(gdb, /exited with code/);
    assert.match(cli.stdout, /DOUBLE FAULT/i);
  });

  it('32-bit C kernel: i386 registers, backtrace, a watchpoint, catching #DE (SIGFPE), and the exit', async () => {
    const elf = fixture('c32-bare-bones.elf');
    const { gdb } = await session(elf, [
      'show architecture',
      'break kmain', 'continue',
      'watch idt[0]', 'continue', //                    set_gate(0, divide_error) writes the #DE gate
      'delete',
      'break divide', 'continue', 'bt',
      'p/x $eip', 'p/x $esp', //                        $1-$2
      'monitor catch #DE', 'continue',
      'p/x $eip', //                                    $3
      'monitor faultchain', 'monitor idt 0', 'monitor gdt',
      'monitor catch default', 'continue',
    ]);
    assert.match(gdb, /currently "i386"/);
    assert.match(gdb, /Hardware watchpoint 2: idt\[0\]\n+Old value = 0\nNew value = \d+/);
    assert.match(gdb, /#0 {2}divide \(a=42\)[^\n]*\n#1 {2}0x[0-9a-f]+ in middle \(a=14\)[^\n]*\n#2 {2}0x[0-9a-f]+ in outer \(a=10\)[^\n]*\n#3 {2}0x[0-9a-f]+ in kmain/);
    assert.equal(printed(gdb, 1), symbol(elf, 'divide'));
    assert.equal(printed(gdb, 2) < 0x200000n, true, '32-bit ESP');
    assert.match(gdb, /Faultline: #DE raised at 0x[0-9a-f]+: division by zero \(stopped before delivery\)\n+Program received signal SIGFPE/);
    assert.equal(printed(gdb, 3) > symbol(elf, 'divide') && printed(gdb, 3) < symbol(elf, 'middle'), true);
    assert.match(gdb, /fault chain: #DE at 0x[0-9a-f]+ <divide\+0x[0-9a-f]+> \(division by zero\)/);
    assert.match(gdb, / 0 #DE\s+interrupt gate → 0x8:0x[0-9a-f]+, DPL 0, present <divide_error>/);
    assert.match(gdb, /1 0x8\s+32-bit code/);
    assert.match(gdb, /exited with code 041/, 'isa-debug-exit 0x10 → status 33, as QEMU exits');
  });

  it('64-bit memory: a 16000-byte search (reads larger than a packet come back short and gdb asks again), physical memory, an unmapped address', async () => {
    const elf = fixture('stack-overflow-no-ist.elf');
    const { gdb } = await session(elf, [
      'break kmain', 'continue',
      `find /b 0x100000, 0x104fff, ${[...Buffer.from('no IST,')].map((b) => '0x' + b.toString(16)).join(', ')}`,
      'x/s $_', //                                      the string at the address found
      'monitor phys 0x100000 32',
      'x/2gx 0xdeadb000',
    ]);
    assert.match(gdb, /^0x[0-9a-f]+\n1 pattern found\.\n0x[0-9a-f]+:\t"no IST, recursing\\n"$/m);
    assert.match(gdb, / 0x100000: 02 b0 ad 1b /, 'the multiboot header magic at 1 MiB, read physically');
    assert.match(gdb, /0xdeadb000:\tCannot access memory at address 0xdeadb000/);
    assert.doesNotMatch(gdb, /internal-error|Remote connection closed|Ignoring packet error/);
  });

  it('IST fix: break at kmain, run to the #DF, reverse-continue back through the exception stops to the breakpoint', async () => {
    const elf = fixture('ist-double-fault.elf');
    const { gdb } = await session(elf, [
      'break kmain', 'continue',
      'continue', 'continue', //                        #NP during delivery, #DF
      'monitor walk $rsp',
      'reverse-continue', 'p/x $pc', //                 $1: the #NP raise, before delivery
      'reverse-continue', 'p/x $pc', //                 $2: the breakpoint
      'info registers rsp',
    ]);
    assert.match(gdb, /walk 0x[0-9a-f]+ \(4-level paging\)\n {2}PML4\[0\][^\n]+\n {2}PDPT\[0\][^\n]+\n {2}PD\[0\][^\n]+\n {2}PT\[\d+\][^\n]+P W S A D -> 0x[0-9a-f]+\n {2}=> physical/);
    assert.equal(printed(gdb, 1) - symbol(elf, 'stack_overflow') < 16n, true);
    assert.equal((gdb.match(/Faultline: #NP\(0x73\) raised at 0x[0-9a-f]+ during delivery/g) ?? []).length, 2, 'forward, then backward');
    assert.equal(printed(gdb, 2), symbol(elf, 'kmain'));
    assert.equal((gdb.match(/Breakpoint 1, kmain \(/g) ?? []).length, 2);
  });

  it('IST fix: rwatch on the #DF gate stops when the CPU reads it to deliver the #DF onto IST1', async () => {
    const elf = fixture('ist-double-fault.elf');
    const { gdb } = await session(elf, [
      'continue', 'continue', //                        the #NP during delivery, then the #DF before delivery
      'rwatch idt[8].offset_low', 'continue',
      'p/x $pc', 'p/x $rsp', 'p/x &ist1_top', //        $1-$3
    ]);
    assert.match(gdb, /Hardware read watchpoint 1: idt\[8\]\.offset_low\n+Value = (\d+)\ndouble_fault_handler \(/);
    assert.equal(BigInt(/Value = (\d+)\ndouble_fault_handler/.exec(gdb)![1]), symbol(elf, 'double_fault_handler') & 0xffffn);
    assert.equal(printed(gdb, 1), symbol(elf, 'double_fault_handler'), 'stopped after the delivery that read the gate');
    assert.equal(printed(gdb, 2), printed(gdb, 3) - 48n, 'the #DF frame is on IST1');
  });

  it('32-bit watchpoints: rwatch stops after the load of the divisor, awatch on the #DE gate stops when the CPU reads it', async () => {
    const elf = fixture('c32-bare-bones.elf');
    const { gdb } = await session(elf, [
      'break kmain', 'continue',
      'awatch idt[0]', 'rwatch divisor',
      'continue', 'continue', //                        set_gate(0, divide_error): the gate's two dword stores
      'continue', 'p/x $eip', //                        $1: divide() loads divisor
      'continue', 'p/x $eip', //                        $2: #DE delivery reads the gate
      'continue',
    ]);
    const load = BigInt('0x' + execFileSync('objdump', ['-d', '--no-show-raw-insn', elf], { encoding: 'utf8' })
      .split('\n').find((l) => /mov\s+0x[0-9a-f]+,%ecx/.test(l) && l.includes(symbol(elf, 'divisor').toString(16)))!.trim().split(':')[0]);
    const stops = gdb.split(/(?<=\n\n)(?=Hardware (?:access \(read\/write\)|read) watchpoint \d: [a-z]+(?:\[0\])?\n\n)/).slice(1);
    assert.equal(stops.length, 4, gdb);
    assert.match(stops[0], /^Hardware access \(read\/write\) watchpoint 2: idt\[0\]\n+Old value = 0\nNew value = (\d+)\n0x[0-9a-f]+ in set_gate/);
    const gate = BigInt(/New value = (\d+)\nkmain/.exec(stops[1])![1]);
    assert.equal(gate, (symbol(elf, 'divide_error') & 0xffffn) | (0x8n << 16n) | (0x8en << 40n) | ((symbol(elf, 'divide_error') >> 16n) << 48n), 'the whole gate after the second store');
    assert.match(stops[2], /^Hardware read watchpoint 3: divisor\n+Value = 0\n0x[0-9a-f]+ in divide \(a=42\)/);
    assert.equal(printed(gdb, 1), load + 6n, 'stopped after the 6-byte load of divisor');
    assert.match(stops[3], new RegExp(`^Hardware access \\(read/write\\) watchpoint 2: idt\\[0\\]\n+Value = ${gate}\ndivide_error \\(frame=`), 'delivering #DE reads the gate');
    assert.equal(printed(gdb, 2), symbol(elf, 'divide_error'));
    assert.match(gdb, /exited with code 041/);
  });

  it('32-bit: reverse-continue with rwatch from the #DE goes back to the load of the divisor', async () => {
    const elf = fixture('c32-bare-bones.elf');
    const { gdb } = await session(elf, [
      'monitor catch #DE', 'continue', 'p/x $eip', //   $1: the IDIV, before delivery
      'rwatch divisor', 'reverse-continue', 'p/x $eip', // $2
      'x/i $eip',
    ]);
    assert.match(gdb, /Program received signal SIGFPE/);
    assert.match(gdb, /Hardware read watchpoint 1: divisor\n+Value = 0\n/);
    assert.match(gdb, new RegExp(`=> 0x${printed(gdb, 2).toString(16)} <divide\\+\\d+>:\tmov +0x${symbol(elf, 'divisor').toString(16)},%ecx`), 'stopped at the instruction that read it');
    assert.equal(printed(gdb, 1) > printed(gdb, 2), true);
  });

  it('32-bit: stepi, memory, reverse-stepi, reverse-continue to a breakpoint, monitor tss/walk/phys with paging off', async () => {
    const elf = fixture('c32-bare-bones.elf');
    const { gdb } = await session(elf, [
      'break kmain', 'continue',
      'hbreak divide', 'continue', //          a hardware breakpoint (Z1)
      'stepi', 'p/x $eip', //                           $1
      'x/6xb $eip',
      'p/x divisor', //                                 $2
      'reverse-stepi', 'p/x $eip', //                   $3
      'reverse-continue', 'p/x $eip', //                $4: back to the breakpoint in kmain
      'monitor tss', 'monitor walk $esp', `monitor phys 0x${symbol(elf, 'divisor').toString(16)} 4`,
      'x/4x 0xe0000000',
    ]);
    const bytes = execFileSync('objdump', ['-d', '--start-address=' + (symbol(elf, 'divide') + 4n), '--stop-address=' + (symbol(elf, 'divide') + 10n), elf], { encoding: 'utf8' });
    const want = /:\s+((?:[0-9a-f]{2} )+)/.exec(bytes)![1].trim().split(' ').map((b) => '0x' + b);
    assert.match(gdb, /Hardware assisted breakpoint 2 at 0x[0-9a-f]+: file [^\n]+\n+Breakpoint 2, divide \(a=42\)/);
    assert.equal(printed(gdb, 1), symbol(elf, 'divide') + 4n, 'stepi executed mov eax, [esp+4]');
    assert.match(gdb, new RegExp(`<divide\\+4>:\t${want.join('\t')}\n`), 'x/6xb: the bytes of mov ecx, [divisor]');
    assert.equal(printed(gdb, 2), 0n);
    assert.equal(printed(gdb, 3), symbol(elf, 'divide'));
    assert.equal((gdb.match(/Breakpoint 1, kmain \(/g) ?? []).length, 2, 'kmain forward and backward');
    assert.ok(printed(gdb, 4) >= symbol(elf, 'kmain') && printed(gdb, 4) < symbol(elf, 'kmain') + 0x40n);
    assert.match(gdb, /TR not loaded \(selector 0\)/);
    assert.match(gdb, /walk 0x[0-9a-f]+ \(paging off\)\n {2}=> physical 0x[0-9a-f]+/);
    assert.match(gdb, new RegExp(` 0x${symbol(elf, 'divisor').toString(16)}: 00 00 00 00\n`));
    assert.match(gdb, /0xe0000000:\tCannot access memory at address 0xe0000000/);
    assert.doesNotMatch(gdb, /internal-error|Remote connection closed|Ignoring packet error/);
  });

  it('Ctrl-C: SIGINT to gdb while the guest runs stops it (SIGINT), twice, and the session goes on', async () => {
    const elf = fixture('bench-loop.elf');
    const s = await serve(elf);
    try {
      let serverLog = '';
      s.child.stderr!.on('data', (d) => { serverLog += d; });
      // The loop counter is set to 2^64-1 at the loop's first instruction, so the guest never finishes on its own
      // however fast it runs: each stop can only be the interrupt's.
      const g = gdbBatchChild(elf, s.port, ['tbreak loop.asm:14', 'continue', 'set $rcx = -1', 'continue', 'p/x $pc', 'monitor info', 'continue', 'monitor info', 'kill']);
      // What a terminal does on Ctrl-C: SIGINT to gdb, which sends the interrupt byte (0x03) to the server.
      // Each time, once gdb has connected (or printed the last stop) and the guest has run for a while.
      const until = async (done: () => boolean) => {
        for (let t = 0; t < 600 && !done(); t++) await new Promise((r) => setTimeout(r, 50));
      };
      await until(() => /gdb connected/.test(serverLog));
      await new Promise((r) => setTimeout(r, 1500));
      g.child.kill('SIGINT');
      await until(() => /instructions retired/.test(g.sofar()));
      await new Promise((r) => setTimeout(r, 1000));
      g.child.kill('SIGINT');
      const gdb = await g.output;
      assert.equal((gdb.match(/Program received signal SIGINT, Interrupt\.\nkmain\[loop\] \(\) at fixtures\/src\/bench\/loop\.asm:\d+/g) ?? []).length, 2, gdb);
      const counts = [...gdb.matchAll(/long mode, 64-bit code, CPL 0, RIP 0x[0-9a-f]+, (\d+) instructions retired/g)].map((m) => Number(m[1]));
      assert.equal(counts.length, 2);
      assert.ok(counts[0] > 0 && counts[1] > counts[0], `ran on after the first interrupt: ${counts}`);
      assert.match(gdb, /\[Inferior 1 \(Remote target\) killed\]/);
    } finally {
      s.child.kill();
    }
  });

  it('32-bit task gate: the #DF stop names the task gate, and stepi switches to the double-fault task', async () => {
    const elf = fixture('task-gate-df.elf');
    const { gdb } = await session(elf, [
      'continue', 'continue',
      'monitor idt 8', 'monitor faultchain',
      'stepi', 'p/x $eip', 'monitor tss',
    ]);
    assert.match(gdb, / 8 #DF\s+task gate/);
    assert.match(gdb, /the #DF gate is a task gate/);
    assert.equal(printed(gdb, 1), symbol(elf, 'df_entry'));
    assert.match(gdb, /back link 0x[1-9a-f][0-9a-f]*/);
  });
});

describe('faultline run --gdb on bad input', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'run', ...args], { encoding: 'utf8', timeout: 30_000 });

  it('refuses a bad port, --gdb-wait alone, and --gdb with --record, each in one sentence', () => {
    const k = fixture('c32-bare-bones.elf');
    for (const [args, re] of [
      [[k, '--gdb', '70000'], /--gdb takes a TCP port from 0 to 65535/],
      [[k, '--gdb', 'x'], /--gdb takes a TCP port/],
      [[k, '--gdb-wait'], /--gdb-wait needs --gdb PORT/],
      [[k, '--gdb', '0', '--gdb-arch', 'arm'], /--gdb-arch takes x86-64, i386 or i8086, not 'arm'/],
      [[k, '--gdb-arch', 'i386'], /--gdb-arch needs --gdb PORT/],
      [[k, '--gdb', '0', '--record', 'r.json'], /--gdb cannot be combined with --record or --input/],
    ] as [string[], RegExp][]) {
      const r = run(...args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr.split('\n')[0], re);
    }
  });

  it('a port already in use is one sentence, exit status 2', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        execFile(process.execPath, [cli, 'run', fixture('c32-bare-bones.elf'), '--gdb', String(port)], { timeout: 30_000 }, (e, _o, stderr) => {
          resolve({ status: e ? (e as { code?: number }).code ?? null : 0, stderr });
        });
      });
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`^faultline: port ${port} on 127\\.0\\.0\\.1 is in use; choose another with --gdb PORT\\n$`));
    } finally {
      busy.close();
    }
  });

  it('without --gdb-wait the kernel runs to its end when no gdb connects, and reports as without --gdb', () => {
    const r = run(fixture('c32-bare-bones.elf'), '--gdb', '0');
    assert.equal(r.status, 33);
    assert.match(r.stdout, /EXCEPTION: DIVIDE ERROR/);
    assert.match(r.stdout, /guest exit via isa-debug-exit: status 33/);
  });
});
