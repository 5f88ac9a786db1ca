// Cloud code for test/sdk/tests/cloud.test.js: the functions and jobs the
// Parse JS SDK's own integration suite deploys (same names, same
// behaviour, written for this repository), and one trigger of each type.
const { slug } = require('./lib/text');

// ---- What the SDK's integration tests call ----

// Answers 'Foo' when key2 is 'value1', fails otherwise.
Parse.Cloud.define('bar', req => {
  if (req.params.key2 !== 'value1') {
    throw 'bad stuff happened';
  }
  return 'Foo';
});

// Changes an Item by id; the SDK checks the saved object comes back.
Parse.Cloud.define('TestFetchFromLocalDatastore', async req => {
  const item = new Parse.Object('Item');
  item.id = req.params.id;
  item.set('foo', 'changed');
  return item.save();
});

// Changes a user by id with the master key.
Parse.Cloud.define('UpdateUser', async req => {
  const user = new Parse.User();
  user.id = req.params.id;
  user.set('foo', 'changed');
  return user.save(null, { useMasterKey: true });
});

// Saves one object per run: a repeated request id must not run it twice.
Parse.Cloud.define('CloudFunctionIdempotency', () =>
  new Parse.Object('IdempotencyItem').save(null, { useMasterKey: true }));

Parse.Cloud.define('CloudFunctionUndefined', () => undefined);

Parse.Cloud.job('CloudJob1', () => ({ status: 'cloud job completed' }));

Parse.Cloud.job('CloudJob2', () => new Promise(resolve => {
  setTimeout(() => resolve({ status: 'cloud job completed' }), 1000);
}));

Parse.Cloud.job('CloudJobFailing', () => {
  throw 'cloud job failed';
});

// ---- One trigger of each type ----

async function record(what, data) {
  await new Parse.Object('CloudEvent').save({ what, data }, { useMasterKey: true });
}

Parse.Cloud.beforeSave('Article', req => {
  const title = req.object.get('title');
  if (title === 'refused') {
    throw new Parse.Error(Parse.Error.VALIDATION_ERROR, 'this title is refused');
  }
  req.object.set('slug', slug(title));
  if (!req.original) {
    req.object.set('views', 0);
  }
}, { fields: { title: { type: String, required: true } } });

Parse.Cloud.afterSave('Article', async req => {
  await record('afterSave', { id: req.object.id, slug: req.object.get('slug'), isNew: !req.original });
});

Parse.Cloud.beforeDelete('Article', req => {
  if (req.object.get('pinned')) {
    throw 'pinned articles cannot be deleted';
  }
});

Parse.Cloud.afterDelete('Article', async req => {
  await record('afterDelete', { id: req.object.id });
});

Parse.Cloud.beforeFind('Article', req => {
  if (!req.master) {
    req.query.notEqualTo('draft', true);
  }
});

Parse.Cloud.afterFind('Article', req => {
  for (const o of req.objects) {
    o.set('readAt', 'server');
  }
  return req.objects;
});

Parse.Cloud.beforeLogin(req => {
  if (req.object.get('suspended')) {
    throw new Parse.Error(Parse.Error.OPERATION_FORBIDDEN, 'account suspended');
  }
});

Parse.Cloud.afterLogin(async req => {
  await record('afterLogin', { user: req.object.get('username') });
});

Parse.Cloud.afterLogout(async req => {
  await record('afterLogout', { hasSession: !!req.object.get('sessionToken') });
});

// The name a file trigger sees is the stored one: the server's unique
// prefix, then the client's name.
Parse.Cloud.beforeSave(Parse.File, req => {
  const name = req.file.name();
  if (name.endsWith('blocked.txt')) {
    throw 'blocked file';
  }
  if (name.endsWith('rename.txt')) {
    return new Parse.File(name.replace('rename.txt', 'renamed.txt'), { base64: 'AA==' });
  }
});
