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
 *   setup(ctx)     optional, async, run once before the scenario. ctx = { targets, database }:
 *                    targets.backlot.url / targets.baseline.url  base URLs ("http://127.0.0.1:1234")
 *                    targets.baseline is undefined when the baseline is skipped
 *                    database = { kind: 'postgres' | 'embedded', url? }  (url only for postgres)
 *                  It may return per-target overrides of { path, headers, body }, e.g.
 *                  { backlot: { headers: { authorization: 'Bearer …' } }, baseline: { … } },
 *                  because ids and tokens created in the app differ from the baseline's.
 */
module.exports = [
  { name: 'health-live', method: 'GET', path: '/api/v1/health/live' },
  { name: 'health-ready', method: 'GET', path: '/api/v1/health/ready', needsPostgres: true },
];
