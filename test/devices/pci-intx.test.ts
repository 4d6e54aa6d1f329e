import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PciFunction, PCI } from '../../emulator/devices/pci';
import { initPicLikeLinux, makePc } from './harness';

/**
 * PCI INTx on QEMU's `pc` board: a function's pin reaches an ISA IRQ only through the PIIX3 PIRQ route
 * registers (00:01.0 config 0x60-0x63), slot s pin p on PIRQ[(p - 1 + s - 1) & 3], and from the ISA IRQ both the
 * 8259s and the I/O APIC pin of the same number (QEMU hw/isa/piix3.c, pci_slot_get_pirq / piix3_set_irq_pic).
 * The device here is a plain PciFunction with an interrupt pin, on a board without the e1000 (whose slot 3 it takes).
 */
class IntxDevice extends PciFunction {
  constructor(slot: number, pin: number) {
    super('intx-test', slot, 0, { vendor: 0x1234, device: 0x0001, classCode: 0xff0000, pin });
  }
}

function pcWithDevice(slot: number, pin: number) {
  const pc = makePc({ board: { nic: false } });
  const dev = new IntxDevice(slot, pin);
  pc.devices.board.pci.add(dev);
  /** A config-space byte write through the ports (CONFIG_ADDRESS 0xCF8, data 0xCFC-0xCFF). */
  const cfgWriteb = (s: number, fn: number, reg: number, v: number) => {
    pc.outl(0xcf8, 0x80000000 | (s << 11) | (fn << 8) | (reg & 0xfc));
    pc.outb(0xcfc + (reg & 3), v);
  };
  const cfgReadw = (s: number, fn: number, reg: number) => {
    pc.outl(0xcf8, 0x80000000 | (s << 11) | (fn << 8) | (reg & 0xfc));
    return pc.inw(0xcfc + (reg & 2));
  };
  return { ...pc, dev, cfgWriteb, cfgReadw };
}

test('a PIRQ routed through the PIIX3 registers delivers a PCI INTx on that ISA IRQ at the 8259 (slot 3 INTA -> PIRQC -> IRQ 11)', () => {
  const pc = pcWithDevice(3, 1);
  initPicLikeLinux(pc.outb);
  pc.outb(0x4d1, 0x08); // ELCR: IRQ 11 level-triggered, as firmware sets PCI IRQs
  pc.outb(0xa1, 0xf7); // unmask IRQ 11 on the slave
  pc.dev.setIntx(true);
  assert.equal(pc.devices.router.pending, false, 'route disabled (0x80 after reset): nothing reaches the PIC');
  assert.equal(pc.cfgReadw(3, 0, PCI.STATUS) & 0x08, 0x08, 'STATUS.Interrupt shows the request regardless');
  pc.cfgWriteb(1, 0, 0x62, 11); // PIRQC -> IRQ 11
  assert.equal(pc.devices.router.pending, true);
  assert.equal(pc.devices.router.acknowledge(), 0x2b);
  pc.outb(0xa0, 0x20);
  pc.outb(0x20, 0x20);
  const slaveIrr = () => { pc.outb(0xa0, 0x0a); return pc.inb(0xa0); };
  assert.equal(slaveIrr() & 0x08, 0x08, 'level-triggered: still requested after EOI');
  pc.dev.setIntx(false);
  assert.equal(slaveIrr() & 0x08, 0);
});

test('the swizzle: slot s pin p drives PIRQ[(p - 1 + s - 1) & 3]; other routes stay quiet', () => {
  for (const [slot, pin, pirq] of [[3, 1, 2], [3, 2, 3], [4, 1, 3], [5, 1, 0], [2, 4, 0], [6, 3, 3]]) {
    const pc = pcWithDevice(slot, pin);
    initPicLikeLinux(pc.outb);
    pc.outb(0x4d0, 0x20); // ELCR: IRQ 5 level
    pc.outb(0x21, 0xdb); // unmask IRQ 5 (and the cascade)
    for (let n = 0; n < 4; n++) pc.cfgWriteb(1, 0, 0x60 + n, n === pirq ? 5 : 0x80);
    pc.dev.setIntx(true);
    assert.equal(pc.devices.router.pending, true, `slot ${slot} pin ${pin} on PIRQ${'ABCD'[pirq]}`);
    pc.cfgWriteb(1, 0, 0x60 + pirq, 0x80);
    assert.equal(pc.devices.router.pending, false, 'disabling the route takes the level off the IRQ');
  }
});

test('re-routing an asserted PIRQ moves its level; COMMAND Interrupt Disable holds the pin off', () => {
  const pc = pcWithDevice(3, 1);
  const irr = () => { pc.outb(0xa0, 0x0a); return pc.inb(0xa0); }; // OCW3: read the slave's IRR
  initPicLikeLinux(pc.outb);
  pc.outb(0x4d1, 0x0c); // IRQ 10 and 11 level
  pc.cfgWriteb(1, 0, 0x62, 10);
  pc.dev.setIntx(true);
  assert.equal(irr() & 0x0c, 0x04, 'IRQ 10');
  pc.cfgWriteb(1, 0, 0x62, 11);
  assert.equal(irr() & 0x0c, 0x08, 'moved to IRQ 11, IRQ 10 released');
  pc.cfgWriteb(3, 0, PCI.COMMAND + 1, 0x04); // Interrupt Disable
  assert.equal(irr() & 0x0c, 0);
  pc.cfgWriteb(3, 0, PCI.COMMAND + 1, 0x00);
  assert.equal(irr() & 0x0c, 0x08);
});

test('two functions sharing a PIRQ: the IRQ stays up until both let go', () => {
  const pc = pcWithDevice(3, 1); // PIRQC
  const other = new IntxDevice(7, 1); // (0 + 7 - 1) & 3 = 2: PIRQC too
  pc.devices.board.pci.add(other);
  initPicLikeLinux(pc.outb);
  pc.outb(0x4d1, 0x08);
  pc.outb(0xa1, 0xf7);
  pc.cfgWriteb(1, 0, 0x62, 11);
  const slaveIrr = () => { pc.outb(0xa0, 0x0a); return pc.inb(0xa0) & 0x08; };
  pc.dev.setIntx(true);
  other.setIntx(true);
  pc.dev.setIntx(false);
  assert.equal(slaveIrr(), 0x08);
  other.setIntx(false);
  assert.equal(slaveIrr(), 0);
});

test('the I/O APIC path: the routed ISA IRQ arrives on I/O APIC pin 11 as a level interrupt', () => {
  const pc = pcWithDevice(3, 1);
  const { phys } = pc;
  phys.write(0xfee000f0, 4, 0x1ff); // local APIC software-enabled
  phys.write(0xfec00000, 4, 0x10 + 2 * 11); // redirection entry 11: vector 0x41, level, active high, fixed, APIC 0
  phys.write(0xfec00010, 4, 0x8041);
  phys.write(0xfec00000, 4, 0x11 + 2 * 11);
  phys.write(0xfec00010, 4, 0);
  pc.cfgWriteb(1, 0, 0x62, 11);
  pc.dev.setIntx(true);
  assert.equal(pc.devices.router.pending, true);
  assert.equal(pc.devices.router.acknowledge(), 0x41);
});
