import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SymbolIndex } from '../../emulator/symbols/symbols';
import { DW_REG_RA, DW_REG_RSP } from '../../emulator/symbols/cfi';
import { fixture, hasFixture } from './helpers';

const ELF = 'stack-overflow-seed';
const skip = hasFixture(ELF) ? false : `fixtures/bin/${ELF}.elf is not built yet`;
const hasObjdump = spawnSync('objdump', ['--version']).status === 0;

/** objdump --dwarf=decodedline rows: [file basename, line, address, isStmt]. */
function objdumpLines(file: string): { file: string; line: number; address: bigint; stmt: boolean }[] {
  const text = execFileSync('objdump', ['--dwarf=decodedline', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const rows = [];
  for (const l of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+(0x[0-9a-f]+)(?:\s+\d+)?\s*(x?)\s*$/.exec(l);
    if (m) rows.push({ file: m[1], line: Number(m[2]), address: BigInt(m[3]), stmt: m[4] === 'x' });
  }
  return rows;
}

test('ELF symbols: functions by name and address, with offsets', { skip }, () => {
  const s = SymbolIndex.fromElf(fs.readFileSync(fixture(ELF)));
  const so = s.lookup('stack_overflow');
  assert.ok(so && so.kind === 'function' && so.size > 0);
  assert.equal(s.describe(so.address), 'stack_overflow');
  assert.equal(s.describe(so.address + 3n), 'stack_overflow+0x3');
  assert.ok(s.lookup('kmain'));
  assert.equal(s.warnings.length, 0, s.warnings.join('\n'));
});

test('DWARF 5 line table agrees with objdump for every is_stmt row', { skip: skip || (!hasObjdump && 'objdump missing') }, () => {
  const s = SymbolIndex.fromElf(fs.readFileSync(fixture(ELF)));
  const rows = objdumpLines(fixture(ELF));
  assert.ok(rows.length > 20);
  const lastAt = new Map<bigint, { file: string; line: number }>();
  for (const r of rows) lastAt.set(r.address, r); // several rows at one address: the last names the line
  let checked = 0;
  for (const [address, r] of lastAt) {
    const loc = s.lineAt(address);
    if (!loc) continue; // end_sequence addresses
    assert.equal(loc.line, r.line, `line at 0x${address.toString(16)}`);
    assert.equal(path.basename(loc.file), r.file, `file at 0x${address.toString(16)}`);
    checked++;
  }
  assert.ok(checked > 20);
});

test('a breakpoint line resolves to the address objdump lists first for it', { skip: skip || (!hasObjdump && 'objdump missing') }, () => {
  const s = SymbolIndex.fromElf(fs.readFileSync(fixture(ELF)));
  const src = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'fixtures', 'src', 'common', 'handlers.c'), 'utf8').split('\n');
  const line = src.findIndex((l) => l.includes('stack_overflow();')) + 1;
  const r = s.addressForLine((p) => p.endsWith('common/handlers.c'), line);
  assert.ok(r);
  const expected = objdumpLines(fixture(ELF)).filter((x) => x.file === 'handlers.c' && x.line === line && x.stmt).map((x) => x.address);
  assert.equal(r.address, expected.sort((a, b) => (a < b ? -1 : 1))[0]);
});

test('.debug_frame CFI: CFA and return address inside stack_overflow', { skip }, () => {
  const s = SymbolIndex.fromElf(fs.readFileSync(fixture(ELF)));
  const so = s.lookup('stack_overflow')!;
  const entry = s.unwindRow(so.address)!;
  assert.equal(entry.cfaReg, DW_REG_RSP);
  assert.equal(entry.cfaOffset, 8);
  const ra = entry.rules.get(DW_REG_RA);
  assert.deepEqual(ra, { kind: 'offset', offset: -8 });
  const body = s.unwindRow(so.address + BigInt(so.size) - 2n)!; // after `sub rsp, N`, before `add`
  assert.ok(body.cfaOffset > 8);
});

test('DWARF 4 line tables are read too (gcc -gdwarf-4)', { skip: spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc missing' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-dw4-'));
  const c = path.join(dir, 'f.c');
  fs.writeFileSync(c, 'int g;\nvoid f(void)\n{\n  g = 1;\n  g = 2;\n}\nvoid _start(void) { f(); for (;;) {} }\n');
  const elf = path.join(dir, 'f.elf');
  execFileSync('gcc', ['-gdwarf-4', '-O0', '-nostdlib', '-static', '-no-pie', '-fno-pic', '-o', elf, c]);
  const s = SymbolIndex.fromElf(fs.readFileSync(elf));
  const r = s.addressForLine((p) => p.endsWith('f.c'), 5);
  assert.ok(r, 'line 5 resolves');
  assert.equal(s.lineAt(r.address)?.line, 5);
  assert.equal(s.describe(r.address)?.startsWith('f+'), true);
  assert.ok(s.hasCfi);
});
