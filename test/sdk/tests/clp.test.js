'use strict';
// Class-level permissions set with Parse.Schema#setCLP (master key), checked
// through the SDK: find/get/count/create/update/delete/addField with '*',
// requiresAuthentication, user ids, role:X and pointer fields; and
// protectedFields, including _User.email and probing a hidden field (119).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError, assertMasterKeyRequired } = require('../helpers/server');
const { signUp, as, restAs, assertRefused, uniqueName } = require('../helpers/users');

const ctx = useServer({ name: 'clp' });

const u = {};
ctx.setup(async ({ Parse }) => {
  u.alice = await signUp(Parse, 'alice', { email: `${uniqueName('alice')}@example.com`.toLowerCase(), mobilePhoneNumber: '+8613800000001' });
  u.bob = await signUp(Parse, 'bob', { email: `${uniqueName('bob')}@example.com`.toLowerCase() });
  u.carol = await signUp(Parse, 'carol');
  // Managers: alice; Directors (carol) inherit Managers' permissions.
  const directors = new Parse.Role('Directors', new Parse.ACL());
  directors.getUsers().add(u.carol);
  await directors.save(null, { useMasterKey: true });
  const managers = new Parse.Role('Managers', new Parse.ACL());
  managers.getUsers().add(u.alice);
  managers.getRoles().add(directors);
  await managers.save(null, { useMasterKey: true });
});

const ALL = { '*': true };
const OPEN = { find: ALL, get: ALL, count: ALL, create: ALL, update: ALL, delete: ALL, addField: ALL };

// defineClass creates a class through Parse.Schema with fields and a CLP
// (fields: {name: 'String'} or {name: {pointer: 'Target'}}).
async function defineClass(Parse, className, fields, clp) {
  const schema = new Parse.Schema(className);
  for (const [name, type] of Object.entries(fields)) {
    if (typeof type === 'object' && type.pointer) schema.addPointer(name, type.pointer);
    else schema.addField(name, type);
  }
  schema.setCLP(clp);
  await schema.save();
  return schema;
}

async function seed(Parse, className, rows) {
  return Parse.Object.saveAll(rows.map((r) => new Parse.Object(className).set(r)), { useMasterKey: true });
}

const code = async (fn) => (await parseError(fn)).code;

describe('setCLP round trip', () => {
  it('Parse.Schema.get returns the classLevelPermissions that were set', async () => {
    const { Parse } = ctx;
    const clp = {
      ...OPEN,
      count: { requiresAuthentication: true },
      create: { 'role:Managers': true, [u.bob.id]: true },
      update: { pointerFields: ['owner'] },
      readUserFields: ['owner'],
      writeUserFields: ['owner'],
      protectedFields: { '*': ['secret'], 'role:Managers': [] },
    };
    await defineClass(Parse, 'ClpTrip', { owner: { pointer: '_User' }, secret: 'String' }, clp);
    const got = await new Parse.Schema('ClpTrip').get();
    for (const [k, v] of Object.entries(clp)) assert.deepEqual(got.classLevelPermissions[k], v, k);
  });

  it('a client cannot read or change CLPs without the master key', async () => {
    assertMasterKeyRequired(await restAs(ctx.server, u.bob, 'GET', 'schemas/ClpTrip'));
    assertMasterKeyRequired(
      await restAs(ctx.server, u.bob, 'PUT', 'schemas/ClpTrip', { body: { classLevelPermissions: OPEN } })
    );
  });

  it('a malformed CLP is refused with a 4xx', async () => {
    const { Parse } = ctx;
    for (const clp of [{ find: { '*': 'yes' } }, { find: [] }, { fly: ALL }, { protectedFields: { '*': 'secret' } }]) {
      const res = await rest(ctx.server, 'POST', `schemas/ClpBad${Math.random().toString(36).slice(2, 8)}`, {
        master: true,
        body: { classLevelPermissions: clp },
      });
      assertRefused(res, [107, 111, 119, 102, 105]);
    }
    assert.ok(Parse);
  });
});

