'use strict';
// Builds a Parse Server database with the real Parse Server (npm
// parse-server 9) on PostgreSQL, for the test of `switchboard import
// parse` (TestImportParseServer in cmd/switchboard/app):
//   node make-db.js POSTGRES_URL
// It starts Parse Server on a free port over that database, signs users up
// and saves objects through the Parse JS SDK as they would in an app
// (ACLs, a role, pointers, a relation, dates, arrays, objects, geo points,
// class-level permissions, an installation, config parameters), stops the
// server, and prints what it made as JSON on stdout.
const express = require('express');
const { ParseServer } = require('parse-server');
const Parse = require('parse/node');

const APP_ID = 'parseapp';
const MASTER_KEY = 'parse-master-key';

async function main() {
  const databaseURI = process.argv[2];
  const app = express();
  const listener = await new Promise((resolve) => {
    const l = app.listen(0, '127.0.0.1', () => resolve(l));
  });
  const serverURL = `http://127.0.0.1:${listener.address().port}/parse`;
  const api = new ParseServer({
    databaseURI, appId: APP_ID, masterKey: MASTER_KEY, serverURL, silent: true,
    allowClientClassCreation: true, sessionLength: 365 * 24 * 3600, logsFolder: null,
  });
  await api.start();
  app.use('/parse', api.app);
  Parse.initialize(APP_ID, null, MASTER_KEY);
  Parse.serverURL = serverURL;
  const out = { parseServer: require('parse-server/package.json').version };
  try {
    const ada = await Parse.User.signUp('ada', 'ada-Passw0rd', { email: 'ada@example.com' });
    const bob = await Parse.User.signUp('bob', 'bob-Passw0rd');
    // ada logs in again; Parse Server replaces her sign-up session (same
    // installation) with this one.
    const adaToken = (await Parse.User.logIn('ada', 'ada-Passw0rd')).getSessionToken();
    out.users = { ada: ada.id, bob: bob.id };
    out.sessions = { ada: adaToken, bob: bob.getSessionToken() };

    const roleACL = new Parse.ACL();
    roleACL.setPublicReadAccess(true);
    const editors = new Parse.Role('Editors', roleACL);
    editors.getUsers().add(bob);
    await editors.save(null, { useMasterKey: true });
    out.role = editors.id;

    const acl = new Parse.ACL(ada);
    acl.setRoleReadAccess('Editors', true);
    const post = new Parse.Object('Post');
    post.set({
      title: 'secret plans', n: 42, tags: ['a', 'b'], at: new Date('2024-05-06T07:08:09.123Z'),
      meta: { nested: { x: 1 }, when: new Date('2020-01-02T03:04:05.006Z') }, author: ada,
      place: new Parse.GeoPoint(31.2304, 121.4737), done: true,
    });
    post.setACL(acl);
    await post.save(null, { sessionToken: adaToken });
    post.relation('likes').add([ada, bob]);
    await post.save(null, { sessionToken: adaToken });
    const open = new Parse.Object('Post');
    await open.save({ title: 'public post', n: 1, author: bob }, { sessionToken: bob.getSessionToken() });
    out.posts = { secret: post.id, open: open.id };

    // Class-level permissions: anyone finds, only the Editors role updates.
    const schema = new Parse.Schema('Post');
    schema.setCLP({
      find: { '*': true }, get: { '*': true }, count: { '*': true }, create: { requiresAuthentication: true },
      update: { 'role:Editors': true }, delete: { [ada.id]: true }, addField: {}, protectedFields: { '*': [] },
    });
    schema.addIndex('n_1', { n: 1 });
    await schema.update();

    const inst = new Parse.Installation();
    await inst.save({ installationId: '0b1b2b3b-4b5b-4c6b-8d7b-9b0b1b2b3b4b', deviceType: 'android', channels: ['news'] });
    out.installation = inst.id;
    await Parse.Config.save({ welcome: 'hello', limit: 3 });
  } finally {
    // Parse Server is stopped with its process (handleShutdown needs a
    // server of its own making); the HTTP listener first.
    listener.closeAllConnections();
    await new Promise((resolve) => listener.close(resolve));
  }
  // Parse Server prints its warnings on stdout too: the result is the
  // line after the marker.
  process.stdout.write(`\nRESULT ${JSON.stringify(out)}\n`);
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${err.code || ''} ${err.stack || err}\n`);
  process.exit(1);
});
