'use strict';
/**
 * `npm run bench`: the issue-19 workload (w0–w3) against a hand-written Fastify + `pg` server
 * (bench/handwritten.js), Backlot as admin and Backlot as a rule-bound user, in alternating
 * rounds, with throughput, latency, CPU per request and memory. Other scenarios by name.
 * Usage: see USAGE below, or `node bench/run.js --help`.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const allScenarios = require('./scenarios');
const { chooseDatabase, createBenchDatabase, dropBenchDatabase, describeUrl } = require('./lib/database');
const { loadSettings, stopLoad } = require('./lib/load');
const { stopServer, readMemory, sampleMemory, sleep } = require('./lib/processes');
const { formatTable, formatCpuRatios, formatMemory, formatRatio, writeJson } = require('./lib/report');
const { runScenario } = require('./lib/rounds');
const { startServers } = require('./lib/servers');
const { runSoak, formatSoak } = require('./lib/soak');
const { listPlans } = require('./lib/items-scenarios');

const USAGE = `Usage: npm run bench -- [options] [scenario …]
       node bench/run.js [options] [scenario …]   (after npm run build)

Without scenario names: the workload w0-health, w1-get, w2-list, w3-create, each against the
hand-written server, Backlot as admin and Backlot as a rule-bound user. Names select scenarios
(a trailing * matches a prefix: 'records-*'); BENCH_SCENARIOS=a,b does the same.

Options:
  --all      every scenario: the workload, then health/users/auth/records against bench/baseline.js
  --soak     after the scenarios named (none unless named), BENCH_SOAK_SECONDS (600) of mixed
             load on Backlot as the user, RSS sampled every BENCH_SOAK_SAMPLE_SECONDS (10)
  --list     print the scenario names and exit
  --help     this text

Environment:
  BENCH_CONNECTIONS (32)  BENCH_DURATION (15 s)  BENCH_WARMUP (3 s, first round only)  BENCH_ROUNDS (3)
  BENCH_DATABASE_URL      admin URL of a PostgreSQL (default postgresql://postgres@127.0.0.1:5432/postgres
                          when it answers, else the embedded database); a database is created and dropped
  BENCH_EMBEDDED=1        run on PGlite (Backlot embedded, the hand-written server on its own PGlite)
  BENCH_APP_<NAME>        passed to Backlot as <NAME> (e.g. BENCH_APP_LOG_LEVEL=warn)
  BENCH_PROFILE_DIR       write CPU profiles of Backlot and the hand-written server there when they stop
                          (backlot.cpuprofile, handwritten.cpuprofile: Chrome DevTools opens them)

Results: printed, and written to bench/results/latest.json.`;

const RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');
const IDLE_SETTLE_MS = 2_000; // let start-up garbage and the readiness polls settle before "idle"
const RSS_GOAL_MB = 200;
const LEGEND =
  "ratio: median of the rounds' req/s ratios to the reference; node / pg ms/req: CPU time of the server process / of the " +
  "bench database's PostgreSQL backends per request; RSS MB: the server's peak during the target's runs";
// Goals of the records scenarios: Backlot's ratio to bench/baseline.js (the workload's are on the scenarios).
const BASELINE_GOALS = { 'health-live': 0.6, 'users-me': 0.5, 'records-get': 0.6, 'records-list': 0.5, 'records-create': 0.5 };

// Everything cleanup must undo, filled in as it is created.
const state = { tmpDir: undefined, adminUrl: undefined, dbName: undefined, children: [], interrupted: false };
let cleanupPromise;

const progress = (message) => process.stderr.write(`${message}\n`);

function parseArgs(argv) {
  const flags = new Set(argv.filter((arg) => arg.startsWith('--')));
  const unknown = [...flags].filter((flag) => !['--all', '--soak', '--list', '--help', '-h'].includes(flag));
  if (unknown.length > 0) throw new Error(`Unknown option(s): ${unknown.join(', ')}\n\n${USAGE}`);
  return {
    help: flags.has('--help') || argv.includes('-h'),
    list: flags.has('--list'),
    all: flags.has('--all'),
    soak: flags.has('--soak'),
    names: argv.filter((arg) => !arg.startsWith('-')),
  };
}

/** Scenarios named, else in BENCH_SCENARIOS, else the workload (none with --soak alone); `prefix*` matches by prefix. */
function selectScenarios(args, filter) {
  if (args.all) return allScenarios;
  const names = (args.names.length > 0 ? args.names.join(',') : (filter ?? ''))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) return args.soak ? [] : allScenarios.filter((s) => s.workload);
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

function soakSettings(env) {
  const seconds = (name, fallback) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${env[name]}"`);
    return value;
  };
  return { seconds: seconds('BENCH_SOAK_SECONDS', 600), sampleSeconds: seconds('BENCH_SOAK_SAMPLE_SECONDS', 10) };
}

