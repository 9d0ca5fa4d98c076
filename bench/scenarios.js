'use strict';

/**
 * Benchmark scenarios. Later issues append theirs.
 *
 * `npm run bench` runs the workload scenarios (w0–w3, issue 19); any scenario runs by name:
 * `npm run bench -- users-me records-get` (or BENCH_SCENARIOS=users-me,records-get);
 * `records-*` selects by prefix; `--all` runs every scenario.
 *
 * Workload scenarios (`workload: true`): the same operation against the hand-written server
 * (bench/handwritten.js, the reference), Backlot as admin (no rule) and Backlot as a regular user
 * whose list/view rule `owner = @me || status = 'open'` is in every query, over the same
 * 100,000 rows (bench/lib/items-dataset.js, seeded before any load, on PostgreSQL and embedded).
 *   w0-health   GET /health                     | GET /api/v1/health/live (one Backlot run: no token)
 *   w1-get      GET /items/:id                  | GET /api/v1/collections/bench_items/records/:id
 *               a random id per request: of all 100,000 for the hand-written server and the admin,
 *               of the 25,075 the rule lets the user see for the user
 *   w2-list     GET /items?status=open&limit=20 | GET …/records?filter=status = 'open'&sort=-created&limit=20
 *   w3-create   POST /items                     | POST …/records (status `pending`, so lists stay the same)
 *
 * Other scenarios compare Backlot with bench/baseline.js, a bare Fastify server that replays
 * Backlot's own statements (the JSONB records table): it isolates what the HTTP stack costs
 * from what the SQL costs. Each of them:
 *   name           unique; selected by the names above
 *   method, path   the request (path includes the /api/v1 prefix)
 *   headers, body  optional; body is a string (JSON.stringify it yourself)
 *   needsPostgres  the baseline can only do equivalent work against PostgreSQL; with the
 *                  embedded database only the app is measured
 *   appOnly        no baseline equivalent: the app's figures are reported on their own
 *   targets, reference   (workload) the targets measured, in this order each round, and the one
 *                  ratios are to; default ['backlot', 'baseline'] and 'baseline'
 *   goal           (workload) the ratio each non-reference target should reach
 *   setup(ctx)     optional, async, run once before the scenario. ctx = { targets, database, settings, workload }:
 *                    targets.<name>.url                   base URLs ("http://127.0.0.1:1234")
 *                    targets.backlot.pid                  the app's process id (memory sampling)
 *                    targets.baseline is undefined when the baseline is skipped
 *                    database = { kind: 'postgres' | 'embedded', url? }  (url only for postgres)
 *                    workload = { tokens: { admin, user, handwritten }, ids: { all, visibleTo } }
 *                  It may return per-target overrides of { path, headers, body, requests }, e.g.
 *                  { backlot: { headers: { authorization: 'Bearer …' } }, baseline: { … } },
 *                  because ids and tokens created in the app differ from the baseline's;
 *                  or { skip: 'why' } to leave the scenario out of this run (printed as such).
 *   run(ctx)       instead of autocannon: a one-off measurement, async, resolving with
 *                  { summary: 'one printed line', details: {…} for the JSON } or { skip: 'why' }.
 *
 * Records scenarios (PostgreSQL only: the data set is seeded with SQL; skipped on the embedded
 * database). The first of them to run builds the data set once for the run (bench/lib/dataset.js):
 * collection `bench_records` (title text, status select indexed open/closed/pending/archived,
 * amount number indexed 0–999.99, opened_at datetime; rules list/view/update/delete
 * `owner = @me`, create `@me != null`) with 100,000 records and their create revisions, all
 * owned by a regular user (bench-data@example.com; the admin would bypass the rules), then ANALYZE.
 * The baseline runs the same statements for these routes (bench/lib/baseline-records.js).
 *   records-get     GET /collections/bench_records/records/:id, a random seeded id per request
 *   records-list    GET …/records?filter=status = 'open' && amount > 500&sort=-amount&limit=20
 *   records-export  app only, memory: streams GET /collections/bench_records/export?format=ndjson
 *                   (all 100,000 records) while sampling the app's VmRSS every 50 ms; prints peak
 *                   RSS before vs during and records/s. Skipped while the route answers 404.
 *   records-create  POST …/records. Last on purpose: it adds records (tens of thousands per run),
 *                   which would change what the list and export scenarios read.
 */
