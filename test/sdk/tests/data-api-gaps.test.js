'use strict';
// The Parse data-API gaps of issue 8, found by running this SDK against the
// server: each behaves as on Parse Server.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { useServer, rest, envelope, parseError, OBJECT_ID } = require('../helpers/server');
const { signUp, as, restAs, assertRefused, uniqueName, passwordOf } = require('../helpers/users');

const ctx = useServer({ name: 'gaps', env: { SWITCHBOARD_READ_ONLY_MASTER_KEY: 'testreadonly' } });

describe('Increment on keys inside Object fields', () => {
  it('increments a key at any depth, creating the path, leaving its siblings', async () => {
    const { Parse } = ctx;
    const player = new Parse.Object('GapPlayer');
    player.set('stats', { level: { xp: 1, name: 'novice' }, games: 2 });
    await player.save();

    player.increment('stats.level.xp', 4);
    player.increment('stats.games');
    await player.save();
    assert.equal(player.get('stats').level.xp, 5, 'the save answers the new value');
    assert.equal(player.get('stats').games, 3);

    player.increment('stats.deep.er.count', 2); // a path that does not exist yet
    await player.save();
    assert.equal(player.get('stats').deep.er.count, 2);

    const fetched = await new Parse.Query('GapPlayer').get(player.id);
    assert.deepEqual(fetched.get('stats'), { level: { xp: 5, name: 'novice' }, games: 3, deep: { er: { count: 2 } } });

    // Two clients incrementing the same key both count.
    const other = await new Parse.Query('GapPlayer').get(player.id);
    player.increment('stats.level.xp', 10);
    other.increment('stats.level.xp', 100);
    await Promise.all([player.save(), other.save()]);
    const after = await new Parse.Query('GapPlayer').get(player.id);
    assert.equal(after.get('stats').level.xp, 115);

    // A key that holds a string cannot be incremented: 111.
    player.increment('stats.level.name');
    assert.equal((await parseError(() => player.save())).code, 111);
  });
});

describe('POST /loginAs', () => {
  it('the master key gets a session for a user id: the user, with a working session token', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'loginas', { email: `${uniqueName('la')}@example.com` });
    const res = await rest(ctx.server, 'POST', 'loginAs', { body: { userId: user.id }, master: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.objectId, user.id);
    assert.equal(res.json.username, user.getUsername());
    assert.match(res.json.sessionToken, /^r:/);
    assert.equal(res.json.password, undefined);
    assert.equal(res.json._hashed_password, undefined);
    assert.notEqual(res.json.sessionToken, user.getSessionToken(), 'a new session');

    const me = await restAs(ctx.server, res.json.sessionToken, 'GET', 'users/me');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.objectId, user.id);
    const session = await restAs(ctx.server, res.json.sessionToken, 'GET', 'sessions/me');
    assert.deepEqual(session.json.createdWith, { action: 'login', authProvider: 'masterkey' }, session.text);

    // The SDK's Parse.User.loginAs sends the same request.
    const viaSDK = await Parse.User.loginAs(user.id);
    assert.equal(viaSDK.id, user.id);
    assert.match(viaSDK.getSessionToken(), /^r:/);
  });

  it('refuses what Parse Server refuses', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'loginas2');
    // An unknown user: 101.
    assertRefused(await rest(ctx.server, 'POST', 'loginAs', { body: { userId: 'nosuchuser' }, master: true }), 101, 404);
    // No user id: 142 (INVALID_VALUE... Parse's "userId must not be empty").
    for (const body of [{}, { userId: '' }, { userId: null }]) {
      assertRefused(await rest(ctx.server, 'POST', 'loginAs', { body, master: true }), [142, 162]);
    }
    assertRefused(await rest(ctx.server, 'POST', 'loginAs', { body: { userId: 7 }, master: true }), [142, 162]);
    // Without the master key, or with the read-only one (CVE-2026-30229): 119.
    assertRefused(await rest(ctx.server, 'POST', 'loginAs', { body: { userId: user.id } }), 119);
    assertRefused(await restAs(ctx.server, user, 'POST', 'loginAs', { body: { userId: user.id } }), 119);
    assertRefused(
      await rest(ctx.server, 'POST', 'loginAs', { body: { userId: user.id }, headers: { 'X-Parse-Master-Key': 'testreadonly' } }),
      119
    );
  });
});

