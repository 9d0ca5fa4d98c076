'use strict';
/**
 * `node bench/profile-summary.js <file.cpuprofile> [--last <seconds>] [--requests <n>]`
 *
 * Where a server's CPU went, by part of the stack: each sample goes to the part of the frame
 * nearest the top of its stack that belongs to one (so the bytes pg writes to its socket count
 * as socket writes, the rows it parses as the PostgreSQL client). `--last` keeps the samples of
 * the profile's last seconds (a one-scenario run's load, after seeding); `--requests` divides by
 * the requests served in them, for microseconds per request. Profiles come from
 * `BENCH_PROFILE_DIR=dir npm run bench -- <scenario>` (docs/benchmarks.md).
 */
const fs = require('node:fs');

const PARTS = [
  ['garbage collection', (frame) => frame.functionName === '(garbage collector)'],
  [
    'socket writes (responses, statements to PostgreSQL)',
    // Native calls (no url) and Node's stream glue around them; a JavaScript `write` is not one.
    (frame) =>
      (!frame.url || frame.url.includes('stream_base_commons')) &&
      /^(writev|writevGeneric|writeGeneric|writeUtf8String|writeBuffer|writeString)$/.test(frame.functionName),
  ],
  ['access log and metrics', (frame) => /libs\/observability|prom-client|sonic-boom|\/pino\//.test(frame.url)],
  ['authentication (guard, JWT, session)', (frame) => /libs\/security\/src\/access|passport|jsonwebtoken|\/jws\//.test(frame.url)],
  ['rate limit', (frame) => /throttler|rate-limit/.test(frame.url)],
  ['validation', (frame) => /class-validator|class-transformer|libs\/http\/src\/validation/.test(frame.url)],
  ['PostgreSQL client (pg)', (frame) => /node_modules\/(pg|pg-pool|pg-protocol|pg-types|postgres-date)\/|libs\/database/.test(frame.url)],
  [
    'application code',
    (frame) => /apps\/api\/src|libs\/(cache|events)|@cacheable|keyv|cache-manager|uuid|bench\/handwritten/.test(frame.url),
  ],
  [
    'Nest (routing, guards, pipes, interceptors)',
    (frame) => /@nestjs\/(core|common|platform-fastify)|reflect-metadata|rxjs/.test(frame.url),
  ],
  ['Fastify and HTTP', (frame) => /fastify|find-my-way|_http_|fast-json-stringify|secure-json-parse/.test(frame.url)],
];
const REST = 'Node internals (streams, timers, promises)';

function option(name) {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : Number(process.argv[index + 1]);
}

function summarize(file, lastSeconds, requests) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const from = lastSeconds ? profile.endTime - lastSeconds * 1e6 : -Infinity;
  const parts = new Map();
  let total = 0;
  let time = profile.startTime;
  profile.samples.forEach((id, index) => {
    time += profile.timeDeltas[index];
    const leaf = nodes.get(id);
    if (time < from || leaf.callFrame.functionName === '(idle)') return;
    const ms = (profile.timeDeltas[index + 1] ?? profile.timeDeltas[index]) / 1000;
    let part = REST;
    for (let at = id; at !== undefined && part === REST; at = parents.get(at)) {
      const found = PARTS.find(([, test]) => test(nodes.get(at).callFrame));
      if (found) part = found[0];
    }
    parts.set(part, (parts.get(part) ?? 0) + ms);
    total += ms;
  });
  return { total, parts: [...parts].sort((a, b) => b[1] - a[1]), requests };
}

function main() {
  const file = process.argv[2];
  if (!file || file.startsWith('--')) {
    console.error('usage: node bench/profile-summary.js <file.cpuprofile> [--last <seconds>] [--requests <n>]');
    process.exit(2);
  }
  const { total, parts, requests } = summarize(file, option('--last'), option('--requests'));
  const perRequest = (ms) => (requests ? `${((ms / requests) * 1000).toFixed(1).padStart(7)} µs/req  ` : '');
  console.log(`${file}: ${total.toFixed(0)} ms of CPU${requests ? `, ${((total / requests) * 1000).toFixed(1)} µs per request` : ''}`);
  for (const [part, ms] of parts) console.log(`${perRequest(ms)}${((100 * ms) / total).toFixed(1).padStart(5)}%  ${part}`);
}

if (require.main === module) main();

module.exports = { summarize };
