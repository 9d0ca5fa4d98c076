'use strict';
/**
 * `npm run bench:realtime`: write → event latency with many SSE subscribers on one instance,
 * each held to the collection's rules. Starts the built app (PostgreSQL when one answers, else
 * embedded), signs up BENCH_RT_USERS regular users (default 50; no admin, so no rule is
 * bypassed), and opens BENCH_RT_SUBSCRIBERS streams (default 1,000) spread evenly over them on
 * a collection whose list and view rules are `owner = @me || public = true`. It then creates
 * BENCH_RT_RATE records per second (default 20) for BENCH_RT_SECONDS (default 10), each by
 * the next user in turn, one in BENCH_RT_PUBLIC_EVERY public (default 4): a public record
 * reaches every subscriber, a private one only its owner's. Each record carries the time its
 * write was sent; each subscriber notes when its event arrives (same clock), so the latency
 * is write request sent → event parsed, including the client's own parsing.
 * Prints events/s (changes that reached their subscribers), deliveries/s, p50/p99/max
 * latency, missing and leaked deliveries (a private record at another user's subscriber),
 * and the app's RSS.
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
const RATE = positive('BENCH_RT_RATE', 20);
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
    const latencies = [];
    const deliveredEvents = new Set();
    let leaked = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    process.stderr.write(`opening ${SUBSCRIBERS} subscriptions…\n`);
    const subscribersOf = new Map(users.map((user) => [user.id, 0]));
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const user = users[i % USERS];
      subscribersOf.set(user.id, subscribersOf.get(user.id) + 1);
      streams.push(
        await subscribe(baseUrl, user.accessToken, agent, ({ record }) => {
          if (!record.public && record.owner !== user.id) leaked += 1;
          latencies.push(Date.now() - record.sent_at);
          deliveredEvents.add(record.n);
        }),
      );
    }
    await sleep(500);
    const memory = sampleMemory(app.pid);
    const idleRss = readMemory(app.pid)?.rssMb;

    process.stderr.write(`writing ${RATE} records/s for ${SECONDS} s (one in ${PUBLIC_EVERY} public)…\n`);
    const total = RATE * SECONDS;
    let expected = 0;
    const started = Date.now();
    const writes = [];
    for (let n = 0; n < total; n++) {
      const due = started + (n * 1000) / RATE;
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
    while (latencies.length < expected && Date.now() < deadline) await sleep(100);
    const elapsed = (Date.now() - started) / 1000;
    const peakRss = memory.stop();

    latencies.sort((a, b) => a - b);
    const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    const result = {
      subscribers: SUBSCRIBERS,
      users: USERS,
      rules: RULES.list,
      writes: total,
      writesPerSecond: RATE,
      publicEvery: PUBLIC_EVERY,
      eventsPerSecond: Math.round(deliveredEvents.size / elapsed),
      deliveries: latencies.length,
      expectedDeliveries: expected,
      missing: expected - (latencies.length - leaked),
      leaked,
      deliveriesPerSecond: Math.round(latencies.length / elapsed),
      latencyMs: { p50: pick(0.5), p99: pick(0.99), max: latencies.at(-1) },
      appRssMb: { idleWithSubscribers: idleRss, peak: peakRss },
    };
    console.log(
      `\n  subscribers  users  writes/s  events/s  deliveries/s   p50 ms   p99 ms   max ms   missing   leaked   app RSS (idle → peak)`,
    );
    console.log(
      `  ${String(SUBSCRIBERS).padStart(11)}  ${String(USERS).padStart(5)}  ${String(RATE).padStart(8)}  ` +
        `${String(result.eventsPerSecond).padStart(8)}  ${String(result.deliveriesPerSecond).padStart(12)}   ` +
        `${String(result.latencyMs.p50).padStart(6)}   ${String(result.latencyMs.p99).padStart(6)}   ${String(result.latencyMs.max).padStart(6)}   ` +
        `${String(result.missing).padStart(7)}   ${String(leaked).padStart(6)}   ${idleRss} → ${peakRss} MB`,
    );
    console.log(`goal: p99 < 100 ms → ${result.latencyMs.p99 < 100 ? 'met' : 'NOT met'}`);
    if (leaked > 0) {
      console.log(`ERROR: ${leaked} private records reached subscribers of other users`);
      process.exitCode = 1;
    }
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'realtime.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const stream of streams) stream.destroy();
    await stopServer(app);
    if (benchDb) await dropBenchDatabase(choice.adminUrl, benchDb.name).catch(() => undefined);
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
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
