import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseElf } from '../../emulator/boot/elf';
import { cpuid, CPU_MODELS } from '../../emulator/cpu/cpuid';
import { Seg } from '../../emulator/cpu/state';
import { findSeabiosDir, loadFirmware } from '../../emulator/firmware/seabios';
import { Machine, MAX_SMP } from '../../emulator/machine';
import { compareWithRecording, makeRecording, parseRecording, runSession } from '../../emulator/recording';

/**
 * More than one CPU (MachineOptions.smp, QEMU's -smp N). The smp fixture (fixtures/src/smp/kernel.asm) counts
 * the CPUs in the MADT, starts each AP by INIT, INIT de-assert, STARTUP, STARTUP, has it print its APIC ID, then
 * sends fixed IPIs by physical and logical destination, a lowest-priority IPI, an NMI to all-but-self and a
 * self-IPI, and prints which CPUs each reached. Every CPU also prints the CPUID leaves that describe the package
 * (2, 4, 0Bh, 80000001h's CmpLegacy, 80000008h's ECX): QEMU's -smp N is one package of N cores, and a kernel that
 * reads them (Linux, memtest86+) must count one package here too. Golden: QEMU 7.2 `-smp N -kernel fixtures/bin/smp.elf
 * -serial file:… -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cpu qemu64 -m 128` (SeaBIOS, multi-threaded
 * TCG: the fixture lets one CPU print at a time), fixtures/golden/smp-N.serial.txt; exit status 1 each.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const kernelPath = path.join(root, 'fixtures/bin/smp.elf');
const golden = (n: number) => fs.readFileSync(path.join(root, 'fixtures/golden', `smp-${n}.serial.txt`), 'latin1');
const missing = !fs.existsSync(kernelPath) && 'fixtures/bin/smp.elf is missing (bash fixtures/build.sh)';

function boot(smp: number, firmware = false) {
  const fw = firmware ? loadFirmware() : undefined;
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop', smp, board: fw && { bios: fw.bios, vgaBios: fw.vgaBios } });
  let serial = '';
  m.on('serial', (b) => { serial += String.fromCharCode(b); });
  m.boot(new Uint8Array(fs.readFileSync(kernelPath)));
  return { m, serial: () => serial };
}

function symbol(name: string): bigint {
  const s = parseElf(new Uint8Array(fs.readFileSync(kernelPath))).symbols.find((x) => x.name === name);
  assert.ok(s, `${name} is in smp.elf's symbol table`);
  return BigInt(s.value);
}

describe('SMP: the smp fixture against QEMU -smp N', { skip: missing }, () => {
  for (const n of [1, 2, 4]) {
    it(`-smp ${n}, direct load: APs started by INIT-SIPI-SIPI print their APIC IDs, every IPI reaches the CPUs it does under QEMU`, () => {
      const g = boot(n);
      const stop = g.m.run(50_000_000);
      assert.deepEqual(stop, { reason: 'exit', exitCode: 1 });
      assert.equal(g.serial(), golden(n));
    });
  }
  it('-smp 4 through SeaBIOS (it counts the APs by INIT-SIPI and builds the MADT for 4): the same output', { skip: !findSeabiosDir() && 'SeaBIOS is not installed' }, () => {
    const g = boot(4, true);
    assert.deepEqual(g.m.run(100_000_000), { reason: 'exit', exitCode: 1 });
    assert.equal(g.serial(), golden(4));
  });

  it('the schedule is deterministic: sliced runs, a recording and its replay end in the same state', () => {
    const a = boot(4);
    a.m.run(50_000_000);
    const b = boot(4);
    let stop;
    do stop = b.m.run(777); while (stop.reason === 'budget');
    assert.equal(b.m.instructionCount, a.m.instructionCount);
    assert.equal(b.m.stateHash(), a.m.stateHash());
    const c = boot(2);
    const bytes = new Uint8Array(fs.readFileSync(kernelPath));
    const session = runSession(c.m, 50_000_000, []);
    const rec = parseRecording(JSON.stringify(makeRecording(c.m, { path: kernelPath, bytes }, undefined, 50_000_000, session)), 'smp.json');
    assert.equal(rec.machine.smp, 2);
    const d = boot(2);
    const again = makeRecording(d.m, { path: kernelPath, bytes }, undefined, 50_000_000, runSession(d.m, 50_000_000, []));
    assert.deepEqual(compareWithRecording(rec, again), []);
  });

  it('a breakpoint in AP code stops the machine on that CPU; the others keep their own state', () => {
    const g = boot(2);
    g.m.addBreakpoint(symbol('int40'));
    const stop = g.m.run(50_000_000);
    assert.equal(stop.reason, 'breakpoint');
    assert.equal(g.m.currentCpu, 1);
    assert.equal(g.m.state().pc, symbol('int40'));
    g.m.selectCpu(0);
    assert.notEqual(g.m.state().pc, symbol('int40'));
    g.m.selectCpu(1);
    g.m.removeBreakpoint(symbol('int40'));
    assert.deepEqual(g.m.run(50_000_000), { reason: 'exit', exitCode: 1 });
    assert.equal(g.serial(), golden(2));
  });

  it('CPUID.01H: EBX[31:24] the initial APIC ID, EBX[23:16] and EDX.HTT as QEMU -smp N (one package of N cores)', () => {
    const g = boot(2);
    g.m.run(50_000_000);
    assert.match(g.serial(), /AP 1: APIC ID 1, CPUID.01H:EBX\[31:24\] 1, IA32_APIC_BASE.BSP 0/);
    for (const i of [0, 1]) {
      const c = g.m.cpus[i];
      c.r[0] = 1; c.r[2] = 0; // EAX = 1, ECX = 0
      cpuid(c, CPU_MODELS.faultline);
      assert.equal(c.r[6] >>> 0, (i << 24) | (2 << 16) | (8 << 8), `CPU ${i} EBX`);
      assert.equal((c.r[4] >>> 28) & 1, 1, `CPU ${i} EDX.HTT`);
    }
  });
});

describe('SMP: machine options and cross-CPU code invalidation', () => {
  it('smp outside 1..16 is refused in one sentence', () => {
    assert.throws(() => Machine.create({ smp: 0 }), /smp must be a whole number of CPUs from 1 to 16, not 0/);
    assert.throws(() => Machine.create({ smp: MAX_SMP + 1 }), /from 1 to 16/);
    assert.throws(() => Machine.create({ smp: 2 }).enableHistory(), /reverse debugging needs a machine with one CPU/);
  });

  it('a store by one CPU into code another CPU has decoded (and translated) reaches that CPU', () => {
    const m = Machine.create({ memoryMB: 2, smp: 2 });
    m.reset();
    // CPU 1 at 0200:0000: L: mov ax, 1; mov [0x3000], ax; jmp L (hot enough to be translated).
    m.writePhysical(0x2000n, Uint8Array.of(0xb8, 0x01, 0x00, 0xa3, 0x00, 0x30, 0xeb, 0xf8));
    // CPU 0 at 0000:1000: spin 20000 times, patch CPU 1's immediate to 2, halt with interrupts off.
    m.writePhysical(0x1000n, Uint8Array.of(0xb9, 0x20, 0x4e, 0xe2, 0xfe, 0xc6, 0x06, 0x01, 0x20, 0x02, 0xfa, 0xf4));
    const c0 = m.cpus[0];
    c0.segSel[Seg.CS] = 0; c0.segBase[Seg.CS] = 0; c0.rip = 0x1000;
    m.devices.lapics[0].initReset();
    // CPU 1 leaves wait-for-SIPI through a STARTUP IPI with vector 02h, as its APIC delivers it.
    m.devices.lapics[1].onSipi(0x02);
    assert.equal(m.cpus[1].segBase[Seg.CS], 0x2000);
    m.cpus[1].jitThreshold = 1;
    m.run(400_000);
    assert.equal(m.readPhysical(0x3000n, 2)[0], 2, 'CPU 1 runs the patched instruction');
  });
});
