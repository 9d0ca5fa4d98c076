'use strict';
const autocannon = require('autocannon');

let current; // the running autocannon instance, so Ctrl-C can stop it

/** Settings from the environment, validated so a typo does not silently run a 0 s benchmark. */
function loadSettings(env) {
  return {
    connections: positiveInt(env, 'BENCH_CONNECTIONS', 32),
    duration: positiveInt(env, 'BENCH_DURATION', 15),
    warmup: positiveInt(env, 'BENCH_WARMUP', 3),
    rounds: positiveInt(env, 'BENCH_ROUNDS', 3),
    pipelining: 1,
  };
}

function positiveInt(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** One autocannon run; resolves with autocannon's full result. */
function fire(request, settings, duration) {
  return new Promise((resolve, reject) => {
    current = autocannon(
      {
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: request.body,
        // Per-connection request chains (e.g. refresh tokens), when a scenario needs them.
        ...(request.requests && { requests: request.requests }),
        connections: settings.connections,
        pipelining: settings.pipelining,
        duration,
      },
      (error, result) => {
        current = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

/**
 * Warm-up first and thrown away: the JIT, connection pools and caches settle during it, so
 * the measured run compares steady states rather than who compiles faster. `probe`
 * ({ start(), stop() → object }, optional) brackets the measured run only; what stop()
 * resolves with is returned as `probed`.
 */
async function measure(request, settings, { warmUp = true, probe } = {}) {
  if (warmUp) await fire(request, settings, settings.warmup);
  await probe?.start();
  const result = await fire(request, settings, settings.duration);
  const probed = await probe?.stop();
  return { ...summarize(result), ...(probed && { probed }) };
}

function summarize(result) {
  return {
    requestsPerSec: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMeanMs: result.latency.average,
    total: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

function stopLoad() {
  current?.stop();
}

module.exports = { loadSettings, measure, fire, stopLoad };
