'use strict';
// The security holes of issue 8, where a client meets them, through the
// parse SDK: each test says which hole it closes. (Slow bodies, hole 11's
// first half, need a raw TCP client: test/integration and core/server.)
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError, logMark, waitForLog, serverLog } = require('../helpers/server');
const { signUp, as, uniqueName, passwordOf } = require('../helpers/users');

const ctx = useServer({ name: 'hardening' });

// resetLink asks for a reset mail through the SDK and returns the link's
// form fields.
async function resetLink(Parse, email, username) {
  const mark = logMark(ctx.server);
  await Parse.User.requestPasswordReset(email);
  const m = await waitForLog(ctx.server, /msg="mail message"[^\n]*?(http\S*?request_password_reset\?[^\s"\\]+)/, { from: mark });
  const url = new URL(m[1].replace(/&amp;/g, '&'));
  return { path: url.pathname, form: new URLSearchParams({ username, token: url.searchParams.get('token'), new_password: 'attacker' }) };
}

describe('issue 8 holes, through the SDK', () => {
  it('hole 1: a dotted authData key is refused on signup and on save (105)', async () => {
    const { Parse } = ctx;
    const user = new Parse.User();
    const username = uniqueName('dotted');
    user.set({ username, password: passwordOf(username) });
    user.set('authData.github.id', '4242');
    assert.equal((await parseError(() => user.signUp())).code, 105);

    const mallory = await signUp(Parse, 'mallory');
    for (const key of ['authData.github.id', 'email.x', 'password.x']) {
      const copy = Parse.User.createWithoutData(mallory.id);
      copy.set(key, '4242');
      assert.equal((await parseError(() => copy.save(null, as(mallory)))).code, 105, key);
    }
    const stored = await rest(ctx.server, 'GET', `users/${mallory.id}`, { master: true });
    assert.equal(stored.json.authData, undefined, stored.text);
  });

  it('hole 2: a $regex over the length limit or with exploding repeats is 102', async () => {
    const { Parse } = ctx;
    await new Parse.Object('HardNote').save({ s: 'aaa' });
    for (const pattern of ['a'.repeat(1001), '(.*){1,1000}z', '(?:x.*){100}']) {
      const err = await parseError(() => new Parse.Query('HardNote').matches('s', pattern).find());
      assert.equal(err.code, 102, pattern.slice(0, 20));
    }
    assert.equal((await new Parse.Query('HardNote').matches('s', '^a{2,3}$').find()).length, 1);
  });

  it('hole 3: distinct never reads internal fields, even with the master key (105)', async () => {
    const { Parse } = ctx;
    await signUp(Parse, 'hashed');
    for (const field of ['_hashed_password', '_perishable_token', '_email_verify_token', '_rperm']) {
      assert.equal((await parseError(() => new Parse.Query(Parse.User).distinct(field))).code, 105, field);
    }
    assert.ok((await new Parse.Query(Parse.User).distinct('username')).length >= 1);
  });

  it('hole 4: an Increment of 0 on a protected field does not read it', async () => {
    const { Parse } = ctx;
    const schema = new Parse.Schema('HardWallet');
    schema.addNumber('balance');
    schema.setCLP({ get: { '*': true }, find: { '*': true }, count: { '*': true }, create: { '*': true }, update: { '*': true },
      delete: { '*': true }, addField: { '*': true }, protectedFields: { '*': ['balance'] } });
    await schema.save();
    const wallet = await new Parse.Object('HardWallet').save({ balance: 1234 }, { useMasterKey: true });
    const mine = Parse.Object.extend('HardWallet').createWithoutData(wallet.id);
    mine.increment('balance', 0);
    await mine.save();
    assert.notEqual(mine.get('balance'), 1234, 'the reply carried the protected value');
    const raw = await rest(ctx.server, 'PUT', `classes/HardWallet/${wallet.id}`, { body: { balance: { __op: 'Increment', amount: 0 } } });
    assert.equal(raw.json.balance, undefined, raw.text);
  });

  it('hole 5: relation.query() on an owner the caller cannot read finds nothing', async () => {
    const { Parse } = ctx;
    const alice = await signUp(Parse, 'alice5');
    const bob = await signUp(Parse, 'bob5');
    const secret = await new Parse.Object('HardItem').save({ n: 1 });
    const box = new Parse.Object('HardBox');
    box.relation('items').add(secret);
    box.setACL(new Parse.ACL(alice));
    await box.save(null, as(alice));
    const owners = (await new Parse.Query('HardBox').get(box.id, as(alice))).relation('items');
    assert.equal((await owners.query().find(as(alice))).length, 1);
    const stranger = new Parse.Object('HardBox');
    stranger.id = box.id; // the id leaked; the box did not
    assert.equal((await stranger.relation('items').query().find(as(bob))).length, 0);
    assert.equal((await stranger.relation('items').query().find()).length, 0);
  });

  it('hole 6: clients cannot list, delete or take over installations (119)', async () => {
    const { Parse } = ctx;
    const inst = await rest(ctx.server, 'POST', 'installations', {
      body: { deviceType: 'ios', installationId: 'dev-hard-1', deviceToken: 'apns-secret' },
      headers: { 'X-Parse-Installation-Id': 'dev-hard-1' },
    });
    assert.equal(inst.status, 201, inst.text);
    assert.equal((await parseError(() => new Parse.Query(Parse.Installation).find())).code, 119);
    assert.equal((await parseError(() => new Parse.Query(Parse.Installation).count())).code, 119);
    const target = Parse.Installation.createWithoutData(inst.json.objectId);
    assert.equal((await parseError(() => target.destroy())).code, 119);
    target.set('deviceToken', 'evil');
    assert.equal((await parseError(() => target.save())).code, 119);
    const stored = await rest(ctx.server, 'GET', `installations/${inst.json.objectId}`, { master: true });
    assert.equal(stored.json.deviceToken, 'apns-secret');
  });

  it('hole 7: email or mobilePhoneNumber as an operator is a 4xx, not a 500', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'ops7');
    for (const field of ['email', 'mobilePhoneNumber']) {
      const copy = Parse.User.createWithoutData(user.id);
      copy.increment(field);
      const err = await parseError(() => copy.save(null, as(user)));
      assert.ok(err.code >= 100 && err.code !== 1, `${field}: ${err.code} ${err.message}`);
    }
  });

  it('hole 8: a reset link stops working once the password changes', async () => {
    const { Parse } = ctx;
    const email = `${uniqueName('reset8')}@example.com`.toLowerCase();
    const user = await signUp(Parse, 'reset8', { email });
    const { path, form } = await resetLink(Parse, email, user.getUsername());
    user.setPassword('changed-by-owner');
    await user.save(null, as(user));
    const post = await fetch(new URL(path, ctx.server.base), { method: 'POST', body: form });
    assert.equal(post.status, 400, 'the old link changed the password');
    const relog = await Parse.User.logIn(user.getUsername(), 'changed-by-owner');
    assert.equal(relog.id, user.id);
  });

  it('hole 9: requestEmailVerification answers the same for unknown and verified addresses', async () => {
    const { Parse } = ctx;
    const known = `${uniqueName('known9')}@example.com`.toLowerCase();
    await signUp(Parse, 'known9', { email: known });
    const mark = logMark(ctx.server);
    const nobody = `${uniqueName('nobody9')}@example.com`.toLowerCase();
    await Parse.User.requestEmailVerification(nobody);
    await Parse.User.requestEmailVerification(known);
    await waitForLog(ctx.server, new RegExp(`msg="mail message"[^\\n]*to=${known.replace(/[.]/g, '\\.')}`), { from: mark });
    assert.ok(!serverLog(ctx.server).slice(mark).includes(nobody), 'a mail went to an address with no account');
  });

  it('hole 10: purging _Session or _Role takes effect at once', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'purge10');
    const role = new Parse.Role('Purgers10', new Parse.ACL());
    role.getUsers().add(user);
    await role.save(null, { useMasterKey: true });
    const memo = new Parse.Object('HardMemo', { text: 'role only' });
    const acl = new Parse.ACL();
    acl.setRoleReadAccess('Purgers10', true);
    memo.setACL(acl);
    await memo.save(null, { useMasterKey: true });
    assert.equal((await new Parse.Query('HardMemo').get(memo.id, as(user))).get('text'), 'role only'); // cached now
    await new Parse.Schema('_Role').purge();
    assert.equal((await parseError(() => new Parse.Query('HardMemo').get(memo.id, as(user)))).code, 101);
    assert.equal((await Parse.User.me(user.getSessionToken())).id, user.id); // cached now
    await new Parse.Schema('_Session').purge();
    assert.equal((await parseError(() => Parse.User.me(user.getSessionToken()))).code, 209);
  });

  it('hole 11: a dotted Increment on an object the caller may not write is 101, not 111; polygons are bounded', async () => {
    const { Parse } = ctx;
    const owner = await signUp(Parse, 'owner11');
    const other = await signUp(Parse, 'other11');
    const profile = new Parse.Object('HardProfile', { meta: { name: 'secret' } });
    profile.setACL(new Parse.ACL(owner));
    await profile.save(null, as(owner));
    const probe = Parse.Object.extend('HardProfile').createWithoutData(profile.id);
    probe.increment('meta.name');
    assert.equal((await parseError(() => probe.save(null, as(other)))).code, 101);
    const probe2 = Parse.Object.extend('HardProfile').createWithoutData(profile.id);
    probe2.increment('meta.name');
    assert.equal((await parseError(() => probe2.save(null, as(owner)))).code, 111, 'the owner gets the real error');

    const ring = Array.from({ length: 10001 }, (_, i) => [Math.sin(i) * 10, Math.cos(i) * 10]);
    const err = await parseError(() => new Parse.Object('HardArea').save({ shape: new Parse.Polygon(ring) }));
    assert.equal(err.code, 116);
  });
});

