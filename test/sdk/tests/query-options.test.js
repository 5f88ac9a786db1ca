'use strict';
// Query options: include, select (keys), exclude (excludeKeys), order, limit,
// skip, count, withCount, distinct, first, each/findAll.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest } = require('../helpers/server');

const ctx = useServer({ name: 'queryopts' });
const fx = {};

ctx.setup(async () => {
  const { Parse } = ctx;
  const [red, blue] = await Parse.Object.saveAll([
    new Parse.Object('OptTeam').set({ tname: 'red' }),
    new Parse.Object('OptTeam').set({ tname: 'blue' }),
  ]);
  const [ann, bob] = await Parse.Object.saveAll([
    new Parse.Object('OptOwner').set({ oname: 'ann', secret: 's1', team: red }),
    new Parse.Object('OptOwner').set({ oname: 'bob', secret: 's2', team: blue }),
  ]);
  Object.assign(fx, { red, blue, ann, bob });
  const items = [];
  for (let n = 1; n <= 12; n++) {
    items.push(
      new Parse.Object('OptItem').set({
        n,
        group: ['a', 'b', 'c'][n % 3],
        label: `item-${n}`,
        big: { blob: 'x'.repeat(50) },
        owner: n % 2 ? ann : bob,
        sponsor: n % 2 ? bob : ann,
      })
    );
  }
  await Parse.Object.saveAll(items);

  const many = [];
  for (let i = 0; i < 105; i++) many.push(new Parse.Object('OptMany').set({ i }));
  await Parse.Object.saveAll(many);
});

const Q = () => new ctx.Parse.Query('OptItem');
const ns = (list) => list.map((o) => o.get('n'));

describe('include', () => {
  it('without include a pointer is not fetched', async () => {
    const item = await Q().equalTo('n', 1).first();
    const owner = item.get('owner');
    assert.equal(owner.id, fx.ann.id);
    assert.equal(owner.get('oname'), undefined);
    assert.equal(owner.isDataAvailable(), false);
  });

  it('include(pointer) embeds the object', async () => {
    const item = await Q().equalTo('n', 1).include('owner').first();
    const owner = item.get('owner');
    assert.equal(owner.id, fx.ann.id);
    assert.equal(owner.get('oname'), 'ann');
    assert.equal(owner.get('secret'), 's1');
    // Nested pointer is not fetched unless asked for.
    assert.equal(owner.get('team').id, fx.red.id);
    assert.equal(owner.get('team').get('tname'), undefined);

    const raw = await rest(ctx.server, 'GET', 'classes/OptItem', { query: { where: { n: 2 }, include: 'owner' } });
    assert.equal(raw.status, 200, raw.text);
    const o = raw.json.results[0].owner;
    assert.equal(o.__type, 'Object');
    assert.equal(o.className, 'OptOwner');
    assert.equal(o.objectId, fx.bob.id);
    assert.equal(o.oname, 'bob');
  });

  it("include('owner.team') embeds nested pointers", async () => {
    const item = await Q().equalTo('n', 2).include('owner.team').first();
    assert.equal(item.get('owner').get('oname'), 'bob');
    assert.equal(item.get('owner').get('team').get('tname'), 'blue');
  });

  it("include('*') embeds every top-level pointer", async () => {
    const item = await Q().equalTo('n', 3).include('*').first();
    assert.equal(item.get('owner').get('oname'), 'ann');
    assert.equal(item.get('sponsor').get('oname'), 'bob');
  });

  it('include of several keys, on a find of many rows', async () => {
    const items = await Q().include(['owner', 'sponsor']).ascending('n').find();
    assert.equal(items.length, 12);
    for (const it of items) {
      const odd = it.get('n') % 2 === 1;
      assert.equal(it.get('owner').get('oname'), odd ? 'ann' : 'bob');
      assert.equal(it.get('sponsor').get('oname'), odd ? 'bob' : 'ann');
    }
  });

  it('include of a pointer to a deleted object leaves it out without failing', async () => {
    const { Parse } = ctx;
    const ghost = await new Parse.Object('OptOwner').save({ oname: 'ghost' });
    const item = await new Parse.Object('OptOrphan').save({ owner: ghost, k: 1 });
    await ghost.destroy();
    const got = await new Parse.Query('OptOrphan').include('owner').get(item.id);
    assert.equal(got.get('k'), 1);
    const owner = got.get('owner');
    // Parse Server keeps the bare pointer when the target is gone.
    if (owner !== undefined) assert.equal(owner.get('oname'), undefined);
  });
});

describe('select / exclude', () => {
  it('select(keys) returns only those keys plus objectId/createdAt/updatedAt', async () => {
    const item = await Q().equalTo('n', 4).select('n', 'group').first();
    assert.equal(item.get('n'), 4);
    assert.equal(item.get('group'), 'b');
    assert.equal(item.has('label'), false);
    assert.equal(item.has('big'), false);
    assert.ok(item.id);
    assert.ok(item.createdAt instanceof Date);
    assert.ok(item.updatedAt instanceof Date);

    const raw = await rest(ctx.server, 'GET', 'classes/OptItem', { query: { where: { n: 4 }, keys: 'label' } });
    assert.equal(raw.status, 200, raw.text);
    assert.deepEqual(Object.keys(raw.json.results[0]).sort(), ['createdAt', 'label', 'objectId', 'updatedAt']);
  });

  it('select with a dot path into an included pointer', async () => {
    const item = await Q().equalTo('n', 1).include('owner').select('n', 'owner.oname').first();
    assert.equal(item.get('n'), 1);
    assert.equal(item.has('label'), false);
    assert.equal(item.get('owner').get('oname'), 'ann');
    assert.equal(item.get('owner').has('secret'), false);
  });

  it('exclude(keys) drops those keys', async () => {
    const item = await Q().equalTo('n', 5).exclude('big', 'label').first();
    assert.equal(item.get('n'), 5);
    assert.equal(item.get('group'), 'c');
    assert.equal(item.has('big'), false);
    assert.equal(item.has('label'), false);

    const raw = await rest(ctx.server, 'GET', 'classes/OptItem', { query: { where: { n: 5 }, excludeKeys: 'big,owner,sponsor' } });
    assert.equal(raw.status, 200, raw.text);
    assert.deepEqual(Object.keys(raw.json.results[0]).sort(), ['createdAt', 'group', 'label', 'n', 'objectId', 'updatedAt']);
  });
});