describe('schema fields with required and defaultValue', () => {
  it('defaults are applied on create and answered; a missing required field is 142', async () => {
    const { Parse } = ctx;
    const schema = new Parse.Schema('GapTask');
    schema.addString('title', { required: true });
    schema.addString('state', { defaultValue: 'open' });
    schema.addNumber('priority', { required: true, defaultValue: 3 });
    schema.addBoolean('done', { defaultValue: false });
    await schema.save();
    const got = await new Parse.Schema('GapTask').get();
    assert.deepEqual(got.fields.title, { type: 'String', required: true });
    assert.deepEqual(got.fields.state, { type: 'String', defaultValue: 'open' });
    assert.deepEqual(got.fields.priority, { type: 'Number', required: true, defaultValue: 3 });

    const task = new Parse.Object('GapTask').set('title', 'write tests');
    await task.save();
    assert.equal(task.get('state'), 'open', 'the create answers the defaults');
    assert.equal(task.get('priority'), 3);
    assert.equal(task.get('done'), false);
    const stored = await new Parse.Query('GapTask').get(task.id);
    assert.equal(stored.get('state'), 'open');
    assert.equal(stored.get('priority'), 3);

    // A value given wins over the default.
    const urgent = await new Parse.Object('GapTask').save({ title: 'now', priority: 1, state: 'doing' });
    assert.equal((await new Parse.Query('GapTask').get(urgent.id)).get('priority'), 1);

    // Missing, null or empty required fields: 142, nothing stored.
    for (const attrs of [{}, { title: null }, { title: '' }]) {
      const err = await parseError(() => new Parse.Object('GapTask').save(attrs));
      assert.equal(err.code, 142, JSON.stringify(attrs));
      assert.match(err.message, /title is required/);
    }
    // Unsetting a required field, or setting it to null or "": 142.
    for (const change of [(o) => o.unset('title'), (o) => o.set('title', null), (o) => o.set('title', '')]) {
      const copy = await new Parse.Query('GapTask').get(task.id);
      change(copy);
      assert.equal((await parseError(() => copy.save())).code, 142);
    }
    assert.equal((await new Parse.Query('GapTask').get(task.id)).get('title'), 'write tests');
    assert.equal(await new Parse.Query('GapTask').count(), 2);
  });

  it('a default of the wrong type, or a required that is not a boolean, is refused', async () => {
    const res = await rest(ctx.server, 'POST', 'schemas/GapBad', {
      master: true,
      body: { className: 'GapBad', fields: { n: { type: 'Number', defaultValue: 'three' } } },
    });
    assertRefused(res, 111);
    const res2 = await rest(ctx.server, 'POST', 'schemas/GapBad', {
      master: true,
      body: { className: 'GapBad', fields: { n: { type: 'Number', required: 'yes' } } },
    });
    assertRefused(res2, 111);
    const res3 = await rest(ctx.server, 'POST', 'schemas/GapBad', {
      master: true,
      body: { className: 'GapBad', fields: { r: { type: 'Relation', targetClass: 'GapItem', required: true } } },
    });
    assertRefused(res3, 111);
    // Added later through PUT /schemas, the rules apply to new objects.
    const { Parse } = ctx;
    await new Parse.Object('GapLater').save({ a: 1 });
    const schema = new Parse.Schema('GapLater');
    schema.addString('kind', { defaultValue: 'plain' });
    await schema.update();
    const o = await new Parse.Object('GapLater').save({ a: 2 });
    assert.equal(o.get('kind'), 'plain');
  });
});

