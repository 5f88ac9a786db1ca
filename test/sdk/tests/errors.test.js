'use strict';
// Error codes and HTTP statuses. Every error is {code, error} with the Parse
// code; 404 for 101, 400 for the rest, 403 {"error":"unauthorized"} for a
// wrong app id. Nothing here may answer 5xx.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, envelope, parseError, APP_ID, assertMasterKeyRequired } = require('../helpers/server');

const ctx = useServer({ name: 'errors' });

function assertParseError(res, status, codes) {
  const want = Array.isArray(codes) ? codes : [codes];
  assert.ok(res.status < 500, `must not be a 5xx: ${res.status} ${res.text}`);
  assert.equal(res.status, status, `${res.status} ${res.text}`);
  assert.ok(res.json && typeof res.json === 'object', `JSON body expected: ${res.text}`);
  assert.ok(want.includes(res.json.code), `code ${res.json.code} not in [${want}]: ${res.text}`);
  assert.equal(typeof res.json.error, 'string');
  assert.ok(res.json.error.length > 0);
}

ctx.setup(async () => {
  await rest(ctx.server, 'POST', 'classes/ErrThing', { body: { score: 1, name: 'x', tags: ['a'] } });
});

describe('not found (101 / 404)', () => {
  it('SDK get of an unknown objectId is 101', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => new Parse.Query('ErrThing').get('aaaaaaaaaa'));
    assert.ok(err instanceof Parse.Error);
    assert.equal(err.code, 101);
    assert.equal(err.message, 'Object not found.');
  });

  it('raw GET / PUT / DELETE of an unknown objectId are 404 {code:101}', async () => {
    assertParseError(await rest(ctx.server, 'GET', 'classes/ErrThing/aaaaaaaaaa'), 404, 101);
    assertParseError(await rest(ctx.server, 'PUT', 'classes/ErrThing/aaaaaaaaaa', { body: { score: 2 } }), 404, 101);
    assertParseError(await rest(ctx.server, 'DELETE', 'classes/ErrThing/aaaaaaaaaa'), 404, 101);
    assertParseError(await rest(ctx.server, 'GET', 'classes/NoSuchClassAtAll/aaaaaaaaaa'), 404, 101);
  });

  it('the SDK envelope for the same request is also 404 {code:101}', async () => {
    assertParseError(await envelope(ctx.server, 'GET', 'classes/ErrThing/aaaaaaaaaa'), 404, 101);
  });
});

describe('names (103 / 105)', () => {
  it('invalid class name is 103', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => new Parse.Object('bad-class').save({ a: 1 }));
    assert.equal(err.code, 103, err.message);
    assertParseError(await rest(ctx.server, 'POST', 'classes/1Bad', { body: { a: 1 } }), 400, 103);
    assertParseError(await rest(ctx.server, 'POST', 'classes/_NotASystemClass', { body: { a: 1 } }), 400, 103);
  });

  it('invalid field name is 105', async () => {
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrThing', { body: { 'bad-field': 1 } }), 400, 105);
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrThing', { body: { '1abc': 1 } }), 400, 105);
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrThing', { body: { $where: 1 } }), 400, 105);
    const list = await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { count: 1, limit: 0 } });
    assert.equal(list.json.count, 1, 'none of the rejected objects was written');
  });

  it('invalid key name in where is 105', async () => {
    assertParseError(await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { where: { 'bad-key': 1 } } }), 400, 105);
  });

  it('sorting on an invalid field name is 105', async () => {
    assertParseError(await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { order: 'bad-field' } }), 400, 105);
  });
});

describe('JSON and query errors (107 / 102)', () => {
  it('malformed JSON body is 400 {code:107}', async () => {
    const res = await rest(ctx.server, 'POST', 'classes/ErrThing', { rawBody: '{"score": 1,', contentType: 'application/json' });
    assertParseError(res, 400, 107);
  });

  it('a body that is not a JSON object is rejected (400)', async () => {
    const res = await rest(ctx.server, 'POST', 'classes/ErrThing', { rawBody: '[1,2,3]', contentType: 'application/json' });
    assertParseError(res, 400, [107, 111]);
  });

  it('malformed text/plain envelope without app id is a 4xx, not a 500', async () => {
    const res = await fetch(`${ctx.server.serverURL}/classes/ErrThing`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{"_ApplicationId": "testapp", ',
    });
    assert.ok(res.status >= 400 && res.status < 500, `got ${res.status}`);
  });

  it('invalid JSON in where is 107 (or 102)', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { where: '{"score": ' } });
    assertParseError(res, 400, [107, 102]);
  });

  it('unknown query operator is a 400 (102; Parse Server\'s Mongo path says 107), never ignored', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { where: { score: { $foo: 1 } } } });
    assertParseError(res, 400, [102, 107]);
    const sdk = ctx.Parse;
    const q = new sdk.Query('ErrThing');
    q.withJSON({ where: { score: { $bogus: 1 } } });
    const err = await parseError(() => q.find());
    assert.ok([102, 107].includes(err.code), `code ${err.code}`);
  });

  it('unknown top-level operator is a 400', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { where: { $foo: [{ score: 1 }] } } });
    assertParseError(res, 400, [102, 105]);
  });

  it('$in with a non-array and a bad $regex are 400s', async () => {
    assertParseError(await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { where: { score: { $in: 5 } } } }), 400, [102, 107]);
    assertParseError(await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { where: { name: { $regex: '(' } } } }), 400, [102, 107]);
  });
});

