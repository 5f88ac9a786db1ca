'use strict';
// Parse.User through the SDK: signUp, logIn, logOut, become, current user,
// /users/me, saving oneself and others, uniqueness and validation errors,
// password change and reset, verifyPassword. Plus bad input on these routes.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError, logMark, waitForLog, OBJECT_ID, ISO_MS_Z } = require('../helpers/server');
const { signUp, uniqueName, passwordOf, as, restAs, assertRefused } = require('../helpers/users');

// Many logins from one address: the per-IP login limit is tested elsewhere.
const ctx = useServer({ name: 'users', env: { SWITCHBOARD_LOGIN_RATE_LIMIT__REQUESTS: '-1' } });

const TOKEN = /^r:[0-9a-f]{32}$/;

// Tests that set a current user must leave none behind, or later SDK calls
// would silently carry its session.
async function clearCurrentUser(Parse) {
  Parse.User.enableUnsafeCurrentUser();
  const cur = await Parse.User.currentAsync();
  if (cur) await Parse.User.logOut().catch(() => {});
  Parse.User.disableUnsafeCurrentUser();
}
after(async () => {
  if (ctx.Parse) await clearCurrentUser(ctx.Parse);
});

describe('signUp', () => {
  it('answers an objectId, createdAt and an r:<32 hex> session token; the password is not kept on the object', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'signup', { nickname: 'ada' });
    assert.match(user.id, OBJECT_ID);
    assert.ok(user.createdAt instanceof Date);
    assert.match(user.getSessionToken(), TOKEN);
    assert.equal(user.get('password'), undefined);
    assert.equal(user.get('nickname'), 'ada');
    assert.equal(user.existed(), false);
  });

  it('raw POST /users: 201 with Location, {objectId, createdAt, sessionToken} only', async () => {
    const username = uniqueName('rawsignup');
    const res = await rest(ctx.server, 'POST', 'users', { body: { username, password: 'secret', score: 3 } });
    assert.equal(res.status, 201, res.text);
    assert.match(res.json.objectId, OBJECT_ID);
    assert.match(res.json.createdAt, ISO_MS_Z);
    assert.match(res.json.sessionToken, TOKEN);
    assert.equal(res.json.password, undefined);
    assert.ok((res.headers.get('location') || '').endsWith(`/users/${res.json.objectId}`), res.headers.get('location'));
  });

  it('no internal or secret field is ever returned, even to the master key', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'secret');
    for (const res of [
      await rest(ctx.server, 'GET', `users/${user.id}`, { master: true }),
      await restAs(ctx.server, user, 'GET', 'users/me'),
      await rest(ctx.server, 'GET', `classes/_User/${user.id}`),
    ]) {
      assert.equal(res.status, 200, res.text);
      for (const k of Object.keys(res.json)) assert.ok(!k.startsWith('_'), `internal field ${k} leaked: ${res.text}`);
      assert.equal(res.json.password, undefined, res.text);
    }
  });

  it('a new user gets ACL {*: read, self: read+write}', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'acl');
    const fetched = await new Parse.Query(Parse.User).get(user.id, { useMasterKey: true });
    const acl = fetched.getACL();
    assert.ok(acl, 'the user has an ACL');
    assert.deepEqual(acl.toJSON(), { '*': { read: true }, [user.id]: { read: true, write: true } });
  });

  it('duplicate username is 202', async () => {
    const { Parse } = ctx;
    const first = await signUp(Parse, 'dup');
    const again = new Parse.User({ username: first.getUsername(), password: 'other' });
    const err = await parseError(() => again.signUp());
    assert.equal(err.code, Parse.Error.USERNAME_TAKEN, err.message);
    assert.equal(err.code, 202);
  });

  it('duplicate email in another letter case is 203', async () => {
    const { Parse } = ctx;
    const local = uniqueName('mail').toLowerCase();
    await signUp(Parse, 'mail1', { email: `${local}@example.com` });
    const err = await parseError(() => signUp(Parse, 'mail2', { email: `${local.toUpperCase()}@Example.COM` }));
    assert.equal(err.code, Parse.Error.EMAIL_TAKEN, err.message);
    assert.equal(err.code, 203);
  });

  it('e-mail is stored lower-cased', async () => {
    const { Parse } = ctx;
    const local = uniqueName('Case');
    const user = await signUp(Parse, 'case', { email: `${local}@Example.Com` });
    const me = await Parse.User.me(user.getSessionToken());
    assert.equal(me.getEmail(), `${local}@example.com`.toLowerCase());
  });

  it('invalid email is 125 on signUp and on update', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => signUp(Parse, 'badmail', { email: 'not-an-email' }));
    assert.equal(err.code, Parse.Error.INVALID_EMAIL_ADDRESS, err.message);
    const user = await signUp(Parse, 'badmail2');
    user.setEmail('also@not@valid');
    const err2 = await parseError(() => user.save(null, as(user)));
    assert.equal(err2.code, 125, err2.message);
  });

  it('missing username is 200, missing password is 201 (raw)', async () => {
    assertRefused(await rest(ctx.server, 'POST', 'users', { body: { password: 'x' } }), 200, 400);
    assertRefused(await rest(ctx.server, 'POST', 'users', { body: { username: uniqueName('nopw') } }), 201, 400);
    assertRefused(await rest(ctx.server, 'POST', 'users', { body: { username: '', password: 'x' } }), 200, 400);
  });

  it('a client cannot set emailVerified (119)', async () => {
    const res = await rest(ctx.server, 'POST', 'users', {
      body: { username: uniqueName('ev'), password: 'x', email: `${uniqueName('ev')}@example.com`, emailVerified: true },
    });
    assertRefused(res, 119, 400);
  });
});

