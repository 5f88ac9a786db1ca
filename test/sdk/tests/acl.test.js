'use strict';
// Parse.ACL through the SDK: read and write access per user, public and role,
// 101 for reads and writes the ACL forbids, ACL round trips, limit/skip/count
// under ACL, include of unreadable pointers, and subqueries under ACL.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError } = require('../helpers/server');
const { signUp, as, restAs, assertRefused } = require('../helpers/users');

const ctx = useServer({ name: 'acl' });

const users = {};
ctx.setup(async ({ Parse }) => {
  users.owner = await signUp(Parse, 'owner');
  users.friend = await signUp(Parse, 'friend');
  users.stranger = await signUp(Parse, 'stranger');
});

function privateACL(Parse, user) {
  const acl = new Parse.ACL(user);
  acl.setPublicReadAccess(false);
  acl.setPublicWriteAccess(false);
  return acl;
}

describe('read access', () => {
  it('a private object: the owner can get/find/count it, another user and anonymous cannot', async () => {
    const { Parse } = ctx;
    const { owner, stranger } = users;
    const obj = new Parse.Object('Diary');
    obj.setACL(privateACL(Parse, owner));
    await obj.save({ text: 'dear diary', tag: 'private1' }, as(owner));

    const got = await new Parse.Query('Diary').get(obj.id, as(owner));
    assert.equal(got.get('text'), 'dear diary');
    assert.equal((await new Parse.Query('Diary').equalTo('tag', 'private1').find(as(owner))).length, 1);
    assert.equal(await new Parse.Query('Diary').equalTo('tag', 'private1').count(as(owner)), 1);

    for (const opts of [as(stranger), {}]) {
      const err = await parseError(() => new Parse.Query('Diary').get(obj.id, opts));
      assert.equal(err.code, Parse.Error.OBJECT_NOT_FOUND, err.message);
      assert.deepEqual(await new Parse.Query('Diary').equalTo('tag', 'private1').find(opts), []);
      assert.equal(await new Parse.Query('Diary').equalTo('tag', 'private1').count(opts), 0);
      const first = await new Parse.Query('Diary').equalTo('objectId', obj.id).first(opts);
      assert.equal(first, undefined);
    }
    assertRefused(await restAs(ctx.server, stranger, 'GET', `classes/Diary/${obj.id}`), 101, 404);
    assertRefused(await rest(ctx.server, 'GET', `classes/Diary/${obj.id}`), 101, 404);

    const master = await new Parse.Query('Diary').get(obj.id, { useMasterKey: true });
    assert.equal(master.get('text'), 'dear diary');
  });

  it('setReadAccess(friend) lets the friend read, not a stranger; the friend still cannot write', async () => {
    const { Parse } = ctx;
    const { owner, friend, stranger } = users;
    const acl = privateACL(Parse, owner);
    acl.setReadAccess(friend, true);
    const obj = await new Parse.Object('Letter').setACL(acl).save({ body: 'hi' }, as(owner));

    const seen = await new Parse.Query('Letter').get(obj.id, as(friend));
    assert.equal(seen.get('body'), 'hi');
    assert.equal((await parseError(() => new Parse.Query('Letter').get(obj.id, as(stranger)))).code, 101);

    seen.set('body', 'changed by friend');
    const err = await parseError(() => seen.save(null, as(friend)));
    assert.equal(err.code, Parse.Error.OBJECT_NOT_FOUND, err.message);
    const del = await parseError(() => seen.destroy(as(friend)));
    assert.equal(del.code, 101, del.message);
    const after = await new Parse.Query('Letter').get(obj.id, { useMasterKey: true });
    assert.equal(after.get('body'), 'hi');
  });

  it('no ACL means public read and write', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('Wiki').save({ page: 'home' });
    assert.equal(obj.getACL(), null);
    const got = await new Parse.Query('Wiki').get(obj.id, as(users.stranger));
    got.set('page', 'edited');
    await got.save(null, as(users.stranger));
    await got.destroy();
  });
});

