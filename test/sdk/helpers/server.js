'use strict';
// Test harness: builds (once) and runs a real `switchboard serve` process for a
// test file, then points the official `parse` npm SDK at it.
//
// Each test file gets its own server with a fresh data directory, so files can
// run in parallel without sharing classes or rows.
//
//   SWITCHBOARD_BIN   use this binary instead of building one
//   SB_KEEP_DATA=1    keep temp data dirs and logs after the run

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const APP_ID = 'testapp';
const MASTER_KEY = 'testmaster';

let builtBin = null;

// binary returns the path of the switchboard binary, building it at most once
// per process. run-tests.js builds it once for the whole suite and passes it
// down in SWITCHBOARD_BIN, so the build only happens here when a file is run
// on its own (node --test tests/x.test.js).
function binary() {
  if (process.env.SWITCHBOARD_BIN) return process.env.SWITCHBOARD_BIN;
  if (builtBin) return builtBin;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bin-'));
  const out = path.join(dir, 'switchboard');
  buildBinary(out);
  builtBin = out;
  return out;
}

function buildBinary(out) {
  try {
    execFileSync('go', ['build', '-o', out, './cmd/switchboard'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
  } catch (err) {
    const msg = [err.stdout, err.stderr].filter(Boolean).map(String).join('\n');
    throw new Error(`go build ./cmd/switchboard failed (cwd ${REPO_ROOT}):\n${msg || err.message}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tail(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// startServer starts `switchboard serve` and resolves once GET /health is 200.
// env adds to (or, with a value of undefined, removes from) the default
// environment. Returns { base, serverURL, port, dir, logFile, stop() }.
// The store under test: SB_STORE=postgres runs each server on a fresh
// schema of the PostgreSQL at SB_PG_URL (default: this machine's), so the
// whole suite runs on both stores (run-tests.js does both). psql makes and
// drops the schema; a missing PostgreSQL fails the test, never skips it.
const PG_URL = process.env.SB_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function storeEnv() {
  if ((process.env.SB_STORE || 'sqlite') !== 'postgres') return {};
  const schema = `sdk_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  execFileSync('psql', [PG_URL, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE SCHEMA ${schema}`], { stdio: 'pipe' });
  const url = new URL(PG_URL);
  url.searchParams.set('sslmode', 'disable');
  url.searchParams.set('search_path', schema);
  return { SWITCHBOARD_DATABASE_URL: url.toString(), SB_PG_SCHEMA: schema };
}

function dropStoreSchema(env) {
  if (!env.SB_PG_SCHEMA) return;
  try {
    execFileSync('psql', [PG_URL, '-q', '-c', `DROP SCHEMA IF EXISTS ${env.SB_PG_SCHEMA} CASCADE`], { stdio: 'pipe' });
  } catch {
    /* best effort: a leftover schema holds only test data */
  }
}

async function startServer({ env = {}, name = 'server' } = {}) {
  // env may be a (possibly async) function, evaluated here, for settings only
  // known once the hooks run (e.g. the port of a fake provider).
  if (typeof env === 'function') env = (await env()) || {};
  const bin = binary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sb-${name}-`));
  const logFile = path.join(dir, 'server.log');
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);

  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    // The server refuses unknown SWITCHBOARD_* variables (e.g. our own
    // SWITCHBOARD_BIN) and must not pick up a developer's settings: pass
    // only the ones chosen here.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
    const fullEnv = {
      ...inherited,
      SWITCHBOARD_APP_ID: APP_ID,
      SWITCHBOARD_MASTER_KEY: MASTER_KEY,
      SWITCHBOARD_ALLOW_CLIENT_CLASS_CREATION: 'true',
      ...storeEnv(),
      ...env,
    };
    for (const k of Object.keys(fullEnv)) if (fullEnv[k] === undefined) delete fullEnv[k];

    const log = fs.openSync(logFile, 'a');
    const child = spawn(bin, ['serve', '--http', `127.0.0.1:${port}`, '--dir', dataDir], {
      cwd: dir,
      env: fullEnv,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    let exited = null;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });

    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30000;
    let healthy = false;
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) {
          healthy = true;
          break;
        }
      } catch {
        /* not up yet */
      }
      await sleep(100);
    }
    if (healthy) {
      const stop = async () => {
        if (!exited) {
          child.kill('SIGTERM');
          const t0 = Date.now();
          while (!exited && Date.now() - t0 < 5000) await sleep(50);
          if (!exited) child.kill('SIGKILL');
        }
        if (!process.env.SB_KEEP_DATA) {
          fs.rmSync(dir, { recursive: true, force: true });
          dropStoreSchema(fullEnv);
        }
      };
      return { base, serverURL: `${base}/parse`, port, dir, logFile, stop, child };
    }
    if (!exited) child.kill('SIGKILL');
    const why = exited ? `exited (${JSON.stringify(exited)})` : 'did not answer GET /health = 200 within 30s';
    lastErr = new Error(
      `switchboard serve on port ${port} ${why}.\n--- tail of ${logFile} ---\n${tail(logFile)}`
    );
    // A port race (someone else grabbed it) is worth a retry; anything else is not.
    if (!/address already in use/i.test(tail(logFile))) break;
  }
  process.stderr.write(String(lastErr.message) + '\n');
  throw lastErr;
}

