'use strict';
// Parse.Role through the SDK: roles with ACLs, users and child roles,
// inheritance to any depth, cycles, revocation on the next request, and the
// role's own ACL protecting its membership.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError } = require('../helpers/server');
const { signUp, as, restAs, assertRefused, uniqueName } = require('../helpers/users');

const ctx = useServer({ name: 'roles' });

const users = {};
ctx.setup(async ({ Parse }) => {
  for (const n of ['admin', 'mod', 'member', 'outsider', 'deep']) users[n] = await signUp(Parse, n);
});

// A role name unique in this file (letters, digits, _ only).
const roleName = (p) => uniqueName(p).replace(/[^A-Za-z0-9_]/g, '_');

// makeRole creates a role owned by the admin user (public read).
async function makeRole(Parse, name, members = []) {
  const acl = new Parse.ACL(users.admin);
  acl.setPublicReadAccess(true);
  const role = new Parse.Role(name, acl);
  if (members.length) role.getUsers().add(members);
  await role.save(null, as(users.admin));
  return role;
}

// guarded creates an object only members of roleName can read (and write).
async function guarded(Parse, className, name, data) {
  const acl = new Parse.ACL();
  acl.setRoleReadAccess(name, true);
  acl.setRoleWriteAccess(name, true);
  return new Parse.Object(className).setACL(acl).save(data, { useMasterKey: true });
}

const canRead = async (Parse, className, id, user) => {
  try {
    await new Parse.Query(className).get(id, as(user));
    return true;
  } catch (err) {
    assert.equal(err.code, 101, `an unreadable object is 101, got ${err.code} ${err.message}`);
    return false;
  }
};

describe('creating roles', () => {
  it('a role is created with its ACL, name and users; it reads back through Parse.Query(Parse.Role)', async () => {
    const { Parse } = ctx;
    const name = roleName('Staff');
    const role = await makeRole(Parse, name, [users.member]);
    assert.ok(role.id);
    const back = await new Parse.Query(Parse.Role).equalTo('name', name).first();
    assert.ok(back instanceof Parse.Role);
    assert.equal(back.getName(), name);
    assert.deepEqual(back.getACL().toJSON(), { '*': { read: true }, [users.admin.id]: { read: true, write: true } });
    const members = await back.getUsers().query().find();
    assert.deepEqual(members.map((u) => u.id), [users.member.id]);
    const rolesOfMember = await new Parse.Query(Parse.Role).equalTo('users', users.member).find();
    assert.ok(rolesOfMember.some((r) => r.id === role.id));
  });

  it('a duplicate role name is refused (137) and an invalid one too', async () => {
    const { Parse } = ctx;
    const name = roleName('Dup');
    await makeRole(Parse, name);
    const res = await rest(ctx.server, 'POST', 'roles', { master: true, body: { name, ACL: { '*': { read: true } } } });
    assertRefused(res, 137, 400);
    const bad = await rest(ctx.server, 'POST', 'roles', { master: true, body: { name: 'no/slashes!', ACL: { '*': { read: true } } } });
    assertRefused(bad, [139, 142]);
    const missing = await rest(ctx.server, 'POST', 'roles', { master: true, body: { ACL: { '*': { read: true } } } });
    assertRefused(missing, [139, 142, 111]);
    const count = await new Parse.Query(Parse.Role).equalTo('name', name).count();
    assert.equal(count, 1);
  });

  it('a role\'s name cannot be changed', async () => {
    const { Parse } = ctx;
    const name = roleName('Fixed');
    const role = await makeRole(Parse, name);
    const res = await rest(ctx.server, 'PUT', `roles/${role.id}`, { master: true, body: { name: roleName('Renamed') } });
    assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
    const back = await new Parse.Query(Parse.Role).get(role.id);
    assert.equal(back.getName(), name);
  });
});

