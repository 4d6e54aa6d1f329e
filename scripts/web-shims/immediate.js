// setImmediate for the web bundle (esbuild inject): a MessageChannel task, so a sliced guest run yields to
// incoming DAP messages without setTimeout's 4 ms clamp.
const queue = [];
let channel;
export function setImmediate(fn, ...args) {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => { const f = queue.shift(); if (f) f(); };
  }
  queue.push(() => fn(...args));
  channel.port2.postMessage(0);
  return queue.length;
}
