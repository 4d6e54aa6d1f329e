import { checksumByte, putAscii } from './checksum';
import { Platform } from './platform';

/**
 * Intel MultiProcessor Specification 1.4 tables as SeaBIOS (src/fw/mptable.c) builds them for QEMU's `pc`:
 * the 16-byte floating pointer ("_MP_") and the configuration table ("PCMP") right after it, with one
 * processor entry per CPU, bus 0 "PCI", bus 1 "ISA", the IOAPIC, an I/O interrupt entry for each PCI
 * interrupt pin on bus 0, one for every ISA IRQ not routed to PCI (IRQ 0 on IOAPIC pin 2, IRQ 2 left out,
 * when the IRQ0 override is on), then ExtINT on LINT0 and NMI on LINT1 of every local APIC.
 * Compared field by field with QEMU 7.2's in test/firmware/ and the lowmem-probe fixture.
 */

/** Where SeaBIOS 1.16 (Debian's bios-256k.bin) puts the floating pointer in the F segment under QEMU 7.2. */
export const MP_FLOATING_ADDRESS = 0xf5ba0;

const MP_SPEC_REV = 4; // 1.4
const ENTRY = { processor: 0, bus: 1, ioapic: 2, intsrc: 3, lintsrc: 4 } as const;
const INT_TYPE = { int: 0, nmi: 1, smi: 2, extint: 3 } as const;
const PCI_BUS = 0;
const ISA_BUS = 1;

export interface MpTables {
  /** Physical address of the floating pointer; the configuration table follows at +16. */
  address: number;
  floating: Uint8Array;
  config: Uint8Array;
}

export function buildMpTables(p: Platform, address = MP_FLOATING_ADDRESS): MpTables {
  const entries: Uint8Array[] = [];
  const entry = (bytes: number[]) => entries.push(Uint8Array.from(bytes));
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

  // SeaBIOS lists the first logical CPU of each package only (mptable.c: CPUID.01H EDX.HTT, EBX[23:16] rounded
  // up to a power of 2); QEMU's -smp N is one package of N cores, so the MP table names the BSP alone and
  // the MADT every CPU (Linux reads the MADT; the MP table is for pre-ACPI systems).
  const pkgcpus = p.cpuCount > 1 ? 1 << (32 - Math.clz32(p.cpuCount - 1)) : 1;
  for (let cpu = 0; cpu < p.cpuCount; cpu += pkgcpus) {
    // flags: bit 0 enabled, bit 1 bootstrap processor
    entry([ENTRY.processor, cpu, p.lapicVersion, cpu === 0 ? 3 : 1, ...u32(p.cpuSignature), ...u32(p.cpuFeatures), 0, 0, 0, 0, 0, 0, 0, 0]);
  }
  entry([ENTRY.bus, PCI_BUS, ...Array.from('PCI   ', (c) => c.charCodeAt(0))]);
  entry([ENTRY.bus, ISA_BUS, ...Array.from('ISA   ', (c) => c.charCodeAt(0))]);
  const io = p.ioapic;
  entry([ENTRY.ioapic, io.id, io.version, 1, ...u32(io.address)]);
  // PCI interrupts: source bus IRQ = device << 2 | (INTx pin - 1). SeaBIOS 1.16 writes flags 0x0001
  // (polarity active high, trigger conforming) for them.
  for (const pci of p.pciInterrupts) {
    entry([ENTRY.intsrc, INT_TYPE.int, 0x01, 0x00, PCI_BUS, (pci.device << 2) | (pci.pin - 1), io.id, pci.irq]);
  }
  for (let irq = 0; irq < 16; irq++) {
    if (p.pciIrqs.includes(irq)) continue;
    if (p.irq0Override && irq === 2) continue; // IOAPIC pin 2 is IRQ 0's; ISA IRQ 2 is the cascade
    const pin = p.irq0Override && irq === 0 ? 2 : irq;
    entry([ENTRY.intsrc, INT_TYPE.int, 0, 0, ISA_BUS, irq, io.id, pin]);
  }
  entry([ENTRY.lintsrc, INT_TYPE.extint, 0, 0, ISA_BUS, 0, 0, 0]);
  entry([ENTRY.lintsrc, INT_TYPE.nmi, 0, 0, ISA_BUS, 0, 0xff, 1]);

  const length = 44 + entries.reduce((n, e) => n + e.length, 0);
  const config = new Uint8Array(length);
  const v = new DataView(config.buffer);
  putAscii(config, 0, 'PCMP');
  v.setUint16(4, length, true);
  config[6] = MP_SPEC_REV;
  putAscii(config, 8, 'BOCHSCPU', 8);
  putAscii(config, 16, '0.1', 12);
  v.setUint16(34, entries.length, true);
  v.setUint32(36, p.lapicAddress, true);
  let at = 44;
  for (const e of entries) {
    config.set(e, at);
    at += e.length;
  }
  config[7] = checksumByte(config);

  const floating = new Uint8Array(16);
  putAscii(floating, 0, '_MP_');
  new DataView(floating.buffer).setUint32(4, address + 16, true);
  floating[8] = 1; // length in 16-byte units
  floating[9] = MP_SPEC_REV;
  floating[10] = checksumByte(floating);
  return { address, floating, config };
}
