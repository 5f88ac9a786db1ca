'use strict';
// Small helpers for the user, session and permission tests: unique users
// signed up through the SDK, and raw REST calls made as one of them.
const { rest } = require('./server');

let counter = 0;

// uniqueName returns a username no other test in the process uses.
function uniqueName(prefix = 'u') {
  counter += 1;
  return `${prefix}_${process.pid.toString(36)}_${Date.now().toString(36)}_${counter}`;
}

// passwordOf gives the password signUp used for a username.
function passwordOf(username) {
  return `pw-${username}`;
}

// signUp signs a new user up through the SDK (Parse.User#signUp) and returns
// it; user.getSessionToken() is its session.
async function signUp(Parse, prefix = 'u', attrs = {}) {
  const username = uniqueName(prefix);
  const user = new Parse.User();
  user.set({ username, password: passwordOf(username), ...attrs });
  await user.signUp();
  return user;
}

// as returns SDK request options that act as user (or a bare token).
function as(userOrToken) {
  return { sessionToken: typeof userOrToken === 'string' ? userOrToken : userOrToken.getSessionToken() };
}

// restAs is rest() with X-Parse-Session-Token set (token may be a user).
function restAs(server, userOrToken, method, route, opts = {}) {
  const token = typeof userOrToken === 'string' ? userOrToken : userOrToken.getSessionToken();
  return rest(server, method, route, { ...opts, headers: { ...(opts.headers || {}), 'X-Parse-Session-Token': token } });
}

// assertRefused checks a Parse-style 4xx error answer with one of codes.
function assertRefused(res, codes, status) {
  const assert = require('node:assert/strict');
  const want = Array.isArray(codes) ? codes : [codes];
  const detail = `${res.status} ${res.text}`;
  assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx: ${detail}`);
  if (status !== undefined) assert.equal(res.status, status, detail);
  assert.ok(res.json && typeof res.json === 'object', `JSON body expected: ${detail}`);
  assert.ok(want.includes(res.json.code), `code ${res.json.code} not in [${want}]: ${detail}`);
  assert.equal(typeof res.json.error, 'string', detail);
}

module.exports = { uniqueName, passwordOf, signUp, as, restAs, assertRefused };
