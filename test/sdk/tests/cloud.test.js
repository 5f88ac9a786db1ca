'use strict';
// Cloud code through the parse npm SDK: the functions and jobs of the SDK's
// own integration suite (test/sdk/cloud/main.js, loaded at start with
// SWITCHBOARD_CLOUD as Parse Server's cloud option), behaving as on Parse
// Server, idempotency included; one trigger of each type; deploys.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const crypto = require('node:crypto');
const { useServer, rest, parseError } = require('../helpers/server');

const ctx = useServer({
  name: 'cloud',
  env: {
    SWITCHBOARD_CLOUD: path.join(__dirname, '..', 'cloud'),
    SWITCHBOARD_IDEMPOTENCY_OPTIONS__PATHS: 'functions/.*,jobs/.*',
  },
});

const sleep = ms => new Promise(r => setTimeout(r, ms));

// waitForJobStatus polls the job's _JobStatus until it has status.
async function waitForJobStatus(id, status) {
  const { Parse } = ctx;
  for (let i = 0; i < 200; i++) {
    const s = await Parse.Cloud.getJobStatus(id);
    if (s.get('status') === status) return s;
    await sleep(50);
  }
  throw new Error(`job ${id} never reached ${status}`);
}

// withRequestId makes every request of fn carry the same request id, as
// the SDK's own idempotency test does with a duplicating transport.
async function withRequestId(id, fn) {
  const { Parse } = ctx;
  const rc = Parse.CoreManager.getRESTController();
  const ajax = rc.ajax;
  rc.ajax = (method, url, data, headers, options) => {
    const body = JSON.parse(data);
    body._RequestId = id;
    return ajax.call(rc, method, url, JSON.stringify(body), headers, options);
  };
  try {
    return await fn();
  } finally {
    rc.ajax = ajax;
  }
}

describe('Parse.Cloud.run (the SDK integration functions)', () => {
  it('run function', async () => {
    assert.equal(await ctx.Parse.Cloud.run('bar', { key1: 'value2', key2: 'value1' }), 'Foo');
  });

  it('run function with user', async () => {
    const { Parse } = ctx;
    const user = await Parse.User.signUp('cloudrunner', 'pw');
    try {
      assert.equal(await Parse.Cloud.run('bar', { key2: 'value1' }, { sessionToken: user.getSessionToken() }), 'Foo');
    } finally {
      await Parse.User.logOut();
    }
  });

  it('run function failed', async () => {
    const err = await parseError(() => ctx.Parse.Cloud.run('bar', { key1: 'value1', key2: 'value2' }));
    assert.equal(err.code, ctx.Parse.Error.SCRIPT_FAILED);
    assert.equal(err.message, 'bad stuff happened');
  });

  it('run function name fail', async () => {
    const err = await parseError(() => ctx.Parse.Cloud.run('unknown_function'));
    assert.equal(err.code, ctx.Parse.Error.SCRIPT_FAILED);
    assert.equal(err.message, 'Invalid function: "unknown_function"');
  });

  it('run function with geopoint params does not fail', async () => {
    const { Parse } = ctx;
    const err = await parseError(() => Parse.Cloud.run('bar', { key1: new Parse.GeoPoint({ latitude: 40, longitude: -30 }) }));
    assert.equal(err.code, Parse.Error.SCRIPT_FAILED);
    assert.equal(err.message, 'bad stuff happened');
  });

  it('run function with undefined', async () => {
    assert.equal(await ctx.Parse.Cloud.run('CloudFunctionUndefined', {}), undefined);
  });

  it('UpdateUser changes the user with the master key', async () => {
    const { Parse } = ctx;
    const user = await Parse.User.signUp('toupdate', 'pw');
    await Parse.User.logOut();
    const saved = await Parse.Cloud.run('UpdateUser', { id: user.id });
    assert.ok(saved instanceof Parse.User);
    assert.equal(saved.get('foo'), 'changed');
    const fetched = await new Parse.Query(Parse.User).get(user.id, { useMasterKey: true });
    assert.equal(fetched.get('foo'), 'changed');
  });

  it('a saved object returned by a function is a Parse.Object', async () => {
    const { Parse } = ctx;
    const item = await new Parse.Object('Item').save({ foo: 'original' });
    const result = await Parse.Cloud.run('TestFetchFromLocalDatastore', { id: item.id });
    assert.ok(result instanceof Parse.Object);
    assert.equal(result.id, item.id);
    assert.equal(result.get('foo'), 'changed');
    await item.fetch();
    assert.equal(item.get('foo'), 'changed');
  });
});

