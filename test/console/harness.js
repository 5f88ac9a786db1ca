'use strict';
// Test harness: builds switchboard, runs `switchboard serve` on a fresh
// SQLite data folder, and opens headless Chromium (Debian's, at
// /usr/bin/chromium or CHROMIUM_PATH) through playwright-core.
// Under CI=true a missing Chromium fails the run; elsewhere it skips.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const APP_ID = 'consoleapp';
const MASTER_KEY = 'console-master-key';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = path.join(__dirname, 'screenshots');

function chromiumMissing() {
  if (fs.existsSync(CHROMIUM)) return null;
  const msg = `Chromium not found at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(msg);
  return msg;
}

function build() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-console-bin-'));
  const bin = path.join(dir, 'switchboard');
  execFileSync('go', ['build', '-o', bin, './cmd/switchboard'], { cwd: REPO_ROOT, stdio: 'inherit' });
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// startServer runs the server; extra env adds to the defaults.
async function startServer(env = {}) {
  const bin = process.env.SWITCHBOARD_BIN || build();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-console-'));
  const port = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
  const logFile = path.join(dir, 'server.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(bin, ['serve', '--http', `127.0.0.1:${port}`, '--dir', path.join(dir, 'data')], {
    cwd: dir, stdio: ['ignore', log, log],
    env: { ...inherited, SWITCHBOARD_APP_ID: APP_ID, SWITCHBOARD_MASTER_KEY: MASTER_KEY, SWITCHBOARD_JOBS__PROVIDER: 'none', ...env },
  });
  fs.closeSync(log);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(base + '/health')).status === 200) break; } catch { /* starting */ }
    if (child.exitCode !== null) throw new Error('server exited: ' + fs.readFileSync(logFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base, dir,
    // rest calls the Parse API directly with the master key (test set-up and checks).
    async rest(method, p, body) {
      const res = await fetch(base + '/parse' + p, { method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY, 'Content-Type': 'application/json' } });
      return { status: res.status, body: await res.json() };
    },
    log: () => fs.readFileSync(logFile, 'utf8'),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      if (!process.env.SB_KEEP_DATA) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openBrowser() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

// shooter saves numbered screenshots of each step under screenshots/.
function shooter(page, prefix) {
  fs.mkdirSync(SHOTS, { recursive: true });
  let n = 0;
  return async (name) => {
    n++;
    await page.screenshot({ path: path.join(SHOTS, `${prefix}-${String(n).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
}

module.exports = { startServer, openBrowser, shooter, chromiumMissing, APP_ID, MASTER_KEY, REPO_ROOT };