describe('permissions through roles', () => {
  it('role.getUsers().add(user) grants the role\'s access; removing the user revokes it on the next request', async () => {
    const { Parse } = ctx;
    const name = roleName('Readers');
    const role = await makeRole(Parse, name);
    const doc = await guarded(Parse, 'RoleGuarded', name, { v: 1 });
    assert.equal(await canRead(Parse, 'RoleGuarded', doc.id, users.member), false, 'not a member yet');

    role.getUsers().add(users.member);
    await role.save(null, as(users.admin));
    assert.equal(await canRead(Parse, 'RoleGuarded', doc.id, users.member), true, 'member now');
    const copy = await new Parse.Query('RoleGuarded').get(doc.id, as(users.member));
    await copy.save({ v: 2 }, as(users.member));

    role.getUsers().remove(users.member);
    await role.save(null, as(users.admin));
    assert.equal(await canRead(Parse, 'RoleGuarded', doc.id, users.member), false, 'removal takes effect at once');
    assert.equal((await parseError(() => copy.save({ v: 3 }, as(users.member)))).code, 101);
    assert.equal((await new Parse.Query('RoleGuarded').get(doc.id, { useMasterKey: true })).get('v'), 2);
  });

  it('role.getRoles().add(child): the child role\'s users get the parent\'s permissions (inheritance)', async () => {
    const { Parse } = ctx;
    const parentName = roleName('Moderators');
    const childName = roleName('Admins');
    const parent = await makeRole(Parse, parentName, [users.mod]);
    const child = await makeRole(Parse, childName, [users.admin]);
    const modDoc = await guarded(Parse, 'ModOnly', parentName, { t: 'moderation queue' });
    const adminDoc = await guarded(Parse, 'ModOnly', childName, { t: 'admin panel' });

    assert.equal(await canRead(Parse, 'ModOnly', modDoc.id, users.admin), false, 'before linking');
    parent.getRoles().add(child);
    await parent.save(null, as(users.admin));

    assert.equal(await canRead(Parse, 'ModOnly', modDoc.id, users.admin), true, 'admins inherit moderators\' access');
    assert.equal(await canRead(Parse, 'ModOnly', adminDoc.id, users.mod), false, 'inheritance does not go upwards');
    assert.equal(await new Parse.Query('ModOnly').count(as(users.admin)), 2);
    assert.equal(await new Parse.Query('ModOnly').count(as(users.mod)), 1);

    parent.getRoles().remove(child);
    await parent.save(null, as(users.admin));
    assert.equal(await canRead(Parse, 'ModOnly', modDoc.id, users.admin), false, 'unlinking revokes the inherited access');
  });

  it('inheritance is followed to any depth, and a cycle neither hangs nor grants more', async () => {
    const { Parse } = ctx;
    const names = [roleName('L0'), roleName('L1'), roleName('L2'), roleName('L3')];
    const roles = [];
    for (const n of names) roles.push(await makeRole(Parse, n));
    // L0 <- L1 <- L2 <- L3: members of L3 get L0's permissions.
    for (let i = 0; i < 3; i++) {
      roles[i].getRoles().add(roles[i + 1]);
      await roles[i].save(null, as(users.admin));
    }
    roles[3].getUsers().add(users.deep);
    await roles[3].save(null, as(users.admin));
    const top = await guarded(Parse, 'DeepDoc', names[0], { x: 1 });
    assert.equal(await canRead(Parse, 'DeepDoc', top.id, users.deep), true, 'three levels down');

    // Close a cycle: L3's roles include L0.
    roles[3].getRoles().add(roles[0]);
    await roles[3].save(null, as(users.admin));
    const bottom = await guarded(Parse, 'DeepDoc', names[3], { x: 2 });
    assert.equal(await canRead(Parse, 'DeepDoc', top.id, users.deep), true);
    assert.equal(await canRead(Parse, 'DeepDoc', bottom.id, users.deep), true);
    assert.equal(await canRead(Parse, 'DeepDoc', bottom.id, users.outsider), false);
  });

  it('setRoleWriteAccess lets members update, non-members get 101', async () => {
    const { Parse } = ctx;
    const name = roleName('Editors');
    await makeRole(Parse, name, [users.member]);
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    acl.setRoleWriteAccess(name, true);
    const doc = await new Parse.Object('Article').setACL(acl).save({ body: 'v1' }, { useMasterKey: true });
    const asMember = await new Parse.Query('Article').get(doc.id, as(users.member));
    await asMember.save({ body: 'v2' }, as(users.member));
    const asOutsider = await new Parse.Query('Article').get(doc.id, as(users.outsider));
    assert.equal((await parseError(() => asOutsider.save({ body: 'v3' }, as(users.outsider)))).code, 101);
    assert.equal((await new Parse.Query('Article').get(doc.id)).get('body'), 'v2');
  });

  it('deleting a role revokes what it granted', async () => {
    const { Parse } = ctx;
    const name = roleName('Temp');
    const role = await makeRole(Parse, name, [users.member]);
    const doc = await guarded(Parse, 'TempDoc', name, { x: 1 });
    assert.equal(await canRead(Parse, 'TempDoc', doc.id, users.member), true);
    await role.destroy(as(users.admin));
    assert.equal(await canRead(Parse, 'TempDoc', doc.id, users.member), false);
  });
});

