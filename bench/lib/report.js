'use strict';
const fs = require('node:fs');
const path = require('node:path');

const COLUMNS = [
  ['scenario', 16, 'left'],
  ['target', 10, 'left'],
  ['req/s', 9, 'right'],
  ['p50 ms', 8, 'right'],
  ['p99 ms', 8, 'right'],
  ['errors', 8, 'right'],
  ['non-2xx', 8, 'right'],
];

function row(values) {
  return COLUMNS.map(([, width, align], i) => {
    const text = values[i] === undefined ? '' : String(values[i]);
    return align === 'left' ? text.padEnd(width) : text.padStart(width);
  })
    .join('  ')
    .trimEnd();
}

function targetRow(scenario, target, stats) {
  if (stats.skipped) return `${scenario.padEnd(COLUMNS[0][1])}  ${target.padEnd(COLUMNS[1][1])}  ${stats.skipped}`;
  return row([scenario, target, stats.requestsPerSec, stats.latencyP50Ms, stats.latencyP99Ms, stats.errors, stats.non2xx]);
}

function formatRatio(ratio) {
  return ratio === undefined ? undefined : `${(ratio * 100).toFixed(1)}%`;
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
    lines.push(targetRow(result.name, 'backlot', result.backlot));
    lines.push(targetRow(result.name, 'baseline', result.baseline));
    if (result.ratio !== undefined) {
      const rounds = (result.roundRatios ?? [])
        .filter((r) => r !== undefined)
        .map(formatRatio)
        .join(', ');
      lines.push(row([result.name, 'ratio', formatRatio(result.ratio)]) + (rounds ? `   (rounds: ${rounds})` : ''));
    }
  }
  return lines.join('\n');
}

function formatMemory(memory) {
  const mb = (value) => (value === undefined ? 'n/a' : `${value} MB`);
  return [
    `backlot RSS idle (after start-up, before load): ${mb(memory.idleRssMb)}`,
    `backlot RSS peak during load (sampled VmRSS):   ${mb(memory.peakRssDuringLoadMb)}`,
    `backlot RSS peak since start (VmHWM):           ${mb(memory.peakRssMb)}`,
  ].join('\n');
}

function writeJson(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

module.exports = { formatTable, formatMemory, formatRatio, writeJson };
