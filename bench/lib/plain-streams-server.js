'use strict';
/**
 * The transfer yardstick of `npm run bench:files`: node:http and plain fs streams (with the app's
 * chunk sizes), nothing else.
 * POST /files/<name> writes the request body (the same multipart bytes the app gets) to
 * STORE_DIR/<name> and answers 201; GET /files/<name> streams it back. It runs as its own
 * process, like the app, and gets the same requests from the same client, so both figures
 * include the same loopback transfer and differ only in what the server does with the bytes.
 *
 * GET / answers 200 once it listens. Env: STORE_DIR (where files go), PORT, HOST (127.0.0.1).
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');

const root = process.env.STORE_DIR;
// The chunk sizes the app's local storage uses, so the two differ only in what the app adds.
const WRITE_CHUNK = 1024 * 1024;
const readChunk = (size) => (size < 1024 * 1024 ? 64 * 1024 : 1024 * 1024);

/** The file a request names, or undefined (only plain names, never a path). */
function fileOf(url) {
  const name = /^\/files\/([\w.-]+)$/.exec(url)?.[1];
  return name && !name.startsWith('.') ? path.join(root, name) : undefined;
}

async function handle(request, response) {
  if (request.url === '/') return void response.writeHead(200).end('ready');
  const file = fileOf(request.url);
  if (!file) return void response.writeHead(404).end();
  if (request.method === 'POST') {
    await pipeline(request, fs.createWriteStream(file, { flags: 'wx', mode: 0o600, highWaterMark: WRITE_CHUNK }));
    response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ url: request.url }));
    return;
  }
  const { size } = await fs.promises.stat(file);
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  await pipeline(fs.createReadStream(file, { highWaterMark: readChunk(size) }), response);
}

const server = http.createServer((request, response) => {
  handle(request, response).catch((error) => {
    if (!response.headersSent) response.writeHead(500).end(String(error.message));
    else response.destroy(error);
  });
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(Number(process.env.PORT || 0), process.env.HOST || '127.0.0.1', () => {
  process.stdout.write(`plain streams server listening on ${JSON.stringify(server.address())}\n`);
});
