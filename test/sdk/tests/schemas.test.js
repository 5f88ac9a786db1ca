'use strict';
// Schemas through Parse.Schema and raw /schemas: create with every field
// type, indexes, update, deleteField, purge, delete, get, getAll.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError, assertMasterKeyRequired } = require('../helpers/server');

const ctx = useServer({ name: 'schemas' });

describe('Parse.Schema', () => {
  it('create a class with every field type, then get() it', async () => {
    const { Parse } = ctx;
    const schema = new Parse.Schema('SchAll');
    schema
      .addString('s')
      .addNumber('n')
      .addBoolean('b')
      .addDate('d')
      .addFile('f')
      .addGeoPoint('g')
      .addPolygon('poly')
      .addArray('a')
      .addObject('o')
      .addPointer('p', 'SchTarget')
      .addRelation('r', 'SchTarget')
      .addField('bytes', 'Bytes')
      .addIndex('n_idx', { n: 1 });
    const created = await schema.save();
    assert.equal(created.className, 'SchAll');

    const got = await new Parse.Schema('SchAll').get();
    assert.equal(got.className, 'SchAll');
    const f = got.fields;
    assert.deepEqual(f.s, { type: 'String' });
    assert.deepEqual(f.n, { type: 'Number' });
    assert.deepEqual(f.b, { type: 'Boolean' });
    assert.deepEqual(f.d, { type: 'Date' });
    assert.deepEqual(f.f, { type: 'File' });
    assert.deepEqual(f.g, { type: 'GeoPoint' });
    assert.deepEqual(f.poly, { type: 'Polygon' });
    assert.deepEqual(f.a, { type: 'Array' });
    assert.deepEqual(f.o, { type: 'Object' });
    assert.deepEqual(f.p, { type: 'Pointer', targetClass: 'SchTarget' });
    assert.deepEqual(f.r, { type: 'Relation', targetClass: 'SchTarget' });
    assert.deepEqual(f.bytes, { type: 'Bytes' });
    assert.deepEqual(f.objectId, { type: 'String' });
    assert.deepEqual(f.createdAt, { type: 'Date' });
    assert.deepEqual(f.updatedAt, { type: 'Date' });
    assert.deepEqual(f.ACL, { type: 'ACL' });
    assert.ok(got.classLevelPermissions, 'classLevelPermissions present');
    assert.deepEqual(got.classLevelPermissions.find, { '*': true });
    assert.ok(got.indexes, 'indexes listed');
    assert.deepEqual(got.indexes.n_idx, { n: 1 });
  });

  it('fields can carry required and defaultValue', async () => {
    const { Parse } = ctx;
    const schema = new Parse.Schema('SchDefaults');
    schema.addString('status', { defaultValue: 'new' }).addNumber('qty', { required: true });
    await schema.save();
    const got = await new Parse.Schema('SchDefaults').get();
    assert.deepEqual(got.fields.status, { type: 'String', defaultValue: 'new' });
    assert.deepEqual(got.fields.qty, { type: 'Number', required: true });

    const obj = await new Parse.Object('SchDefaults').save({ qty: 1 });
    const back = await new Parse.Query('SchDefaults').get(obj.id);
    assert.equal(back.get('status'), 'new', 'defaultValue applied');
    const err = await parseError(() => new Parse.Object('SchDefaults').save({ status: 'x' }));
    assert.equal(err.code, 142, 'missing required field is a validation error (142)');
  });

  it('update() adds fields and indexes; deleteField / deleteIndex remove them', async () => {
    const { Parse } = ctx;
    await new Parse.Schema('SchUpd').addString('keep').addString('drop').addNumber('score').save();
    await new Parse.Object('SchUpd').save({ keep: 'k', drop: 'd', score: 1 });

    const s = new Parse.Schema('SchUpd');
    s.addBoolean('added').addIndex('score_idx', { score: -1 });
    await s.update();
    let got = await new Parse.Schema('SchUpd').get();
    assert.deepEqual(got.fields.added, { type: 'Boolean' });
    assert.deepEqual(got.indexes.score_idx, { score: -1 });

    const s2 = new Parse.Schema('SchUpd');
    s2.deleteField('drop');
    s2.deleteIndex('score_idx');
    await s2.update();
    got = await new Parse.Schema('SchUpd').get();
    assert.equal(got.fields.drop, undefined);
    assert.equal(got.indexes.score_idx, undefined);
    assert.deepEqual(got.fields.keep, { type: 'String' });

    // Deleting a field deletes its data too.
    const objs = await new Parse.Query('SchUpd').find();
    assert.equal(objs.length, 1);
    assert.equal(objs[0].has('drop'), false);
    assert.equal(objs[0].get('keep'), 'k');

    // After delete, the name can be reused with another type.
    await new Parse.Schema('SchUpd').addNumber('drop').update();
    got = await new Parse.Schema('SchUpd').get();
    assert.deepEqual(got.fields.drop, { type: 'Number' });
  });

  it('adding a field that exists is 255; deleting one that does not is 255', async () => {
    const { Parse } = ctx;
    await new Parse.Schema('SchDup').addString('name').save();
    const err = await parseError(() => new Parse.Schema('SchDup').addNumber('name').update());
    assert.equal(err.code, 255, err.message);
    const err2 = await parseError(() => new Parse.Schema('SchDup').deleteField('nope').update());
    assert.equal(err2.code, 255, err2.message);
  });

  it('creating a class that exists is 103', async () => {
    const { Parse } = ctx;
    await new Parse.Schema('SchTwice').addString('a').save();
    const err = await parseError(() => new Parse.Schema('SchTwice').addString('b').save());
    assert.equal(err.code, 103, err.message);
  });

  it('updating or getting a class that does not exist is 103', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => new Parse.Schema('SchNoSuch').addString('a').update());
    assert.equal(err.code, 103, err.message);
    const err2 = await parseError(() => new Parse.Schema('SchNoSuch').get());
    assert.equal(err2.code, 103, err2.message);
  });

  it('delete() of a non-empty class is 255; purge() then delete() works', async () => {
    const { Parse } = ctx;
    await Parse.Object.saveAll([1, 2, 3].map((i) => new Parse.Object('SchPurge').set({ i })));
    const err = await parseError(() => new Parse.Schema('SchPurge').delete());
    assert.equal(err.code, 255, err.message);
    assert.match(err.message, /not empty/i);

    await new Parse.Schema('SchPurge').purge();
    assert.equal(await new Parse.Query('SchPurge').count(), 0);
    // purge keeps the schema
    const still = await new Parse.Schema('SchPurge').get();
    assert.deepEqual(still.fields.i, { type: 'Number' });

    await new Parse.Schema('SchPurge').delete();
    const gone = await parseError(() => new Parse.Schema('SchPurge').get());
    assert.equal(gone.code, 103);
    const all = await Parse.Schema.all();
    assert.ok(!all.some((c) => c.className === 'SchPurge'));
  });

  it('Parse.Schema.all() lists classes with their fields', async () => {
    const { Parse } = ctx;
    await new Parse.Schema('SchListA').addString('x').save();
    await new Parse.Object('SchListB').save({ y: 1 });
    const all = await Parse.Schema.all();
    assert.ok(Array.isArray(all));
    const a = all.find((c) => c.className === 'SchListA');
    const b = all.find((c) => c.className === 'SchListB');
    assert.deepEqual(a && a.fields.x, { type: 'String' });
    assert.deepEqual(b && b.fields.y, { type: 'Number' });
  });

  it('saving a value of the wrong type is 111 (Number, Date)', async () => {
    const { Parse } = ctx;
    await new Parse.Schema('SchMismatch').addNumber('n').addPointer('p', 'SchTarget').addDate('d').save();
    const e1 = await parseError(() => new Parse.Object('SchMismatch').save({ n: 'five' }));
    assert.equal(e1.code, 111, e1.message);
    const e3 = await parseError(() => new Parse.Object('SchMismatch').save({ d: 'yesterday' }));
    assert.equal(e3.code, 111, e3.message);
    assert.equal(await new Parse.Query('SchMismatch').count(), 0);
  });

  it('a pointer to the wrong class is 111', async () => {
    const { Parse } = ctx;
    await new Parse.Schema('SchPtrCls').addPointer('p', 'SchTarget').save();
    const other = await new Parse.Object('SchOther').save({ z: 1 });
    const e2 = await parseError(() => new Parse.Object('SchPtrCls').save({ p: other }));
    assert.equal(e2.code, 111, e2.message);
    assert.equal(await new Parse.Query('SchPtrCls').count(), 0);
  });

  it('field types inferred on first save are then enforced', async () => {
    const { Parse } = ctx;
    await new Parse.Object('SchInfer').save({ flag: true });
    const err = await parseError(() => new Parse.Object('SchInfer').save({ flag: 'yes' }));
    assert.equal(err.code, 111);
    assert.match(err.message, /flag/);
  });
});

