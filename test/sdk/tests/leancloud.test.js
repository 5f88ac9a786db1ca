'use strict';
// LeanCloud's JS SDK (npm leancloud-storage) against the server's /1.1
// dialect, with only its server URL changed: objects, queries, users,
// SMS codes (log provider), roles and ACLs, files (by URL, and with their
// bytes from a Buffer, base64 or an array: fetch, destroy, on objects), batches, the
// request signature (which the SDK sends by default) and its denials.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const AV = require('leancloud-storage');
const { useServer, APP_ID, MASTER_KEY, logMark, waitForLog } = require('../helpers/server');

const APP_KEY = 'lc-app-key';
const cloudDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-lc-cloud-'));
fs.writeFileSync(path.join(cloudDir, 'main.js'), "Parse.Cloud.define('hello', (req) => 'hello ' + req.params.name);\n");

const ctx = useServer({
  name: 'leancloud',
  env: {
    SWITCHBOARD_JAVASCRIPT_KEY: APP_KEY,
    SWITCHBOARD_SMS__PROVIDER: 'log',
    SWITCHBOARD_SMS_CODE__INTERVAL: '1s',
    SWITCHBOARD_ACCOUNT_LOCKOUT__THRESHOLD: '3',
    SWITCHBOARD_ACCOUNT_LOCKOUT__DURATION: '5',
    SWITCHBOARD_CLOUD: cloudDir,
  },
});
ctx.setup(({ server }) => {
  AV.init({ appId: APP_ID, appKey: APP_KEY, masterKey: MASTER_KEY, serverURL: server.base });
});

const uniq = () => crypto.randomBytes(5).toString('hex');
const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');

// raw sends one request to /1.1 with the given headers.
async function raw(method, route, { headers = {}, body } = {}) {
  const res = await fetch(`${ctx.server.base}/1.1/${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, text };
}

async function rejects(promise, code) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.code, code, `want code ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`expected a rejection with code ${code}`);
}

let phoneSeq = 0;
function phone() {
  phoneSeq += 1;
  return `+86139${String(process.pid % 1000).padStart(3, '0')}${String(phoneSeq).padStart(5, '0')}`;
}

async function smsCode(number) {
  const mark = logMark(ctx.server);
  await AV.Cloud.requestSmsCode(number);
  const m = await waitForLog(ctx.server, new RegExp(`msg="sms message" to=\\${number} purpose=login[^\\n]*?code:(\\d+)`), { from: mark });
  return m[1];
}

