'use strict';
// leancloud-storage's uploads over Qiniu Kodo, LeanCloud's own store: the
// server must run with the qiniu provider against the Kodo fake, which is
// Go, so a Go test does it (TestLeanCloudSDKOverQiniu in
// cmd/switchboard/app) and drives the SDK through helpers/lc-files.js.
// This file runs that test, so the SDK suite covers the qiniu path too.
// The Go test serves on SQLite; it runs once, on the sqlite pass.
const { it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { REPO_ROOT } = require('../helpers/server');

it('AV.File over the qiniu provider (form upload and Kodo callback)', { skip: process.env.SB_STORE === 'postgres' && 'runs on the sqlite pass' }, () => {
  const res = spawnSync('go', ['test', '-count=1', '-v', '-run', '^TestLeanCloudSDKOverQiniu$', './cmd/switchboard/app'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, SB_REQUIRE_NODE_SDK: '1' },
    timeout: 300000,
  });
  const output = `${res.stdout}\n${res.stderr}`;
  assert.equal(res.status, 0, output);
  assert.match(output, /--- PASS: TestLeanCloudSDKOverQiniu/, output);
});