describe('relations', () => {
  it('a relation query on a parent the client has not fetched returns objects of the target class', async () => {
    const { Parse } = ctx;
    const items = await Parse.Object.saveAll(['a', 'b'].map((n) => new Parse.Object('GapItem').set('n', n)));
    const box = new Parse.Object('GapBox');
    box.relation('items').add(items);
    await box.save();

    // Only the id: the SDK does not know the relation's target class and
    // sends redirectClassNameForKey.
    const bare = new Parse.Object('GapBox');
    bare.id = box.id;
    const found = await bare.relation('items').query().ascending('n').find();
    assert.deepEqual(found.map((o) => o.className), ['GapItem', 'GapItem']);
    assert.deepEqual(found.map((o) => o.get('n')), ['a', 'b']);
    assert.deepEqual(found.map((o) => o.id), items.map((o) => o.id));
    // The reply names the class, as Parse Server's does.
    const raw = await rest(ctx.server, 'GET', 'classes/GapBox', {
      query: { redirectClassNameForKey: 'items', where: { $relatedTo: { object: { __type: 'Pointer', className: 'GapBox', objectId: box.id }, key: 'items' } } },
    });
    assert.equal(raw.json.className, 'GapItem', raw.text);
  });

  it('saving an object whose body carries a Relation value (clone()) is accepted', async () => {
    const { Parse } = ctx;
    const item = await new Parse.Object('GapItem').save({ n: 'c' });
    const box = new Parse.Object('GapBox');
    box.set('label', 'original');
    box.relation('items').add(item);
    await box.save();
    const fetched = await new Parse.Query('GapBox').get(box.id);
    const copy = fetched.clone();
    copy.set('label', 'copy');
    await copy.save(); // the body has items: {__type: Relation, className: GapItem}
    assert.match(copy.id, OBJECT_ID);
    assert.equal((await new Parse.Query('GapBox').get(copy.id)).get('label'), 'copy');
    // The raw form, on create and on update.
    const rel = { __type: 'Relation', className: 'GapItem' };
    const created = await rest(ctx.server, 'POST', 'classes/GapBox', { body: { label: 'raw', items: rel } });
    assert.equal(created.status, 201, created.text);
    const updated = await rest(ctx.server, 'PUT', `classes/GapBox/${created.json.objectId}`, { body: { items: rel, label: 'raw2' } });
    assert.equal(updated.status, 200, updated.text);
    // A Relation to another class than the field's is 111.
    const wrong = await rest(ctx.server, 'PUT', `classes/GapBox/${created.json.objectId}`, { body: { items: { __type: 'Relation', className: 'Other' } } });
    assertRefused(wrong, 111);
  });
});

describe('users', () => {
  it('Parse.Object.fetchAll on users', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'fa', { email: `${uniqueName('fa')}@example.com`, nick: 'A' });
    const b = await signUp(Parse, 'fb', { nick: 'B' });
    const ptrs = [Parse.User.createWithoutData(a.id), Parse.User.createWithoutData(b.id)];
    const fetched = await Parse.Object.fetchAll(ptrs, as(a));
    assert.deepEqual(fetched.map((u) => u.get('nick')), ['A', 'B']);
    assert.equal(fetched[0].get('email'), a.get('email'), 'a user sees their own e-mail');
    assert.equal(fetched[1].get('email'), undefined);
    const asMaster = await Parse.Object.fetchAll([Parse.User.createWithoutData(a.id), Parse.User.createWithoutData(b.id)], { useMasterKey: true });
    assert.deepEqual(asMaster.map((u) => u.getUsername()), [a.getUsername(), b.getUsername()]);
    assert.equal(asMaster[0].className, '_User');
  });

  it('signing up an anonymous user with a username and password converts it: authData.anonymous goes', async () => {
    const { Parse } = ctx;
    const id = randomUUID();
    const anon = await Parse.User.logInWith('anonymous', { authData: { id } });
    assert.ok(Parse.AnonymousUtils.isLinked(anon));
    const username = uniqueName('conv');
    anon.setUsername(username);
    anon.setPassword(passwordOf(username));
    await anon.signUp(null, as(anon)); // an app sends the current user's session
    const stored = await rest(ctx.server, 'GET', `users/${anon.id}`, { master: true });
    assert.equal(stored.json.authData, undefined, stored.text);
    assert.equal(Parse.AnonymousUtils.isLinked(await new Parse.Query(Parse.User).get(anon.id, { useMasterKey: true })), false);
    const again = await Parse.User.logIn(username, passwordOf(username));
    assert.equal(again.id, anon.id);
    // The device id no longer logs into this account.
    const fresh = await rest(ctx.server, 'POST', 'users', { body: { authData: { anonymous: { id } } } });
    assert.equal(fresh.status, 201, fresh.text);
    assert.notEqual(fresh.json.objectId, anon.id);
    // A password change alone on a non-anonymous user keeps other authData.
    await Parse.User.logOut();
  });
});

