'use strict';
// Third-party login through authData with the SDK: anonymous users
// (Parse.User.logInWith / Parse.AnonymousUtils), linking and unlinking, and a
// real provider (github) pointed at a fake GitHub API served by this file.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { useServer, rest, parseError, OBJECT_ID } = require('../helpers/server');
const { signUp, as, restAs, assertRefused, uniqueName } = require('../helpers/users');

// Fake GitHub: GET /user with "Bearer tok-<id>" answers {id: <id>}; any other
// token is 401 as on GitHub.
let github;
let githubCalls = 0;
async function startFakeGitHub() {
  github = http.createServer((req, res) => {
    githubCalls += 1;
    const m = /^Bearer tok-(\d+)$/.exec(req.headers.authorization || '');
    res.setHeader('Content-Type', 'application/json');
    if (req.method === 'GET' && req.url === '/user' && m) {
      res.end(JSON.stringify({ id: Number(m[1]), login: `gh${m[1]}` }));
      return;
    }
    res.statusCode = 401;
    res.end(JSON.stringify({ message: 'Bad credentials' }));
  });
  await new Promise((r) => github.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${github.address().port}`;
}
after(() => github && github.close());

const ctx = useServer({
  name: 'authdata',
  env: async () => ({ SWITCHBOARD_AUTH__GITHUB__API_URL: await startFakeGitHub() }),
});

let ghSeq = 1000;
const ghAuth = () => {
  ghSeq += 1;
  return { id: String(ghSeq), access_token: `tok-${ghSeq}` };
};

describe('anonymous users', () => {
  it('logInWith("anonymous") signs up (201), the same id then logs in (200) as the same user', async () => {
    const { Parse } = ctx;
    const id = randomUUID();
    const first = await Parse.User.logInWith('anonymous', { authData: { id } });
    assert.match(first.id, OBJECT_ID);
    assert.match(first.getSessionToken(), /^r:[0-9a-f]{32}$/);
    const me = await Parse.User.me(first.getSessionToken());
    assert.ok(me.getUsername(), 'an anonymous user gets a generated username');
    assert.ok(Parse.AnonymousUtils.isLinked(first));

    const second = await Parse.User.logInWith('anonymous', { authData: { id } });
    assert.equal(second.id, first.id);
    assert.notEqual(second.getSessionToken(), first.getSessionToken());
    assert.equal((await Parse.User.me(second.getSessionToken())).id, first.id);

    // The same over raw REST: 201 for a new id, 200 for a known one.
    const id2 = randomUUID();
    const a = await rest(ctx.server, 'POST', 'users', { body: { authData: { anonymous: { id: id2 } } } });
    assert.equal(a.status, 201, a.text);
    const b = await rest(ctx.server, 'POST', 'users', { body: { authData: { anonymous: { id: id2 } } } });
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.objectId, a.json.objectId);
    assert.ok(b.json.sessionToken);
  });

  it('Parse.AnonymousUtils.logIn gives a fresh user each time', async () => {
    const { Parse } = ctx;
    const a = await Parse.AnonymousUtils.logIn();
    const b = await Parse.AnonymousUtils.logIn();
    assert.notEqual(a.id, b.id);
    assert.ok(Parse.AnonymousUtils.isLinked(a));
  });

  it('authData is shown only to its owner', async () => {
    const { Parse } = ctx;
    const id = randomUUID();
    const user = await Parse.User.logInWith('anonymous', { authData: { id } });
    const other = await signUp(Parse, 'peek');
    const own = await restAs(ctx.server, user, 'GET', `users/${user.id}`);
    assert.deepEqual(own.json.authData, { anonymous: { id } }, own.text);
    const seen = await restAs(ctx.server, other, 'GET', `users/${user.id}`);
    assert.equal(seen.status, 200, seen.text);
    assert.equal(seen.json.authData, undefined, `another user must not see authData: ${seen.text}`);
    const anon = await rest(ctx.server, 'GET', 'users', { query: { where: { objectId: user.id } } });
    assert.equal(anon.json.results[0].authData, undefined, anon.text);
  });

  it('an anonymous authData without an id is 250; with a non-object value it is refused', async () => {
    assertRefused(await rest(ctx.server, 'POST', 'users', { body: { authData: { anonymous: {} } } }), 250, 400);
    const bad = await rest(ctx.server, 'POST', 'users', { body: { authData: { anonymous: 'x' } } });
    assertRefused(bad, [250, 251, 111, 107]);
    const bad2 = await rest(ctx.server, 'POST', 'users', { body: { authData: 'x' } });
    assertRefused(bad2, [250, 251, 111, 107]);
  });
});

describe('linking and unlinking', () => {
  it('a password user links anonymous (_linkWith), logs in through it, then unlinks (_unlinkFrom)', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'linker');
    const id = randomUUID();
    await user._linkWith('anonymous', { authData: { id } }, as(user));
    assert.ok(user._isLinked('anonymous'));
    const stored = await rest(ctx.server, 'GET', `users/${user.id}`, { master: true });
    assert.deepEqual(stored.json.authData, { anonymous: { id } }, stored.text);

    const via = await Parse.User.logInWith('anonymous', { authData: { id } });
    assert.equal(via.id, user.id, 'logging in with the linked id reaches the linked user');

    // Same process, same installation id: the new login replaced the signup
    // session (one session per user and installation, as on Parse Server).
    const old = await restAs(ctx.server, user, 'GET', 'users/me');
    assert.equal(old.json.code, 209, old.text);
    await user._unlinkFrom('anonymous', as(via));
    assert.equal(user._isLinked('anonymous'), false);
    const after = await rest(ctx.server, 'GET', `users/${user.id}`, { master: true });
    assert.ok(!after.json.authData || !after.json.authData.anonymous, `unlinked: ${after.text}`);

    const fresh = await Parse.User.logInWith('anonymous', { authData: { id } });
    assert.notEqual(fresh.id, user.id, 'after unlinking, the id signs up a new user');
  });

  it('linking github to an anonymous user converts it (anonymous removed); github then logs in as it', async () => {
    const { Parse } = ctx;
    const anon = await Parse.AnonymousUtils.logIn();
    const gh = ghAuth();
    await anon.linkWith('github', { authData: gh }, as(anon));
    const stored = await rest(ctx.server, 'GET', `users/${anon.id}`, { master: true });
    assert.equal(stored.json.authData.github.id, gh.id, stored.text);
    assert.ok(!stored.json.authData.anonymous, `anonymous is stripped when another provider is linked: ${stored.text}`);

    const again = await Parse.User.logInWith('github', { authData: gh });
    assert.equal(again.id, anon.id);
  });

  it('logInWith github signs up once and logs in afterwards', async () => {
    const { Parse } = ctx;
    const gh = ghAuth();
    const res1 = await rest(ctx.server, 'POST', 'users', { body: { authData: { github: gh } } });
    assert.equal(res1.status, 201, res1.text);
    const res2 = await rest(ctx.server, 'POST', 'users', { body: { authData: { github: gh } } });
    assert.equal(res2.status, 200, res2.text);
    assert.equal(res2.json.objectId, res1.json.objectId);
    const sdk = await Parse.User.logInWith('github', { authData: gh });
    assert.equal(sdk.id, res1.json.objectId);
  });

  it('linking a provider account another user already has is 208', async () => {
    const { Parse } = ctx;
    const gh = ghAuth();
    const owner = await Parse.User.logInWith('github', { authData: gh });
    const other = await signUp(Parse, 'thief');
    const err = await parseError(() => other.linkWith('github', { authData: gh }, as(other)));
    assert.equal(err.code, Parse.Error.ACCOUNT_ALREADY_LINKED, `${err.code} ${err.message}`);
    const stored = await rest(ctx.server, 'GET', `users/${other.id}`, { master: true });
    assert.ok(!stored.json.authData, stored.text);
    assert.ok(owner.id);
  });

  it('an invalid github token is 251, a missing token 250, an unconfigured provider 252', async () => {
    const { Parse } = ctx;
    const before = githubCalls;
    const err = await parseError(() => Parse.User.logInWith('github', { authData: { id: '77', access_token: 'wrong' } }));
    assert.equal(err.code, 251, `${err.code} ${err.message}`);
    assert.ok(githubCalls > before, 'the server asked the (fake) GitHub API');
    const mismatch = await parseError(() => Parse.User.logInWith('github', { authData: { id: '78', access_token: 'tok-79' } }));
    assert.equal(mismatch.code, 251, `token of another account: ${mismatch.message}`);
    assertRefused(await rest(ctx.server, 'POST', 'users', { body: { authData: { github: { id: '80' } } } }), 250, 400);
    const off = await parseError(() => Parse.User.logInWith('google', { authData: { id: '1', id_token: 'x' } }));
    assert.equal(off.code, 252, `${off.code} ${off.message}`);
    const unknown = await rest(ctx.server, 'POST', 'users', { body: { authData: { [uniqueName('prov')]: { id: '1' } } } });
    assertRefused(unknown, [252, 105]);
  });

  it('another user cannot link or unlink on someone else\'s account', async () => {
    const { Parse } = ctx;
    const victim = await Parse.User.logInWith('github', { authData: ghAuth() });
    const attacker = await signUp(Parse, 'unlinker');
    const res = await restAs(ctx.server, attacker, 'PUT', `users/${victim.id}`, { body: { authData: { github: null } } });
    assertRefused(res, [206, 101]);
    const stored = await rest(ctx.server, 'GET', `users/${victim.id}`, { master: true });
    assert.ok(stored.json.authData && stored.json.authData.github, stored.text);
  });
});
