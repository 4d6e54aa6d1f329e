/**
 * The Guest Screen's page: a canvas that shows the frames the extension posts (PNG from faultline/frame,
 * drawn 1:1 into the canvas and scaled by CSS with `image-rendering: pixelated`, whole multiples when the
 * panel is big enough), a text fallback (text mode without a VGA font), a hint line, and the input side:
 * focused, it sends every key press and release (KeyboardEvent.code) and, once the guest has enabled its
 * PS/2 mouse, movement (dy up) and buttons over the canvas. Pure: builds HTML, no `vscode` import.
 */

export function screenPageHtml(nonce: string, cspSource: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: ${cspSource}; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';">
<style>
  html, body { margin: 0; height: 100%; background: var(--vscode-editor-background); color: var(--vscode-foreground); font-family: var(--vscode-font-family); }
  #wrap { display: flex; flex-direction: column; height: 100%; }
  #bar { padding: 4px 8px; font-size: 12px; min-height: 18px; display: flex; gap: 12px; align-items: center; }
  #hint { color: var(--vscode-editorWarning-foreground); }
  #focus { opacity: 0.8; }
  #screen { flex: 1; display: flex; align-items: flex-start; justify-content: center; outline: none; overflow: hidden; padding: 6px; }
  #screen:focus canvas, #screen:focus .text { box-shadow: 0 0 0 2px var(--vscode-focusBorder); }
  canvas { image-rendering: pixelated; image-rendering: crisp-edges; background: #000; display: none; }
  .text { display: none; background: #000; padding: 6px; font: 16px/1.15 'DejaVu Sans Mono', Consolas, monospace; white-space: pre; }
  .row { height: 1.15em; }
  .cursor { text-decoration: underline; }
  .msg { color: var(--vscode-foreground); }
</style></head><body><div id="wrap">
<div id="bar"><span id="mode">Waiting for a Faultline session…</span><span id="focus"></span><span id="hint"></span></div>
<div id="screen" tabindex="0"><canvas id="canvas" width="640" height="400"></canvas><div class="text" id="text"></div></div>
</div>
<script nonce="${nonce}">
(function () {
  const vscode = acquireVsCodeApi();
  const screen = document.getElementById('screen');
  const canvas = document.getElementById('canvas');
  const ctx = canvas.getContext('2d');
  const text = document.getElementById('text');
  const modeEl = document.getElementById('mode');
  const hint = document.getElementById('hint');
  const focusEl = document.getElementById('focus');
  let status = { keyboardInterrupt: true, irq1Unmasked: true, mouseReporting: false, running: true };
  let showing = 'none';

  function fit() {
    if (showing !== 'canvas') return;
    const w = canvas.width, h = canvas.height;
    const aw = screen.clientWidth - 12, ah = screen.clientHeight - 12;
    let s = Math.min(aw / w, ah / h);
    if (s >= 1) s = Math.floor(s);
    s = Math.max(s, 0.1);
    canvas.style.width = Math.round(w * s) + 'px';
    canvas.style.height = Math.round(h * s) + 'px';
  }
  window.addEventListener('resize', fit);

  function show(which) {
    showing = which;
    canvas.style.display = which === 'canvas' ? 'block' : 'none';
    text.style.display = which === 'text' ? 'inline-block' : 'none';
    fit();
  }

  function updateHint() {
    const parts = [];
    if (!status.keyboardInterrupt || !status.irq1Unmasked) {
      parts.push('⚠ The guest has not enabled the keyboard interrupt (' + (!status.keyboardInterrupt ? '8042 command byte / scanning' : 'IRQ1 masked') + '): keys wait in the 8042 until the kernel polls port 0x60.');
    }
    if (!status.running) parts.push('Paused: keys are queued and arrive when the machine runs.');
    hint.textContent = parts.join(' ');
  }

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (m.type === 'frame') {
      const img = new Image();
      img.onload = () => {
        if (canvas.width !== m.width || canvas.height !== m.height) { canvas.width = m.width; canvas.height = m.height; }
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(img, 0, 0);
        show('canvas');
      };
      img.src = 'data:image/png;base64,' + m.png;
      modeEl.textContent = m.label;
    } else if (m.type === 'text') {
      text.innerHTML = m.html;
      modeEl.textContent = m.label;
      show('text');
    } else if (m.type === 'status') {
      status = m.status;
      updateHint();
    } else if (m.type === 'message') {
      modeEl.textContent = m.text;
    }
  });

  screen.addEventListener('focus', () => { focusEl.textContent = '⌨ typing goes to the guest (click outside to stop)'; });
  screen.addEventListener('blur', () => { focusEl.textContent = 'click the screen to type into the guest'; });
  focusEl.textContent = 'click the screen to type into the guest';
  function key(e, down) {
    e.preventDefault();
    e.stopPropagation();
    if (e.repeat && !down) return;
    vscode.postMessage({ type: 'key', code: e.code, down: down });
  }
  screen.addEventListener('keydown', (e) => key(e, true));
  screen.addEventListener('keyup', (e) => key(e, false));
  screen.addEventListener('mousedown', () => screen.focus());

  let dx = 0, dy = 0, buttons = 0, timer = 0;
  function flushMouse() {
    timer = 0;
    if (!status.mouseReporting) { dx = dy = 0; return; }
    vscode.postMessage({ type: 'mouse', dx: dx, dy: -dy, buttons: buttons });
    dx = dy = 0;
  }
  function mouse(e) {
    if (!status.mouseReporting) return;
    dx += e.movementX || 0;
    dy += e.movementY || 0;
    buttons = e.buttons & 7;
    if (!timer) timer = setTimeout(flushMouse, 16);
  }
  canvas.addEventListener('mousemove', mouse);
  canvas.addEventListener('mousedown', (e) => { mouse(e); flushMouse(); });
  canvas.addEventListener('mouseup', (e) => { mouse(e); flushMouse(); });
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  vscode.postMessage({ type: 'ready' });
})();
</script></body></html>`;
}
