import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { StopInfo } from '../../emulator/api';
import { DiskImage } from '../../emulator/devices/disk-image';
import { Machine } from '../../emulator/machine';
import { LINUX_CACHE, LINUX_KERNEL, linuxBootSkipped } from '../support/linux-fixture';

/**
 * Linux's own PIIX IDE driver on the board: the Linux fixture's kernel with initramfs-ata.cpio.gz
 * (fixtures/linux/build.sh: the kernel package's libata, ata_piix, sd_mod, sr_mod; /init = fixtures/linux/init-ata)
 * and the ide-dma fixture's disk and CD. ata_piix finds the bus-master BAR ("ata1: PATA max MWDMA2 ... bmdma
 * 0xc000"), sets MWDMA2 on both drives, reads the disk and the CD by DMA, writes the disk and reads it back past
 * the page cache. Golden: `bash fixtures/linux/build.sh --golden-ata` (QEMU 7.2, -nic none so BAR 4 is at 0xc000
 * there too). Compared: the libata/SCSI lines and the init's, as sorted sets (the two ports are probed
 * concurrently, so their lines interleave in any order, in QEMU too) and the interrupt lines without their counts
 * (the CD's event polling follows host time under QEMU). About 6.8 billion instructions: gated as linux-boot.test.ts.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const INITRD = path.join(LINUX_CACHE, 'initramfs-ata.cpio.gz');
const GOLDEN = path.join(ROOT, 'fixtures/golden/linux/serial-ata.txt');
const skip = linuxBootSkipped() || (!fs.existsSync(INITRD) && `${INITRD} is missing; run bash fixtures/linux/build.sh`);

const RELEVANT = /^(ata\d|scsi |sd |sr |cdrom: |ata-init: )/;

function comparable(text: string): string[] {
  const lines = text.replace(/\r/g, '').split('\n').map((l) => l.replace(/^\[ *\d+\.\d+\] /, ''));
  const out = lines.filter((l) => RELEVANT.test(l)).sort();
  for (const l of lines) {
    const irq = /^ *(1[45]): +(\d+) +IO-APIC +(1[45]-edge) +ata_piix$/.exec(l.replace(/ +/g, ' '));
    if (irq) out.push(`irq ${irq[1]} ${Number(irq[2]) > 0 ? 'taken' : 'none'} ${irq[3]}`);
  }
  return out;
}

test('Linux\'s ata_piix drives the disk and the CD by bus-master DMA as under QEMU', { skip, timeout: 3_600_000 }, () => {
  const bin = (f: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures/bin', f)));
  const disk = bin('ide-dma-disk.img');
  const m = Machine.create({
    memoryMB: 256, cpu: 'qemu64', onTripleFault: 'stop',
    // As the golden's QEMU command: -nic none, so the IDE bus-master BAR takes the first I/O addresses (0xc000).
    board: { hda: DiskImage.fromBytes(disk), cdrom: DiskImage.fromBytes(bin('ide-dma-cd.iso')), nic: false },
  });
  let serial = '';
  m.on('serial', (b: number) => { serial += String.fromCharCode(b); });
  m.boot(new Uint8Array(fs.readFileSync(LINUX_KERNEL)), { cmdline: 'console=ttyS0', initrd: new Uint8Array(fs.readFileSync(INITRD)) });
  let stop: StopInfo = { reason: 'budget' };
  while (m.instructionCount < 20_000_000_000) {
    stop = m.run(500_000_000);
    if (stop.reason !== 'budget') break;
  }
  assert.equal(stop.reason, 'exit', `the run ended with ${stop.reason} after ${m.instructionCount} instructions`);
  const ours = comparable(serial);
  assert.ok(ours.some((l) => l.startsWith('ata1: PATA max MWDMA2 cmd 0x1f0 ctl 0x3f6 bmdma 0xc000 irq 14')), ours.join('\n'));
  assert.ok(ours.includes('ata-init: xfer XFER_MW_DMA_2 XFER_MW_DMA_2'), 'both drives in multiword DMA mode 2');
  assert.deepEqual(ours, comparable(fs.readFileSync(GOLDEN, 'utf8')));
  assert.deepEqual(disk, bin('ide-dma-disk.img'), 'the guest\'s writes stayed in the overlay');
});