const { BENCH_USER, baselineTokenFor, login } = require('./lib/auth');
const { recordsDataset, dataUserToken } = require('./lib/dataset');
const { rssBefore, streamExport } = require('./lib/export-stream');
const { workloadScenarios } = require('./lib/items-scenarios');

const DATA_PREFIX = '/api/v1/collections/bench_records';
const LIST_QUERY = new URLSearchParams({ filter: "status = 'open' && amount > 500", sort: '-amount', limit: '20' }).toString();
const NEW_RECORD = JSON.stringify({ title: 'Bench record', status: 'open', amount: 42.5, opened_at: '2025-01-01T00:00:00.000Z' });

/** Each target's bearer token for the user of a Backlot access token, plus any other headers. */
function bearerOverrides(accessToken, headers = {}) {
  return {
    backlot: { headers: { ...headers, authorization: `Bearer ${accessToken}` } },
    baseline: { headers: { ...headers, authorization: `Bearer ${baselineTokenFor(accessToken)}` } },
  };
}

/** The shared 100,000-record data set and a fresh token of its owner, or why the scenario cannot run. */
async function dataSet(ctx) {
  if (ctx.database.kind !== 'postgres') return { skip: 'needs PostgreSQL (the 100,000 records are seeded with SQL)' };
  const dataset = await recordsDataset(ctx);
  return { dataset, token: await dataUserToken(ctx.targets.backlot.url) };
}

/** A random seeded record per request (autocannon rebuilds the request through setupRequest each time). */
function randomRecordRequests(ids) {
  return [
    {
      method: 'GET',
      setupRequest: (request) => ({ ...request, path: `${DATA_PREFIX}/records/${ids[Math.floor(Math.random() * ids.length)]}` }),
    },
  ];
}

/** Streams the export a few times (settings.rounds) and reports records/s and the app's RSS. */
async function measureExport(ctx) {
  const data = await dataSet(ctx);
  if (data.skip) return data;
  const pid = ctx.targets.backlot.pid;
  const url = `${ctx.targets.backlot.url}${DATA_PREFIX}/export?format=ndjson`;
  const beforeRssMb = await rssBefore(pid);
  let token = data.token;
  let caller = 'record owner';
  const runs = [];
  for (let round = 0; round < ctx.settings.rounds; round++) {
    let result = await streamExport(url, token, pid);
    if (result.status === 403 && runs.length === 0) {
      // The export may be for admins only: the admin sees every record too.
      token = (await login(ctx.targets.backlot.url)).accessToken;
      caller = 'admin';
      result = await streamExport(url, token, pid);
    }
    if (result.status === 404) return { skip: `GET ${DATA_PREFIX}/export answers 404 (no export route yet?): ${result.text}` };
    if (result.status !== 200) throw new Error(`export answered ${result.status}: ${result.text}`);
    runs.push(result);
  }
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
  const recordsPerSec = Math.round(median.records / median.seconds);
  const peakRssMb = Math.max(...runs.map((run) => run.peakRssMb));
  const details = {
    caller,
    records: median.records,
    expectedRecords: data.dataset.count,
    megabytes: Math.round((median.bytes / 1048576) * 10) / 10,
    seconds: Math.round(median.seconds * 100) / 100,
    firstByteMs: median.firstByteMs,
    recordsPerSec,
    roundRecordsPerSec: runs.map((run) => Math.round(run.records / run.seconds)),
    rssBeforeMb: beforeRssMb,
    rssPeakDuringMb: peakRssMb,
    roundRssPeakMb: runs.map((run) => run.peakRssMb),
  };
  const expected = median.records === data.dataset.count ? '' : ` (expected ${data.dataset.count})`;
  const summary =
    `${median.records} records${expected} (${details.megabytes} MB NDJSON, as ${caller}) in ${details.seconds} s: ${recordsPerSec} records/s ` +
    `(median of ${runs.length}; first byte after ${median.firstByteMs} ms); RSS peak before ${beforeRssMb} MB, ` +
    `during ${peakRssMb} MB (+${Math.round((peakRssMb - beforeRssMb) * 10) / 10} MB)`;
  return { summary, details };
}

