'use strict';
/**
 * `npm run bench:realtime`: write → event latency with many SSE subscribers on one instance,
 * each held to the collection's rules. Starts the built app (PostgreSQL when one answers, else
 * embedded), signs up BENCH_RT_USERS regular users (default 50; no admin, so no rule is
 * bypassed), and opens BENCH_RT_SUBSCRIBERS streams (default 1,000) spread evenly over them on
 * a collection whose list and view rules are `owner = @me || public = true`. Then, for each
 * write rate in BENCH_RT_RATES (records/s, default 20,50,100,200), it creates records for
 * BENCH_RT_SECONDS (default 10), each by the next user in turn, one in BENCH_RT_PUBLIC_EVERY
 * public (default 4): a public record reaches every subscriber, a private one only its owner's.
 * Each record carries the time its write was sent; each subscriber notes when its event
 * arrives (same clock), so the latency is write request sent → event parsed, including the
 * client's own parsing (the client shares the machine's CPUs with the app).
 * Per rate it prints events/s and deliveries/s (from the first write to the last delivery),
 * p50/p99/max latency over every expected delivery (one that never arrived counts as slower
 * than any that did), missing and leaked deliveries (a private record at another user's
 * subscriber), resync events, and the app's RSS; then the highest rate that met the goal
 * (p99 < 100 ms, nothing missing). Exits non-zero if anything leaked.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { chooseDatabase, createBenchDatabase, dropBenchDatabase, describeUrl } = require('./lib/database');
const { BENCH_USER, login, subjectOf } = require('./lib/auth');
const { freePort } = require('./lib/ports');
const { startServer, waitForReady, stopServer, readMemory, sampleMemory, sleep } = require('./lib/processes');

const ROOT = path.join(__dirname, '..');
const APP_MAIN = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const SUBSCRIBERS = positive('BENCH_RT_SUBSCRIBERS', 1_000);
const USERS = Math.min(positive('BENCH_RT_USERS', 50), SUBSCRIBERS);
const RATES = (process.env.BENCH_RT_RATES ?? process.env.BENCH_RT_RATE ?? '20,50,100,200').split(',').map((rate) => {
  const value = Number(rate);
  if (!Number.isInteger(value) || value < 1) throw new Error('BENCH_RT_RATES must list positive integers, e.g. 20,50,100');
  return value;
});
const GOAL_P99_MS = 100;
const SECONDS = positive('BENCH_RT_SECONDS', 10);
const PUBLIC_EVERY = positive('BENCH_RT_PUBLIC_EVERY', 4);
const COLLECTION = 'rt_bench';
const RULES = {
  list: 'owner = @me || public = true',
  view: 'owner = @me || public = true',
  create: '@me != null',
  update: 'owner = @me',
  delete: 'owner = @me',
};
/** Sign-ups and sign-ins at once (each hashes a password with argon2id). */
const SIGN_UP_CONCURRENCY = 4;

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
    AUTH_REQUIRE_EMAIL_VERIFICATION: 'false',
    REALTIME_MAX_CONNECTIONS_PER_USER: String(Math.ceil(SUBSCRIBERS / USERS) + 10),
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
    const admin = await login(baseUrl);
    const fields = [
      { name: 'n', type: 'integer', required: true },
      { name: 'sent_at', type: 'number', required: true },
      { name: 'public', type: 'boolean', required: true },
    ];
    await api(baseUrl, 'POST', '/api/v1/collections', admin.accessToken, { name: COLLECTION, fields, rules: RULES });

    process.stderr.write(`signing up ${USERS} users…\n`);
    const users = await signUpUsers(baseUrl, USERS);
    /** The step being measured: what each subscriber's events are counted against. */
    let step;
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    process.stderr.write(`opening ${SUBSCRIBERS} subscriptions…\n`);
    const subscribersOf = new Map(users.map((user) => [user.id, 0]));
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const user = users[i % USERS];
      subscribersOf.set(user.id, subscribersOf.get(user.id) + 1);
      streams.push(
        await subscribe(baseUrl, user.accessToken, agent, (event, record) => {
          if (!step) return;
          if (event === 'resync') return void (step.resyncs += 1);
          if (record.n < step.firstN) return; // a straggler of the previous rate
          if (!record.public && record.owner !== user.id) step.leaked += 1;
          step.latencies.push(Date.now() - record.sent_at);
          step.delivered.add(record.n);
          step.lastArrival = Date.now();
        }),
      );
    }
    await sleep(500);
    const idleRss = readMemory(app.pid)?.rssMb;

    const results = [];
    let n = 0;
    for (const rate of RATES) {
      process.stderr.write(`writing ${rate} records/s for ${SECONDS} s (one in ${PUBLIC_EVERY} public)…\n`);
      step = { firstN: n, latencies: [], delivered: new Set(), leaked: 0, resyncs: 0, lastArrival: 0 };
      const memory = sampleMemory(app.pid);
      const total = rate * SECONDS;
      let expected = 0;
      const started = Date.now();
      const writes = [];
      for (let i = 0; i < total; i++, n++) {
        const due = started + (i * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        const writer = users[n % USERS];
        const isPublic = n % PUBLIC_EVERY === 0;
        expected += isPublic ? SUBSCRIBERS : subscribersOf.get(writer.id);
        const body = { n, sent_at: Date.now(), public: isPublic };
        writes.push(api(baseUrl, 'POST', `/api/v1/collections/${COLLECTION}/records`, writer.accessToken, body));
      }
      await Promise.all(writes);
      const deadline = Date.now() + 30_000;
      while (step.latencies.length < expected && Date.now() < deadline) await sleep(100);
      results.push(summarize(rate, total, expected, started, step, idleRss, memory.stop()));
      step = undefined;
      await sleep(1_000);
    }
    print(results);
    const met = results.filter((r) => r.goalMet).map((r) => r.writesPerSecond);
    console.log(
      `goal: p99 < ${GOAL_P99_MS} ms with nothing missing → ` +
        (met.length > 0 ? `met up to ${Math.max(...met)} writes/s` : 'NOT met at any rate') +
        (met.length < results.length
          ? ` (not met at ${results
              .filter((r) => !r.goalMet)
              .map((r) => r.writesPerSecond)
              .join(', ')} writes/s)`
          : ''),
    );
    const leaked = results.reduce((sum, r) => sum + r.leaked, 0);
    if (leaked > 0) {
      console.log(`ERROR: ${leaked} private records reached subscribers of other users`);
      process.exitCode = 1;
    }
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(
      path.join(__dirname, 'results', 'realtime.json'),
      `${JSON.stringify({ subscribers: SUBSCRIBERS, users: USERS, rules: RULES.list, publicEvery: PUBLIC_EVERY, database: database.kind, steps: results }, null, 2)}\n`,
    );
  } finally {
    for (const stream of streams) stream.destroy();
    await stopServer(app);
    if (benchDb) await dropBenchDatabase(choice.adminUrl, benchDb.name).catch(() => undefined);
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

/** One rate's figures. Deliveries that never arrived rank after every one that did, so they count against p99. */
function summarize(rate, writes, expected, started, step, idleRss, peakRss) {
  const { latencies, leaked } = step;
  latencies.sort((a, b) => a - b);
  const arrived = latencies.length - leaked;
  const missing = Math.max(0, expected - arrived);
  const ranked = expected + leaked;
  const pick = (q) => {
    const at = Math.min(ranked - 1, Math.floor(q * ranked));
    return at < latencies.length ? latencies[at] : Infinity;
  };
  const elapsed = Math.max(step.lastArrival - started, 1) / 1000;
  const p99 = pick(0.99);
  return {
    writesPerSecond: rate,
    writes,
    eventsPerSecond: Math.round(step.delivered.size / elapsed),
    deliveries: latencies.length,
    expectedDeliveries: expected,
    deliveriesPerSecond: Math.round(latencies.length / elapsed),
    missing,
    leaked,
    resyncs: step.resyncs,
    latencyMs: { p50: pick(0.5), p99, max: missing > 0 ? Infinity : latencies.at(-1) },
    goalMet: p99 < GOAL_P99_MS && missing === 0 && leaked === 0,
    appRssMb: { idleWithSubscribers: idleRss, peak: peakRss },
  };
}

function print(results) {
  const ms = (value) => (Number.isFinite(value) ? String(value) : 'lost');
  console.log(
    `\n  subscribers ${SUBSCRIBERS}, users ${USERS}, one write in ${PUBLIC_EVERY} public, rules "${RULES.list}"\n` +
      `  writes/s  events/s  deliveries/s   p50 ms   p99 ms   max ms   missing   leaked   resync   app RSS MB (idle → peak)`,
  );
  for (const r of results)
    console.log(
      `  ${String(r.writesPerSecond).padStart(8)}  ${String(r.eventsPerSecond).padStart(8)}  ${String(r.deliveriesPerSecond).padStart(12)}   ` +
        `${ms(r.latencyMs.p50).padStart(6)}   ${ms(r.latencyMs.p99).padStart(6)}   ${ms(r.latencyMs.max).padStart(6)}   ` +
        `${String(r.missing).padStart(7)}   ${String(r.leaked).padStart(6)}   ${String(r.resyncs).padStart(6)}   ${r.appRssMb.idleWithSubscribers} → ${r.appRssMb.peak}`,
    );
}

/** Regular users (sign-up, then sign-in: the app runs without email verification), a few at a time. */
async function signUpUsers(baseUrl, count) {
  const users = [];
  for (let start = 0; start < count; start += SIGN_UP_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(SIGN_UP_CONCURRENCY, count - start) }, async (_, k) => {
      const credentials = { email: `rt-bench-${start + k}@example.com`, password: BENCH_USER.password };
      const registered = await fetch(`${baseUrl}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(credentials),
      });
      if (registered.status !== 202) throw new Error(`sign-up failed: ${registered.status} ${await registered.text()}`);
      const { accessToken } = await login(baseUrl, credentials);
      return { id: subjectOf(accessToken), accessToken };
    });
    users.push(...(await Promise.all(batch)));
  }
  return users;
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
            if (lines.includes('event: resync')) onChange('resync');
            if (!lines.includes('event: created')) continue;
            const data = lines.find((line) => line.startsWith('data: '));
            if (data) onChange('created', JSON.parse(data.slice(6)).record);
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
