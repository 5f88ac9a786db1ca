'use strict';
// Geo queries ($nearSphere, $maxDistance*, $within/$box, $geoWithin
// $polygon/$centerSphere, $geoIntersects) and full-text search ($text).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest } = require('../helpers/server');

const ctx = useServer({ name: 'geotext' });

// Distances from SF: Oakland ~13 km, San Jose ~68 km, LA ~559 km, NYC ~4130 km.
const PLACES = {
  SF: [37.7749, -122.4194],
  Oakland: [37.8044, -122.2712],
  SanJose: [37.3382, -121.8863],
  LA: [34.0522, -118.2437],
  NYC: [40.7128, -74.006],
};
const sortStr = (a) => [...a].sort();
const names = (list) => list.map((o) => o.get('name'));

ctx.setup(async () => {
  const { Parse } = ctx;
  const objs = Object.entries(PLACES).map(([name, [lat, lng]]) =>
    new Parse.Object('GPlace').set({ name, loc: new Parse.GeoPoint(lat, lng) })
  );
  objs.push(new Parse.Object('GPlace').set({ name: 'Nowhere' })); // no loc
  await Parse.Object.saveAll(objs);

  await Parse.Object.saveAll([
    new Parse.Object('GArea').set({
      name: 'BayBox',
      area: new Parse.Polygon([
        [37, -123],
        [38, -123],
        [38, -121.5],
        [37, -121.5],
      ]),
    }),
    new Parse.Object('GArea').set({
      name: 'SoCal',
      area: new Parse.Polygon([
        [33, -119],
        [35, -119],
        [35, -117],
        [33, -117],
      ]),
    }),
  ]);

  await Parse.Object.saveAll(
    [
      'The quick brown fox jumps over the lazy dog',
      'Coffee and tea are popular drinks',
      'I like coffee in the morning',
      'Nothing relevant here',
    ].map((body, i) => new Parse.Object('GDoc').set({ body, i }))
  );
});

const SF = () => new ctx.Parse.GeoPoint(...PLACES.SF);
const P = () => new ctx.Parse.Query('GPlace');