describe('operations and who may do them', () => {
  it('find closed, get open: find and count are 119; fetch works', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpNoFind', { n: 'Number' }, { ...OPEN, find: {}, count: {} });
    const [obj] = await seed(Parse, 'ClpNoFind', [{ n: 1 }, { n: 2 }]);
    assert.equal(await code(() => new Parse.Query('ClpNoFind').find(as(u.bob))), Parse.Error.OPERATION_FORBIDDEN);
    assert.equal(await code(() => new Parse.Query('ClpNoFind').find()), 119);
    assert.equal(await code(() => new Parse.Query('ClpNoFind').count(as(u.bob))), 119);
    assertRefused(await rest(ctx.server, 'GET', 'classes/ClpNoFind'), 119, 400);
    const fetched = await new Parse.Object('ClpNoFind', { objectId: obj.id }).fetch(as(u.bob));
    assert.equal(fetched.get('n'), 1);
    assert.equal((await new Parse.Query('ClpNoFind').find({ useMasterKey: true })).length, 2);
  });

  it('find closed, get open: Query#get works (a query whose only constraint is objectId is a get)', async () => {
    const { Parse } = ctx;
    // The SDK's Query#get sends GET classes/X?where={"objectId":...}&limit=1;
    // Parse Server checks such a query against the get permission.
    const [obj] = await new Parse.Query('ClpNoFind').ascending('n').find({ useMasterKey: true });
    const got = await new Parse.Query('ClpNoFind').get(obj.id, as(u.bob));
    assert.equal(got.get('n'), 1);
    // With any other constraint it is a find again.
    assert.equal(await code(() => new Parse.Query('ClpNoFind').equalTo('objectId', obj.id).equalTo('n', 1).find(as(u.bob))), 119);
  });

  it('get closed, find open: fetch is 119, find works', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpNoGet', { n: 'Number' }, { ...OPEN, get: {} });
    const [obj] = await seed(Parse, 'ClpNoGet', [{ n: 1 }]);
    assert.equal(await code(() => new Parse.Object('ClpNoGet', { objectId: obj.id }).fetch(as(u.bob))), 119);
    assertRefused(await rest(ctx.server, 'GET', `classes/ClpNoGet/${obj.id}`), 119, 400);
    assert.equal((await new Parse.Query('ClpNoGet').find(as(u.bob))).length, 1);
    assert.equal(await new Parse.Query('ClpNoGet').count(as(u.bob)), 1);
  });

  it('count closed, find open: count is 119, find works', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpNoCount', { n: 'Number' }, { ...OPEN, count: {} });
    await seed(Parse, 'ClpNoCount', [{ n: 1 }]);
    assert.equal(await code(() => new Parse.Query('ClpNoCount').count(as(u.bob))), 119);
    assert.equal((await new Parse.Query('ClpNoCount').find(as(u.bob))).length, 1);
    assert.equal(await new Parse.Query('ClpNoCount').count({ useMasterKey: true }), 1);
  });

  it('requiresAuthentication: anonymous callers get 101 "user needs to be authenticated", users pass', async () => {
    const { Parse } = ctx;
    const auth = { requiresAuthentication: true };
    await defineClass(Parse, 'ClpAuth', { n: 'Number' }, { find: auth, get: auth, count: auth, create: auth, update: auth, delete: auth, addField: {} });
    const [obj] = await seed(Parse, 'ClpAuth', [{ n: 1 }]);
    for (const fn of [
      () => new Parse.Query('ClpAuth').find(),
      () => new Parse.Query('ClpAuth').count(),
      () => new Parse.Object('ClpAuth', { objectId: obj.id }).fetch(),
      () => new Parse.Object('ClpAuth').save({ n: 2 }),
    ]) {
      const err = await parseError(fn);
      assert.equal(err.code, 101, err.message);
      assert.match(err.message, /authenticated/i);
    }
    assert.equal((await new Parse.Query('ClpAuth').find(as(u.bob))).length, 1);
    const mine = await new Parse.Object('ClpAuth').save({ n: 3 }, as(u.bob));
    await mine.save({ n: 4 }, as(u.bob));
    await mine.destroy(as(u.bob));
  });

  it('role:Managers on every operation: members (directly or inherited) pass, others get 119', async () => {
    const { Parse } = ctx;
    const mgr = { 'role:Managers': true };
    await defineClass(Parse, 'ClpRole', { n: 'Number' }, { find: mgr, get: mgr, count: mgr, create: mgr, update: mgr, delete: mgr, addField: mgr });
    const [obj] = await seed(Parse, 'ClpRole', [{ n: 1 }]);

    for (const who of [u.alice, u.carol]) {
      assert.equal((await new Parse.Query('ClpRole').find(as(who))).length >= 1, true);
      assert.ok((await new Parse.Query('ClpRole').count(as(who))) >= 1);
      await new Parse.Object('ClpRole', { objectId: obj.id }).fetch(as(who));
      const mine = await new Parse.Object('ClpRole').save({ n: 5, extra: 'new field' }, as(who));
      await mine.save({ n: 6 }, as(who));
      await mine.destroy(as(who));
    }
    const ref = new Parse.Object('ClpRole', { objectId: obj.id });
    assert.equal(await code(() => new Parse.Query('ClpRole').find(as(u.bob))), 119);
    assert.equal(await code(() => new Parse.Query('ClpRole').count(as(u.bob))), 119);
    assert.equal(await code(() => ref.fetch(as(u.bob))), 119);
    assert.equal(await code(() => new Parse.Object('ClpRole').save({ n: 7 }, as(u.bob))), 119);
    assert.equal(await code(() => ref.save({ n: 8 }, as(u.bob))), 119);
    assert.equal(await code(() => ref.destroy(as(u.bob))), 119);
    assert.equal(await code(() => new Parse.Query('ClpRole').find()), 119);
    const after = await new Parse.Query('ClpRole').get(obj.id, { useMasterKey: true });
    assert.equal(after.get('n'), 1);
  });

  it('a user id on create: that user creates, others get 119', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpUserCreate', { n: 'Number' }, { ...OPEN, create: { [u.bob.id]: true } });
    await new Parse.Object('ClpUserCreate').save({ n: 1 }, as(u.bob));
    assert.equal(await code(() => new Parse.Object('ClpUserCreate').save({ n: 2 }, as(u.carol))), 119);
    assert.equal(await code(() => new Parse.Object('ClpUserCreate').save({ n: 3 })), 119);
    assert.equal(await new Parse.Query('ClpUserCreate').count(), 1);
  });

  it('read-only class: create, update and delete are 119', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpReadOnly', { n: 'Number' }, { ...OPEN, create: {}, update: {}, delete: {} });
    const [obj] = await seed(Parse, 'ClpReadOnly', [{ n: 1 }]);
    const copy = await new Parse.Query('ClpReadOnly').get(obj.id, as(u.bob));
    assert.equal(await code(() => new Parse.Object('ClpReadOnly').save({ n: 2 }, as(u.bob))), 119);
    assert.equal(await code(() => copy.save({ n: 3 }, as(u.bob))), 119);
    assert.equal(await code(() => copy.destroy(as(u.bob))), 119);
    const batch = await restAs(ctx.server, u.bob, 'POST', 'batch', {
      body: { requests: [{ method: 'PUT', path: `/parse/classes/ClpReadOnly/${obj.id}`, body: { n: 4 } }] },
    });
    assert.equal(batch.json[0].error.code, 119, batch.text);
    assert.equal((await new Parse.Query('ClpReadOnly').get(obj.id)).get('n'), 1);
  });

  it('addField closed: saves with known fields work, a new field is 119; the master key may add it', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpNoAddField', { n: 'Number' }, { ...OPEN, addField: {} });
    await new Parse.Object('ClpNoAddField').save({ n: 1 }, as(u.bob));
    assert.equal(await code(() => new Parse.Object('ClpNoAddField').save({ n: 2, surprise: 'x' }, as(u.bob))), 119);
    const [obj] = await seed(Parse, 'ClpNoAddField', [{ n: 3 }]);
    const copy = await new Parse.Query('ClpNoAddField').get(obj.id, as(u.bob));
    assert.equal(await code(() => copy.save({ other: true }, as(u.bob))), 119);
    const schema = await new Parse.Schema('ClpNoAddField').get();
    assert.equal(schema.fields.surprise, undefined, 'no field was added by the refused saves');
    assert.equal(schema.fields.other, undefined);
    await new Parse.Object('ClpNoAddField').save({ n: 4, surprise: 'ok' }, { useMasterKey: true });
  });
});