describe('logIn / logOut', () => {
  it('logIn answers the user with a new session token', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'login', { nickname: 'grace' });
    const logged = await Parse.User.logIn(user.getUsername(), passwordOf(user.getUsername()));
    assert.equal(logged.id, user.id);
    assert.match(logged.getSessionToken(), TOKEN);
    assert.notEqual(logged.getSessionToken(), user.getSessionToken());
    assert.equal(logged.get('nickname'), 'grace');
    assert.equal(logged.get('password'), undefined);
    assert.ok(logged.existed());
  });

  it('logIn by POST with the e-mail address instead of the username', async () => {
    const { Parse } = ctx;
    const email = `${uniqueName('bymail')}@example.com`.toLowerCase();
    const user = await signUp(Parse, 'bymail', { email });
    const res = await rest(ctx.server, 'POST', 'login', { body: { email, password: passwordOf(user.getUsername()) } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.objectId, user.id);
    assert.match(res.json.sessionToken, TOKEN);
    assert.equal(res.json.email, email, 'a user sees their own e-mail in the login answer');
  });

  it('wrong password and unknown username are both 101 "Invalid username/password."', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'wrongpw');
    const err = await parseError(() => Parse.User.logIn(user.getUsername(), 'not-the-password'));
    assert.equal(err.code, Parse.Error.OBJECT_NOT_FOUND);
    assert.equal(err.message, 'Invalid username/password.');
    const err2 = await parseError(() => Parse.User.logIn(uniqueName('nobody'), 'whatever'));
    assert.equal(err2.code, 101);
    assert.equal(err2.message, err.message, 'the two cases are indistinguishable');
    const raw = await rest(ctx.server, 'GET', 'login', { query: { username: user.getUsername(), password: 'nope' } });
    assertRefused(raw, 101, 404);
  });

  it('logOut ends the session: the token is then 209', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'logout');
    const token = user.getSessionToken();
    const me = await Parse.User.me(token);
    assert.equal(me.id, user.id);
    await Parse.User.logOut({ sessionToken: token });
    const err = await parseError(() => Parse.User.me(token));
    assert.equal(err.code, Parse.Error.INVALID_SESSION_TOKEN, err.message);
    const again = await rest(ctx.server, 'POST', 'logout', { headers: { 'X-Parse-Session-Token': token } });
    assertRefused(again, 209, 400);
  });

  it('logging out one session leaves the user\'s other sessions alive', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'logout2');
    // Another device: a login from the same installation would replace the session.
    const second = await Parse.User.logIn(user.getUsername(), passwordOf(user.getUsername()), { installationId: 'inst-logout2-b' });
    await Parse.User.logOut(as(second));
    assert.equal((await Parse.User.me(user.getSessionToken())).id, user.id);
    assert.equal((await parseError(() => Parse.User.me(second.getSessionToken()))).code, 209);
  });
});