describe('Parse.Cloud jobs', () => {
  it('run job', async () => {
    const { Parse } = ctx;
    const id = await Parse.Cloud.startJob('CloudJob1', { startedBy: 'Monty Python' });
    assert.match(id, /^\w+$/);
    const status = await waitForJobStatus(id, 'succeeded');
    assert.equal(status.get('params').startedBy, 'Monty Python');
  });

  it('run long job', async () => {
    const { Parse } = ctx;
    const id = await Parse.Cloud.startJob('CloudJob2');
    const status = await Parse.Cloud.getJobStatus(id);
    assert.equal(status.get('status'), 'running');
    await waitForJobStatus(id, 'succeeded');
  });

  it('run bad job', async () => {
    const err = await parseError(() => ctx.Parse.Cloud.startJob('bad_job'));
    assert.equal(err.code, ctx.Parse.Error.SCRIPT_FAILED);
    assert.equal(err.message, 'Invalid job.');
  });

  it('run failing job', async () => {
    const { Parse } = ctx;
    const id = await Parse.Cloud.startJob('CloudJobFailing');
    const status = await waitForJobStatus(id, 'failed');
    assert.equal(status.get('message'), 'cloud job failed');
  });

  it('get jobs data', async () => {
    const data = await ctx.Parse.Cloud.getJobsData();
    assert.equal(data.in_use.length, 0);
    assert.deepEqual([...data.jobs].sort(), ['CloudJob1', 'CloudJob2', 'CloudJobFailing']);
  });

  it('invalid job status id', async () => {
    const err = await parseError(() => ctx.Parse.Cloud.getJobStatus('not-a-real-id'));
    assert.equal(err.message, 'Object not found.');
  });
});

describe('idempotency on functions and jobs', () => {
  it('handle duplicate cloud code function request', async () => {
    const { Parse } = ctx;
    await withRequestId(crypto.randomUUID(), async () => {
      await Parse.Cloud.run('CloudFunctionIdempotency');
      for (let i = 0; i < 2; i++) {
        const err = await parseError(() => Parse.Cloud.run('CloudFunctionIdempotency'));
        assert.equal(err.code, Parse.Error.DUPLICATE_REQUEST);
        assert.equal(err.message, 'Duplicate request');
      }
    });
    const items = await new Parse.Query('IdempotencyItem').find({ useMasterKey: true });
    assert.equal(items.length, 1);
  });

  it('handle duplicate job request', async () => {
    const { Parse } = ctx;
    const params = { startedBy: 'Monty Python' };
    let id;
    await withRequestId(crypto.randomUUID(), async () => {
      id = await Parse.Cloud.startJob('CloudJob1', params);
      const err = await parseError(() => Parse.Cloud.startJob('CloudJob1', params));
      assert.equal(err.message, 'Duplicate request');
    });
    const status = await waitForJobStatus(id, 'succeeded');
    assert.equal(status.get('params').startedBy, 'Monty Python');
  });
});

async function events(what) {
  const { Parse } = ctx;
  const list = await new Parse.Query('CloudEvent').equalTo('what', what).ascending('createdAt').find({ useMasterKey: true });
  return list.map(e => e.get('data'));
}

