// Globals that Node cloud code expects, without anything that reaches the
// host: there is no filesystem, no environment and no child process here.
(function () {
  'use strict';
  globalThis.global = globalThis;
  if (typeof globalThis.queueMicrotask !== 'function') {
    globalThis.queueMicrotask = function (fn) {
      Promise.resolve().then(fn);
    };
  }
  // process.versions.node makes the SDK take its Node paths (no current
  // user, no single-instance objects), as under parse/node. env is empty:
  // configuration belongs in Parse.Config.
  globalThis.process = Object.freeze({
    env: Object.freeze({}),
    version: 'v20.0.0',
    versions: Object.freeze({ node: '20.0.0' }),
    platform: 'switchboard',
    argv: Object.freeze([]),
    nextTick(fn, ...args) {
      Promise.resolve().then(() => fn(...args));
    },
    emitWarning() {},
  });
})();
