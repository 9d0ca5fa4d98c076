'use strict';
/**
 * `npm run bench:backup`: backup and restore throughput of the built CLI against PostgreSQL.
 * For each size (default 25,000 and 100,000 records; users at 1 per 100 records, one revision
 * per record plus one per ten) it seeds a throw-away database, runs `backup` and then `restore`
 * into a second, migrated, empty database as child processes, and prints records/s (as each
 * command measures its own work) and peak RSS (the CLI's maxRSS, and VmHWM polled from /proc).
 * Memory is flat when the peak at the largest size stays within 1.2× of the smallest; the run
 * exits 1 when it is not.
 * Env: BENCH_DATABASE_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres),
 * BENCH_BACKUP_SIZES (e.g. 25000,100000).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Client } = require('pg');
const { chooseDatabase, createBenchDatabase, dropBenchDatabase, describeUrl } = require('./lib/database');
const { readMemory } = require('./lib/processes');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const FLAT_RATIO = 1.2;

const state = { tmpDir: undefined, adminUrl: undefined, databases: [] };
const progress = (message) => process.stderr.write(`${message}\n`);

function sizes() {
  const raw = process.env.BENCH_BACKUP_SIZES || '25000,100000';
  const list = raw.split(',').map((value) => Number(value.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 100)) throw new Error(`BENCH_BACKUP_SIZES must list integers ≥ 100 (got ${raw})`);
  return list;
}

async function newDatabase() {
  const db = await createBenchDatabase(state.adminUrl, (name) => state.databases.push(name));
  return db.url;
}

/** Runs the CLI; resolves with its output, wall time and the highest VmHWM seen. */
function runCli(args, databaseUrl) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || state.tmpDir,
    NODE_ENV: 'development',
    DATA_DIR: path.join(state.tmpDir, 'data'),
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let polledPeakMb = 0;
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const poll = setInterval(() => {
      const peak = readMemory(child.pid)?.peakRssMb;
      if (peak !== undefined) polledPeakMb = Math.max(polledPeakMb, peak);
    }, 50);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`backlot-cli ${args[0]} exited with ${code}:\n${output}`));
      resolve({ output, seconds: (performance.now() - started) / 1000, polledPeakMb });
    });
  });
}

/** "… 12,345 records/s, … rows/s; peak RSS 87 MB" as printed by the CLI. */
function parseSummary(output) {
  const match = /([\d,]+) records\/s, ([\d,]+) rows\/s; peak RSS (\d+) MB/.exec(output);
  if (!match) throw new Error(`no summary in the CLI output:\n${output}`);
  const number = (text) => Number(text.replace(/,/g, ''));
  return { recordsPerSec: number(match[1]), rowsPerSec: number(match[2]), peakRssMb: number(match[3]) };
}

async function seed(url, records) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const users = Math.max(1, Math.round(records / 100));
    await client.query(
      `INSERT INTO users (id, email, password_hash, role)
       SELECT gen_random_uuid(), 'bench-' || i || '@example.test', '$argon2id$v=19$m=19456,t=2,p=1$bench$bench', 'user'
         FROM generate_series(1, $1::int) AS i`,
      [users],
    );
    const fields = [
      { name: 'title', type: 'text', searchable: true },
      { name: 'sku', type: 'text' },
      { name: 'amount', type: 'integer' },
      { name: 'note', type: 'text' },
    ];
    const [{ id }] = (
      await client.query(
        `INSERT INTO collections (id, name, fields, rules, options) VALUES (gen_random_uuid(), 'items', $1, '{}', '{}') RETURNING id`,
        [JSON.stringify(fields)],
      )
    ).rows;
    await client.query(
      `WITH owners AS (SELECT array_agg(id) AS ids FROM users)
       INSERT INTO records (id, collection_id, owner_id, data, search)
       SELECT gen_random_uuid(), $1::uuid, owners.ids[1 + i % cardinality(owners.ids)],
              jsonb_build_object('title', 'Item number ' || i, 'sku', 'sku-' || i, 'amount', i % 1000,
                                 'note', 'A short note about item ' || i || ' to give the row a realistic size.'),
              to_tsvector('simple', 'Item number ' || i)
         FROM generate_series(1, $2::int) AS i, owners`,
      [id, records],
    );
    await client.query(
      `INSERT INTO record_revisions (id, record_id, version, action, data)
       SELECT gen_random_uuid(), id, 1, 'create', data FROM records`,
    );
    await client.query(
      `INSERT INTO record_revisions (id, record_id, version, action, data)
       SELECT gen_random_uuid(), id, 2, 'update', data FROM records ORDER BY id LIMIT $1::int`,
      [Math.round(records / 10)],
    );
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

