import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Machine } from '../../emulator/machine';
import { buildElf, concatBytes, multiboot1Header } from '../support/elf-builder';

/**
 * A reset the guest asks for (the 8042's reset pulse: 0xFE to port 0x64; port 0xCF9's full reset) restarts the
 * machine by default, as QEMU does, and with onResetRequest 'stop' ends the run (exit status 0, resetRequest),
 * as `qemu -no-reboot` exits instead of rebooting. Reset listeners learn the cause (Machine.resetCause).
 */
const TEXT = 0x100000;
const HEADER = 12; // multiboot1 header size with flags 0x3

function guest(port: 'kbc' | 'cf9'): Uint8Array {
  const reset = port === 'kbc'
    ? [0xb0, 0xfe, 0xe6, 0x64] //                          mov al, 0xfe; out 0x64, al
    : [0x66, 0xba, 0xf9, 0x0c, 0xb0, 0x06, 0xee]; //       mov dx, 0xcf9; mov al, 6; out dx, al
  const code = Uint8Array.from([
    0xb9, 0x10, 0x27, 0x00, 0x00, //                        mov ecx, 10000
    0x49, //                                                dec ecx
    0x75, 0xfd, //                                          jnz (the dec)
    ...reset,
    0xf4, //                                                hlt (not reached)
    0xeb, 0xfd, //                                          jmp (the hlt)
  ]);
  const text = concatBytes(multiboot1Header(0x3), code);
  return buildElf({ class: 32, entry: TEXT + HEADER, segments: [{ paddr: TEXT, data: text, flags: 7 }] }).bytes;
}

for (const port of ['kbc', 'cf9'] as const) {
  test(`a guest reset request (${port === 'kbc' ? '8042 pulse' : 'port 0xCF9'}) with onResetRequest 'stop' ends the run with status 0`, () => {
    const m = Machine.create({ memoryMB: 32, onTripleFault: 'stop', onResetRequest: 'stop' });
    m.boot(guest(port));
    let resets = 0;
    m.on('reset', () => resets++);
    const stop = m.run(1_000_000);
    assert.deepEqual(stop, { reason: 'exit', exitCode: 0, resetRequest: true });
    assert.equal(resets, 0);
    assert.ok(m.instructionCount > 20_000 && m.instructionCount < 20_010, `${m.instructionCount} instructions`);
  });

  test(`a guest reset request (${port === 'kbc' ? '8042 pulse' : 'port 0xCF9'}) resets the machine by default, with the cause told`, () => {
    const m = Machine.create({ memoryMB: 32, onTripleFault: 'stop' });
    m.boot(guest(port));
    const causes: string[] = [];
    m.on('reset', () => causes.push(m.resetCause));
    const stop = m.run(100_000);
    assert.equal(stop.reason, 'budget');
    assert.ok(causes.length >= 1, 'reset at least once');
    assert.ok(causes.every((c) => c === 'guest'), causes.join(','));
  });
}
