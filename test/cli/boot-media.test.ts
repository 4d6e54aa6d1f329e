import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { firmwareMissing } from '../support/firmware';

/**
 * `faultline run --hda/--cdrom/--fda/--firmware`: a disk or floppy boots through SeaBIOS with QEMU's exit status and serial
 * output, the image is not written, and every bad medium or option is one sentence with status 2.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const img = path.join(root, 'fixtures', 'bin', 'bootsector.img');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-media-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: tmp, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function refuses(r: ReturnType<typeof run>, re: RegExp): void {
  assert.equal(r.status, 2, `exit status (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr.split('\n')[0], re);
  assert.doesNotMatch(r.stderr, /^\s+at .*:\d+:\d+\)?$/m, 'no stack trace');
}

describe('faultline run: disks and CDs', { skip: firmwareMissing() }, () => {
  it('--hda bootsector.img boots through SeaBIOS: QEMU\'s serial output and exit status, the image unchanged', () => {
    const before = fs.readFileSync(img);
    const r = run('run', '--hda', img, '--no-reboot', '--firmware-log');
    assert.equal(r.status, Number(fs.readFileSync(path.join(root, 'fixtures/golden/bootsector.exit'), 'utf8').trim()));
    assert.ok(r.stdout.startsWith(fs.readFileSync(path.join(root, 'fixtures/golden/bootsector.serial.txt'), 'utf8')), r.stdout);
    assert.match(r.stdout, /fault chain: #PF\(0x2\) .*→ triple fault/);
    assert.match(r.stderr, /^SeaBIOS \(version/, 'the firmware log on stderr');
    assert.deepEqual(fs.readFileSync(img), before);
  });

  it('--kernel with --firmware seabios boots the kernel through SeaBIOS and the multiboot option ROM: QEMU\'s serial output, chain and exit status', () => {
    const elf = path.join(root, 'fixtures', 'bin', 'pf-missing-idt.elf');
    const r = run('run', '--kernel', elf, '--firmware', 'seabios', '--no-reboot', '--firmware-log');
    assert.equal(r.status, Number(fs.readFileSync(path.join(root, 'fixtures/golden/pf-missing-idt.exit'), 'utf8').trim()));
    assert.ok(r.stdout.startsWith(fs.readFileSync(path.join(root, 'fixtures/golden/pf-missing-idt.serial.txt'), 'utf8')), r.stdout);
    // The chain starts at the kernel's #PF: the option ROM's BIOS calls before it are not reported.
    assert.match(r.stdout, /fault chain: #PF\(0x[0-9a-f]+\) .*→ #NP.*→ #DF.*→ triple fault/);
    assert.match(r.stderr, /Booting from ROM\.\.\./, 'SeaBIOS boots the option ROM');
  });

  it('--kernel with --firmware seabios boots a multiboot2 kernel through SeaBIOS and the option ROM to the chain and exit status QEMU recorded through GRUB', () => {
    const r = run('run', '--kernel', path.join(root, 'fixtures', 'bin', 'mb2-ist-double-fault.elf'), '--firmware', 'seabios', '--no-reboot');
    assert.equal(r.status, Number(fs.readFileSync(path.join(root, 'fixtures/golden/mb2-ist-double-fault.exit'), 'utf8').trim()));
    assert.match(r.stdout, /fault chain: #PF\(0x[0-9a-f]+\) .*→ #NP.*→ #DF/);
  });

  it('--fda floppy.img boots from drive A: through SeaBIOS: QEMU\'s serial output and exit status, the image unchanged', () => {
    const fimg = path.join(root, 'fixtures', 'bin', 'floppy.img');
    const before = fs.readFileSync(fimg);
    const r = run('run', '--fda', fimg, '--no-reboot');
    assert.equal(r.status, Number(fs.readFileSync(path.join(root, 'fixtures/golden/floppy.exit'), 'utf8').trim()));
    assert.ok(r.stdout.startsWith(fs.readFileSync(path.join(root, 'fixtures/golden/floppy.serial.txt'), 'utf8')), r.stdout);
    assert.deepEqual(fs.readFileSync(fimg), before);
    // The direct path: a kernel with --firmware none and a floppy gets the drive (CMOS, BDA) but no BIOS.
    const probe = run('run', path.join(root, 'fixtures', 'bin', 'lowmem-probe.elf'), '--firmware', 'none', '--fda', fimg);
    assert.match(probe.stdout, /^bda equipment 0x00004227$/m, 'the BDA counts drive A: (and the board\'s LPT1 in bits 15:14) as SeaBIOS would');
  });

  it('bad media and options are one sentence each', () => {
    const elf = path.join(root, 'fixtures', 'bin', 'pf-zero-idt.elf');
    refuses(run('run', '--hda', elf), /pf-zero-idt\.elf is not bootable: its first sector does not end with the boot signature 0x55 0xAA/);
    refuses(run('run', '--cdrom', img), /is not an ISO 9660 CD image/);
    // ISO 9660 (a primary volume descriptor) without the El Torito boot record
    const iso = new Uint8Array(20 * 2048);
    iso.set([1, ...Buffer.from('CD001'), 1], 16 * 2048);
    iso.set([255, ...Buffer.from('CD001'), 1], 17 * 2048);
    fs.writeFileSync(path.join(tmp, 'plain.iso'), iso);
    refuses(run('run', '--cdrom', 'plain.iso'), /plain\.iso is an ISO 9660 image without an El Torito boot record/);
    refuses(run('run', '--hda', 'missing.img'), /disk image missing\.img does not exist/);
    refuses(run('run', '--hda', img, '--bios', 'nope.bin'), /BIOS file nope\.bin does not exist/);
    refuses(run('run', '--hda', img, '--firmware', 'uefi'), /--firmware takes seabios or none/);
    refuses(run('run', '--hda', img, '--nic', 'rtl8139'), /--nic takes e1000 or none, not 'rtl8139'/);
    refuses(run('run', '--firmware', 'none', '--hda', img), /--firmware none boots a kernel directly/);
    refuses(run('run', '--boot', 'd', '--hda', img), /nothing to boot: the boot order 'd'/);
    refuses(run('run', '--hda', img, '--record', 'x.json'), /--record needs a kernel/);
    refuses(run('run', '--fda', 'missing.img'), /disk image missing\.img does not exist/);
    refuses(run('run', '--firmware', 'none', '--fda', img), /--firmware none boots a kernel directly.*disk\/CD\/floppy/);
    fs.writeFileSync(path.join(tmp, 'blank.img'), new Uint8Array(1474560));
    refuses(run('run', '--fda', 'blank.img'), /blank\.img is not bootable: its first sector does not end with the boot signature/);
  });
});
