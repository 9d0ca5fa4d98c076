'use strict';
const fs = require('node:fs');
const path = require('node:path');

const COLUMNS = [
  ['scenario', 16, 'left'],
  ['target', 13, 'left'],
  ['req/s', 8, 'right'],
  ['ratio', 7, 'right'],
  ['p50 ms', 7, 'right'],
  ['p99 ms', 7, 'right'],
  ['node ms/req', 11, 'right'],
  ['pg ms/req', 9, 'right'],
  ['RSS MB', 7, 'right'],
  ['errors', 6, 'right'],
  ['non-2xx', 7, 'right'],
  ['goal', 0, 'left'],
];

function row(values) {
  return COLUMNS.map(([, width, align], i) => {
    const text = values[i] === undefined ? '' : String(values[i]);
    return align === 'left' ? text.padEnd(width) : text.padStart(width);
  })
    .join('  ')
    .trimEnd();
}

function formatRatio(ratio) {
  return ratio === undefined ? undefined : `${(ratio * 100).toFixed(1)}%`;
}

const fixed = (value, digits) => (value === undefined ? undefined : value.toFixed(digits));

function goalText(result, figures, target) {
  if (result.goal === undefined || target === result.reference || figures.ratio === undefined) return undefined;
  return `≥ ${result.goal * 100}%: ${figures.ratio >= result.goal ? 'met' : 'NOT met'}`;
}

function targetRow(result, target) {
  const figures = result.targets[target];
  const m = figures.median;
  return row([
    result.name,
    target,
    m.requestsPerSec,
    target === result.reference ? 'ref' : formatRatio(figures.ratio),
    m.latencyP50Ms,
    m.latencyP99Ms,
    fixed(m.serverCpuMsPerRequest, 3),
    fixed(m.postgresCpuMsPerRequest, 3),
    figures.peakRssMb,
    m.errors,
    m.non2xx,
    goalText(result, figures, target),
  ]);
}

/** Every round of every target, for the reader to judge the spread behind the medians. */
function roundsLine(result) {
  const parts = Object.entries(result.targets).map(([target, figures]) => {
    const rates = figures.rounds.map((run) => run.requestsPerSec).join(' / ');
    const ratios = figures.roundRatios ? ` (${figures.roundRatios.map(formatRatio).join(' / ')})` : '';
    return `${target} ${rates}${ratios}`;
  });
  return `${' '.repeat(COLUMNS[0][1] + 2)}rounds req/s: ${parts.join('; ')}`;
}

/** The table printed at the end, after all runs, so it is not interleaved with progress lines. */
function formatTable(results) {
  const lines = [row(COLUMNS.map(([title]) => title))];
  for (const result of results) {
    if (result.skipped || result.summary) {
      lines.push(
        `${result.name.padEnd(COLUMNS[0][1])}  ${'backlot'.padEnd(COLUMNS[1][1])}  ${result.summary ?? `skipped: ${result.skipped}`}`,
      );
      continue;
    }
    for (const target of Object.keys(result.targets)) lines.push(targetRow(result, target));
    if (result.note) lines.push(`${' '.repeat(COLUMNS[0][1] + 2)}(${result.note})`);
    if (Object.values(result.targets)[0].rounds.length > 1) lines.push(roundsLine(result));
  }
  return lines.join('\n');
}

const MIN_PG_MS = 0.01;
const PG_CPU_GOAL = 1.5;

/** Database and server work per request compared with the reference (the issue's 1.5× goal for the database). */
function formatCpuRatios(results) {
  const lines = [];
  for (const result of results) {
    if (!result.targets || !result.reference) continue;
    for (const [target, figures] of Object.entries(result.targets)) {
      if (target === result.reference) continue;
      // A database that barely works (W0) gives a ratio of noise.
      const pg = (result.targets[result.reference].median.postgresCpuMsPerRequest ?? 0) >= MIN_PG_MS ? figures.postgresCpuRatio : undefined;
      const node = figures.serverCpuRatio;
      if (pg === undefined && node === undefined) continue;
      // The 1.5× goal is the workload's (against the hand-written server).
      const pgGoal = result.goal === undefined ? '' : ` (goal ≤ ${PG_CPU_GOAL}×: ${pg <= PG_CPU_GOAL ? 'met' : 'NOT met'})`;
      const pgText = pg === undefined ? 'PostgreSQL n/a' : `PostgreSQL ${pg}×${pgGoal}`;
      lines.push(`${result.name} ${target}: CPU per request vs ${result.reference}: ${pgText}, Node ${node ?? 'n/a'}×`);
    }
  }
  return lines.join('\n');
}

function formatMemory(memory) {
  const mb = (value) => (value === undefined ? 'n/a' : `${value} MB`);
  return Object.entries(memory)
    .map(([server, figures]) => {
      const goal =
        server === 'backlot' && figures.peakRssDuringLoadMb !== undefined
          ? ` (goal ≤ 200 MB: ${figures.peakRssDuringLoadMb <= 200 ? 'met' : 'NOT met'})`
          : '';
      return `${server.padEnd(12)} RSS idle ${mb(figures.idleRssMb)}, peak during load ${mb(figures.peakRssDuringLoadMb)}${goal}, peak since start (VmHWM) ${mb(figures.peakRssMb)}`;
    })
    .join('\n');
}

function writeJson(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

module.exports = { formatTable, formatCpuRatios, formatMemory, formatRatio, writeJson };
