'use strict';
// Phone login by SMS code (LeanCloud's routes) over raw REST, with the "log"
// SMS provider: the code is read from the server log. Then the session works
// with the SDK (Parse.User.become).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, rest, logMark, waitForLog, serverLog } = require('../helpers/server');
const { signUp, restAs, assertRefused } = require('../helpers/users');

const INTERVAL_MS = 1000;
const ctx = useServer({
  name: 'phone',
  env: {
    SWITCHBOARD_SMS__PROVIDER: 'log',
    SWITCHBOARD_SMS_CODE__INTERVAL: '1s',
    SWITCHBOARD_SMS_CODE__DAILY_LIMIT: '3',
    SWITCHBOARD_SMS_CODE__MAX_ATTEMPTS: '3',
    SWITCHBOARD_SMS_CODE__IP_HOURLY: '500',
  },
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TOKEN = /^r:[0-9a-f]{32}$/;

// Distinct mainland numbers per test: +86138 + 8 digits.
let seq = 0;
function number() {
  seq += 1;
  return `+86138${String(process.pid % 1000).padStart(3, '0')}${String(seq).padStart(5, '0')}`;
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// requestCode asks for a code for phone and returns it from the log.
async function requestCode(phone, { route = 'requestSmsCode', purpose = 'login' } = {}) {
  const mark = logMark(ctx.server);
  const res = await rest(ctx.server, 'POST', route, { body: { mobilePhoneNumber: phone } });
  assert.equal(res.status, 200, `${route}: ${res.status} ${res.text}`);
  const m = await waitForLog(
    ctx.server,
    new RegExp(`msg="sms message" to=${escapeRe(phone)} purpose=${purpose}[^\\n]*?code:(\\d+)`),
    { from: mark }
  );
  return m[1];
}

const login = (body) => rest(ctx.server, 'POST', 'usersByMobilePhone', { body });

describe('phone login', () => {
  it('requestSmsCode, then usersByMobilePhone signs up (201) with a session token; Parse.User.become works', async () => {
    const { Parse } = ctx;
    const phone = '+8613800138000';
    const mark = logMark(ctx.server);
    const req = await rest(ctx.server, 'POST', 'requestSmsCode', { body: { mobilePhoneNumber: phone } });
    assert.equal(req.status, 200, req.text);
    assert.deepEqual(req.json, {});
    const m = await waitForLog(ctx.server, /msg="sms message" to=\+8613800138000 purpose=login[^\n]*?code:(\d+)/, { from: mark });
    const code = m[1];
    assert.match(code, /^\d{6}$/, 'six digits by default');

    const res = await login({ mobilePhoneNumber: phone, smsCode: code });
    assert.equal(res.status, 201, res.text);
    assert.match(res.json.objectId, /^[A-Za-z0-9]{10}$/);
    assert.match(res.json.sessionToken, TOKEN);
    assert.equal(res.json.mobilePhoneNumber, phone);
    assert.equal(res.json.username, phone, 'the number is the username');

    Parse.User.enableUnsafeCurrentUser();
    try {
      const user = await Parse.User.become(res.json.sessionToken);
      assert.equal(user.id, res.json.objectId);
      assert.equal(user.get('mobilePhoneNumber'), phone);
      assert.equal(Parse.User.current().id, res.json.objectId);
      await Parse.User.logOut();
    } finally {
      Parse.User.disableUnsafeCurrentUser();
    }
  });

  it('a later code for the same number logs in (200) as the same user', async () => {
    const phone = number();
    const first = await login({ mobilePhoneNumber: phone, smsCode: await requestCode(phone) });
    assert.equal(first.status, 201, first.text);
    await sleep(INTERVAL_MS + 100);
    const second = await login({ mobilePhoneNumber: phone, smsCode: await requestCode(phone) });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.objectId, first.json.objectId);
    assert.match(second.json.sessionToken, TOKEN);
    assert.notEqual(second.json.sessionToken, first.json.sessionToken);
    const me = await restAs(ctx.server, second.json.sessionToken, 'GET', 'users/me');
    assert.equal(me.json.objectId, first.json.objectId);
  });

  it('extra fields in the signup body are saved on the new user', async () => {
    const phone = number();
    const res = await login({ mobilePhoneNumber: phone, smsCode: await requestCode(phone), nickname: 'ph' });
    assert.equal(res.status, 201, res.text);
    const me = await restAs(ctx.server, res.json.sessionToken, 'GET', 'users/me');
    assert.equal(me.json.nickname, 'ph');
  });

  it('a wrong code is 101, and a code works only once', async () => {
    const phone = number();
    const code = await requestCode(phone);
    const wrong = String((Number(code) + 1) % 1000000).padStart(6, '0');
    assertRefused(await login({ mobilePhoneNumber: phone, smsCode: wrong }), 101);
    const ok = await login({ mobilePhoneNumber: phone, smsCode: code });
    assert.equal(ok.status, 201, ok.text);
    assertRefused(await login({ mobilePhoneNumber: phone, smsCode: code }), 101);
  });

  it('a code for one number does not work for another', async () => {
    const a = number();
    const b = number();
    const code = await requestCode(a);
    assertRefused(await login({ mobilePhoneNumber: b, smsCode: code }), 101);
    assert.equal((await login({ mobilePhoneNumber: a, smsCode: code })).status, 201);
  });

  it('an 11-digit mainland number without +86 is accepted and normalised', async () => {
    const phone = number();
    const local = phone.slice(3);
    assert.equal(local.length, 11);
    const code = await requestCode(phone);
    const res = await login({ mobilePhoneNumber: local, smsCode: code });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.mobilePhoneNumber, phone);
    await sleep(INTERVAL_MS + 100);
    const mark = logMark(ctx.server);
    const again = await rest(ctx.server, 'POST', 'requestSmsCode', { body: { mobilePhoneNumber: local } });
    assert.equal(again.status, 200, again.text);
    await waitForLog(ctx.server, new RegExp(`msg="sms message" to=${escapeRe(phone)} `), { from: mark });
  });
});

describe('limits (155)', () => {
  it('requesting twice within the interval is 155', async () => {
    const phone = number();
    await requestCode(phone);
    const res = await rest(ctx.server, 'POST', 'requestSmsCode', { body: { mobilePhoneNumber: phone } });
    assertRefused(res, 155);
    await sleep(INTERVAL_MS + 100);
    await requestCode(phone);
  });

  it('after maxAttempts wrong guesses even the right code is refused (155)', async () => {
    const phone = number();
    const code = await requestCode(phone);
    for (let i = 0; i < 3; i++) {
      const wrong = String((Number(code) + 1 + i) % 1000000).padStart(6, '0');
      assertRefused(await login({ mobilePhoneNumber: phone, smsCode: wrong }), 101);
    }
    assertRefused(await login({ mobilePhoneNumber: phone, smsCode: code }), 155);
  });

  it('parallel wrong guesses are bounded by maxAttempts (exactly 3 are checked, the rest are 155)', async () => {
    const phone = number();
    const code = await requestCode(phone);
    const guesses = Array.from({ length: 10 }, (_, i) => String((Number(code) + 1 + i) % 1000000).padStart(6, '0'));
    const results = await Promise.all(guesses.map((g) => login({ mobilePhoneNumber: phone, smsCode: g })));
    const codes = results.map((r) => r.json && r.json.code).sort();
    assert.deepEqual(codes, [101, 101, 101, 155, 155, 155, 155, 155, 155, 155], JSON.stringify(results.map((r) => r.text)));
    assertRefused(await login({ mobilePhoneNumber: phone, smsCode: code }), 155);
  });

  it('more codes than dailyLimit for one number in a day is 155', async () => {
    const phone = number();
    for (let i = 0; i < 3; i++) {
      await requestCode(phone);
      await sleep(INTERVAL_MS + 100);
    }
    assertRefused(await rest(ctx.server, 'POST', 'requestSmsCode', { body: { mobilePhoneNumber: phone } }), 155);
  });
});

describe('verified and unverified numbers', () => {
  it('requestMobilePhoneVerify + verifyMobilePhone mark a user\'s number verified; phone login then reaches that user', async () => {
    const { Parse } = ctx;
    const phone = number();
    const user = await signUp(Parse, 'phoneowner', { mobilePhoneNumber: phone });
    const code = await requestCode(phone, { route: 'requestMobilePhoneVerify', purpose: 'verify' });
    const wrong = String((Number(code) + 1) % 1000000).padStart(6, '0');
    assertRefused(await rest(ctx.server, 'POST', `verifyMobilePhone/${wrong}`, { body: { mobilePhoneNumber: phone } }), 101);
    const ok = await rest(ctx.server, 'POST', `verifyMobilePhone/${code}`, { body: { mobilePhoneNumber: phone } });
    assert.equal(ok.status, 200, ok.text);
    const me = await restAs(ctx.server, user, 'GET', 'users/me');
    assert.equal(me.json.mobilePhoneVerified, true, me.text);

    const res = await login({ mobilePhoneNumber: phone, smsCode: await requestCode(phone) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.objectId, user.id);
  });

  it('requestMobilePhoneVerify for a number no user has answers as for any number, and sends nothing (hole 9)', async () => {
    const phone = number();
    const mark = logMark(ctx.server);
    const res = await rest(ctx.server, 'POST', 'requestMobilePhoneVerify', { body: { mobilePhoneNumber: phone } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '{}');
    // A known number's code shows in the log once sent; this one never is.
    const user = await signUp(ctx.Parse, 'phoneknown', { mobilePhoneNumber: number() });
    await requestCode(user.get('mobilePhoneNumber'), { route: 'requestMobilePhoneVerify', purpose: 'verify' });
    assert.ok(!serverLog(ctx.server).slice(mark).includes(`to=${phone}`), 'an SMS went to a number no user has');
  });

  it('a number put on an account without verification does not log the prover into that account', async () => {
    const { Parse } = ctx;
    const phone = number();
    const squatter = await signUp(Parse, 'squatter', { mobilePhoneNumber: phone });
    const res = await login({ mobilePhoneNumber: phone, smsCode: await requestCode(phone) });
    assert.equal(res.status, 201, `a new account for the prover: ${res.text}`);
    assert.notEqual(res.json.objectId, squatter.id);
    const sq = await rest(ctx.server, 'GET', `users/${squatter.id}`, { master: true });
    assert.notEqual(sq.json.mobilePhoneNumber, phone, 'the unverified claim is removed');
  });

  it('a number someone took as their username still signs the prover up, as another user', async () => {
    const { Parse } = ctx;
    const phone = number();
    const squatter = new Parse.User({ username: phone, password: 'pw' });
    await squatter.signUp();
    const res = await login({ mobilePhoneNumber: phone, smsCode: await requestCode(phone) });
    assert.equal(res.status, 201, res.text);
    assert.notEqual(res.json.objectId, squatter.id);
    assert.equal(res.json.mobilePhoneNumber, phone);
    const me = await restAs(ctx.server, res.json.sessionToken, 'GET', 'users/me');
    assert.equal(me.json.objectId, res.json.objectId);
  });

  it('a client cannot set mobilePhoneVerified itself (119)', async () => {
    const { Parse } = ctx;
    const user = await signUp(Parse, 'selfverify', { mobilePhoneNumber: number() });
    assertRefused(await restAs(ctx.server, user, 'PUT', `users/${user.id}`, { body: { mobilePhoneVerified: true } }), 119);
  });
});

describe('codes are secrets', () => {
  it('_SmsCode is closed to clients, and stores no plain code', async () => {
    const { Parse } = ctx;
    const phone = number();
    const code = await requestCode(phone);
    const user = await signUp(Parse, 'snoop');
    assertRefused(await rest(ctx.server, 'GET', 'classes/_SmsCode'), [119, 103]);
    assertRefused(await restAs(ctx.server, user, 'GET', 'classes/_SmsCode'), [119, 103]);
    assertRefused(await restAs(ctx.server, user, 'POST', 'classes/_SmsCode', { body: { phone } }), [119, 103]);
    const master = await rest(ctx.server, 'GET', 'classes/_SmsCode', { master: true, query: { limit: 1000 } });
    if (master.status === 200) {
      assert.ok(!master.text.includes(`"${code}"`), `a plain code is stored: ${master.text.slice(0, 300)}`);
      assert.ok(!new RegExp(`:${code}[,}]`).test(master.text));
    }
    // The log line is the provider's message, the only place the code appears.
    assert.ok(serverLog(ctx.server).includes(`code:${code}`));
  });
});

describe('bad input on phone routes is a Parse-style 4xx', () => {
  it('requestSmsCode', async () => {
    for (const body of [{}, { mobilePhoneNumber: 13800138000 }, { mobilePhoneNumber: 'abc' }, { mobilePhoneNumber: { $ne: null } }, { mobilePhoneNumber: '+1' }, { mobilePhoneNumber: '' }]) {
      const res = await rest(ctx.server, 'POST', 'requestSmsCode', { body });
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)} → ${res.status} ${res.text}`);
      assert.equal(typeof (res.json && res.json.code), 'number', res.text);
    }
    assertRefused(await rest(ctx.server, 'POST', 'requestSmsCode', { rawBody: '{"mobilePhoneNumber":' }), 107, 400);
  });

  it('usersByMobilePhone', async () => {
    const phone = number();
    for (const body of [
      {},
      { mobilePhoneNumber: phone },
      { mobilePhoneNumber: phone, smsCode: '' },
      { mobilePhoneNumber: phone, smsCode: { $ne: null } },
      { mobilePhoneNumber: phone, smsCode: ['123456'] },
      { mobilePhoneNumber: { $regex: '.*' }, smsCode: '123456' },
      { mobilePhoneNumber: phone, smsCode: 'x'.repeat(5000) },
    ]) {
      const res = await login(body);
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body).slice(0, 80)} → ${res.status} ${res.text}`);
      assert.equal(typeof (res.json && res.json.code), 'number', res.text);
    }
    assertRefused(await rest(ctx.server, 'POST', 'usersByMobilePhone', { rawBody: '[' }), 107, 400);
  });

  it('verifyMobilePhone', async () => {
    for (const [route, body] of [
      ['verifyMobilePhone/123456', {}],
      ['verifyMobilePhone/123456', { mobilePhoneNumber: 5 }],
      ['verifyMobilePhone/%00', { mobilePhoneNumber: number() }],
      ['requestMobilePhoneVerify', { mobilePhoneNumber: [] }],
    ]) {
      const res = await rest(ctx.server, 'POST', route, { body });
      assert.ok(res.status >= 400 && res.status < 500, `${route} ${JSON.stringify(body)} → ${res.status} ${res.text}`);
    }
  });
});
