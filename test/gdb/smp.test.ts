import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { parseElf } from '../../emulator/boot';
import { GdbServer } from '../../emulator/gdb/server';
import { Machine } from '../../emulator/machine';
import { fixture, gdbBatch, haveGdb, serve } from './helpers';
import { Client } from './rsp-client';

/**
 * The gdb server with several CPUs: one thread per CPU (ids 1..N), the stop reply names the CPU that stopped,
 * Hg picks whose registers g/p read. fixtures/bin/smp.elf starts CPU 1, whose IPI handler int40 holds the breakpoint.
 */
test('gdb server, smp 2: qfThreadInfo lists 2 threads, a breakpoint hit on CPU 1 stops thread 2, Hg selects registers', { skip: !fs.existsSync(fixture('smp.elf')) && 'fixture missing' }, async () => {
  const bytes = fs.readFileSync(fixture('smp.elf'));
  const elf = parseElf(bytes, 'smp.elf');
  const int40 = Number(elf.symbols.find((s) => s.name === 'int40')!.value);
  const m = Machine.create({ onTripleFault: 'stop', smp: 2 });
  m.boot(bytes);
  const server = new GdbServer(m, { port: 0, wait: true, elf, arch: 'x86-64', onEnd: () => {} });
  const client = await Client.connect(await server.listen());
  try {
    assert.equal(await client.ask('qfThreadInfo'), 'm01,02');
    assert.equal(await client.ask('qsThreadInfo'), 'l');
    assert.equal(await client.ask('T2'), 'OK');
    assert.equal(await client.ask('T3'), 'E01');
    assert.equal(await client.ask(`Z0,${int40.toString(16)},1`), 'OK');
    assert.equal(await client.ask('c'), 'T05thread:02;swbreak:;');
    assert.equal(await client.ask('qC'), 'QC2');
    const rip = (r: string) => Number(Buffer.from(r, 'hex').readBigUInt64LE());
    assert.equal(await client.ask('Hg2'), 'OK');
    assert.equal(rip(await client.ask('p10')), int40);
    assert.equal(await client.ask('Hg1'), 'OK');
    assert.notEqual(rip(await client.ask('p10')), int40, 'CPU 0 is elsewhere');
    assert.equal(Buffer.from(await client.ask('qThreadExtraInfo,2'), 'hex').toString(), 'CPU 1');
  } finally {
    client.socket.destroy();
    server.close();
  }
});

test('gdb itself, run --smp 2 --gdb: info threads shows CPU 0 and CPU 1, each with its own frame', { skip: (!haveGdb && 'gdb is not installed') || (!fs.existsSync(fixture('smp.elf')) && 'fixture missing') }, async () => {
  const s = await serve(fixture('smp.elf'), '--smp', '2', '--firmware', 'none');
  try {
    const out = gdbBatch(fixture('smp.elf'), s.port, ['break int40', 'continue', 'info threads', 'thread 1', 'bt 1', 'kill']);
    assert.match(out, /Thread 1 \(CPU 0\)/);
    assert.match(out, /\* 2 +Thread 2 \(CPU 1\) +int40 \(\)/);
    assert.match(out, /Switching to thread 1 \(Thread 1\)\]\n#0 {2}(?!int40)\S+ \(\) at fixtures\/src\/smp\/kernel\.asm:\d+/, 'thread 1 is the BSP in its own code');
  } finally {
    s.child.kill();
  }
});
