'use strict';
// Parse.Session through the SDK: Parse.Session.current(), queries that see
// only the caller's sessions, 209 for anonymous session queries and for
// unknown, malformed, revoked or expired tokens.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError, startServer, OBJECT_ID } = require('../helpers/server');
const { signUp, passwordOf, as, restAs, assertRefused, uniqueName } = require('../helpers/users');

const ctx = useServer({ name: 'sessions', env: { SWITCHBOARD_LOGIN_RATE_LIMIT__REQUESTS: '-1' } });

// A second server whose sessions last 2 seconds.
const SHORT_SECONDS = 2;
let short;
ctx.setup(async () => {
  short = await startServer({ name: 'sessions-short', env: { SWITCHBOARD_SESSION_LENGTH: String(SHORT_SECONDS) } });
});
after(async () => {
  if (short) await short.stop();
});

const ZERO_TOKEN = 'r:' + '0'.repeat(32);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withCurrentUser(Parse, token, fn) {
  Parse.User.enableUnsafeCurrentUser();
  try {
    await Parse.User.become(token);
    return await fn();
  } finally {
    if (await Parse.User.currentAsync()) await Parse.User.logOut().catch(() => {});
    Parse.User.disableUnsafeCurrentUser();
  }
}

describe('Parse.Session.current and the caller\'s sessions', () => {
  it('Parse.Session.current() is the session of the current user\'s token', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'cur');
    const token = user.getSessionToken();
    await withCurrentUser(Parse, token, async () => {
      const session = await Parse.Session.current();
      assert.ok(session instanceof Parse.Session);
      assert.match(session.id, OBJECT_ID);
      assert.equal(session.getSessionToken(), token);
      assert.equal(session.get('user').id, user.id);
      const expires = session.get('expiresAt');
      assert.ok(expires instanceof Date, `expiresAt is a Date: ${expires}`);
      assert.ok(expires.getTime() > Date.now() + 300 * 24 * 3600 * 1000, 'default session length is a year');
      assert.ok(Parse.Session.isCurrentSessionRevocable());
    });
  });

  it('GET /sessions/me answers the session of the token', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'sessme');
    const res = await restAs(ctx.server, user, 'GET', 'sessions/me');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.sessionToken, user.getSessionToken());
    assert.deepEqual(res.json.user, { __type: 'Pointer', className: '_User', objectId: user.id });
  });

  it('a query on Parse.Session sees only the caller\'s own sessions', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'qa');
    // Distinct installations: a login from the same one would replace the session.
    await Parse.User.logIn(a.getUsername(), passwordOf(a.getUsername()), { installationId: 'inst-qa-2' });
    await Parse.User.logIn(a.getUsername(), passwordOf(a.getUsername()), { installationId: 'inst-qa-3' });
    const b = await signUp(Parse, 'qb');

    const mine = await new Parse.Query(Parse.Session).find(as(a));
    assert.equal(mine.length, 3, 'signup + two logins');
    for (const s of mine) assert.equal(s.get('user').id, a.id);
    assert.ok(mine.some((s) => s.getSessionToken() === a.getSessionToken()));
    assert.equal(await new Parse.Query(Parse.Session).count(as(a)), 3);

    const theirs = await new Parse.Query(Parse.Session).find(as(b));
    assert.equal(theirs.length, 1);
    assert.equal(theirs[0].get('user').id, b.id);

    // Even asking for the other user's sessions explicitly finds nothing.
    const probe = await new Parse.Query(Parse.Session).equalTo('user', a).find(as(b));
    assert.deepEqual(probe, []);
    const other = await parseError(() => new Parse.Query(Parse.Session).get(mine[0].id, as(b)));
    assert.equal(other.code, 101, other.message);
    const raw = await restAs(ctx.server, b, 'GET', `sessions/${mine[0].id}`);
    assertRefused(raw, 101, 404);

    // The master key sees every session.
    const all = await new Parse.Query(Parse.Session).containedIn('user', [a, b]).find({ useMasterKey: true });
    assert.equal(all.length, 4);
  });

  it('anonymous queries on _Session are 209', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => new Parse.Query(Parse.Session).find());
    assert.equal(err.code, Parse.Error.INVALID_SESSION_TOKEN, `${err.code} ${err.message}`);
    assertRefused(await rest(ctx.server, 'GET', 'sessions'), 209, 400);
    assertRefused(await rest(ctx.server, 'GET', 'classes/_Session'), 209, 400);
    assertRefused(await rest(ctx.server, 'GET', 'sessions/me'), 209, 400);
    const cnt = await parseError(() => new Parse.Query(Parse.Session).count());
    assert.equal(cnt.code, 209);
  });

  it('deleting one\'s own session logs that token out; someone else\'s session cannot be deleted', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'del');
    const second = await Parse.User.logIn(a.getUsername(), passwordOf(a.getUsername()), { installationId: 'inst-del-2' });
    const b = await signUp(Parse, 'delb');
    const sessions = await new Parse.Query(Parse.Session).find(as(a));
    const target = sessions.find((s) => s.getSessionToken() === second.getSessionToken());
    assert.ok(target);

    assertRefused(await restAs(ctx.server, b, 'DELETE', `sessions/${target.id}`), 101, 404);
    assert.equal((await Parse.User.me(second.getSessionToken())).id, a.id, 'still alive');

    await target.destroy(as(a));
    assert.equal((await parseError(() => Parse.User.me(second.getSessionToken()))).code, 209);
    assert.equal((await Parse.User.me(a.getSessionToken())).id, a.id, 'the other session is untouched');
  });

  it('logOut deletes the _Session row', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'lo');
    const token = a.getSessionToken();
    await Parse.User.logOut({ sessionToken: token });
    const left = await new Parse.Query(Parse.Session).equalTo('sessionToken', token).find({ useMasterKey: true });
    assert.deepEqual(left, []);
  });

  it('POST /sessions adds a session for the caller; anonymous it is 209', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'newsess');
    const res = await restAs(ctx.server, a, 'POST', 'sessions', { body: {} });
    assert.ok(res.status === 200 || res.status === 201, `${res.status} ${res.text}`);
    assert.match(res.json.sessionToken, /^r:[0-9a-f]{32}$/);
    assert.notEqual(res.json.sessionToken, a.getSessionToken());
    assert.equal((await Parse.User.me(res.json.sessionToken)).id, a.id);
    assertRefused(await rest(ctx.server, 'POST', 'sessions', { body: {} }), 209, 400);
  });

  it('a client cannot forge a session for another user', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'forger');
    const victim = await signUp(Parse, 'forged');
    const res = await restAs(ctx.server, a, 'POST', 'classes/_Session', {
      body: { user: { __type: 'Pointer', className: '_User', objectId: victim.id }, sessionToken: 'r:' + 'a'.repeat(32) },
    });
    if (res.status < 300) {
      // Accepted: it must then belong to the caller, with a server-chosen token.
      assert.notEqual(res.json.sessionToken, 'r:' + 'a'.repeat(32), res.text);
      const me = await Parse.User.me(res.json.sessionToken);
      assert.equal(me.id, a.id, 'the new session is the caller\'s, not the victim\'s');
    } else {
      assert.ok(res.status < 500, `${res.status} ${res.text}`);
    }
    const forged = await parseError(() => Parse.User.me('r:' + 'a'.repeat(32)));
    assert.equal(forged.code, 209);
  });

  it('one session per user and installation: a new login from the same installation replaces the old session', async () => {
    const { Parse } = ctx;
    const username = uniqueName('perinst');
    const headers = (inst) => ({ 'X-Parse-Installation-Id': inst });
    const signup = await rest(ctx.server, 'POST', 'users', { body: { username, password: 'pw' }, headers: headers('inst-A') });
    assert.equal(signup.status, 201, signup.text);
    const s1 = await restAs(ctx.server, signup.json.sessionToken, 'GET', 'sessions/me');
    assert.equal(s1.json.installationId, 'inst-A', `the session records the installation: ${s1.text}`);

    const again = await rest(ctx.server, 'POST', 'login', { body: { username, password: 'pw' }, headers: headers('inst-A') });
    assert.equal(again.status, 200, again.text);
    const other = await rest(ctx.server, 'POST', 'login', { body: { username, password: 'pw' }, headers: headers('inst-B') });
    assert.equal(other.status, 200, other.text);

    const sessions = await new Parse.Query(Parse.Session).find(as(again.json.sessionToken));
    assert.deepEqual(
      sessions.map((s) => s.get('installationId')).sort(),
      ['inst-A', 'inst-B'],
      'Parse keeps one session per user and installation'
    );
    assertRefused(await restAs(ctx.server, signup.json.sessionToken, 'GET', 'users/me'), 209, 400);
    assert.equal((await Parse.User.me(again.json.sessionToken)).id, signup.json.objectId);
    assert.equal((await Parse.User.me(other.json.sessionToken)).id, signup.json.objectId);
  });

  it('a user cannot move their session to another user, or choose its token', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'mover');
    const victim = await signUp(Parse, 'movee');
    const mine = await restAs(ctx.server, a, 'GET', 'sessions/me');
    const moved = await restAs(ctx.server, a, 'PUT', `sessions/${mine.json.objectId}`, {
      body: { user: { __type: 'Pointer', className: '_User', objectId: victim.id } },
    });
    assertRefused(moved, [105, 119, 101, 206]);
    const chosen = await restAs(ctx.server, a, 'PUT', `sessions/${mine.json.objectId}`, { body: { sessionToken: 'r:' + 'b'.repeat(32) } });
    assertRefused(chosen, [105, 119, 101, 206]);
    assert.equal((await Parse.User.me(a.getSessionToken())).id, a.id, 'the token still belongs to its user');
    assert.equal((await parseError(() => Parse.User.me('r:' + 'b'.repeat(32)))).code, 209);
  });

  it('createdWith tells signup from login, with the auth provider (as Parse Server records it)', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'created');
    const signupSession = await restAs(ctx.server, a, 'GET', 'sessions/me');
    assert.deepEqual(signupSession.json.createdWith, { action: 'signup', authProvider: 'password' }, signupSession.text);
    const logged = await Parse.User.logIn(a.getUsername(), passwordOf(a.getUsername()), { installationId: 'inst-created-2' });
    const loginSession = await restAs(ctx.server, logged.getSessionToken(), 'GET', 'sessions/me');
    assert.deepEqual(loginSession.json.createdWith, { action: 'login', authProvider: 'password' }, loginSession.text);
    const anon = await Parse.AnonymousUtils.logIn();
    const anonSession = await restAs(ctx.server, anon.getSessionToken(), 'GET', 'sessions/me');
    assert.equal(anonSession.json.createdWith.authProvider, 'anonymous', anonSession.text);
  });

  it('_upgradeToRevocableSession answers the (already revocable) session', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'upgrade');
    await a._upgradeToRevocableSession();
    assert.match(a.getSessionToken(), /^r:[0-9a-f]{32}$/);
    assert.equal((await Parse.User.me(a.getSessionToken())).id, a.id);
  });
});

