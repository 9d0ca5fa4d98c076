// Serves the todo example: its files, the SDK's ES modules under /client/ and /config.js (the
// API's URL), under a strict Content-Security-Policy. `node examples/todo/serve.mjs` runs it
// (API_URL, default http://127.0.0.1:3000; PORT, default 5173); the e2e test calls serveExample().
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** Where `npm run build:client` puts the SDK's ES modules. */
const SDK_BUILD = join(HERE, '..', '..', 'packages', 'client', 'dist', 'esm');
/** The only example files there are to serve: nothing else in this folder is reachable. */
const PAGES = { '/': 'index.html', '/index.html': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/**
 * Starts the example's server on 127.0.0.1.
 *
 * `apiUrl` may be a function, read at each request: a test can then start this server first
 * and give its origin to the API's CORS_ORIGINS, before the API (on a free port) has a URL.
 * `clientDir` is where the SDK's ES modules are (default: packages/client/dist/esm).
 *
 * @param {{ apiUrl: string | (() => string), port?: number, clientDir?: string }} options
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function serveExample({ apiUrl, port = 0, clientDir = SDK_BUILD }) {
  const api = typeof apiUrl === 'function' ? apiUrl : () => apiUrl;
  const server = createServer((request, response) => {
    const url = api();
    answer(request, clientDir, url)
      .then(({ status, type, body }) => {
        response.writeHead(status, { 'content-type': type, ...headersFor(url) });
        response.end(request.method === 'HEAD' ? undefined : body);
      })
      .catch((error) => {
        console.error(error);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('The example server failed; see its output.');
      });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        // A browser keeps connections open; they must not hold the close up.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(request, clientDir, apiUrl) {
  if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Only GET and HEAD are answered here.');
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  if (pathname === '/config.js') {
    return { status: 200, type: TYPES['.js'], body: `export const API_URL = ${JSON.stringify(apiUrl)};\n` };
  }
  if (PAGES[pathname]) return file(join(HERE, PAGES[pathname]));
  // Module names only (auth.js, http.js …): a path cannot climb out of the SDK's folder.
  const module = /^\/client\/([a-z][a-z-]*\.js)$/.exec(pathname);
  if (module) {
    const path = join(clientDir, module[1]);
    return existsSync(path) ? file(path) : text(404, 'The SDK is not built: run `npm run build:client`.');
  }
  return text(404, 'Not found.');
}

async function file(path) {
  return { status: 200, type: TYPES[extname(path)], body: await readFile(path) };
}

function text(status, body) {
  return { status, type: 'text/plain; charset=utf-8', body };
}

/**
 * Scripts only from this server (no inline script, no eval), styles only from style.css, and
 * calls only to this server and the API: an injected title could run nothing and send nowhere.
 * An import map is an inline script, which this policy refuses: app.js imports /client/index.js.
 */
function headersFor(apiUrl) {
  const csp = [
    "default-src 'self'",
    `connect-src 'self' ${new URL(apiUrl).origin}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // The example is edited while it runs: always the current files.
    'cache-control': 'no-store',
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
  if (!existsSync(join(SDK_BUILD, 'index.js'))) console.warn('The SDK is not built yet: run `npm run build:client` first.');
  serveExample({ apiUrl, port: Number(process.env.PORT ?? 5173) }).then(
    ({ url }) => console.log(`The todo example: ${url} (API ${apiUrl}; its CORS_ORIGINS must list ${url})`),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