describe('type and ACL errors (111 / 123)', () => {
  it('wrong type on save is 111 (SDK, Number field)', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => new Parse.Object('ErrThing').save({ score: 'high' }));
    assert.equal(err.code, 111, err.message);
  });

  it('wrong type on save is 111 (String into an Array field, array into an Object field)', async () => {
    await rest(ctx.server, 'POST', 'classes/ErrShapes', { body: { tags: ['a'], meta: { a: 1 } } });
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrShapes', { body: { tags: 'not-an-array' } }), 400, 111);
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrShapes', { body: { tags: { k: 1 } } }), 400, 111);
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrShapes', { body: { meta: [1, 2] } }), 400, 111);
  });

  it('wrong type on update is 111 (Number into String, Increment on String)', async () => {
    const obj = await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { limit: 1 } });
    const id = obj.json.results[0].objectId;
    assertParseError(await rest(ctx.server, 'PUT', `classes/ErrThing/${id}`, { body: { name: 12 } }), 400, 111);
    assertParseError(
      await rest(ctx.server, 'PUT', `classes/ErrThing/${id}`, { body: { name: { __op: 'Increment', amount: 1 } } }),
      400,
      111
    );
  });

  it('unknown __type or __op is rejected', async () => {
    const badType = await rest(ctx.server, 'POST', 'classes/ErrThing', { body: { weird: { __type: 'Banana', x: 1 } } });
    assert.equal(badType.status, 400, badType.text);
    const badOp = await rest(ctx.server, 'POST', 'classes/ErrThing', { body: { score: { __op: 'Explode' } } });
    assert.equal(badOp.status, 400, badOp.text);
  });

  it('bad ACL is 123', async () => {
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrAcl', { body: { ACL: 'public' } }), 400, 123);
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrAcl', { body: { ACL: { '*': 'read' } } }), 400, 123);
    assertParseError(await rest(ctx.server, 'POST', 'classes/ErrAcl', { body: { ACL: { '*': { read: 'yes' } } } }), 400, 123);
    const list = await rest(ctx.server, 'GET', 'classes/ErrAcl', { master: true });
    assert.deepEqual(list.json.results, []);
  });
});

describe('keys and auth', () => {
  it('wrong app id is 403 {"error":"unauthorized"} (header form)', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/ErrThing', { appId: 'wrongapp' });
    assert.equal(res.status, 403, res.text);
    assert.deepEqual(res.json, { error: 'unauthorized' });
  });

  it('missing app id is 403 {"error":"unauthorized"}', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/ErrThing', { appId: null });
    assert.equal(res.status, 403, res.text);
    assert.deepEqual(res.json, { error: 'unauthorized' });
  });

  it('wrong app id is 403 in the SDK envelope, and the SDK surfaces "unauthorized"', async () => {
    const res = await envelope(ctx.server, 'GET', 'classes/ErrThing', {}, { appId: 'wrongapp' });
    assert.equal(res.status, 403, res.text);
    assert.deepEqual(res.json, { error: 'unauthorized' });

    const { Parse } = ctx;
    Parse.CoreManager.set('APPLICATION_ID', 'wrongapp');
    try {
      const err = await parseError(() => new Parse.Query('ErrThing').find());
      assert.equal(err.message, 'unauthorized');
    } finally {
      Parse.CoreManager.set('APPLICATION_ID', APP_ID);
    }
  });

  it('wrong master key is rejected, not treated as master', async () => {
    const res = await rest(ctx.server, 'GET', 'schemas', { headers: { 'X-Parse-Master-Key': 'not-the-key' } });
    assertMasterKeyRequired(res);
  });

  it('master-only routes without the master key are refused', async () => {
    const before = await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { count: 1, limit: 0 } });
    assert.ok(before.json.count >= 1);
    const purge = await rest(ctx.server, 'DELETE', 'purge/ErrThing');
    assertMasterKeyRequired(purge);
    const info = await rest(ctx.server, 'GET', 'serverInfo');
    assertMasterKeyRequired(info);
    const still = await rest(ctx.server, 'GET', 'classes/ErrThing', { query: { count: 1, limit: 0 } });
    assert.equal(still.json.count, before.json.count, 'the refused purge deleted nothing');
  });
});
