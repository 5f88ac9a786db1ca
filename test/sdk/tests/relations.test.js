'use strict';
// Relations: add/remove, relation.query(), equalTo(relationKey, pointer),
// and the schema bookkeeping of a relation field.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, parseError } = require('../helpers/server');

const ctx = useServer({ name: 'relations' });
const sortStr = (a) => [...a].sort();

async function makeBooks(Parse, titles) {
  return Parse.Object.saveAll(titles.map((title) => new Parse.Object('RelBook').set({ title })));
}

describe('relations', () => {
  it('relation.add, relation.query(), relation.remove', async () => {
    const { Parse } = ctx;
    const [b1, b2, b3] = await makeBooks(Parse, ['Dune', 'Emma', 'Ulysses']);
    const shelf = new Parse.Object('RelShelf');
    shelf.set('name', 'favourites');
    const rel = shelf.relation('books');
    rel.add([b1, b2]);
    await shelf.save();

    let books = await shelf.relation('books').query().find();
    assert.deepEqual(sortStr(books.map((b) => b.get('title'))), ['Dune', 'Emma']);

    shelf.relation('books').add(b3);
    await shelf.save();
    shelf.relation('books').remove(b1);
    await shelf.save();
    books = await shelf.relation('books').query().ascending('title').find();
    assert.deepEqual(books.map((b) => b.get('title')), ['Emma', 'Ulysses']);

    // relation.query() takes further constraints.
    const u = await shelf.relation('books').query().startsWith('title', 'U').find();
    assert.deepEqual(u.map((b) => b.id), [b3.id]);
    assert.equal(await shelf.relation('books').query().count(), 2);
  });

  it('relation.query() on a freshly fetched object (not the saving instance)', async () => {
    const { Parse } = ctx;
    const [b1] = await makeBooks(Parse, ['Ivanhoe']);
    const shelf = new Parse.Object('RelShelf');
    shelf.relation('books').add(b1);
    await shelf.save();
    const fetched = await new Parse.Query('RelShelf').get(shelf.id);
    const rel = fetched.relation('books');
    assert.equal(rel.targetClassName, 'RelBook');
    const books = await rel.query().find();
    assert.deepEqual(books.map((b) => b.get('title')), ['Ivanhoe']);
  });

  it('equalTo(relationKey, pointer) finds the owners of a member', async () => {
    const { Parse } = ctx;
    const [b1, b2] = await makeBooks(Parse, ['Beloved', 'Candide']);
    const s1 = new Parse.Object('RelShelf2').set('name', 's1');
    s1.relation('books').add([b1, b2]);
    const s2 = new Parse.Object('RelShelf2').set('name', 's2');
    s2.relation('books').add(b2);
    const s3 = new Parse.Object('RelShelf2').set('name', 's3');
    await Parse.Object.saveAll([s1, s2, s3]);

    const withB2 = await new Parse.Query('RelShelf2').equalTo('books', b2).find();
    assert.deepEqual(sortStr(withB2.map((s) => s.get('name'))), ['s1', 's2']);
    const withB1 = await new Parse.Query('RelShelf2').equalTo('books', b1).find();
    assert.deepEqual(withB1.map((s) => s.get('name')), ['s1']);

    // containedIn on a relation field works the same way.
    const any = await new Parse.Query('RelShelf2').containedIn('books', [b1, b2]).find();
    assert.deepEqual(sortStr(any.map((s) => s.get('name'))), ['s1', 's2']);
  });

  it('relation fields are not returned as arrays, and the join survives deletion of a member', async () => {
    const { Parse } = ctx;
    const [b1, b2] = await makeBooks(Parse, ['Kim', 'Lolita']);
    const shelf = new Parse.Object('RelShelf3');
    shelf.relation('books').add([b1, b2]);
    await shelf.save();
    const raw = await rest(ctx.server, 'GET', `classes/RelShelf3/${shelf.id}`);
    assert.deepEqual(raw.json.books, { __type: 'Relation', className: 'RelBook' });
    await b1.destroy();
    const left = await shelf.relation('books').query().find();
    assert.deepEqual(left.map((b) => b.id), [b2.id]);
  });

  it('schema shows the relation with its target class', async () => {
    const { Parse } = ctx;
    const [b] = await makeBooks(Parse, ['Nana']);
    const shelf = new Parse.Object('RelShelf4');
    shelf.relation('books').add(b);
    await shelf.save();
    const schema = await new Parse.Schema('RelShelf4').get();
    assert.deepEqual(schema.fields.books, { type: 'Relation', targetClass: 'RelBook' });
  });

  it('adding an object of another class to a relation is rejected', async () => {
    const { Parse } = ctx;
    const [b] = await makeBooks(Parse, ['Zazie']);
    const shelf = new Parse.Object('RelShelf5');
    shelf.relation('books').add(b);
    await shelf.save();
    const other = await new Parse.Object('RelNotABook').save({ x: 1 });
    const err = await parseError(() =>
      rest(ctx.server, 'PUT', `classes/RelShelf5/${shelf.id}`, {
        body: { books: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: 'RelNotABook', objectId: other.id }] } },
      }).then((r) => {
        if (r.status >= 400) throw Object.assign(new Error(r.text), { status: r.status, code: r.json && r.json.code });
        return r;
      })
    );
    assert.equal(err.status, 400);
    assert.equal(err.code, 111);
  });

  it('an empty relation query returns nothing', async () => {
    const { Parse } = ctx;
    const [b] = await makeBooks(Parse, ['Odyssey']);
    const shelf = new Parse.Object('RelShelf6');
    shelf.relation('books').add(b);
    await shelf.save();
    shelf.relation('books').remove(b);
    await shelf.save();
    assert.deepEqual(await shelf.relation('books').query().find(), []);
  });
});
