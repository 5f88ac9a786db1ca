'use strict';
// Account lockout (accountLockout.threshold) and the per-IP login rate limit
// (loginRateLimit), seen through the SDK's logIn and verifyPassword.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError, startServer } = require('../helpers/server');
const { signUp, passwordOf, uniqueName, assertRefused } = require('../helpers/users');

const ctx = useServer({
  name: 'lockout',
  env: {
    SWITCHBOARD_ACCOUNT_LOCKOUT__THRESHOLD: '3',
    SWITCHBOARD_ACCOUNT_LOCKOUT__DURATION: '5',
    SWITCHBOARD_LOGIN_RATE_LIMIT__REQUESTS: '-1',
  },
});

// A second server that allows 5 logins per client address per minute.
const RATE = 5;
let limited;
ctx.setup(async () => {
  limited = await startServer({
    name: 'ratelimit',
    env: { SWITCHBOARD_LOGIN_RATE_LIMIT__REQUESTS: String(RATE), SWITCHBOARD_LOGIN_RATE_LIMIT__WINDOW: '1m' },
  });
});
after(async () => {
  if (limited) await limited.stop();
});

const LOCKED = /locked/i;

describe('account lockout', () => {
  it('after 3 failed logins even the right password is refused (101, "locked"); other accounts are unaffected', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'lock');
    const bystander = await signUp(Parse, 'bystander');
    const name = user.getUsername();
    for (let i = 0; i < 3; i++) {
      const err = await parseError(() => Parse.User.logIn(name, `wrong-${i}`));
      assert.equal(err.code, 101, err.message);
    }
    const locked = await parseError(() => Parse.User.logIn(name, passwordOf(name)));
    assert.equal(locked.code, Parse.Error.OBJECT_NOT_FOUND, locked.message);
    assert.match(locked.message, LOCKED);
    assert.match(locked.message, /5 minute/);

    const viaVerify = await parseError(() => Parse.User.verifyPassword(name, passwordOf(name)));
    assert.equal(viaVerify.code, 101, viaVerify.message);
    assert.match(viaVerify.message, LOCKED);

    const ok = await Parse.User.logIn(bystander.getUsername(), passwordOf(bystander.getUsername()));
    assert.equal(ok.id, bystander.id);
    // The existing session still works: lockout stops logins, not sessions.
    assert.equal((await Parse.User.me(user.getSessionToken())).id, user.id);
  });

  it('a successful login before the threshold resets the count', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'reset');
    const name = user.getUsername();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) assert.equal((await parseError(() => Parse.User.logIn(name, 'nope'))).code, 101);
      const ok = await Parse.User.logIn(name, passwordOf(name));
      assert.equal(ok.id, user.id, `round ${round}: 2 failures + success does not lock`);
    }
  });

  it('parallel wrong guesses are all counted', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'parallel');
    const name = user.getUsername();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => rest(ctx.server, 'POST', 'login', { body: { username: name, password: `guess-${i}` } }))
    );
    for (const r of results) assertRefused(r, 101);
    const locked = await parseError(() => Parse.User.logIn(name, passwordOf(name)));
    assert.match(locked.message, LOCKED);
  });

  it('failed logins of an unknown username do not error differently', async () => {
    const { Parse } = ctx;
    const ghost = uniqueName('ghost');
    for (let i = 0; i < 5; i++) {
      const err = await parseError(() => Parse.User.logIn(ghost, 'x'));
      assert.equal(err.code, 101);
      assert.equal(err.message, 'Invalid username/password.');
    }
  });
});

describe('login rate limit per client address', () => {
  it(`the ${RATE + 1}th login attempt within the window is 155; signup is not limited`, async () => {
    const user = await rest(limited, 'POST', 'users', { body: { username: 'rl-user', password: 'pw' } });
    assert.equal(user.status, 201, user.text);
    for (let i = 0; i < RATE; i++) {
      const pw = i % 2 === 0 ? 'pw' : 'wrong';
      const res = await rest(limited, 'POST', 'login', { body: { username: 'rl-user', password: pw } });
      assert.ok(res.status === 200 || (res.status === 404 && res.json.code === 101), `attempt ${i + 1}: ${res.status} ${res.text}`);
    }
    const over = await rest(limited, 'POST', 'login', { body: { username: 'rl-user', password: 'pw' } });
    assert.ok(over.status === 400 || over.status === 429, `${over.status} ${over.text}`);
    assert.equal(over.json.code, 155, over.text);

    const verify = await rest(limited, 'GET', 'verifyPassword', { query: { username: 'rl-user', password: 'pw' } });
    assert.equal(verify.json && verify.json.code, 155, `verifyPassword shares the limit: ${verify.text}`);

    // X-Forwarded-For is not trusted, so it cannot buy more attempts.
    const spoofed = await rest(limited, 'POST', 'login', {
      body: { username: 'rl-user', password: 'pw' },
      headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '203.0.113.8' },
    });
    assert.equal(spoofed.json && spoofed.json.code, 155, spoofed.text);

    const signup = await rest(limited, 'POST', 'users', { body: { username: 'rl-user-2', password: 'pw' } });
    assert.equal(signup.status, 201, signup.text);
  });

  it('the SDK surfaces the limit as Parse.Error 155', async () => {
    const { Parse } = ctx;
    const saved = Parse.serverURL;
    Parse.serverURL = limited.serverURL;
    try {
      const err = await parseError(() => Parse.User.logIn('rl-user', 'pw'));
      assert.equal(err.code, 155, err.message);
    } finally {
      Parse.serverURL = saved;
    }
  });
});
