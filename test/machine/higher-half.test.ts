import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { diagnose } from '../../emulator/diagnose';
import { Machine } from '../../emulator/machine';

/**
 * The higher-half fixture (fixtures/src/higher-half) beyond what the QEMU comparison checks: the machine state
 * the debugger shows (TR, GDTR and IDTR with their full 64-bit bases) and the diagnosis of its #DF.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const kernel = path.join(root, 'fixtures/bin/higher-half.elf');

describe('a higher-half kernel', { skip: !fs.existsSync(kernel) && 'fixtures/bin/higher-half.elf missing' }, () => {
  it('TR, GDTR and IDTR hold full 64-bit bases in the upper half; IST1 is read through TR.base', () => {
    const m = Machine.create({ memoryMB: 128, onTripleFault: 'stop' });
    let serial = '';
    m.on('serial', (b) => { serial += String.fromCharCode(b); });
    m.on('exception', (e) => { if (e.phase === 'delivered' && e.vector === 8) m.pause(); });
    m.boot(fs.readFileSync(kernel));
    m.run(10_000_000);
    const tssAt = /TSS at (0x[0-9a-f]+), IST1 top (0x[0-9a-f]+)/.exec(serial);
    assert.ok(tssAt, serial);
    const st = m.state();
    assert.equal(st.tr.selector, 0x10);
    assert.equal(st.tr.base, BigInt(tssAt[1]), 'TR.base is the TSS the kernel printed');
    assert.ok(st.gdtr.base >= 0xffff_ffff_8000_0000n && st.idtr.base >= 0xffff_ffff_8000_0000n);
    // The #DF frame is on IST1: 6 qwords below the (16-byte aligned) IST1 top.
    assert.equal(st.regs.rsp, BigInt(tssAt[2]) - 48n);
    const d = diagnose(m, m.faultChain()).join('\n');
    assert.match(d, /RSP 0xffffffff8010[0-9a-f]{4} is in an unmapped page/);
  });
});
