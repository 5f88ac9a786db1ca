'use strict';
// Objects: create/fetch/update/destroy and every field type round-trip.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, ISO_MS_Z, OBJECT_ID, parseError } = require('../helpers/server');

const ctx = useServer({ name: 'objects' });

describe('objects: REST create/get/update/delete', () => {
  it('POST /classes/X answers 201, Location header, 10-char objectId, ISO ms Z createdAt', async () => {
    const res = await rest(ctx.server, 'POST', 'classes/ObjGameScore', {
      body: { score: 1337, playerName: 'Sean Plott', cheatMode: false },
    });
    assert.equal(res.status, 201, res.text);
    assert.match(res.json.objectId, OBJECT_ID);
    assert.match(res.json.createdAt, ISO_MS_Z);
    const loc = res.headers.get('location');
    assert.ok(loc, 'Location header is set');
    assert.ok(
      loc.endsWith(`/parse/classes/ObjGameScore/${res.json.objectId}`),
      `Location ${loc} should end with /parse/classes/ObjGameScore/${res.json.objectId}`
    );
    assert.match(res.headers.get('content-type') || '', /application\/json/);

    const got = await rest(ctx.server, 'GET', `classes/ObjGameScore/${res.json.objectId}`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.objectId, res.json.objectId);
    assert.equal(got.json.score, 1337);
    assert.equal(got.json.playerName, 'Sean Plott');
    assert.equal(got.json.cheatMode, false);
    assert.equal(got.json.createdAt, res.json.createdAt);
    assert.match(got.json.updatedAt, ISO_MS_Z);
    assert.equal(got.json.updatedAt, got.json.createdAt, 'a fresh object has updatedAt == createdAt');

    const upd = await rest(ctx.server, 'PUT', `classes/ObjGameScore/${res.json.objectId}`, {
      body: { score: 73453 },
    });
    assert.equal(upd.status, 200, upd.text);
    assert.match(upd.json.updatedAt, ISO_MS_Z);
    assert.ok(upd.json.updatedAt >= res.json.createdAt);
    assert.equal(upd.json.objectId, undefined, 'update answer carries updatedAt, not the object');

    const got2 = await rest(ctx.server, 'GET', `classes/ObjGameScore/${res.json.objectId}`);
    assert.equal(got2.json.score, 73453);
    assert.equal(got2.json.playerName, 'Sean Plott', 'untouched fields survive an update');
    assert.equal(got2.json.updatedAt, upd.json.updatedAt);

    const del = await rest(ctx.server, 'DELETE', `classes/ObjGameScore/${res.json.objectId}`);
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.json, {});

    const gone = await rest(ctx.server, 'GET', `classes/ObjGameScore/${res.json.objectId}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.json.code, 101);
  });

  it('objectIds are unique across many creates', async () => {
    const ids = new Set();
    for (let i = 0; i < 20; i++) {
      const res = await rest(ctx.server, 'POST', 'classes/ObjIds', { body: { i } });
      assert.equal(res.status, 201);
      assert.match(res.json.objectId, OBJECT_ID);
      ids.add(res.json.objectId);
    }
    assert.equal(ids.size, 20);
  });

  it('a client-chosen objectId is rejected with 105 (allowCustomObjectId is off)', async () => {
    const res = await rest(ctx.server, 'POST', 'classes/ObjReserved', {
      body: { objectId: 'abcdefghij', a: 1 },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.code, 105, res.text);
    const list = await rest(ctx.server, 'GET', 'classes/ObjReserved');
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.results, []);
  });
});

describe('objects: SDK save/fetch/update/destroy', () => {
  it('save creates, fetch reads, save updates, destroy deletes', async () => {
    const { Parse } = ctx;
    const obj = new Parse.Object('ObjSdk');
    obj.set('title', 'first');
    obj.set('n', 1);
    await obj.save();
    assert.match(obj.id, OBJECT_ID);
    assert.ok(obj.createdAt instanceof Date);
    assert.ok(obj.updatedAt instanceof Date);
    assert.ok(Math.abs(obj.createdAt.getTime() - Date.now()) < 60000, 'createdAt is about now');

    const fetched = await Parse.Object.extend('ObjSdk').createWithoutData(obj.id).fetch();
    assert.equal(fetched.get('title'), 'first');
    assert.equal(fetched.get('n'), 1);
    assert.equal(fetched.createdAt.getTime(), obj.createdAt.getTime());

    obj.set('title', 'second');
    await obj.save();
    const q = await new Parse.Query('ObjSdk').get(obj.id);
    assert.equal(q.get('title'), 'second');
    assert.equal(q.get('n'), 1);
    assert.ok(q.updatedAt.getTime() >= q.createdAt.getTime());

    await obj.destroy();
    const err = await parseError(() => new Parse.Query('ObjSdk').get(obj.id));
    assert.equal(err.code, Parse.Error.OBJECT_NOT_FOUND);
  });

  it('saving a parent with a new child saves the child first (cascade) and links it', async () => {
    const { Parse } = ctx;
    const child = new Parse.Object('ObjChild').set('c', 1);
    const parent = new Parse.Object('ObjParent').set({ child, kids: [new Parse.Object('ObjChild').set('c', 2)] });
    await parent.save();
    assert.match(child.id, OBJECT_ID);
    const raw = await rest(ctx.server, 'GET', `classes/ObjParent/${parent.id}`);
    assert.deepEqual(raw.json.child, { __type: 'Pointer', className: 'ObjChild', objectId: child.id });
    assert.equal(raw.json.kids.length, 1);
    assert.equal(raw.json.kids[0].__type, 'Pointer');
    const got = await new Parse.Query('ObjParent').include(['child', 'kids']).get(parent.id);
    assert.equal(got.get('child').get('c'), 1);
    assert.equal(got.get('kids')[0].get('c'), 2, 'include resolves pointers inside arrays');
  });

  it('fetchAll and fetchWithInclude', async () => {
    const { Parse } = ctx;
    const t = await new Parse.Object('ObjFetchT').save({ label: 'tgt' });
    const [a, b] = await Parse.Object.saveAll([
      new Parse.Object('ObjFetch').set({ v: 'a', t }),
      new Parse.Object('ObjFetch').set({ v: 'b', t }),
    ]);
    const Cls = Parse.Object.extend('ObjFetch');
    const fetched = await Parse.Object.fetchAll([Cls.createWithoutData(a.id), Cls.createWithoutData(b.id)]);
    assert.deepEqual(fetched.map((o) => o.get('v')), ['a', 'b']);
    const withT = await Cls.createWithoutData(a.id).fetchWithInclude('t');
    assert.equal(withT.get('t').get('label'), 'tgt');
  });

  it('fetching a destroyed object fails with 101', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('ObjSdkGone').save({ a: 1 });
    await obj.destroy();
    const err = await parseError(() => Parse.Object.extend('ObjSdkGone').createWithoutData(obj.id).fetch());
    assert.equal(err.code, 101);
  });
});

describe('objects: field types round-trip', () => {
  it('String, Number, Boolean, Date, Object, Array, null', async () => {
    const { Parse } = ctx;
    const when = new Date('2021-03-04T05:06:07.089Z');
    const obj = new Parse.Object('ObjTypes');
    obj.set({
      str: 'héllo wörld ✓ "quoted" \\ back',
      int: 42,
      float: -3.25,
      big: 9007199254740991,
      yes: true,
      no: false,
      when,
      nested: { a: 1, b: { c: [1, 'two', { d: true }] }, e: null },
      arr: [1, 'a', true, null, { x: 1 }, [2, 3]],
      empty: [],
      emptyObj: {},
    });
    await obj.save();
    const got = await new Parse.Query('ObjTypes').get(obj.id);
    assert.equal(got.get('str'), 'héllo wörld ✓ "quoted" \\ back');
    assert.equal(got.get('int'), 42);
    assert.equal(got.get('float'), -3.25);
    assert.equal(got.get('big'), 9007199254740991);
    assert.equal(got.get('yes'), true);
    assert.equal(got.get('no'), false);
    assert.ok(got.get('when') instanceof Date, 'Date comes back as a Date');
    assert.equal(got.get('when').toISOString(), '2021-03-04T05:06:07.089Z');
    assert.deepEqual(got.get('nested'), { a: 1, b: { c: [1, 'two', { d: true }] }, e: null });
    assert.deepEqual(got.get('arr'), [1, 'a', true, null, { x: 1 }, [2, 3]]);
    assert.deepEqual(got.get('empty'), []);
    assert.deepEqual(got.get('emptyObj'), {});

    // Wire form of a Date.
    const raw = await rest(ctx.server, 'GET', `classes/ObjTypes/${obj.id}`);
    assert.deepEqual(raw.json.when, { __type: 'Date', iso: '2021-03-04T05:06:07.089Z' });
  });

  it('Pointer (Parse.Object) round-trips as a pointer', async () => {
    const { Parse } = ctx;
    const target = await new Parse.Object('ObjTarget').save({ name: 'tgt' });
    const obj = await new Parse.Object('ObjWithPtr').save({ ptr: target });
    const got = await new Parse.Query('ObjWithPtr').get(obj.id);
    const ptr = got.get('ptr');
    assert.ok(ptr instanceof Parse.Object);
    assert.equal(ptr.className, 'ObjTarget');
    assert.equal(ptr.id, target.id);

    const raw = await rest(ctx.server, 'GET', `classes/ObjWithPtr/${obj.id}`);
    assert.deepEqual(raw.json.ptr, { __type: 'Pointer', className: 'ObjTarget', objectId: target.id });
  });

  it('Relation round-trips as {__type:Relation, className}', async () => {
    const { Parse } = ctx;
    const a = await new Parse.Object('ObjRelTarget').save({ n: 1 });
    const obj = new Parse.Object('ObjWithRel');
    obj.relation('rel').add(a);
    await obj.save();
    const raw = await rest(ctx.server, 'GET', `classes/ObjWithRel/${obj.id}`);
    assert.deepEqual(raw.json.rel, { __type: 'Relation', className: 'ObjRelTarget' });
    const got = await new Parse.Query('ObjWithRel').get(obj.id);
    const rel = got.relation('rel');
    assert.equal(rel.targetClassName, 'ObjRelTarget');
    const members = await rel.query().find();
    assert.deepEqual(members.map((m) => m.id), [a.id]);
  });

  it('GeoPoint round-trips', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('ObjGeo').save({ loc: new Parse.GeoPoint(40.0, -30.5) });
    const got = await new Parse.Query('ObjGeo').get(obj.id);
    const loc = got.get('loc');
    assert.ok(loc instanceof Parse.GeoPoint);
    assert.equal(loc.latitude, 40.0);
    assert.equal(loc.longitude, -30.5);
    const raw = await rest(ctx.server, 'GET', `classes/ObjGeo/${obj.id}`);
    assert.deepEqual(raw.json.loc, { __type: 'GeoPoint', latitude: 40, longitude: -30.5 });
  });

  it('Polygon round-trips (points kept in order; ring may be closed)', async () => {
    const { Parse } = ctx;
    const coords = [
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 0],
    ];
    const obj = await new Parse.Object('ObjPoly').save({ area: new Parse.Polygon(coords) });
    const got = await new Parse.Query('ObjPoly').get(obj.id);
    const poly = got.get('area');
    assert.ok(poly instanceof Parse.Polygon, 'comes back as Parse.Polygon');
    const back = poly.coordinates;
    assert.ok(back.length === 4 || back.length === 5, `4 points (or 5 with closing point), got ${back.length}`);
    assert.deepEqual(back.slice(0, 4), coords);
    if (back.length === 5) assert.deepEqual(back[4], coords[0]);
    const raw = await rest(ctx.server, 'GET', `classes/ObjPoly/${obj.id}`);
    assert.equal(raw.json.area.__type, 'Polygon');
  });

  it('Bytes round-trips', async () => {
    const { Parse } = ctx;
    const base64 = Buffer.from('hello bytes \x00\x01\x02').toString('base64');
    const obj = await new Parse.Object('ObjBytes').save({ data: { __type: 'Bytes', base64 } });
    const got = await new Parse.Query('ObjBytes').get(obj.id);
    assert.deepEqual(got.get('data'), { __type: 'Bytes', base64 });
    const raw = await rest(ctx.server, 'GET', `classes/ObjBytes/${obj.id}`);
    assert.deepEqual(raw.json.data, { __type: 'Bytes', base64 });
    const schema = await rest(ctx.server, 'GET', 'schemas/ObjBytes', { master: true });
    assert.equal(schema.json.fields.data.type, 'Bytes');
  });

  it('File reference (set via raw JSON) round-trips as a File with name and url', async () => {
    const { Parse } = ctx;
    const created = await rest(ctx.server, 'POST', 'classes/ObjFile', {
      body: { doc: { __type: 'File', name: 'abc123_report.txt', url: 'http://files.example.com/abc123_report.txt' } },
    });
    assert.equal(created.status, 201, created.text);
    const raw = await rest(ctx.server, 'GET', `classes/ObjFile/${created.json.objectId}`);
    assert.equal(raw.json.doc.__type, 'File');
    assert.equal(raw.json.doc.name, 'abc123_report.txt');
    assert.equal(typeof raw.json.doc.url, 'string');
    assert.ok(raw.json.doc.url.length > 0);
    assert.ok(raw.json.doc.url.includes('abc123_report.txt'), `url ${raw.json.doc.url} names the file`);
    const got = await new Parse.Query('ObjFile').get(created.json.objectId);
    const file = got.get('doc');
    assert.ok(file instanceof Parse.File, 'SDK decodes it as Parse.File');
    assert.equal(file.name(), 'abc123_report.txt');
    assert.equal(typeof file.url(), 'string');
    const schema = await rest(ctx.server, 'GET', 'schemas/ObjFile', { master: true });
    assert.equal(schema.json.fields.doc.type, 'File');
  });

  it('ACL round-trips (public read, role write, user write)', async () => {
    const { Parse } = ctx;
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    acl.setPublicWriteAccess(false);
    acl.setRoleWriteAccess('admin', true);
    acl.setWriteAccess('userAbc123', true);
    const obj = new Parse.Object('ObjAcl');
    obj.setACL(acl);
    obj.set('v', 1);
    await obj.save();

    const got = await new Parse.Query('ObjAcl').get(obj.id, { useMasterKey: true });
    const back = got.getACL();
    assert.ok(back instanceof Parse.ACL);
    assert.equal(back.getPublicReadAccess(), true);
    assert.equal(back.getPublicWriteAccess(), false);
    assert.equal(back.getRoleWriteAccess('admin'), true);
    assert.equal(back.getRoleReadAccess('admin'), false);
    assert.equal(back.getWriteAccess('userAbc123'), true);
    assert.equal(back.getReadAccess('userAbc123'), false);

    const raw = await rest(ctx.server, 'GET', `classes/ObjAcl/${obj.id}`, { master: true });
    assert.deepEqual(raw.json.ACL, {
      '*': { read: true },
      'role:admin': { write: true },
      userAbc123: { write: true },
    });

    // Public read works without the master key; public write is denied.
    const pub = await new Parse.Query('ObjAcl').get(obj.id);
    assert.equal(pub.get('v'), 1);
    pub.set('v', 2);
    const err = await parseError(() => pub.save());
    assert.equal(err.code, Parse.Error.OBJECT_NOT_FOUND, 'a write without access reads as not found');
    const after = await new Parse.Query('ObjAcl').get(obj.id);
    assert.equal(after.get('v'), 1);
  });

  it('an object without read access is invisible without the master key', async () => {
    const { Parse } = ctx;
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(false);
    const obj = new Parse.Object('ObjPrivate');
    obj.setACL(acl);
    obj.set('secret', 's');
    await obj.save();
    const err = await parseError(() => new Parse.Query('ObjPrivate').get(obj.id));
    assert.equal(err.code, 101);
    const list = await new Parse.Query('ObjPrivate').find();
    assert.equal(list.length, 0);
    const master = await new Parse.Query('ObjPrivate').get(obj.id, { useMasterKey: true });
    assert.equal(master.get('secret'), 's');
  });

  it('schema records the inferred type of every field', async () => {
    const { Parse } = ctx;
    const t = await new Parse.Object('ObjInferT').save({ n: 1 });
    const o = new Parse.Object('ObjInfer');
    o.set({
      s: 'x',
      n: 1,
      b: true,
      d: new Date(),
      o: { a: 1 },
      a: [1],
      p: t,
      g: new Parse.GeoPoint(1, 2),
      poly: new Parse.Polygon([
        [0, 0],
        [0, 1],
        [1, 1],
      ]),
    });
    o.relation('r').add(t);
    await o.save();
    const schema = await new Parse.Schema('ObjInfer').get();
    const f = schema.fields;
    assert.equal(f.s.type, 'String');
    assert.equal(f.n.type, 'Number');
    assert.equal(f.b.type, 'Boolean');
    assert.equal(f.d.type, 'Date');
    assert.equal(f.o.type, 'Object');
    assert.equal(f.a.type, 'Array');
    assert.deepEqual(f.p, { type: 'Pointer', targetClass: 'ObjInferT' });
    assert.deepEqual(f.r, { type: 'Relation', targetClass: 'ObjInferT' });
    assert.equal(f.g.type, 'GeoPoint');
    assert.equal(f.poly.type, 'Polygon');
    assert.equal(f.objectId.type, 'String');
    assert.equal(f.createdAt.type, 'Date');
    assert.equal(f.updatedAt.type, 'Date');
    assert.equal(f.ACL.type, 'ACL');
  });
});
