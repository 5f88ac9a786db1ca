'use strict';
// Parse.File through the SDK against the files API of a real server (the
// local provider): save from bytes, a Buffer, base64 and a data URI,
// getData, destroy, files on objects, the fileUpload rules, and protected
// files with their signed URLs.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, startServer, rest, parseError, APP_ID } = require('../helpers/server');
const { signUp, as, restAs, assertRefused } = require('../helpers/users');

const ctx = useServer({ name: 'files' });

let user;
ctx.setup(async ({ Parse }) => {
  user = await signUp(Parse, 'filer');
});

const HELLO = [...Buffer.from('hello, files')];
// A 1x1 PNG.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

async function download(url, headers = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

// anonymousToken signs an anonymous user up (authData.anonymous) over REST.
async function anonymousToken(server) {
  const res = await rest(server, 'POST', 'users', { body: { authData: { anonymous: { id: crypto.randomUUID() } } } });
  assert.equal(res.status, 201, res.text);
  return res.json.sessionToken;
}

describe('Parse.File save and read', () => {
  it('saves from bytes: a unique name, a URL that serves the bytes', async () => {
    const { Parse, server } = ctx;
    const file = new Parse.File('hello.txt', HELLO, 'text/plain');
    await file.save(as(user));
    assert.match(file.name(), /^[0-9a-f]{32}_hello\.txt$/);
    assert.equal(file.url(), `${server.serverURL}/files/${APP_ID}/${file.name()}`);
    const got = await download(file.url());
    assert.equal(got.status, 200);
    assert.deepEqual([...got.body], HELLO);
    assert.equal(got.headers.get('content-type'), 'text/plain');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
  });

  it('saves from a Buffer (the SDK streams it as the raw body)', async () => {
    const { Parse } = ctx;
    const file = new Parse.File('raw.bin', Buffer.from([0, 1, 2, 250, 255]), 'application/octet-stream');
    await file.save(as(user));
    assert.deepEqual([...(await download(file.url())).body], [0, 1, 2, 250, 255]);
  });

  it('saves from a stream, with metadata and tags (sent in headers)', async () => {
    const { Parse, server } = ctx;
    const { Readable } = require('node:stream');
    const file = new Parse.File('streamed.txt', Readable.from([Buffer.from('stre'), Buffer.from('amed')]), 'text/plain');
    file.setMetadata({ camera: 'x100' });
    file.addTag('album', 'summer');
    await file.save(as(user));
    assert.equal((await download(file.url())).body.toString(), 'streamed');
    const rec = await rest(server, 'GET', 'classes/_File', { query: { where: { name: file.name() } }, master: true });
    assert.deepEqual(rec.json.results[0].metadata, { camera: 'x100' });
    assert.deepEqual(rec.json.results[0].tags, { album: 'summer' });
    assert.equal(rec.json.results[0].owner, user.id);
    const bad = await restAs(server, user, 'POST', 'files/bad.txt', { rawBody: 'x', contentType: 'text/plain', headers: { 'X-Parse-File-Metadata': '[1' } });
    assertRefused(bad, 107);
  });

  it('saves from base64 and from a data URI, which gives the type', async () => {
    const { Parse } = ctx;
    const b64 = new Parse.File('b64.txt', { base64: Buffer.from('from base64').toString('base64') });
    await b64.save(as(user));
    assert.equal((await download(b64.url())).body.toString(), 'from base64');

    const uri = new Parse.File('dot.png', { base64: `data:image/png;base64,${PNG_BASE64}` });
    await uri.save(as(user));
    const got = await download(uri.url());
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.equal(got.body.toString('base64'), PNG_BASE64);
  });

  it('takes a data URI in the REST envelope too', async () => {
    const { server } = ctx;
    const res = await fetch(`${server.serverURL}/files/env.png`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ base64: `data:image/png;base64,${PNG_BASE64}`, _ApplicationId: APP_ID, _SessionToken: user.getSessionToken() }),
    });
    assert.equal(res.status, 201);
    const { url } = await res.json();
    const got = await download(url);
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.equal(got.body.toString('base64'), PNG_BASE64);
  });

  it('getData downloads a file that came from the server', async () => {
    const { Parse } = ctx;
    const file = new Parse.File('data.txt', HELLO, 'text/plain');
    await file.save(as(user));
    const obj = await new Parse.Object('FileHolder').save({ attachment: file }, as(user));
    const fetched = await new Parse.Query('FileHolder').get(obj.id, as(user));
    const remote = fetched.get('attachment');
    assert.equal(remote.name(), file.name());
    assert.equal(await remote.getData(), Buffer.from(HELLO).toString('base64'));
  });

  it('serves byte ranges', async () => {
    const { Parse } = ctx;
    const file = new Parse.File('range.txt', HELLO, 'text/plain');
    await file.save(as(user));
    const got = await download(file.url(), { Range: 'bytes=7-' });
    assert.equal(got.status, 206);
    assert.equal(got.body.toString(), 'files');
  });
});