describe('order, limit, skip', () => {
  it('ascending / descending on one key', async () => {
    assert.deepEqual(ns(await Q().ascending('n').find()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(ns(await Q().descending('n').find()), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('several sort keys (group asc, n desc) and (group desc, n asc)', async () => {
    // group: a = n%3==0 -> 3,6,9,12 ; b = 1,4,7,10 ; c = 2,5,8,11
    assert.deepEqual(ns(await Q().ascending('group').addDescending('n').find()), [12, 9, 6, 3, 10, 7, 4, 1, 11, 8, 5, 2]);
    assert.deepEqual(ns(await Q().descending('group').addAscending('n').find()), [2, 5, 8, 11, 1, 4, 7, 10, 3, 6, 9, 12]);
    const raw = await rest(ctx.server, 'GET', 'classes/OptItem', { query: { order: '-group,n', keys: 'n' } });
    assert.equal(raw.status, 200, raw.text);
    assert.deepEqual(raw.json.results.map((r) => r.n), [2, 5, 8, 11, 1, 4, 7, 10, 3, 6, 9, 12]);
  });

  it('order by createdAt / updatedAt', async () => {
    const list = await Q().descending('createdAt').find();
    const times = list.map((o) => o.createdAt.getTime());
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    const up = await Q().ascending('updatedAt').find();
    const ut = up.map((o) => o.updatedAt.getTime());
    assert.deepEqual(ut, [...ut].sort((a, b) => a - b));
  });

  it('limit and skip', async () => {
    assert.deepEqual(ns(await Q().ascending('n').limit(3).find()), [1, 2, 3]);
    assert.deepEqual(ns(await Q().ascending('n').skip(2).limit(3).find()), [3, 4, 5]);
    assert.deepEqual(ns(await Q().ascending('n').skip(10).find()), [11, 12]);
    assert.deepEqual(ns(await Q().ascending('n').skip(50).find()), []);
    assert.deepEqual(await Q().limit(0).find(), []);
  });

  it('default limit is 100; an explicit limit raises it', async () => {
    const { Parse } = ctx;
    assert.equal((await new Parse.Query('OptMany').find()).length, 100);
    assert.equal((await new Parse.Query('OptMany').limit(1000).find()).length, 105);
    assert.equal(await new Parse.Query('OptMany').count(), 105);
  });
});

describe('count, withCount, distinct, first, each, findAll', () => {
  it('count() with and without constraints', async () => {
    assert.equal(await Q().count(), 12);
    assert.equal(await Q().equalTo('group', 'a').count(), 4);
    assert.equal(await Q().greaterThan('n', 100).count(), 0);
    assert.equal(await Q().limit(2).count(), 12, 'limit does not change count');

    const raw = await rest(ctx.server, 'GET', 'classes/OptItem', { query: { where: { group: 'b' }, count: 1, limit: 0 } });
    assert.equal(raw.status, 200, raw.text);
    assert.deepEqual(raw.json, { results: [], count: 4 });
  });

  it('withCount() returns results and the total', async () => {
    const res = await Q().withCount().ascending('n').limit(2).find();
    assert.equal(res.count, 12);
    assert.deepEqual(ns(res.results), [1, 2]);
    const res2 = await Q().withCount().equalTo('group', 'c').find();
    assert.equal(res2.count, 4);
    assert.equal(res2.results.length, 4);
  });

  it('distinct(key) (uses /aggregate with the master key)', async () => {
    const groups = await Q().distinct('group');
    assert.deepEqual([...groups].sort(), ['a', 'b', 'c']);
    const some = await Q().lessThan('n', 3).distinct('group');
    assert.deepEqual([...some].sort(), ['b', 'c']);
    const nums = await Q().equalTo('group', 'a').distinct('n');
    assert.deepEqual([...nums].sort((a, b) => a - b), [3, 6, 9, 12]);
  });

  it('first()', async () => {
    const first = await Q().ascending('n').first();
    assert.equal(first.get('n'), 1);
    const last = await Q().descending('n').first();
    assert.equal(last.get('n'), 12);
    const none = await Q().equalTo('n', 999).first();
    assert.equal(none, undefined);
  });

  it('each() visits every matching object once', async () => {
    const seen = [];
    await Q().each((o) => {
      seen.push(o.get('n'));
    }, { batchSize: 5 });
    assert.deepEqual(seen.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

    const odd = [];
    await Q().equalTo('group', 'b').each((o) => odd.push(o.get('n')));
    assert.deepEqual(odd.sort((a, b) => a - b), [1, 4, 7, 10]);
  });

  it('findAll() pages through everything', async () => {
    const { Parse } = ctx;
    const all = await new Parse.Query('OptMany').findAll({ batchSize: 30 });
    assert.equal(all.length, 105);
    assert.equal(new Set(all.map((o) => o.id)).size, 105);
    const is = all.map((o) => o.get('i')).sort((a, b) => a - b);
    assert.deepEqual(is, Array.from({ length: 105 }, (_, i) => i));
  });
});
