'use strict';
// idempotencyOptions: a repeated X-Parse-Request-Id is rejected with 159.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { useServer, startServer, rest } = require('../helpers/server');

const ctx = useServer({
  name: 'idem',
  env: { SWITCHBOARD_IDEMPOTENCY_OPTIONS__PATHS: '.*', SWITCHBOARD_IDEMPOTENCY_OPTIONS__TTL: '300' },
});

const rid = () => crypto.randomUUID();
async function count(server, className) {
  const res = await rest(server, 'GET', `classes/${className}`, { query: { count: 1, limit: 0 }, master: true });
  return res.json.count;
}

describe('idempotency enabled (paths .*)', () => {
  it('same X-Parse-Request-Id twice: first 201, second 400 code 159; one object', async () => {
    const id = rid();
    const first = await rest(ctx.server, 'POST', 'classes/IdemA', { body: { n: 1 }, headers: { 'X-Parse-Request-Id': id } });
    assert.equal(first.status, 201, first.text);
    const second = await rest(ctx.server, 'POST', 'classes/IdemA', { body: { n: 1 }, headers: { 'X-Parse-Request-Id': id } });
    assert.equal(second.status, 400, second.text);
    assert.equal(second.json.code, 159);
    assert.match(second.json.error, /duplicate request/i);
    assert.equal(await count(ctx.server, 'IdemA'), 1);
  });

  it('different request ids both succeed', async () => {
    const a = await rest(ctx.server, 'POST', 'classes/IdemB', { body: { n: 1 }, headers: { 'X-Parse-Request-Id': rid() } });
    const b = await rest(ctx.server, 'POST', 'classes/IdemB', { body: { n: 1 }, headers: { 'X-Parse-Request-Id': rid() } });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.notEqual(a.json.objectId, b.json.objectId);
    assert.equal(await count(ctx.server, 'IdemB'), 2);
  });

  it('requests without a request id are not deduplicated', async () => {
    const a = await rest(ctx.server, 'POST', 'classes/IdemC', { body: { n: 1 } });
    const b = await rest(ctx.server, 'POST', 'classes/IdemC', { body: { n: 1 } });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
  });

  it('a repeated PUT with the same request id is rejected and not applied twice', async () => {
    const created = await rest(ctx.server, 'POST', 'classes/IdemD', { body: { n: 0 } });
    const id = rid();
    const body = { n: { __op: 'Increment', amount: 1 } };
    const first = await rest(ctx.server, 'PUT', `classes/IdemD/${created.json.objectId}`, { body, headers: { 'X-Parse-Request-Id': id } });
    assert.equal(first.status, 200, first.text);
    const second = await rest(ctx.server, 'PUT', `classes/IdemD/${created.json.objectId}`, { body, headers: { 'X-Parse-Request-Id': id } });
    assert.equal(second.status, 400, second.text);
    assert.equal(second.json.code, 159);
    const got = await rest(ctx.server, 'GET', `classes/IdemD/${created.json.objectId}`);
    assert.equal(got.json.n, 1);
  });

  it('concurrent requests with one id: exactly one succeeds', async () => {
    const id = rid();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        rest(ctx.server, 'POST', 'classes/IdemE', { body: { n: 1 }, headers: { 'X-Parse-Request-Id': id } })
      )
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 400, 400, 400, 400], JSON.stringify(results.map((r) => r.text)));
    for (const r of results.filter((x) => x.status === 400)) assert.equal(r.json.code, 159);
    assert.equal(await count(ctx.server, 'IdemE'), 1);
  });

  it('the SDK with IDEMPOTENCY on sends a fresh id per save; saves succeed', async () => {
    const { Parse } = ctx;
    Parse.CoreManager.set('IDEMPOTENCY', true);
    try {
      const a = await new Parse.Object('IdemSdk').save({ n: 1 });
      const b = await new Parse.Object('IdemSdk').save({ n: 2 });
      a.set('n', 10);
      await a.save();
      assert.notEqual(a.id, b.id);
      const list = await new Parse.Query('IdemSdk').ascending('n').find();
      assert.deepEqual(list.map((o) => o.get('n')), [2, 10]);
    } finally {
      Parse.CoreManager.set('IDEMPOTENCY', false);
    }
  });
});

describe('idempotency disabled (default server)', () => {
  let plain;
  before(async () => {
    plain = await startServer({ name: 'idem-off' });
  });
  after(async () => {
    if (plain) await plain.stop();
  });

  it('the same request id twice is accepted', async () => {
    const id = rid();
    const a = await rest(plain, 'POST', 'classes/IdemOff', { body: { n: 1 }, headers: { 'X-Parse-Request-Id': id } });
    const b = await rest(plain, 'POST', 'classes/IdemOff', { body: { n: 1 }, headers: { 'X-Parse-Request-Id': id } });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.equal(await count(plain, 'IdemOff'), 2);
  });
});
