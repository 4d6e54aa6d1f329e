import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ExceptionEvent } from '../../emulator/api';
import { PcBoardOptions } from '../../emulator/board/pc';
import { findSeabiosDir, loadFirmware } from '../../emulator/firmware/seabios';
import { Machine } from '../../emulator/machine';

/**
 * Booting through SeaBIOS in tests: the firmware from the same place the CLI takes it (findSeabiosDir), a
 * run that records every exception event with the CPU mode it was raised in (QEMU's -d int logs no
 * interrupt taken in real mode, so comparisons use the events with CR0.PE=1), and GRUB ISOs built the way
 * fixtures/record-golden.sh builds them, cached under fixtures/build/tmp/iso.
 */
export const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Why firmware tests cannot run here, or undefined when they can. */
export function firmwareMissing(): string | undefined {
  return findSeabiosDir() ? undefined : 'SeaBIOS is not installed (apt-get install seabios)';
}

export interface FirmwareRun {
  m: Machine;
  /** Exception events with whether they were raised in protected mode. */
  events: { ev: ExceptionEvent; pe: boolean }[];
  serial: string;
  firmwareLog: string;
  exit: number;
}

/**
 * Power on with SeaBIOS and run; with `kernel`, SeaBIOS boots it through Faultline's multiboot option ROM
 * (emulator/firmware/kernel-rom.ts) as qemu -kernel does, on QEMU's CPU model (-cpu qemu64).
 */
export function bootWithFirmware(board: Omit<PcBoardOptions, 'bios' | 'vgaBios'>, budget: number, kernel?: { bytes: Uint8Array; cmdline?: string }): FirmwareRun {
  const fw = loadFirmware();
  const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop', cpu: kernel ? 'qemu64' : undefined, board: { ...board, bios: fw.bios, vgaBios: fw.vgaBios } });
  const r: FirmwareRun = { m, events: [], serial: '', firmwareLog: '', exit: -1 };
  m.on('exception', (ev) => r.events.push({ ev, pe: (m.cpu.cr0 & 1) === 1 }));
  m.on('serial', (b) => { r.serial += String.fromCharCode(b); });
  m.on('firmwareLog', (b) => { r.firmwareLog += String.fromCharCode(b); });
  if (kernel) m.boot(kernel.bytes, { cmdline: kernel.cmdline });
  else m.bootFirmware();
  const stop = m.run(budget);
  r.exit = stop.reason === 'exit' ? stop.exitCode! : stop.reason === 'shutdown' ? 0 : -1;
  return r;
}

/**
 * The instruction count at which a kernel given to the CLI or the adapter without "firmware" (so through
 * SeaBIOS and the option ROM, on the default board: 128 MiB, the 'faultline' CPU) runs its first instruction:
 * the POST before it. Tests that time inputs or budgets by the kernel's own progress add it.
 */
export function kernelEntryCount(kernelPath: string, memoryMB = 128): number {
  const key = `${kernelPath}:${memoryMB}`;
  const known = entryCounts.get(key);
  if (known !== undefined) return known;
  const fw = loadFirmware();
  const m = Machine.create({ memoryMB, board: { bios: fw.bios, vgaBios: fw.vgaBios } });
  m.boot(new Uint8Array(fs.readFileSync(kernelPath)));
  m.addBreakpoint(BigInt(m.entry!.entry));
  const stop = m.run(100_000_000);
  if (stop.reason !== 'breakpoint') throw new Error(`${kernelPath} did not reach its entry through SeaBIOS (${stop.reason})`);
  entryCounts.set(key, m.instructionCount);
  return m.instructionCount;
}
const entryCounts = new Map<string, number>();

/** The manifest's chain notation for the events QEMU would log (protected mode, not external). */
export function protectedModeChain(events: FirmwareRun['events']): string[] {
  const chain: string[] = [];
  for (const { ev, pe } of events) {
    if (ev.external || (!pe && ev.phase === 'raised')) continue;
    if (ev.phase === 'raised') chain.push(ev.software && ev.vector !== 3 ? `INT 0x${ev.vector.toString(16)}` : ev.name);
    else if (ev.phase === 'escalated') chain.push('#DF');
    else if (ev.phase === 'tripleFault') chain.push('triple fault');
  }
  return chain;
}

/**
 * A grub-mkrescue ISO holding `kernelFile` with record-golden.sh's grub.cfg, built once into the cache;
 * undefined (with the reason) when grub-mkrescue is not installed.
 */
export function grubIso(name: string, kernelFile: string, cmdline: string): { iso?: string; missing?: string } {
  const dir = path.join(ROOT, 'fixtures', 'build', 'tmp', 'iso');
  const iso = path.join(dir, `${name}.iso`);
  const kernel = fs.readFileSync(path.join(ROOT, kernelFile));
  const stamp = `${iso}.kernel`;
  if (fs.existsSync(iso) && fs.existsSync(stamp) && Buffer.compare(fs.readFileSync(stamp), kernel) === 0) return { iso };
  const tree = path.join(dir, `${name}-tree`);
  fs.rmSync(tree, { recursive: true, force: true });
  fs.mkdirSync(path.join(tree, 'boot', 'grub'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'boot', 'kernel.elf'), kernel);
  fs.writeFileSync(path.join(tree, 'boot', 'grub', 'grub.cfg'),
    `set timeout=0\nset default=0\nmenuentry "${name}" {\n  multiboot2 /boot/kernel.elf ${cmdline}\n  boot\n}\n`);
  const r = spawnSync('grub-mkrescue', ['-o', iso, tree], { encoding: 'utf8' });
  fs.rmSync(tree, { recursive: true, force: true });
  if (r.error) return { missing: 'grub-mkrescue is not installed (apt-get install grub-pc-bin xorriso mtools)' };
  if (r.status !== 0) return { missing: `grub-mkrescue failed: ${r.stderr.trim().split('\n').pop()}` };
  fs.writeFileSync(stamp, kernel);
  return { iso };
}