describe('raw /schemas', () => {
  it('requires the master key', async () => {
    const res = await rest(ctx.server, 'GET', 'schemas');
    assertMasterKeyRequired(res);
    assert.match(res.json.error, /master key/i);
    const post = await rest(ctx.server, 'POST', 'schemas/SchNoKey', { body: { className: 'SchNoKey' } });
    assertMasterKeyRequired(post);
  });

  it('POST /schemas/X creates; GET /schemas lists {results:[...]}', async () => {
    const res = await rest(ctx.server, 'POST', 'schemas/SchRaw', {
      master: true,
      body: { className: 'SchRaw', fields: { title: { type: 'String' }, owner: { type: 'Pointer', targetClass: '_User' } } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.className, 'SchRaw');
    assert.deepEqual(res.json.fields.title, { type: 'String' });
    assert.deepEqual(res.json.fields.owner, { type: 'Pointer', targetClass: '_User' });

    const list = await rest(ctx.server, 'GET', 'schemas', { master: true });
    assert.equal(list.status, 200, list.text);
    assert.ok(Array.isArray(list.json.results));
    assert.ok(list.json.results.some((c) => c.className === 'SchRaw'));
  });

  it('className in the body must match the URL (code 103)', async () => {
    const res = await rest(ctx.server, 'POST', 'schemas/SchMatchA', { master: true, body: { className: 'SchMatchB' } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.code, 103);
  });

  it('invalid field types and names are rejected', async () => {
    const badType = await rest(ctx.server, 'POST', 'schemas/SchBadType', {
      master: true,
      body: { className: 'SchBadType', fields: { x: { type: 'Banana' } } },
    });
    assert.equal(badType.status, 400, badType.text);
    assert.equal(badType.json.code, 111);
    const badName = await rest(ctx.server, 'POST', 'schemas/SchBadName', {
      master: true,
      body: { className: 'SchBadName', fields: { 'no-dash': { type: 'String' } } },
    });
    assert.equal(badName.status, 400, badName.text);
    assert.equal(badName.json.code, 105);
    const noTarget = await rest(ctx.server, 'POST', 'schemas/SchNoTarget', {
      master: true,
      body: { className: 'SchNoTarget', fields: { p: { type: 'Pointer' } } },
    });
    assert.equal(noTarget.status, 400, noTarget.text);
    assert.equal(noTarget.json.code, 135, 'missing targetClass is 135 (missing required field)');
  });

  it('PUT /schemas/X with {__op:Delete} removes a field', async () => {
    await rest(ctx.server, 'POST', 'schemas/SchRawDel', {
      master: true,
      body: { className: 'SchRawDel', fields: { a: { type: 'String' }, b: { type: 'Number' } } },
    });
    const res = await rest(ctx.server, 'PUT', 'schemas/SchRawDel', {
      master: true,
      body: { className: 'SchRawDel', fields: { a: { __op: 'Delete' } } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.fields.a, undefined);
    assert.deepEqual(res.json.fields.b, { type: 'Number' });
  });

  it('DELETE /schemas/X answers {} and the class is gone', async () => {
    await rest(ctx.server, 'POST', 'schemas/SchRawGone', { master: true, body: { className: 'SchRawGone' } });
    const res = await rest(ctx.server, 'DELETE', 'schemas/SchRawGone', { master: true });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    const get = await rest(ctx.server, 'GET', 'schemas/SchRawGone', { master: true });
    assert.equal(get.status, 400, get.text);
    assert.equal(get.json.code, 103);
  });
});
