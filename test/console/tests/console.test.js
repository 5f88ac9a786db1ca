'use strict';
// The admin console end to end in headless Chromium: every step leaves a
// screenshot in screenshots/ (a CI artifact).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, openBrowser, shooter, chromiumMissing, MASTER_KEY, APP_ID } = require('../harness');

const missing = chromiumMissing();

test('the console end to end', { skip: missing || false }, async (t) => {
  const server = await startServer();
  const browser = await openBrowser();
  t.after(async () => { await browser.close(); await server.stop(); });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(8000);
  const shot = shooter(page, 'console');
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const toast = (text) => page.locator('#toasts .toast', { hasText: text }).first().waitFor();
  const gotoPage = async (hash) => { await page.goto(server.base + '/dashboard/#/' + hash); await page.locator('main h1').first().waitFor(); };

  // Every form control of a page has an accessible name.
  const unlabelled = () => page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML.slice(0, 80)));

  await t.test('a request without a session gets nothing', async () => {
    for (const p of ['/dashboard/api/schemas', '/dashboard/api/classes/_User', '/dashboard/x/server']) {
      const res = await fetch(server.base + p, { headers: { 'X-Parse-Master-Key': MASTER_KEY } });
      const body = await res.json();
      assert.equal(res.status, 403, p);
      assert.equal(body.code, 209, p);
      assert.equal(body.results, undefined);
    }
  });

  await t.test('sign in with the master key', async () => {
    const t0 = Date.now();
    await page.goto(server.base + '/dashboard/');
    await page.getByLabel('Master key (or read-only master key)').waitFor();
    console.log(`# console sign-in page loaded in ${Date.now() - t0} ms`);
    assert.deepEqual(await unlabelled(), []);
    await shot('sign-in');
    await page.getByLabel('Master key (or read-only master key)').fill('wrong');
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong master key' }).waitFor();
    await page.getByLabel('Master key (or read-only master key)').fill(MASTER_KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    const cookies = await page.context().cookies();
    const c = cookies.find((x) => x.name === 'sb_console');
    assert.ok(c && c.httpOnly && c.sameSite === 'Strict', JSON.stringify(cookies));
    assert.ok(!c.value.includes(MASTER_KEY));
    // A reload with the session: the whole page, timed.
    const t1 = Date.now();
    await page.reload();
    await page.locator('main h1', { hasText: 'Classes' }).waitFor();
    const ms = Date.now() - t1;
    const nav = await page.evaluate(() => JSON.stringify(performance.getEntriesByType('navigation')[0].toJSON()));
    const n = JSON.parse(nav);
    console.log(`# console classes page loaded in ${ms} ms (navigation to load event ${Math.round(n.loadEventEnd)} ms)`);
    await shot('classes-empty');
  });

  await t.test('create a class and add fields of each type', async () => {
    await page.getByLabel('Class name').fill('Game');
    await page.getByRole('button', { name: 'Create class' }).click();
    await page.locator('main h1', { hasText: 'Class Game' }).waitFor();
    const types = [['player', 'String'], ['score', 'Number'], ['active', 'Boolean'], ['playedAt', 'Date'], ['stats', 'Object'],
      ['tags', 'Array'], ['place', 'GeoPoint'], ['photo', 'File'], ['owner', 'Pointer', '_User'], ['fans', 'Relation', '_User'],
      ['area', 'Polygon'], ['blob', 'Bytes']];
    for (const [name, type, target] of types) {
      await page.getByLabel('Field name').fill(name);
      await page.getByLabel('Type', { exact: true }).selectOption(type);
      if (target) await page.getByLabel('Target class').selectOption(target);
      await page.getByRole('button', { name: 'Add field' }).click();
      await page.locator('td', { hasText: new RegExp('^' + name + '$') }).waitFor();
    }
    const s = await server.rest('GET', '/schemas/Game');
    for (const [name, type, target] of types) {
      assert.equal(s.body.fields[name].type, type, name);
      if (target) assert.equal(s.body.fields[name].targetClass, target);
    }
    // An index and a protected field.
    await page.getByLabel('Index name').fill('by_score');
    await page.getByLabel('Field', { exact: true }).selectOption('score');
    await page.getByRole('button', { name: 'Add index' }).click();
    await page.locator('td', { hasText: 'by_score' }).waitFor();
    await page.getByLabel('Protected fields for Public (*)').fill('stats');
    await page.getByLabel('create for Public (*)').uncheck();
    await page.getByRole('button', { name: 'Save permissions' }).click();
    await toast('Permissions saved');
    const s2 = await server.rest('GET', '/schemas/Game');
    assert.deepEqual(s2.body.classLevelPermissions.protectedFields['*'], ['stats']);
    assert.equal(s2.body.classLevelPermissions.create['*'], undefined);
    assert.deepEqual(s2.body.indexes.by_score, { score: 1 });
    assert.deepEqual(await unlabelled(), []);
    await shot('class-fields');
  });

  let user;
  await t.test('create a user', async () => {
    await gotoPage('users');
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill('pw-ada-1');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('#toasts .toast', { hasText: /^User \w+ created$/ }).waitFor();
    user = (await server.rest('GET', '/users?where=' + encodeURIComponent('{"username":"ada"}'))).body.results[0];
    assert.ok(user);
    await shot('users');
  });

  const cell = (id, field) => page.locator(`tr[data-id="${id}"] td[data-field="${field}"]`);
  const edit = async (id, field, fill) => {
    await cell(id, field).focus();
    await page.keyboard.press('Enter'); // keyboard editing
    const dlg = page.locator('dialog');
    await dlg.waitFor();
    await fill(dlg);
    await dlg.getByRole('button', { name: 'Save' }).click();
    await dlg.waitFor({ state: 'detached' });
    // Saved and redrawn: the focus is back on the edited cell.
    await page.locator('table.data[aria-busy="false"]').waitFor();
    await page.waitForFunction(([i, f]) => {
      const a = document.activeElement;
      return a && a.isConnected && a.dataset.field === f && a.closest('tr').dataset.id === i;
    }, [id, field]);
  };

  let ids;
  await t.test('enter rows with an editor per type', async () => {
    await gotoPage('browser/Game');
    await page.getByRole('status').filter({ hasText: '0 objects' }).waitFor();
    await page.getByRole('button', { name: 'Add a row' }).click();
    await toast('added');
    await page.getByRole('button', { name: 'Add a row' }).click();
    await page.locator('tbody tr[data-id]').nth(1).waitFor();
    ids = await page.locator('tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => r.dataset.id));
    const [a, b] = ids;
    await edit(a, 'player', (d) => d.getByLabel('player').fill('ada'));
    await edit(a, 'score', (d) => d.getByLabel('score').fill('12'));
    await edit(b, 'player', (d) => d.getByLabel('player').fill('bob'));
    await edit(b, 'score', (d) => d.getByLabel('score').fill('3'));
    await edit(a, 'active', (d) => d.getByLabel('active').selectOption('true'));
    await edit(a, 'playedAt', (d) => d.getByLabel('playedAt (your local time)').fill('2026-03-04T05:06:07'));
    await edit(a, 'place', async (d) => { await d.getByLabel('Latitude').fill('48.85'); await d.getByLabel('Longitude').fill('2.35'); });
    await edit(a, 'owner', (d) => d.getByLabel('_User object').selectOption(user.objectId));
    await edit(a, 'stats', (d) => d.getByLabel('stats (JSON)').fill('{"wins": 3}'));
    await edit(a, 'tags', (d) => d.getByLabel('tags (JSON)').fill('["x", "y"]'));
    const png = path.join(os.tmpdir(), 'console-test-photo.txt');
    fs.writeFileSync(png, 'a photo');
    await edit(a, 'photo', (d) => d.getByLabel('Upload a new file').setInputFiles(png));
    const o = (await server.rest('GET', '/classes/Game/' + a)).body;
    assert.equal(o.player, 'ada');
    assert.equal(o.score, 12);
    assert.equal(o.active, true);
    assert.equal(o.playedAt.__type, 'Date');
    assert.equal(new Date(o.playedAt.iso).getTime(), new Date('2026-03-04T05:06:07').getTime());
    assert.deepEqual([o.place.latitude, o.place.longitude], [48.85, 2.35]);
    assert.equal(o.owner.objectId, user.objectId);
    assert.deepEqual(o.stats, { wins: 3 });
    assert.deepEqual(o.tags, ['x', 'y']);
    assert.equal(o.photo.__type, 'File');
    assert.match(o.photo.name, /console-test-photo\.txt$/);
    assert.deepEqual(await unlabelled(), []);
    await shot('rows-entered');
  });

  await t.test('filter, edit inline, edit an ACL', async () => {
    await page.getByRole('button', { name: '+ Add a condition' }).click();
    await page.getByLabel('Filter field').selectOption('score');
    await page.getByLabel('Filter operator').selectOption('gt');
    await page.getByLabel('Filter value').fill('5');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.getByRole('status').filter({ hasText: '1–1 of 1' }).waitFor();
    assert.equal(await page.locator('tbody tr[data-id]').count(), 1);
    await shot('filtered');
    // Arrow keys move between cells.
    await cell(ids[0], 'player').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.field), 'score');
    await edit(ids[0], 'score', (d) => d.getByLabel('score').fill('42'));
    await cell(ids[0], 'score').filter({ hasText: '42' }).waitFor();
    await edit(ids[0], 'ACL', async (d) => {
      await d.getByLabel('Add who').fill('*');
      await d.getByRole('button', { name: 'Add', exact: true }).click();
      await d.getByLabel('Add who').fill('role:editors');
      await d.getByLabel('Add who').press('Enter');
      await d.getByLabel('write for role:editors').check();
    });
    await shot('acl-edited');
    const o = (await server.rest('GET', '/classes/Game/' + ids[0])).body;
    assert.equal(o.score, 42);
    assert.deepEqual(o.ACL, { '*': { read: true }, 'role:editors': { read: true, write: true } });
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('status').filter({ hasText: 'of 2' }).waitFor();
  });

  await t.test('import a CSV with a progress bar, export, bulk delete', async () => {
    const csv = path.join(os.tmpdir(), 'console-import.csv');
    const lines = ['player,score,active,playedAt,place'];
    for (let i = 0; i < 120; i++) lines.push(`"p${i}, the ""${i}th""",${i},${i % 2 ? 'true' : 'false'},2026-01-01T00:00:00Z,"${i % 90},1"`);
    fs.writeFileSync(csv, lines.join('\n') + '\n');
    await page.getByLabel('Import CSV or JSON').setInputFiles(csv);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('toolbar', { name: 'Rows' }).getByText('Imported 120 of 120').waitFor();
    await toast('Imported 120 of 120');
    assert.equal(await page.locator('progress').evaluate((p) => p.value === p.max), true);
    await shot('csv-imported');
    if (process.env.SB_CONSOLE_README_SHOT) {
      // The README's picture: the browser without the step's toasts.
      await page.evaluate(() => { document.getElementById('toasts').replaceChildren(); for (const s of document.querySelectorAll('.scroll')) s.scrollLeft = 0; });
      await page.getByRole('button', { name: '+ Add a condition' }).click();
      await page.getByLabel('Filter field').selectOption('score');
      await page.getByLabel('Filter operator').selectOption('gte');
      await page.getByLabel('Filter value').fill('10');
      await page.screenshot({ path: process.env.SB_CONSOLE_README_SHOT });
      await page.getByRole('button', { name: 'Remove filter' }).click();
    }
    const count = (await server.rest('GET', '/classes/Game?count=1&limit=0')).body.count;
    assert.equal(count, 122);
    const p7 = (await server.rest('GET', '/classes/Game?where=' + encodeURIComponent('{"score":7}'))).body.results[0];
    assert.equal(p7.player, 'p7, the "7th"');
    assert.equal(p7.active, true);
    assert.equal(p7.playedAt.iso, '2026-01-01T00:00:00.000Z');
    assert.deepEqual([p7.place.latitude, p7.place.longitude], [7, 1]);

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csvText = fs.readFileSync(await csvDownload.path(), 'utf8');
    assert.equal(csvText.trim().split('\r\n').length, 123); // header + 122 rows
    assert.ok(csvText.includes('"p7, the ""7th"""'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    assert.equal(exported.results.length, 122);
    // The export imports again, as new objects.
    const jsonFile = path.join(os.tmpdir(), 'console-export.json');
    fs.writeFileSync(jsonFile, JSON.stringify({ results: exported.results.slice(0, 5) }));
    await page.getByLabel('Import CSV or JSON').setInputFiles(jsonFile);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await toast('Imported 5 of 5');
    assert.equal((await server.rest('GET', '/classes/Game?count=1&limit=0')).body.count, 127);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByRole('status').filter({ hasText: '51–100 of 127' }).waitFor();
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByRole('status').filter({ hasText: '1–50 of 127' }).waitFor();

    await page.getByLabel('Select all rows on this page').check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.locator('dialog').getByRole('button', { name: 'Delete' }).click();
    await toast('Deleted 50');
    assert.equal((await server.rest('GET', '/classes/Game?count=1&limit=0')).body.count, 77);
    await shot('bulk-deleted');
  });

  await t.test('push: audience count, then send', async () => {
    for (const [deviceType, channels] of [['ios', ['news']], ['android', ['news']], ['android', ['sports']]]) {
      const r = await server.rest('POST', '/installations', { deviceType, installationId: 'i-' + Math.random(), deviceToken: 't' + Math.random(), channels });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    await gotoPage('push');
    await page.getByLabel('Channels (any of)').fill('news');
    await page.getByRole('button', { name: 'Count devices' }).click();
    await page.getByRole('status').filter({ hasText: 'This push reaches 2 devices.' }).waitFor();
    await page.getByLabel('Device type').selectOption('android');
    await page.getByRole('button', { name: 'Count devices' }).click();
    await page.getByRole('status').filter({ hasText: 'This push reaches 1 device.' }).waitFor();
    await page.getByLabel('Message', { exact: true }).fill('Hello players');
    await page.getByLabel('Expires after (TTL)').fill('3600');
    assert.deepEqual(await unlabelled(), []);
    await shot('push-composer');
    await page.getByRole('button', { name: 'Send push' }).click();
    await toast('Push sent to 1 devices');
    const sent = (await server.rest('GET', '/classes/_PushStatus?order=-createdAt')).body.results;
    assert.equal(sent.length, 1);
    assert.equal(sent[0].expiration_interval, 3600);
    await page.locator(`tr[data-id="${sent[0].objectId}"]`).waitFor();
    // A scheduled push, then cancelled.
    const tomorrow = new Date(Date.now() + 86400e3);
    const pad = (n) => String(n).padStart(2, '0');
    await page.getByLabel('Send at (empty: now)').fill(`${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}T09:00`);
    await page.getByRole('button', { name: 'Send push' }).click();
    await toast('Push scheduled for 1 devices');
    const scheduled = (await server.rest('GET', '/classes/_PushStatus?order=-createdAt')).body.results[0];
    assert.equal(scheduled.status, 'scheduled');
    await page.getByRole('button', { name: 'Cancel push ' + scheduled.objectId }).click();
    await toast('Push cancelled');
    assert.equal((await server.rest('GET', '/classes/_PushStatus/' + scheduled.objectId)).body.status, 'cancelled');
    await shot('push-sent');
  });

  await t.test('cloud code: deploy, diff, roll back, logs', async () => {
    await gotoPage('cloud');
    await page.getByLabel('main.js').fill("Parse.Cloud.define('hello', () => 'v-one');\n");
    await page.getByLabel('Note').fill('first');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByText('Active: version 1').waitFor();
    await page.getByLabel('main.js').fill("Parse.Cloud.define('hello', () => { console.log('two'); return 'v-two'; });\n");
    await page.getByLabel('Note').fill('second');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByText('Active: version 2').waitFor();
    assert.equal((await server.rest('POST', '/functions/hello', {})).body.result, 'v-two');
    await page.getByLabel('From', { exact: true }).selectOption('1');
    await page.getByLabel('To', { exact: true }).selectOption('2');
    await page.getByRole('button', { name: 'Show diff' }).click();
    await page.locator('pre.diff .add', { hasText: "v-two" }).waitFor();
    await page.locator('pre.diff .del', { hasText: "v-one" }).waitFor();
    await shot('cloud-diff');
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    await page.getByText('Active: version 1').waitFor();
    assert.equal((await server.rest('POST', '/functions/hello', {})).body.result, 'v-one');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await shot('cloud-rolled-back');
  });

  await t.test('roles and their members', async () => {
    await gotoPage('roles');
    await page.getByLabel('Role name').fill('editors');
    await page.getByRole('button', { name: 'Create role' }).click();
    await toast('Role editors created');
    await page.getByLabel('Add a member').fill(user.objectId);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await toast('Member added');
    await page.locator('main td', { hasText: 'ada' }).first().waitFor();
    const role = (await server.rest('GET', '/roles?where=' + encodeURIComponent('{"name":"editors"}'))).body.results[0];
    const members = await server.rest('GET', '/users?where=' + encodeURIComponent(JSON.stringify({ $relatedTo: { object: { __type: 'Pointer', className: '_Role', objectId: role.objectId }, key: 'users' } })));
    assert.deepEqual(members.body.results.map((u) => u.username), ['ada']);
    await shot('role-members');
  });

  await t.test('the other pages open', async () => {
    for (const [hash, text] of [['roles', 'Members'], ['sessions', 'Deleting a session'], ['config', 'Set a parameter'],
      ['policies', 'Test a decision'], ['files', 'console-test-photo'], ['providers', 'sqlite'], ['server', 'API routes']]) {
      await gotoPage(hash);
      await page.locator('main').getByText(text).first().waitFor();
      assert.deepEqual(await unlabelled(), [], hash);
      assert.ok(!/(^|\n)\s*null\s*(\n|$)/.test(await page.locator('main').innerText()), hash);
      await shot(hash);
    }
    // A policy decision with an input.
    await gotoPage('policies');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await page.getByText('Decision:').waitFor();
    await shot('policy-decision');
  });

  // Analytics and app versions have pages when the server has their routes.
  const has = async (p) => (await server.rest('GET', p)).body.error?.startsWith('no route') !== true;

  await t.test('analytics charts', async (st) => {
    if (!await has('/analytics/active')) { st.skip('this server has no analytics routes'); return; }
    for (let i = 0; i < 3; i++) {
      const res = await fetch(server.base + '/parse/events/search', { method: 'POST', body: JSON.stringify({ dimensions: { category: 'books' } }),
        headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Installation-Id': 'dev-' + i, 'Content-Type': 'application/json' } });
      assert.equal(res.status, 200);
    }
    // Events are written in the background (every 200 ms).
    const searches = async () => (await server.rest('GET', '/analytics/events?days=1')).body.results?.find((e) => e.key === 'search')?.count;
    for (let i = 0; i < 50 && await searches() !== 3; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await searches(), 3);
    await gotoPage('analytics');
    await page.getByRole('img', { name: 'New devices and users' }).waitFor();
    await page.getByRole('img', { name: /^Active devices: DAU/ }).waitFor();
    await page.getByText('Retention (classic').waitFor();
    await page.getByRole('cell', { name: 'search', exact: true }).waitFor();
    assert.deepEqual(await unlabelled(), []);
    await shot('analytics');
  });

  await t.test('app versions: publish, roll out, take back, check', async (st) => {
    if (!await has('/releases')) { st.skip('this server has no app-versions routes'); return; }
    await gotoPage('versions');
    const apk = path.join(os.tmpdir(), 'console-app.apk');
    fs.writeFileSync(apk, 'not really an apk, but bytes to store');
    await page.getByLabel('Version code', { exact: true }).fill('42');
    await page.getByLabel('Version name', { exact: true }).fill('4.2.0');
    await page.getByLabel('Rollout %').fill('20');
    await page.getByLabel('Build (APK, IPA or bundle)').setInputFiles(apk);
    await page.getByRole('button', { name: 'Publish' }).click();
    await toast('Published 4.2.0');
    await page.getByLabel('Rollout percent of 4.2.0').fill('100');
    await page.getByRole('button', { name: 'Save rollout of 4.2.0' }).click();
    await toast('Rollout saved');
    let rel = (await server.rest('GET', '/releases')).body.results[0];
    assert.equal(rel.rolloutPercent, 100);
    await page.getByLabel('Installed version code').fill('41');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.locator('main pre', { hasText: '"hasUpdate": true' }).waitFor();
    await page.getByRole('button', { name: 'Take back 4.2.0' }).click();
    await toast('Release taken back');
    rel = (await server.rest('GET', '/releases')).body.results[0];
    assert.equal(rel.enabled, false);
    assert.deepEqual(await unlabelled(), []);
    await shot('versions');
  });

  await t.test('keyboard: the navigation is reachable with Tab', async () => {
    await gotoPage('classes');
    await page.reload();
    await page.locator('main h1').first().waitFor();
    await page.keyboard.press('Tab'); // the skip link
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Classes');
  });

  await t.test('sign out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Master key (or read-only master key)').waitFor();
    const res = await page.evaluate(() => fetch('api/schemas').then((r) => r.status));
    assert.equal(res, 403);
  });
  assert.deepEqual(errors, []);
});

test('a read-only admin sees data and cannot change it', { skip: missing || false }, async (t) => {
  const server = await startServer({ SWITCHBOARD_READ_ONLY_MASTER_KEY: 'ro-key' });
  const browser = await openBrowser();
  t.after(async () => { await browser.close(); await server.stop(); });
  await server.rest('POST', '/schemas/Note', { fields: { text: { type: 'String' } } });
  await server.rest('POST', '/classes/Note', { text: 'hello' });
  const page = await browser.newPage();
  const shot = shooter(page, 'readonly');
  await page.goto(server.base + '/dashboard/#/browser/Note');
  await page.getByLabel('Master key (or read-only master key)').fill('ro-key');
  await page.keyboard.press('Enter');
  await page.getByText('(read-only)').waitFor();
  await page.locator('main td', { hasText: 'hello' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Add a row' }).count(), 0);
  await shot('browser');
  // Every page opens for the read-only admin, with nothing to write and no stray text.
  for (const hash of ['classes', 'classes/Note', 'users', 'roles', 'config', 'cloud', 'files', 'push', 'server']) {
    await page.goto(server.base + '/dashboard/#/' + hash);
    await page.locator('main h1').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('main').innerText.includes('Loading…'));
    const text = await page.locator('main').innerText();
    assert.ok(!/(^|\n)\s*null\s*(\n|$)/.test(text), hash + ': ' + text.slice(0, 200));
    for (const name of ['Create class', 'Add field', 'Create user', 'Create role', 'Deploy', 'Upload', 'Send push', 'Save']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, hash + ': ' + name);
    }
  }
  await shot('pages');
  // Even a hand-made write through the console is refused by the API.
  const res = await page.evaluate(async () => {
    const s = await (await fetch('auth/session')).json();
    const r = await fetch('api/classes/Note', { method: 'POST', headers: { 'X-Switchboard-Csrf': s.csrf, 'Content-Type': 'application/json' }, body: '{"text":"x"}' });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.code, 119);
  assert.equal((await server.rest('GET', '/classes/Note?count=1&limit=0')).body.count, 1);
});