describe('current user (enableUnsafeCurrentUser)', () => {
  it('logIn sets current(); currentAsync() and /users/me agree; logOut clears it', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'current');
    Parse.User.enableUnsafeCurrentUser();
    try {
      const logged = await Parse.User.logIn(user.getUsername(), passwordOf(user.getUsername()));
      const cur = Parse.User.current();
      assert.ok(cur, 'current() after logIn');
      assert.equal(cur.id, user.id);
      assert.equal(cur.getSessionToken(), logged.getSessionToken());
      const curAsync = await Parse.User.currentAsync();
      assert.equal(curAsync.id, user.id);
      assert.ok(cur.authenticated());

      // Requests now carry the current session: /users/me through the SDK.
      const me = await Parse.User.me(cur.getSessionToken());
      assert.equal(me.id, user.id);
      assert.equal(me.getSessionToken(), logged.getSessionToken());

      // And the current user can save itself without passing a token.
      cur.set('mood', 'happy');
      await cur.save();
      const raw = await rest(ctx.server, 'GET', `users/${user.id}`, { master: true });
      assert.equal(raw.json.mood, 'happy');

      const token = cur.getSessionToken();
      await Parse.User.logOut();
      assert.equal(Parse.User.current(), null);
      assert.equal(await Parse.User.currentAsync(), null);
      const gone = await restAs(ctx.server, token, 'GET', 'users/me');
      assertRefused(gone, 209, 400);
    } finally {
      await clearCurrentUser(Parse);
    }
  });

  it('become(token) makes that user current; become(bad token) is 209', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'become', { nickname: 'b' });
    Parse.User.enableUnsafeCurrentUser();
    try {
      const became = await Parse.User.become(user.getSessionToken());
      assert.equal(became.id, user.id);
      assert.equal(became.get('nickname'), 'b');
      assert.equal(became.getSessionToken(), user.getSessionToken());
      assert.equal(Parse.User.current().id, user.id);
      await Parse.User.logOut();

      const err = await parseError(() => Parse.User.become('r:' + '0'.repeat(32)));
      assert.equal(err.code, Parse.Error.INVALID_SESSION_TOKEN, err.message);
      const err2 = await parseError(() => Parse.User.become('not-a-token'));
      assert.equal(err2.code, 209, err2.message);
      assert.equal(await Parse.User.currentAsync(), null, 'a failed become sets no current user');
    } finally {
      await clearCurrentUser(Parse);
    }
  });

  it('GET /users/me answers the user with its session token; without or with a bad token it is 209', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'me');
    const res = await restAs(ctx.server, user, 'GET', 'users/me');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.objectId, user.id);
    assert.equal(res.json.username, user.getUsername());
    assert.equal(res.json.sessionToken, user.getSessionToken());
    assertRefused(await rest(ctx.server, 'GET', 'users/me'), 209, 400);
    assertRefused(await restAs(ctx.server, 'r:' + 'f'.repeat(32), 'GET', 'users/me'), 209, 400);
  });
});

