'use strict';
// allowClientClassCreation=false: only the master key creates classes.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError } = require('../helpers/server');

const ctx = useServer({ name: 'noclientclass', env: { SWITCHBOARD_ALLOW_CLIENT_CLASS_CREATION: 'false' } });

describe('allowClientClassCreation=false', () => {
  it('SDK save of a new class without the master key is 119', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => new Parse.Object('CccNew').save({ a: 1 }));
    assert.equal(err.code, Parse.Error.OPERATION_FORBIDDEN, err.message);
    assert.match(err.message, /CccNew/);
    const schemas = await Parse.Schema.all().catch(() => []);
    assert.ok(!schemas.some((c) => c.className === 'CccNew'), 'the class was not created');
  });

  it('raw REST create of a new class without the master key is 400 / 119', async () => {
    const res = await rest(ctx.server, 'POST', 'classes/CccRaw', { body: { a: 1 } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.code, 119);
    assert.equal(typeof res.json.error, 'string');
  });

  it('with the master key the class is created, and clients may then use it', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('CccMaster').save({ a: 1 }, { useMasterKey: true });
    assert.ok(obj.id);
    const again = await new Parse.Object('CccMaster').save({ a: 2 });
    assert.ok(again.id, 'a client may save into an existing class');
    const list = await new Parse.Query('CccMaster').ascending('a').find();
    assert.deepEqual(list.map((o) => o.get('a')), [1, 2]);
  });

  it('a class created through /schemas can be written by clients', async () => {
    const { Parse } = ctx;
    await new Parse.Schema('CccSchema').addString('title').save();
    const obj = await new Parse.Object('CccSchema').save({ title: 't' });
    assert.ok(obj.id);
  });

  it('queries on a missing class return nothing and do not create it', async () => {
    const { Parse } = ctx;
    const list = await new Parse.Query('CccGhost').find();
    assert.deepEqual(list, []);
    const res = await rest(ctx.server, 'GET', 'schemas/CccGhost', { master: true });
    assert.equal(res.json.code, 103);
  });

  it('a batch create of a new class without the master key fails per item with 119', async () => {
    const res = await rest(ctx.server, 'POST', 'batch', {
      body: { requests: [{ method: 'POST', path: '/parse/classes/CccBatch', body: { a: 1 } }] },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json[0].error.code, 119);
  });
});
