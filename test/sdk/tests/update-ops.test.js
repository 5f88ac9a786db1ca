'use strict';
// Update operators: Increment, Add, AddUnique, Remove, Delete (unset),
// AddRelation/RemoveRelation and the Batch op the SDK sends for both at once.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest } = require('../helpers/server');

const ctx = useServer({ name: 'updateops' });

async function rawGet(className, id) {
  const res = await rest(ctx.server, 'GET', `classes/${className}/${id}`, { master: true });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

describe('update operators', () => {
  it('increment / decrement, and the answer carries the new value', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('UpdCounter').save({ score: 10 });
    obj.increment('score');
    obj.increment('score', 5);
    await obj.save();
    assert.equal(obj.get('score'), 16);
    obj.decrement('score', 3);
    await obj.save();
    assert.equal(obj.get('score'), 13);
    assert.equal((await rawGet('UpdCounter', obj.id)).score, 13);

    // Raw: the PUT answer includes the resulting value of the incremented field.
    const res = await rest(ctx.server, 'PUT', `classes/UpdCounter/${obj.id}`, {
      body: { score: { __op: 'Increment', amount: 2.5 } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.score, 15.5);
    assert.ok(res.json.updatedAt);
  });

  it('increment on a missing field starts from 0, also on create', async () => {
    const { Parse } = ctx;
    const obj = new Parse.Object('UpdCounter');
    obj.increment('fresh', 7);
    await obj.save();
    assert.equal((await rawGet('UpdCounter', obj.id)).fresh, 7);
    obj.increment('other', -2);
    await obj.save();
    assert.equal((await rawGet('UpdCounter', obj.id)).other, -2);
  });

  it('concurrent increments are atomic', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('UpdCounter').save({ hits: 0 });
    const N = 10;
    await Promise.all(
      Array.from({ length: N }, () => {
        const o = Parse.Object.extend('UpdCounter').createWithoutData(obj.id);
        o.increment('hits');
        return o.save();
      })
    );
    assert.equal((await rawGet('UpdCounter', obj.id)).hits, N);
  });

  it('add appends (duplicates kept), addUnique skips existing, remove removes all copies', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('UpdArr').save({ tags: ['a', 'b'] });
    obj.add('tags', 'a');
    await obj.save();
    assert.deepEqual((await rawGet('UpdArr', obj.id)).tags, ['a', 'b', 'a']);

    obj.addAll('tags', ['c', 'd']);
    await obj.save();
    assert.deepEqual((await rawGet('UpdArr', obj.id)).tags, ['a', 'b', 'a', 'c', 'd']);

    obj.addUnique('tags', 'b');
    await obj.save();
    assert.deepEqual((await rawGet('UpdArr', obj.id)).tags, ['a', 'b', 'a', 'c', 'd']);
    obj.addAllUnique('tags', ['e', 'c', 'e']);
    await obj.save();
    const afterUnique = (await rawGet('UpdArr', obj.id)).tags;
    assert.deepEqual(afterUnique.slice(0, 5), ['a', 'b', 'a', 'c', 'd']);
    assert.deepEqual(afterUnique.filter((t) => t === 'e'), ['e'], 'e added exactly once');
    assert.equal(afterUnique.length, 6);

    obj.remove('tags', 'a');
    await obj.save();
    assert.deepEqual((await rawGet('UpdArr', obj.id)).tags, ['b', 'c', 'd', 'e']);

    obj.removeAll('tags', ['b', 'zzz-not-there']);
    await obj.save();
    assert.deepEqual((await rawGet('UpdArr', obj.id)).tags, ['c', 'd', 'e']);
  });

  it('add/addUnique on a missing field create the array; numbers and objects work', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('UpdArr').save({ x: 1 });
    obj.add('nums', 1);
    obj.add('nums', 2);
    await obj.save();
    assert.deepEqual((await rawGet('UpdArr', obj.id)).nums, [1, 2]);
    obj.addUnique('uniq', 3);
    await obj.save();
    assert.deepEqual((await rawGet('UpdArr', obj.id)).uniq, [3]);

    const o2 = await new Parse.Object('UpdArr').save({ objs: [{ k: 1 }, { k: 2 }, { k: 1 }] });
    o2.remove('objs', { k: 1 });
    await o2.save();
    assert.deepEqual((await rawGet('UpdArr', o2.id)).objs, [{ k: 2 }]);
  });

  it('raw Add/AddUnique/Remove answers carry the resulting array', async () => {
    const created = await rest(ctx.server, 'POST', 'classes/UpdArr', { body: { list: [1] } });
    const id = created.json.objectId;
    const r1 = await rest(ctx.server, 'PUT', `classes/UpdArr/${id}`, {
      body: { list: { __op: 'Add', objects: [2, 2] } },
    });
    assert.equal(r1.status, 200, r1.text);
    assert.deepEqual(r1.json.list, [1, 2, 2]);
    const r2 = await rest(ctx.server, 'PUT', `classes/UpdArr/${id}`, {
      body: { list: { __op: 'AddUnique', objects: [1, 3] } },
    });
    assert.deepEqual(r2.json.list, [1, 2, 2, 3]);
    const r3 = await rest(ctx.server, 'PUT', `classes/UpdArr/${id}`, {
      body: { list: { __op: 'Remove', objects: [2] } },
    });
    assert.deepEqual(r3.json.list, [1, 3]);
  });

  it('remove on an array of pointers matches by objectId', async () => {
    const { Parse } = ctx;
    const p1 = await new Parse.Object('UpdPtrT').save({ n: 1 });
    const p2 = await new Parse.Object('UpdPtrT').save({ n: 2 });
    const obj = await new Parse.Object('UpdPtrArr').save({ ptrs: [p1, p2] });
    obj.remove('ptrs', Parse.Object.extend('UpdPtrT').createWithoutData(p1.id));
    await obj.save();
    const raw = await rawGet('UpdPtrArr', obj.id);
    assert.deepEqual(raw.ptrs, [{ __type: 'Pointer', className: 'UpdPtrT', objectId: p2.id }]);
  });

  it('unset ({__op:Delete}) removes the field', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('UpdUnset').save({ keep: 1, drop: 'x', deep: { a: 1 } });
    obj.unset('drop');
    obj.unset('deep');
    await obj.save();
    const raw = await rawGet('UpdUnset', obj.id);
    assert.equal(raw.keep, 1);
    assert.ok(!('drop' in raw), `drop should be gone: ${JSON.stringify(raw)}`);
    assert.ok(!('deep' in raw));
    const got = await new Parse.Query('UpdUnset').get(obj.id);
    assert.equal(got.has('drop'), false);
    // The field stays in the schema; only the value is gone.
    const q = await new Parse.Query('UpdUnset').doesNotExist('drop').find();
    assert.deepEqual(q.map((o) => o.id), [obj.id]);
  });

  it('set after unset, and unset on a field that was never set, are fine', async () => {
    const { Parse } = ctx;
    const obj = await new Parse.Object('UpdUnset').save({ keep: 2 });
    const res = await rest(ctx.server, 'PUT', `classes/UpdUnset/${obj.id}`, {
      body: { neverSet: { __op: 'Delete' } },
    });
    assert.equal(res.status, 200, res.text);
    obj.set('drop', 'again');
    await obj.save();
    assert.equal((await rawGet('UpdUnset', obj.id)).drop, 'again');
  });

  it('dot-notation set on an Object field updates just that key', async () => {
    const created = await rest(ctx.server, 'POST', 'classes/UpdDot', { body: { meta: { a: 1, b: { c: 2 } } } });
    const id = created.json.objectId;
    const res = await rest(ctx.server, 'PUT', `classes/UpdDot/${id}`, {
      body: { 'meta.b.c': 3, 'meta.z': 'new', 'meta.a': { __op: 'Increment', amount: 1 } },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((await rawGet('UpdDot', id)).meta, { a: 2, b: { c: 3 }, z: 'new' });
  });
});

