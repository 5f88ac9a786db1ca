'use strict';
// The wire itself: plain REST (real verbs, X-Parse-* headers, URL-encoded
// where) and the JS SDK envelope (POST text/plain, _method and keys in the
// body), /health, /serverInfo, CORS.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, envelope, MASTER_KEY, APP_ID, OBJECT_ID, ISO_MS_Z, assertMasterKeyRequired } = require('../helpers/server');

const ctx = useServer({ name: 'wire' });

ctx.setup(async () => {
  for (const [name, score] of [
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]) {
    const res = await rest(ctx.server, 'POST', 'classes/WireItem', { body: { name, score } });
    assert.equal(res.status, 201, res.text);
  }
});

describe('health and serverInfo', () => {
  it('GET /health is 200', async () => {
    const res = await fetch(`${ctx.server.base}/health`);
    assert.equal(res.status, 200);
  });

  it('GET /parse/health is 200 {status:"ok"} (Parse Server mounts it under the API too)', async () => {
    const res = await fetch(`${ctx.server.serverURL}/health`);
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.status, 'ok');
  });

  it('GET /serverInfo with the master key: parseServerVersion and features', async () => {
    const res = await rest(ctx.server, 'GET', 'serverInfo', { master: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(typeof res.json.parseServerVersion, 'string');
    assert.match(res.json.parseServerVersion, /^\d+\.\d+\.\d+/);
    assert.equal(typeof res.json.features, 'object');
    assert.equal(typeof res.json.features.schemas, 'object');
    assert.equal(res.json.features.schemas.addField, true);
    assert.equal(res.json.features.schemas.clearAllDataFromClass, true);
    assert.equal(typeof res.json.features.globalConfig, 'object');
    assert.equal(res.json.features.globalConfig.read, true);
    assert.equal(res.json.features.globalConfig.update, true);
  });

  it('serverInfo through the SDK envelope with _MasterKey', async () => {
    const res = await envelope(ctx.server, 'GET', 'serverInfo', {}, { master: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(typeof res.json.parseServerVersion, 'string');
  });
});

describe('plain REST form', () => {
  it('GET /classes with URL-encoded where, order, limit, keys, count', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/WireItem', {
      query: { where: { score: { $gte: 2 } }, order: '-score', limit: '10', keys: 'name,score', count: '1' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.count, 2);
    assert.deepEqual(res.json.results.map((r) => [r.name, r.score]), [
      ['c', 3],
      ['b', 2],
    ]);
    for (const r of res.json.results) {
      assert.match(r.objectId, OBJECT_ID);
      assert.match(r.createdAt, ISO_MS_Z);
      assert.match(r.updatedAt, ISO_MS_Z);
    }
  });

  it('the master key header is accepted on object routes', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/WireItem', { master: true, query: { where: { name: 'a' } } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results.map((r) => r.name), ['a']);
  });

  it('X-Parse-REST-API-Key is accepted (no client keys configured)', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/WireItem', { headers: { 'X-Parse-REST-API-Key': 'anything' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.results.length, 3);
  });

  it('GET /schemas and /schemas/X with X-Parse-Master-Key', async () => {
    const all = await rest(ctx.server, 'GET', 'schemas', { headers: { 'X-Parse-Master-Key': MASTER_KEY } });
    assert.equal(all.status, 200, all.text);
    const item = all.json.results.find((c) => c.className === 'WireItem');
    assert.deepEqual(item.fields.score, { type: 'Number' });
    const one = await rest(ctx.server, 'GET', 'schemas/WireItem', { master: true });
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.className, 'WireItem');
    assert.deepEqual(one.json.fields.name, { type: 'String' });
  });

  it('POST /batch in plain form', async () => {
    const res = await rest(ctx.server, 'POST', 'batch', {
      body: {
        requests: [
          { method: 'POST', path: '/parse/classes/WireBatch', body: { k: 1 } },
          { method: 'POST', path: '/parse/classes/WireBatch', body: { k: 2 } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.length, 2);
    assert.match(res.json[0].success.objectId, OBJECT_ID);
    assert.match(res.json[1].success.createdAt, ISO_MS_Z);
  });

  it('errors in plain form carry {code, error} and a JSON content type', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/WireItem/zzzzzzzzzz');
    assert.equal(res.status, 404);
    assert.deepEqual(Object.keys(res.json).sort(), ['code', 'error']);
    assert.equal(res.json.code, 101);
    assert.match(res.headers.get('content-type') || '', /application\/json/);
  });
});

describe('JS SDK envelope (POST text/plain)', () => {
  it('_method GET with where/order/limit in the body', async () => {
    const res = await envelope(ctx.server, 'GET', 'classes/WireItem', { where: { score: { $lt: 3 } }, order: 'score', limit: 5 });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results.map((r) => r.name), ['a', 'b']);
  });

  it('POST (create) without _method, then _method PUT and _method DELETE', async () => {
    const body = { v: 1, _ApplicationId: APP_ID, _JavaScriptKey: 'whatever', _ClientVersion: 'js8.6.2', _InstallationId: 'inst-1' };
    const create = await fetch(`${ctx.server.serverURL}/classes/WireEnv`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify(body),
    });
    assert.equal(create.status, 201);
    const created = await create.json();
    assert.match(created.objectId, OBJECT_ID);

    // The envelope fields must not be stored as object fields.
    const got = await rest(ctx.server, 'GET', `classes/WireEnv/${created.objectId}`);
    assert.equal(got.json.v, 1);
    for (const k of ['_ApplicationId', '_JavaScriptKey', '_ClientVersion', '_InstallationId', '_method']) {
      assert.ok(!(k in got.json), `${k} leaked into the object`);
    }
    const schema = await rest(ctx.server, 'GET', 'schemas/WireEnv', { master: true });
    assert.deepEqual(Object.keys(schema.json.fields).sort(), ['ACL', 'createdAt', 'objectId', 'updatedAt', 'v']);

    const put = await envelope(ctx.server, 'PUT', `classes/WireEnv/${created.objectId}`, { v: 2 });
    assert.equal(put.status, 200, put.text);
    assert.match(put.json.updatedAt, ISO_MS_Z);
    assert.equal((await rest(ctx.server, 'GET', `classes/WireEnv/${created.objectId}`)).json.v, 2);

    const del = await envelope(ctx.server, 'DELETE', `classes/WireEnv/${created.objectId}`);
    assert.equal(del.status, 200, del.text);
    assert.equal((await rest(ctx.server, 'GET', `classes/WireEnv/${created.objectId}`)).status, 404);
  });

  it('_MasterKey in the envelope grants master access (schemas)', async () => {
    const res = await envelope(ctx.server, 'GET', 'schemas/WireItem', {}, { master: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.className, 'WireItem');
    const denied = await envelope(ctx.server, 'GET', 'schemas/WireItem', {});
    assertMasterKeyRequired(denied);
  });

  it('an unknown session token is 209 in both forms (header and _SessionToken)', async () => {
    const hdr = await rest(ctx.server, 'GET', 'classes/WireItem', { headers: { 'X-Parse-Session-Token': 'r:not-a-session' } });
    assert.equal(hdr.status, 400, hdr.text);
    assert.equal(hdr.json.code, 209);
    const env = await envelope(ctx.server, 'GET', 'classes/WireItem', { _SessionToken: 'r:not-a-session' });
    assert.equal(env.status, 400, env.text);
    assert.equal(env.json.code, 209);
  });

  it('the envelope also works with Content-Type application/json', async () => {
    const res = await fetch(`${ctx.server.serverURL}/classes/WireItem`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ _method: 'GET', _ApplicationId: APP_ID, where: { name: 'c' } }),
    });
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.deepEqual(json.results.map((r) => r.name), ['c']);
  });
});

describe('CORS', () => {
  it('OPTIONS preflight answers with Access-Control-Allow-* headers', async () => {
    const res = await fetch(`${ctx.server.serverURL}/classes/WireItem`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'X-Parse-Application-Id, Content-Type',
      },
    });
    assert.ok(res.status === 200 || res.status === 204, `status ${res.status}`);
    assert.ok(res.headers.get('access-control-allow-origin'), 'Access-Control-Allow-Origin set');
    assert.match(res.headers.get('access-control-allow-methods') || '', /POST/);
    assert.match((res.headers.get('access-control-allow-headers') || '').toLowerCase(), /x-parse-application-id/);
  });

  it('normal answers carry Access-Control-Allow-Origin', async () => {
    const res = await fetch(`${ctx.server.serverURL}/classes/WireItem`, {
      headers: { 'X-Parse-Application-Id': APP_ID, Origin: 'http://example.com' },
    });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('access-control-allow-origin'));
  });
});