describe('role changes take effect at once on every path', () => {
  it('removing a user through raw REST, a batch, or from a child role revokes access on the next request', async () => {
    const { Parse } = ctx;
    const parentName = roleName('RevParent');
    const childName = roleName('RevChild');
    const parent = await makeRole(Parse, parentName);
    const child = await makeRole(Parse, childName, [users.deep]);
    parent.getRoles().add(child);
    parent.getUsers().add([users.member, users.mod]);
    await parent.save(null, as(users.admin));
    const doc = await guarded(Parse, 'RevDoc', parentName, { x: 1 });
    for (const who of [users.member, users.mod, users.deep]) {
      assert.equal(await canRead(Parse, 'RevDoc', doc.id, who), true, 'read once, so the role set is cached');
    }
    const ptr = (user) => ({ __type: 'Pointer', className: '_User', objectId: user.id });

    const put = await rest(ctx.server, 'PUT', `classes/_Role/${parent.id}`, {
      master: true,
      body: { users: { __op: 'RemoveRelation', objects: [ptr(users.member)] } },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(await canRead(Parse, 'RevDoc', doc.id, users.member), false, 'PUT classes/_Role');

    const batch = await rest(ctx.server, 'POST', 'batch', {
      master: true,
      body: { requests: [{ method: 'PUT', path: `/parse/roles/${parent.id}`, body: { users: { __op: 'RemoveRelation', objects: [ptr(users.mod)] } } }] },
    });
    assert.ok(batch.json[0].success, batch.text);
    assert.equal(await canRead(Parse, 'RevDoc', doc.id, users.mod), false, 'batch');

    child.getUsers().remove(users.deep);
    await child.save(null, as(users.admin));
    assert.equal(await canRead(Parse, 'RevDoc', doc.id, users.deep), false, 'removal from the child role');
  });

  it('deleting a child role or its user (master key) revokes inherited access at once', async () => {
    const { Parse } = ctx;
    const parentName = roleName('DelParent');
    const parent = await makeRole(Parse, parentName);
    const child = await makeRole(Parse, roleName('DelChild'), [users.member]);
    parent.getRoles().add(child);
    await parent.save(null, as(users.admin));
    const doc = await guarded(Parse, 'DelDoc', parentName, { x: 1 });
    assert.equal(await canRead(Parse, 'DelDoc', doc.id, users.member), true);
    const del = await rest(ctx.server, 'DELETE', `roles/${child.id}`, { master: true });
    assert.equal(del.status, 200, del.text);
    assert.equal(await canRead(Parse, 'DelDoc', doc.id, users.member), false);
  });
});

describe('the role\'s own ACL protects its membership', () => {
  it('a user without write access on the role cannot add themself or a child role', async () => {
    const { Parse } = ctx;
    const name = roleName('Closed');
    const role = await makeRole(Parse, name, [users.member]);
    const doc = await guarded(Parse, 'ClosedDoc', name, { x: 1 });

    const copy = await new Parse.Query(Parse.Role).get(role.id, as(users.outsider));
    copy.getUsers().add(users.outsider);
    assert.equal((await parseError(() => copy.save(null, as(users.outsider)))).code, 101);

    const mine = await makeRoleAs(Parse, users.outsider, roleName('Mine'));
    const copy2 = await new Parse.Query(Parse.Role).get(role.id, as(users.outsider));
    copy2.getRoles().add(mine);
    assert.equal((await parseError(() => copy2.save(null, as(users.outsider)))).code, 101);

    const raw = await restAs(ctx.server, users.outsider, 'PUT', `roles/${role.id}`, {
      body: { users: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: users.outsider.id }] } },
    });
    assertRefused(raw, 101, 404);

    assert.equal(await canRead(Parse, 'ClosedDoc', doc.id, users.outsider), false);
    const members = await (await new Parse.Query(Parse.Role).get(role.id)).getUsers().query().find({ useMasterKey: true });
    assert.deepEqual(members.map((u) => u.id), [users.member.id]);
  });

  it('a user\'s own role naming itself after another role grants nothing of it', async () => {
    const { Parse } = ctx;
    const name = roleName('Real');
    await makeRole(Parse, name, [users.member]);
    const doc = await guarded(Parse, 'RealDoc', name, { x: 1 });
    // Same name is refused, so the outsider cannot shadow the role.
    const acl = new Parse.ACL(users.outsider);
    const fake = new Parse.Role(name, acl);
    fake.getUsers().add(users.outsider);
    const err = await parseError(() => fake.save(null, as(users.outsider)));
    assert.equal(err.code, 137, err.message);
    assert.equal(await canRead(Parse, 'RealDoc', doc.id, users.outsider), false);
  });
});

async function makeRoleAs(Parse, user, name) {
  const role = new Parse.Role(name, new Parse.ACL(user));
  await role.save(null, as(user));
  return role;
}