describe('LeanCloud SDK: objects and queries', () => {
  it('saves, fetches, updates with Increment and the Bit operators, and deletes', async () => {
    const Game = AV.Object.extend('Game');
    const g = new Game({ score: 10, player: 'ada', flags: 1 });
    await g.save();
    assert.ok(g.id);
    g.increment('score', 5);
    g.bitOr('flags', 6);
    await g.save();
    assert.equal(g.get('score'), 15);
    assert.equal(g.get('flags'), 7, 'BitOr answered with the new value');
    g.bitAnd('flags', 5);
    await g.save();
    assert.equal(g.get('flags'), 5);
    const back = await new AV.Query('Game').get(g.id);
    assert.equal(back.get('score'), 15);
    assert.equal(back.get('flags'), 5);
    await back.destroy();
    await rejects(new AV.Query('Game').get(g.id), 101);
  });

  it('a missing object reads as {} on the wire, and the SDK reports 101', async () => {
    const res = await raw('GET', 'classes/Game/000000000000000000000000', { headers: { 'X-LC-Id': APP_ID, 'X-LC-Key': APP_KEY } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {});
    await rejects(new AV.Query('Game').get('000000000000000000000000'), 101);
  });

  it('queries: constraints, order, limit, count, keys with -field, where as an array', async () => {
    const tag = uniq();
    await AV.Object.saveAll([1, 2, 3, 4].map((n) => new AV.Object('Score', { tag, n, secret: `s${n}` })));
    const q = new AV.Query('Score').equalTo('tag', tag).greaterThan('n', 1).descending('n').limit(2);
    const list = await q.find();
    assert.deepEqual(list.map((o) => o.get('n')), [4, 3]);
    assert.equal(await new AV.Query('Score').equalTo('tag', tag).count(), 4);
    const h = { 'X-LC-Id': APP_ID, 'X-LC-Key': APP_KEY };
    const where = encodeURIComponent(JSON.stringify({ tag }));
    const res = await raw('GET', `classes/Score?where=${where}&keys=-secret&order=n`, { headers: h });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.results.length, 4);
    assert.ok(res.json.results.every((o) => !('secret' in o) && o.n > 0), 'keys=-secret excludes only secret');
    const arr = encodeURIComponent(JSON.stringify([{ tag }, { n: { $lte: 2 } }]));
    const res2 = await raw('GET', `classes/Score?where=${arr}&order=n`, { headers: h });
    assert.deepEqual(res2.json.results.map((o) => o.n), [1, 2], 'an array of conditions must all hold');
    const res3 = await raw('GET', `classes/Score?where=%5B%5D&limit=1`, { headers: h });
    assert.equal(res3.json.results.length, 1, 'where=[] is no condition');
  });

  it('fetchWhenSave returns the whole object; a save with a query that does not match is 305', async () => {
    const o = new AV.Object('Account', { balance: 10, owner: 'ada' });
    await o.save();
    // Someone else changes the owner behind this copy's back.
    const other = AV.Object.createWithoutData('Account', o.id);
    other.set('owner', 'bob');
    await other.save();
    o.increment('balance', -3);
    await o.save(null, { fetchWhenSave: true });
    assert.equal(o.get('balance'), 7);
    assert.equal(o.get('owner'), 'bob', 'fetchWhenSave brought the other change');

    o.increment('balance', -100);
    await rejects(o.save(null, { query: new AV.Query('Account').greaterThanOrEqualTo('balance', 100) }), 305);
    const after = await new AV.Query('Account').get(o.id);
    assert.equal(after.get('balance'), 7, 'the refused conditional save changed nothing');
    const ok = AV.Object.createWithoutData('Account', o.id);
    ok.increment('balance', -7);
    await ok.save(null, { query: new AV.Query('Account').greaterThanOrEqualTo('balance', 7) });
    assert.equal((await new AV.Query('Account').get(o.id)).get('balance'), 0);
  });

  it('batches: saveAll, fetchAll, destroyAll (ids joined by commas)', async () => {
    const objs = [1, 2, 3].map((n) => new AV.Object('Batch', { n }));
    await AV.Object.saveAll(objs);
    const copies = objs.map((o) => AV.Object.createWithoutData('Batch', o.id));
    await AV.Object.fetchAll(copies);
    assert.deepEqual(copies.map((o) => o.get('n')), [1, 2, 3]);
    await AV.Object.destroyAll(objs);
    assert.equal(await new AV.Query('Batch').containedIn('objectId', objs.map((o) => o.id)).count(), 0);
  });

  it('files registered by URL are stored by id and read back expanded', async () => {
    const file = AV.File.withURL('cat.png', 'https://cdn.example.com/cat.png');
    await file.save();
    assert.ok(file.id, 'the file record has an id');
    const post = new AV.Object('Post', { pic: file, title: 'cat' });
    await post.save();
    const back = await new AV.Query('Post').get(post.id);
    const pic = back.get('pic');
    assert.ok(pic instanceof AV.File);
    assert.equal(pic.id, file.id);
    assert.equal(pic.url(), 'https://cdn.example.com/cat.png');
    assert.equal(pic.name(), 'cat.png');
    // Written in the {__type: File, id} form of the REST API.
    const h = { 'X-LC-Id': APP_ID, 'X-LC-Key': APP_KEY };
    const res = await raw('POST', 'classes/Post', { headers: h, body: { pic: { __type: 'File', id: file.id } } });
    assert.equal(res.status, 201, res.text);
    const got = await raw('GET', `classes/Post/${res.json.objectId}`, { headers: h });
    assert.equal(got.json.pic.url, 'https://cdn.example.com/cat.png');
    assert.equal(got.json.pic.objectId, file.id);
    const bad = await raw('POST', 'classes/Post', { headers: h, body: { pic: { __type: 'File', id: '0123456789abcdef01234567' } } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 106);
  });
});

// waitSettled waits for the SDK's fileCallback, which save() does not wait
// for, to settle the upload (the record's upload token goes).
async function waitSettled(id) {
  const h = { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY };
  for (let i = 0; i < 100; i += 1) {
    const res = await fetch(`${ctx.server.base}/parse/classes/LeanCloudFile/${id}`, { headers: h });
    const rec = await res.json();
    if (res.status === 200 && !rec.uploadToken && !rec.pending) return rec;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`the upload of file ${id} never settled (no fileCallback?)`);
}

async function download(url) {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe('LeanCloud SDK: files with their bytes', () => {
  let token;
  let other;
  it('signs up the uploaders', async () => {
    token = (await AV.User.signUp(`f${uniq()}`, 'pw-files')).getSessionToken();
    other = (await AV.User.signUp(`g${uniq()}`, 'pw-files')).getSessionToken();
  });

  it('saves an AV.File from a Buffer (a direct upload to the store), fetches it, downloads it', async () => {
    const bytes = Buffer.from('hello from a buffer \u00e9\u00e8');
    const f = new AV.File('hello.txt', bytes, 'text/plain');
    await f.save({ sessionToken: token });
    assert.ok(f.id, 'the SDK took the record id of fileTokens');
    assert.match(f.url(), /\/parse\/files\/testapp\/[0-9a-f]{32}_hello\.txt$/);
    const rec = await waitSettled(f.id);
    assert.equal(rec.metaData.size, bytes.length);
    const got = await download(f.url());
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, bytes);

    const again = AV.File.createWithoutData(f.id);
    await again.fetch();
    assert.equal(again.name(), 'hello.txt');
    assert.equal(again.url(), f.url());
    assert.equal(again.get('mime_type'), 'text/plain');
    assert.equal(again.metaData('size'), bytes.length);
  });

  it('saves an AV.File from base64 and from a byte array, with a name LeanCloud allows and Parse does not', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const f = new AV.File('头像 (1).png', { base64: png.toString('base64') });
    await f.save({ sessionToken: token });
    await waitSettled(f.id);
    assert.deepEqual((await download(f.url())).body, png);
    assert.equal(f.name(), '头像 (1).png');
    const fetched = await AV.File.createWithoutData(f.id).fetch();
    assert.equal(fetched.name(), '头像 (1).png', 'the record keeps the name as given');

    const arr = new AV.File('bytes.bin', [1, 2, 3, 250]);
    await arr.save({ sessionToken: token });
    await waitSettled(arr.id);
    assert.deepEqual([...(await download(arr.url())).body], [1, 2, 3, 250]);
  });

  it('files on objects, alone and in arrays, come back as AV.File with id and url', async () => {
    const a = new AV.File('a.txt', Buffer.from('aaa'), 'text/plain');
    const b = new AV.File('b.txt', Buffer.from('bbb'), 'text/plain');
    await a.save({ sessionToken: token });
    await b.save({ sessionToken: token });
    const album = new AV.Object('Album', { cover: a, pages: [a, b] });
    await album.save(null, { sessionToken: token });
    const back = await new AV.Query('Album').get(album.id, { sessionToken: token });
    const cover = back.get('cover');
    assert.ok(cover instanceof AV.File);
    assert.equal(cover.id, a.id);
    assert.equal(cover.name(), 'a.txt');
    assert.equal(cover.url(), a.url());
    assert.deepEqual(back.get('pages').map((p) => p.id), [a.id, b.id]);
    assert.equal((await download(back.get('pages')[1].url())).body.toString(), 'bbb');
    // Queries of _File, as LeanCloud's SDK makes them.
    const found = await new AV.Query('_File').equalTo('name', 'b.txt').find();
    assert.ok(found.some((o) => o.id === b.id));
  });

  it('destroys a file: the uploader may, others may not, and the bytes go', async () => {
    const f = new AV.File('gone.txt', Buffer.from('soon gone'), 'text/plain');
    await f.save({ sessionToken: token });
    await waitSettled(f.id);
    const victim = AV.File.createWithoutData(f.id);
    await rejects(victim.destroy({ sessionToken: other }), 101);
    assert.equal((await download(f.url())).status, 200);
    await f.destroy({ sessionToken: token });
    assert.equal((await download(f.url())).status, 404);
    const res = await raw('GET', `files/${f.id}`, { headers: { 'X-LC-Id': APP_ID, 'X-LC-Key': APP_KEY } });
    assert.deepEqual(res.json, {});
  });

  it('an upload by a caller without a session is refused by fileUpload (130), as on /parse', async () => {
    await AV.User.logOut();
    const f = new AV.File('anon.txt', Buffer.from('nope'), 'text/plain');
    await rejects(f.save(), 130);
  });
});

