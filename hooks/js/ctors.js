// Source handed to eval and to the Function constructors is checked before
// goja parses it (see checkSourceNesting). The constructors stay reachable as
// (function(){}).constructor and friends, as in any JavaScript: they compile
// code in this same sandbox, which has nothing more to offer.
//
// Buffers and typed arrays are allocated in one step by Go, out of reach of
// the interrupt: their size is checked first.
(function (check, maxBytes) {
  'use strict';
  function wrapConstructor(Original, checkArgs) {
    checkArgs = checkArgs || check;
    const Wrapped = function (...args) {
      checkArgs(args);
      return Reflect.construct(Original, args, new.target || Original);
    };
    for (const key of Reflect.ownKeys(Original)) {
      if (key !== 'prototype' && key !== 'name' && key !== 'length') {
        Object.defineProperty(Wrapped, key, Object.getOwnPropertyDescriptor(Original, key));
      }
    }
    Object.defineProperty(Wrapped, 'name', { value: Original.name });
    Object.defineProperty(Wrapped, 'length', { value: Original.length });
    Wrapped.prototype = Original.prototype;
    Object.setPrototypeOf(Wrapped, Object.getPrototypeOf(Original));
    Object.defineProperty(Original.prototype, 'constructor', {
      value: Wrapped,
      writable: true,
      configurable: true,
      enumerable: false,
    });
    return Wrapped;
  }
  const FunctionCtor = wrapConstructor(Function);
  Object.defineProperty(globalThis, 'Function', { value: FunctionCtor, writable: true, configurable: true, enumerable: false });
  for (const sample of [async function () {}, function* () {}]) {
    wrapConstructor(Object.getPrototypeOf(sample).constructor);
  }
  function checkBytes(what, n) {
    if (n > maxBytes) {
      throw new RangeError(`${what}: ${n} bytes is more than cloud code may allocate at once (${maxBytes})`);
    }
  }
  function sizeOf(arg, perElement) {
    if (typeof arg === 'number') {
      return arg * perElement;
    }
    if (arg && typeof arg === 'object' && !(arg instanceof ArrayBuffer) && typeof arg.length === 'number') {
      return arg.length * perElement;
    }
    return 0;
  }
  for (const name of ['ArrayBuffer', 'SharedArrayBuffer']) {
    if (typeof globalThis[name] === 'function') {
      const W = wrapConstructor(globalThis[name], args => checkBytes(name, sizeOf(args[0], 1)));
      Object.defineProperty(globalThis, name, { value: W, writable: true, configurable: true, enumerable: false });
    }
  }
  for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
    const T = globalThis[name];
    if (typeof T === 'function') {
      const W = wrapConstructor(T, args => checkBytes(name, sizeOf(args[0], T.BYTES_PER_ELEMENT)));
      Object.defineProperty(globalThis, name, { value: W, writable: true, configurable: true, enumerable: false });
    }
  }
  if (typeof Buffer === 'function') {
    for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
      const original = Buffer[name];
      if (typeof original === 'function') {
        Buffer[name] = function (size, ...rest) {
          checkBytes('Buffer.' + name, Number(size));
          return original.call(this, size, ...rest);
        };
      }
    }
  }
  const originalEval = globalThis.eval;
  Object.defineProperty(globalThis, 'eval', {
    value: function evaluate(source) {
      if (typeof source === 'string') {
        check([source]);
      }
      return originalEval(source);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
});
