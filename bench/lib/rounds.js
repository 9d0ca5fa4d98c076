'use strict';
/**
 * One scenario's measurement: every target once per round, in the scenario's order, for
 * `settings.rounds` rounds (strictly one load at a time: on 2 cores concurrent runs would
 * measure each other; alternating rounds, because a shared machine's throughput drifts).
 * Per target: the median round (by req/s), every round's figures, the median of the rounds'
 * ratios to the reference target, CPU per request and the peak RSS during its runs.
 */
const { cpuProbe } = require('./cpu');
const { measure } = require('./load');
const { hasExited, logTail, sampleMemory } = require('./processes');

const progress = (message) => process.stderr.write(`${message}\n`);

/** Which server a target name runs on: backlot-admin and backlot-user are Backlot with another token. */
const serverOf = (target) => (target.startsWith('backlot') ? 'backlot' : target);

/** The targets of a scenario in this run, the reference and a note on any target left out. */
function planTargets(scenario, database, servers) {
  if (scenario.targets) return { targets: scenario.targets, reference: scenario.reference };
  if (scenario.appOnly) return { targets: ['backlot'], note: 'no baseline equivalent' };
  if (scenario.needsPostgres && database.kind !== 'postgres') return { targets: ['backlot'], note: 'baseline needs PostgreSQL' };
  if (!servers.baseline) return { targets: ['backlot'], note: 'baseline not started' };
  return { targets: ['backlot', 'baseline'], reference: 'baseline' };
}

function median(values) {
  const sorted = values.filter((value) => value !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor(sorted.length / 2)];
}

const round4 = (value) => (value === undefined ? undefined : Math.round(value * 10_000) / 10_000);

/** CPU seconds of a run → ms per request and cores busy. */
function cpuFigures(stats) {
  const { probed } = stats;
  if (!probed || !stats.total) return {};
  const perRequest = (seconds) => (seconds === undefined ? undefined : round4((seconds * 1000) / stats.total));
  const cores = (seconds) => (seconds === undefined ? undefined : Math.round((seconds / probed.wallSeconds) * 100) / 100);
  return {
    serverCpuMsPerRequest: perRequest(probed.serverCpuSeconds),
    serverCores: cores(probed.serverCpuSeconds),
    postgresCpuMsPerRequest: perRequest(probed.postgresCpuSeconds),
    postgresCores: cores(probed.postgresCpuSeconds),
  };
}

async function measureTarget({ scenario, target, server, override, settings, round, postgres }) {
  const name = serverOf(target);
  // The temp dir (and the log) is removed on exit, so the log tail goes into the message.
  if (hasExited(server.child)) throw new Error(`${name} is no longer running\n${logTail(server.child.logFile)}`);
  const request = { method: scenario.method, path: scenario.path, headers: scenario.headers, body: scenario.body, ...override };
  const warmUp = round === 0;
  progress(
    `${scenario.name}: ${target}, round ${round + 1}/${settings.rounds} (${warmUp ? `${settings.warmup} s warm-up + ` : ''}${settings.duration} s)…`,
  );
  const memory = sampleMemory(server.child.pid);
  const stats = await measure({ ...request, url: `${server.url}${request.path}` }, settings, {
    warmUp,
    probe: cpuProbe(server.child.pid, postgres && { ...postgres, server: name }),
  });
  const peakRssMb = memory.stop();
  if (hasExited(server.child)) throw new Error(`${name} died during ${scenario.name}\n${logTail(server.child.logFile)}`);
  const { probed, ...rest } = stats;
  return { ...rest, ...cpuFigures(stats), peakRssMb, cpu: probed };
}

/**
 * ctx = { servers, database, settings, workload, postgres } where postgres = { adminUrl, dbName }
 * for CPU accounting (undefined embedded). → the scenario's result for the JSON and the table.
 */
async function runScenario(scenario, ctx) {
  const { servers, database, settings } = ctx;
  const plan = planTargets(scenario, database, servers);
  const setupCtx = {
    targets: Object.fromEntries(Object.entries(servers).map(([name, server]) => [name, { url: server.url, pid: server.child.pid }])),
    database: { kind: database.kind, url: database.url },
    settings,
    workload: ctx.workload,
  };
  if (!plan.targets.includes('baseline')) delete setupCtx.targets.baseline;
  if (scenario.run) {
    progress(`${scenario.name}: backlot…`);
    const outcome = await scenario.run(setupCtx);
    if (hasExited(servers.backlot.child))
      throw new Error(`backlot died during ${scenario.name}\n${logTail(servers.backlot.child.logFile)}`);
    return outcome.skip ? skipped(scenario, outcome.skip) : { name: scenario.name, summary: outcome.summary, details: outcome.details };
  }
  const overrides = (scenario.setup && (await scenario.setup(setupCtx))) || {};
  if (overrides.skip) return skipped(scenario, overrides.skip);

  const rounds = [];
  for (let round = 0; round < settings.rounds; round++) {
    const figures = {};
    for (const target of plan.targets) {
      figures[target] = await measureTarget({
        scenario,
        target,
        server: servers[serverOf(target)],
        override: overrides[target],
        settings,
        round,
        postgres: ctx.postgres,
      });
    }
    rounds.push(figures);
  }
  return summarize(scenario, plan, rounds);
}

function summarize(scenario, plan, rounds) {
  const targets = {};
  for (const target of plan.targets) {
    const runs = rounds.map((round) => round[target]);
    const ordered = [...runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
    const ratios =
      plan.reference && target !== plan.reference
        ? rounds.map((round) =>
            round4(round[plan.reference].requestsPerSec ? round[target].requestsPerSec / round[plan.reference].requestsPerSec : undefined),
          )
        : undefined;
    targets[target] = {
      median: ordered[Math.floor(ordered.length / 2)],
      ratio: ratios && median(ratios),
      roundRatios: ratios,
      postgresCpuRatio: ratioOfMedians(rounds, target, plan.reference, 'postgresCpuMsPerRequest'),
      serverCpuRatio: ratioOfMedians(rounds, target, plan.reference, 'serverCpuMsPerRequest'),
      peakRssMb: Math.max(...runs.map((run) => run.peakRssMb ?? 0)) || undefined,
      rounds: runs,
    };
  }
  return { name: scenario.name, reference: plan.reference, goal: scenario.goal, note: plan.note, targets };
}

/** Target's median of `field` over the reference's: "how many times the reference's work per request". */
function ratioOfMedians(rounds, target, reference, field) {
  if (!reference || target === reference) return undefined;
  const mine = median(rounds.map((round) => round[target][field]));
  const theirs = median(rounds.map((round) => round[reference][field]));
  return mine === undefined || !theirs ? undefined : Math.round((mine / theirs) * 100) / 100;
}

function skipped(scenario, reason) {
  progress(`${scenario.name}: skipped: ${reason}`);
  return { name: scenario.name, skipped: reason };
}

module.exports = { runScenario };
