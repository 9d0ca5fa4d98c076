'use strict';
/* global document, getComputedStyle -- the functions given to page.evaluate run in the browser */
/**
 * `npm run bench:console`: the admin console's budgets (issue 18), on the built app (embedded
 * database) in headless Chromium (Debian's, as the browser tests use):
 * 1. initial JavaScript: every script the console's index.html loads, gzipped (goal ≤ 250 KB);
 * 2. time to an interactive shell on localhost, cold cache and warm (goal < 1 s), beside a bare
 *    page in the same browser (one button rendered by a few lines of script, served by node:http)
 *    as the floor this machine and browser set;
 * 3. the records grid over 100,000 records: time to the first rows, then scrolling to the end of
 *    what the grid has, again and again, counting the records fetched and the rows in the DOM
 *    (goal: it scrolls without loading all 100,000, and the DOM holds a bounded number of rows).
 * `--quick`: 10,000 records, fewer load rounds. Exits 1 when a goal is missed.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { chromium } = require('playwright-core');
const { BENCH_USER, login } = require('./lib/auth');
const { freePort } = require('./lib/ports');
const { startServer, waitForReady, stopServer } = require('./lib/processes');

const ROOT = path.join(__dirname, '..');
const APP_MAIN = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const QUICK = process.argv.includes('--quick');
const RECORDS = QUICK ? 10_000 : 100_000;
const LOAD_ROUNDS = QUICK ? 5 : 15;
const SCROLL_STEPS = QUICK ? 10 : 30;
const GOALS = { initialJsKb: 250, interactiveMs: 1000 };
const COLLECTION = 'console_bench';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const state = { tmpDir: undefined, app: undefined, bare: undefined, browser: undefined };
const progress = (message) => process.stderr.write(`${message}\n`);
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function json(baseUrl, method, route, token, body, contentType = 'application/json') {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Every script the page's HTML loads at once (entry and module preloads), with its gzip size. */
async function initialScripts(baseUrl) {
  const html = await (await fetch(`${baseUrl}/_/`)).text();
  const sources = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => m[1]);
  const scripts = [];
  for (const source of new Set(sources)) {
    const bytes = Buffer.from(await (await fetch(new URL(source, baseUrl))).arrayBuffer());
    scripts.push({ source, kb: bytes.length / 1024, gzipKb: zlib.gzipSync(bytes, { level: 9 }).length / 1024 });
  }
  return scripts;
}