describe('LeanCloud SDK: users', () => {
  it('signs up, logs in by username, e-mail and phone, and tells 210, 211 and 219 apart', async () => {
    const name = `u${uniq()}`;
    const number = phone();
    const u = new AV.User();
    u.setUsername(name);
    u.setPassword('pw-123456');
    u.setEmail(`${name}@example.com`);
    u.setMobilePhoneNumber(number);
    await u.signUp();
    assert.ok(u.getSessionToken());

    const byName = await AV.User.logIn(name, 'pw-123456');
    assert.equal(byName.id, u.id);
    const byEmail = await AV.User.loginWithEmail(`${name}@example.com`, 'pw-123456');
    assert.equal(byEmail.id, u.id);
    const byPhone = await AV.User.logInWithMobilePhone(number, 'pw-123456');
    assert.equal(byPhone.id, u.id);
    const me = await AV.User.become(byPhone.getSessionToken());
    assert.equal(me.getUsername(), name);

    await rejects(AV.User.logIn(name, 'wrong'), 210);
    await rejects(AV.User.logIn(`nobody${uniq()}`, 'pw-123456'), 211);
    await rejects(AV.User.logIn(name, 'wrong'), 210);
    await rejects(AV.User.logIn(name, 'wrong'), 210); // the third failure locks (threshold 3)
    await rejects(AV.User.logIn(name, 'pw-123456'), 219);
    await rejects(AV.User.logIn(name, 'wrong'), 219);
    await AV.User.logOut();
  });

  it('updatePassword checks the old password', async () => {
    const name = `p${uniq()}`;
    const u = await AV.User.signUp(name, 'old-pass');
    await rejects(u.updatePassword('not-it', 'new-pass'), 210);
    await u.updatePassword('old-pass', 'new-pass');
    await AV.User.logIn(name, 'new-pass');
    await AV.User.logOut();
  });

  it('SMS codes: signUpOrlogInWithMobilePhone, verifySmsCode, wrong code 603', async () => {
    const number = phone();
    const code = await smsCode(number);
    const u = await AV.User.signUpOrlogInWithMobilePhone(number, code);
    assert.equal(u.getMobilePhoneNumber(), number);
    assert.ok(u.getSessionToken());
    await AV.User.logOut();

    await new Promise((r) => setTimeout(r, 1100)); // the per-number interval
    const code2 = await smsCode(number);
    await rejects(AV.Cloud.requestSmsCode(number), 601); // within the interval
    await rejects(AV.Cloud.verifySmsCode('000000' === code2 ? '111111' : '000000', number), 603);
    await AV.Cloud.verifySmsCode(code2, number);
    await rejects(AV.Cloud.verifySmsCode(code2, number), 603); // used once
  });
});

