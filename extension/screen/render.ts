/**
 * Renders faultline/screen (the 80×25 VGA text buffer: characters, attribute bytes, cursor) to HTML for the
 * Guest Screen webview. Pure: no `vscode` import. Attribute byte: bits 0–3 foreground, 4–6 background,
 * bit 7 blink (shown as a bright background, as most emulators do with blinking off).
 */
import type { ScreenResponseBody } from '../../debug-adapter/protocol';

/** The 16 CGA/VGA text colours (default VGA DAC palette). */
export const VGA_PALETTE = [
  '#000000', '#0000aa', '#00aa00', '#00aaaa', '#aa0000', '#aa00aa', '#aa5500', '#aaaaaa',
  '#555555', '#5555ff', '#55ff55', '#55ffff', '#ff5555', '#ff55ff', '#ffff55', '#ffffff',
];

export function attributeAt(body: ScreenResponseBody, row: number, col: number): number {
  const i = (row * body.columns + col) * 2;
  const v = parseInt(body.attributes.slice(i, i + 2), 16);
  return Number.isNaN(v) ? 0x07 : v;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The screen's inner HTML: one <div> per row, one <span> per run of equal attributes. */
export function renderScreenHtml(body: ScreenResponseBody): string {
  if (body.mode !== 'text') {
    return `<div class="msg">${body.mode === 'off' ? 'The display is off.' : 'The guest is in a graphics mode; only text mode is shown.'}</div>`;
  }
  const rows: string[] = [];
  for (let r = 0; r < body.rows; r++) {
    const line = [...(body.lines[r] ?? '')];
    let html = '';
    let runAttr = -1;
    let run = '';
    const flush = () => {
      if (run) html += `<span style="color:${VGA_PALETTE[runAttr & 15]};background:${VGA_PALETTE[(runAttr >> 4) & 15]}">${escapeHtml(run)}</span>`;
      run = '';
    };
    for (let c = 0; c < body.columns; c++) {
      const ch = line[c] ?? ' ';
      const attr = attributeAt(body, r, c);
      const cursorHere = body.cursor?.visible && body.cursor.row === r && body.cursor.column === c;
      if (cursorHere) {
        flush();
        html += `<span class="cursor" style="color:${VGA_PALETTE[attr & 15]};background:${VGA_PALETTE[(attr >> 4) & 15]}">${escapeHtml(ch)}</span>`;
        runAttr = -1;
        continue;
      }
      if (attr !== runAttr) { flush(); runAttr = attr; }
      run += ch;
    }
    flush();
    rows.push(`<div class="row">${html}</div>`);
  }
  return rows.join('');
}

/** The screen as plain text (for copy and for tests). */
export function screenText(body: ScreenResponseBody): string {
  return body.lines.map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\n+$/, '');
}
