'use strict';
// Drives leancloud-storage's AV.File against a server, for Go tests that
// serve with a files provider the Node suite cannot start (the Kodo fake):
//   node lc-files.js SERVER_URL APP_ID APP_KEY SESSION_TOKEN
// It saves a file from a Buffer and one from base64, fetches the first,
// puts both on an object and reads it back, and prints what it got as JSON.
const AV = require('leancloud-storage');

async function main() {
  const [serverURL, appId, appKey, sessionToken] = process.argv.slice(2);
  AV.init({ appId, appKey, serverURL });
  const out = {};
  const buf = new AV.File('hello.txt', Buffer.from('hello from a buffer'), 'text/plain');
  await buf.save({ sessionToken });
  out.buffer = { id: buf.id, url: buf.url() };
  const b64 = new AV.File('图.png', { base64: Buffer.from('png-ish bytes').toString('base64') });
  await b64.save({ sessionToken });
  out.base64 = { id: b64.id, url: b64.url() };
  const fetched = await AV.File.createWithoutData(buf.id).fetch();
  out.fetched = { name: fetched.name(), url: fetched.url(), size: fetched.metaData('size') };
  const post = new AV.Object('Post', { pic: buf, pics: [buf, b64] });
  await post.save(null, { sessionToken });
  const back = await new AV.Query('Post').get(post.id, { sessionToken });
  out.onObject = { id: back.get('pic').id, url: back.get('pic').url(), pics: back.get('pics').map((f) => f.id) };
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`${err.code || ''} ${err.stack || err}\n`);
  process.exit(1);
});
