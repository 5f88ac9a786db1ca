'use strict';
// /batch: Parse.Object.saveAll / destroyAll, raw batches, partial failure,
// and transaction:true rolling back everything when one op fails.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, OBJECT_ID, ISO_MS_Z, parseError } = require('../helpers/server');

const ctx = useServer({ name: 'batch' });

async function countOf(className, where = {}) {
  const res = await rest(ctx.server, 'GET', `classes/${className}`, { query: { where, count: 1, limit: 0 }, master: true });
  assert.equal(res.status, 200, res.text);
  return res.json.count;
}

describe('SDK saveAll / destroyAll', () => {
  it('saveAll creates 45 objects (3 batch requests of 20), then updates them', async () => {
    const { Parse } = ctx;
    const objs = Array.from({ length: 45 }, (_, i) => new Parse.Object('BatSdk').set({ i }));
    const saved = await Parse.Object.saveAll(objs);
    assert.equal(saved.length, 45);
    for (const o of saved) {
      assert.match(o.id, OBJECT_ID);
      assert.ok(o.createdAt instanceof Date);
    }
    assert.equal(new Set(saved.map((o) => o.id)).size, 45);
    assert.equal(await countOf('BatSdk'), 45);

    saved.forEach((o) => o.set('doubled', o.get('i') * 2));
    await Parse.Object.saveAll(saved);
    const back = await new Parse.Query('BatSdk').ascending('i').limit(100).find();
    assert.deepEqual(
      back.map((o) => o.get('doubled')),
      Array.from({ length: 45 }, (_, i) => i * 2)
    );
  });

  it('destroyAll deletes them', async () => {
    const { Parse } = ctx;
    const objs = await Parse.Object.saveAll(Array.from({ length: 25 }, (_, i) => new Parse.Object('BatDestroy').set({ i })));
    assert.equal(await countOf('BatDestroy'), 25);
    await Parse.Object.destroyAll(objs.slice(0, 22));
    assert.equal(await countOf('BatDestroy'), 3);
    const left = await new Parse.Query('BatDestroy').ascending('i').find();
    assert.deepEqual(left.map((o) => o.get('i')), [22, 23, 24]);
  });

  it('saveAll reports the per-object error (111) and still saves the valid ones', async () => {
    const { Parse } = ctx;
    await new Parse.Object('BatMixed').save({ n: 1 });
    const good = new Parse.Object('BatMixed').set({ n: 2, tag: 'mixed' });
    const bad = new Parse.Object('BatMixed').set({ n: 'not a number', tag: 'mixed' });
    const err = await parseError(() => Parse.Object.saveAll([good, bad]));
    assert.equal(err.code, 111, String(err.message));
    assert.match(good.id || '', OBJECT_ID, 'the good object was saved (no transaction)');
    assert.equal(await countOf('BatMixed', { tag: 'mixed' }), 1);
  });

  it('saveAll({transaction:true}) with one bad object saves nothing', async () => {
    const { Parse } = ctx;
    await new Parse.Object('BatTxSdk').save({ n: 1 });
    const objs = [
      new Parse.Object('BatTxSdk').set({ n: 2, tag: 'tx' }),
      new Parse.Object('BatTxSdk').set({ n: 3, tag: 'tx' }),
      new Parse.Object('BatTxSdk').set({ n: 'bad', tag: 'tx' }),
    ];
    const err = await parseError(() => Parse.Object.saveAll(objs, { transaction: true }));
    // The SDK rejects with an array of per-object errors here.
    assert.ok(err, 'saveAll rejected');
    assert.equal(await countOf('BatTxSdk', { tag: 'tx' }), 0, 'nothing of the failed transaction is written');
  });
});

