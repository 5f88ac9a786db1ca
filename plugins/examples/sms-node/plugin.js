#!/usr/bin/env node
// An example Switchboard sms plugin in Node.js. It shows what a plugin in
// any language does to be run by the server (hashicorp/go-plugin's gRPC
// protocol):
//
//  1. check the magic cookie the server sets in the environment;
//  2. serve the sms.v1 contract (plugins/proto/switchboard/sms/v1) and the
//     gRPC health service ("plugin" SERVING) on 127.0.0.1;
//  3. AutoMTLS: trust only the server's certificate (PLUGIN_CLIENT_CERT),
//     present a fresh self-signed one, and send it in the handshake line;
//  4. print the handshake line on stdout:
//     CORE-VERSION|APP-VERSION|tcp|ADDRESS|grpc|BASE64-DER-CERT
//  5. log to stderr (JSON lines with @level and @message reach the
//     server's log with their level);
//  6. exit when the server is gone.
//
// It delivers each message by POSTing JSON ({to, purpose, text, params})
// to SMS_WEBHOOK_URL, with "Authorization: Bearer SMS_WEBHOOK_TOKEN" when
// that is set (both are the plugin's own settings, from its plugins entry).
// The webhook answers:
//
//   2xx            delivered
//   400            the number or message is refused        -> code 162
//   401, 403       our token is refused                    -> code 1
//   409            rate control for this number (a quota)  -> code 155, not retried
//   429, 5xx, or no answer: a transient failure, retried up to
//                  SMS_WEBHOOK_ATTEMPTS times in all (default 3), honouring
//                  Retry-After up to 2 s                    -> code 100 after that
//
//   plugins:
//     - name: smshook
//       path: /opt/switchboard/plugins/sms-node/plugin.js
//       sha256: <sha256sum plugin.js>
//       env: {SMS_WEBHOOK_URL: "https://sms-gateway.internal/send", SMS_WEBHOOK_TOKEN: "..."}
//   sms:
//     provider: plugin:smshook
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { HealthImplementation } = require('grpc-health-check');
const selfsigned = require('selfsigned');

// The handshake's constants: plugins/handshake.go.
const MAGIC_COOKIE_KEY = 'SWITCHBOARD_PLUGIN';
const MAGIC_COOKIE_VALUE = 'd2f1c6a4-provider-plugin';
const CORE_PROTOCOL_VERSION = 1; // go-plugin's own protocol
const APP_PROTOCOL_VERSION = 1; // the v1 contracts

// Switchboard (Parse) error codes sent in the "switchboard-error-code"
// trailer, so the server sees exactly the code meant.
const CODE_CONNECTION_FAILED = 100;
const CODE_INVALID_VALUE = 162;
const CODE_REQUEST_LIMIT_EXCEEDED = 155;

function log(level, message, fields) {
  process.stderr.write(JSON.stringify({ '@level': level, '@message': message, ...fields }) + '\n');
}

function fail(grpcCode, sbCode, message) {
  const metadata = new grpc.Metadata();
  metadata.set('switchboard-error-code', String(sbCode));
  return { code: grpcCode, details: message, metadata };
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

// post makes one attempt: 'ok', 'retry' (with a wait in ms), or an error
// for the server.
async function post(body, signal) {
  const headers = { 'Content-Type': 'application/json' };
  if (process.env.SMS_WEBHOOK_TOKEN) {
    headers.Authorization = `Bearer ${process.env.SMS_WEBHOOK_TOKEN}`;
  }
  let resp;
  try {
    resp = await fetch(process.env.SMS_WEBHOOK_URL, { method: 'POST', headers, body, signal });
    await resp.arrayBuffer();
  } catch (err) {
    return { retry: 0, why: 'the SMS webhook is unreachable' };
  }
  if (resp.ok) {
    return { ok: true };
  }
  if (resp.status === 429 || resp.status >= 500) {
    const after = Number(resp.headers.get('retry-after'));
    return { retry: Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 2000) : 0, why: `the SMS webhook answered ${resp.status}` };
  }
  if (resp.status === 409) {
    return { error: fail(grpc.status.RESOURCE_EXHAUSTED, CODE_REQUEST_LIMIT_EXCEEDED, 'the SMS webhook refused: rate limit for this number') };
  }
  if (resp.status === 401 || resp.status === 403) {
    return { error: fail(grpc.status.FAILED_PRECONDITION, 1, `the SMS webhook refused our token (${resp.status}): check SMS_WEBHOOK_TOKEN`) };
  }
  return { error: fail(grpc.status.INVALID_ARGUMENT, CODE_INVALID_VALUE, `the SMS webhook refused the message (${resp.status})`) };
}

