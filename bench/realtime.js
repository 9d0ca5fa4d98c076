'use strict';
/**
 * `npm run bench:realtime`: write → event latency with many SSE subscribers on one instance.
 * Starts the built app (PostgreSQL when one answers, else embedded), opens
 * BENCH_RT_SUBSCRIBERS (default 1,000) `GET /api/v1/realtime?subscribe=…` streams, then creates
 * BENCH_RT_RATE records per second (default 20) for BENCH_RT_SECONDS (default 10). Each record
 * carries the time it was sent; each subscriber notes when its event arrives (same clock), so
 * the latency is write request sent → event parsed, including the client's own parsing.
 * Prints deliveries/s, p50/p99/max latency, missing events and the app's RSS.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { chooseDatabase, createBenchDatabase, dropBenchDatabase, describeUrl } = require('./lib/database');
const { BENCH_USER, login } = require('./lib/auth');
const { freePort } = require('./lib/ports');
const { startServer, waitForReady, stopServer, readMemory, sampleMemory, sleep } = require('./lib/processes');

const ROOT = path.join(__dirname, '..');
const APP_MAIN = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const SUBSCRIBERS = positive('BENCH_RT_SUBSCRIBERS', 1_000);
const RATE = positive('BENCH_RT_RATE', 20);
const SECONDS = positive('BENCH_RT_SECONDS', 10);
const COLLECTION = 'rt_bench';

function positive(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function main() {
  if (!fs.existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing: run "npm run build" first (npm run bench:realtime does).`);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-rt-bench-'));
  const choice = await chooseDatabase(process.env);
  let database = { kind: 'embedded' };
  let benchDb;
  if (choice.kind === 'postgres') {
    benchDb = await createBenchDatabase(choice.adminUrl, () => undefined);
    database = { kind: 'postgres', url: benchDb.url };
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || tmpDir,
    NODE_ENV: 'development',
    DATA_DIR: path.join(tmpDir, 'data'),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '1000000',
    AUTH_RATE_LIMIT_MAX: '1000000',
    REALTIME_MAX_CONNECTIONS_PER_USER: String(SUBSCRIBERS + 10),
    ADMIN_EMAIL: BENCH_USER.email,
    ADMIN_PASSWORD: BENCH_USER.password,
    ...(database.kind === 'postgres' && { DATABASE_URL: database.url, MIGRATE_ON_START: 'true' }),
  };
  const app = startServer({ name: 'app', script: APP_MAIN, env, cwd: ROOT, logFile: path.join(tmpDir, 'app.log') });
  const streams = [];
  try {
    await waitForReady(app, `${baseUrl}/api/v1/health/ready`, 120_000);
    process.stderr.write(
      `app on ${database.kind === 'postgres' ? describeUrl(database.url) : 'the embedded database'}; ${os.cpus().length} CPUs, Node ${process.version}\n`,
    );
    const { accessToken } = await login(baseUrl);
    const fields = [
      { name: 'n', type: 'integer', required: true },
      { name: 'sent_at', type: 'number', required: true },
    ];
    const rules = { list: '', view: '', create: '', update: '', delete: '' };
    await api(baseUrl, 'POST', '/api/v1/collections', accessToken, { name: COLLECTION, fields, rules });

    const latencies = [];
    const received = new Map();
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    process.stderr.write(`opening ${SUBSCRIBERS} subscriptions…\n`);
    for (let i = 0; i < SUBSCRIBERS; i++) {
      streams.push(
        await subscribe(baseUrl, accessToken, agent, (event) => {
          latencies.push(Date.now() - event.record.sent_at);
          received.set(event.record.n, (received.get(event.record.n) ?? 0) + 1);
        }),
      );
    }
    await sleep(500);
    const memory = sampleMemory(app.pid);
    const idleRss = readMemory(app.pid)?.rssMb;

    process.stderr.write(`writing ${RATE} records/s for ${SECONDS} s…\n`);
    const total = RATE * SECONDS;
    const started = Date.now();
    const writes = [];
    for (let n = 0; n < total; n++) {
      const due = started + (n * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      writes.push(api(baseUrl, 'POST', `/api/v1/collections/${COLLECTION}/records`, accessToken, { n, sent_at: Date.now() }));
    }
    await Promise.all(writes);
    const expected = total * SUBSCRIBERS;
    const deadline = Date.now() + 30_000;
    while (latencies.length < expected && Date.now() < deadline) await sleep(100);
    const elapsed = (Date.now() - started) / 1000;
    const peakRss = memory.stop();

    latencies.sort((a, b) => a - b);
    const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    const result = {
      subscribers: SUBSCRIBERS,
      writes: total,
      writesPerSecond: RATE,
      deliveries: latencies.length,
      missing: expected - latencies.length,
      deliveriesPerSecond: Math.round(latencies.length / elapsed),
      latencyMs: { p50: pick(0.5), p99: pick(0.99), max: latencies.at(-1) },
      appRssMb: { idleWithSubscribers: idleRss, peak: peakRss },
    };
    console.log(`\n  subscribers  writes/s  deliveries/s   p50 ms   p99 ms   max ms   missing   app RSS (idle → peak)`);
    console.log(
      `  ${String(SUBSCRIBERS).padStart(11)}  ${String(RATE).padStart(8)}  ${String(result.deliveriesPerSecond).padStart(12)}   ` +
        `${String(result.latencyMs.p50).padStart(6)}   ${String(result.latencyMs.p99).padStart(6)}   ${String(result.latencyMs.max).padStart(6)}   ` +
        `${String(result.missing).padStart(7)}   ${idleRss} → ${peakRss} MB`,
    );
    console.log(`goal: p99 < 100 ms → ${result.latencyMs.p99 < 100 ? 'met' : 'NOT met'}`);
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'realtime.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const stream of streams) stream.destroy();
    await stopServer(app);
    if (benchDb) await dropBenchDatabase(choice.adminUrl, benchDb.name).catch(() => undefined);
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

/** One SSE subscription, parsed frame by frame; resolves once the stream is open. */
function subscribe(baseUrl, token, agent, onChange) {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${baseUrl}/api/v1/realtime?subscribe=${COLLECTION}`,
      { agent, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (response) => {
        if (response.statusCode !== 200) return reject(new Error(`subscribe failed: ${response.statusCode}`));
        response.setEncoding('utf8');
        let buffer = '';
        response.on('data', (chunk) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = frame.split('\n');
            if (!lines.includes('event: created')) continue;
            const data = lines.find((line) => line.startsWith('data: '));
            if (data) onChange(JSON.parse(data.slice(6)));
          }
        });
        resolve(request);
      },
    );
    request.on('error', reject);
  });
}

async function api(baseUrl, method, urlPath, token, body) {
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`${method} ${urlPath}: ${response.status} ${await response.text()}`);
  return response.json();
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