describe('raw /batch', () => {
  it('POST/PUT/DELETE/GET in one batch; answers in order', async () => {
    const a = await rest(ctx.server, 'POST', 'classes/BatRaw', { body: { name: 'a', v: 1 } });
    const b = await rest(ctx.server, 'POST', 'classes/BatRaw', { body: { name: 'b', v: 1 } });
    const res = await rest(ctx.server, 'POST', 'batch', {
      body: {
        requests: [
          { method: 'POST', path: '/parse/classes/BatRaw', body: { name: 'c', v: 1 } },
          { method: 'PUT', path: `/parse/classes/BatRaw/${a.json.objectId}`, body: { v: 2 } },
          { method: 'DELETE', path: `/parse/classes/BatRaw/${b.json.objectId}` },
          { method: 'GET', path: `/parse/classes/BatRaw/${a.json.objectId}` },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json), res.text);
    assert.equal(res.json.length, 4);
    assert.match(res.json[0].success.objectId, OBJECT_ID);
    assert.match(res.json[0].success.createdAt, ISO_MS_Z);
    assert.match(res.json[1].success.updatedAt, ISO_MS_Z);
    assert.deepEqual(res.json[2], { success: {} });
    assert.equal(res.json[3].success.objectId, a.json.objectId);
    assert.equal(res.json[3].success.name, 'a');

    const all = await rest(ctx.server, 'GET', 'classes/BatRaw', { query: { order: 'name' } });
    assert.deepEqual(all.json.results.map((r) => [r.name, r.v]), [
      ['a', 2],
      ['c', 1],
    ]);
  });

  it('without transaction, a failing op does not stop the others', async () => {
    await rest(ctx.server, 'POST', 'classes/BatPartial', { body: { n: 1 } });
    const res = await rest(ctx.server, 'POST', 'batch', {
      body: {
        requests: [
          { method: 'POST', path: '/parse/classes/BatPartial', body: { n: 2, tag: 'p' } },
          { method: 'POST', path: '/parse/classes/BatPartial', body: { n: 'two', tag: 'p' } },
          { method: 'GET', path: '/parse/classes/BatPartial/doesNotExist' },
          { method: 'POST', path: '/parse/classes/BatPartial', body: { n: 3, tag: 'p' } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json[0].success.objectId);
    assert.equal(res.json[1].error.code, 111);
    assert.equal(typeof res.json[1].error.error, 'string');
    assert.equal(res.json[2].error.code, 101);
    assert.ok(res.json[3].success.objectId);
    assert.equal(await countOf('BatPartial', { tag: 'p' }), 2);
  });

  it('transaction:true — one failing op rolls back all of them', async () => {
    await rest(ctx.server, 'POST', 'classes/BatTx', { body: { n: 1 } });
    const existing = await rest(ctx.server, 'POST', 'classes/BatTx', { body: { n: 10, tag: 'keep' } });
    const res = await rest(ctx.server, 'POST', 'batch', {
      body: {
        transaction: true,
        requests: [
          { method: 'POST', path: '/parse/classes/BatTx', body: { n: 2, tag: 'txn' } },
          { method: 'PUT', path: `/parse/classes/BatTx/${existing.json.objectId}`, body: { n: 11 } },
          { method: 'POST', path: '/parse/classes/BatTx', body: { n: 'not a number', tag: 'txn' } },
          { method: 'POST', path: '/parse/classes/BatTx', body: { n: 4, tag: 'txn' } },
        ],
      },
    });
    assert.ok(res.status < 500, `transaction failure must not be a 5xx: ${res.status} ${res.text}`);
    // Parse Server rejects the whole batch; the body names the failing op's error.
    const errs = Array.isArray(res.json) ? res.json.filter((r) => r && r.error).map((r) => r.error.code) : [res.json && res.json.code];
    assert.ok(errs.includes(111), `the answer carries the 111 error: ${res.text}`);
    assert.equal(await countOf('BatTx', { tag: 'txn' }), 0, 'no create of the transaction survived');
    const after = await rest(ctx.server, 'GET', `classes/BatTx/${existing.json.objectId}`);
    assert.equal(after.json.n, 10, 'the update inside the failed transaction was rolled back');
  });

  it('transaction:true — all succeed, all are written', async () => {
    const res = await rest(ctx.server, 'POST', 'batch', {
      body: {
        transaction: true,
        requests: [
          { method: 'POST', path: '/parse/classes/BatTxOk', body: { n: 1 } },
          { method: 'POST', path: '/parse/classes/BatTxOk', body: { n: 2 } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.length, 2);
    assert.ok(res.json.every((r) => r.success && r.success.objectId));
    assert.equal(await countOf('BatTxOk'), 2);
  });

  it('malformed batches are 400s', async () => {
    const notArray = await rest(ctx.server, 'POST', 'batch', { body: { requests: 'nope' } });
    assert.equal(notArray.status, 400, notArray.text);
    assert.equal(notArray.json.code, 107);
    const badPath = await rest(ctx.server, 'POST', 'batch', {
      body: { requests: [{ method: 'POST', path: '/elsewhere/classes/X', body: {} }] },
    });
    assert.ok(badPath.status === 400 || (badPath.status === 200 && badPath.json[0].error), badPath.text);
  });

  it('batch through the JS-SDK envelope (POST text/plain with _method in the body)', async () => {
    const res = await fetch(`${ctx.server.serverURL}/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({
        requests: [{ method: 'POST', path: '/parse/classes/BatEnv', body: { x: 1 } }],
        _ApplicationId: 'testapp',
        _ClientVersion: 'js8.6.2',
        _InstallationId: 'inst-batch',
      }),
    });
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.match(json[0].success.objectId, OBJECT_ID);
    assert.equal(await countOf('BatEnv'), 1);
  });
});
