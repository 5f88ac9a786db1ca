'use strict';
// Every comparison / array / string / subquery / logical query operator,
// driven through Parse.Query (and a few raw `where` forms).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest } = require('../helpers/server');

const ctx = useServer({ name: 'queryops' });
const CLS = 'QItem';
const fx = {};

const sortStr = (a) => [...a].sort();
function names(list) {
  return sortStr(list.map((o) => o.get('name')));
}
async function expectNames(query, expected, msg) {
  const got = await query.find();
  assert.deepEqual(names(got), sortStr(expected), msg);
}

ctx.setup(async () => {
  const { Parse } = ctx;
  const [o1, o2, o3] = await Parse.Object.saveAll([
    new Parse.Object('QOwner').set({ oname: 'o1', vip: true }),
    new Parse.Object('QOwner').set({ oname: 'o2', vip: false }),
    new Parse.Object('QOwner').set({ oname: 'o3', vip: false }),
  ]);
  Object.assign(fx, { o1, o2, o3 });
  const rows = [
    { name: 'Alpha', score: 1, tags: ['red', 'blue'], flag: true, when: new Date('2020-01-01T00:00:00.000Z'), obj: { color: 'red', size: { n: 1 } }, owner: o1, maybe: 'x', note: 'A.b' },
    { name: 'alphabet', score: 2, tags: ['red'], flag: false, when: new Date('2020-06-01T00:00:00.000Z'), obj: { color: 'blue', size: { n: 2 } }, owner: o2, note: 'AXb' },
    { name: 'Beta', score: 3, tags: ['blue', 'green'], flag: true, when: new Date('2021-01-01T00:00:00.000Z'), obj: { color: 'green', size: { n: 3 } }, owner: o1, maybe: 'y', note: 'b' },
    { name: 'gamma', score: 4, tags: [], flag: false, when: new Date('2022-01-01T00:00:00.000Z'), obj: { color: 'red', size: { n: 4 } }, owner: o3, note: 'c' },
    { name: 'Delta.x', score: 5, tags: ['green'], flag: true, when: new Date('2023-01-01T00:00:00.000Z'), obj: { color: 'blue', size: { n: 5 } }, note: 'd' },
  ];
  const items = await Parse.Object.saveAll(rows.map((r) => new Parse.Object(CLS).set(r)));
  fx.items = Object.fromEntries(items.map((o) => [o.get('name'), o]));

  // o1.fans = {Alpha, gamma}
  o1.relation('fans').add([fx.items.Alpha, fx.items.gamma]);
  await o1.save();

  await Parse.Object.saveAll([
    new Parse.Object('QLabel').set({ label: 'Beta', active: true }),
    new Parse.Object('QLabel').set({ label: 'gamma', active: true }),
    new Parse.Object('QLabel').set({ label: 'Alpha', active: false }),
    new Parse.Object('QLabel').set({ label: 'zzz', active: true }),
  ]);
});

const Q = () => new ctx.Parse.Query(CLS);
const ALL = ['Alpha', 'alphabet', 'Beta', 'gamma', 'Delta.x'];