describe('relation update operators', () => {
  async function members(parent, key) {
    const list = await parent.relation(key).query().ascending('n').find();
    return list.map((o) => o.get('n'));
  }

  it('relation.add / relation.remove (AddRelation / RemoveRelation)', async () => {
    const { Parse } = ctx;
    const kids = await Parse.Object.saveAll([1, 2, 3].map((n) => new Parse.Object('UpdRelKid').set('n', n)));
    const parent = new Parse.Object('UpdRelParent');
    parent.relation('kids').add(kids[0]);
    parent.relation('kids').add(kids[1]);
    await parent.save();
    assert.deepEqual(await members(parent, 'kids'), [1, 2]);

    parent.relation('kids').add(kids[1]); // already there: no duplicate
    parent.relation('kids').add(kids[2]);
    await parent.save();
    assert.deepEqual(await members(parent, 'kids'), [1, 2, 3]);

    parent.relation('kids').remove(kids[0]);
    await parent.save();
    assert.deepEqual(await members(parent, 'kids'), [2, 3]);
  });

  it('adding and removing in one save sends {__op:Batch} and applies both', async () => {
    const { Parse } = ctx;
    const kids = await Parse.Object.saveAll([1, 2, 3].map((n) => new Parse.Object('UpdRelKid').set('n', n)));
    const parent = new Parse.Object('UpdRelParent');
    parent.relation('kids').add([kids[0], kids[1]]);
    await parent.save();

    const rel = parent.relation('kids');
    rel.add(kids[2]);
    rel.remove(kids[0]);
    assert.equal(parent.op('kids').toJSON().__op, 'Batch', 'the SDK really sends a Batch op');
    await parent.save();
    assert.deepEqual(await members(parent, 'kids'), [2, 3]);
  });

  it('raw {__op:Batch, ops:[AddRelation, RemoveRelation]}', async () => {
    const { Parse } = ctx;
    const kids = await Parse.Object.saveAll([1, 2, 3].map((n) => new Parse.Object('UpdRelKid2').set('n', n)));
    const ptr = (o) => ({ __type: 'Pointer', className: 'UpdRelKid2', objectId: o.id });
    const created = await rest(ctx.server, 'POST', 'classes/UpdRelParent2', {
      body: { kids: { __op: 'AddRelation', objects: [ptr(kids[0]), ptr(kids[1])] } },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.json.objectId;
    const res = await rest(ctx.server, 'PUT', `classes/UpdRelParent2/${id}`, {
      body: {
        kids: {
          __op: 'Batch',
          ops: [
            { __op: 'AddRelation', objects: [ptr(kids[2])] },
            { __op: 'RemoveRelation', objects: [ptr(kids[1])] },
          ],
        },
      },
    });
    assert.equal(res.status, 200, res.text);
    const parent = Parse.Object.extend('UpdRelParent2').createWithoutData(id);
    assert.deepEqual(await members(parent, 'kids'), [1, 3]);
  });

  it('a relation op with the wrong target class is rejected (111)', async () => {
    const { Parse } = ctx;
    const kid = await new Parse.Object('UpdRelKid3').save({ n: 1 });
    const other = await new Parse.Object('UpdRelOther3').save({ n: 2 });
    const parent = new Parse.Object('UpdRelParent3');
    parent.relation('kids').add(kid);
    await parent.save();
    const res = await rest(ctx.server, 'PUT', `classes/UpdRelParent3/${parent.id}`, {
      body: {
        kids: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: 'UpdRelOther3', objectId: other.id }] },
      },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.code, 111, res.text);
  });
});