describe('triggers through the SDK', () => {
  it('beforeSave changes the object; the SDK gets the changed fields back', async () => {
    const { Parse } = ctx;
    const a = await new Parse.Object('Article').save({ title: 'Hello Cloud World' });
    assert.equal(a.get('slug'), 'hello-cloud-world');
    assert.equal(a.get('views'), 0);
    a.set('title', 'Second Title');
    await a.save();
    assert.equal(a.get('slug'), 'second-title');
    const stored = await new Parse.Query('Article').get(a.id);
    assert.equal(stored.get('slug'), 'second-title');
    const saved = await events('afterSave');
    assert.deepEqual(saved.filter(e => e.id === a.id), [
      { id: a.id, slug: 'hello-cloud-world', isNew: true },
      { id: a.id, slug: 'second-title', isNew: false },
    ]);
  });

  it('a throw in beforeSave rejects the save with its code; validators with 142', async () => {
    const { Parse } = ctx;
    let err = await parseError(() => new Parse.Object('Article').save({ title: 'refused' }));
    assert.equal(err.code, Parse.Error.VALIDATION_ERROR);
    assert.equal(err.message, 'this title is refused');
    err = await parseError(() => new Parse.Object('Article').save({ body: 'no title' }));
    assert.equal(err.code, Parse.Error.VALIDATION_ERROR);
    assert.match(err.message, /title/);
  });

  it('beforeDelete refuses, afterDelete runs', async () => {
    const { Parse } = ctx;
    const pinned = await new Parse.Object('Article').save({ title: 'Pinned', pinned: true });
    const err = await parseError(() => pinned.destroy());
    assert.equal(err.code, Parse.Error.SCRIPT_FAILED);
    assert.equal(err.message, 'pinned articles cannot be deleted');
    const gone = await new Parse.Object('Article').save({ title: 'Gone' });
    await gone.destroy();
    assert.ok((await events('afterDelete')).some(e => e.id === gone.id));
  });

  it('beforeFind restricts the query, afterFind changes the results', async () => {
    const { Parse } = ctx;
    const draft = await new Parse.Object('Article').save({ title: 'Draft', draft: true });
    const found = await new Parse.Query('Article').find();
    assert.ok(found.length > 0);
    assert.ok(!found.some(o => o.id === draft.id), 'a draft came back to a client');
    assert.ok(found.every(o => o.get('readAt') === 'server'));
    const asMaster = await new Parse.Query('Article').find({ useMasterKey: true });
    assert.ok(asMaster.some(o => o.id === draft.id));
  });

  it('beforeLogin refuses, afterLogin and afterLogout run', async () => {
    const { Parse } = ctx;
    const u = await Parse.User.signUp('suspended', 'pw');
    u.set('suspended', true);
    await u.save(null, { useMasterKey: true });
    await Parse.User.logOut();
    const err = await parseError(() => Parse.User.logIn('suspended', 'pw'));
    assert.equal(err.code, Parse.Error.OPERATION_FORBIDDEN);
    assert.equal(err.message, 'account suspended');

    await Parse.User.signUp('cheerful', 'pw');
    await Parse.User.logOut();
    const user = await Parse.User.logIn('cheerful', 'pw');
    assert.ok((await events('afterLogin')).some(e => e.user === 'cheerful'));
    // The Node SDK keeps no current user: log out with the session, as a
    // server-side caller does.
    const out = await rest(ctx.server, 'POST', 'logout', { body: {}, headers: { 'X-Parse-Session-Token': user.getSessionToken() } });
    assert.equal(out.status, 200, out.text);
    assert.deepEqual(await events('afterLogout'), [{ hasSession: true }]);
  });
});

describe('file triggers through the SDK', () => {
  it('beforeSave(Parse.File) refuses or renames an upload', async () => {
    const { Parse } = ctx;
    // Uploads by the public are off by default (fileUpload): as the master key.
    const asMaster = { useMasterKey: true };
    const err = await parseError(() => new Parse.File('blocked.txt', { base64: 'aGk=' }).save(asMaster));
    assert.equal(err.code, Parse.Error.SCRIPT_FAILED);
    assert.equal(err.message, 'blocked file');
    const renamed = await new Parse.File('rename.txt', { base64: 'aGk=' }).save(asMaster);
    assert.match(renamed.name(), /renamed\.txt$/);
    const plain = await new Parse.File('plain.txt', { base64: 'aGk=' }).save(asMaster);
    assert.match(plain.name(), /plain\.txt$/);
  });
});

describe('deployments while the SDK keeps calling', () => {
  it('deploy a new version and roll back with no failed call', async () => {
    const { Parse } = ctx;
    const deploy = async (files) => {
      const enc = {};
      for (const [p, src] of Object.entries(files)) enc[p] = Buffer.from(src).toString('base64');
      const res = await rest(ctx.server, 'POST', 'deployments', { master: true, body: { files: enc, encoding: 'base64', note: 'sdk test' } });
      assert.equal(res.status, 201, res.text);
      return res.json.version;
    };
    const list = await rest(ctx.server, 'GET', 'deployments', { master: true });
    const first = list.json.results.find(v => v.active).version;
    let stop = false;
    let calls = 0;
    const failures = [];
    const caller = (async () => {
      while (!stop) {
        try {
          await Parse.Cloud.run('bar', { key2: 'value1' });
          calls++;
        } catch (e) {
          failures.push(String(e));
        }
      }
    })();
    await sleep(100);
    const v2 = await deploy({ 'main.js': "Parse.Cloud.define('bar', () => 'Bar v2');" });
    await sleep(100);
    assert.equal(await Parse.Cloud.run('bar'), 'Bar v2');
    const back = await rest(ctx.server, 'PUT', `deployments/${first}`, { master: true, body: { active: true } });
    assert.equal(back.status, 200, back.text);
    await sleep(100);
    stop = true;
    await caller;
    assert.deepEqual(failures, []);
    assert.ok(calls > 0);
    assert.ok(v2 > first);
    assert.equal(await Parse.Cloud.run('bar', { key2: 'value1' }), 'Foo');
  });
});
