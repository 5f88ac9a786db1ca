#!/usr/bin/env node
'use strict';
// Builds switchboard once, then runs every tests/*.test.js with node's
// built-in test runner. Each file starts its own server (fresh data dir), so
// files run in parallel. Extra arguments are passed to `node --test`
// (e.g. `npm test -- --test-name-pattern=relations`).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildBinary } = require('./helpers/server');

const env = { ...process.env };
if (!env.SWITCHBOARD_BIN) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bin-'));
  const bin = path.join(dir, 'switchboard');
  const t0 = Date.now();
  process.stdout.write('building switchboard ... ');
  buildBinary(bin);
  process.stdout.write(`ok (${((Date.now() - t0) / 1000).toFixed(1)}s)\n`);
  env.SWITCHBOARD_BIN = bin;
}

const testsDir = path.join(__dirname, 'tests');
const args = process.argv.slice(2);
const files = args.some((a) => a.endsWith('.js'))
  ? []
  : fs.readdirSync(testsDir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(testsDir, f));
// Every test file runs once per store (SB_TEST_STORES, default both).
let status = 0;
for (const store of (env.SB_TEST_STORES || 'sqlite,postgres').split(',')) {
  console.log(`# store: ${store}`);
  const res = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=' + (env.SB_TEST_CONCURRENCY || '4'), '--test-timeout=120000', ...args, ...files],
    { stdio: 'inherit', env: { ...env, SB_STORE: store }, cwd: __dirname }
  );
  if (res.status !== 0) status = res.status === null ? 1 : res.status;
}
process.exit(status);