describe('pointer permissions', () => {
  it('pointerFields on find/get/count/update/delete: each user reaches only objects that point at them', async () => {
    const { Parse } = ctx;
    const own = { pointerFields: ['owner'] };
    await defineClass(Parse, 'ClpOwned', { owner: { pointer: '_User' }, n: 'Number' }, {
      find: own, get: own, count: own, update: own, delete: own, create: ALL, addField: {},
    });
    const [b1, , c1] = await seed(Parse, 'ClpOwned', [
      { owner: u.bob, n: 1 },
      { owner: u.bob, n: 2 },
      { owner: u.carol, n: 3 },
    ]);

    const bobs = await new Parse.Query('ClpOwned').ascending('n').find(as(u.bob));
    assert.deepEqual(bobs.map((o) => o.get('n')), [1, 2]);
    assert.equal(await new Parse.Query('ClpOwned').count(as(u.bob)), 2);
    assert.equal(await new Parse.Query('ClpOwned').count(as(u.carol)), 1);
    assert.deepEqual(await new Parse.Query('ClpOwned').find(), [], 'anonymous: nothing points at them');
    assert.equal((await new Parse.Query('ClpOwned').limit(1).skip(1).find(as(u.bob)))[0].get('n'), 2);

    assert.equal(await code(() => new Parse.Object('ClpOwned', { objectId: c1.id }).fetch(as(u.bob))), 101);
    const ref = new Parse.Object('ClpOwned', { objectId: c1.id });
    assert.equal(await code(() => ref.save({ n: 30 }, as(u.bob))), 101);
    assert.equal(await code(() => ref.destroy(as(u.bob))), 101);
    assert.equal((await new Parse.Query('ClpOwned').get(c1.id, { useMasterKey: true })).get('n'), 3);

    await new Parse.Object('ClpOwned', { objectId: b1.id }).save({ n: 10 }, as(u.bob));
    await new Parse.Object('ClpOwned', { objectId: b1.id }).destroy(as(u.bob));
  });

  it('readUserFields / writeUserFields with an array of user pointers', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpShared', { members: 'Array', editor: { pointer: '_User' }, t: 'String' }, {
      find: {}, get: {}, count: {}, update: {}, delete: {}, create: ALL, addField: {},
      readUserFields: ['members'], writeUserFields: ['editor'],
    });
    const [doc] = await seed(Parse, 'ClpShared', [
      { members: [u.bob, u.alice], editor: u.alice, t: 'v1' },
      { members: [u.carol], editor: u.carol, t: 'other' },
    ]);
    assert.deepEqual((await new Parse.Query('ClpShared').find(as(u.bob))).map((o) => o.get('t')), ['v1']);
    assert.deepEqual((await new Parse.Query('ClpShared').find(as(u.carol))).map((o) => o.get('t')), ['other']);
    const asBob = await new Parse.Query('ClpShared').get(doc.id, as(u.bob));
    assert.equal(await code(() => asBob.save({ t: 'bob edit' }, as(u.bob))), 101, 'a reader is not a writer');
    await new Parse.Object('ClpShared', { objectId: doc.id }).save({ t: 'v2' }, as(u.alice));
    assert.equal((await new Parse.Query('ClpShared').get(doc.id, as(u.bob))).get('t'), 'v2');
  });
});