describe('files on objects', () => {
  it('a File field comes back with the server URL, which downloads', async () => {
    const { Parse, server } = ctx;
    const file = new Parse.File('avatar.png', { base64: PNG_BASE64 }, 'image/png');
    await file.save(as(user));
    const obj = await new Parse.Object('Profile').save({ avatar: file, gallery: [file] }, as(user));

    const got = await new Parse.Query('Profile').get(obj.id, as(user));
    assert.ok(got.get('avatar') instanceof Parse.File);
    assert.equal(got.get('avatar').url(), file.url());
    assert.equal(got.get('gallery')[0].url(), file.url());
    assert.equal((await download(got.get('avatar').url())).body.toString('base64'), PNG_BASE64);

    // A URL a client stored is not what others get back.
    const forged = await rest(server, 'POST', 'classes/Profile', {
      body: { avatar: { __type: 'File', name: file.name(), url: 'https://evil.example/x.png' } },
    });
    assert.equal(forged.status, 201, forged.text);
    const back = await rest(server, 'GET', `classes/Profile/${forged.json.objectId}`);
    assert.equal(back.json.avatar.url, file.url());
  });
});

describe('destroy', () => {
  it('needs the master key; the file is gone afterwards', async () => {
    const { Parse } = ctx;
    const file = new Parse.File('gone.txt', HELLO, 'text/plain');
    await file.save(as(user));
    // destroy() uses the master key unless told not to.
    const err = await parseError(() => file.destroy({ useMasterKey: false }));
    assert.ok(err instanceof Parse.Error);
    assert.equal((await download(file.url())).status, 200);

    await file.destroy();
    assert.equal((await download(file.url())).status, 404);
    const again = await rest(ctx.server, 'DELETE', `files/${file.name()}`, { master: true });
    assertRefused(again, 153);
  });
});

describe('upload rules (defaults: logged-in users only)', () => {
  it('refuses the public and anonymous users, accepts a logged-in user', async () => {
    const { Parse, server } = ctx;
    const pub = await parseError(() => new Parse.File('pub.txt', HELLO, 'text/plain').save());
    assert.equal(pub.code, Parse.Error.FILE_SAVE_ERROR);
    assert.match(pub.message, /public is disabled/);

    const anon = await anonymousToken(server);
    const byAnon = await parseError(() => new Parse.File('anon.txt', HELLO, 'text/plain').save({ sessionToken: anon }));
    assert.equal(byAnon.code, Parse.Error.FILE_SAVE_ERROR);
    assert.match(byAnon.message, /anonymous user is disabled/);
  });

  it('refuses HTML, SVG, XML and JavaScript, also with a MIME parameter', async () => {
    const { Parse, server } = ctx;
    for (const [name, type] of [
      ['page.html', 'text/html'],
      ['pic.svg', 'image/svg+xml'],
      ['feed.xml', 'application/xml'],
      ['app.js', 'text/javascript'],
    ]) {
      const err = await parseError(() => new Parse.File(name, HELLO, type).save(as(user)));
      assert.equal(err.code, Parse.Error.FILE_SAVE_ERROR, name);
    }
    // The type alone gives it away, with or without parameters, whatever
    // the extension says.
    for (const type of ['image/svg+xml; charset=x', 'IMAGE/SVG+XML ;charset=utf-8', 'text/html; charset=utf-8']) {
      const res = await restAs(server, user, 'POST', 'files/innocent.png', { rawBody: '<svg onload="alert(1)"/>', contentType: type });
      assertRefused(res, 130);
    }
  });
});

