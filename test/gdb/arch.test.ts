import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { fixture, haveGdb, printed, session } from './helpers';

/**
 * The three target descriptions with Debian's gdb: real mode (i8086: a boot sector through SeaBIOS, and an
 * ELF32 kernel that drops to real mode), i386 (--gdb-arch i386) and x86-64 (gdb.test.ts). In real mode
 * gdb's $pc is IP, as with QEMU; breakpoints and memory use linear addresses (CS × 16 + IP).
 */
const skip = haveGdb ? false : '/usr/bin/gdb is not installed (apt-get install gdb)';

function symbol(elf: string, name: string): bigint {
  const line = execFileSync('nm', [elf], { encoding: 'utf8' }).split('\n').find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`${name} not in ${elf}`);
  return BigInt('0x' + line.split(' ')[0]);
}

/** `info registers NAME` → its value. */
function reg(out: string, name: string, nth = 0): bigint {
  const all = [...out.matchAll(new RegExp(`^${name} +(0x[0-9a-f]+)`, 'gm'))];
  if (!all[nth]) throw new Error(`no ${name} #${nth} in gdb output:\n${out}`);
  return BigInt(all[nth][1]);
}

describe('gdb target descriptions', { skip }, () => {
  it('boot sector through SeaBIOS: i8086 from the reset vector, a breakpoint at 0x7c00, 16-bit disassembly, CS:IP, rwatch on the IVT, reverse-stepi', async () => {
    const img = fixture('bootsector.img');
    const sector = fs.readFileSync(img).subarray(0, 512);
    const int13 = 0x7c00n + BigInt(sector.indexOf(Buffer.from([0xcd, 0x13]))); // the first INT 13h
    const { gdb } = await session(img, [
      'show architecture',
      'info registers eip cs', //                        the reset vector: F000:FFF0
      'monitor info',
      'break *0x7c00', 'continue',
      'info registers eip cs edx',
      'x/6i $pc',
      'p/x *(unsigned int*)0x4c', //                    $1: the INT 13h vector SeaBIOS installed
      'stepi', 'stepi', 'p/x $pc', //                   $2
      'rwatch *(unsigned int*)0x4c', 'continue', //     INT 13h's delivery reads the IVT entry
      'info registers eip cs',
      'x/i $cs*16+$eip',
      'monitor info',
      'delete', 'reverse-stepi', //                     back before the INT 13h
      'info registers eip cs',
    ], { run: ['--hda', img] });
    assert.match(gdb, /currently "i8086"/);
    assert.equal(reg(gdb, 'eip', 0), 0xfff0n);
    assert.equal(reg(gdb, 'cs', 0), 0xf000n);
    assert.match(gdb, /real mode, 16-bit code, CPL 0, CS:IP 0xf000:0xfff0 \(linear 0xfffffff0\), 0 instructions retired/);
    assert.match(gdb, /Breakpoint 1, 0x00007c00 in \?\? \(\)/);
    assert.equal(reg(gdb, 'eip', 1), 0x7c00n);
    assert.equal(reg(gdb, 'cs', 1), 0n);
    assert.equal(reg(gdb, 'edx', 0) & 0xffn, 0x80n, 'DL: the BIOS boot drive');
    assert.match(gdb, /=> 0x7c00:\tcli\n +0x7c01:\txor +%ax,%ax\n +0x7c03:\tmov +%ax,%ds\n +0x7c05:\tmov +%ax,%es\n +0x7c07:\tmov +%ax,%ss\n +0x7c09:\tmov +\$0x7c00,%sp/);
    assert.equal(printed(gdb, 2), 0x7c03n);
    const vector = printed(gdb, 1);
    assert.match(gdb, /Hardware read watchpoint 2: \*\(unsigned int\*\)0x4c\n+Value = \d+\n/);
    assert.equal(reg(gdb, 'eip', 2), vector & 0xffffn, 'stopped at the handler the IVT names: IP');
    assert.equal(reg(gdb, 'cs', 2), vector >> 16n, 'and CS');
    const linear = (vector >> 16n) * 16n + (vector & 0xffffn);
    assert.match(gdb, new RegExp(`   0x${linear.toString(16)}:\\t`), 'x/i at CS × 16 + IP');
    assert.match(gdb, new RegExp(`real mode, 16-bit code, CPL 0, CS:IP 0x${(vector >> 16n).toString(16)}:0x${(vector & 0xffffn).toString(16)} \\(linear 0x${linear.toString(16)}\\)`));
    assert.equal(reg(gdb, 'eip', 3), int13, 'reverse-stepi from the handler goes back to the INT 13h');
    assert.equal(reg(gdb, 'cs', 3), 0n);
    assert.doesNotMatch(gdb, /internal-error|Remote connection closed|Ignoring packet error|Could not insert/);
  });

  it('ELF32 kernel in real mode: gdb runs as i386 from the file, set architecture i8086 disassembles 16-bit code, a #DE stops with SIGFPE', async () => {
    const elf = fixture('realmode-ops.elf');
    const { gdb } = await session(elf, [
      'show architecture',
      'maint print registers',
      'break real_entry', 'continue',
      'x/i $pc',
      'set architecture i8086',
      'x/3i $pc',
      'info registers eip cs cr0',
      'stepi', 'p/x $pc', //                            $1
      'break real_entry.de_site', 'continue',
      'monitor catch #DE', 'continue',
      'p/x $pc', //                                     $2
      'monitor faultchain',
      'monitor info',
    ]);
    assert.match(gdb, /currently "i386"/);
    assert.match(gdb, /\n cs +\d+ +\d+ +\d+ +2 uint16_t/, 'the i8086 description: 16-bit selectors');
    assert.match(gdb, /\n eip +\d+ +\d+ +\d+ +4 /);
    assert.match(gdb, /Breakpoint 1, real_entry \(\)/);
    assert.match(gdb, /=> 0x803b <real_entry>:\txor +%eax,%eax\n/, 'i386 decodes the 16-bit code as 32-bit');
    assert.match(gdb, /The target architecture is set to "i8086"\.\n=> 0x803b <real_entry>:\txor +%ax,%ax\n +0x803d <real_entry\+2>:\tmov +%ax,%ds\n +0x803f <real_entry\+4>:\tmov +%ax,%es/);
    assert.equal(reg(gdb, 'eip'), symbol(elf, 'real_entry'));
    assert.equal(reg(gdb, 'cs'), 0n);
    assert.equal(reg(gdb, 'cr0') & 1n, 0n, 'CR0.PE clear');
    assert.equal(printed(gdb, 1), symbol(elf, 'real_entry') + 2n);
    assert.match(gdb, /Breakpoint 2, real_entry\.de_site \(\)/);
    assert.match(gdb, /Faultline: #DE raised at 0x[0-9a-f]+: [^\n]+\(stopped before delivery\)\n+Program received signal SIGFPE/);
    assert.equal(printed(gdb, 2), symbol(elf, 'real_entry.de_site'), 'a fault: stopped at the DIV');
    assert.match(gdb, /fault chain: #DE at 0000:8083 <real_entry\.de_site> \(division by zero\)/, 'real mode: CS:IP, the symbol at CS × 16 + IP');
    assert.match(gdb, /real mode, 16-bit code, CPL 0, CS:IP 0x0:0x[0-9a-f]+ \(linear 0x[0-9a-f]+\)/);
  });

  it('--gdb-arch i386: the i386 description (32-bit selectors), registers and memory of a 32-bit kernel', async () => {
    const elf = fixture('c32-bare-bones.elf');
    const { gdb } = await session(elf, [
      'show architecture',
      'maint print registers', //                       the register table gdb built from the description
      'break divide', 'continue',
      'info registers eip cs ss esp',
      'x/wx $esp', //                                   the return address into middle()
      'p/x $eflags',
    ], { extra: ['--gdb-arch', 'i386'] });
    assert.match(gdb, /currently "i386"/);
    assert.match(gdb, /\n cs +\d+ +\d+ +\d+ +4 int32_t/, 'a 4-byte cs register');
    assert.equal(reg(gdb, 'eip'), symbol(elf, 'divide'));
    assert.equal(reg(gdb, 'cs'), 8n);
    assert.equal(reg(gdb, 'ss'), 0x10n);
    const ret = BigInt(/^0x[0-9a-f]+:\t(0x[0-9a-f]+)$/m.exec(gdb)![1]);
    assert.equal(ret > symbol(elf, 'middle') && ret < symbol(elf, 'outer'), true, 'returns into middle()');
  });
});