function goalLines(results, memory, soak) {
  const goals = [];
  for (const result of results) {
    if (!result.targets) continue;
    const goal = result.goal ?? BASELINE_GOALS[result.name];
    if (goal === undefined || !result.reference) continue;
    for (const [target, figures] of Object.entries(result.targets)) {
      if (target === result.reference) continue;
      const met = figures.ratio === undefined ? undefined : figures.ratio >= goal;
      goals.push({
        scenario: result.name,
        target,
        ratio: goal,
        met,
        line: `goal ≥ ${goal * 100}% (${result.name}, ${target}/${result.reference} req/s): ${met === undefined ? 'not measured' : `${met ? 'met' : 'NOT met'} (${formatRatio(figures.ratio)})`}`,
      });
    }
  }
  const peak = Math.max(memory.backlot?.peakRssDuringLoadMb ?? 0, soak?.peakRssMb ?? 0) || undefined;
  if (peak !== undefined) {
    const met = peak <= RSS_GOAL_MB;
    goals.push({
      scenario: 'memory',
      target: 'backlot',
      rssMb: RSS_GOAL_MB,
      met,
      line: `goal RSS ≤ ${RSS_GOAL_MB} MB under load (backlot): ${met ? 'met' : 'NOT met'} (${peak} MB)`,
    });
  }
  return goals;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) return console.log(USAGE);
  if (args.list) return console.log(allScenarios.map((s) => `${s.name}${s.workload ? '  (workload, default)' : ''}`).join('\n'));
  const settings = loadSettings(process.env);
  const soakConfig = args.soak ? soakSettings(process.env) : undefined;
  const scenarios = selectScenarios(args, process.env.BENCH_SCENARIOS);
  const workload = args.soak || scenarios.some((s) => s.workload);
  const baseline = scenarios.some((s) => !s.workload && !s.appOnly && !s.run);

  state.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-bench-'));
  const database = await prepareDatabase();
  const started = await startServers({ database, tmpDir: state.tmpDir, children: state.children, workload, baseline });
  const { servers } = started;

  await sleep(IDLE_SETTLE_MS);
  const memory = {};
  const samplers = {};
  for (const [name, server] of Object.entries(servers)) {
    memory[name] = { idleRssMb: readMemory(server.child.pid)?.rssMb };
    samplers[name] = sampleMemory(server.child.pid);
  }
  const postgres = database.kind === 'postgres' ? { adminUrl: state.adminUrl, dbName: state.dbName } : undefined;
  const plans = started.workload && (await listPlans(servers.backlot.url, started.workload));
  const results = [];
  for (const scenario of scenarios) {
    results.push(await runScenario(scenario, { servers, database, settings, workload: started.workload, postgres }));
  }
  for (const [name, server] of Object.entries(servers)) {
    Object.assign(memory[name], { peakRssDuringLoadMb: samplers[name].stop(), peakRssMb: readMemory(server.child.pid)?.peakRssMb });
  }
  const soak = soakConfig && (await runSoak({ server: servers.backlot, workload: started.workload, settings, ...soakConfig }));
  const appLogMb = Math.round((fs.statSync(servers.backlot.child.logFile).size / 1048576) * 10) / 10;
  const goals = goalLines(results, memory, soak);

  const settingsLine = `connections ${settings.connections}, pipelining ${settings.pipelining}, ${settings.warmup} s warm-up, ${settings.rounds} alternating rounds of ${settings.duration} s per target (median round shown)`;
  console.log(
    `\ndatabase: ${database.kind === 'postgres' ? database.description : 'embedded PGlite (hand-written server: its own PGlite)'} (${database.reason})`,
  );
  console.log(`${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}`);
  if (results.length > 0) {
    console.log(`autocannon: ${settingsLine}`);
    console.log(
      `${LEGEND}${database.kind === 'postgres' ? '' : " (embedded: no PostgreSQL process; the database's work is in node ms/req)"}\n`,
    );
    console.log(formatTable(results));
  }
  const cpu = formatCpuRatios(results);
  if (cpu) console.log(`\n${cpu}`);
  console.log(`\n${formatMemory(memory)}`);
  console.log(`backlot access log written during the run: ${appLogMb} MB (LOG_LEVEL=info)`);
  if (plans) {
    console.log(`\nw2-list plan (admin, before the load):\n  ${plans.admin.join('\n  ')}`);
    console.log(`w2-list plan (user, before the load):\n  ${plans.user.join('\n  ')}`);
  }
  if (soak) console.log(`\n${formatSoak(soak)}`);
  console.log('');
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
    soak,
    listPlans: plans,
    appLogMb,
    goals: goals.map(({ scenario, target, ratio, rssMb, met }) => ({ scenario, target, ratio, rssMb, met })),
  });
  console.log(`\nresults written to ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
  return undefined;
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
