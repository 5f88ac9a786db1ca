// The Parse.Cloud API of Parse Server, on top of the vendored Parse JS SDK.
// This file is evaluated once per runtime, after the SDK, as a function that
// receives the Go bridge; what it returns (run, manifest) stays in Go, so
// scripts never see the bridge itself.
(function (bridge) {
  'use strict';
  const Parse = globalThis.Parse;
  const stringify = JSON.stringify;
  // The server's own JSON (payloads, backend answers) skips JSON.parse's
  // guard: Go's encoder bounds how deeply it nests.
  const parse = bridge.parse;
  // Text from elsewhere (an HTTP response) goes through the guard.
  const parseUntrusted = JSON.parse;

  // goja_nodejs's Buffer lacks Buffer.isBuffer, which the SDK's Parse.File
  // calls.
  if (typeof Buffer === 'function' && typeof Buffer.isBuffer !== 'function') {
    Buffer.isBuffer = v => v instanceof Buffer;
  }

  Parse.initialize(bridge.appId);
  Parse.serverURL = bridge.serverURL;
  // One runtime serves many requests in turn: objects must not share state
  // between requests, and there is no "current user" (as with parse/node).
  Parse.Object.disableSingleInstance();
  Parse.User.disableUnsafeCurrentUser();

  // ---- Data access: the SDK's RESTController, answered by the Backend ----

  function parseError(code, message) {
    return new Parse.Error(code, message);
  }

  function backendRequest(method, path, data, options) {
    options = options || {};
    let ctx = '';
    if (options.context && typeof options.context === 'object') {
      ctx = stringify(options.context);
    }
    const body = data === undefined || data === null ? '' : stringify(data);
    const r = bridge.request(
      method,
      path,
      body,
      !!options.useMasterKey,
      typeof options.sessionToken === 'string' ? options.sessionToken : '',
      typeof options.installationId === 'string' ? options.installationId : '',
      ctx
    );
    if (r[0]) {
      const response = r[1] === '' ? undefined : parse(r[1]);
      if (options.returnStatus) {
        // What the SDK's own RESTController answers when asked for the
        // status (Parse.Cloud.startJob reads the job status id from it).
        return Object.assign({}, response, { _status: 200, _headers: r[2] === '' ? {} : parse(r[2]) });
      }
      return response;
    }
    throw parseError(r[1], r[2]);
  }

  Parse.CoreManager.setRESTController({
    request(method, path, data, options) {
      try {
        return Promise.resolve(backendRequest(method, path, data, options));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    ajax() {
      return Promise.reject(
        parseError(Parse.Error.OPERATION_FORBIDDEN, 'raw HTTP calls to the server are not available in cloud code')
      );
    },
    handleError(e) {
      return Promise.reject(e);
    },
  });

  // ---- Logging ----

  function formatArgs(args) {
    const parts = [];
    for (const a of args) {
      if (typeof a === 'string') {
        parts.push(a);
        continue;
      }
      if (a instanceof Error) {
        parts.push(a.stack || String(a));
        continue;
      }
      try {
        const s = stringify(a);
        parts.push(s === undefined ? String(a) : s);
      } catch (e) {
        parts.push(String(a));
      }
    }
    return parts.join(' ');
  }

  function makeLogger() {
    const log = {};
    for (const level of ['error', 'warn', 'info', 'verbose', 'debug', 'silly']) {
      log[level] = (...args) => bridge.log(level, formatArgs(args));
    }
    log.log = (level, ...args) => bridge.log(String(level), formatArgs(args));
    return log;
  }
  const logger = makeLogger();

  // A callback of setTimeout/setInterval that throws must not vanish: Node
  // would crash, we log it.
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
    const original = globalThis[name];
    if (typeof original !== 'function') {
      continue;
    }
    globalThis[name] = function (fn, ...rest) {
      if (typeof fn !== 'function') {
        return original(fn, ...rest);
      }
      const wrapped = function (...args) {
        try {
          return fn.apply(this, args);
        } catch (e) {
          logger.error(`uncaught exception in a ${name} callback:`, e);
        }
      };
      return original(wrapped, ...rest);
    };
  }

  // ---- Registry ----

  const functions = Object.create(null);
  const jobs = Object.create(null);
  const triggers = Object.create(null);
  const validators = Object.create(null);

  function getClassName(c) {
    if (c && c.className) {
      return c.className;
    }
    if (c && typeof c === 'function' && c.name === 'ParseFile') {
      return '@File';
    }
    if (c && typeof c === 'function' && c.name) {
      return c.name.replace('Parse', '@');
    }
    return c;
  }

  function isClassArg(c) {
    return typeof c === 'string' || (typeof c === 'function' && (c.className || c.name === 'ParseFile'));
  }

  function checkTrigger(kind, className) {
    if (typeof className !== 'string' || className === '') {
      throw new Error(`Parse.Cloud.${kind} needs a class name or a Parse.Object subclass`);
    }
    if (kind === 'beforeSave' && className === '_PushStatus') {
      throw 'beforeSave is not allowed on _PushStatus';
    }
    if ((kind === 'beforeLogin' || kind === 'afterLogin') && className !== '_User') {
      throw 'Only the _User class is allowed for the beforeLogin and afterLogin triggers';
    }
    if (kind === 'beforePasswordResetRequest' && className !== '_User') {
      throw 'Only the _User class is allowed for the beforePasswordResetRequest trigger';
    }
    if (kind === 'afterLogout' && className !== '_Session') {
      throw 'Only the _Session class is allowed for the afterLogout trigger.';
    }
    if (className === '_Session' && kind !== 'afterLogout') {
      throw 'Only the afterLogout trigger is allowed for the _Session class.';
    }
  }

  function checkHandler(what, handler) {
    if (typeof handler !== 'function') {
      throw new Error(`${what}: the handler must be a function`);
    }
  }

  function addTrigger(kind, cls, handler, validator) {
    const className = getClassName(cls);
    checkTrigger(kind, className);
    checkHandler(`Parse.Cloud.${kind}(${className})`, handler);
    triggers[`${kind}.${className}`] = handler;
    if (validator) {
      validators[`${kind}.${className}`] = validator;
    } else {
      delete validators[`${kind}.${className}`];
    }
    // The server calls a beforeSave without a validator itself (see
    // hooks/feather.go): it keeps the handler.
    bridge.registered(kind, className, handler, !!validator);
  }

  const Cloud = Parse.Cloud;
  Cloud.define = function (name, handler, validator) {
    if (typeof name !== 'string' || name === '') {
      throw new Error('Parse.Cloud.define needs a function name');
    }
    checkHandler(`Parse.Cloud.define(${name})`, handler);
    functions[name] = handler;
    if (validator) {
      validators[name] = validator;
    } else {
      delete validators[name];
    }
  };
  Cloud.job = function (name, handler) {
    if (typeof name !== 'string' || name === '') {
      throw new Error('Parse.Cloud.job needs a job name');
    }
    checkHandler(`Parse.Cloud.job(${name})`, handler);
    jobs[name] = handler;
  };
  for (const kind of ['beforeSave', 'afterSave', 'beforeDelete', 'afterDelete', 'beforeFind', 'afterFind']) {
    Cloud[kind] = function (cls, handler, validator) {
      addTrigger(kind, cls, handler, validator);
    };
  }
  // beforeLogin(handler) or beforeLogin(Parse.User, handler), and the like.
  function fixedClass(kind, className) {
    return function (...args) {
      let cls = className;
      if (isClassArg(args[0])) {
        cls = args.shift();
      }
      addTrigger(kind, cls, args[0], args[1]);
    };
  }
  Cloud.beforeLogin = fixedClass('beforeLogin', '_User');
  Cloud.afterLogin = fixedClass('afterLogin', '_User');
  Cloud.afterLogout = fixedClass('afterLogout', '_Session');
  Cloud.beforePasswordResetRequest = fixedClass('beforePasswordResetRequest', '_User');
  Cloud.beforeConnect = function (handler, validator) {
    addTrigger('beforeConnect', '@Connect', handler, validator);
  };
  Cloud.beforeSubscribe = function (cls, handler, validator) {
    addTrigger('beforeSubscribe', cls, handler, validator);
  };
  Cloud.afterLiveQueryEvent = function (cls, handler, validator) {
    addTrigger('afterEvent', cls, handler, validator);
  };
  // Parse Server 4 spellings of the file triggers.
  Cloud.beforeSaveFile = function (handler, validator) {
    addTrigger('beforeSave', '@File', handler, validator);
  };
  Cloud.afterSaveFile = function (handler, validator) {
    addTrigger('afterSave', '@File', handler, validator);
  };
  Cloud.beforeDeleteFile = function (handler, validator) {
    addTrigger('beforeDelete', '@File', handler, validator);
  };
  Cloud.afterDeleteFile = function (handler, validator) {
    addTrigger('afterDelete', '@File', handler, validator);
  };
  Cloud.useMasterKey = function () {
    logger.warn('Parse.Cloud.useMasterKey is deprecated and does nothing; pass { useMasterKey: true } instead');
  };
  Cloud.sendEmail = function () {
    return Promise.reject(parseError(Parse.Error.COMMAND_UNAVAILABLE, 'Parse.Cloud.sendEmail is not available on this server'));
  };
  Cloud.httpRequest = httpRequest;

  // ---- Parse.Cloud.httpRequest (hosts on the allow-list only) ----

  function queryString(params) {
    if (typeof params === 'string') {
      return params;
    }
    const parts = [];
    for (const k of Object.keys(params || {})) {
      parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(params[k]));
    }
    return parts.join('&');
  }

  function httpRequest(options) {
    return new Promise((resolve, reject) => {
      options = options || {};
      let url = options.url;
      if (typeof url !== 'string' || url === '') {
        throw parseError(Parse.Error.INVALID_VALUE, 'httpRequest needs a url');
      }
      if (options.params) {
        const qs = queryString(options.params);
        if (qs) {
          url += (url.includes('?') ? '&' : '?') + qs;
        }
      }
      const headers = {};
      for (const k of Object.keys(options.headers || {})) {
        headers[k] = String(options.headers[k]);
      }
      const lower = {};
      for (const k of Object.keys(headers)) {
        lower[k.toLowerCase()] = headers[k];
      }
      let body = options.body;
      let bodyBase64 = '';
      if (body !== undefined && body !== null) {
        if (body instanceof Uint8Array) {
          bodyBase64 = body.toString('base64');
        } else {
          if (typeof body === 'object') {
            if ((lower['content-type'] || '').includes('application/x-www-form-urlencoded')) {
              body = queryString(body);
            } else {
              body = stringify(body);
              if (!lower['content-type']) {
                headers['Content-Type'] = 'application/json';
              }
            }
          }
          bodyBase64 = Buffer.from(String(body), 'utf8').toString('base64');
        }
      }
      const r = bridge.httpRequest(
        stringify({
          method: String(options.method || 'GET').toUpperCase(),
          url,
          headers,
          body: bodyBase64,
          followRedirects: !!options.followRedirects,
        })
      );
      if (!r[0]) {
        throw parseError(r[1], r[2]);
      }
      const raw = parse(r[1]);
      const buffer = Buffer.from(raw.body, 'base64');
      const response = {
        status: raw.status,
        headers: raw.headers,
        buffer,
        text: buffer.toString('utf8'),
        cookies: raw.cookies,
      };
      Object.defineProperty(response, 'data', {
        enumerable: true,
        get() {
          try {
            return parseUntrusted(response.text);
          } catch (e) {
            return undefined;
          }
        },
      });
      if (raw.status < 200 || raw.status >= 400) {
        reject(response);
        return;
      }
      resolve(response);
    });
  }

  // ---- Validators (the third argument), as Parse Server's built-in one ----

  function typeName(fn) {
    const m = fn && fn.toString().match(/^\s*function (\w+)/);
    return (m ? m[1] : '').toLowerCase();
  }

  async function checkOptions(opt, key, val) {
    let opts = opt.options;
    if (typeof opts === 'function') {
      let ok;
      try {
        ok = await opts(val);
      } catch (e) {
        throw opt.error || (e && e.message) || e || `Validation failed. Invalid value for ${key}.`;
      }
      if (!ok && ok != null) {
        throw opt.error || `Validation failed. Invalid value for ${key}.`;
      }
      return;
    }
    if (!Array.isArray(opts)) {
      opts = [opts];
    }
    if (!opts.includes(val)) {
      throw opt.error || `Validation failed. Invalid option for ${key}. Expected: ${opts.join(', ')}`;
    }
  }

  async function userRoles(user) {
    if (!user) {
      return [];
    }
    const roles = await new Parse.Query(Parse.Role).equalTo('users', user).find({ useMasterKey: true });
    const names = roles.map(r => `role:${r.getName()}`);
    // Inherited roles: roles whose "roles" relation holds a role we have.
    let frontier = roles;
    for (let depth = 0; frontier.length > 0 && depth < 20; depth++) {
      const parents = await new Parse.Query(Parse.Role).containedIn('roles', frontier).find({ useMasterKey: true });
      frontier = parents.filter(r => !names.includes(`role:${r.getName()}`));
      for (const r of frontier) {
        names.push(`role:${r.getName()}`);
      }
    }
    return names;
  }

  async function builtInValidator(options, request, rateKey) {
    if (options.rateLimit) {
      checkRateLimit(options.rateLimit, request, rateKey);
    }
    if (request.master && !options.validateMasterKey) {
      return;
    }
    let reqUser = request.user;
    if (!reqUser && request.object && request.object.className === '_User' && !request.object.existed()) {
      reqUser = request.object;
    }
    if ((options.requireUser || options.requireAnyUserRoles || options.requireAllUserRoles) && !reqUser) {
      throw 'Validation failed. Please login to continue.';
    }
    if (options.requireMaster && !request.master) {
      throw 'Validation failed. Master key is required to complete this request.';
    }
    const params = request.object ? request.object.toJSON() : request.params || {};
    const required = key => {
      if (params[key] == null) {
        throw `Validation failed. Please specify data for ${key}.`;
      }
    };
    if (Array.isArray(options.fields)) {
      for (const key of options.fields) {
        required(key);
      }
    } else if (options.fields) {
      const pending = [];
      for (const key of Object.keys(options.fields)) {
        const opt = options.fields[key];
        let val = params[key];
        if (typeof opt === 'string') {
          required(opt);
        }
        if (opt && typeof opt === 'object') {
          if (opt.default != null && val == null) {
            val = opt.default;
            params[key] = val;
            if (request.object) {
              request.object.set(key, val);
            } else if (request.params) {
              request.params[key] = val;
            }
          }
          if (opt.constant && request.object) {
            if (request.original) {
              request.object.revert(key);
            } else if (opt.default != null) {
              request.object.set(key, opt.default);
            }
          }
          if (opt.required) {
            required(key);
          }
          if (!(!opt.required && val === undefined)) {
            if (opt.type) {
              const want = typeName(opt.type);
              const got = Array.isArray(val) ? 'array' : typeof val;
              if (got !== want) {
                throw `Validation failed. Invalid type for ${key}. Expected: ${want}`;
              }
            }
            if (opt.options) {
              pending.push(checkOptions(opt, key, val));
            }
          }
        }
      }
      await Promise.all(pending);
    }
    let anyRoles = options.requireAnyUserRoles;
    let allRoles = options.requireAllUserRoles;
    if (anyRoles || allRoles) {
      const roles = await userRoles(reqUser);
      if (typeof anyRoles === 'function') {
        anyRoles = await anyRoles();
      }
      if (typeof allRoles === 'function') {
        allRoles = await allRoles();
      }
      if (Array.isArray(anyRoles) && !anyRoles.some(r => roles.includes(`role:${r}`))) {
        throw 'Validation failed. User does not match the required roles.';
      }
      if (Array.isArray(allRoles)) {
        for (const r of allRoles) {
          if (!roles.includes(`role:${r}`)) {
            throw 'Validation failed. User does not match all the required roles.';
          }
        }
      }
    }
    const userKeys = options.requireUserKeys || [];
    if (Array.isArray(userKeys)) {
      for (const key of userKeys) {
        if (!reqUser) {
          throw 'Please login to make this request.';
        }
        if (reqUser.get(key) == null) {
          throw `Validation failed. Please set data for ${key} on your account.`;
        }
      }
    } else if (typeof userKeys === 'object') {
      if (!reqUser) {
        throw 'Please login to make this request.';
      }
      const pending = [];
      for (const key of Object.keys(userKeys)) {
        if (userKeys[key] && userKeys[key].options) {
          pending.push(checkOptions(userKeys[key], key, reqUser.get(key)));
        }
      }
      await Promise.all(pending);
    }
  }

  // rateLimit: {requestTimeWindow (ms), requestCount, errorResponseMessage,
  // includeMasterKey}, counted per node, per caller (user, else IP).
  function checkRateLimit(rl, request, key) {
    if (request.master && !rl.includeMasterKey) {
      return;
    }
    const count = Number(rl.requestCount);
    const window = Number(rl.requestTimeWindow);
    if (!(count > 0) || !(window > 0)) {
      return;
    }
    const who = request.user ? `user:${request.user.id}` : `ip:${request.ip || ''}`;
    if (!bridge.rateLimit(`${key}|${who}`, count, window)) {
      throw new Parse.Error(155, rl.errorResponseMessage || 'Too many requests.');
    }
  }

  function resolveError(e, code, fallback) {
    if (e instanceof Parse.Error) {
      return e;
    }
    if (!e) {
      return new Parse.Error(code, fallback);
    }
    if (typeof e === 'string') {
      return new Parse.Error(code, e);
    }
    const out = new Parse.Error(code, String(e.message || e));
    if (e instanceof Error) {
      out.stack = e.stack;
    }
    return out;
  }

  async function runValidator(name, request) {
    const v = validators[name];
    if (!v) {
      return;
    }
    if (typeof v === 'object' && v.skipWithMasterKey && request.master) {
      request.skipWithMasterKey = true;
    }
    try {
      if (typeof v === 'object') {
        await builtInValidator(v, request, name);
      } else {
        await v(request);
      }
    } catch (e) {
      throw resolveError(e, Parse.Error.VALIDATION_ERROR, 'Validation failed.');
    }
  }

  // ---- Light request objects ----
  //
  // A trigger's request.object built as a Parse.Object (fromJSON, the
  // write applied with set, then _getSaveJSON) costs the SDK's whole state
  // machinery: every get estimates all attributes, every set merges ops
  // through the state controller, _getSaveJSON encodes and compares every
  // object-valued field. In goja that is most of a trigger's cost.
  //
  // TriggerObject is a Parse.Object (instanceof holds, every method works)
  // that keeps its fields as the server's JSON and its changes in a small
  // table, decoding a field only when it is read. get, set, unset,
  // increment, decrement, has, dirty, dirtyKeys, existed, toJSON,
  // _getSaveJSON, createdAt and updatedAt answer from that table, as the
  // SDK would (hooks/light_test.go checks them against it step by step).
  // Anything else (save, fetch, relation ops, add, revert, a value that is
  // not plain JSON, a Date or an ACL, ...) first turns it into an ordinary
  // Parse.Object with the same server data and pending changes
  // ("materializes" it), then lets the SDK do the rest. Classes with a
  // subclass of their own (Parse.User, Parse.Object.extend) and writes with
  // other operators get ordinary objects from the start.
  //
  // The code avoids for-in and object literals where it can: in goja they
  // cost microseconds each, the order of a whole trigger.
  const CoreManager = Parse.CoreManager;
  const sdkEncode = require('/@parse/encode.js').default;
  const BaseObject = Parse.Object;
  const Base = BaseObject.prototype;
  const KEY_NAME = /^[A-Za-z_][0-9A-Za-z_.]*$/;
  // Field names already checked against KEY_NAME, which a runtime sees the
  // same few of again and again: a regular expression costs more than the
  // rest of a set. Bounded, so that a script making up names cannot grow it.
  const validKeys = Object.create(null);
  let validKeyCount = 0;
  function validKey(key) {
    if (typeof key !== 'string') {
      return KEY_NAME.test(key);
    }
    const known = validKeys[key];
    if (known !== undefined) {
      return known;
    }
    const ok = KEY_NAME.test(key);
    if (validKeyCount < 4096) {
      validKeys[key] = ok;
      validKeyCount++;
    }
    return ok;
  }
  const lightState = new WeakMap();

  // A feather object (hooks/feather.go) is a beforeSave's request.object
  // whose state the server keeps in Go, where get and set of plain values
  // cost a fraction of what they cost here. Its prototype, FeatherProto,
  // sits above TriggerObject's; every method but those two is
  // TriggerObject's, and reaches the state through stateOf, which first
  // moves a feather object's state here (promote): from then on it is an
  // ordinary light object.
  const IS_FEATHER = Symbol('feather');
  // A feather prototype's light prototype, which promote gives the object.
  const LIGHT_PROTO = Symbol('light prototype');
  function stateOf(o) {
    const s = lightState.get(o);
    if (s !== undefined || o === null || typeof o !== 'object' || o[IS_FEATHER] !== true) {
      return s;
    }
    return promote(o);
  }

  function promote(o) {
    // [stored JSON or null, the client's write or null, keys, values]: the
    // fields the script set, in order, with their values.
    const held = bridge.promote(o);
    Object.setPrototypeOf(o, o[LIGHT_PROTO]);
    if (held === null) {
      return undefined;
    }
    const s = newState(held[0] || NO_JSON, held[1]);
    s.fromFeather = true;
    const keys = held[2];
    const values = held[3];
    for (let i = 0; i < keys.length; i++) {
      change(s, keys[i], OP_SET, values[i]);
    }
    lightState.set(o, s);
    return s;
  }
  let lightCount = 1e9; // the SDK's own objects count from 0
  const READ_ONLY_KEYS = { objectId: true, createdAt: true, updatedAt: true, sessionToken: true, className: true, __type: true };
  const hasOwn = Object.prototype.hasOwnProperty;
  const objectKeys = Object.keys;
  const OP_UNSET = 1;
  const OP_INC = 2;
  const OP_SET = 3;

  // plainValue: a value a light object may keep as it is. Anything else
  // (Parse.Object, File, GeoPoint, Relation, operators, class instances)
  // goes to the SDK.
  function plainValue(v, depth) {
    if (v === null) {
      return true;
    }
    const t = typeof v;
    if (t === 'string' || t === 'boolean' || (t === 'number' && isFinite(v))) {
      return true;
    }
    if (t !== 'object' || depth > 32) {
      return false;
    }
    if (v instanceof Date) {
      return !isNaN(v.getTime());
    }
    if (v instanceof Parse.ACL) {
      return true;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!plainValue(v[i], depth + 1)) {
          return false;
        }
      }
      return true;
    }
    const proto = Object.getPrototypeOf(v);
    if ((proto !== Object.prototype && proto !== null) || typeof v.__op === 'string' || typeof v.__type === 'string') {
      return false;
    }
    const keys = objectKeys(v);
    for (let i = 0; i < keys.length; i++) {
      if (!plainValue(v[keys[i]], depth + 1)) {
        return false;
      }
    }
    return true;
  }

  // plainJSON: a field of a client's write a light object keeps as JSON
  // (it decodes to itself, or to a Date, pointer, file or geo point that
  // encodes back the same).
  function plainJSON(v, depth) {
    if (v === null || typeof v !== 'object') {
      return true;
    }
    if (depth > 32 || typeof v.__op === 'string' || v.__type === 'Object' || v.__type === 'Relation') {
      return false;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!plainJSON(v[i], depth + 1)) {
          return false;
        }
      }
      return true;
    }
    const keys = objectKeys(v);
    for (let i = 0; i < keys.length; i++) {
      if (!plainJSON(v[keys[i]], depth + 1)) {
        return false;
      }
    }
    return true;
  }

  function decodeField(key, json) {
    if (key === 'ACL') {
      return json === null || json === undefined ? json : new Parse.ACL(json);
    }
    if (json === null || typeof json !== 'object') {
      return json;
    }
    return Parse._decode(undefined, json);
  }

  function isObject(v) {
    return v !== null && typeof v === 'object';
  }

  // encodeField encodes a value as SetOp.toJSON does; plain scalars are
  // their own JSON.
  function encodeField(v) {
    return v === null || typeof v !== 'object' ? v : sdkEncode(v, false, true);
  }

  // The light state of an object: the server's JSON, its decoded fields,
  // the client's write (update) and the changes made since. A field of the
  // write gets its entry in changes only when something reads or changes
  // it (lookup): most triggers touch one field of a write of many, and the
  // answer (deltaJSON) then carries only what was touched. The order of
  // the changes, as dirtyKeys lists them, is the write's fields, then the
  // others in the order they were first changed (keys). The tables are
  // made when first needed.
  const NO_CHANGES = Object.freeze(Object.create(null));
  const NO_KEYS = Object.freeze([]);
  const NO_JSON = Object.freeze({});

  // The state starts with the fields every object uses; the others are
  // added when first needed (in goja each field of a new object costs an
  // allocation or two, and most objects never need them):
  //   decoded     the stored fields decoded so far (serverValue)
  //   encoded     the decoded object fields, to notice changes in place:
  //               {keys, text}
  //   clientKeys  the write's fields, in order (clientKeys)
  //   promoted    how many of the write's fields have an entry in changes
  function newState(json, update) {
    return {
      // No prototype: a field not added yet reads undefined whatever a
      // script puts on Object.prototype.
      __proto__: null,
      server: json,
      existed: typeof json.objectId === 'string',
      update: update || null,
      keys: NO_KEYS,
      changes: NO_CHANGES,
    };
  }

  // clientKeys lists the write's fields, in order, without the read-only
  // ones the server ignores.
  function clientKeys(s) {
    if (s.clientKeys === undefined) {
      const out = [];
      if (s.update !== null) {
        const keys = objectKeys(s.update);
        for (let i = 0; i < keys.length; i++) {
          if (READ_ONLY_KEYS[keys[i]] !== true) {
            out.push(keys[i]);
          }
        }
      }
      s.clientKeys = out;
    }
    return s.clientKeys;
  }

  function isClientKey(s, key) {
    if (s.update === null || READ_ONLY_KEYS[key] === true) {
      return false;
    }
    // A field the write lacks reads undefined, or (inherited from
    // Object.prototype) a function or, for __proto__, an object; the
    // write's own values are JSON, never functions.
    const v = s.update[key];
    if (v === undefined) {
      return false;
    }
    return (typeof v !== 'function' && key !== '__proto__') || hasOwn.call(s.update, key);
  }

  // hasChange: the field has a pending change (the write's or the script's).
  function hasChange(s, key) {
    return key in s.changes || isClientKey(s, key);
  }

  // allKeys lists every field with a pending change, in the SDK's order.
  function allKeys(s) {
    const client = clientKeys(s);
    if (s.keys.length === 0) {
      return client;
    }
    return client.length === 0 ? s.keys : client.concat(s.keys);
  }

  function entry(op, value, json) {
    return { op, value, json, hasValue: json === undefined };
  }

  // lookup returns a field's pending change, or undefined; a field of the
  // write gets its entry now.
  function lookup(s, key) {
    let c = s.changes[key];
    if (c === undefined && isClientKey(s, key)) {
      const v = s.update[key];
      if (v !== null && typeof v === 'object' && v.__op === 'Delete') {
        c = entry(OP_UNSET);
      } else if (v !== null && typeof v === 'object' && v.__op === 'Increment') {
        c = entry(OP_INC, v.amount);
      } else {
        c = entry(OP_SET, undefined, v);
      }
      if (s.changes === NO_CHANGES) {
        s.changes = { __proto__: null };
      }
      s.changes[key] = c;
      s.promoted = (s.promoted || 0) + 1;
    }
    return c;
  }

  function change(s, key, op, value, json) {
    if (s.changes === NO_CHANGES) {
      s.changes = { __proto__: null };
    }
    if (!(key in s.changes)) {
      if (isClientKey(s, key)) {
        s.promoted = (s.promoted || 0) + 1;
      } else {
        if (s.keys === NO_KEYS) {
          s.keys = [key];
        } else {
          s.keys.push(key);
        }
      }
    }
    s.changes[key] = entry(op, value, json);
  }

  // A field as stored, decoded once. Object values remember their encoded
  // form, as the SDK's object cache does, to notice changes made in place.
  function serverValue(s, key) {
    if (s.decoded === undefined) {
      s.decoded = { __proto__: null };
    } else if (key in s.decoded) {
      return s.decoded[key];
    }
    let v;
    const raw = s.server[key];
    if (key === 'objectId' || key === 'className' || key === '__type') {
      v = undefined;
    } else if (raw === undefined) {
      v = key === 'updatedAt' && s.server.createdAt !== undefined ? serverValue(s, 'createdAt') : undefined;
    } else if ((key === 'createdAt' || key === 'updatedAt') && typeof raw === 'string') {
      v = new Date(raw);
    } else {
      v = decodeField(key, raw);
    }
    s.decoded[key] = v;
    if (isObject(v) && !(v instanceof BaseObject) && !(v instanceof Parse.File)) {
      if (s.encoded === undefined) {
        s.encoded = { keys: [], text: { __proto__: null } };
      }
      s.encoded.keys.push(key);
      s.encoded.text[key] = stringify(sdkEncode(v, false, true));
    }
    return v;
  }

  // changedInPlace lists decoded object fields whose content the script
  // changed without set (req.object.get('tags').push('x')).
  function changedInPlace(s) {
    if (s.encoded === undefined) {
      return NO_KEYS;
    }
    const out = [];
    const keys = s.encoded.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (!hasChange(s, key) && stringify(sdkEncode(s.decoded[key], false, true)) !== s.encoded.text[key]) {
        out.push(key);
      }
    }
    return out;
  }

  function changeValue(c, key) {
    if (!c.hasValue) {
      c.value = decodeField(key, c.json);
      c.hasValue = true;
    }
    return c.value;
  }

  function opJSON(c, offline) {
    if (c.op === OP_UNSET) {
      return { __op: 'Delete' };
    }
    if (c.op === OP_INC) {
      return { __op: 'Increment', amount: c.value };
    }
    if (!c.hasValue) {
      return c.json;
    }
    return c.value === null || typeof c.value !== 'object' ? c.value : sdkEncode(c.value, false, true, undefined, offline);
  }

  // materialize turns a light object into an ordinary one with the same
  // server data and pending changes.
  function materialize(o) {
    const s = stateOf(o);
    if (!s) {
      return;
    }
    lightState.delete(o);
    const server = {};
    for (const k of objectKeys(s.server)) {
      if (k !== 'className' && k !== '__type') {
        server[k] = s.server[k];
      }
    }
    Base._finishFetch.call(o, server);
    if (s.existed) {
      Base._setExisted.call(o, true);
    }
    // Objects the script already holds stay the object's own values.
    if (s.encoded !== undefined) {
      const held = {};
      for (const k of s.encoded.keys) {
        held[k] = s.decoded[k];
      }
      CoreManager.getObjectStateController().setServerData(o._getStateIdentifier(), held);
    }
    for (const key of allKeys(s)) {
      const c = lookup(s, key);
      if (c.op === OP_UNSET) {
        Base.unset.call(o, key);
      } else if (c.op === OP_INC) {
        Base.increment.call(o, key, c.value);
      } else {
        Base.set.call(o, key, changeValue(c, key), { ignoreValidation: true });
      }
    }
  }

  // setOne applies one set of a light object; false when the SDK must.
  function lightSetOne(s, key, value, unset) {
    if (key === 'createdAt' || key === 'updatedAt') {
      return true;
    }
    if (key === 'objectId' || key === 'id' || !validKey(key) || (!unset && !plainValue(value, 0))) {
      return false;
    }
    return true;
  }

  function applySetOne(s, key, value, unset) {
    if (key === 'createdAt' || key === 'updatedAt') {
      return;
    }
    if (unset) {
      change(s, key, OP_UNSET);
      return;
    }
    if (key === 'ACL' && isObject(value) && !(value instanceof Parse.ACL)) {
      value = new Parse.ACL(value);
    }
    change(s, key, OP_SET, value);
  }

  class TriggerObject extends BaseObject {
    get(key) {
      const s = stateOf(this);
      if (!s) {
        return super.get(key);
      }
      const c = lookup(s, key);
      if (c === undefined) {
        const raw = s.server[key];
        if (raw !== null && typeof raw === 'object' && raw.__type === 'Relation') {
          materialize(this); // a relation needs its parent, which the SDK sets up
          return super.get(key);
        }
        return serverValue(s, key);
      }
      if (c.op === OP_UNSET) {
        return undefined;
      }
      if (c.op === OP_INC) {
        const cur = serverValue(s, key);
        return cur === undefined ? c.value : cur + c.value;
      }
      return changeValue(c, key);
    }

    has(key) {
      if (!stateOf(this)) {
        return super.has(key);
      }
      return this.get(key) != null;
    }

    set(key, value, options) {
      const s = stateOf(this);
      if (!s) {
        return super.set(key, value, options);
      }
      if (typeof key === 'string') {
        const unset = !!(options && options.unset);
        if (!lightSetOne(s, key, value, unset)) {
          materialize(this);
          return super.set(key, value, options);
        }
        applySetOne(s, key, value, unset);
        return this;
      }
      if (!key || typeof key !== 'object') {
        return this;
      }
      const unset = !!(value && value.unset);
      const keys = objectKeys(key);
      for (let i = 0; i < keys.length; i++) {
        if (!lightSetOne(s, keys[i], key[keys[i]], unset)) {
          materialize(this);
          return super.set(key, value, options);
        }
      }
      for (let i = 0; i < keys.length; i++) {
        applySetOne(s, keys[i], key[keys[i]], unset);
      }
      return this;
    }

    unset(key, options) {
      const s = stateOf(this);
      if (!s) {
        return super.unset(key, options);
      }
      if (!lightSetOne(s, key, null, true)) {
        materialize(this);
        return super.unset(key, options);
      }
      applySetOne(s, key, null, true);
      return this;
    }

    increment(key, amount) {
      const s = stateOf(this);
      if (!s) {
        return super.increment(key, amount);
      }
      if (amount === undefined) {
        amount = 1;
      }
      if (typeof amount !== 'number') {
        throw new Error('Cannot increment by a non-numeric amount.');
      }
      if (!validKey(key)) {
        materialize(this);
        return super.increment(key, amount);
      }
      const cur = this.get(key);
      if (cur !== undefined && typeof cur !== 'number') {
        throw new TypeError('Cannot increment a non-numeric value.');
      }
      const c = lookup(s, key);
      if (c === undefined) {
        change(s, key, OP_INC, amount);
      } else if (c.op === OP_INC) {
        c.value += amount;
      } else if (c.op === OP_UNSET) {
        change(s, key, OP_SET, amount);
      } else {
        change(s, key, OP_SET, cur + amount);
      }
      return this;
    }

    decrement(key, amount) {
      if (!stateOf(this)) {
        return super.decrement(key, amount);
      }
      if (amount === undefined) {
        amount = 1;
      }
      if (typeof amount !== 'number') {
        throw new Error('Cannot decrement by a non-numeric amount.');
      }
      return this.increment(key, amount * -1);
    }

    dirty(key) {
      const s = stateOf(this);
      if (!s) {
        return super.dirty(key);
      }
      if (!this.id) {
        return true;
      }
      if (key) {
        return hasChange(s, key) || changedInPlace(s).includes(key);
      }
      return allKeys(s).length > 0 || changedInPlace(s).length > 0;
    }

    dirtyKeys() {
      const s = stateOf(this);
      if (!s) {
        return super.dirtyKeys();
      }
      return allKeys(s).concat(changedInPlace(s));
    }

    existed() {
      const s = stateOf(this);
      if (!s) {
        return super.existed();
      }
      return !!this.id && s.existed;
    }

    _setExisted(existed) {
      const s = stateOf(this);
      if (!s) {
        return super._setExisted(existed);
      }
      s.existed = existed;
    }

    get createdAt() {
      const s = stateOf(this);
      return s ? serverValue(s, 'createdAt') : super.createdAt;
    }

    get updatedAt() {
      const s = stateOf(this);
      return s ? serverValue(s, 'updatedAt') : super.updatedAt;
    }

    _getSaveJSON() {
      const s = stateOf(this);
      if (!s) {
        return super._getSaveJSON();
      }
      const json = {};
      const inPlace = changedInPlace(s);
      for (let i = 0; i < inPlace.length; i++) {
        json[inPlace[i]] = encodeField(s.decoded[inPlace[i]]);
      }
      const keys = allKeys(s);
      for (let i = 0; i < keys.length; i++) {
        json[keys[i]] = opJSON(lookup(s, keys[i]));
      }
      return json;
    }

    toJSON(seen, offline) {
      const s = stateOf(this);
      if (!s) {
        return super.toJSON(seen, offline);
      }
      const seenEntry = this.id ? this.className + ':' + this.id : this;
      seen = seen || [seenEntry];
      const json = {};
      const keys = objectKeys(s.server);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (key === 'objectId' || key === 'className' || key === '__type') {
          continue;
        }
        if (s.decoded !== undefined && key in s.decoded && key !== 'createdAt' && key !== 'updatedAt') {
          json[key] = sdkEncode(s.decoded[key], false, false, seen, offline);
        } else {
          json[key] = s.server[key];
        }
      }
      if (json.createdAt !== undefined && json.updatedAt === undefined) {
        json.updatedAt = json.createdAt;
      }
      const changed = allKeys(s);
      for (let i = 0; i < changed.length; i++) {
        const key = changed[i];
        if (key.indexOf('.') < 0) {
          json[key] = opJSON(lookup(s, key), offline);
        }
      }
      if (this.id) {
        json.objectId = this.id;
      }
      return json;
    }
  }

  // Every other method of Parse.Object materializes first: they reach the
  // SDK's state for the object.
  const lightMethods = new Set(['constructor', 'get', 'has', 'set', 'unset', 'increment', 'decrement', 'dirty', 'dirtyKeys',
    'existed', '_setExisted', '_getSaveJSON', 'toJSON', 'createdAt', 'updatedAt',
    // These read only id and className, or call the methods above.
    'isNew', 'toPointer', 'toOfflinePointer', 'equals', '_getId', 'getACL', 'setACL', 'add', 'addAll', 'addUnique',
    'addAllUnique', 'remove', 'removeAll', 'op']);
  for (const name of Object.getOwnPropertyNames(Base)) {
    if (lightMethods.has(name)) {
      continue;
    }
    const desc = Object.getOwnPropertyDescriptor(Base, name);
    if (typeof desc.value === 'function') {
      const fn = desc.value;
      Object.defineProperty(TriggerObject.prototype, name, {
        configurable: true,
        writable: true,
        value: function (...args) {
          materialize(this);
          return fn.apply(this, args);
        },
      });
    } else if (desc.get) {
      const getter = desc.get;
      Object.defineProperty(TriggerObject.prototype, name, {
        configurable: true,
        get() {
          materialize(this);
          return getter.call(this);
        },
      });
    }
  }

  // FeatherProto: get and set ask the server first (featherGet answers
  // MISS, featherSet false, when the state must move here), then
  // TriggerObject's.
  const FeatherProto = Object.create(TriggerObject.prototype);
  FeatherProto[IS_FEATHER] = true;
  FeatherProto[LIGHT_PROTO] = TriggerObject.prototype;
  const MISS = Object.freeze(Object.create(null));
  const triggerGet = TriggerObject.prototype.get;
  const triggerSet = TriggerObject.prototype.set;
  Object.defineProperty(FeatherProto, 'get', {
    configurable: true,
    writable: true,
    value: function get(key) {
      const v = bridge.featherGet(this, key);
      return v !== MISS ? v : triggerGet.call(this, key);
    },
  });
  Object.defineProperty(FeatherProto, 'set', {
    configurable: true,
    writable: true,
    value: function set(key, value, options) {
      if (options === undefined && bridge.featherSet(this, key, value)) {
        return this;
      }
      return triggerSet.call(this, key, value, options);
    },
  });

  // A class registered with a subclass of its own gets light objects that
  // are instances of it, as the SDK's objects would be, when the subclass
  // adds nothing to Parse.Object: made by Parse.Object.extend(className)
  // without methods or initializers, so that its constructor does nothing
  // a light object skips. (An ES6 class may do anything in its constructor;
  // a subclass with methods may override get or set.) Their prototypes are
  // the subclass's with TriggerObject's methods over it, and a feather
  // prototype above that; made once per subclass, and checked again on each
  // use, since a script may add methods later. Any other subclass gets
  // ordinary objects.
  const TRIGGER_METHODS = Object.getOwnPropertyNames(TriggerObject.prototype).filter(n => n !== 'constructor');
  const DEFAULT_PROTOS = Object.freeze([TriggerObject.prototype, FeatherProto]);
  const subclassProtos = new WeakMap();
  const reflectOwnKeys = Reflect.ownKeys;

  function plainSubclass(S) {
    if (typeof S !== 'function' || !hasOwn.call(S, '__super__') || S.__super__ !== Base) {
      return false;
    }
    const proto = S.prototype;
    if (proto === null || typeof proto !== 'object' || Object.getPrototypeOf(proto) !== Base) {
      return false;
    }
    const own = reflectOwnKeys(proto);
    return own.length === 1 && own[0] === 'constructor' && proto.constructor === S;
  }

  function copyMethods(from, to, names) {
    for (let i = 0; i < names.length; i++) {
      Object.defineProperty(to, names[i], Object.getOwnPropertyDescriptor(from, names[i]));
    }
  }

  // lightProtos returns [light prototype, feather prototype] for a class, or
  // null when its objects must be ordinary ones.
  function lightProtos(className) {
    const S = BaseObject._getClassMap()[className];
    if (!S) {
      return DEFAULT_PROTOS;
    }
    if (!plainSubclass(S)) {
      return null;
    }
    let protos = subclassProtos.get(S);
    if (protos === undefined) {
      const light = Object.create(S.prototype);
      copyMethods(TriggerObject.prototype, light, TRIGGER_METHODS);
      const feather = Object.create(light);
      copyMethods(FeatherProto, feather, ['get', 'set']);
      feather[IS_FEATHER] = true;
      feather[LIGHT_PROTO] = light;
      protos = Object.freeze([light, feather]);
      subclassProtos.set(S, protos);
    }
    return protos;
  }

  // featherProto is the feather prototype of a class, or null (see
  // lightProtos); the server asks for classes with a subclass of their own.
  function featherProto(className) {
    const protos = lightProtos(className);
    return protos === null ? null : protos[1];
  }

  bridge.featherInit(FeatherProto, MISS, BaseObject._getClassMap());

  // lightObject returns a light object for a stored object's JSON (or {}
  // for one being created), or null when the class's objects must be
  // ordinary ones (lightProtos).
  function lightObject(className, json) {
    const protos = lightProtos(className);
    if (protos === null) {
      return null;
    }
    // As the SDK's constructor leaves an object, without its work: a
    // string class name and no attributes to set.
    const o = Object.create(protos[0]);
    o._objCount = lightCount++;
    o.className = className;
    if (typeof json.objectId === 'string') {
      o.id = json.objectId;
    }
    lightState.set(o, newState(json));
    return o;
  }

  // lightWrite applies a client's write to a light object; false when the
  // write holds something only the SDK handles (other operators, full
  // objects): the caller then builds an ordinary object.
  function lightWrite(o, update, checked) {
    if (!update) {
      return true;
    }
    const s = stateOf(o);
    // checked: the server already found the write fit (plainUpdate in
    // hooks/deployment.go, the same checks as below).
    const keys = checked ? NO_KEYS : objectKeys(update);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const v = update[key];
      if (READ_ONLY_KEYS[key] === true) {
        continue;
      }
      if (!validKey(key)) {
        return false;
      }
      if (v !== null && typeof v === 'object' && typeof v.__op === 'string') {
        if (v.__op !== 'Delete' && !(v.__op === 'Increment' && typeof v.amount === 'number')) {
          return false;
        }
      } else if (!plainJSON(v, 0)) {
        return false;
      }
    }
    // The write's fields become changes when first read or changed.
    s.update = update;
    return true;
  }

  // deltaJSON lists what _getSaveJSON() answers for the fields that are
  // not the write's own values as the client sent them: those the script
  // changed, or read (a value read may have been changed in place), and the
  // stored ones changed in place. The fields and their values go in the
  // runtime's two lists, deltaKeys and deltaValues (no object made per
  // save), which succeed hands to the server and empties.
  const deltaKeys = [];
  const deltaValues = [];
  function deltaJSON(s) {
    let n = 0;
    const inPlace = changedInPlace(s);
    for (let i = 0; i < inPlace.length; i++) {
      deltaKeys[n] = inPlace[i];
      deltaValues[n++] = encodeField(s.decoded[inPlace[i]]);
    }
    if (s.promoted > 0) {
      const client = clientKeys(s);
      for (let i = 0; i < client.length; i++) {
        const c = s.changes[client[i]];
        if (c !== undefined) {
          deltaKeys[n] = client[i];
          deltaValues[n++] = opJSON(c);
        }
      }
    }
    for (let i = 0; i < s.keys.length; i++) {
      deltaKeys[n] = s.keys[i];
      deltaValues[n++] = opJSON(s.changes[s.keys[i]]);
    }
    deltaKeys.length = n;
    deltaValues.length = n;
  }

  // ---- Request objects, shaped as on Parse Server ----

  function decodeParam(v) {
    if (Array.isArray(v)) {
      return v.map(decodeParam);
    }
    if (v && typeof v === 'object') {
      if (v.__type === 'Date') {
        return Object.assign(new Date(v.iso), v);
      }
      if (v.__type === 'File') {
        return Parse.File.fromJSON(v);
      }
      const out = {};
      for (const k of Object.keys(v)) {
        out[k] = decodeParam(v[k]);
      }
      return out;
    }
    return v;
  }

  function inflate(className, json) {
    return lightObject(className, json || {}) || Parse.Object.fromJSON(Object.assign({}, json, { className }));
  }

  function baseRequest(p, triggerName) {
    const req = {
      triggerName,
      master: !!p.master,
      isReadOnly: false,
      log: logger,
      headers: p.headers || {},
      ip: p.ip || '',
    };
    if (p.installationId) {
      req.installationId = p.installationId;
    }
    if (p.user) {
      req.user = inflate('_User', p.user);
    }
    return req;
  }

  function copyContext(ctx) {
    const out = { __proto__: null };
    return ctx ? Object.assign(out, ctx) : out;
  }

  const READ_ONLY = ['objectId', 'createdAt', 'updatedAt', 'sessionToken', 'className', '__type'];

  function applyUpdate(object, update) {
    const attrs = {};
    for (const key of Object.keys(update || {})) {
      if (READ_ONLY.includes(key)) {
        continue;
      }
      const value = update[key];
      if (key === 'ACL' && value && typeof value === 'object' && !value.__op) {
        attrs.ACL = new Parse.ACL(value);
        continue;
      }
      attrs[key] = Parse._decode(undefined, value);
    }
    if (Object.keys(attrs).length > 0) {
      object.set(attrs, { ignoreValidation: true });
    }
  }

  // Parse Server's toJSONwithObjects: pending pointers become whole objects.
  function objectJSON(o) {
    if (!o || typeof o.toJSON !== 'function') {
      return o;
    }
    const json = o.toJSON();
    const dirty = typeof o.dirtyKeys === 'function' ? o.dirtyKeys() : [];
    for (const key of dirty) {
      const v = o.get(key);
      if (v && typeof v._toFullJSON === 'function') {
        json[key] = v._toFullJSON();
      }
    }
    if (o.className && !json.className) {
      json.className = o.className;
    }
    return json;
  }

  function isQuery(q) {
    return q instanceof Parse.Query;
  }

  // ---- Invocation ----

  function isThenable(v) {
    return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
  }

  // What a function or job answered. Plain values skip the SDK's encoder.
  function resultJSON(result) {
    if (result === undefined) {
      return '{"hasResult":false}';
    }
    const t = typeof result;
    if (result === null || t === 'string' || t === 'number' || t === 'boolean') {
      return '{"hasResult":true,"result":' + stringify(result) + '}';
    }
    return stringify({ hasResult: true, result: Parse._encode(result) });
  }

  // runFunction runs a cloud function. Without a validator and with a
  // handler that returns a plain value, it stays synchronous: no promise,
  // no microtask, and the invocation settles before the event loop starts.
  function runFunction(name, p) {
    const handler = functions[name];
    if (!handler) {
      throw new Parse.Error(Parse.Error.SCRIPT_FAILED, `Invalid function: "${name}"`);
    }
    const req = baseRequest(p, undefined);
    delete req.triggerName;
    delete req.isReadOnly;
    req.params = decodeParam(p.params || {});
    req.functionName = name;
    req.context = copyContext(p.context);
    if (validators[name]) {
      return runValidator(name, req).then(() => (req.skipWithMasterKey ? undefined : handler(req))).then(resultJSON);
    }
    const result = handler(req);
    return isThenable(result) ? Promise.resolve(result).then(resultJSON) : resultJSON(result);
  }

  async function runJob(name, p) {
    const handler = jobs[name];
    if (!handler) {
      throw new Parse.Error(Parse.Error.SCRIPT_FAILED, `Invalid job: ${name}`);
    }
    const req = {
      params: decodeParam(p.params || {}),
      headers: p.headers || {},
      ip: p.ip || '',
      jobName: name,
      log: logger,
      message: msg => bridge.jobMessage(typeof msg === 'string' ? msg : stringify(msg)),
    };
    return resultJSON(await handler(req));
  }

  // call runs a trigger's validator and handler, then after(result). With
  // no validator and a handler that returns a plain value it stays
  // synchronous: no promise, no microtask.
  function call(name, handler, req, after) {
    if (validators[name]) {
      return runValidator(name, req)
        .then(() => (req.skipWithMasterKey ? undefined : handler(req)))
        .then(after);
    }
    const result = handler(req);
    return isThenable(result) ? Promise.resolve(result).then(after) : after(result);
  }

  // callObjectTrigger is call for the object triggers, whose answer
  // (objectAnswer) needs no closure on the synchronous path: one less
  // function made per save.
  function callObjectTrigger(name, handler, req, kind, p) {
    if (validators[name]) {
      return runValidator(name, req)
        .then(() => (req.skipWithMasterKey ? undefined : handler(req)))
        .then(() => objectAnswer(kind, req, p));
    }
    const result = handler(req);
    if (isThenable(result)) {
      return Promise.resolve(result).then(() => objectAnswer(kind, req, p));
    }
    return objectAnswer(kind, req, p);
  }

  function objectAnswer(kind, req, p) {
    if (kind === 'beforeSave') {
      // A light object of this very write answers with what changed (the
      // server applies it to the write, see succeed); any other object,
      // with the whole write.
      const s = stateOf(req.object);
      if (s !== undefined && s.update !== null && s.update === p.update) {
        deltaJSON(s);
        savedContext = req.context;
        return SAVE_ANSWER;
      }
      return { update: req.object._getSaveJSON(), context: req.context };
    }
    return { context: req.context };
  }

  // triggerName is "kind.className", the key of triggers and validators,
  // made once per trigger.
  const triggerNames = Object.create(null);
  function triggerName(kind, className) {
    let byClass = triggerNames[kind];
    if (byClass === undefined) {
      byClass = triggerNames[kind] = Object.create(null);
    }
    let name = byClass[className];
    if (name === undefined) {
      name = `${kind}.${className}`;
      if (triggers[name]) {
        byClass[className] = name;
      }
    }
    return name;
  }

  function runTrigger(kind, className, p) {
    const name = triggerName(kind, className);
    const handler = triggers[name];
    if (!handler) {
      return '{}';
    }
    const req = baseRequest(p, kind);
    if (kind === 'beforeFind' || kind === 'beforeSubscribe') {
      const out = {};
      req.query = Parse.Query.fromJSON(className, p.query || {});
      req.count = !!p.count;
      req.isGet = !!p.isGet;
      req.context = copyContext(p.context);
      Object.assign(req, p.event || {});
      return call(name, handler, req, result => {
        const q = isQuery(result) ? result : req.query;
        out.query = q.toJSON();
        if (result instanceof Parse.Object) {
          out.objects = [objectJSON(result)];
        } else if (Array.isArray(result) && result.every(o => o instanceof Parse.Object)) {
          out.objects = result.map(objectJSON);
        }
        out.context = req.context;
        return out;
      });
    }
    if (kind === 'afterFind') {
      const out = {};
      req.objects = (p.objects || []).map(o => inflate(o.className || className, o));
      req.query = Parse.Query.fromJSON(className, p.query || {});
      req.isGet = !!p.isGet;
      req.context = copyContext(p.context);
      return call(name, handler, req, result => {
        if (req.skipWithMasterKey || !result) {
          result = req.objects;
        }
        if (!Array.isArray(result)) {
          throw 'afterFind must return an array of Parse.Object (or nothing)';
        }
        out.objects = result.map(objectJSON);
        out.context = req.context;
        return out;
      });
    }
    if (className === '@File') {
      const out = {};
      req.file = p.file ? Parse.File.fromJSON(p.file) : undefined;
      if (req.file && p.file.metadata) {
        req.file.setMetadata(p.file.metadata);
      }
      if (req.file && p.file.tags) {
        req.file.setTags(p.file.tags);
      }
      req.fileSize = p.fileSize || 0;
      req.contentLength = p.fileSize || 0;
      return call(name, handler, req, result => {
        const file = result instanceof Parse.File ? result : req.file;
        if (file && kind.startsWith('before')) {
          out.file = file.toJSON();
          out.file.metadata = file.metadata();
          out.file.tags = file.tags();
        }
        return out;
      });
    }
    if (kind === 'beforeConnect' || kind === 'afterEvent') {
      const out = {};
      Object.assign(req, p.event || {});
      if (p.object) {
        req.object = inflate(className, p.object);
      }
      if (p.original) {
        req.original = inflate(className, p.original);
      }
      if (kind === 'afterEvent') {
        req.sendEvent = true;
      }
      return call(name, handler, req, () => {
        if (kind === 'afterEvent') {
          // What the subscriber gets: the object as the trigger left it
          // (it may hide or add fields), and whether to send it at all.
          if (req.object instanceof Parse.Object) {
            const json = objectJSON(req.object);
            // An unset field is gone from what the subscriber receives,
            // not an operation for it to apply.
            for (const key of Object.keys(json)) {
              const v = json[key];
              if (v && typeof v === 'object' && v.__op === 'Delete') {
                delete json[key];
              }
            }
            out.objects = [json];
          }
          out.hasResult = true;
          out.result = req.sendEvent !== false;
        }
        return out;
      });
    }
    // Object triggers: save, delete, login, logout, password reset.
    req.context = copyContext(p.context);
    if (kind === 'beforeSave') {
      // A light object only reads its stored JSON: a create's can be the
      // shared empty one.
      req.object = lightObject(className, p.object || NO_JSON);
      if (req.object === null || !lightWrite(req.object, p.update, p.plainUpdate === true)) {
        req.object = Parse.Object.fromJSON(Object.assign({}, p.object, { className }));
        applyUpdate(req.object, p.update);
      }
      if (p.object) {
        req.original = inflate(className, p.object);
      }
    } else {
      req.object = inflate(className, p.object || {});
      if (p.original) {
        req.original = inflate(className, p.original);
      }
      if (kind === 'afterSave' && !p.original) {
        req.object._setExisted(false);
      }
    }
    return callObjectTrigger(name, handler, req, kind, p);
  }

  // The invocation running now: its done callback. One invocation runs at
  // a time on a runtime, and these handlers are made once, not per call.
  let currentDone = null;

  function fail(err) {
    const done = currentDone;
    const e = resolveError(err, Parse.Error.SCRIPT_FAILED, 'Script failed. Unknown error.');
    let json;
    try {
      json = stringify({ code: e.code, message: String(e.message), stack: e.stack });
    } catch (x) {
      json = stringify({ code: Parse.Error.SCRIPT_FAILED, message: 'Script failed. Unknown error.' });
    }
    done(false, json);
  }

  // SAVE_ANSWER is what a beforeSave with a light object answers: its
  // delta (deltaKeys, deltaValues) and context go to done as they are,
  // without an answer object around them (see doneFn in hooks/vm.go).
  const SAVE_ANSWER = Object.freeze(Object.create(null));
  let savedContext = null;

  // Functions and jobs answer JSON text; a trigger answers an object, which
  // the server reads without JSON (see exportAnswer in hooks/export.go).
  function succeed(res) {
    try {
      if (res === SAVE_ANSWER) {
        const context = savedContext;
        savedContext = null;
        try {
          currentDone(true, res, deltaKeys, deltaValues, context);
        } finally {
          deltaKeys.length = 0;
          deltaValues.length = 0;
        }
        return;
      }
      currentDone(true, res);
    } catch (e) {
      fail(resolveError(e, Parse.Error.SCRIPT_FAILED, 'the result cannot be encoded'));
    }
  }

  // run(what, name, className, payload, done): runs one invocation and
  // calls done(true, responseJSON) or done(false, errorJSON) once.
  function run(what, name, className, payload, done) {
    currentDone = done;
    let work;
    try {
      const p = typeof payload === 'string' ? parse(payload) : payload;
      if (what === 'function') {
        work = runFunction(name, p);
      } else if (what === 'job') {
        work = runJob(name, p);
      } else {
        work = runTrigger(name, className, p);
      }
    } catch (err) {
      fail(err);
      return;
    }
    if (isThenable(work)) {
      work.then(succeed, fail);
    } else {
      succeed(work);
    }
  }

  // The feather path (hooks/feather.go) runs a beforeSave's handler from
  // Go; these finish what Go leaves to JavaScript.

  // failWith answers with the error a handler threw or rejected with.
  function failWith(done, err) {
    currentDone = done;
    fail(err);
  }

  // featherAwait waits for a handler's pending promise, then lets the
  // server answer (featherDone); o, the invocation's feather object, tells
  // it which invocation the answer is for.
  function featherAwait(done, work, o) {
    currentDone = done;
    Promise.resolve(work).then(() => bridge.featherDone(o)).catch(fail);
  }

  // featherAnswer answers for a feather object whose state moved here, or a
  // request.object the script replaced (o is the feather object).
  function featherAnswer(done, req, o) {
    currentDone = done;
    let res;
    try {
      const s = req.object === o ? stateOf(o) : undefined;
      if (s !== undefined && s.fromFeather === true) {
        deltaJSON(s);
        savedContext = req.context;
        res = SAVE_ANSWER;
      } else {
        res = { update: req.object._getSaveJSON(), context: req.context };
      }
    } catch (e) {
      fail(e);
      return;
    }
    succeed(res);
  }

  function manifest() {
    return stringify({
      functions: Object.keys(functions),
      jobs: Object.keys(jobs),
      triggers: Object.keys(triggers),
    });
  }

  return { run, manifest, logger, inflate, failWith, featherAwait, featherAnswer, featherProto };
});