describe('LeanCloud SDK: roles and ACL', () => {
  it('a role ACL lets members read and keeps others out', async () => {
    const member = await AV.User.signUp(`m${uniq()}`, 'pw-member');
    const memberToken = member.getSessionToken();
    const outsider = await AV.User.signUp(`o${uniq()}`, 'pw-outsider');
    const outsiderToken = outsider.getSessionToken();
    await AV.User.logOut();

    const roleACL = new AV.ACL();
    roleACL.setPublicReadAccess(true);
    const role = new AV.Role(`Editors${uniq()}`, roleACL);
    role.getUsers().add(member);
    await role.save(null, { useMasterKey: true });

    const acl = new AV.ACL();
    acl.setRoleReadAccess(role, true);
    acl.setRoleWriteAccess(role, true);
    const doc = new AV.Object('Doc', { text: 'secret' });
    doc.setACL(acl);
    await doc.save(null, { useMasterKey: true });

    const seen = await new AV.Query('Doc').get(doc.id, { sessionToken: memberToken });
    assert.equal(seen.get('text'), 'secret');
    await rejects(new AV.Query('Doc').get(doc.id, { sessionToken: outsiderToken }), 101);
    await rejects(new AV.Query('Doc').get(doc.id), 101);
  });
});

describe('LeanCloud dialect: keys and the request signature', () => {
  const now = () => String(Date.now());
  const cases = [
    ['the App Key', () => ({ 'X-LC-Key': APP_KEY }), 200],
    ['a wrong key', () => ({ 'X-LC-Key': 'nope' }), 401],
    ['the master key', () => ({ 'X-LC-Key': `${MASTER_KEY},master` }), 200],
    ['the App Key as if master', () => ({ 'X-LC-Key': `${APP_KEY},master` }), 401],
    ['a fresh signature', () => { const t = now(); return { 'X-LC-Sign': `${md5(t + APP_KEY)},${t}` }; }, 200],
    ['a master signature', () => { const t = now(); return { 'X-LC-Sign': `${md5(t + MASTER_KEY)},${t},master` }; }, 200],
    ['a signature with a wrong key', () => { const t = now(); return { 'X-LC-Sign': `${md5(t + 'nope')},${t}` }; }, 401],
    ['a stale signature', () => { const t = String(Date.now() - 60 * 60 * 1000); return { 'X-LC-Sign': `${md5(t + APP_KEY)},${t}` }; }, 401],
    ['a signature from the future', () => { const t = String(Date.now() + 60 * 60 * 1000); return { 'X-LC-Sign': `${md5(t + APP_KEY)},${t}` }; }, 401],
    ['a tampered timestamp', () => { const t = now(); return { 'X-LC-Sign': `${md5(t + APP_KEY)},${Number(t) + 1}` }; }, 401],
    ['a malformed signature', () => ({ 'X-LC-Sign': 'garbage' }), 401],
    ['legacy X-AVOSCloud headers', () => ({ 'X-AVOSCloud-Application-Key': APP_KEY }), 200],
    ['no key at all', () => ({}), 401],
  ];
  for (const [name, headers, status] of cases) {
    it(`${name} → ${status}`, async () => {
      const h = { 'X-LC-Id': APP_ID, ...headers() };
      if (h['X-AVOSCloud-Application-Key']) {
        delete h['X-LC-Id'];
        h['X-AVOSCloud-Application-Id'] = APP_ID;
      }
      const res = await raw('GET', 'classes/Anything?limit=1', { headers: h });
      assert.equal(res.status, status, res.text);
      if (status === 401) assert.deepEqual(res.json, { code: 401, error: 'Unauthorized.' });
    });
  }

  it('a wrong app id → 401', async () => {
    const res = await raw('GET', 'classes/Anything', { headers: { 'X-LC-Id': 'other', 'X-LC-Key': APP_KEY } });
    assert.equal(res.status, 401);
  });

  it('an invalid session token is refused, even with a good key', async () => {
    const res = await raw('GET', 'users/me', { headers: { 'X-LC-Id': APP_ID, 'X-LC-Key': APP_KEY, 'X-LC-Session': 'not-a-session' } });
    assert.equal(res.status, 400);
    assert.equal(res.json.code, 209);
  });

  it('stats/open/collect is accepted (and dropped: its format is not translated)', async () => {
    const res = await raw('POST', 'stats/open/collect', { headers: { 'X-LC-Id': APP_ID, 'X-LC-Key': APP_KEY }, body: { events: [] } });
    assert.equal(res.status, 200);
  });
});

describe('LeanCloud SDK: cloud functions', () => {
  it('AV.Cloud.run and rpc call a cloud function', async () => {
    assert.equal(await AV.Cloud.run('hello', { name: 'ada' }), 'hello ada');
    assert.equal(await AV.Cloud.rpc('hello', { name: 'bob' }), 'hello bob');
  });
});
