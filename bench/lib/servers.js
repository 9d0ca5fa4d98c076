'use strict';
/**
 * The servers a bench run measures, each its own process with its log in the run's temp dir:
 *   backlot      the built app (dist/apps/api/src/main.js)
 *   handwritten  bench/handwritten.js, the workload's reference (PostgreSQL or its own PGlite)
 *   baseline     bench/baseline.js, Backlot's own statements by hand (records scenarios)
 * and the workload's seeding, which sits between starting Backlot and starting the hand-written
 * server (it needs Backlot's user id, and embedded, Backlot closed while its PGlite is written).
 */
const fs = require('node:fs');
const path = require('node:path');
const { BENCH_USER, baselineTokenFor } = require('./auth');
const { createCollection, seedPostgres, seedEmbedded, workloadTokens } = require('./items-dataset');
const { freePort } = require('./ports');
const { startServer, waitForReady, stopServer } = require('./processes');
const runtime = require('../../scripts/runtime-settings');

const ROOT = path.join(__dirname, '..', '..');
const APP_MAIN = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const APP_READY_TIMEOUT_MS = 90_000; // a fresh embedded database runs initdb + migrations (~15 s)
const SERVER_READY_TIMEOUT_MS = 30_000;

const progress = (message) => process.stderr.write(`${message}\n`);

/** A clean environment, so a DATABASE_URL or REDIS_URL in the caller's shell cannot change the shape. */
function appEnv(database, tmpDir) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME || tmpDir, ...runtime.ENV };
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('BENCH_APP_')) env[key.slice('BENCH_APP_'.length)] = value;
  }
  Object.assign(env, {
    // production refuses to start without real secrets; development generates them in DATA_DIR.
    NODE_ENV: 'development',
    DATA_DIR: path.join(tmpDir, 'data'),
    LOG_LEVEL: 'info', // the benchmark measures the full stack, access log included
    // The limiter stays active (its cost is part of the stack) but must not reject the load;
    // 1,000,000 is the highest value the config accepts.
    RATE_LIMIT_MAX: '1000000',
    AUTH_RATE_LIMIT_MAX: '1000000',
    // Tokens signed in once must outlive a 10-minute soak; verifying costs the same either way.
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    // The bench user: created verified at start, signed in by the scenarios' setup.
    ADMIN_EMAIL: BENCH_USER.email,
    ADMIN_PASSWORD: BENCH_USER.password,
  });
  if (database.kind === 'postgres') Object.assign(env, { DATABASE_URL: database.url, MIGRATE_ON_START: 'true' });
  return env;
}

/** Starts `name` on a free port (HOST, PORT set here) and waits for `readyPath`; `children` collects it for cleanup. → { url, child } */
async function start({ name, script, env, readyPath, timeoutMs, tmpDir, children, nodeArgs }) {
  const port = await freePort();
  const child = startServer({
    name,
    script,
    nodeArgs,
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', ...env, PORT: String(port) },
    logFile: path.join(tmpDir, `${name}.log`),
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(child, `${url}${readyPath}`, timeoutMs);
  return { url, child };
}

/**
 * With BENCH_PROFILE_DIR, a CPU profile of the whole run, `<name>.cpuprofile`, written when the
 * server stops (Node refuses --cpu-prof in NODE_OPTIONS).
 */
function profileArgs(name) {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
}

function startBacklot(database, tmpDir, children) {
  if (!fs.existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing: run "npm run build" first (npm run bench does).`);
  return start({
    name: 'backlot',
    script: APP_MAIN,
    env: appEnv(database, tmpDir),
    // As production starts it (scripts/runtime-settings.js).
    nodeArgs: [...runtime.NODE_FLAGS, ...profileArgs('backlot')],
    readyPath: '/api/v1/health/ready',
    timeoutMs: APP_READY_TIMEOUT_MS,
    tmpDir,
    children,
  });
}

/**
 * Starts what the selected scenarios need: Backlot always; with `workload`, the data set and
 * the hand-written server; with `baseline`, bench/baseline.js. → { servers, workload? }
 */
async function startServers({ database, tmpDir, children, workload, baseline }) {
  progress(`starting backlot (${database.description})…`);
  const started = Date.now();
  const servers = { backlot: await startBacklot(database, tmpDir, children) };
  let seeded;
  if (workload) {
    progress('workload: creating the collection and seeding 100,000 rows for both servers…');
    await createCollection(servers.backlot.url);
    const handwrittenDir = path.join(tmpDir, 'handwritten-pglite');
    if (database.kind === 'postgres') {
      seeded = await seedPostgres(database.url);
    } else {
      // Backlot's PGlite is written by the bench while the app is stopped, then the app restarts.
      await stopServer(servers.backlot.child);
      seeded = await seedEmbedded(path.join(tmpDir, 'data', 'pglite'), handwrittenDir);
      servers.backlot = await startBacklot(database, tmpDir, children);
    }
    servers.handwritten = await start({
      name: 'handwritten',
      script: path.join(__dirname, '..', 'handwritten.js'),
      env: database.kind === 'postgres' ? { DATABASE_URL: database.url } : { PGLITE_DIR: handwrittenDir },
      nodeArgs: profileArgs('handwritten'),
      readyPath: '/health',
      timeoutMs: SERVER_READY_TIMEOUT_MS,
      tmpDir,
      children,
    });
  }
  if (baseline) {
    servers.baseline = await start({
      name: 'baseline',
      script: path.join(__dirname, '..', 'baseline.js'),
      env: database.kind === 'postgres' ? { DATABASE_URL: database.url } : {},
      readyPath: '/api/v1/health/live',
      timeoutMs: SERVER_READY_TIMEOUT_MS,
      tmpDir,
      children,
    });
  }
  progress(`ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!seeded) return { servers };
  const tokens = await workloadTokens(servers.backlot.url);
  return {
    servers,
    workload: { tokens: { ...tokens, handwritten: baselineTokenFor(tokens.user) }, ids: seeded.ids, userId: seeded.userId },
  };
}

module.exports = { startServers };
