'use strict';
/**
 * `npm run bench`: load-tests the built Backlot app and a bare Fastify baseline (bench/baseline.js)
 * with the same scenarios in one run, one target at a time, and prints throughput, latency
 * and memory. Arguments: scenario names to run (`npm run bench -- records-get records-list`;
 * `records-*` matches a prefix). Env: BENCH_CONNECTIONS, BENCH_DURATION, BENCH_WARMUP (s), BENCH_SCENARIOS (a,b),
 * BENCH_DATABASE_URL (admin URL of a PostgreSQL), BENCH_EMBEDDED=1 (force PGlite),
 * BENCH_APP_<NAME> (passed to the app as <NAME>, e.g. BENCH_APP_REDIS_URL).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const allScenarios = require('./scenarios');
const { chooseDatabase, createBenchDatabase, dropBenchDatabase, describeUrl } = require('./lib/database');
const { loadSettings, measure, stopLoad } = require('./lib/load');
const { freePort } = require('./lib/ports');
const { startServer, waitForReady, stopServer, hasExited, readMemory, sampleMemory, logTail, sleep } = require('./lib/processes');
const { formatTable, formatMemory, formatRatio, writeJson } = require('./lib/report');
const { BENCH_USER } = require('./lib/auth');

const ROOT = path.join(__dirname, '..');
const APP_MAIN = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');
const APP_READY_TIMEOUT_MS = 90_000; // a fresh embedded database runs initdb + migrations (~15 s)
const IDLE_SETTLE_MS = 2_000; // let start-up garbage and the readiness polls settle before "idle"
const GOALS = [
  { scenario: 'health-live', ratio: 0.6 },
  { scenario: 'users-me', ratio: 0.5 },
  { scenario: 'records-get', ratio: 0.6 },
  { scenario: 'records-list', ratio: 0.5 },
  { scenario: 'records-create', ratio: 0.5 },
];

// Everything cleanup must undo, filled in as it is created.
const state = { tmpDir: undefined, adminUrl: undefined, dbName: undefined, children: [], interrupted: false };
let cleanupPromise;

const progress = (message) => process.stderr.write(`${message}\n`);

/** Scenarios named on the command line, else in BENCH_SCENARIOS, else all; `prefix*` matches by prefix. */
function selectScenarios(args, filter) {
  const names = (args.length > 0 ? args.join(',') : (filter ?? ''))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) return allScenarios;
  const matches = (pattern, name) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);
  const unknown = names.filter((pattern) => !allScenarios.some((s) => matches(pattern, s.name)));
  if (unknown.length > 0)
    throw new Error(`Unknown scenario(s): ${unknown.join(', ')} (known: ${allScenarios.map((s) => s.name).join(', ')})`);
  return allScenarios.filter((s) => names.some((pattern) => matches(pattern, s.name)));
}

/** Chooses the database shape and, for PostgreSQL, creates the throw-away database. */
async function prepareDatabase() {
  const choice = await chooseDatabase(process.env);
  if (choice.kind === 'embedded') {
    return { kind: 'embedded', reason: choice.reason, description: `embedded PGlite under ${state.tmpDir}` };
  }
  state.adminUrl = choice.adminUrl;
  const db = await createBenchDatabase(choice.adminUrl, (name) => (state.dbName = name));
  return { kind: 'postgres', reason: choice.reason, url: db.url, description: `PostgreSQL ${describeUrl(db.url)}` };
}

/** A clean environment, so a DATABASE_URL or REDIS_URL in the caller's shell cannot change the shape. */
function appEnv(port, database) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME || state.tmpDir };
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('BENCH_APP_')) env[key.slice('BENCH_APP_'.length)] = value;
  }
  Object.assign(env, {
    // production refuses to start without real secrets; development generates them in DATA_DIR.
    NODE_ENV: 'development',
    DATA_DIR: path.join(state.tmpDir, 'data'),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info', // the benchmark measures the full stack, access log included
    // The limiter stays active (its cost is part of the stack) but must not reject the load;
    // 1,000,000 is the highest value the config accepts.
    RATE_LIMIT_MAX: '1000000',
    AUTH_RATE_LIMIT_MAX: '1000000',
    // The bench user: created verified at start, signed in by the scenarios' setup.
    ADMIN_EMAIL: BENCH_USER.email,
    ADMIN_PASSWORD: BENCH_USER.password,
  });
  if (database.kind === 'postgres') Object.assign(env, { DATABASE_URL: database.url, MIGRATE_ON_START: 'true' });
  return env;
}

