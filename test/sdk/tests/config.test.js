'use strict';
// Parse.Config: GET /config and PUT /config (master key only).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, envelope, assertMasterKeyRequired } = require('../helpers/server');

const ctx = useServer({ name: 'config' });

describe('config', () => {
  it('an empty config is {params:{}}', async () => {
    const res = await rest(ctx.server, 'GET', 'config');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.params, {});
  });

  it('Parse.Config.save then Parse.Config.get round-trips typed values', async () => {
    const { Parse } = ctx;
    const when = new Date('2024-05-06T07:08:09.010Z');
    const saved = await Parse.Config.save({
      welcome: 'hello',
      maxItems: 42,
      enabled: true,
      tiers: ['free', 'pro'],
      limits: { daily: 10, nested: { x: 1 } },
      launch: when,
      spot: new Parse.GeoPoint(10, 20),
    });
    assert.equal(saved.get('welcome'), 'hello');

    const cfg = await Parse.Config.get();
    assert.equal(cfg.get('welcome'), 'hello');
    assert.equal(cfg.get('maxItems'), 42);
    assert.equal(cfg.get('enabled'), true);
    assert.deepEqual(cfg.get('tiers'), ['free', 'pro']);
    assert.deepEqual(cfg.get('limits'), { daily: 10, nested: { x: 1 } });
    assert.ok(cfg.get('launch') instanceof Date);
    assert.equal(cfg.get('launch').toISOString(), '2024-05-06T07:08:09.010Z');
    assert.ok(cfg.get('spot') instanceof Parse.GeoPoint);
    assert.equal(cfg.get('spot').latitude, 10);
    assert.equal(cfg.get('missing'), undefined);

    const raw = await rest(ctx.server, 'GET', 'config');
    assert.deepEqual(raw.json.params.launch, { __type: 'Date', iso: '2024-05-06T07:08:09.010Z' });
  });

  it('save merges with existing params; {__op:Delete} removes one', async () => {
    const { Parse } = ctx;
    await Parse.Config.save({ mergeA: 1, mergeB: 2 });
    await Parse.Config.save({ mergeB: 3, mergeC: 'c' });
    let cfg = await Parse.Config.get();
    assert.equal(cfg.get('mergeA'), 1);
    assert.equal(cfg.get('mergeB'), 3);
    assert.equal(cfg.get('mergeC'), 'c');

    const del = await rest(ctx.server, 'PUT', 'config', { master: true, body: { params: { mergeC: { __op: 'Delete' } } } });
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.json, { result: true });
    cfg = await Parse.Config.get();
    assert.equal(cfg.get('mergeC'), undefined);
    assert.equal(cfg.get('mergeA'), 1);
  });

  it('masterKeyOnly params are hidden from clients', async () => {
    const { Parse } = ctx;
    await Parse.Config.save({ publicParam: 'p', secretParam: 's' }, { secretParam: true });
    const pub = await rest(ctx.server, 'GET', 'config');
    assert.equal(pub.json.params.publicParam, 'p');
    assert.equal(pub.json.params.secretParam, undefined);
    const master = await rest(ctx.server, 'GET', 'config', { master: true });
    assert.equal(master.json.params.secretParam, 's');
    assert.equal(master.json.masterKeyOnly.secretParam, true);
    const viaSdk = await Parse.Config.get({ useMasterKey: true });
    assert.equal(viaSdk.get('secretParam'), 's');
    const viaSdkPublic = await Parse.Config.get();
    assert.equal(viaSdkPublic.get('secretParam'), undefined);
  });

  it('PUT /config without the master key is rejected and changes nothing', async () => {
    const res = await rest(ctx.server, 'PUT', 'config', { body: { params: { hacked: true } } });
    assertMasterKeyRequired(res);
    assert.match(res.json.error, /master key|unauthorized/i);
    const env = await envelope(ctx.server, 'PUT', 'config', { params: { hacked: true } });
    assertMasterKeyRequired(env);
    const cfg = await rest(ctx.server, 'GET', 'config', { master: true });
    assert.equal(cfg.json.params.hacked, undefined);
  });
});
