'use strict';
// The README's quick start, run as written: a server on the embedded
// defaults (no allowClientClassCreation, a generated master key in the data
// folder), and the README's first JavaScript block, taken from README.md
// itself so that the two cannot drift apart.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, REPO_ROOT } = require('../helpers/server');

// quickstartBlock returns the first ```js block after the quickstart marker.
function quickstartBlock() {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('<!-- quickstart');
  assert.ok(at >= 0, 'README.md has no quickstart marker');
  const m = readme.slice(at).match(/```js\n([\s\S]*?)```/);
  assert.ok(m, 'no ```js block after the quickstart marker');
  return m[1];
}

describe('README quick start', () => {
  let server;
  before(async () => {
    // The embedded defaults: only the app id, the master key and client
    // class creation are left to the server (SWITCHBOARD_* set to undefined
    // are removed from its environment).
    server = await startServer({
      name: 'quickstart',
      env: { SWITCHBOARD_APP_ID: undefined, SWITCHBOARD_MASTER_KEY: undefined, SWITCHBOARD_ALLOW_CLIENT_CLASS_CREATION: undefined },
    });
  });
  after(async () => server && server.stop());

  it('runs as written against a server on the defaults', async () => {
    // The block reads sb_data/master.key and talks to 127.0.0.1:1337: point
    // those at this test's server, and nothing else.
    const dataDir = path.join(server.dir, 'data');
    const code = quickstartBlock()
      .replace("'sb_data/master.key'", JSON.stringify(path.join(dataDir, 'master.key')))
      .replace("'http://127.0.0.1:1337/parse'", JSON.stringify(server.serverURL));
    const logged = [];
    const fakeConsole = { log: (...args) => logged.push(args) };
    const run = new Function('require', 'console', `return (async () => {\n${code}\n})();`);
    await run(require, fakeConsole);
    assert.deepEqual(logged, [[['ada']]], 'the block prints the top players');

    // Without the master key, a new class is still refused: the quick start
    // needs its schema call.
    const res = await fetch(`${server.serverURL}/classes/NotInTheQuickStart`, {
      method: 'POST',
      headers: { 'X-Parse-Application-Id': 'switchboard', 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 119);
  });
});