describe('invalid session tokens are 209 (Parse.Error.INVALID_SESSION_TOKEN)', () => {
  it('unknown, malformed and empty-looking tokens on any route', async () => {
    const { Parse } = ctx;
    await rest(ctx.server, 'POST', 'classes/Open', { body: { a: 1 } });
    for (const token of [ZERO_TOKEN, 'garbage', 'r:xyz', 'r:' + '0'.repeat(31)]) {
      const err = await parseError(() => new Parse.Query('Open').find({ sessionToken: token }));
      assert.equal(err.code, Parse.Error.INVALID_SESSION_TOKEN, `${token}: ${err.code} ${err.message}`);
      assertRefused(await restAs(ctx.server, token, 'GET', 'classes/Open'), 209, 400);
      assertRefused(await restAs(ctx.server, token, 'POST', 'classes/Open', { body: { a: 2 } }), 209, 400);
    }
    const stillOne = await rest(ctx.server, 'GET', 'classes/Open', { query: { count: 1, limit: 0 } });
    assert.equal(stillOne.json.count, 1, 'nothing was written with a bad token');
  });

  it('a bad token is 209 even with the master key (as the README documents)', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/Open', { master: true, headers: { 'X-Parse-Session-Token': ZERO_TOKEN } });
    assertRefused(res, 209, 400);
  });

  it('a revoked token is 209 immediately, also through the envelope (_SessionToken)', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'revoked');
    const token = a.getSessionToken();
    await new Parse.Query('Open').find(as(a));
    await Parse.User.logOut({ sessionToken: token });
    const err = await parseError(() => new Parse.Query('Open').find({ sessionToken: token }));
    assert.equal(err.code, 209);
  });

  it('an expired token is 209, whether or not it was used before it expired', async () => {
    const server = short;
    const used = await rest(server, 'POST', 'users', { body: { username: 'expire-used', password: 'p' } });
    const unused = await rest(server, 'POST', 'users', { body: { username: 'expire-unused', password: 'p' } });
    assert.equal(used.status, 201, used.text);
    const ok = await restAs(server, used.json.sessionToken, 'GET', 'users/me');
    assert.equal(ok.status, 200, `valid before expiry: ${ok.text}`);
    const sess = await restAs(server, used.json.sessionToken, 'GET', 'sessions/me');
    const expiresAt = new Date(sess.json.expiresAt.iso).getTime();
    assert.ok(Math.abs(expiresAt - (Date.now() + SHORT_SECONDS * 1000)) < 2000, `expiresAt follows sessionLength: ${sess.text}`);
    await sleep(SHORT_SECONDS * 1000 + 700);
    assertRefused(await restAs(server, unused.json.sessionToken, 'GET', 'users/me'), 209, 400);
    assertRefused(await restAs(server, used.json.sessionToken, 'GET', 'users/me'), 209, 400);
    assertRefused(await restAs(server, used.json.sessionToken, 'GET', 'classes/_User'), 209, 400);
  });
});

