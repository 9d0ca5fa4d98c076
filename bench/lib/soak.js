'use strict';
/**
 * `--soak`: mixed load on Backlot (the workload's rule-bound user: reads by id, lists, creates;
 * see soakRequests) for BENCH_SOAK_SECONDS (600), its RSS sampled every BENCH_SOAK_SAMPLE_SECONDS
 * (10). The curve shows whether memory is flat under sustained load or keeps growing.
 */
const { fire } = require('./load');
const { readMemory } = require('./processes');
const { soakRequests } = require('./items-scenarios');

const progress = (message) => process.stderr.write(`${message}\n`);

async function runSoak({ server, workload, settings, seconds, sampleSeconds }) {
  progress(`soak: ${seconds} s of mixed load on backlot (user), RSS every ${sampleSeconds} s…`);
  const started = performance.now();
  const samples = [{ seconds: 0, rssMb: readMemory(server.child.pid)?.rssMb }];
  const timer = setInterval(() => {
    const sample = { seconds: Math.round((performance.now() - started) / 1000), rssMb: readMemory(server.child.pid)?.rssMb };
    samples.push(sample);
    progress(`soak: ${sample.seconds} s, RSS ${sample.rssMb} MB`);
  }, sampleSeconds * 1000);
  let result;
  try {
    result = await fire({ url: server.url, requests: soakRequests(workload) }, settings, seconds);
  } finally {
    clearInterval(timer);
  }
  samples.push({ seconds: Math.round((performance.now() - started) / 1000), rssMb: readMemory(server.child.pid)?.rssMb });
  return {
    seconds,
    sampleSeconds,
    requestsPerSec: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    samples,
    ...trend(samples),
  };
}

/**
 * Growth after the first minute (start-up of the load: JIT, pools, caches filling) to the end,
 * and the highest sample: a flat curve grows by a few MB at most.
 */
function trend(samples) {
  const settled = samples.find((sample) => sample.seconds >= 60) ?? samples[Math.min(1, samples.length - 1)];
  const last = samples.at(-1);
  const values = samples.map((sample) => sample.rssMb).filter((value) => value !== undefined);
  return {
    peakRssMb: values.length ? Math.max(...values) : undefined,
    growthAfterSettleMb: settled && last ? Math.round((last.rssMb - settled.rssMb) * 10) / 10 : undefined,
    settledAtSeconds: settled?.seconds,
  };
}

/** The curve as text: one line per sample with a bar scaled to the peak. */
function formatSoak(soak) {
  const width = 40;
  const lines = [
    `soak (backlot as user, mixed get/list/get/create): ${soak.requestsPerSec} req/s, p50 ${soak.latencyP50Ms} ms, p99 ${soak.latencyP99Ms} ms, errors ${soak.errors}, non-2xx ${soak.non2xx}`,
  ];
  for (const sample of soak.samples) {
    const bar = sample.rssMb && soak.peakRssMb ? '#'.repeat(Math.round((sample.rssMb / soak.peakRssMb) * width)) : '';
    const clock = `${Math.floor(sample.seconds / 60)}:${String(sample.seconds % 60).padStart(2, '0')}`;
    lines.push(`  ${clock.padStart(6)}  ${String(sample.rssMb ?? 'n/a').padStart(7)} MB  ${bar}`);
  }
  lines.push(
    `RSS peak ${soak.peakRssMb} MB (goal ≤ 200 MB: ${soak.peakRssMb <= 200 ? 'met' : 'NOT met'}); ` +
      `growth from ${soak.settledAtSeconds} s to the end: ${soak.growthAfterSettleMb} MB (goal: flat)`,
  );
  return lines.join('\n');
}

module.exports = { runSoak, formatSoak };