describe('geo queries', () => {
  it('near ($nearSphere) sorts by distance and skips objects without a point', async () => {
    const list = await P().near('loc', SF()).find();
    assert.deepEqual(names(list), ['SF', 'Oakland', 'SanJose', 'LA', 'NYC']);
    const two = await P().near('loc', SF()).limit(2).find();
    assert.deepEqual(names(two), ['SF', 'Oakland']);
  });

  it('withinKilometers / withinMiles / withinRadians ($nearSphere + $maxDistance), sorted', async () => {
    assert.deepEqual(names(await P().withinKilometers('loc', SF(), 20).find()), ['SF', 'Oakland']);
    assert.deepEqual(names(await P().withinKilometers('loc', SF(), 100).find()), ['SF', 'Oakland', 'SanJose']);
    assert.deepEqual(names(await P().withinMiles('loc', SF(), 400).find()), ['SF', 'Oakland', 'SanJose', 'LA']);
    // 0.01 rad = 63.7 km: San Jose (~68 km) is just outside.
    assert.deepEqual(names(await P().withinRadians('loc', SF(), 0.01).find()), ['SF', 'Oakland']);
  });

  it('within* with sorted=false uses $geoWithin $centerSphere', async () => {
    const q = P().withinKilometers('loc', SF(), 100, false);
    assert.ok(q.toJSON().where.loc.$geoWithin.$centerSphere, 'the SDK sends $centerSphere');
    assert.deepEqual(sortStr(names(await q.find())), ['Oakland', 'SF', 'SanJose']);
    assert.deepEqual(sortStr(names(await P().withinMiles('loc', SF(), 400, false).find())), ['LA', 'Oakland', 'SF', 'SanJose']);
  });

  it('raw $maxDistanceInKilometers / InMiles / InRadians and $centerSphere', async () => {
    const pt = { __type: 'GeoPoint', latitude: PLACES.SF[0], longitude: PLACES.SF[1] };
    const get = async (where) => {
      const res = await rest(ctx.server, 'GET', 'classes/GPlace', { query: { where } });
      assert.equal(res.status, 200, res.text);
      return res.json.results.map((r) => r.name);
    };
    assert.deepEqual(await get({ loc: { $nearSphere: pt, $maxDistanceInKilometers: 20 } }), ['SF', 'Oakland']);
    assert.deepEqual(await get({ loc: { $nearSphere: pt, $maxDistanceInMiles: 50 } }), ['SF', 'Oakland', 'SanJose']);
    assert.deepEqual(await get({ loc: { $nearSphere: pt, $maxDistanceInRadians: 0.01 } }), ['SF', 'Oakland']);
    assert.deepEqual(
      sortStr(await get({ loc: { $geoWithin: { $centerSphere: [[PLACES.SF[1], PLACES.SF[0]], 0.01] } } })),
      ['Oakland', 'SF']
    );
    assert.deepEqual(
      sortStr(await get({ loc: { $geoWithin: { $centerSphere: [pt, 100 / 6371] } } })),
      ['Oakland', 'SF', 'SanJose'],
      '$centerSphere also takes a GeoPoint centre'
    );
  });

  it('withinGeoBox ($within $box)', async () => {
    const { Parse } = ctx;
    const sw = new Parse.GeoPoint(37.0, -123.0);
    const ne = new Parse.GeoPoint(38.0, -121.5);
    const list = await P().withinGeoBox('loc', sw, ne).find();
    assert.deepEqual(sortStr(names(list)), ['Oakland', 'SF', 'SanJose']);
    const socal = await P().withinGeoBox('loc', new Parse.GeoPoint(33, -119), new Parse.GeoPoint(35, -117)).find();
    assert.deepEqual(names(socal), ['LA']);
  });

  it('withinPolygon ($geoWithin $polygon)', async () => {
    const { Parse } = ctx;
    const poly = [
      new Parse.GeoPoint(37, -123),
      new Parse.GeoPoint(38, -123),
      new Parse.GeoPoint(38, -121.5),
      new Parse.GeoPoint(37, -121.5),
    ];
    const list = await P().withinPolygon('loc', poly).find();
    assert.deepEqual(sortStr(names(list)), ['Oakland', 'SF', 'SanJose']);
    // A triangle that leaves San Jose out.
    const tri = [new Parse.GeoPoint(37.5, -122.6), new Parse.GeoPoint(38.0, -122.6), new Parse.GeoPoint(38.0, -122.0)];
    assert.deepEqual(sortStr(names(await P().withinPolygon('loc', tri).find())), ['Oakland', 'SF']);
  });

  it('polygonContains ($geoIntersects $point) on a Polygon field', async () => {
    const { Parse } = ctx;
    const A = () => new Parse.Query('GArea');
    assert.deepEqual(names(await A().polygonContains('area', SF()).find()), ['BayBox']);
    assert.deepEqual(names(await A().polygonContains('area', new Parse.GeoPoint(...PLACES.LA)).find()), ['SoCal']);
    assert.deepEqual(names(await A().polygonContains('area', new Parse.GeoPoint(...PLACES.NYC)).find()), []);
  });

  it('geo constraints combine with other constraints', async () => {
    const list = await P().near('loc', SF()).notEqualTo('name', 'SF').limit(3).find();
    assert.deepEqual(names(list), ['Oakland', 'SanJose', 'LA']);
  });
});

describe('full-text search ($text)', () => {
  const D = () => new ctx.Parse.Query('GDoc');

  it('fullText finds documents containing the word', async () => {
    const coffee = await D().fullText('body', 'coffee').find();
    assert.deepEqual(sortStr(coffee.map((o) => o.get('i'))), [1, 2]);
    const fox = await D().fullText('body', 'fox').find();
    assert.deepEqual(fox.map((o) => o.get('i')), [0]);
    const none = await D().fullText('body', 'zebra').find();
    assert.deepEqual(none, []);
  });

  it('fullText is case-insensitive by default', async () => {
    const coffee = await D().fullText('body', 'COFFEE').find();
    assert.deepEqual(sortStr(coffee.map((o) => o.get('i'))), [1, 2]);
  });

  it('raw $text $search $term, combined with another constraint', async () => {
    const res = await rest(ctx.server, 'GET', 'classes/GDoc', {
      query: { where: { body: { $text: { $search: { $term: 'coffee' } } }, i: { $gt: 1 } } },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results.map((r) => r.i), [2]);
  });
});
