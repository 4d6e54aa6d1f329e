import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { findSeabiosDir, loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';
import { captureDevices } from '../../emulator/snapshot';

/**
 * The e1000 and the user-mode network as a hobby kernel's driver sees them, against QEMU: fixtures/src/e1000/kernel.c
 * finds the card on PCI, resets it, reads the EEPROM (EERD and bit-banged EECD), the PHY, sets up the rings, does
 * DHCP, ARPs and pings the gateway and the DNS server, prints the statistics, then probes the outside world.
 * Golden: QEMU 7.2 (Debian 1:7.2+dfsg-7), `qemu-system-x86_64 -nodefaults -vga std -display none -no-reboot
 * -machine accel=tcg -m 128 -cpu qemu64 -device isa-debug-exit,iobase=0xf4,iosize=0x04 -nic user,model=e1000
 * -serial file:fixtures/golden/e1000.serial.txt -kernel fixtures/bin/e1000.elf` (exit status 33): QEMU's pc with
 * its VGA at 00:02.0 and the NIC at 00:03.0, as Faultline's default board.
 *
 * Two lines differ by design: what lies beyond the gateway. QEMU's slirp hands the echo to 8.8.8.8 and the DNS
 * query to the host (on the recording host its ping socket answered with an odd echo reply "from 8.8.8.8", and the
 * host's resolver answered NXDOMAIN); Faultline opens no sockets, so both get slirp's answer for an unreachable
 * network, ICMP destination unreachable (code 0) from 10.0.2.2 quoting the datagram (emulator/devices/usernet.ts).
 */
const root = path.resolve(__dirname, '..', '..', '..');
const kernelPath = path.join(root, 'fixtures/bin/e1000.elf');
const missing = !fs.existsSync(kernelPath) && 'fixtures/bin/e1000.elf is missing (bash fixtures/build.sh)';

const OUTSIDE_LINES: [RegExp, string][] = [
  [/(?<=^ping 8\.8\.8\.8\n)  from .*$/m, '  from 10.0.2.2: frame 106 bytes, IP proto 1, ICMP type 3 code 0'],
  [/(?<=^DNS query to 10\.0\.2\.3\n)  from .*$/m, '  from 10.0.2.2: frame 103 bytes, IP proto 1, ICMP type 3 code 0'],
];

function expected(): string {
  let g = fs.readFileSync(path.join(root, 'fixtures/golden/e1000.serial.txt'), 'latin1');
  for (const [re, line] of OUTSIDE_LINES) {
    assert.match(g, re);
    g = g.replace(re, line);
  }
  return g;
}

function boot(firmware: boolean, board: { nodefaults?: boolean; nic?: boolean } = {}) {
  const fw = firmware ? loadFirmware() : undefined;
  const m = Machine.create({ memoryMB: 128, cpu: 'qemu64', board: { ...board, ...(fw && { bios: fw.bios, vgaBios: fw.vgaBios }) } });
  let serial = '';
  m.on('serial', (b) => { serial += String.fromCharCode(b); });
  m.boot(new Uint8Array(fs.readFileSync(kernelPath)));
  return { m, serial: () => serial };
}

const BUDGET = 2_000_000_000;

describe('e1000: the e1000 fixture against QEMU', { skip: missing }, () => {
  it('direct load: reset, EEPROM, PHY, rings, DHCP, ARP, pings and statistics as under QEMU (the outside unreachable)', () => {
    const g = boot(false);
    assert.deepEqual(g.m.run(BUDGET), { reason: 'exit', exitCode: 33 });
    assert.equal(g.serial(), expected());
  });

  it('through SeaBIOS (iPXE\'s ROM runs first): the same output', { skip: !findSeabiosDir() && 'SeaBIOS is not installed' }, () => {
    const g = boot(true);
    assert.deepEqual(g.m.run(BUDGET), { reason: 'exit', exitCode: 33 });
    assert.equal(g.serial(), expected());
  });

  it('without a VGA (QEMU -nodefaults -nic user,model=e1000) the card is 00:02.0 on IRQ 10; without a NIC the driver finds none', () => {
    const g = boot(false, { nodefaults: true, nic: true });
    assert.deepEqual(g.m.run(BUDGET), { reason: 'exit', exitCode: 33 });
    assert.match(g.serial(), /^PCI 00:02\.0 8086:100e rev 03 class 020000 subsystem 1af4:1100 pin 1 irq 10$/m);
    const none = boot(false, { nic: false });
    assert.deepEqual(none.m.run(BUDGET), { reason: 'exit', exitCode: 35 });
    assert.match(none.serial(), /^no 82540EM on bus 0$/m);
  });

  it('deterministic: a run in slices ends in the same state as one run', () => {
    const a = boot(false);
    a.m.run(BUDGET);
    const b = boot(false);
    let stop;
    do stop = b.m.run(7_000_003); while (stop.reason === 'budget');
    assert.equal(b.m.instructionCount, a.m.instructionCount);
    assert.equal(b.m.stateHash(), a.m.stateHash());
    assert.equal(b.serial(), a.serial());
  });

  it('reverse debugging: going back into DHCP and the pings restores the card, its queue and timers; running on gives the same end', () => {
    const g = boot(false);
    g.m.enableHistory({ snapshotInterval: 5_000_000 });
    const state = () => JSON.stringify({ hash: g.m.stateHash(), devices: captureDevices(g.m.devices.all) });
    const seen = new Map<number, string>();
    const marks = [20_000_000, 1_001_500_000, 1_010_000_000];
    for (const n of marks) {
      g.m.run(n - g.m.instructionCount);
      seen.set(n, state());
    }
    const end = g.m.run(BUDGET);
    const final = state();
    for (const n of marks) {
      g.m.goto(n);
      assert.equal(state(), seen.get(n), `state at ${n}`);
    }
    assert.deepEqual(g.m.run(BUDGET), end);
    assert.equal(state(), final);
  });
});
