'use strict';
// Push through the SDK: Parse.Installation (saved once per device, Parse's
// client restrictions), Parse.Push.send with its pushStatusId and
// Parse.Push.getPushStatus, a scheduled push, and the built-in channel
// through the README's JavaScript client, taken from README.md itself so
// that the two cannot drift apart. The server runs on the embedded
// defaults: no push provider is configured, so devices use the built-in
// channel.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const { useServer, rest, parseError, REPO_ROOT, APP_ID, OBJECT_ID } = require('../helpers/server');

const ctx = useServer({ name: 'push' });

// connectPush is the README's client: the first ```js block after the
// pushchannel marker.
function readmeClient() {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('<!-- pushchannel');
  assert.ok(at >= 0, 'README.md has no pushchannel marker');
  const m = readme.slice(at).match(/```js\n([\s\S]*?)```/);
  assert.ok(m, 'no ```js block after the pushchannel marker');
  return new Function(`${m[1]}\nreturn connectPush;`)();
}
const connectPush = readmeClient();

let counter = 0;
const uniqueId = (p) => `${p}-${process.pid}-${Date.now()}-${++counter}`.toLowerCase();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// device connects the README client for an installation and collects what
// it receives; next() resolves with the next push's data.
function device(installationId, extra = {}) {
  const got = [];
  const waiters = [];
  const errors = [];
  const push = connectPush({
    serverURL: ctx.server.serverURL,
    applicationId: APP_ID,
    installationId,
    WebSocket,
    onPush: (data, msg) => {
      got.push({ data, msg });
      while (waiters.length && got.length) waiters.shift()(got.shift());
    },
    onError: (e) => errors.push(e),
    ...extra,
  });
  return {
    errors,
    close: () => push.close(),
    next(ms = 10000) {
      if (got.length) return Promise.resolve(got.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no push within ${ms}ms`)), ms);
        waiters.push((v) => {
          clearTimeout(timer);
          resolve(v);
        });
      });
    },
  };
}

async function waitStatus(Parse, id, want, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const st = await Parse.Push.getPushStatus(id, { useMasterKey: true });
    if (want.includes(st.get('status'))) return st;
    if (Date.now() > deadline) throw new Error(`push ${id} is ${st.get('status')}, want ${want}`);
    await sleep(100);
  }
}

describe('Parse.Installation', () => {
  it('a device is saved once: saving again with its installationId updates it', async () => {
    const { Parse } = ctx;
    const installationId = uniqueId('inst');
    const first = new Parse.Installation();
    first.set({ installationId, deviceType: 'android', channels: ['news'] });
    await first.save();
    assert.match(first.id, OBJECT_ID);

    // A reinstall saves a new Installation object with the same id.
    const again = new Parse.Installation();
    again.set({ installationId, deviceType: 'android', channels: ['news', 'sport'], badge: 2 });
    await again.save();
    assert.equal(again.id, first.id, 'the second save updated the first installation');

    const stored = await new Parse.Query(Parse.Installation).get(first.id, { useMasterKey: true });
    assert.deepEqual(stored.get('channels'), ['news', 'sport']);
    assert.equal(stored.get('badge'), 2);
  });

  it('deviceType is required (135) and immutable (136)', async () => {
    const { Parse } = ctx;
    const inst = new Parse.Installation();
    inst.set({ installationId: uniqueId('nodt') });
    const e = await parseError(() => inst.save());
    assert.equal(e.code, 135);

    const ok = new Parse.Installation();
    ok.set({ installationId: uniqueId('dt'), deviceType: 'ios' });
    await ok.save(null, { useMasterKey: true });
    ok.set('deviceType', 'android');
    const e2 = await parseError(() => ok.save(null, { useMasterKey: true }));
    assert.equal(e2.code, 136);
  });

  it('clients cannot list or delete installations', async () => {
    const { Parse } = ctx;
    const inst = new Parse.Installation();
    inst.set({ installationId: uniqueId('ro'), deviceType: 'web' });
    await inst.save();
    const find = await parseError(() => new Parse.Query(Parse.Installation).find());
    assert.equal(find.code, 119);
    const del = await parseError(() => inst.destroy());
    assert.equal(del.code, 119);
  });
});

describe('Parse.Push', () => {
  it('send returns the pushStatusId, and the device on the built-in channel gets the push', async () => {
    const { Parse } = ctx;
    const installationId = uniqueId('dev');
    const inst = new Parse.Installation();
    inst.set({ installationId, deviceType: 'web', channels: ['sdk-news'] });
    await inst.save();
    const d = device(installationId);
    try {
      await sleep(300); // connected before the push
      const id = await Parse.Push.send(
        { channels: ['sdk-news'], data: { alert: 'from the SDK', title: 'SDK', articleId: 'a1' } },
        { useMasterKey: true }
      );
      assert.match(id, OBJECT_ID, `pushStatusId ${id}`);
      const { data, msg } = await d.next();
      assert.equal(data.alert, 'from the SDK');
      assert.equal(data.articleId, 'a1');
      assert.equal(msg.pushId, id);
      const st = await waitStatus(Parse, id, ['succeeded', 'failed']);
      assert.equal(st.get('status'), 'succeeded');
      assert.equal(st.get('numSent'), 1);
      assert.equal(st.get('numFailed'), 0);
      assert.deepEqual(st.get('sentPerType'), { web: 1 });
      assert.equal(st.get('payload'), JSON.stringify({ alert: 'from the SDK', articleId: 'a1', title: 'SDK' }));
    } finally {
      d.close();
    }
  });

  it('a where query as audience, and a device offline gets the push when it connects', async () => {
    const { Parse } = ctx;
    const installationId = uniqueId('late');
    const inst = new Parse.Installation();
    inst.set({ installationId, deviceType: 'android', appVersion: '9.9' });
    await inst.save();
    const where = new Parse.Query(Parse.Installation).equalTo('installationId', installationId).greaterThan('appVersion', '9');
    const id = await Parse.Push.send({ where, expiration_interval: 600, data: { alert: 'while away' } });
    await waitStatus(Parse, id, ['succeeded']);
    const d = device(installationId);
    try {
      const { data, msg } = await d.next();
      assert.equal(data.alert, 'while away');
      assert.equal(msg.pushId, id);
    } finally {
      d.close();
    }
  });

  it('push_time schedules a push, which stays scheduled until its time', async () => {
    const { Parse } = ctx;
    const installationId = uniqueId('sched');
    const inst = new Parse.Installation();
    inst.set({ installationId, deviceType: 'android' });
    await inst.save();
    const at = new Date(Date.now() + 1500);
    const id = await Parse.Push.send({ where: { installationId }, push_time: at, data: { alert: 'later' } });
    const st = await Parse.Push.getPushStatus(id);
    assert.equal(st.get('status'), 'scheduled');
    assert.equal(st.get('pushTime'), at.toISOString());
    const done = await waitStatus(Parse, id, ['succeeded', 'failed']);
    assert.equal(done.get('status'), 'succeeded');
    assert.ok(Date.now() >= at.getTime(), 'sent before its time');
  });

  it('without the master key a push is refused (119); _PushStatus is the master key\'s', async () => {
    const { Parse } = ctx;
    const e = await parseError(() => Parse.Push.send({ channels: ['x'], data: { alert: 'no' } }, { useMasterKey: false }));
    assert.equal(e.code, 119);
    const bad = await parseError(() => Parse.Push.send({ data: { alert: 'no audience' } }));
    assert.equal(bad.code, 115);
    const res = await rest(ctx.server, 'GET', 'classes/_PushStatus');
    assert.equal(res.json.code, 119, '_PushStatus is the master key\'s');
  });

  it('the channel refuses a device without an installation, and the client stops', async () => {
    const d = device(uniqueId('nosuch'));
    const deadline = Date.now() + 10000;
    while (!d.errors.length && Date.now() < deadline) await sleep(50);
    d.close();
    assert.equal(d.errors.length, 1);
    assert.equal(d.errors[0].code, 101);
  });
});