async function startTargets(database) {
  if (!fs.existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing: run "npm run build" first (npm run bench does).`);
  const appPort = await freePort();
  const app = startServer({
    name: 'backlot',
    script: APP_MAIN,
    cwd: ROOT,
    env: appEnv(appPort, database),
    logFile: path.join(state.tmpDir, 'app.log'),
  });
  state.children.push(app);
  const baselinePort = await freePort();
  const baselineEnv = {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: String(baselinePort),
    ...(database.kind === 'postgres' && { DATABASE_URL: database.url }),
  };
  const baseline = startServer({
    name: 'baseline',
    script: path.join(__dirname, 'baseline.js'),
    cwd: ROOT,
    env: baselineEnv,
    logFile: path.join(state.tmpDir, 'baseline.log'),
  });
  state.children.push(baseline);

  const targets = {
    backlot: { url: `http://127.0.0.1:${appPort}`, child: app },
    baseline: { url: `http://127.0.0.1:${baselinePort}`, child: baseline },
  };
  progress(`starting backlot (${database.description}) and baseline…`);
  const started = Date.now();
  await Promise.all([
    waitForReady(app, `${targets.backlot.url}/api/v1/health/ready`, APP_READY_TIMEOUT_MS),
    waitForReady(baseline, `${targets.baseline.url}/api/v1/health/live`, 15_000),
  ]);
  progress(`ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return targets;
}

async function measureTarget(scenario, name, target, override, settings, round) {
  // The temp dir (and the log) is removed on exit, so the log tail goes into the message.
  if (hasExited(target.child)) throw new Error(`${name} is no longer running\n${logTail(target.child.logFile)}`);
  const request = { method: scenario.method, path: scenario.path, headers: scenario.headers, body: scenario.body, ...override };
  const warmUp = round === 0;
  progress(
    `${scenario.name}: ${name}, round ${round + 1}/${settings.rounds} (${warmUp ? `${settings.warmup} s warm-up + ` : ''}${settings.duration} s)…`,
  );
  const stats = await measure({ ...request, url: `${target.url}${request.path}` }, settings, { warmUp });
  if (hasExited(target.child)) throw new Error(`${name} died during ${scenario.name}\n${logTail(target.child.logFile)}`);
  return stats;
}

async function runScenario(scenario, targets, database, settings) {
  const skipBaseline = scenario.appOnly || (scenario.needsPostgres && database.kind !== 'postgres');
  const ctx = {
    targets: {
      backlot: { url: targets.backlot.url, pid: targets.backlot.child.pid },
      baseline: skipBaseline ? undefined : { url: targets.baseline.url },
    },
    database: { kind: database.kind, url: database.url },
    settings,
  };
  if (scenario.run) {
    progress(`${scenario.name}: backlot…`);
    const outcome = await scenario.run(ctx);
    if (hasExited(targets.backlot.child))
      throw new Error(`backlot died during ${scenario.name}\n${logTail(targets.backlot.child.logFile)}`);
    return outcome.skip ? skipped(scenario, outcome.skip) : { name: scenario.name, summary: outcome.summary, details: outcome.details };
  }
  const overrides = (scenario.setup && (await scenario.setup(ctx))) || {};
  if (overrides.skip) return skipped(scenario, overrides.skip);
  // Strictly one after the other: on 2 cores, concurrent runs would measure each other. Several
  // alternating rounds, reporting the median one, because a shared VM's throughput drifts.
  const rounds = [];
  for (let round = 0; round < settings.rounds; round++) {
    const backlot = await measureTarget(scenario, 'backlot', targets.backlot, overrides.backlot, settings, round);
    const baseline = skipBaseline
      ? { skipped: scenario.appOnly ? 'no baseline equivalent' : 'skipped: baseline needs PostgreSQL' }
      : await measureTarget(scenario, 'baseline', targets.baseline, overrides.baseline, settings, round);
    const ratio = baseline.requestsPerSec ? Math.round((backlot.requestsPerSec / baseline.requestsPerSec) * 10_000) / 10_000 : undefined;
    rounds.push({ backlot, baseline, ratio });
  }
  const ordered = [...rounds].sort((a, b) => (a.ratio ?? a.backlot.requestsPerSec) - (b.ratio ?? b.backlot.requestsPerSec));
  const median = ordered[Math.floor(ordered.length / 2)];
  return { name: scenario.name, ...median, roundRatios: rounds.map((r) => r.ratio) };
}

function skipped(scenario, reason) {
  progress(`${scenario.name}: skipped: ${reason}`);
  return { name: scenario.name, skipped: reason };
}

function goalLine(goal, results) {
  const result = results.find((r) => r.name === goal.scenario);
  const label = `goal ≥ ${goal.ratio * 100}% (${goal.scenario} backlot/baseline req/s)`;
  if (!result || result.ratio === undefined) return { line: `${label}: not measured`, met: undefined };
  const met = result.ratio >= goal.ratio;
  return { line: `${label}: ${met ? 'met' : 'NOT met'} (${formatRatio(result.ratio)})`, met };
}

async function main() {
  const settings = loadSettings(process.env);
  const scenarios = selectScenarios(process.argv.slice(2), process.env.BENCH_SCENARIOS);
  state.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-bench-'));
  const database = await prepareDatabase();
  const targets = await startTargets(database);

  await sleep(IDLE_SETTLE_MS);
  const idleRssMb = readMemory(targets.backlot.child.pid)?.rssMb;
  const sampler = sampleMemory(targets.backlot.child.pid);
  const results = [];
  for (const scenario of scenarios) results.push(await runScenario(scenario, targets, database, settings));
  const memory = { idleRssMb, peakRssDuringLoadMb: sampler.stop(), peakRssMb: readMemory(targets.backlot.child.pid)?.peakRssMb };
  const appLogMb = Math.round((fs.statSync(targets.backlot.child.logFile).size / 1048576) * 10) / 10;
  // Goals of scenarios left out of this run are not reported as "not measured".
  const goals = GOALS.filter((goal) => results.some((r) => r.name === goal.scenario)).map((goal) => ({
    ...goal,
    ...goalLine(goal, results),
  }));

  const settingsLine = `connections ${settings.connections}, pipelining ${settings.pipelining}, ${settings.warmup} s warm-up, ${settings.rounds} rounds of ${settings.duration} s per target (median round shown)`;
  console.log(`\ndatabase: ${database.kind === 'postgres' ? database.description : 'embedded PGlite'} (${database.reason})`);
  console.log(`autocannon: ${settingsLine}; ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}\n`);
  console.log(formatTable(results));
  console.log(`\n${formatMemory(memory)}`);
  console.log(`backlot access log written during the run: ${appLogMb} MB (LOG_LEVEL=info)`);
  for (const goal of goals) console.log(goal.line);

  writeJson(RESULTS_FILE, {
    generatedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg() },
    settings,
    database: {
      kind: database.kind,
      reason: database.reason,
      description: database.kind === 'postgres' ? database.description : 'embedded PGlite',
    },
    scenarios: results,
    memory,
    appLogMb,
    goals: goals.map(({ scenario, ratio, met }) => ({ scenario, ratio, met })),
  });
  console.log(`\nresults written to ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
}

/** Idempotent: runs once whether reached by success, error or a signal. */
function cleanup() {
  cleanupPromise ??= (async () => {
    stopLoad();
    await Promise.all(state.children.map((child) => stopServer(child)));
    if (state.dbName) {
      await dropBenchDatabase(state.adminUrl, state.dbName).catch((error) =>
        progress(`could not drop database ${state.dbName}: ${error.message}`),
      );
    }
    if (state.tmpDir) fs.rmSync(state.tmpDir, { recursive: true, force: true });
  })();
  return cleanupPromise;
}

function onSignal(signal) {
  if (state.interrupted) return progress('still cleaning up…');
  state.interrupted = true;
  progress(`\n${signal}: stopping servers and removing the bench database…`);
  void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main()
  .catch((error) => {
    // After a signal, failures are just the servers going away under us.
    if (state.interrupted) return;
    progress(`bench failed: ${error.message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (state.interrupted) return undefined; // the signal handler cleans up and exits
    return cleanup().catch((error) => {
      progress(`cleanup failed: ${error.message}`);
      process.exitCode = 1;
    });
  });