describe('comparison operators', () => {
  it('equalTo on number, boolean, string, date, pointer', async () => {
    await expectNames(Q().equalTo('score', 3), ['Beta']);
    await expectNames(Q().equalTo('flag', true), ['Alpha', 'Beta', 'Delta.x']);
    await expectNames(Q().equalTo('name', 'gamma'), ['gamma']);
    await expectNames(Q().equalTo('name', 'GAMMA'), [], 'equalTo is case-sensitive');
    await expectNames(Q().equalTo('when', new Date('2021-01-01T00:00:00.000Z')), ['Beta']);
    await expectNames(Q().equalTo('owner', fx.o1), ['Alpha', 'Beta']);
  });

  it('notEqualTo (also matches objects where the field is missing)', async () => {
    await expectNames(Q().notEqualTo('score', 3), ['Alpha', 'alphabet', 'gamma', 'Delta.x']);
    await expectNames(Q().notEqualTo('maybe', 'x'), ['alphabet', 'Beta', 'gamma', 'Delta.x']);
    await expectNames(Q().notEqualTo('owner', fx.o1), ['alphabet', 'gamma', 'Delta.x']);
  });

  it('lessThan, lessThanOrEqualTo, greaterThan, greaterThanOrEqualTo on numbers', async () => {
    await expectNames(Q().lessThan('score', 3), ['Alpha', 'alphabet']);
    await expectNames(Q().lessThanOrEqualTo('score', 3), ['Alpha', 'alphabet', 'Beta']);
    await expectNames(Q().greaterThan('score', 3), ['gamma', 'Delta.x']);
    await expectNames(Q().greaterThanOrEqualTo('score', 3), ['Beta', 'gamma', 'Delta.x']);
    await expectNames(Q().greaterThan('score', 1).lessThan('score', 4), ['alphabet', 'Beta'], 'range on one key');
    await expectNames(Q().greaterThan('score', 1.5).lessThanOrEqualTo('score', 2.0), ['alphabet'], 'floats compare numerically');
  });

  it('comparisons on dates and strings', async () => {
    await expectNames(Q().greaterThan('when', new Date('2021-01-01T00:00:00.000Z')), ['gamma', 'Delta.x']);
    await expectNames(Q().lessThanOrEqualTo('when', new Date('2021-01-01T00:00:00.000Z')), ['Alpha', 'alphabet', 'Beta']);
    // Byte-wise string order: uppercase before lowercase.
    await expectNames(Q().lessThan('name', 'B'), ['Alpha']);
    await expectNames(Q().greaterThanOrEqualTo('name', 'a'), ['alphabet', 'gamma']);
  });

  it('comparisons on createdAt', async () => {
    const { Parse } = ctx;
    const all = await Q().ascending('createdAt').find();
    assert.equal(all.length, 5);
    const cut = all[0].createdAt;
    const later = await Q().greaterThanOrEqualTo('createdAt', cut).find();
    assert.equal(later.length, 5);
    const earlier = await Q().lessThan('createdAt', cut).find();
    assert.equal(earlier.length, 0);
    assert.ok(cut instanceof Date && !Number.isNaN(cut.getTime()));
    void Parse;
  });

  it('$eq via raw where (REST GET with URL-encoded JSON)', async () => {
    const res = await rest(ctx.server, 'GET', `classes/${CLS}`, { query: { where: { score: { $eq: 2 } } } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results.map((r) => r.name), ['alphabet']);
    const res2 = await rest(ctx.server, 'GET', `classes/${CLS}`, { query: { where: { name: { $eq: 'Beta' }, flag: { $eq: true } } } });
    assert.deepEqual(res2.json.results.map((r) => r.name), ['Beta']);
    // Same through the SDK envelope.
    const q = Q();
    q.withJSON({ where: { score: { $eq: 4 } } });
    await expectNames(q, ['gamma']);
  });
});

describe('set and array operators', () => {
  it('containedIn / notContainedIn on scalars', async () => {
    await expectNames(Q().containedIn('score', [1, 3, 99]), ['Alpha', 'Beta']);
    await expectNames(Q().notContainedIn('score', [1, 3]), ['alphabet', 'gamma', 'Delta.x']);
    await expectNames(Q().containedIn('name', []), [], '$in [] matches nothing');
    await expectNames(Q().notContainedIn('name', []), ALL, '$nin [] matches everything');
    await expectNames(Q().containedIn('owner', [fx.o2, fx.o3]), ['alphabet', 'gamma']);
    await expectNames(Q().containedIn('objectId', [fx.items.Alpha.id, fx.items.gamma.id]), ['Alpha', 'gamma']);
  });

  it('containedIn on an array field matches any element', async () => {
    await expectNames(Q().containedIn('tags', ['green']), ['Beta', 'Delta.x']);
    await expectNames(Q().containedIn('tags', ['red', 'green']), ['Alpha', 'alphabet', 'Beta', 'Delta.x']);
    await expectNames(Q().notContainedIn('tags', ['red']), ['Beta', 'gamma', 'Delta.x']);
  });

  it('exists / doesNotExist', async () => {
    await expectNames(Q().exists('maybe'), ['Alpha', 'Beta']);
    await expectNames(Q().doesNotExist('maybe'), ['alphabet', 'gamma', 'Delta.x']);
    await expectNames(Q().exists('owner'), ['Alpha', 'alphabet', 'Beta', 'gamma']);
    await expectNames(Q().doesNotExist('owner'), ['Delta.x']);
    await expectNames(Q().exists('neverAField'), []);
  });

  it('containsAll', async () => {
    await expectNames(Q().containsAll('tags', ['red', 'blue']), ['Alpha']);
    await expectNames(Q().containsAll('tags', ['blue']), ['Alpha', 'Beta']);
    await expectNames(Q().containsAll('tags', ['blue', 'nope']), []);
  });

  it('containedBy (every element in the list; empty arrays qualify)', async () => {
    await expectNames(Q().containedBy('tags', ['red', 'blue']), ['Alpha', 'alphabet', 'gamma']);
    await expectNames(Q().containedBy('tags', ['green']), ['gamma', 'Delta.x']);
  });

  it('equalTo on an array field means "contains"', async () => {
    await expectNames(Q().equalTo('tags', 'red'), ['Alpha', 'alphabet']);
    await expectNames(Q().equalTo('tags', 'green'), ['Beta', 'Delta.x']);
    await expectNames(Q().notEqualTo('tags', 'red'), ['Beta', 'gamma', 'Delta.x']);
  });
});

describe('string operators', () => {
  it('matches with a RegExp and the i modifier', async () => {
    await expectNames(Q().matches('name', /^al/i), ['Alpha', 'alphabet']);
    await expectNames(Q().matches('name', /^al/), ['alphabet']);
    await expectNames(Q().matches('name', 'ALPHA', 'i'), ['Alpha', 'alphabet']);
    await expectNames(Q().matches('name', 'a$'), ['Alpha', 'Beta', 'gamma']);
  });

  it('raw $regex with $options', async () => {
    const res = await rest(ctx.server, 'GET', `classes/${CLS}`, {
      query: { where: { name: { $regex: '^BET', $options: 'i' } } },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results.map((r) => r.name), ['Beta']);
  });

  it('startsWith quotes the prefix (\\Q...\\E)', async () => {
    await expectNames(Q().startsWith('name', 'Al'), ['Alpha']);
    await expectNames(Q().startsWith('name', 'al'), ['alphabet']);
    await expectNames(Q().startsWith('name', 'al', 'i'), ['Alpha', 'alphabet']);
    await expectNames(Q().startsWith('note', 'A.'), ['Alpha'], 'the dot is literal, AXb must not match');
    await expectNames(Q().startsWith('name', 'Delta.'), ['Delta.x']);
  });

  it('endsWith', async () => {
    await expectNames(Q().endsWith('name', 'ta'), ['Beta']);
    await expectNames(Q().endsWith('name', 'a'), ['Alpha', 'Beta', 'gamma']);
    await expectNames(Q().endsWith('name', '.x'), ['Delta.x']);
  });

  it('contains (substring, quoted)', async () => {
    await expectNames(Q().contains('name', 'ph'), ['Alpha', 'alphabet']);
    await expectNames(Q().contains('name', '.'), ['Delta.x']);
    await expectNames(Q().contains('name', 'zz'), []);
  });
});

describe('subquery operators', () => {
  it('matchesKeyInQuery ($select)', async () => {
    const { Parse } = ctx;
    const labels = new Parse.Query('QLabel').equalTo('active', true);
    await expectNames(Q().matchesKeyInQuery('name', 'label', labels), ['Beta', 'gamma']);
  });

  it('doesNotMatchKeyInQuery ($dontSelect)', async () => {
    const { Parse } = ctx;
    const labels = new Parse.Query('QLabel').equalTo('active', true);
    await expectNames(Q().doesNotMatchKeyInQuery('name', 'label', labels), ['Alpha', 'alphabet', 'Delta.x']);
  });

  it('matchesQuery ($inQuery) on a pointer', async () => {
    const { Parse } = ctx;
    const vip = new Parse.Query('QOwner').equalTo('vip', true);
    await expectNames(Q().matchesQuery('owner', vip), ['Alpha', 'Beta']);
    const notVip = new Parse.Query('QOwner').equalTo('vip', false);
    await expectNames(Q().matchesQuery('owner', notVip), ['alphabet', 'gamma']);
  });

  it('doesNotMatchQuery ($notInQuery) on a pointer (missing pointer qualifies)', async () => {
    const { Parse } = ctx;
    const vip = new Parse.Query('QOwner').equalTo('vip', true);
    await expectNames(Q().doesNotMatchQuery('owner', vip), ['alphabet', 'gamma', 'Delta.x']);
  });

  it('relatedTo via relation.query() and a raw $relatedTo where', async () => {
    const { Parse } = ctx;
    const fans = await fx.o1.relation('fans').query().find();
    assert.deepEqual(names(fans), ['Alpha', 'gamma']);
    const q = fx.o1.relation('fans').query();
    assert.deepEqual(q.toJSON().where.$relatedTo.key, 'fans', 'the SDK sends $relatedTo');
    await expectNames(fx.o1.relation('fans').query().greaterThan('score', 1), ['gamma'], 'relatedTo combined with a constraint');
    const raw = Q();
    raw.withJSON({ where: { $relatedTo: { object: { __type: 'Pointer', className: 'QOwner', objectId: fx.o1.id }, key: 'fans' } } });
    await expectNames(raw, ['Alpha', 'gamma']);
    // An unfetched parent: the SDK does not know the target class and sends
    // redirectClassNameForKey on a query of the parent class.
    const none = await Parse.Object.extend('QOwner').createWithoutData(fx.o2.id).relation('fans').query().find();
    assert.deepEqual(none, []);
  });
});

describe('logical operators', () => {
  it('Parse.Query.or', async () => {
    const { Parse } = ctx;
    await expectNames(Parse.Query.or(Q().equalTo('score', 1), Q().equalTo('score', 5)), ['Alpha', 'Delta.x']);
    await expectNames(
      Parse.Query.or(Q().equalTo('name', 'Beta'), Q().greaterThan('score', 3).equalTo('flag', false)),
      ['Beta', 'gamma']
    );
  });

  it('Parse.Query.and', async () => {
    const { Parse } = ctx;
    await expectNames(Parse.Query.and(Q().greaterThan('score', 1), Q().lessThan('score', 4)), ['alphabet', 'Beta']);
    await expectNames(
      Parse.Query.and(Q().equalTo('flag', true), Parse.Query.or(Q().equalTo('score', 1), Q().equalTo('score', 2))),
      ['Alpha'],
      'nested $and/$or'
    );
  });

  it('Parse.Query.nor', async () => {
    const { Parse } = ctx;
    await expectNames(Parse.Query.nor(Q().lessThan('score', 3), Q().equalTo('flag', false)), ['Beta', 'Delta.x']);
  });

  it('or combined with an outer constraint', async () => {
    const { Parse } = ctx;
    const q = Parse.Query.or(Q().equalTo('score', 1), Q().equalTo('score', 2), Q().equalTo('score', 3));
    q.equalTo('flag', true);
    await expectNames(q, ['Alpha', 'Beta']);
  });
});

describe('dot notation and relative time', () => {
  it("equalTo / greaterThan on 'obj.key' and 'obj.a.b'", async () => {
    await expectNames(Q().equalTo('obj.color', 'red'), ['Alpha', 'gamma']);
    await expectNames(Q().greaterThan('obj.size.n', 3), ['gamma', 'Delta.x']);
    await expectNames(Q().containedIn('obj.color', ['green', 'blue']), ['alphabet', 'Beta', 'Delta.x']);
    await expectNames(Q().exists('obj.size'), ALL);
    await expectNames(Q().exists('obj.nope'), []);
  });

  it('$relativeTime in a raw where', async () => {
    const res = await rest(ctx.server, 'GET', `classes/${CLS}`, {
      query: { where: { createdAt: { $gt: { $relativeTime: '1 day ago' } } } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.results.length, 5);
    const none = await rest(ctx.server, 'GET', `classes/${CLS}`, {
      query: { where: { createdAt: { $lt: { $relativeTime: '1 day ago' } } } },
    });
    assert.equal(none.status, 200, none.text);
    assert.equal(none.json.results.length, 0);
    const future = await rest(ctx.server, 'GET', `classes/${CLS}`, {
      query: { where: { createdAt: { $lt: { $relativeTime: 'in 2 hours' } } } },
    });
    assert.equal(future.status, 200, future.text);
    assert.equal(future.json.results.length, 5);
    const dates = await rest(ctx.server, 'GET', `classes/${CLS}`, {
      query: { where: { when: { $lt: { $relativeTime: '1 week ago' } }, score: { $lte: 2 } } },
    });
    assert.equal(dates.status, 200, dates.text);
    assert.deepEqual(sortStr(dates.json.results.map((r) => r.name)), ['Alpha', 'alphabet']);
  });

  it('$relativeTime with a bad phrase is a 400, not a 500', async () => {
    const res = await rest(ctx.server, 'GET', `classes/${CLS}`, {
      query: { where: { createdAt: { $gt: { $relativeTime: 'whenever' } } } },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(typeof res.json.code, 'number');
  });

  it('a query on a class that does not exist returns no results', async () => {
    const { Parse } = ctx;
    const list = await new Parse.Query('QNoSuchClass').equalTo('a', 1).find();
    assert.deepEqual(list, []);
  });

  it('query operator on an unknown field matches nothing (no error)', async () => {
    await expectNames(Q().equalTo('notAField', 1), []);
    await expectNames(Q().greaterThan('notAField', 1), []);
  });

});