/**
 * Refresh tokens are single-use, so requests draw from a shared pool and each response puts
 * the next token back (autocannon resets its per-connection context after every request).
 * Tokens in flight when a run stops are lost, so the pool starts with one per connection per run.
 */
function refreshFromPool(tokens) {
  return [
    {
      method: 'POST',
      path: '/api/v1/auth/refresh',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ refreshToken: tokens.pop() }) }),
      onResponse: (status, body) => {
        if (status === 200) tokens.push(JSON.parse(body).refreshToken);
      },
    },
  ];
}

module.exports = [
  ...workloadScenarios,
  { name: 'health-live', method: 'GET', path: '/api/v1/health/live' },
  { name: 'health-ready', method: 'GET', path: '/api/v1/health/ready', needsPostgres: true },
  {
    // Goal: ≥ 50% of the baseline doing the same JWT verification and one primary-key read.
    name: 'users-me',
    method: 'GET',
    path: '/api/v1/users/me',
    needsPostgres: true,
    async setup({ targets }) {
      const { accessToken } = await login(targets.backlot.url);
      return bearerOverrides(accessToken);
    },
  },
  {
    name: 'refresh',
    method: 'POST',
    path: '/api/v1/auth/refresh',
    appOnly: true,
    async setup({ targets, settings }) {
      const tokens = [];
      for (let i = 0; i < settings.connections * (settings.rounds + 2); i++) tokens.push((await login(targets.backlot.url)).refreshToken);
      return { backlot: { requests: refreshFromPool(tokens) } };
    },
  },
  {
    // argon2id-bound (19 MiB, 2 passes per attempt): reported as logins/s.
    name: 'login',
    method: 'POST',
    path: '/api/v1/auth/login',
    appOnly: true,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_USER),
  },
  {
    // Goal: ≥ 60% of the baseline doing the same JWT check and the same rule-scoped primary-key read.
    name: 'records-get',
    method: 'GET',
    path: `${DATA_PREFIX}/records/00000000-0000-0000-0000-000000000000`, // replaced per request
    needsPostgres: true,
    async setup(ctx) {
      const data = await dataSet(ctx);
      if (data.skip) return data;
      const { backlot, baseline } = bearerOverrides(data.token);
      // One request list per target: autocannon writes the merged headers back into it.
      return {
        backlot: { ...backlot, requests: randomRecordRequests(data.dataset.ids) },
        baseline: { ...baseline, requests: randomRecordRequests(data.dataset.ids) },
      };
    },
  },
  {
    // Goal: ≥ 50%. Both filtered fields are indexed; the plan walks the amount index backwards.
    name: 'records-list',
    method: 'GET',
    path: `${DATA_PREFIX}/records?${LIST_QUERY}`,
    needsPostgres: true,
    async setup(ctx) {
      const data = await dataSet(ctx);
      return data.skip ? data : bearerOverrides(data.token);
    },
  },
  { name: 'records-export', appOnly: true, run: measureExport },
  {
    // Goal: ≥ 50%: validation, the insert and its revision in one statement.
    name: 'records-create',
    method: 'POST',
    path: `${DATA_PREFIX}/records`,
    body: NEW_RECORD,
    needsPostgres: true,
    async setup(ctx) {
      const data = await dataSet(ctx);
      return data.skip ? data : bearerOverrides(data.token, { 'content-type': 'application/json' });
    },
  },
];