async function countRecords(url) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM records')).rows[0].n);
  } finally {
    await client.end();
  }
}

async function measureSize(records) {
  progress(`${records.toLocaleString('en')} records: seeding…`);
  const source = await newDatabase();
  await runCli(['migrate'], source);
  await seed(source, records);

  progress(`${records.toLocaleString('en')} records: backup…`);
  const dir = path.join(state.tmpDir, `backups-${records}`);
  const backup = await runCli(['backup', '--dir', dir], source);
  const file = fs.readdirSync(dir).find((name) => name.endsWith('.backup.gz'));

  progress(`${records.toLocaleString('en')} records: restore…`);
  const target = await newDatabase();
  await runCli(['migrate'], target);
  const restore = await runCli(['restore', path.join(dir, file), '--yes'], target);
  const restored = await countRecords(target);
  if (restored !== records) throw new Error(`restored ${restored} records, expected ${records}`);

  return {
    records,
    fileMb: Math.round((fs.statSync(path.join(dir, file)).size / 1048576) * 10) / 10,
    backup: { ...parseSummary(backup.output), polledPeakMb: backup.polledPeakMb, wallSeconds: round(backup.seconds) },
    restore: { ...parseSummary(restore.output), polledPeakMb: restore.polledPeakMb, wallSeconds: round(restore.seconds) },
  };
}

function round(n) {
  return Math.round(n * 100) / 100;
}

/** Prints the table and the memory verdicts; false when memory is not flat. */
function report(results) {
  const header = ['records', 'file MB', 'backup rec/s', 'rows/s', 'peak MB', 'restore rec/s', 'rows/s', 'peak MB'];
  const widths = [9, 8, 13, 8, 10, 14, 8, 10];
  const line = (cells) => cells.map((cell, i) => String(cell).padStart(widths[i])).join('  ');
  const lines = [line(header)];
  const n = (value) => value.toLocaleString('en');
  const peak = (phase) => `${phase.peakRssMb} (${Math.round(phase.polledPeakMb)})`;
  for (const { records, fileMb, backup, restore } of results) {
    const phase = (p) => [n(p.recordsPerSec), n(p.rowsPerSec), peak(p)];
    lines.push(line([n(records), fileMb, ...phase(backup), ...phase(restore)]));
  }
  console.log(`\n${lines.join('\n')}`);
  console.log(
    'rec/s: records (rows/s: all rows, users and revisions included) per second as timed by each command;\n' +
      'peak MB: the CLI’s own maxRSS (VmHWM polled from /proc in parentheses)',
  );
  const [smallest, largest] = [results[0], results.at(-1)];
  let flat = true;
  if (results.length > 1) {
    for (const phase of ['backup', 'restore']) {
      const ratio = largest[phase].peakRssMb / smallest[phase].peakRssMb;
      flat &&= ratio <= FLAT_RATIO;
      const verdict = ratio <= FLAT_RATIO ? 'flat' : 'NOT flat';
      console.log(
        `${phase} memory ${verdict}: ${ratio.toFixed(2)}× from ${smallest.records} to ${largest.records} records (goal ≤ ${FLAT_RATIO}×)`,
      );
    }
  }
  return flat;
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run bench:backup does).`);
  const choice = await chooseDatabase({ ...process.env, BENCH_EMBEDDED: undefined });
  if (choice.kind !== 'postgres') throw new Error(`the backup bench needs PostgreSQL (${choice.reason}); set BENCH_DATABASE_URL`);
  state.adminUrl = choice.adminUrl;
  state.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlot-bench-backup-'));
  progress(`PostgreSQL ${describeUrl(choice.adminUrl)}; ${os.cpus().length} CPUs, Node ${process.version}`);
  const results = [];
  for (const records of sizes()) results.push(await measureSize(records));
  // A regression must fail the run (CI, scripts), not only print a verdict.
  if (!report(results)) process.exitCode = 1;
}

async function cleanup() {
  for (const name of state.databases) {
    await dropBenchDatabase(state.adminUrl, name).catch((error) => progress(`could not drop ${name}: ${error.message}`));
  }
  if (state.tmpDir) fs.rmSync(state.tmpDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    progress(`\n${signal}: removing the bench databases…`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

main()
  .catch((error) => {
    progress(`bench failed: ${error.message}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
