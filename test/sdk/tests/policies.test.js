'use strict';
// Rego policies through the parse SDK: the worked examples of the policy
// guide (policies/testdata/examples, loaded with policies.dir), on the
// routes an app uses: queries, counts, include, matchesQuery, relations,
// saveAll and destroy. The master key bypasses policies.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { useServer, parseError, REPO_ROOT } = require('../helpers/server');
const { signUp, as } = require('../helpers/users');

const ctx = useServer({
  name: 'policies',
  env: { SWITCHBOARD_POLICIES__DIR: path.join(REPO_ROOT, 'policies', 'testdata', 'examples') },
});
const master = { useMasterKey: true };

const w = {};
ctx.setup(async ({ Parse }) => {
  w.alice = await signUp(Parse, 'alice');
  w.bob = await signUp(Parse, 'bob');
  w.carol = await signUp(Parse, 'carol');
  const Team = Parse.Object.extend('Team');
  w.team1 = await new Team({ name: 'one' }).save(null, master);
  w.team2 = await new Team({ name: 'two' }).save(null, master);
  for (const [team, user] of [[w.team1, w.alice], [w.team2, w.bob]]) {
    const roleACL = new Parse.ACL();
    roleACL.setPublicReadAccess(true);
    const role = new Parse.Role(`team_${team.id}`, roleACL);
    role.getUsers().add(user);
    await role.save(null, master);
  }
  w.docs = {};
  for (const [name, team] of [['a1', w.team1], ['a2', w.team1], ['b1', w.team2]]) {
    const doc = await new Parse.Object('Document', { title: name, team }).save(null, master);
    w.docs[name] = doc;
    await new Parse.Object('Comment', { text: `on ${name}`, doc }).save(null, master);
    team.relation('docs').add(doc);
    await team.save(null, master);
  }
});

const titles = (list) => list.map((o) => o.get('title')).sort();

describe('members of a team see the team\'s documents', () => {
  it('find and count are filtered per caller; the master key sees all', async () => {
    const { Parse } = ctx;
    assert.deepEqual(titles(await new Parse.Query('Document').find(as(w.alice))), ['a1', 'a2']);
    assert.deepEqual(titles(await new Parse.Query('Document').find(as(w.bob))), ['b1']);
    assert.deepEqual(await new Parse.Query('Document').find(as(w.carol)), []);
    assert.deepEqual(await new Parse.Query('Document').find(), []);
    assert.equal(await new Parse.Query('Document').count(as(w.alice)), 2);
    assert.equal((await new Parse.Query('Document').find(master)).length, 3);
  });

  it('get of another team\'s document is 101, and a where cannot reach past the filter', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => new Parse.Query('Document').get(w.docs.b1.id, as(w.alice)));
    assert.equal(err.code, Parse.Error.OBJECT_NOT_FOUND);
    const or = Parse.Query.or(new Parse.Query('Document').equalTo('team', w.team2), new Parse.Query('Document').exists('title'));
    assert.deepEqual(titles(await or.find(as(w.alice))), ['a1', 'a2']);
  });

  it('include, matchesQuery and relation queries keep the filter', async () => {
    const { Parse } = ctx;
    const comments = await new Parse.Query('Comment').include('doc').find(as(w.alice));
    assert.equal(comments.length, 3, 'comments themselves are not guarded');
    for (const c of comments) {
      const readable = c.get('text') !== 'on b1';
      assert.equal(c.get('doc').has('title'), readable, `${c.get('text')}: included only when readable`);
    }
    const inDocs = await new Parse.Query('Comment').matchesQuery('doc', new Parse.Query('Document')).find(as(w.alice));
    assert.deepEqual(inDocs.map((c) => c.get('text')).sort(), ['on a1', 'on a2']);
    const notInDocs = await new Parse.Query('Comment').doesNotMatchQuery('doc', new Parse.Query('Document')).find(as(w.alice));
    assert.deepEqual(notInDocs.map((c) => c.get('text')), ['on b1']);
    const team2 = await new Parse.Query('Team').get(w.team2.id, as(w.alice));
    assert.deepEqual(await team2.relation('docs').query().find(as(w.alice)), []);
    const team1 = await new Parse.Query('Team').get(w.team1.id, as(w.alice));
    assert.deepEqual(titles(await team1.relation('docs').query().find(as(w.alice))), ['a1', 'a2']);
  });

  it('writes go only into one\'s own teams, saveAll included', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => new Parse.Object('Document', { title: 'x', team: w.team2 }).save(null, as(w.alice)));
    assert.equal(err.code, Parse.Error.OPERATION_FORBIDDEN, err.message);
    const ok = await new Parse.Object('Document', { title: 'a3', team: w.team1 }).save(null, as(w.alice));
    assert.ok(ok.id);
    const batchErr = await parseError(() =>
      Parse.Object.saveAll([new Parse.Object('Document', { title: 'a4', team: w.team1 }), new Parse.Object('Document', { title: 'b2', team: w.team2 })], as(w.alice)),
    );
    assert.ok(batchErr, 'saveAll with one forbidden object fails');
    const moved = await new Parse.Query('Document').get(w.docs.a1.id, as(w.alice));
    moved.set('team', w.team2);
    const moveErr = await parseError(() => moved.save(null, as(w.alice)));
    assert.equal(moveErr.code, Parse.Error.OPERATION_FORBIDDEN);
    const delErr = await parseError(() => w.docs.b1.destroy(as(w.alice)));
    assert.equal(delErr.code, Parse.Error.OPERATION_FORBIDDEN);
    await ok.destroy(as(w.alice));
  });
});

describe('only the author may edit, within 24 hours', () => {
  it('authors create and edit their posts; others read published ones only', async () => {
    const { Parse } = ctx;
    const publicACL = () => {
      const acl = new Parse.ACL();
      acl.setPublicReadAccess(true);
      acl.setPublicWriteAccess(true);
      return acl;
    };
    const spoof = await parseError(() => new Parse.Object('Post', { author: w.alice, published: false }).setACL(publicACL()).save(null, as(w.bob)));
    assert.equal(spoof.code, Parse.Error.OPERATION_FORBIDDEN);
    const draft = await new Parse.Object('Post', { title: 'draft', author: w.alice, published: false }).setACL(publicACL()).save(null, as(w.alice));
    const pub = await new Parse.Object('Post', { title: 'pub', author: w.alice, published: true }).setACL(publicACL()).save(null, as(w.alice));
    assert.deepEqual(titles(await new Parse.Query('Post').find(as(w.bob))), ['pub']);
    assert.deepEqual(titles(await new Parse.Query('Post').find(as(w.alice))), ['draft', 'pub']);

    draft.set('title', 'edited');
    await draft.save(null, as(w.alice));
    const bobsCopy = await new Parse.Query('Post').get(pub.id, as(w.bob));
    bobsCopy.set('title', 'hijacked');
    const editErr = await parseError(() => bobsCopy.save(null, as(w.bob)));
    assert.equal(editErr.code, Parse.Error.OPERATION_FORBIDDEN);
    draft.set('author', w.bob);
    const handErr = await parseError(() => draft.save(null, as(w.alice)));
    assert.equal(handErr.code, Parse.Error.OPERATION_FORBIDDEN);
    const delErr = await parseError(() => pub.destroy(as(w.alice)));
    assert.equal(delErr.code, Parse.Error.OPERATION_FORBIDDEN);
    await pub.destroy(master);
  });
});
