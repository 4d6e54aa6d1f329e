/**
 * PS/2 keyboard scan codes for the keys of a PC keyboard, named by their W3C UI Events `code` values
 * (KeyboardEvent.code in the webview: "KeyA", "Enter", "ArrowUp"), in scan code set 1 and set 2 (IBM PS/2
 * technical reference; the 8042 translates set 2 to set 1 with its translate bit on). Extended keys send
 * 0xE0 first. Also: text -> key strokes for `--input N:kbd:TEXT` (US layout, shift where needed).
 *
 * Public API: KEYS, KeyEvent, keyBytes(code, down, set), textToKeys(text).
 */

/** [set 1 make code, set 2 make code, extended (E0 prefix)] */
type KeyCodes = readonly [number, number, boolean];

const K: Record<string, KeyCodes> = {};
const def = (code: string, s1: number, s2: number, ext = false) => { K[code] = [s1, s2, ext]; };

def('Escape', 0x01, 0x76);
['Digit1', 'Digit2', 'Digit3', 'Digit4', 'Digit5', 'Digit6', 'Digit7', 'Digit8', 'Digit9', 'Digit0'].forEach((c, i) =>
  def(c, 0x02 + i, [0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45][i]));
def('Minus', 0x0c, 0x4e); def('Equal', 0x0d, 0x55); def('Backspace', 0x0e, 0x66); def('Tab', 0x0f, 0x0d);
'QWERTYUIOP'.split('').forEach((c, i) => def(`Key${c}`, 0x10 + i, [0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d][i]));
def('BracketLeft', 0x1a, 0x54); def('BracketRight', 0x1b, 0x5b); def('Enter', 0x1c, 0x5a); def('ControlLeft', 0x1d, 0x14);
'ASDFGHJKL'.split('').forEach((c, i) => def(`Key${c}`, 0x1e + i, [0x1c, 0x1b, 0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b][i]));
def('Semicolon', 0x27, 0x4c); def('Quote', 0x28, 0x52); def('Backquote', 0x29, 0x0e); def('ShiftLeft', 0x2a, 0x12);
def('Backslash', 0x2b, 0x5d);
'ZXCVBNM'.split('').forEach((c, i) => def(`Key${c}`, 0x2c + i, [0x1a, 0x22, 0x21, 0x2a, 0x32, 0x31, 0x3a][i]));
def('Comma', 0x33, 0x41); def('Period', 0x34, 0x49); def('Slash', 0x35, 0x4a); def('ShiftRight', 0x36, 0x59);
def('NumpadMultiply', 0x37, 0x7c); def('AltLeft', 0x38, 0x11); def('Space', 0x39, 0x29); def('CapsLock', 0x3a, 0x58);
[0x05, 0x06, 0x04, 0x0c, 0x03, 0x0b, 0x83, 0x0a, 0x01, 0x09].forEach((s2, i) => def(`F${i + 1}`, 0x3b + i, s2));
def('NumLock', 0x45, 0x77); def('ScrollLock', 0x46, 0x7e);
def('Numpad7', 0x47, 0x6c); def('Numpad8', 0x48, 0x75); def('Numpad9', 0x49, 0x7d); def('NumpadSubtract', 0x4a, 0x7b);
def('Numpad4', 0x4b, 0x6b); def('Numpad5', 0x4c, 0x73); def('Numpad6', 0x4d, 0x74); def('NumpadAdd', 0x4e, 0x79);
def('Numpad1', 0x4f, 0x69); def('Numpad2', 0x50, 0x72); def('Numpad3', 0x51, 0x7a); def('Numpad0', 0x52, 0x70);
def('NumpadDecimal', 0x53, 0x71); def('IntlBackslash', 0x56, 0x61); def('F11', 0x57, 0x78); def('F12', 0x58, 0x07);
def('NumpadEnter', 0x1c, 0x5a, true); def('ControlRight', 0x1d, 0x14, true); def('NumpadDivide', 0x35, 0x4a, true);
def('AltRight', 0x38, 0x11, true); def('Home', 0x47, 0x6c, true); def('ArrowUp', 0x48, 0x75, true);
def('PageUp', 0x49, 0x7d, true); def('ArrowLeft', 0x4b, 0x6b, true); def('ArrowRight', 0x4d, 0x74, true);
def('End', 0x4f, 0x69, true); def('ArrowDown', 0x50, 0x72, true); def('PageDown', 0x51, 0x7a, true);
def('Insert', 0x52, 0x70, true); def('Delete', 0x53, 0x71, true); def('MetaLeft', 0x5b, 0x1f, true);
def('MetaRight', 0x5c, 0x27, true); def('ContextMenu', 0x5d, 0x2f, true);

export const KEYS: Readonly<Record<string, KeyCodes>> = K;

export interface KeyEvent {
  /** KeyboardEvent.code ("KeyA", "Enter", …). */
  code: string;
  down: boolean;
}

/**
 * The bytes the guest reads from port 0x60 for one key press or release: set 1 (make, make | 0x80) when the
 * keyboard is in set 1 or the controller translates, set 2 (make, 0xF0 make) otherwise; 0xE0 first for
 * extended keys. Unknown codes give no bytes.
 */
export function keyBytes(code: string, down: boolean, set1: boolean): number[] {
  const k = K[code];
  if (!k) return [];
  const out = k[2] ? [0xe0] : [];
  if (set1) out.push(down ? k[0] : k[0] | 0x80);
  else if (down) out.push(k[1]);
  else out.push(0xf0, k[1]);
  return out;
}

const SHIFTED = '~!@#$%^&*()_+{}|:"<>?';
const UNSHIFTED = '`1234567890-=[]\\;\',./';
const PUNCT: Record<string, string> = {
  '`': 'Backquote', '-': 'Minus', '=': 'Equal', '[': 'BracketLeft', ']': 'BracketRight', '\\': 'Backslash',
  ';': 'Semicolon', "'": 'Quote', ',': 'Comma', '.': 'Period', '/': 'Slash', ' ': 'Space',
  '\n': 'Enter', '\r': 'Enter', '\t': 'Tab', '\b': 'Backspace', '\x1b': 'Escape',
};

/** Key strokes that type `text` on a US keyboard (press and release per character, shift around capitals). */
export function textToKeys(text: string): KeyEvent[] {
  const out: KeyEvent[] = [];
  for (const ch of text) {
    let code: string | undefined;
    let shift = false;
    if (/[a-z]/.test(ch)) code = `Key${ch.toUpperCase()}`;
    else if (/[A-Z]/.test(ch)) { code = `Key${ch}`; shift = true; }
    else if (/[0-9]/.test(ch)) code = `Digit${ch}`;
    else if (PUNCT[ch]) code = PUNCT[ch];
    else if (SHIFTED.includes(ch)) {
      const base = UNSHIFTED[SHIFTED.indexOf(ch)];
      code = /[0-9]/.test(base) ? `Digit${base}` : PUNCT[base];
      shift = true;
    }
    if (!code) throw new Error(`cannot type '${ch}' (U+${ch.codePointAt(0)!.toString(16).padStart(4, '0')}) on a US PC keyboard`);
    if (shift) out.push({ code: 'ShiftLeft', down: true });
    out.push({ code, down: true }, { code, down: false });
    if (shift) out.push({ code: 'ShiftLeft', down: false });
  }
  return out;
}
