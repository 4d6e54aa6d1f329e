import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskImage } from '../emulator/devices/disk-image';
import { loadFirmware } from '../emulator/firmware/seabios';
import { Machine } from '../emulator/machine';
import { grubIso } from '../test/support/firmware';

/**
 * Reset -> first kernel instruction, ours beside QEMU TCG's in the same run: the boot-sector disk through
 * SeaBIOS, the floppy fixture to its boot sector, a multiboot kernel loaded directly (--firmware none) and through SeaBIOS and Faultline's multiboot
 * option ROM (--firmware seabios; QEMU's -kernel runs SeaBIOS and its multiboot option ROM for both), and the
 * multiboot2 kernel in a GRUB ISO through SeaBIOS and GRUB. QEMU's time is taken with
 * its gdb stub: it starts stopped (-S), gdb puts a hardware breakpoint on the kernel's first instruction and
 * times the `continue` (QEMU's process start-up excluded, like our machine creation).
 */
interface BootCase { name: string; entry: number; ours: () => Machine; qemu: string[] }

function fmtS(s: number): string { return `${s.toFixed(3)} s`; }

function haveTools(): boolean {
  try { execFileSync('which', ['qemu-system-x86_64', 'gdb'], { stdio: 'ignore' }); return true; } catch { return false; }
}

let port = 12400 + (process.pid % 500);
function qemuBootSeconds(args: string[], entry: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const p = port++;
    const q = spawn('qemu-system-x86_64', ['-nodefaults', '-display', 'none', '-no-reboot', '-machine', 'accel=tcg', '-m', '128', '-cpu', 'qemu64',
      '-serial', 'null', ...args, '-S', '-gdb', `tcp:127.0.0.1:${p}`], { stdio: 'ignore' });
    setTimeout(() => {
      const g = spawnSync('gdb', ['-batch', '-nx', '-ex', 'set architecture i386:x86-64', '-ex', `target remote 127.0.0.1:${p}`,
        '-ex', `hbreak *0x${entry.toString(16)}`, '-ex', 'python import time; t=time.time()', '-ex', 'c',
        '-ex', 'python print("BOOT %.6f" % (time.time()-t))', '-ex', 'kill'], { encoding: 'utf8', timeout: 120_000 });
      q.kill();
      const m = /BOOT ([0-9.]+)/.exec(g.stdout ?? '');
      resolve(m ? Number(m[1]) : undefined);
    }, 300);
  });
}

/**
 * Run until the breakpoint at `entry`; seconds of wall time, seconds of this process's CPU time (user + system,
 * V8's compiler threads included: the figure to compare on a busy host) and instructions.
 */
function oursBoot(c: BootCase): { s: number; cpuS: number; n: number; reason: string } {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const m = c.ours();
  m.addBreakpoint(BigInt(c.entry));
  const stop = m.run(2_000_000_000);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  return { s, cpuS: (cpu.user + cpu.system) / 1e6, n: m.instructionCount, reason: stop.reason };
}

export async function benchBoot(root: string): Promise<void> {
  let fw: ReturnType<typeof loadFirmware>;
  try { fw = loadFirmware(); } catch (e) { console.log(`boot times: skipped (${(e as Error).message})`); return; }
  const bin = (f: string) => path.join(root, 'fixtures', 'bin', f);
  const cases: BootCase[] = [];
  const img = bin('bootsector.img');
  if (fs.existsSync(img)) {
    cases.push({ name: 'bootsector.img through SeaBIOS (--hda)', entry: 0x100000,
      ours: () => { const m = Machine.create({ memoryMB: 128, board: { bios: fw.bios, hda: DiskImage.open(img), nodefaults: true } }); m.bootFirmware(); return m; },
      qemu: ['-drive', `file=${img},format=raw,if=ide,index=0,snapshot=on`] });
  }
  const floppy = bin('floppy.img');
  if (fs.existsSync(floppy)) {
    // To the boot sector's first instruction: SeaBIOS's POST, its floppy media sense (READ ID answers after 20 ms
    // of virtual time, as in QEMU, while SeaBIOS polls the PM timer) and the read of sector 0 through DMA.
    cases.push({ name: 'floppy.img through SeaBIOS to 0000:7C00 (--fda)', entry: 0x7c00,
      ours: () => { const m = Machine.create({ memoryMB: 128, board: { bios: fw.bios, fda: DiskImage.open(floppy), nodefaults: true } }); m.bootFirmware(); return m; },
      qemu: ['-drive', `file=${floppy},format=raw,if=floppy,index=0,snapshot=on`] });
  }
  const elf = bin('ist-double-fault.elf');
  if (fs.existsSync(elf)) {
    const probe = Machine.create({ memoryMB: 128 });
    probe.boot(fs.readFileSync(elf));
    cases.push({ name: 'ist-double-fault.elf loaded directly (--firmware none; QEMU: -kernel)', entry: probe.entry!.entry,
      ours: () => { const m = Machine.create({ memoryMB: 128 }); m.boot(fs.readFileSync(elf)); return m; },
      qemu: ['-kernel', elf] });
  }
  if (fs.existsSync(elf)) {
    const probe = Machine.create({ memoryMB: 128 });
    probe.boot(fs.readFileSync(elf));
    cases.push({ name: 'ist-double-fault.elf through SeaBIOS and the multiboot option ROM (--kernel --firmware seabios; QEMU: -kernel)', entry: probe.entry!.entry,
      ours: () => { const m = Machine.create({ memoryMB: 128, cpu: 'qemu64', board: { bios: fw.bios, nodefaults: true } }); m.boot(fs.readFileSync(elf)); return m; },
      qemu: ['-kernel', elf] });
  }
  const mb2 = bin('mb2-ist-double-fault.elf');
  const iso = fs.existsSync(mb2) ? grubIso('mb2-ist-double-fault', path.relative(root, mb2), '').iso : undefined;
  if (iso) {
    const probe = Machine.create({ memoryMB: 128 });
    probe.boot(fs.readFileSync(mb2));
    cases.push({ name: 'mb2-ist-double-fault in a GRUB ISO through SeaBIOS and GRUB (--cdrom)', entry: probe.entry!.entry,
      ours: () => { const m = Machine.create({ memoryMB: 128, board: { bios: fw.bios, cdrom: DiskImage.open(iso), bootOrder: 'd', nodefaults: true } }); m.bootFirmware(); return m; },
      qemu: ['-cdrom', iso, '-boot', 'd'] });
  }
  console.log('reset -> first kernel instruction (wall time, and our CPU time; QEMU TCG through its gdb stub, same run)');
  const tools = haveTools();
  for (const c of cases) {
    const o = oursBoot(c);
    const q = tools ? await qemuBootSeconds(c.qemu, c.entry) : undefined;
    console.log(`  ${c.name}\n    ours: ${fmtS(o.s)} (CPU ${fmtS(o.cpuS)}; ${o.n.toLocaleString('en-US')} instructions, stopped: ${o.reason})` +
      (q !== undefined ? `; QEMU: ${fmtS(q)}; ours/QEMU = ${(o.s / q).toFixed(2)}×` : '; QEMU: qemu-system-x86_64 or gdb not installed'));
  }
}
