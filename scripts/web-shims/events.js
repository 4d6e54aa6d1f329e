// The part of Node's 'events' that @vscode/debugadapter's ProtocolServer uses, for the web bundle.
'use strict';
class EventEmitter {
  constructor() { this._listeners = new Map(); }
  on(name, fn) { (this._listeners.get(name) ?? this._listeners.set(name, []).get(name)).push(fn); return this; }
  addListener(name, fn) { return this.on(name, fn); }
  once(name, fn) { const w = (...a) => { this.off(name, w); fn.apply(this, a); }; return this.on(name, w); }
  off(name, fn) { const l = this._listeners.get(name); if (l) { const i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); } return this; }
  removeListener(name, fn) { return this.off(name, fn); }
  removeAllListeners(name) { if (name === undefined) this._listeners.clear(); else this._listeners.delete(name); return this; }
  listenerCount(name) { return this._listeners.get(name)?.length ?? 0; }
  emit(name, ...args) {
    const l = this._listeners.get(name);
    if (!l || l.length === 0) return false;
    for (const fn of [...l]) fn.apply(this, args);
    return true;
  }
}
module.exports = EventEmitter;
module.exports.EventEmitter = EventEmitter;