async function send(call, callback) {
  const { to, purpose, text, params } = call.request;
  const body = JSON.stringify({ to, purpose, text, params });
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort());
  const attempts = Number(process.env.SMS_WEBHOOK_ATTEMPTS) || 3;
  let why = '';
  for (let i = 0; i < attempts && !controller.signal.aborted; i++) {
    const res = await post(body, controller.signal);
    if (res.ok) {
      log('info', 'sms sent', { purpose, attempts: i + 1 });
      return callback(null, {});
    }
    if (res.error) {
      return callback(res.error);
    }
    why = res.why;
    if (i + 1 < attempts) {
      await sleep(res.retry || 100 * 2 ** i, controller.signal);
    }
  }
  if (controller.signal.aborted) {
    return; // the server gave up on this call; nobody reads an answer
  }
  callback(fail(grpc.status.UNAVAILABLE, CODE_CONNECTION_FAILED, `${why} (after ${attempts} attempts)`));
}

function check(call, callback) {
  if (!process.env.SMS_WEBHOOK_URL) {
    return callback(fail(grpc.status.FAILED_PRECONDITION, 1, 'set SMS_WEBHOOK_URL in the env of the plugins entry'));
  }
  callback(null, {});
}

// go-plugin asks a plugin to exit through plugin.GRPCController/Shutdown
// (google.protobuf.Empty in and out, which encode as zero bytes).
const empty = { serialize: () => Buffer.alloc(0), deserialize: () => ({}) };
const controllerService = {
  Shutdown: {
    path: '/plugin.GRPCController/Shutdown',
    requestStream: false,
    responseStream: false,
    requestSerialize: empty.serialize,
    requestDeserialize: empty.deserialize,
    responseSerialize: empty.serialize,
    responseDeserialize: empty.deserialize,
  },
};

// Exit when the server that started us is gone (killed before it could
// stop its plugins): we have been adopted, and nobody will call us again.
function exitWithServer() {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      process.exit(0);
    }
  }, 500).unref();
}

async function main() {
  exitWithServer();
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    process.stderr.write('This is a Switchboard plugin: the server runs it (see the plugins section of its config).\n');
    process.exit(1);
  }
  const clientCert = process.env.PLUGIN_CLIENT_CERT;
  if (!clientCert) {
    process.stderr.write('PLUGIN_CLIENT_CERT is not set: the server must run plugins with AutoMTLS.\n');
    process.exit(1);
  }
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    ],
  });

  const protoDir = path.join(__dirname, '..', '..', 'proto');
  const def = protoLoader.loadSync('switchboard/sms/v1/sms.proto', { includeDirs: [protoDir], keepCase: true, defaults: true });
  const smsv1 = grpc.loadPackageDefinition(def).switchboard.sms.v1;

  const server = new grpc.Server();
  server.addService(smsv1.SMS.service, { Check: check, Send: send });
  new HealthImplementation({ '': 'SERVING', plugin: 'SERVING' }).addToServer(server);
  server.addService(controllerService, {
    Shutdown: (call, callback) => {
      callback(null, {});
      setImmediate(() => server.tryShutdown(() => process.exit(0)));
    },
  });

  const creds = grpc.ServerCredentials.createSsl(
    Buffer.from(clientCert),
    [{ private_key: Buffer.from(pems.private), cert_chain: Buffer.from(pems.cert) }],
    true, // require and verify the server's client certificate
  );
  server.bindAsync('127.0.0.1:0', creds, (err, port) => {
    if (err) {
      process.stderr.write(`cannot listen: ${err.message}\n`);
      process.exit(1);
    }
    const der = new (require('crypto').X509Certificate)(pems.cert).raw;
    const cert = der.toString('base64').replace(/=+$/, ''); // go-plugin reads unpadded base64
    process.stdout.write(`${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${cert}\n`);
    log('info', 'sms-node plugin serving', { port });
  });
}

main().catch((err) => {
  process.stderr.write(`sms-node plugin: ${err.stack || err}\n`);
  process.exit(1);
});
