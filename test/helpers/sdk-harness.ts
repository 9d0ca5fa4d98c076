import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/sdk-browser');
const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/harness.mjs': 'harness.mjs',
  '/relay.html': 'relay.html',
  '/relay.mjs': 'relay.mjs',
};
const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

/**
 * The SDK's ES modules compiled with the package's own tsconfig into a directory of their own
 * (`npm run build:client` empties packages/client/dist first, which would pull the files from
 * under another test reading them at the same time). `dir` exists at once, so a harness can be
 * served from it while tsc runs; `compiled` settles when the modules are there.
 */
export function compileClientModules(): { dir: string; compiled: Promise<void>; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'backlot-sdk-'));
  const compiled = promisify(execFile)(process.execPath, [
    require.resolve('typescript/bin/tsc'),
    '-p',
    join(ROOT, 'packages/client/tsconfig.json'),
    '--outDir',
    dir,
    // Emit only: the client's types are checked by the typecheck and its package test, not again here.
    '--noCheck',
  ]).then(() => undefined);
  return { dir, compiled, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface SdkHarness {
  /** The page's origin, e.g. http://127.0.0.1:41234 (its CORS_ORIGINS entry). */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves test/fixtures/sdk-browser (a page whose module script puts the SDK on `globalThis.sdk`)
 * and the compiled SDK under /client/, on 127.0.0.1, under a strict CSP: scripts from this
 * server only, no inline script or eval; calls to any port of 127.0.0.1 (the API, a proxy to it).
 */
export async function serveSdkHarness(clientDir: string): Promise<SdkHarness> {
  const server = createServer((request, response) => {
    answer(request.url ?? '/', clientDir).then(
      ({ status, type, body }) => {
        response.writeHead(status, {
          'content-type': type,
          'content-security-policy': "default-src 'self'; script-src 'self'; connect-src 'self' http://127.0.0.1:*; frame-ancestors 'none'",
          'cache-control': 'no-store',
        });
        response.end(body);
      },
      (error: Error) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(error.message);
      },
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise((done) => {
        // The browser keeps connections open: they must not hold the close up.
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function answer(url: string, clientDir: string): Promise<{ status: number; type: string; body: Buffer | string }> {
  const { pathname } = new URL(url, 'http://localhost');
  if (PAGES[pathname]) {
    const name = PAGES[pathname];
    return { status: 200, type: name.endsWith('.html') ? HTML : JS, body: await readFile(join(FIXTURE, name)) };
  }
  // Module names only (auth.js, http.js …): a path cannot climb out of the SDK's folder.
  const module = /^\/client\/([a-z][a-z-]*\.js)$/.exec(pathname);
  if (module && existsSync(join(clientDir, module[1]))) return { status: 200, type: JS, body: await readFile(join(clientDir, module[1])) };
  return { status: 404, type: 'text/plain; charset=utf-8', body: 'Not found.' };
}
