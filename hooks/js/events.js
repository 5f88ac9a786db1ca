// A small EventEmitter for require('events'), which the Parse SDK's
// LiveQuery client needs at load time.
class EventEmitter {
  constructor() {
    this._listeners = Object.create(null);
  }
  on(name, fn) {
    (this._listeners[name] || (this._listeners[name] = [])).push(fn);
    return this;
  }
  addListener(name, fn) {
    return this.on(name, fn);
  }
  once(name, fn) {
    const wrapper = (...args) => {
      this.off(name, wrapper);
      fn.apply(this, args);
    };
    return this.on(name, wrapper);
  }
  off(name, fn) {
    const list = this._listeners[name];
    if (list) {
      const i = list.indexOf(fn);
      if (i >= 0) {
        list.splice(i, 1);
      }
    }
    return this;
  }
  removeListener(name, fn) {
    return this.off(name, fn);
  }
  removeAllListeners(name) {
    if (name === undefined) {
      this._listeners = Object.create(null);
    } else {
      delete this._listeners[name];
    }
    return this;
  }
  emit(name, ...args) {
    const list = this._listeners[name];
    if (!list || list.length === 0) {
      return false;
    }
    for (const fn of list.slice()) {
      fn.apply(this, args);
    }
    return true;
  }
  listeners(name) {
    return (this._listeners[name] || []).slice();
  }
  listenerCount(name) {
    return (this._listeners[name] || []).length;
  }
}
module.exports = EventEmitter;
module.exports.EventEmitter = EventEmitter;
