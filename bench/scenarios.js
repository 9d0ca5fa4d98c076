'use strict';

/**
 * Benchmark scenarios, run in this order. Later issues append theirs.
 *
 * Each scenario:
 *   name           unique; BENCH_SCENARIOS=a,b runs only these
 *   method, path   the request (path includes the /api/v1 prefix)
 *   headers, body  optional; body is a string (JSON.stringify it yourself)
 *   needsPostgres  the baseline can only do equivalent work against PostgreSQL; with the
 *                  embedded database only the app is measured
 *   appOnly        no baseline equivalent: the app's figures are reported on their own
 *   setup(ctx)     optional, async, run once before the scenario. ctx = { targets, database }:
 *                    targets.backlot.url / targets.baseline.url  base URLs ("http://127.0.0.1:1234")
 *                    targets.baseline is undefined when the baseline is skipped
 *                    database = { kind: 'postgres' | 'embedded', url? }  (url only for postgres)
 *                  It may return per-target overrides of { path, headers, body, requests }, e.g.
 *                  { backlot: { headers: { authorization: 'Bearer …' } }, baseline: { … } },
 *                  because ids and tokens created in the app differ from the baseline's.
 */
const jwt = require('jsonwebtoken');
const { BENCH_USER, BASELINE_JWT_KEY, login, subjectOf } = require('./lib/auth');

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
      const baselineToken = jwt.sign({}, BASELINE_JWT_KEY, { algorithm: 'HS256', subject: subjectOf(accessToken), expiresIn: '1h' });
      return {
        backlot: { headers: { authorization: `Bearer ${accessToken}` } },
        baseline: { headers: { authorization: `Bearer ${baselineToken}` } },
      };
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
];