describe('revocation reaches the session cache on every path', () => {
  it('the master key deleting a session (classes/_Session, batch) or the user ends it at once', async () => {
    const { Parse } = ctx;
    for (const how of ['classes', 'batch', 'user']) {
      const a = await signUp(Parse, `rev${how}`);
      const token = a.getSessionToken();
      assert.equal((await Parse.User.me(token)).id, a.id, 'used once, so it is cached');
      const sess = await restAs(ctx.server, token, 'GET', 'sessions/me');
      if (how === 'classes') {
        const del = await rest(ctx.server, 'DELETE', `classes/_Session/${sess.json.objectId}`, { master: true });
        assert.equal(del.status, 200, del.text);
      } else if (how === 'batch') {
        const del = await rest(ctx.server, 'POST', 'batch', {
          master: true,
          body: { requests: [{ method: 'DELETE', path: `/parse/sessions/${sess.json.objectId}` }] },
        });
        assert.ok(del.json[0].success, del.text);
      } else {
        const del = await rest(ctx.server, 'DELETE', `users/${a.id}`, { master: true });
        assert.equal(del.status, 200, del.text);
      }
      const err = await parseError(() => Parse.User.me(token));
      assert.equal(err.code, 209, `${how}: the deleted session must be refused at once, got ${err.code} ${err.message}`);
    }
  });
});

describe('bad input on session routes', () => {
  it('is a 4xx, never a 5xx', async () => {
    const { Parse } = ctx;
    const a = await signUp(Parse, 'badsess');
    const cases = [
      await restAs(ctx.server, a, 'GET', 'sessions', { query: { where: '{"user":' } }),
      await restAs(ctx.server, a, 'GET', 'sessions', { query: { where: { sessionToken: { $foo: 1 } } } }),
      await restAs(ctx.server, a, 'GET', 'sessions/not-an-id!'),
      await restAs(ctx.server, a, 'POST', 'sessions', { rawBody: '{' }),
      await restAs(ctx.server, a, 'PUT', 'sessions/aaaaaaaaaa', { body: { x: 1 } }),
      await restAs(ctx.server, a, 'DELETE', 'sessions/aaaaaaaaaa'),
    ];
    for (const res of cases) {
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
      assert.equal(typeof (res.json && res.json.code), 'number', res.text);
    }
  });
});
