// The reference Bluesky PDS (@atproto/pds) with an in-memory PLC directory (@did-plc/server),
// both on loopback, for the bluesky publisher's tests.
//   node server.js [pdsPort] [plcPort] [dataDir]
// A port of 0 (the default) takes a free one. Prints one line "READY {json}" with the URLs once
// both servers listen; SIGTERM or SIGINT shuts both down cleanly.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const plc = require('@did-plc/server');
const { PDS, envToCfg, envToSecrets } = require('@atproto/pds');

const HOST = '127.0.0.1';

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Both servers call app.listen(port), which binds every interface; keep them on loopback.
function onLoopback(app) {
  const listen = app.listen.bind(app);
  app.listen = (port) => listen(port, HOST);
}

async function main() {
  const pdsPort = Number(process.argv[2] || 0) || (await freePort());
  const plcPort = Number(process.argv[3] || 0) || (await freePort());
  const data = process.argv[4] || fs.mkdtempSync(path.join(os.tmpdir(), 'herald-pds-'));
  fs.mkdirSync(data, { recursive: true });

  const directory = plc.PlcServer.create({ db: plc.Database.mock(), port: plcPort });
  onLoopback(directory.app);
  await directory.start();

  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  const rotationKey = Buffer.from(privateKey.export({ format: 'jwk' }).d, 'base64url');
  const env = {
    devMode: true,
    port: pdsPort,
    hostname: 'localhost',
    dataDirectory: data,
    blobstoreDiskLocation: path.join(data, 'blobs'),
    didPlcUrl: `http://${HOST}:${plcPort}`,
    serviceHandleDomains: ['.test'],
    inviteRequired: false,
    jwtSecret: crypto.randomBytes(16).toString('hex'),
    adminPassword: crypto.randomBytes(16).toString('hex'),
    plcRotationKeyK256PrivateKeyHex: rotationKey.toString('hex'),
    rateLimitsEnabled: false,
    disableSsrfProtection: true,
  };
  const pds = await PDS.create(envToCfg(env), envToSecrets(env));
  onLoopback(pds.app);
  await pds.start();
  process.stdout.write(`READY ${JSON.stringify({ pds: `http://${HOST}:${pdsPort}`, plc: `http://${HOST}:${plcPort}`, data })}\n`);

  const stop = async () => {
    try { await pds.destroy(); } catch (e) { console.error(e); }
    try { await directory.destroy(); } catch (e) { console.error(e); }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error('herald test PDS failed to start:', e);
  process.exit(1);
});
