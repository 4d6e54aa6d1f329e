import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Machine } from '../../emulator/machine';
import { bootWithFirmware, firmwareMissing } from '../support/firmware';

/**
 * A directly booted kernel finds the PCI board as SeaBIOS leaves it under `qemu -kernel` (firmware/pci-setup.ts).
 * The expected values are QEMU 7.2's with SeaBIOS 1.16 (Linux under QEMU prints them: "pci 0000:00:02.0: BAR 0
 * [mem 0xfd000000-0xfdffffff pref]", "ACPI: PM-Timer IO Port: 0x608", "PCI: Interrupt link LNKA configured for
 * IRQ 10"; QEMU's e1000 NIC is not on Faultline's board). The same values come out
 * when SeaBIOS itself runs on Faultline's board, except the PM base: without fw_cfg's etc/table-loader SeaBIOS
 * keeps its own default 0xb000.
 */

const KERNEL = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'bin', 'breakpoint.elf');

function direct(): Machine {
  const m = Machine.create({ memoryMB: 128 });
  m.boot(fs.readFileSync(KERNEL));
  return m;
}

test('direct boot: PIRQ routing, ELCR, IDE decode, PM and SMBus bases, VGA framebuffer BAR, COMMAND', () => {
  const m = direct();
  const f = (slot: number, fn: number) => m.devices.board.pci.function(slot, fn)!;
  const isa = f(1, 0), ide = f(1, 1), pm = f(1, 3), vga = f(2, 0);
  assert.deepEqual([0x60, 0x61, 0x62, 0x63].map((r) => isa.read(r, 1)), [10, 10, 11, 11]);
  assert.equal(m.bus.inPort(0x4d0, 1), 0x00);
  assert.equal(m.bus.inPort(0x4d1, 1), 0x0c, 'IRQ 10 and 11 level-triggered');
  assert.equal(ide.read(0x40, 2), 0x8000);
  assert.equal(ide.read(0x42, 2), 0x8000);
  assert.equal(pm.read(0x40, 4), 0x601, 'PMBA 0x600');
  assert.equal(pm.read(0x80, 1) & 1, 1, 'PM I/O enabled');
  assert.equal(pm.read(0x90, 4), 0x701, 'SMBus base 0x700');
  assert.equal(pm.read(0x3c, 1), 9, 'SCI');
  assert.equal(vga.read(0x10, 4), 0xfd000008, 'the 16 MiB prefetchable framebuffer ends where the 32-bit window does');
  for (const fn of [isa, ide, pm, vga]) assert.equal(fn.read(0x04, 2) & 0x103, 0x103, `${fn.name}: I/O, memory, SERR#`);
  assert.equal(vga.barAddress(0), 0xfd000000);
  assert.equal(vga.read(0x18, 4), 0xfebf0000, 'MMIO BAR 2, as "pci 0000:00:02.0: BAR 2 [mem 0xfebf0000-0xfebf0fff]"');
  if (vga.rom) assert.equal(vga.read(0x30, 4), 0xfebe0000, 'ROM BAR, as "ROM [mem 0xfebe0000-0xfebeffff pref]", not enabled');
  assert.equal(m.mem.read(0xfebf0600, 4), 8, 'QEMU\'s extended registers answer in BAR 2');
});

test('direct boot: the ACPI PM timer and PM1 registers answer at 0x600 (Linux: PM-Timer consistency check, RTC_EN)', () => {
  const m = direct();
  const t0 = m.bus.inPort(0x608, 4);
  assert.notEqual(t0, 0xffffffff);
  assert.equal(t0 >>> 24, 0, '24-bit timer');
  m.bus.outPort(0x602, 2, 0x0400); // PM1a_EN: RTC_EN
  assert.equal(m.bus.inPort(0x602, 2), 0x0400);
  m.bus.outPort(0x602, 2, 0);
  assert.equal(m.bus.inPort(0x602, 2), 0);
});

test('ACPI soft-off through PM1a_CNT at 0x604 ends the run as a power-off (exit status 0), not an isa-debug-exit', () => {
  const m = direct();
  m.bus.outPort(0x604, 2, 0x2000); // SLP_TYP 0 (S5 in the DSDT's _S5), SLP_EN
  const stop = m.run(1000);
  assert.equal(stop.reason, 'exit');
  assert.equal(stop.exitCode, 0);
  assert.equal(stop.powerOff, true);
});

test('direct boot: the MTRRs as SeaBIOS sets them (fixed ranges WB/UC/WP, 2 GiB-4 GiB uncached, default WB)', () => {
  const m = direct();
  const get = (i: number) => { const v = m.cpu.mtrr.get(i); return v ? [v[0] >>> 0, v[1] >>> 0] : undefined; };
  assert.deepEqual(get(0x2ff), [0xc06, 0]);
  assert.deepEqual(get(0x250), [0x06060606, 0x06060606]);
  assert.deepEqual(get(0x258), [0x06060606, 0x06060606]);
  assert.deepEqual(get(0x259), [0, 0]);
  for (let j = 0; j < 8; j++) assert.deepEqual(get(0x268 + j), [0x05050505, 0x05050505]);
  assert.deepEqual(get(0x200), [0x80000000, 0], 'PCI window from 2 GiB, uncached');
  assert.deepEqual(get(0x201), [0x80000800, 0xff], 'mask over 40 physical address bits, valid');
  for (let i = 1; i < 8; i++) assert.deepEqual(get(0x201 + 2 * i), [0, 0]);
});

describe('direct boot against SeaBIOS running on the same board', { skip: firmwareMissing() }, () => {
  it('leaves the same PCI configuration, ELCR and MTRRs, apart from what the firmware boot has differently', () => {
    const fw = bootWithFirmware({}, 60_000_000).m;
    const m = direct();
    assert.deepEqual([...m.cpu.mtrr].sort((a, b) => a[0] - b[0]), [...fw.cpu.mtrr].sort((a, b) => a[0] - b[0]));
    assert.deepEqual([m.bus.inPort(0x4d0, 1), m.bus.inPort(0x4d1, 1)], [fw.bus.inPort(0x4d0, 1), fw.bus.inPort(0x4d1, 1)]);
    // Known differences: PAM (the direct boot keeps 0xC0000-0xFFFFF read/write RAM), the PM and SMBus bases
    // (without fw_cfg's etc/table-loader SeaBIOS keeps its default 0xb000; QEMU's has it, and 0x600). The VGA's
    // ROM and MMIO BARs are the same on both: the card has its ROM whether or not a BIOS runs it. The e1000's bus
    // mastering and latency timer: iPXE's initialisation (its ROM, which SeaBIOS runs; adjust_pci_device) sets
    // COMMAND bit 2 and a latency timer of 32; SeaBIOS itself does neither.
    const ignore: Record<string, number[]> = { i440fx: [0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f], 'piix4-pm': [0x40, 0x41, 0x90, 0x91], e1000: [0x04, 0x0d] };
    const fns = m.devices.board.pci.functions;
    fns.forEach((f, k) => {
      const g = fw.devices.board.pci.functions[k];
      for (let off = 0; off < 256; off++) {
        if (ignore[f.name]?.includes(off)) continue;
        assert.equal(f.config[off], g.config[off], `${f.name} config 0x${off.toString(16)}`);
      }
    });
  });
});
