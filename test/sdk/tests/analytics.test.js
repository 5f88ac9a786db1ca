'use strict';
// Analytics: Parse.Analytics.track and AppOpened (as the mobile SDKs'
// trackAppOpened sends it) land in the store and are counted by the
// /analytics reports; automatic events come from signups.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, assertMasterKeyRequired } = require('../helpers/server');

const ctx = useServer({ name: 'analytics', env: { SWITCHBOARD_ANALYTICS__FLUSH_INTERVAL: '50ms' } });

// report polls a report until check(json) holds: events are written in
// batches shortly after they are accepted.
async function report(name, query, check) {
  let last;
  for (let i = 0; i < 100; i++) {
    last = await rest(ctx.server, 'GET', `analytics/${name}`, { master: true, query });
    assert.equal(last.status, 200, last.text);
    if (check(last.json)) return last.json;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`report ${name} never matched: ${last.text}`);
}

function bucket(json, key) {
  return json.results.find((b) => b.key === key);
}

describe('analytics', () => {
  it('Parse.Analytics.track lands with its dimensions and is counted', async () => {
    const { Parse } = ctx;
    await Parse.Analytics.track('search', { category: 'books', source: 'home' });
    await Parse.Analytics.track('search', { category: 'music', source: 'home' });
    await Parse.Analytics.track('search', { category: 'books', source: 'ad' });
    const byName = await report('events', {}, (j) => (bucket(j, 'search') || {}).count === 3);
    assert.equal(bucket(byName, 'search').devices, 1, 'one SDK installation sent them all');
    const top = await report('events', { name: 'search', by: 'dimension', dimension: 'category' }, (j) => j.results.length === 2);
    assert.deepEqual(top.results.map((b) => [b.key, b.count]), [['books', 2], ['music', 1]]);
  });

  it('AppOpened with at and push_hash (trackAppOpened) counts the device as new and active', async () => {
    const { Parse } = ctx;
    const at = new Date(Date.now() - 60 * 1000);
    await Parse.CoreManager.getRESTController().request('POST', 'events/AppOpened', {
      at: { __type: 'Date', iso: at.toISOString() }, push_hash: 'd41d8cd9',
    });
    const opened = await report('events', { name: 'AppOpened', by: 'dimension', dimension: 'push_hash' }, (j) => j.results.length === 1);
    assert.equal(opened.results[0].key, 'd41d8cd9');
    const active = await report('active', { days: '1' }, (j) => j.results[0].dau >= 1);
    assert.equal(active.of, 'devices');
    assert.ok(active.results[0].mauRolling30d >= 1);
    const fresh = await report('new', { days: '1' }, (j) => j.results[0].devices >= 1);
    assert.equal(fresh.timezone, 'UTC');
  });

  it('a signup is an automatic event of the user', async () => {
    const { Parse } = ctx;
    // The SDK sends the current user's session with track() only when it
    // keeps a current user, as in a browser or an app.
    Parse.User.enableUnsafeCurrentUser();
    const user = await Parse.User.signUp('ana_' + Date.now(), 'pw-123456');
    await Parse.Analytics.track('checkout', { plan: 'pro' });
    const users = await report('new', { days: '1' }, (j) => j.results[0].users >= 1);
    assert.ok(users.results[0].users >= 1);
    const checkout = await report('events', { name: 'checkout', by: 'day' }, (j) => j.results.length === 1 && j.results[0].users === 1);
    assert.equal(checkout.results[0].count, 1);
    const funnel = await report('funnel', { steps: '_signup,checkout', window: '1h', of: 'users' }, (j) => j.results[1].count === 1);
    assert.deepEqual(funnel.results.map((s) => s.count), [1, 1]);
    await Parse.User.logOut();
    assert.ok(user.id);
  });

  it('keeps the first 8 dimensions and refuses non-string ones', async () => {
    const dims = {};
    for (let i = 0; i < 10; i++) dims[`k${i}`] = 'v';
    let res = await rest(ctx.server, 'POST', 'events/wide', { body: { dimensions: dims } });
    assert.equal(res.status, 200, res.text);
    await report('events', { name: 'wide', by: 'dimension', dimension: 'k7' }, (j) => (bucket(j, 'v') || {}).count === 1);
    const dropped = await report('events', { name: 'wide', by: 'dimension', dimension: 'k9' }, (j) => j.results.length === 1);
    assert.equal(dropped.results[0].key, '', 'k9 is past the first 8 (k0..k7)');
    res = await rest(ctx.server, 'POST', 'events/bad', { body: { dimensions: { n: 1 } } });
    assert.equal(res.status, 400);
    assert.equal(res.json.code, 107);
    res = await rest(ctx.server, 'POST', 'events/_signup', { body: {} });
    assert.equal(res.status, 400, 'automatic event names are reserved');
  });

  it('reports need the master key', async () => {
    assertMasterKeyRequired(await rest(ctx.server, 'GET', 'analytics/active'));
    const res = await rest(ctx.server, 'GET', 'analytics/nope', { master: true });
    assert.equal(res.status, 400);
    assert.equal(res.json.code, 102);
  });
});
