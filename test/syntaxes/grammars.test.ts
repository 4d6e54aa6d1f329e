/**
 * The TextMate grammars in syntaxes/: they are wired into package.json, every regex compiles with Oniguruma
 * (what VS Code uses) and with a JS RegExp once the inline `(?i:…)` groups are rewritten, and sample lines
 * from the fixtures tokenize into the expected scopes through vscode-textmate.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const ROOT = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const GRAMMARS: { language: string; scopeName: string; path: string }[] = pkg.contributes.grammars;
const LANGUAGES: { id: string; configuration: string; extensions: string[] }[] = pkg.contributes.languages;

function readJson(rel: string): any {
  return JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));
}

/** Every regex in a grammar: match, begin, end, while, with where it sits. */
function regexes(g: any, at = '$'): { at: string; source: string }[] {
  const out: { at: string; source: string }[] = [];
  if (Array.isArray(g)) g.forEach((x, i) => out.push(...regexes(x, `${at}[${i}]`)));
  else if (g && typeof g === 'object') {
    for (const [k, v] of Object.entries(g)) {
      if (['match', 'begin', 'end', 'while'].includes(k) && typeof v === 'string') out.push({ at: `${at}.${k}`, source: v });
      else out.push(...regexes(v, `${at}.${k}`));
    }
  }
  return out;
}

let registry: textmate.Registry;

before(async () => {
  const wasm = fs.readFileSync(path.join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => {
      const g = GRAMMARS.find((x) => x.scopeName === scopeName);
      return g ? textmate.parseRawGrammar(fs.readFileSync(path.join(ROOT, g.path), 'utf8'), g.path) : null;
    },
  });
});

/** [text, scopes] per token of each line, scopes without the root scope. */
async function tokenize(scopeName: string, lines: string[]): Promise<[string, string[]][][]> {
  const grammar = await registry.loadGrammar(scopeName);
  assert.ok(grammar, `grammar ${scopeName} loads`);
  let state = textmate.INITIAL;
  return lines.map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes.slice(1)] as [string, string[]]);
  });
}

/** The scopes of the first token whose text is `text`. */
function scopeOf(tokens: [string, string[]][], text: string): string[] {
  const t = tokens.find(([s]) => s === text);
  assert.ok(t, `a token "${text}" in ${JSON.stringify(tokens.map(([s]) => s))}`);
  return t[1];
}

test('every grammar and language configuration in package.json exists and names its scope', () => {
  assert.deepEqual(GRAMMARS.map((g) => g.language).sort(), ['faultline-trace', 'ld-script', 'nasm']);
  for (const g of GRAMMARS) {
    const grammar = readJson(g.path);
    assert.equal(grammar.scopeName, g.scopeName, g.path);
    assert.ok(Array.isArray(grammar.patterns) && grammar.patterns.length > 0, `${g.path} has patterns`);
    for (const p of grammar.patterns) {
      if (p.include?.startsWith('#')) assert.ok(grammar.repository[p.include.slice(1)], `${g.path}: ${p.include} is in the repository`);
    }
  }
  for (const l of LANGUAGES) {
    const conf = readJson(l.configuration);
    assert.ok(conf.comments && conf.brackets, `${l.configuration} has comments and brackets`);
    assert.ok(l.extensions.length > 0);
  }
  assert.ok(LANGUAGES.find((l) => l.id === 'faultline-trace')!.extensions.includes('.fltrace'));
});