/** A bare page: one button rendered by a module script, the least a page can be interactive with. */
function startBarePage() {
  const page = '<!doctype html><html lang="en"><title>bare</title><script type="module" src="/app.js"></script></html>';
  const script = "const b = document.createElement('button'); b.textContent = 'Sign in'; document.body.append(b);";
  const server = http.createServer((request, response) => {
    const isScript = request.url === '/app.js';
    response.writeHead(200, { 'content-type': isScript ? 'text/javascript' : 'text/html', 'cache-control': 'no-cache' });
    response.end(isScript ? script : page);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Milliseconds from navigation start until the button is on screen and enabled, by the page's
 * own clock; `fresh` drops the HTTP cache first (a first visit), otherwise assets are cached.
 */
async function timeToInteractive(context, url, buttonName, fresh) {
  const page = await context.newPage();
  try {
    if (fresh) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.clearBrowserCache');
    }
    // Polled in the page every frame from the first commit, so the time is the page's own
    // (within a frame), not a round trip of the driver.
    await page.goto(url, { waitUntil: 'commit' });
    const ready = await page.waitForFunction(
      (name) => ([...document.querySelectorAll('button')].some((b) => b.textContent === name && !b.disabled) ? performance.now() : false),
      buttonName,
      { polling: 'raf', timeout: 30_000 },
    );
    return ready.jsonValue();
  } finally {
    await page.close();
  }
}

async function measureShell(baseUrl, bareUrl) {
  const context = await state.browser.newContext();
  const rows = [];
  const signedOut = { cold: [], warm: [] };
  const bare = { cold: [], warm: [] };
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    // Alternated, so the machine's load falls on the console and the bare page alike.
    signedOut.cold.push(await timeToInteractive(context, `${baseUrl}/_/`, 'Sign in', true));
    bare.cold.push(await timeToInteractive(context, bareUrl, 'Sign in', true));
    signedOut.warm.push(await timeToInteractive(context, `${baseUrl}/_/`, 'Sign in', false));
    bare.warm.push(await timeToInteractive(context, bareUrl, 'Sign in', false));
  }
  // Signed in: the session comes back from the refresh cookie, then the collections load.
  const page = await context.newPage();
  await page.goto(`${baseUrl}/_/`);
  await page.getByLabel('Email').fill(BENCH_USER.email);
  await page.getByLabel('Password').fill(BENCH_USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.close();
  const signedIn = [];
  for (let round = 0; round < LOAD_ROUNDS; round++) signedIn.push(await timeToInteractive(context, `${baseUrl}/_/`, 'Sign out', false));
  rows.push(['console, signed out, first visit', median(signedOut.cold), median(bare.cold)]);
  rows.push(['console, signed out, cached', median(signedOut.warm), median(bare.warm)]);
  rows.push(['console, signed in (session from cookie), cached', median(signedIn), median(bare.warm)]);
  await context.close();
  return rows;
}

async function seed(baseUrl, token) {
  await json(baseUrl, 'POST', '/api/v1/collections', token, {
    name: COLLECTION,
    fields: [
      { name: 'title', type: 'text' },
      { name: 'status', type: 'select', values: ['open', 'closed', 'pending', 'archived'] },
      { name: 'amount', type: 'number' },
    ],
  });
  const statuses = ['open', 'closed', 'pending', 'archived'];
  const lines = [];
  for (let i = 0; i < RECORDS; i++) lines.push(JSON.stringify({ title: `item ${i}`, status: statuses[i % 4], amount: i % 1000 }));
  const started = Date.now();
  const result = await json(
    baseUrl,
    'POST',
    `/api/v1/collections/${COLLECTION}/import?mode=skip`,
    token,
    lines.join('\n'),
    'application/x-ndjson',
  );
  progress(`seeded ${result.imported ?? RECORDS} records in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Opens the grid signed in, then scrolls the grid's own scroller to its end SCROLL_STEPS times,
 * each time waiting until the grid has fetched more (or gives up after 5 s): what the operator
 * does when paging through a long collection.
 */
async function measureGrid(baseUrl) {
  const context = await state.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  let fetched = 0;
  let fetches = 0;
  page.on('response', async (response) => {
    if (!new URL(response.url()).pathname.endsWith(`/collections/${COLLECTION}/records`)) return;
    fetches += 1;
    const body = await response.json().catch(() => undefined);
    fetched += body?.items?.length ?? 0;
  });
  await page.goto(`${baseUrl}/_/`);
  await page.getByLabel('Email').fill(BENCH_USER.email);
  await page.getByLabel('Password').fill(BENCH_USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  const opened = Date.now();
  await page.goto(`${baseUrl}/_/records/${COLLECTION}`);
  // The first column is the row header (role rowheader), so the rows are found by their text.
  await page
    .getByText(/^item \d+$/)
    .first()
    .waitFor({ timeout: 30_000 });
  const firstRowsMs = Date.now() - opened;
  const stepMs = [];
  let domRows = 0;
  for (let step = 0; step < SCROLL_STEPS; step++) {
    const before = fetches;
    const started = Date.now();
    await page.evaluate(() => {
      // The grid's scroller: the nearest ancestor of the table that scrolls.
      let node = document.querySelector('[role="grid"]');
      while (node && !(node.scrollHeight > node.clientHeight && /auto|scroll/.test(getComputedStyle(node).overflowY)))
        node = node.parentElement;
      (node ?? document.scrollingElement).scrollTop = 1e9;
    });
    const deadline = Date.now() + 5_000;
    while (fetches === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (fetches === before) break;
    stepMs.push(Date.now() - started);
    domRows = Math.max(domRows, await page.locator('[role="row"]').count());
  }
  await context.close();
  return { firstRowsMs, fetches, fetched, stepMs, domRows };
}

async function main() {
  state.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-console-bench-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  state.app = startServer({
    name: 'app',
    script: APP_MAIN,
    cwd: ROOT,
    logFile: path.join(state.tmpDir, 'app.log'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME || state.tmpDir,
      NODE_ENV: 'development',
      DATA_DIR: path.join(state.tmpDir, 'data'),
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: baseUrl,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '1000000',
      AUTH_RATE_LIMIT_MAX: '1000000',
      ADMIN_EMAIL: BENCH_USER.email,
      ADMIN_PASSWORD: BENCH_USER.password,
    },
  });
  await waitForReady(state.app, `${baseUrl}/api/v1/health/ready`, 120_000);
  state.bare = await startBarePage();
  const bareUrl = `http://127.0.0.1:${state.bare.address().port}/`;
  state.browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_FLAGS,
    headless: true,
  });
  progress(
    `app on the embedded database; ${os.cpus().length} CPUs, Node ${process.version}, Chromium ${state.browser.version()}${QUICK ? ' (--quick)' : ''}`,
  );

  const scripts = await initialScripts(baseUrl);
  const initialGzipKb = scripts.reduce((sum, script) => sum + script.gzipKb, 0);
  const shell = await measureShell(baseUrl, bareUrl);
  const { accessToken } = await login(baseUrl);
  await seed(baseUrl, accessToken);
  const grid = await measureGrid(baseUrl);

  const kb = (value) => `${value.toFixed(1)} KB`;
  console.log('\n## Initial JavaScript (what index.html loads)');
  for (const script of scripts) console.log(`- ${script.source}: ${kb(script.kb)}, ${kb(script.gzipKb)} gzip`);
  console.log(`total ${kb(initialGzipKb)} gzip (goal ≤ ${GOALS.initialJsKb} KB)`);
  console.log(`\n## Time to an interactive shell (median of ${LOAD_ROUNDS}; bare page beside it)`);
  console.log('| page | console | bare page | goal |');
  console.log('|---|---|---|---|');
  for (const [name, ms, bare] of shell)
    console.log(`| ${name} | ${ms.toFixed(0)} ms | ${bare.toFixed(0)} ms | < ${GOALS.interactiveMs} ms |`);
  console.log(`\n## Records grid over ${RECORDS.toLocaleString('en')} records`);
  console.log(
    `first rows after ${grid.firstRowsMs} ms; ${grid.stepMs.length} scrolls to the end, each loading more: median ${median(grid.stepMs) ?? '-'} ms`,
  );
  console.log(`records fetched: ${grid.fetched} of ${RECORDS} in ${grid.fetches} requests; most rows in the DOM at once: ${grid.domRows}`);

  const missed = [];
  if (initialGzipKb > GOALS.initialJsKb) missed.push(`initial JS ${kb(initialGzipKb)} > ${GOALS.initialJsKb} KB`);
  for (const [name, ms] of shell) if (ms >= GOALS.interactiveMs) missed.push(`${name}: ${ms.toFixed(0)} ms`);
  if (grid.stepMs.length === 0) missed.push('the grid never loaded a second page on scroll');
  if (grid.fetched >= RECORDS) missed.push('the grid loaded every record');
  if (grid.domRows >= grid.fetched && grid.fetched > 200) missed.push(`the DOM holds every fetched row (${grid.domRows})`);
  console.log(missed.length ? `\nGOALS MISSED: ${missed.join('; ')}` : '\nall goals met');
  return missed.length ? 1 : 0;
}

async function cleanUp() {
  await state.browser?.close().catch(() => undefined);
  state.bare?.close();
  await stopServer(state.app);
  if (state.tmpDir) fs.rmSync(state.tmpDir, { recursive: true, force: true });
}

main()
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  })
  .catch(async (error) => {
    console.error(error);
    await cleanUp();
    process.exit(1);
  });
