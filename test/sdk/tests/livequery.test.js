'use strict';
// LiveQuery through the SDK: query.subscribe() on the default client (the
// WebSocket URL derived from serverURL) and an explicit Parse.LiveQueryClient;
// every event type with its original, keys and watch, unsubscribe and
// resubscribe, ACL-restricted objects seen only by those allowed, and a
// revoked session.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, APP_ID, MASTER_KEY } = require('../helpers/server');
const { signUp, restAs } = require('../helpers/users');

// The default client must close before the server stops: closed while it
// is reconnecting, the SDK leaves its reconnect timer running, and the file
// never ends. Root after hooks run in the order they are registered.
let ctx = null;
after(async () => {
  if (ctx && ctx.Parse) await ctx.Parse.LiveQuery.close();
});
ctx = useServer({ name: 'livequery', env: { SWITCHBOARD_LIVE_QUERY__ALL_CLASSES: 'true' } });

const users = {};
ctx.setup(async ({ Parse }) => {
  users.alice = await signUp(Parse, 'alice');
  users.bob = await signUp(Parse, 'bob');
});

// next resolves with the arguments of the next `event` a subscription or
// client emits, and fails after ms. (They expose on() and keep the Node
// EventEmitter, which has once(), in .emitter.)
function next(source, event, ms = 5000) {
  const emitter = source.emitter || source;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event within ${ms}ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

// record collects every event of a subscription, in order.
function record(sub) {
  const events = [];
  for (const e of ['create', 'update', 'enter', 'leave', 'delete']) {
    sub.on(e, (obj, original) => events.push({ e, id: obj.id, obj, original }));
  }
  return events;
}

// fence saves an object of the Fence class and waits for its create on the
// fence subscription: events reach a client in order, so every event caused
// before it has arrived by then. It makes "nothing arrived" a fact.
async function fence(Parse, fenceSub) {
  const seen = next(fenceSub, 'create');
  await new Parse.Object('Fence').save({ at: Date.now() }, { useMasterKey: true });
  await seen;
}

// openClient opens a LiveQueryClient on the WebSocket URL of the REST mount.
function openClient(Parse, { sessionToken, masterKey, applicationId = APP_ID } = {}) {
  const client = new Parse.LiveQueryClient({
    applicationId,
    serverURL: ctx.server.serverURL.replace(/^http/, 'ws'),
    javascriptKey: 'js-key-not-checked',
    masterKey,
    sessionToken,
  });
  client.connectPromise.catch(() => {}); // a refused connect is asserted through 'error'
  client.open();
  return client;
}

async function subscribe(Parse, query, sessionToken) {
  const sub = await query.subscribe(sessionToken);
  await next(sub, 'open');
  return sub;
}

describe('query.subscribe()', () => {
  it('delivers create, update, enter, leave and delete with the original', async () => {
    const { Parse } = ctx;
    const sub = await subscribe(Parse, new Parse.Query('Score').greaterThanOrEqualTo('points', 10));
    const fenceSub = await subscribe(Parse, new Parse.Query('Fence'));
    const events = record(sub);

    const low = await new Parse.Object('Score').save({ points: 5, player: 'ada' });
    const high = await new Parse.Object('Score').save({ points: 20, player: 'bob' });
    await high.save({ points: 25 });
    await low.save({ points: 12 });
    await high.save({ points: 1 });
    await low.destroy();
    await fence(Parse, fenceSub);

    assert.deepEqual(events.map((x) => [x.e, x.id]), [
      ['create', high.id],
      ['update', high.id],
      ['enter', low.id],
      ['leave', high.id],
      ['delete', low.id],
    ]);
    const [, update, enter, leave] = events;
    assert.equal(update.obj.get('points'), 25);
    assert.equal(update.original.get('points'), 20);
    assert.equal(enter.original.get('points'), 5);
    assert.equal(leave.obj.get('points'), 1);
    assert.equal(update.obj.className, 'Score');
    sub.unsubscribe();
    fenceSub.unsubscribe();
  });

  it('keys limits the fields sent; watch limits which changes fire update', async () => {
    const { Parse } = ctx;
    const keyed = await subscribe(Parse, new Parse.Query('Doc').select('title'));
    const watched = await subscribe(Parse, new Parse.Query('Doc').watch('title'));
    const fenceSub = await subscribe(Parse, new Parse.Query('Fence'));
    const keyedEvents = record(keyed);
    const watchedEvents = record(watched);

    const doc = await new Parse.Object('Doc').save({ title: 'a', body: 'long text' });
    await doc.save({ body: 'edited' });
    await doc.save({ title: 'b' });
    await fence(Parse, fenceSub);

    assert.deepEqual(keyedEvents.map((x) => x.e), ['create', 'update', 'update']);
    assert.equal(keyedEvents[0].obj.get('title'), 'a');
    assert.equal(keyedEvents[0].obj.get('body'), undefined);
    assert.deepEqual(watchedEvents.map((x) => x.e), ['create', 'update']);
    assert.equal(watchedEvents[1].obj.get('title'), 'b');
    for (const s of [keyed, watched, fenceSub]) s.unsubscribe();
  });

  it('unsubscribe stops the events; a new subscription gets them again', async () => {
    const { Parse } = ctx;
    const fenceSub = await subscribe(Parse, new Parse.Query('Fence'));
    const sub = await subscribe(Parse, new Parse.Query('Note'));
    const events = record(sub);
    await sub.unsubscribe();
    await new Parse.Object('Note').save({ t: 1 });
    await fence(Parse, fenceSub);
    assert.deepEqual(events, []);

    const again = await subscribe(Parse, new Parse.Query('Note'));
    const created = next(again, 'create');
    const note = await new Parse.Object('Note').save({ t: 2 });
    const [obj] = await created;
    assert.equal(obj.id, note.id);
    again.unsubscribe();
    fenceSub.unsubscribe();
  });

  it('an ACL-restricted object reaches only the users allowed to read it', async () => {
    const { Parse } = ctx;
    const { alice, bob } = users;
    // The default client connects with Parse.masterKey, which these tests
    // set: it sees everything, as on Parse Server. Users get clients of
    // their own, without the master key.
    const clients = {
      alice: openClient(Parse, { sessionToken: alice.getSessionToken() }),
      bob: openClient(Parse, { sessionToken: bob.getSessionToken() }),
      anonymous: openClient(Parse, {}),
    };
    try {
      const seen = {};
      const fences = [];
      for (const [name, client] of Object.entries(clients)) {
        const sub = client.subscribe(new Parse.Query('Secret'));
        const fenceSub = client.subscribe(new Parse.Query('Fence'));
        await Promise.all([next(sub, 'open'), next(fenceSub, 'open')]);
        seen[name] = record(sub);
        fences.push(fenceSub);
      }
      const acl = new Parse.ACL(alice);
      acl.setPublicReadAccess(false);
      const secret = await new Parse.Object('Secret').setACL(acl).save({ text: 'for alice' }, { useMasterKey: true });
      const open = await new Parse.Object('Secret').save({ text: 'for everyone' });
      const arrived = fences.map((f) => next(f, 'create'));
      await new Parse.Object('Fence').save({ at: Date.now() }, { useMasterKey: true });
      await Promise.all(arrived);

      assert.deepEqual(seen.alice.map((x) => x.id), [secret.id, open.id]);
      assert.deepEqual(seen.bob.map((x) => x.id), [open.id]);
      assert.deepEqual(seen.anonymous.map((x) => x.id), [open.id]);
    } finally {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    }
  });

  it('a revoked session ends its subscription with an error', async () => {
    const { Parse } = ctx;
    const carol = await signUp(Parse, 'carol');
    const sub = await subscribe(Parse, new Parse.Query('Chat'), carol.getSessionToken());
    // At once when the pipeline publishes the deleted _Session, else at the
    // next periodic recheck of sessions (liveQuery.authRecheckInterval, 30s).
    const failed = next(sub, 'error', 40000);
    const res = await restAs(ctx.server, carol, 'POST', 'logout');
    assert.equal(res.status, 200, res.text);
    const [message] = await failed;
    assert.match(String(message), /session/i);
  });
});

describe('Parse.LiveQueryClient', () => {
  it('connects to the WebSocket URL of the REST mount with keys and subscribes', async () => {
    const { Parse } = ctx;
    const client = openClient(Parse, { masterKey: MASTER_KEY });
    try {
      const acl = new Parse.ACL();
      const sub = client.subscribe(new Parse.Query('Vault'));
      await next(sub, 'open');
      const created = next(sub, 'create');
      // Nobody but the master key may read it: the master client does.
      const hidden = await new Parse.Object('Vault').setACL(acl).save({ k: 1 }, { useMasterKey: true });
      const [obj] = await created;
      assert.equal(obj.id, hidden.id);
      assert.equal(obj.get('k'), 1);
    } finally {
      await client.close();
    }
  });

  it('a wrong application id is refused', async () => {
    const { Parse } = ctx;
    const client = openClient(Parse, { applicationId: 'not-this-app' });
    const [message] = await next(client, 'error');
    assert.match(String(message), /applicationId/);
    await client.close();
  });
});