describe('saving users', () => {
  it('a user can update themself', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'selfsave');
    user.set('bio', 'hello');
    await user.save(null, as(user));
    const back = await new Parse.Query(Parse.User).get(user.id);
    assert.equal(back.get('bio'), 'hello');
  });

  it('another user cannot update or delete them (206 / refused), and nothing changes', async () => {
    const { Parse } = ctx;
    const victim = await signUp(Parse, 'victim', { bio: 'original' });
    const attacker = await signUp(Parse, 'attacker');
    const copy = await new Parse.Query(Parse.User).get(victim.id, as(attacker));
    copy.set('bio', 'hacked');
    const err = await parseError(() => copy.save(null, as(attacker)));
    assert.equal(err.code, Parse.Error.SESSION_MISSING, `${err.code} ${err.message}`);

    const del = await restAs(ctx.server, attacker, 'DELETE', `users/${victim.id}`);
    assertRefused(del, [206, 101]);

    const anon = await rest(ctx.server, 'PUT', `users/${victim.id}`, { body: { bio: 'anon' } });
    assertRefused(anon, [206, 101]);

    const raw = await rest(ctx.server, 'GET', `users/${victim.id}`, { master: true });
    assert.equal(raw.status, 200, 'the victim still exists');
    assert.equal(raw.json.bio, 'original');
  });

  it('a user can delete themself; the session dies with the user', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'selfdel');
    await user.destroy(as(user));
    const gone = await rest(ctx.server, 'GET', `users/${user.id}`, { master: true });
    assertRefused(gone, 101, 404);
    assertRefused(await restAs(ctx.server, user, 'GET', 'users/me'), 209, 400);
  });

  it('changing the password ends the other sessions but keeps the current one', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'pwchange');
    const username = user.getUsername();
    // Other devices (distinct installations, so neither replaces another).
    const other1 = await Parse.User.logIn(username, passwordOf(username), { installationId: 'inst-pw-1' });
    const other2 = await Parse.User.logIn(username, passwordOf(username), { installationId: 'inst-pw-2' });

    user.setPassword('brand-new-password');
    await user.save(null, as(user));

    assert.equal((await Parse.User.me(user.getSessionToken())).id, user.id, 'the session that changed it lives');
    for (const s of [other1, other2]) {
      const err = await parseError(() => Parse.User.me(s.getSessionToken()));
      assert.equal(err.code, 209, `other session must be revoked: ${err.message}`);
    }
    const oldPw = await parseError(() => Parse.User.logIn(username, passwordOf(username)));
    assert.equal(oldPw.code, 101);
    const relog = await Parse.User.logIn(username, 'brand-new-password');
    assert.equal(relog.id, user.id);
  });

  it('an empty or non-string password on update is refused, and the old one still works', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'emptypw');
    assertRefused(await restAs(ctx.server, user, 'PUT', `users/${user.id}`, { body: { password: '' } }), [201, 142, 125]);
    assertRefused(await restAs(ctx.server, user, 'PUT', `users/${user.id}`, { body: { password: 12345 } }), [201, 111, 142]);
    const relog = await Parse.User.logIn(user.getUsername(), passwordOf(user.getUsername()));
    assert.equal(relog.id, user.id);
  });

  it('changing the e-mail to one another user has (in another case) is 203', async () => {
    const { Parse } = ctx;
    const email = `${uniqueName('taken')}@example.com`.toLowerCase();
    await signUp(Parse, 'emaila', { email });
    const b = await signUp(Parse, 'emailb');
    b.setEmail(email.toUpperCase());
    const err = await parseError(() => b.save(null, as(b)));
    assert.equal(err.code, 203, err.message);
  });

  it('changing the username to a taken one is 202', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'rena');
    const b = await signUp(Parse, 'renb');
    b.setUsername(a.getUsername());
    const err = await parseError(() => b.save(null, as(b)));
    assert.equal(err.code, 202, err.message);
  });
});

describe('verifyPassword', () => {
  it('Parse.User.verifyPassword resolves with the user for the right password, 101 for a wrong one', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'verify');
    const ok = await Parse.User.verifyPassword(user.getUsername(), passwordOf(user.getUsername()));
    assert.equal(ok.objectId || ok.id, user.id);
    assert.equal(ok.sessionToken, undefined, 'verifyPassword opens no session');
    const err = await parseError(() => Parse.User.verifyPassword(user.getUsername(), 'wrong'));
    assert.equal(err.code, Parse.Error.OBJECT_NOT_FOUND, err.message);
  });

  it('user.verifyPassword (instance) works too', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'verify2');
    const ok = await user.verifyPassword(passwordOf(user.getUsername()));
    assert.equal(ok.objectId || ok.id, user.id);
  });
});