describe('upload rules (configured)', () => {
  let server;
  before(async () => {
    server = await startServer({
      name: 'files-rules',
      env: {
        SWITCHBOARD_FILE_UPLOAD__ENABLE_FOR_PUBLIC: 'true',
        SWITCHBOARD_FILE_UPLOAD__ENABLE_FOR_ANONYMOUS_USER: 'true',
        SWITCHBOARD_FILE_UPLOAD__ENABLE_FOR_AUTHENTICATED_USER: 'false',
        SWITCHBOARD_FILE_UPLOAD__FILE_EXTENSIONS: '^png$',
      },
    });
  });
  after(async () => server && server.stop());

  it('enableForPublic, enableForAnonymousUser, enableForAuthenticatedUser and fileExtensions', async () => {
    const png = { rawBody: Buffer.from(PNG_BASE64, 'base64'), contentType: 'image/png' };
    assert.equal((await rest(server, 'POST', 'files/ok.png', png)).status, 201);
    const anon = await anonymousToken(server);
    assert.equal((await restAs(server, anon, 'POST', 'files/ok.png', png)).status, 201);

    const signup = await rest(server, 'POST', 'users', { body: { username: 'ruled', password: 'pw-ruled' } });
    const byUser = await restAs(server, signup.json.sessionToken, 'POST', 'files/ok.png', png);
    assertRefused(byUser, 130);
    assert.match(byUser.json.error, /authenticated user is disabled/);

    assertRefused(await rest(server, 'POST', 'files/notes.txt', { rawBody: 'x', contentType: 'text/plain' }), 130);
    // The master key is not bound by the rules.
    assert.equal((await rest(server, 'POST', 'files/notes.txt', { rawBody: 'x', contentType: 'text/plain', master: true })).status, 201);
  });
});

describe('protected files', () => {
  let server;
  before(async () => {
    server = await startServer({ name: 'files-protected', env: { SWITCHBOARD_FILES__PROTECT_BY_DEFAULT: 'true' } });
  });
  after(async () => server && server.stop());

  it('are read through short-lived signed URLs; the plain URL is refused', async () => {
    const up = await rest(server, 'POST', 'files/secret.txt', { rawBody: 'top secret', contentType: 'text/plain', master: true });
    assert.equal(up.status, 201, up.text);
    const name = up.json.name;
    const plain = `${server.serverURL}/files/${APP_ID}/${name}`;
    assert.match(up.json.url, /[?&]sig=/);

    const obj = await rest(server, 'POST', 'classes/Vault', { body: { doc: { __type: 'File', name } } });
    assert.equal(obj.status, 201, obj.text);
    const got = await rest(server, 'GET', `classes/Vault/${obj.json.objectId}`);
    const signed = got.json.doc.url;
    assert.ok(signed.startsWith(plain + '?'), signed);
    assert.match(signed, /exp=\d+/);

    const ok = await download(signed);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), 'top secret');
    assert.match(ok.headers.get('cache-control'), /^private/);

    const refused = await fetch(plain);
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).code, 119);

    const tampered = new URL(signed);
    tampered.searchParams.set('exp', String(Number(tampered.searchParams.get('exp')) + 3600));
    assert.equal((await fetch(tampered)).status, 403);
  });
});
