'use strict';
// Parse Dashboard, the parse-dashboard npm package, pointed at Switchboard
// as teams that already use it would: list the classes, open a class,
// open a row and edit a cell. Screenshots land in screenshots/.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer, chromiumMissing, APP_ID, MASTER_KEY } = require('../../console/harness');

const missing = chromiumMissing();
const SHOTS = path.join(__dirname, '..', 'screenshots');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

test('Parse Dashboard browses Switchboard', { skip: missing || false }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  assert.equal((await server.rest('POST', '/schemas/Game', { fields: { score: { type: 'Number' }, player: { type: 'String' } } })).status, 200);
  const created = await server.rest('POST', '/classes/Game', { score: 7, player: 'ada' });
  assert.equal(created.status, 201);

  const port = await freePort();
  const dash = spawn(process.execPath, [require.resolve('parse-dashboard/bin/parse-dashboard'),
    '--dev', '--appId', APP_ID, '--masterKey', MASTER_KEY, '--serverURL', server.base + '/parse',
    '--appName', 'switchboard', '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  dash.stdout.on('data', (d) => { out += d; });
  dash.stderr.on('data', (d) => { out += d; });
  t.after(() => dash.kill());
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(base + '/')).status < 500) break; } catch { /* starting */ }
    if (dash.exitCode !== null) throw new Error('parse-dashboard exited: ' + out);
    await new Promise((r) => setTimeout(r, 100));
  }

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20000);
  fs.mkdirSync(SHOTS, { recursive: true });
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `parse-dashboard-${name}.png`) });

  // The class list: the dashboard reads /schemas and counts each class.
  await page.goto(base + '/apps/switchboard/browser/_User');
  await page.getByRole('link', { name: /^Game/ }).waitFor();
  await shot('01-classes');

  // The class, and its row.
  await page.getByRole('link', { name: /^Game/ }).click();
  const cell = page.getByText('ada', { exact: true });
  await cell.waitFor();
  await page.getByText(created.body.objectId).waitFor();
  await page.getByText('1 object', { exact: false }).first().waitFor();
  await shot('02-class');

  // Open the row's cell and change it: the dashboard saves through PUT.
  await cell.dblclick();
  await page.locator('textarea:focus').waitFor();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('ada lovelace');
  await page.keyboard.press('Enter');
  await page.getByText('ada lovelace', { exact: true }).waitFor();
  await shot('03-row-edited');
  for (let i = 0; i < 50; i++) {
    if ((await server.rest('GET', '/classes/Game/' + created.body.objectId)).body.player === 'ada lovelace') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await server.rest('GET', '/classes/Game/' + created.body.objectId)).body.player, 'ada lovelace');
});