describe('protected fields', () => {
  it('a field hidden from the public is visible to a role (and to inherited members) and to the master key', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpSecret', { name: 'String', secret: 'String', hint: 'String' }, {
      ...OPEN,
      protectedFields: { '*': ['secret'], 'role:Managers': [] },
    });
    const [obj] = await seed(Parse, 'ClpSecret', [
      { name: 'a', secret: 'alpha', hint: 'h1' },
      { name: 'b', secret: 'bravo', hint: 'h2' },
    ]);
    for (const opts of [{}, as(u.bob)]) {
      const rows = await new Parse.Query('ClpSecret').ascending('name').find(opts);
      assert.deepEqual(rows.map((r) => r.get('name')), ['a', 'b']);
      for (const r of rows) {
        assert.equal(r.get('secret'), undefined);
        assert.ok(!r.has('secret'));
        assert.ok(r.get('hint'));
      }
      const one = await new Parse.Object('ClpSecret', { objectId: obj.id }).fetch(opts);
      assert.equal(one.get('secret'), undefined);
    }
    for (const who of [u.alice, u.carol]) {
      const rows = await new Parse.Query('ClpSecret').ascending('name').find(as(who));
      assert.deepEqual(rows.map((r) => r.get('secret')), ['alpha', 'bravo']);
    }
    const master = await new Parse.Query('ClpSecret').get(obj.id, { useMasterKey: true });
    assert.equal(master.get('secret'), 'alpha');
  });

  it('probing a protected field with where, matches, exists, order, select or count is refused (119)', async () => {
    const { Parse } = ctx;
    const q = () => new Parse.Query('ClpSecret');
    const probes = {
      equalTo: () => q().equalTo('secret', 'alpha').find(as(u.bob)),
      notEqualTo: () => q().notEqualTo('secret', 'alpha').find(as(u.bob)),
      matches: () => q().matches('secret', /^al/).find(as(u.bob)),
      startsWith: () => q().startsWith('secret', 'a').find(),
      exists: () => q().exists('secret').find(as(u.bob)),
      doesNotExist: () => q().doesNotExist('secret').find(as(u.bob)),
      greaterThan: () => q().greaterThan('secret', 'b').find(as(u.bob)),
      containedIn: () => q().containedIn('secret', ['alpha', 'x']).find(as(u.bob)),
      ascending: () => q().ascending('secret').find(as(u.bob)),
      descending: () => q().descending('secret').find(),
      select: () => q().select('secret').find(as(u.bob)),
      count: () => q().equalTo('secret', 'alpha').count(as(u.bob)),
      or: () => Parse.Query.or(q().equalTo('name', 'zzz'), q().equalTo('secret', 'alpha')).find(as(u.bob)),
      and: () => Parse.Query.and(q().equalTo('name', 'a'), q().startsWith('secret', 'al')).find(as(u.bob)),
      first: () => q().equalTo('secret', 'alpha').first(as(u.bob)),
    };
    for (const [name, fn] of Object.entries(probes)) {
      const err = await parseError(fn);
      assert.equal(err.code, Parse.Error.OPERATION_FORBIDDEN, `${name}: ${err.code} ${err.message}`);
    }
    // The same queries are fine for a role that may see the field.
    assert.equal((await q().equalTo('secret', 'alpha').find(as(u.alice))).length, 1);
    assert.equal(await q().exists('secret').count(as(u.alice)), 2);
  });

  it('probing through a subquery from another class is refused too', async () => {
    const { Parse } = ctx;
    const target = await new Parse.Query('ClpSecret').equalTo('name', 'a').first({ useMasterKey: true });
    await new Parse.Object('ClpHolder').save({ label: 'h', ref: target, word: 'alpha' });
    const inner = new Parse.Query('ClpSecret').equalTo('secret', 'alpha');
    const err = await parseError(() => new Parse.Query('ClpHolder').matchesQuery('ref', inner).find(as(u.bob)));
    assert.equal(err.code, 119, err.message);
    const err2 = await parseError(() =>
      new Parse.Query('ClpHolder').matchesKeyInQuery('word', 'secret', new Parse.Query('ClpSecret')).find(as(u.bob))
    );
    assert.equal(err2.code, 119, err2.message);
    const ok = await new Parse.Query('ClpHolder').matchesQuery('ref', inner).find(as(u.alice));
    assert.equal(ok.length, 1);
  });

  it('include strips protected fields from the included object', async () => {
    const { Parse } = ctx;
    const h = await new Parse.Query('ClpHolder').include('ref').first(as(u.bob));
    assert.equal(h.get('ref').get('name'), 'a');
    assert.equal(h.get('ref').get('secret'), undefined);
    const h2 = await new Parse.Query('ClpHolder').include('ref').first(as(u.alice));
    assert.equal(h2.get('ref').get('secret'), 'alpha');
  });

  it('"authenticated" and userField:<pointer> entries; several matching entries hide only the intersection', async () => {
    const { Parse } = ctx;
    await defineClass(Parse, 'ClpProfile', { owner: { pointer: '_User' }, phone: 'String', salary: 'Number', city: 'String' }, {
      ...OPEN,
      protectedFields: { '*': ['phone', 'salary', 'city'], authenticated: ['phone', 'salary'], 'userField:owner': ['salary'] },
    });
    await seed(Parse, 'ClpProfile', [{ owner: u.bob, phone: '555', salary: 10, city: 'Oslo' }]);
    const anon = await new Parse.Query('ClpProfile').first();
    assert.deepEqual([anon.get('phone'), anon.get('salary'), anon.get('city')], [undefined, undefined, undefined]);
    const carol = await new Parse.Query('ClpProfile').first(as(u.carol));
    assert.deepEqual([carol.get('phone'), carol.get('salary'), carol.get('city')], [undefined, undefined, 'Oslo']);
    const bob = await new Parse.Query('ClpProfile').first(as(u.bob));
    // bob matches '*', authenticated and userField:owner: hidden = {phone,salary,city} ∩ {phone,salary} ∩ {salary} = {salary}.
    assert.equal(bob.get('phone'), '555', 'the owner sees phone');
    assert.equal(bob.get('salary'), undefined);
    assert.equal(bob.get('city'), 'Oslo');
  });

  it('_User.email is hidden from other users and the public, visible to its owner', async () => {
    const { Parse } = ctx;
    const email = u.alice.getEmail();
    const byBob = await new Parse.Query(Parse.User).get(u.alice.id, as(u.bob));
    assert.equal(byBob.get('email'), undefined);
    assert.equal(byBob.get('mobilePhoneNumber'), undefined);
    assert.equal(byBob.getUsername(), u.alice.getUsername());
    const anon = await rest(ctx.server, 'GET', `users/${u.alice.id}`);
    assert.equal(anon.json.email, undefined, anon.text);
    const list = await new Parse.Query(Parse.User).find(as(u.bob));
    for (const other of list.filter((x) => x.id !== u.bob.id)) assert.equal(other.get('email'), undefined);
    assert.equal(list.find((x) => x.id === u.bob.id).get('email'), u.bob.getEmail(), 'bob sees his own e-mail in a find');

    const self = await new Parse.Query(Parse.User).get(u.alice.id, as(u.alice));
    assert.equal(self.get('email'), email);
    assert.equal(self.get('mobilePhoneNumber'), '+8613800000001');
    assert.equal((await Parse.User.me(u.alice.getSessionToken())).get('email'), email);
  });

  it('an included _User pointer hides e-mail from others, not from the user themself', async () => {
    const { Parse } = ctx;
    await new Parse.Object('ClpPost').save({ title: 'p', author: u.alice });
    const byBob = await new Parse.Query('ClpPost').include('author').first(as(u.bob));
    assert.equal(byBob.get('author').getUsername(), u.alice.getUsername());
    assert.equal(byBob.get('author').get('email'), undefined);
    const byAlice = await new Parse.Query('ClpPost').include('author').first(as(u.alice));
    assert.equal(byAlice.get('author').get('email'), u.alice.getEmail());
  });

  it('finding users by e-mail is refused to others (119), so addresses cannot be guessed', async () => {
    const { Parse } = ctx;
    const email = u.alice.getEmail();
    for (const fn of [
      () => new Parse.Query(Parse.User).equalTo('email', email).find(as(u.bob)),
      () => new Parse.Query(Parse.User).startsWith('email', email.slice(0, 3)).find(),
      () => new Parse.Query(Parse.User).equalTo('mobilePhoneNumber', '+8613800000001').count(as(u.bob)),
      () => new Parse.Query(Parse.User).ascending('email').find(as(u.bob)),
      () => new Parse.Query(Parse.User).select('username', 'email').find(as(u.bob)),
      () => new Parse.Query(Parse.User).exists('email').count(),
    ]) {
      const err = await parseError(fn);
      assert.equal(err.code, 119, err.message);
    }
    const master = await new Parse.Query(Parse.User).equalTo('email', email).find({ useMasterKey: true });
    assert.equal(master.length, 1);
  });
});

