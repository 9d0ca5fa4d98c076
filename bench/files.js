'use strict';
/**
 * `npm run bench:files`: file uploads, downloads and thumbnails of the built app (embedded
 * database, local storage in a temporary DATA_DIR), each against a bare baseline doing the same
 * work in the same run on the same disk:
 * 1. upload MB/s of a 1 MB and a 100 MB file (multipart, streamed from disk) vs the same request
 *    to a node:http server that pipes the body into a file with plain fs streams (goal ≥ 70%);
 * 2. download MB/s of the same files vs that server piping a read stream into the response
 *    (≥ 70%); each with, for scale, the same bytes copied and read on disk without HTTP;
 * 3. cached thumbnail requests/s (16 connections) vs the same bytes served by @fastify/static
 *    from its own process (≥ 60%);
 * 4. first-thumbnail latency of a 12-megapixel JPEG (reported, no baseline);
 * 5. the app's RSS while 1 GB goes up through multipart and through tus (VmRSS every 100 ms;
 *    goal: growth < 64 MB).
 * `--quick`: 1 MB and 10 MB files, 256 MB for the memory check, shorter load runs.
 * Exits 1 when a goal is missed.
 */
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const sharp = require('sharp');
const { BENCH_USER, login } = require('./lib/auth');
const { measure } = require('./lib/load');
const { freePort } = require('./lib/ports');
const { startServer, waitForReady, stopServer, readMemory, sleep } = require('./lib/processes');

const ROOT = path.join(__dirname, '..');
const APP_MAIN = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const STATIC_SERVER = path.join(__dirname, 'lib', 'static-files-server.js');
const PLAIN_SERVER = path.join(__dirname, 'lib', 'plain-streams-server.js');
const QUICK = process.argv.includes('--quick');
const MB = 1024 * 1024;
const SIZES_MB = QUICK ? [1, 10] : [1, 100];
/** Small files are timed over many transfers, so one scheduler hiccup does not decide the figure. */
const REPEATS = (sizeMb) => (sizeMb <= 1 ? 51 : sizeMb <= 10 ? 11 : 7);
const WARMUP = 20;
const MEMORY_MB = QUICK ? 256 : 1024;
const THUMB_LOAD = { connections: 16, duration: QUICK ? 3 : 5, warmup: 1, pipelining: 1 };
const GOALS = { throughput: 0.7, thumbnails: 0.6, rssGrowthMb: 64 };
const COLLECTION = 'files_bench';
const THUMB = '100x100';

const state = { tmpDir: undefined, servers: [] };
const progress = (message) => process.stderr.write(`${message}\n`);

/** A file of random bytes written 1 MB at a time (random, so no layer can compress it away). */
async function randomFile(file, sizeMb) {
  const chunks = (function* () {
    for (let i = 0; i < sizeMb; i++) yield randomBytes(MB);
  })();
  await pipeline(Readable.from(chunks), fs.createWriteStream(file));
}

/** A sink that counts and drops what it is given. */
function nullSink() {
  const sink = new Writable({
    write(chunk, encoding, done) {
      sink.bytes += chunk.length;
      done();
    },
  });
  sink.bytes = 0;
  return sink;
}

/**
 * POST of one multipart part named `file` whose bytes come from `source` (a stream): the
 * framing is written by hand around it, so nothing the size of the file is ever in memory.
 */
function uploadMultipart(url, token, source, filename) {
  const boundary = `----bench${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return send(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: async function* () {
      yield head;
      yield* source;
      yield tail;
    },
  });
}

/** One HTTP request with a streamed body; resolves with status, headers and the parsed (or text) answer. */
function send(url, { method, headers, body }) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => {
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode, headers: response.headers, json, text });
      });
    });
    request.on('error', reject);
    if (!body) return void request.end();
    pipeline(Readable.from(body()), request).catch(reject);
  });
}

async function json(baseUrl, method, route, token, body) {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** GET into a counting sink; resolves with the bytes received (throws on a non-200). */
async function download(url) {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${(await response.text()).slice(0, 300)}`);
  const sink = nullSink();
  await pipeline(Readable.fromWeb(response.body), sink);
  return sink.bytes;
}