describe('write access', () => {
  it('public read, owner write: others read it but update and destroy are 101, nothing changes', async () => {
    const { Parse } = ctx;
    const { owner, stranger } = users;
    const acl = new Parse.ACL(owner);
    acl.setPublicReadAccess(true);
    const obj = await new Parse.Object('Notice').setACL(acl).save({ msg: 'original', n: 1 }, as(owner));

    const copy = await new Parse.Query('Notice').get(obj.id, as(stranger));
    copy.set('msg', 'defaced');
    copy.increment('n');
    assert.equal((await parseError(() => copy.save(null, as(stranger)))).code, 101);
    assert.equal((await parseError(() => copy.destroy(as(stranger)))).code, 101);
    assert.equal((await parseError(() => copy.destroy())).code, 101, 'anonymous too');

    const raw = await restAs(ctx.server, stranger, 'PUT', `classes/Notice/${obj.id}`, { body: { msg: 'x' } });
    assertRefused(raw, 101, 404);
    assert.equal(raw.json.error, 'Object not found.', 'the refusal looks exactly like a missing object');

    // Changing the ACL itself is a write, too.
    const grab = await restAs(ctx.server, stranger, 'PUT', `classes/Notice/${obj.id}`, {
      body: { ACL: { '*': { read: true, write: true } } },
    });
    assertRefused(grab, 101, 404);

    const after = await new Parse.Query('Notice').get(obj.id);
    assert.equal(after.get('msg'), 'original');
    assert.equal(after.get('n'), 1);
    assert.deepEqual(after.getACL().toJSON(), acl.toJSON());

    after.set('msg', 'owner edit');
    await after.save(null, as(owner));
    await after.destroy(as(owner));
    assert.equal((await parseError(() => new Parse.Query('Notice').get(obj.id, { useMasterKey: true }))).code, 101);
  });

  it('write-only access: the writer may update an object it cannot read', async () => {
    const { Parse } = ctx;
    const { owner, friend } = users;
    const acl = privateACL(Parse, owner);
    acl.setWriteAccess(friend, true);
    const obj = await new Parse.Object('DropBox').setACL(acl).save({ n: 0 }, as(owner));
    const res = await restAs(ctx.server, friend, 'PUT', `classes/DropBox/${obj.id}`, { body: { n: 5 } });
    assert.equal(res.status, 200, res.text);
    assertRefused(await restAs(ctx.server, friend, 'GET', `classes/DropBox/${obj.id}`), 101, 404);
    const after = await new Parse.Query('DropBox').get(obj.id, as(owner));
    assert.equal(after.get('n'), 5);
  });

  it('a batch from another user fails per object with 101', async () => {
    const { Parse } = ctx;
    const { owner, stranger } = users;
    const objs = await Parse.Object.saveAll(
      [1, 2].map((i) => new Parse.Object('BatchAcl').setACL(privateACL(Parse, owner)).set({ i })),
      as(owner)
    );
    const res = await restAs(ctx.server, stranger, 'POST', 'batch', {
      body: {
        requests: objs.map((o) => ({ method: 'PUT', path: `/parse/classes/BatchAcl/${o.id}`, body: { i: 99 } })),
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.map((r) => r.error && r.error.code), [101, 101]);
    const back = await new Parse.Query('BatchAcl').ascending('i').find(as(owner));
    assert.deepEqual(back.map((o) => o.get('i')), [1, 2]);
  });
});

describe('ACL round trip and roles', () => {
  it('an ACL with users, roles and public entries comes back unchanged (SDK and wire)', async () => {
    const { Parse } = ctx;
    const { owner, friend } = users;
    const acl = new Parse.ACL();
    acl.setReadAccess(owner, true);
    acl.setWriteAccess(owner, true);
    acl.setReadAccess(friend.id, true);
    acl.setRoleReadAccess('Auditors', true);
    acl.setRoleWriteAccess('Editors', true);
    acl.setPublicReadAccess(false);
    const obj = await new Parse.Object('AclTrip').setACL(acl).save({ x: 1 }, as(owner));

    const back = await new Parse.Query('AclTrip').get(obj.id, as(owner));
    const got = back.getACL();
    assert.ok(got instanceof Parse.ACL);
    assert.deepEqual(got.toJSON(), acl.toJSON());
    assert.equal(got.getReadAccess(friend), true);
    assert.equal(got.getWriteAccess(friend), false);
    assert.equal(got.getRoleReadAccess('Auditors'), true);
    assert.equal(got.getRoleWriteAccess('Editors'), true);
    assert.equal(got.getPublicReadAccess(), false);

    const raw = await rest(ctx.server, 'GET', `classes/AclTrip/${obj.id}`, { master: true });
    assert.deepEqual(raw.json.ACL, {
      [owner.id]: { read: true, write: true },
      [friend.id]: { read: true },
      'role:Auditors': { read: true },
      'role:Editors': { write: true },
    });
  });

  it('setRoleReadAccess: members of the role read it, others do not', async () => {
    const { Parse } = ctx;
    const { owner, friend, stranger } = users;
    const roleACL = new Parse.ACL();
    roleACL.setPublicReadAccess(true);
    const role = new Parse.Role('AclReaders', roleACL);
    role.getUsers().add(friend);
    await role.save(null, { useMasterKey: true });

    const acl = privateACL(Parse, owner);
    acl.setRoleReadAccess(role, true);
    const obj = await new Parse.Object('RoleDoc').setACL(acl).save({ t: 'for readers' }, as(owner));

    assert.equal((await new Parse.Query('RoleDoc').get(obj.id, as(friend))).get('t'), 'for readers');
    assert.equal(await new Parse.Query('RoleDoc').count(as(friend)), 1);
    assert.equal((await parseError(() => new Parse.Query('RoleDoc').get(obj.id, as(stranger)))).code, 101);
    assert.equal(await new Parse.Query('RoleDoc').count(as(stranger)), 0);
    // Read access through the role is not write access.
    const copy = await new Parse.Query('RoleDoc').get(obj.id, as(friend));
    assert.equal((await parseError(() => copy.save({ t: 'x' }, as(friend)))).code, 101);
  });
});

describe('limit, skip and count under ACL', () => {
  it('pages and counts reflect only readable rows', async () => {
    const { Parse } = ctx;
    const { owner, friend } = users;
    const objs = [];
    for (let i = 0; i < 30; i++) {
      const o = new Parse.Object('Paged').set({ i });
      if (i % 3 === 0) o.setACL(new Parse.ACL({ '*': { read: true } })); // public
      else if (i % 3 === 1) o.setACL(privateACL(Parse, friend)); // friend only
      else o.setACL(privateACL(Parse, owner)); // owner only
      objs.push(o);
    }
    await Parse.Object.saveAll(objs, { useMasterKey: true });

    const visibleTo = (pred) => objs.map((o) => o.get('i')).filter(pred);
    const expectFriend = visibleTo((i) => i % 3 !== 2);
    const expectAnon = visibleTo((i) => i % 3 === 0);

    assert.equal(await new Parse.Query('Paged').count(as(friend)), 20);
    assert.equal(await new Parse.Query('Paged').count(as(owner)), 20);
    assert.equal(await new Parse.Query('Paged').count(), 10);
    assert.equal(await new Parse.Query('Paged').count({ useMasterKey: true }), 30);

    const pages = [];
    for (let skip = 0; skip < 25; skip += 7) {
      const page = await new Parse.Query('Paged').ascending('i').skip(skip).limit(7).find(as(friend));
      assert.ok(page.length <= 7);
      pages.push(...page.map((o) => o.get('i')));
    }
    assert.deepEqual(pages, expectFriend);

    const anonPage = await new Parse.Query('Paged').ascending('i').skip(3).limit(4).find();
    assert.deepEqual(anonPage.map((o) => o.get('i')), expectAnon.slice(3, 7));

    const withCount = await new Parse.Query('Paged').greaterThan('i', 10).limit(2).withCount().find(as(friend));
    assert.equal(withCount.count, expectFriend.filter((i) => i > 10).length);
    assert.equal(withCount.results.length, 2);

    const last = await new Parse.Query('Paged').descending('i').first(as(friend));
    assert.equal(last.get('i'), expectFriend[expectFriend.length - 1]);
  });
});

describe('pointers to unreadable objects', () => {
  it('include leaves a pointer the caller may not read as a bare pointer', async () => {
    const { Parse } = ctx;
    const { owner, stranger } = users;
    const secret = await new Parse.Object('Vault').setACL(privateACL(Parse, owner)).save({ code: '1234' }, as(owner));
    const open = await new Parse.Object('Vault').save({ code: 'public' });
    const post = await new Parse.Object('Post').save({ title: 't', vault: secret, other: open, list: [secret, open] });

    const forStranger = await new Parse.Query('Post').include(['vault', 'other', 'list']).get(post.id, as(stranger));
    const v = forStranger.get('vault');
    assert.ok(v, 'the pointer itself is kept');
    assert.equal(v.id, secret.id);
    assert.equal(v.isDataAvailable(), false, 'an unreadable pointer is not filled in');
    assert.equal(v.get('code'), undefined);
    assert.equal(forStranger.get('other').get('code'), 'public', 'a readable pointer is included');
    const list = forStranger.get('list');
    assert.equal(list.length, 2);
    assert.equal(list[0].get('code'), undefined);
    assert.equal(list[1].get('code'), 'public');

    const raw = await restAs(ctx.server, stranger, 'GET', `classes/Post/${post.id}`, { query: { include: 'vault' } });
    assert.deepEqual(raw.json.vault, { __type: 'Pointer', className: 'Vault', objectId: secret.id });

    const forOwner = await new Parse.Query('Post').include('vault').get(post.id, as(owner));
    assert.equal(forOwner.get('vault').isDataAvailable(), true);
    assert.equal(forOwner.get('vault').get('code'), '1234');
  });

  it('matchesQuery / doesNotMatchQuery / matchesKeyInQuery subqueries run with the caller\'s ACL', async () => {
    const { Parse } = ctx;
    const { owner, stranger } = users;
    const hidden = await new Parse.Object('Gem').setACL(privateACL(Parse, owner)).save({ kind: 'ruby' }, as(owner));
    await new Parse.Object('Chest').save({ label: 'c1', gem: hidden });
    const inner = () => new Parse.Query('Gem').equalTo('kind', 'ruby');

    const ownerHits = await new Parse.Query('Chest').matchesQuery('gem', inner()).find(as(owner));
    assert.deepEqual(ownerHits.map((c) => c.get('label')), ['c1']);
    const strangerHits = await new Parse.Query('Chest').matchesQuery('gem', inner()).find(as(stranger));
    assert.deepEqual(strangerHits, [], 'the hidden gem cannot be detected through a subquery');
    const notHits = await new Parse.Query('Chest').doesNotMatchQuery('gem', inner()).find(as(stranger));
    assert.deepEqual(notHits.map((c) => c.get('label')), ['c1'], 'for the stranger no ruby exists to exclude c1');
    const notOwner = await new Parse.Query('Chest').doesNotMatchQuery('gem', inner()).find(as(owner));
    assert.deepEqual(notOwner, []);
    const sel = await new Parse.Query('Chest')
      .matchesKeyInQuery('label', 'kind', new Parse.Query('Gem'))
      .find(as(stranger));
    assert.deepEqual(sel, []);
  });
});
