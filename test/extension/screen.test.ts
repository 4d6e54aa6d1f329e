import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScreenResponseBody } from '../../debug-adapter/protocol';
import { attributeAt, renderScreenHtml, screenText } from '../../extension/screen/render';
import { recorded } from './recorded';

const screen = recorded<ScreenResponseBody>('screen-hand');

test('the screen text keeps the rows and drops trailing blanks', () => {
  assert.equal(screenText(screen), 'ist-double-fault: #DF on IST1, recursing\nEXCEPTION: DOUBLE FAULT');
});

test('colours come from the attribute byte: white on red for the EXCEPTION line', () => {
  assert.equal(attributeAt(screen, 1, 0), 0x4f);
  const html = renderScreenHtml(screen);
  assert.match(html, /<span style="color:#ffffff;background:#aa0000">EXCEPTION: DOUBLE FAULT<\/span>/);
  assert.match(html, /<span style="color:#aaaaaa;background:#000000">ist-double-fault/);
  assert.equal((html.match(/class="row"/g) ?? []).length, 25);
});

test('the cursor cell is its own span; markup in the guest text is escaped', () => {
  const body: ScreenResponseBody = { mode: 'text', columns: 4, rows: 1, lines: ['<a&>'], attributes: '07070707', cursor: { row: 0, column: 3, visible: true } };
  assert.equal(renderScreenHtml(body), '<div class="row"><span style="color:#aaaaaa;background:#000000">&lt;a&amp;</span><span class="cursor" style="color:#aaaaaa;background:#000000">&gt;</span></div>');
});

test('graphics mode and a display that is off say so', () => {
  assert.match(renderScreenHtml({ ...screen, mode: 'graphics' }), /graphics mode/);
  assert.match(renderScreenHtml({ ...screen, mode: 'off' }), /display is off/);
});