describe('password reset by e-mail (mail provider "log", the default)', () => {
  it('requestPasswordReset resolves; the link in the mail sets a new password and ends all sessions', async () => {
    const { Parse } = ctx;
    const email = `${uniqueName('reset')}@example.com`.toLowerCase();
    const user = await signUp(Parse, 'reset', { email });
    const mark = logMark(ctx.server);
    await Parse.User.requestPasswordReset(email);

    const m = await waitForLog(ctx.server, /msg="mail message"[^\n]*?(http\S*?request_password_reset\?[^\s"\\]+)/, { from: mark });
    const link = m[1].replace(/&amp;/g, '&');
    const url = new URL(link);
    assert.equal(url.searchParams.get('username'), user.getUsername());
    const token = url.searchParams.get('token');
    assert.ok(token, link);

    const page = await fetch(new URL(url.pathname + url.search, ctx.server.base));
    assert.equal(page.status, 200);
    const form = new URLSearchParams({ username: user.getUsername(), token, new_password: 'after-reset' });
    const post = await fetch(new URL(url.pathname, ctx.server.base), { method: 'POST', body: form });
    assert.equal(post.status, 200, await post.text());

    assert.equal((await parseError(() => Parse.User.me(user.getSessionToken()))).code, 209, 'a reset ends every session');
    const relog = await Parse.User.logIn(user.getUsername(), 'after-reset');
    assert.equal(relog.id, user.id);
    // The link works once.
    const replay = await fetch(new URL(url.pathname, ctx.server.base), { method: 'POST', body: form });
    assert.equal(replay.status, 400);
  });

  it('requestPasswordReset for an unknown address also resolves (no account enumeration)', async () => {
    const { Parse } = ctx;
    await Parse.User.requestPasswordReset(`${uniqueName('nobody')}@example.com`);
  });

  it('requestPasswordReset with a malformed or missing address is refused (125 / 204)', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => Parse.User.requestPasswordReset('not an address'));
    assert.ok([125, 204].includes(err.code), `${err.code} ${err.message}`);
    assertRefused(await rest(ctx.server, 'POST', 'requestPasswordReset', { body: {} }), [125, 204], 400);
    assertRefused(await rest(ctx.server, 'POST', 'requestPasswordReset', { body: { email: 42 } }), [125, 204], 400);
  });
});

describe('bad input on user routes is a Parse-style 4xx', () => {
  it('/login with non-string credentials (an operator injection) is refused', async () => {
    const { Parse } = ctx;
    await signUp(Parse, 'inject');
    for (const body of [
      { username: { $ne: null }, password: 'x' },
      { username: { $regex: '.*' }, password: { $ne: null } },
      { username: ['a'], password: 'x' },
      { username: 'a', password: 7 },
      {},
    ]) {
      assertRefused(await rest(ctx.server, 'POST', 'login', { body }), [101, 200, 201]);
    }
  });

  it('malformed JSON on /users and /login is 107', async () => {
    assertRefused(await rest(ctx.server, 'POST', 'users', { rawBody: '{"username":' }), 107, 400);
    assertRefused(await rest(ctx.server, 'POST', 'login', { rawBody: '{"username":' }), 107, 400);
  });

  it('signUp with wrongly typed fields is refused', async () => {
    for (const body of [
      { username: 12, password: 'x' },
      { username: uniqueName('t'), password: { a: 1 } },
      { username: uniqueName('t'), password: 'x', email: 5 },
      { username: uniqueName('t'), password: 'x', ACL: 'public' },
      { username: uniqueName('t'), password: 'x', _hashed_password: '$2a$10$abc' },
      { username: uniqueName('t'), password: 'x'.repeat(100) },
    ]) {
      const res = await rest(ctx.server, 'POST', 'users', { body });
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body).slice(0, 80)} → ${res.status} ${res.text}`);
      assert.equal(typeof (res.json && res.json.code), 'number', res.text);
    }
  });

  it('/verifyPassword without credentials is refused', async () => {
    assertRefused(await rest(ctx.server, 'GET', 'verifyPassword'), [200, 201, 101], undefined);
    assertRefused(await rest(ctx.server, 'POST', 'verifyPassword', { body: { username: {}, password: [] } }), [200, 201, 101]);
  });

  it('GET/PUT/DELETE users/<unknown id> is 101', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'unknownid');
    assertRefused(await rest(ctx.server, 'GET', 'users/aaaaaaaaaa'), 101, 404);
    assertRefused(await restAs(ctx.server, user, 'PUT', 'users/aaaaaaaaaa', { body: { a: 1 } }), [101, 206]);
    assertRefused(await restAs(ctx.server, user, 'DELETE', 'users/aaaaaaaaaa'), [101, 206]);
  });
});