test('every regex compiles with Oniguruma and, with (?i:…) rewritten, with a JS RegExp', () => {
  for (const g of GRAMMARS) {
    for (const { at, source } of regexes(readJson(g.path))) {
      assert.doesNotThrow(() => new oniguruma.OnigScanner([source]).dispose(), `${g.path} ${at}: ${source}`);
      const js = source.replace(/\(\?i:/g, '(?:');
      assert.doesNotThrow(() => new RegExp(js, 'i'), `${g.path} ${at} as JS: ${js}`);
    }
  }
});

test('NASM: labels, directives, mnemonics, registers, numbers, comments from the boot stub', async () => {
  const [equ, section, label, mov, lgdt, jmp, local, dd] = await tokenize('source.asm.nasm', [
    'MB1_MAGIC    equ 0x1BADB002',
    'section .multiboot',
    '_start:',
    '    mov edi, ebx                ; multiboot info (physical)',
    '    lgdt [gdt_ptr]',
    '    jmp SEL_CODE32:.protected32',
    '.protected32:',
    '    dd MB1_MAGIC',
  ]);
  assert.ok(scopeOf(equ, 'MB1_MAGIC').includes('entity.name.constant.nasm'));
  assert.ok(scopeOf(equ, 'equ').includes('keyword.directive.nasm'));
  assert.ok(scopeOf(equ, '0x1BADB002').includes('constant.numeric.hex.nasm'));
  assert.ok(scopeOf(section, 'section').includes('storage.type.section.nasm'));
  assert.ok(scopeOf(section, '.multiboot').includes('entity.name.section.nasm'));
  assert.ok(scopeOf(label, '_start').includes('entity.name.function.label.nasm'));
  assert.ok(scopeOf(mov, 'mov').includes('keyword.mnemonic.nasm'));
  assert.ok(scopeOf(mov, 'edi').includes('variable.language.register.nasm'));
  assert.ok(scopeOf(mov, 'ebx').includes('variable.language.register.nasm'));
  assert.ok(mov.at(-1)![1].includes('comment.line.semicolon.nasm'));
  assert.ok(scopeOf(lgdt, 'lgdt').includes('keyword.mnemonic.nasm'));
  assert.ok(scopeOf(jmp, 'jmp').includes('keyword.mnemonic.nasm'));
  assert.ok(scopeOf(local, '.protected32').includes('entity.name.function.label.local.nasm'));
  assert.ok(scopeOf(dd, 'dd').includes('storage.type.data.nasm'));
});

test('NASM: macros, strings with escapes, sizes and the location counter', async () => {
  const [macro, str, size, times] = await tokenize('source.asm.nasm', [
    '%macro ISR_NOERR 1',
    "msg: db `EXCEPTION\\n`, 0, 'x'",
    '    mov qword [rsp + 8], 0x3f8',
    '    times 510-($-$$) db 0',
  ]);
  assert.ok(scopeOf(macro, '%macro').includes('keyword.control.directive.macro.nasm'));
  assert.ok(scopeOf(macro, 'ISR_NOERR').includes('entity.name.function.macro.nasm'));
  assert.ok(scopeOf(str, '\\n').includes('constant.character.escape.nasm'));
  assert.ok(scopeOf(str, 'x').includes('string.quoted.single.nasm'));
  assert.ok(scopeOf(size, 'qword').includes('storage.modifier.size.nasm'));
  assert.ok(scopeOf(size, 'rsp').includes('variable.language.register.nasm'));
  assert.ok(scopeOf(times, 'times').includes('keyword.directive.nasm'));
  assert.ok(scopeOf(times, '$$').includes('variable.language.location.nasm'));
});

test('ld: commands, section names, the location counter, KEEP, PHDRS and comments from kernel.ld', async () => {
  const [comment, entry, loc, text, start, discard] = await tokenize('source.ld', [
    '/* Link at 1 MiB */',
    'ENTRY(_start)',
    '    . = 0x100000;',
    '    .text : { KEEP(*(.multiboot)) *(.text.boot) } :image',
    '    __load_start = ALIGN(4K);',
    '    /DISCARD/ : { *(.comment) }',
  ]);
  assert.ok(comment[0][1].includes('comment.block.ld'));
  assert.ok(scopeOf(entry, 'ENTRY').includes('keyword.control.command.ld'));
  assert.ok(scopeOf(loc, '.').includes('variable.language.location-counter.ld'));
  assert.ok(scopeOf(loc, '0x100000').includes('constant.numeric.hex.ld'));
  assert.ok(scopeOf(text, '.text').includes('entity.name.section.ld'));
  assert.ok(scopeOf(text, 'KEEP').includes('keyword.other.section.ld'));
  assert.ok(scopeOf(text, '.multiboot').includes('entity.name.section.ld'));
  assert.ok(scopeOf(text, 'image').includes('entity.name.type.phdr.ld'));
  assert.ok(scopeOf(start, '__load_start').includes('variable.other.symbol.ld'));
  assert.ok(scopeOf(start, 'ALIGN').includes('support.function.builtin.ld'));
  assert.ok(scopeOf(start, '4K').includes('constant.numeric.decimal.ld'));
  assert.ok(scopeOf(discard, '/DISCARD/').includes('entity.name.section.discard.ld'));
});

test('fault trace: exceptions, arrows, reasons, addresses and the triple fault', async () => {
  const [line, diag] = await tokenize('text.faultline-trace', [
    '#PF at 0x100139 writing 0xdeadbeaf (page not present) → #NP delivering #PF: IDT gate 14 not present → #DF → triple fault',
    'diagnosis: RSP 0x105ff8 is in an unmapped page <stack_overflow+0x4>',
  ]);
  assert.ok(scopeOf(line, '#PF').includes('entity.name.exception.faultline-trace'));
  assert.ok(scopeOf(line, '#NP').includes('entity.name.exception.faultline-trace'));
  assert.ok(scopeOf(line, '#DF').includes('entity.name.exception.fatal.faultline-trace'));
  assert.ok(scopeOf(line, '→').includes('keyword.operator.arrow.faultline-trace'));
  assert.ok(scopeOf(line, '0x100139').includes('constant.numeric.hex.faultline-trace'));
  assert.ok(scopeOf(line, 'writing').includes('keyword.other.access.faultline-trace'));
  assert.ok(scopeOf(line, 'page not present').includes('string.quoted.other.reason.faultline-trace'));
  assert.ok(scopeOf(line, 'IDT gate').includes('support.type.table.faultline-trace'));
  assert.ok(scopeOf(line, '14').includes('constant.numeric.faultline-trace'));
  assert.ok(scopeOf(line, 'triple fault').includes('invalid.illegal.triple-fault.faultline-trace'));
  assert.ok(scopeOf(diag, 'diagnosis').includes('markup.heading.faultline-trace'));
  assert.ok(scopeOf(diag, 'RSP').includes('variable.language.register.faultline-trace'));
  assert.ok(scopeOf(diag, '<stack_overflow+0x4>').includes('entity.name.function.symbol.faultline-trace'));
});
