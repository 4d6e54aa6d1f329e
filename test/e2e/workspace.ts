/** The fixture workspace both e2e runners open: the seed kernels (a 32-bit one, a higher-half one) under build/ and a launch.json naming them. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const OVERFLOW = 'stack-overflow-no-ist.elf';
export const IST_FIX = 'ist-double-fault.elf';
export const TASK_GATE = 'task-gate-df.elf';
export const HIGHER_HALF = 'higher-half.elf';
export const OVERFLOW_CONFIG = 'Stack overflow (no IST)';
export const IST_FIX_CONFIG = 'IST fix';
export const TASK_GATE_CONFIG = '32-bit task gate';
export const HIGHER_HALF_CONFIG = 'Higher-half kernel';
export const SERIAL_SHELL = 'serial-shell.elf';
export const KEYBOARD = 'keyboard.elf';
export const SERIAL_SHELL_CONFIG = 'Serial shell';
export const KEYBOARD_CONFIG = 'Keyboard';

export function makeWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-ws-'));
  fs.mkdirSync(path.join(ws, 'build'));
  fs.mkdirSync(path.join(ws, '.vscode'));
  for (const k of [OVERFLOW, IST_FIX, TASK_GATE, HIGHER_HALF, SERIAL_SHELL, KEYBOARD]) {
    const src = path.join(ROOT, 'fixtures', 'bin', k);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(ws, 'build', k));
  }
  fs.writeFileSync(path.join(ws, 'sample.fltrace'),
    '#PF at 0x100139 writing 0xdeadbeaf (page not present) → #NP delivering #PF: IDT gate 14 not present → #DF → triple fault\n');
  const cfg = (name: string, kernel: string) => ({
    type: 'faultline', request: 'launch', name, kernel: '${workspaceFolder}/build/' + kernel, memoryMB: 32, onTripleFault: 'stop',
  });
  fs.writeFileSync(path.join(ws, '.vscode', 'launch.json'), JSON.stringify({
    version: '0.2.0', configurations: [cfg(OVERFLOW_CONFIG, OVERFLOW), cfg(IST_FIX_CONFIG, IST_FIX), cfg(TASK_GATE_CONFIG, TASK_GATE), cfg(HIGHER_HALF_CONFIG, HIGHER_HALF),
      cfg(SERIAL_SHELL_CONFIG, SERIAL_SHELL), cfg(KEYBOARD_CONFIG, KEYBOARD)],
  }, null, 2));
  return ws;
}