async function timed(work) {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

/**
 * Upload and download MB/s of one file size: the app against the plain-streams server (the
 * goal's baseline: same client, same multipart bytes over the same loopback), and, for scale,
 * the same bytes copied and read on disk in this process with no HTTP at all. Each round times
 * both servers back to back (which one goes first alternates); a figure is the median round,
 * and the ratio the median of the rounds' ratios, so a stall of the shared machine (disk
 * writeback, another process) in one round does not decide it.
 */
async function throughput(ctx, sizeMb) {
  const src = path.join(state.tmpDir, `source-${sizeMb}mb.bin`);
  await randomFile(src, sizeMb);
  const repeats = REPEATS(sizeMb);
  const rounds = { up: [], down: [] };
  const urls = [];
  progress(`${sizeMb} MB × ${repeats}: uploads and downloads…`);
  for (let i = 0; i < repeats; i++) {
    const plainUrl = `${ctx.plainUrl}/files/f${sizeMb}-${i}.bin`;
    const app = async () => {
      const up = await timed(() => uploadMultipart(ctx.recordsUrl, ctx.token, fs.createReadStream(src), `f${sizeMb}.bin`));
      if (up.value.status !== 201) throw new Error(`upload of ${sizeMb} MB: ${up.value.status} ${up.value.text.slice(0, 300)}`);
      urls.push(new URL(up.value.json.file.url, ctx.baseUrl).href);
      return up.seconds;
    };
    const plain = async () => {
      const up = await timed(() => uploadMultipart(plainUrl, ctx.token, fs.createReadStream(src), `f${sizeMb}.bin`));
      if (up.value.status !== 201) throw new Error(`plain upload of ${sizeMb} MB: ${up.value.status} ${up.value.text}`);
      return up.seconds;
    };
    const dst = path.join(state.tmpDir, `copy-${sizeMb}mb-${i}.bin`);
    const disk = async () => (await timed(() => pipeline(fs.createReadStream(src), fs.createWriteStream(dst)))).seconds;
    rounds.up.push(await round3(i, app, plain, disk));
  }
  for (let i = 0; i < repeats; i++) {
    const fetched = (what, url, least) => async () => {
      const down = await timed(() => download(url));
      if (down.value < least) throw new Error(`${what} download: ${down.value} bytes of ${least}`);
      return down.seconds;
    };
    const dst = path.join(state.tmpDir, `copy-${sizeMb}mb-${i}.bin`);
    const disk = async () => (await timed(() => pipeline(fs.createReadStream(dst), nullSink()))).seconds;
    const app = fetched('app', urls[i], sizeMb * MB);
    rounds.down.push(await round3(i, app, fetched('plain', `${ctx.plainUrl}/files/f${sizeMb}-${i}.bin`, sizeMb * MB), disk));
    fs.rmSync(dst);
  }
  const figures = (name, samples) => {
    const rate = (seconds) => round(sizeMb / seconds, 1);
    const ratio = median(samples.map((r) => r.plain / r.app));
    const line = row(name, 'MB/s', rate(median(samples.map((r) => r.app))), rate(median(samples.map((r) => r.plain))), GOALS.throughput);
    return { ...line, ratio, ok: ratio >= GOALS.throughput, note: `disk only, no HTTP: ${rate(median(samples.map((r) => r.disk)))} MB/s` };
  };
  return [figures(`upload ${sizeMb} MB`, rounds.up), figures(`download ${sizeMb} MB`, rounds.down)];
}

/** One round: app and plain server back to back (in turn first), then the disk-only figure; seconds each. */
async function round3(i, app, plain, disk) {
  const [first, second] = i % 2 === 0 ? [app, plain] : [plain, app];
  const a = await first();
  const b = await second();
  return i % 2 === 0 ? { app: a, plain: b, disk: await disk() } : { app: b, plain: a, disk: await disk() };
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Untimed 1 MB uploads and downloads on both servers, so neither is measured while its code is still being compiled. */
async function warmUp(ctx) {
  const src = path.join(state.tmpDir, 'warm-up.bin');
  await randomFile(src, 1);
  progress('warming up…');
  for (let i = 0; i < WARMUP; i++) {
    const app = await uploadMultipart(ctx.recordsUrl, ctx.token, fs.createReadStream(src), 'warm-up.bin');
    if (app.status !== 201) throw new Error(`warm-up upload: ${app.status} ${app.text.slice(0, 300)}`);
    await download(new URL(app.json.file.url, ctx.baseUrl).href);
    const plainUrl = `${ctx.plainUrl}/files/warm-up-${i}.bin`;
    await uploadMultipart(plainUrl, ctx.token, fs.createReadStream(src), 'warm-up.bin');
    await download(plainUrl);
  }
}

/** First-thumbnail latency of a 12 MP JPEG, then cached thumbnail req/s vs @fastify/static. */
async function thumbnails(ctx) {
  progress('thumbnails: a 12-megapixel JPEG…');
  const photo = path.join(state.tmpDir, 'photo.jpg');
  // Noise, so the JPEG is photo-sized (several MB) rather than a flat colour the codec shrinks to nothing.
  const noise = randomBytes(1000 * 750 * 3);
  await sharp(noise, { raw: { width: 1000, height: 750, channels: 3 } })
    .resize(4000, 3000, { kernel: 'nearest' })
    .jpeg({ quality: 90 })
    .toFile(photo);
  const up = await uploadMultipart(ctx.recordsUrl, ctx.token, fs.createReadStream(photo), 'photo.jpg');
  if (up.status !== 201) throw new Error(`photo upload: ${up.status} ${up.text.slice(0, 300)}`);
  const thumbUrl = new URL(`${up.json.file.url}${up.json.file.url.includes('?') ? '&' : '?'}thumb=${THUMB}`, ctx.baseUrl).href;
  const first = await timed(async () => {
    const response = await fetch(thumbUrl);
    if (response.status !== 200) throw new Error(`first thumbnail: ${response.status} ${await response.text()}`);
    return Buffer.from(await response.arrayBuffer());
  });
  const thumbBytes = first.value;

  const staticRoot = path.join(state.tmpDir, 'static');
  fs.mkdirSync(staticRoot);
  fs.writeFileSync(path.join(staticRoot, 'thumb.jpg'), thumbBytes);
  const { server: staticServer, url } = await startBaseline(
    'static server',
    STATIC_SERVER,
    { STATIC_ROOT: staticRoot },
    '/static/thumb.jpg',
  );
  const staticUrl = `${url}/static/thumb.jpg`;
  const staticBytes = Buffer.from(await (await fetch(staticUrl)).arrayBuffer());
  if (!staticBytes.equals(thumbBytes)) throw new Error('the static server does not serve the thumbnail’s bytes');

  progress(`thumbnails: ${THUMB_LOAD.connections} connections, ${THUMB_LOAD.duration} s each…`);
  const app = await measure({ url: thumbUrl, method: 'GET' }, THUMB_LOAD);
  const base = await measure({ url: staticUrl, method: 'GET' }, THUMB_LOAD);
  for (const [name, stats] of [
    ['app', app],
    ['static', base],
  ]) {
    if (stats.errors || stats.non2xx || stats.timeouts) throw new Error(`thumbnail load on ${name}: ${JSON.stringify(stats)}`);
  }
  await stopServer(staticServer);
  const photoMb = round(fs.statSync(photo).size / MB, 1);
  return [
    row(`thumb ${THUMB} cached`, 'req/s', app.requestsPerSec, base.requestsPerSec, GOALS.thumbnails),
    { name: `first thumb (12 MP, ${photoMb} MB)`, unit: 'ms', value: Math.round(first.seconds * 1000) },
  ];
}

/** 1 MB chunks of one random buffer, `sizeMb` times: a big body that never exists in memory. */
async function* generated(sizeMb) {
  const chunk = randomBytes(MB);
  for (let i = 0; i < sizeMb; i++) yield chunk;
}

/** Runs `work` while sampling the app's VmRSS every 100 ms: { beforeMb, maxMb, growthMb, seconds }. */
async function withRss(pid, work) {
  await sleep(1_000); // let the previous step's garbage be collected
  const beforeMb = readMemory(pid).rssMb;
  let maxMb = beforeMb;
  const timer = setInterval(() => {
    const rss = readMemory(pid)?.rssMb;
    if (rss !== undefined) maxMb = Math.max(maxMb, rss);
  }, 100);
  try {
    const { seconds } = await timed(work);
    maxMb = Math.max(maxMb, readMemory(pid).rssMb);
    return { beforeMb, maxMb, growthMb: round(maxMb - beforeMb, 1), seconds };
  } finally {
    clearInterval(timer);
  }
}

async function memory(ctx) {
  progress(`memory: ${MEMORY_MB} MB through multipart…`);
  const multipart = await withRss(ctx.pid, async () => {
    const up = await uploadMultipart(ctx.recordsUrl, ctx.token, generated(MEMORY_MB), 'big.bin');
    if (up.status !== 201) throw new Error(`multipart ${MEMORY_MB} MB: ${up.status} ${up.text.slice(0, 300)}`);
  });

  progress(`memory: ${MEMORY_MB} MB through tus…`);
  const record = await json(ctx.baseUrl, 'POST', `/api/v1/collections/${COLLECTION}/records`, ctx.token, {});
  const b64 = (text) => Buffer.from(text).toString('base64');
  const metadata = { collection: COLLECTION, record: record.id, field: 'file', filename: 'big-tus.bin' };
  const tusHeaders = { authorization: `Bearer ${ctx.token}`, 'tus-resumable': '1.0.0' };
  const created = await send(`${ctx.baseUrl}/api/v1/uploads`, {
    method: 'POST',
    headers: {
      ...tusHeaders,
      'upload-length': String(MEMORY_MB * MB),
      'upload-metadata': Object.entries(metadata)
        .map(([key, value]) => `${key} ${b64(value)}`)
        .join(','),
    },
  });
  if (created.status !== 201) throw new Error(`tus creation: ${created.status} ${created.text.slice(0, 300)}`);
  const location = new URL(created.headers.location, ctx.baseUrl).href;
  const tus = await withRss(ctx.pid, async () => {
    const patched = await send(location, {
      method: 'PATCH',
      headers: { ...tusHeaders, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: () => generated(MEMORY_MB),
    });
    if (patched.status !== 204) throw new Error(`tus PATCH: ${patched.status} ${patched.text.slice(0, 300)}`);
  });
  const line = (name, m) => ({
    name: `RSS ${name} ${MEMORY_MB} MB`,
    unit: 'MB',
    value: m.growthMb,
    note: `before ${m.beforeMb}, max ${m.maxMb} MB; ${round(MEMORY_MB / m.seconds, 1)} MB/s`,
    ok: m.growthMb < GOALS.rssGrowthMb,
    goal: `growth < ${GOALS.rssGrowthMb} MB`,
  });
  return [line('multipart', multipart), line('tus', tus)];
}

function row(name, unit, value, baseline, goal) {
  const ratio = value / baseline;
  return { name, unit, value, baseline, ratio, ok: ratio >= goal, goal: `≥ ${goal * 100}%` };
}

function round(n, digits = 2) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The final table; false when a goal was missed. */
function report(rows) {
  const header = ['figure', 'unit', 'backlot', 'baseline', 'ratio', 'goal', ''];
  const cells = rows.map((r) => [
    r.name,
    r.unit,
    r.value,
    r.baseline ?? '',
    r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(1)}%`,
    r.goal ?? '',
    r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((c) => String(c[i]).length)));
  const line = (values) =>
    values
      .map((value, i) => (i === 0 || i === 5 ? String(value).padEnd(widths[i]) : String(value).padStart(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(`\n${[line(header), ...cells.map(line)].join('\n')}`);
  for (const r of rows.filter((r) => r.note)) console.log(`${r.name}: ${r.note}`);
  return rows.every((r) => r.ok !== false);
}

async function main() {
  if (!fs.existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing: run "npm run build" first (npm run bench:files does).`);
  state.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-files-bench-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || state.tmpDir,
    NODE_ENV: 'development',
    DATA_DIR: path.join(state.tmpDir, 'data'),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '1000000',
    AUTH_RATE_LIMIT_MAX: '1000000',
    STORAGE_MAX_FILE_BYTES: String(2 * 1024 * MB),
    ADMIN_EMAIL: BENCH_USER.email,
    ADMIN_PASSWORD: BENCH_USER.password,
  };
  const app = startServer({ name: 'app', script: APP_MAIN, env, cwd: ROOT, logFile: path.join(state.tmpDir, 'app.log') });
  state.servers.push(app);
  await waitForReady(app, `${baseUrl}/api/v1/health/ready`, 120_000);
  progress(
    `app on the embedded database, storage in ${state.tmpDir}; ${os.cpus().length} CPUs, Node ${process.version}${QUICK ? ' (--quick)' : ''}`,
  );
  const { accessToken: token } = await login(baseUrl);
  await json(baseUrl, 'POST', '/api/v1/collections', token, {
    name: COLLECTION,
    fields: [{ name: 'file', type: 'file', thumbs: [THUMB] }],
    rules: { list: '', view: '', create: '', update: '', delete: '' },
  });
  const plainDir = path.join(state.tmpDir, 'plain');
  fs.mkdirSync(plainDir);
  const { url: plainUrl } = await startBaseline('plain streams server', PLAIN_SERVER, { STORE_DIR: plainDir }, '/');
  const ctx = { baseUrl, recordsUrl: `${baseUrl}/api/v1/collections/${COLLECTION}/records`, plainUrl, token, pid: app.pid };
  const rows = [];
  await warmUp(ctx);
  for (const sizeMb of SIZES_MB) rows.push(...(await throughput(ctx, sizeMb)));
  rows.push(...(await thumbnails(ctx)));
  rows.push(...(await memory(ctx)));
  // A missed goal must fail the run (CI, scripts), not only print a verdict.
  if (!report(rows)) process.exitCode = 1;
}

/** A baseline server script in its own process, given `env` (and PORT, HOST); resolves once `readyPath` answers 200. */
async function startBaseline(name, script, env, readyPath) {
  const port = await freePort();
  const server = startServer({
    name,
    script,
    env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: '127.0.0.1' },
    cwd: ROOT,
    logFile: path.join(state.tmpDir, `${path.basename(script, '.js')}.log`),
  });
  state.servers.push(server);
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(server, `${url}${readyPath}`, 30_000);
  return { server, url };
}

async function cleanup() {
  for (const server of state.servers) await stopServer(server).catch(() => undefined);
  if (state.tmpDir) fs.rmSync(state.tmpDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
}

main()
  .catch((error) => {
    progress(`bench failed: ${error.stack || error.message}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