// Parse SDK: one instance per test-file process.
function parse() {
  const Parse = require('parse/node');
  return Parse;
}

// initParse points the SDK at server. Master key is configured, but each call
// only uses it with { useMasterKey: true } (Schema/Config/distinct do it
// themselves, as the SDK defines).
function initParse(server) {
  const Parse = parse();
  Parse.initialize(APP_ID, 'js-key-not-checked');
  Parse.serverURL = server.serverURL;
  Parse.masterKey = MASTER_KEY;
  // The SDK retries 5xx answers with exponential back-off; a server bug would
  // then look like a slow test. Fail on the first answer instead.
  Parse.CoreManager.set('REQUEST_ATTEMPT_LIMIT', 1);
  return Parse;
}

// rest sends a plain REST request (the form curl users and the other SDKs
// use): real HTTP verbs, JSON bodies, X-Parse-* headers, URL-encoded queries.
// Returns { status, headers, json, text }.
async function rest(server, method, route, opts = {}) {
  const { body, query, master = false, headers = {}, appId = APP_ID, rawBody, contentType } = opts;
  let url = `${server.serverURL}/${route.replace(/^\//, '')}`;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      qs.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    url += `?${qs}`;
  }
  const h = { ...headers };
  if (appId !== null) h['X-Parse-Application-Id'] = appId;
  if (master) h['X-Parse-Master-Key'] = MASTER_KEY;
  let payload;
  if (rawBody !== undefined) {
    payload = rawBody;
    h['Content-Type'] = contentType || 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = contentType || 'application/json';
  }
  const res = await fetch(url, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

// envelope sends a request the way the JS SDK does: always POST, Content-Type
// text/plain, with the real method and the keys inside the JSON body.
async function envelope(server, method, route, fields = {}, { master = false, appId = APP_ID } = {}) {
  const payload = { ...fields, _method: method, _ApplicationId: appId, _ClientVersion: 'js8.6.2', _InstallationId: 'inst-raw-envelope' };
  if (master) payload._MasterKey = MASTER_KEY;
  const res = await fetch(`${server.serverURL}/${route.replace(/^\//, '')}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify(payload),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

// expectParseError runs fn and returns the Parse.Error it rejects with,
// failing if it resolves.
async function parseError(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail with a Parse.Error, but it succeeded');
}

// assertMasterKeyRequired checks a refusal for lack of the master key. Parse
// Server answers 403 {"error":"unauthorized: master key is required"};
// Switchboard's error model (every error carries a Parse code) may answer
// 400 {"code":119,...}. Either is a refusal the SDK surfaces; a 2xx or 5xx is not.
function assertMasterKeyRequired(res) {
  const assert = require('node:assert/strict');
  const detail = `${res.status} ${res.text}`;
  if (res.status === 403) {
    assert.match((res.json && res.json.error) || '', /unauthorized|master key/i, detail);
  } else {
    assert.equal(res.status, 400, detail);
    assert.equal(res.json && res.json.code, 119, detail);
    assert.match(res.json.error, /master key/i, detail);
  }
}

// serverLog returns the server's log so far (stdout and stderr). logMark
// returns a position in it; waitForLog(server, re, {from}) polls the log
// after that position until re matches and returns the match, so a test can
// read what the server logged for its own request (an SMS code, a mail link).
function serverLog(server) {
  try {
    return fs.readFileSync(server.logFile, 'utf8');
  } catch {
    return '';
  }
}

function logMark(server) {
  return serverLog(server).length;
}

async function waitForLog(server, re, { from = 0, timeout = 5000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const m = serverLog(server).slice(from).match(re);
    if (m) return m;
    if (Date.now() > deadline) {
      throw new Error(`server log has no line matching ${re} within ${timeout}ms:\n${serverLog(server).slice(from).slice(-2000)}`);
    }
    await sleep(50);
  }
}

const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const OBJECT_ID = /^[A-Za-z0-9]{10}$/;

module.exports = {
  APP_ID,
  MASTER_KEY,
  REPO_ROOT,
  binary,
  buildBinary,
  startServer,
  initParse,
  rest,
  envelope,
  parseError,
  assertMasterKeyRequired,
  serverLog,
  logMark,
  waitForLog,
  ISO_MS_Z,
  OBJECT_ID,
};

// useServer registers file-level before/after hooks that start a server and
// point the SDK at it. Returns a context filled in once the hooks ran.
// Fixtures go through ctx.setup(fn), which runs inside the same hook right
// after the server is up: on Node 20 several root-level before() hooks run
// concurrently rather than one after the other.
function useServer(opts = {}) {
  const { before, after } = require('node:test');
  const setups = [];
  const ctx = { setup: (fn) => setups.push(fn) };
  before(async () => {
    ctx.server = await startServer(opts);
    ctx.Parse = initParse(ctx.server);
    for (const fn of setups) await fn(ctx);
  });
  after(async () => {
    if (ctx.server) await ctx.server.stop();
  });
  return ctx;
}

module.exports.useServer = useServer;