describe('class-level permissions on _User', () => {
  it('find/get need a session: anonymous queries are 101, while signUp, logIn and /users/me keep working', async () => {
    const { Parse } = ctx;
    const auth = { requiresAuthentication: true };
    try {
      await new Parse.Schema('_User').setCLP({ ...OPEN, find: auth, get: auth, count: auth }).update();
      assertRefused(await rest(ctx.server, 'GET', 'users'), 101);
      assertRefused(await rest(ctx.server, 'GET', `users/${u.bob.id}`), 101);
      assert.ok((await new Parse.Query(Parse.User).find(as(u.bob))).length >= 3);
      const fresh = await signUp(Parse, 'clpuser');
      const logged = await Parse.User.logIn(fresh.getUsername(), `pw-${fresh.getUsername()}`);
      assert.equal(logged.id, fresh.id);
      assert.equal((await Parse.User.me(logged.getSessionToken())).id, fresh.id);
    } finally {
      await new Parse.Schema('_User').setCLP(OPEN).update();
    }
  });

  it('create closed on _User turns signups off (119); existing users still log in', async () => {
    const { Parse } = ctx;
    try {
      await new Parse.Schema('_User').setCLP({ ...OPEN, create: {} }).update();
      const err = await parseError(() => signUp(Parse, 'nosignup'));
      assert.equal(err.code, 119, err.message);
      const logged = await Parse.User.logIn(u.carol.getUsername(), `pw-${u.carol.getUsername()}`);
      assert.equal(logged.id, u.carol.id);
    } finally {
      await new Parse.Schema('_User').setCLP(OPEN).update();
    }
  });
});
