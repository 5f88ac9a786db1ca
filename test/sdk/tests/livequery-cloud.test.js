'use strict';
// LiveQuery with cloud code: Parse.Cloud.beforeConnect refuses a client,
// beforeSubscribe narrows a subscription's query, afterLiveQueryEvent
// changes what a subscriber receives or drops the event.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { useServer, APP_ID } = require('../helpers/server');

// The default client closes before the server stops (see livequery.test.js).
let ctx = null;
after(async () => {
  if (ctx && ctx.Parse) await ctx.Parse.LiveQuery.close();
});
ctx = useServer({
  name: 'livequery-cloud',
  env: {
    SWITCHBOARD_LIVE_QUERY__ALL_CLASSES: 'true',
    SWITCHBOARD_CLOUD: path.join(__dirname, '..', 'cloud-livequery'),
  },
});

// next resolves with the next `event` of a client or subscription (their
// Node EventEmitter is .emitter), and fails after ms.
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

describe('LiveQuery cloud triggers', () => {
  it('beforeConnect refuses a blocked installation and lets others in', async () => {
    const { Parse } = ctx;
    const wsURL = ctx.server.serverURL.replace(/^http/, 'ws');
    const blocked = new Parse.LiveQueryClient({ applicationId: APP_ID, serverURL: wsURL, installationId: 'blocked-device' });
    const refused = next(blocked, 'error');
    blocked.open();
    // The SDK also rejects the client's connect promise: observe it.
    blocked.connectPromise.catch(() => {});
    const [message] = await refused;
    assert.match(String(message && message.message ? message.message : message), /blocked/);
    await blocked.close();

    const fine = new Parse.LiveQueryClient({ applicationId: APP_ID, serverURL: wsURL, installationId: 'good-device' });
    const opened = next(fine, 'open');
    fine.open();
    await opened;
    await fine.close();
  });

  it('beforeSubscribe narrows the query; afterLiveQueryEvent hides a field and drops spam', async () => {
    const { Parse } = ctx;
    const sub = await new Parse.Query('Ticket').subscribe();
    await next(sub, 'open');
    const events = [];
    sub.on('create', (obj) => events.push(obj));
    const master = { useMasterKey: true };
    await new Parse.Object('Ticket').save({ title: 'closed one', open: false, internalNote: 'x' }, master);
    await new Parse.Object('Ticket').save({ title: 'spam', open: true, spam: true, internalNote: 'x' }, master);
    const created = next(sub, 'create');
    await new Parse.Object('Ticket').save({ title: 'real', open: true, internalNote: 'secret' }, master);
    const [obj] = await created;
    assert.equal(obj.get('title'), 'real');
    assert.equal(obj.get('internalNote'), undefined, 'afterLiveQueryEvent removed the note');
    // Events arrive in commit order: had the closed or the spam ticket been
    // sent, it would have arrived before the real one.
    assert.deepEqual(events.map((o) => o.get('title')), ['real']);
    sub.unsubscribe();
  });
});