describe('health and jobs', () => {
  it('GET /parse/health answers, and the SDK\'s EventuallyQueue.poll reaches it', async () => {
    const res = await rest(ctx.server, 'GET', 'health', { appId: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok' });
    const env = await envelope(ctx.server, 'GET', 'health');
    assert.equal(env.status, 200, env.text);
    assert.deepEqual(env.json, { status: 'ok' });

    const { Parse } = ctx;
    const queue = Parse.EventuallyQueue;
    await queue.clear();
    const obj = new Parse.Object('GapEventually').set('n', 1);
    await queue.save(obj); // queued while "offline"
    assert.equal(await queue.length(), 1);
    queue.poll(50);
    for (let i = 0; i < 100 && (await queue.length()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    queue.stopPoll();
    assert.equal(await queue.length(), 0, 'poll found the server healthy and sent the queue');
    assert.equal(await new Parse.Query('GapEventually').count(), 1);
  });

  it('Parse.Cloud.getJobStatus by id: an unknown id is 101', async () => {
    // (A known id is read back in test/cluster, whose nodes run jobs.)
    const { Parse } = ctx;
    for (const id of ['999999999', 'not-a-number']) {
      assert.equal((await parseError(() => Parse.Cloud.getJobStatus(id))).code, 101, id);
      assertRefused(await rest(ctx.server, 'GET', `classes/_JobStatus/${id}`, { master: true }), 101, 404);
      const byWhere = await rest(ctx.server, 'GET', 'classes/_JobStatus', { master: true, query: { where: { objectId: id } } });
      assert.equal(byWhere.status, 200, byWhere.text);
      assert.deepEqual(byWhere.json.results, []);
    }
    // Other constraints are not supported: 102, not a silent list.
    assertRefused(await rest(ctx.server, 'GET', 'classes/_JobStatus', { master: true, query: { where: { status: 'failed' } } }), 102);
    // Clients cannot read it.
    assertRefused(await rest(ctx.server, 'GET', 'classes/_JobStatus', { query: { where: { objectId: '1' } } }), 119);
    assertRefused(await rest(ctx.server, 'GET', 'classes/_JobStatus/1'), 119);
  });
});

describe('aggregate pipelines', () => {
  it('query.aggregate groups, sorts and counts with the master key', async () => {
    const { Parse } = ctx;
    await Parse.Object.saveAll([
      ['ann', 10, ['x']],
      ['ann', 20, ['x', 'y']],
      ['bo', 5, []],
    ].map(([name, score, tags]) => new Parse.Object('GapScore').set({ name, score, tags })));
    const totals = await new Parse.Query('GapScore').aggregate(
      [{ $group: { _id: '$name', total: { $sum: '$score' }, n: { $sum: 1 } } }, { $sort: { total: -1 } }],
      { useMasterKey: true }
    );
    assert.deepEqual(totals, [
      { objectId: 'ann', total: 30, n: 2 },
      { objectId: 'bo', total: 5, n: 1 },
    ]);
    const tags = await new Parse.Query('GapScore').aggregate([{ $unwind: '$tags' }, { $count: 'n' }], { useMasterKey: true });
    assert.deepEqual(tags, [{ n: 3 }]);
    assert.equal((await parseError(() => new Parse.Query('GapScore').aggregate([{ $out: 'X' }], { useMasterKey: true }))).code, 102);
    // Without the master key (the SDK always sends it): 119.
    assertRefused(await rest(ctx.server, 'GET', 'aggregate/GapScore', { query: { pipeline: [{ $match: {} }] } }), 119);
  });
});
