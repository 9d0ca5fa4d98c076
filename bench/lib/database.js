'use strict';
const { randomBytes } = require('node:crypto');
const { Client } = require('pg');

const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Picks the database shape for the run: an explicit BENCH_DATABASE_URL must work (a typo
 * should fail loudly, not silently benchmark something else); the local default server is
 * only a guess, so when it does not answer we fall back to the embedded database.
 */
async function chooseDatabase(env) {
  if (env.BENCH_EMBEDDED === '1') return { kind: 'embedded', reason: 'BENCH_EMBEDDED=1' };
  const explicit = (env.BENCH_DATABASE_URL || '').trim();
  const adminUrl = explicit || DEFAULT_URL;
  try {
    await withClient(adminUrl, (client) => client.query('SELECT 1'));
    return { kind: 'postgres', adminUrl, reason: explicit ? 'BENCH_DATABASE_URL' : `answered at ${describeUrl(DEFAULT_URL)}` };
  } catch (error) {
    if (explicit) throw new Error(`BENCH_DATABASE_URL (${describeUrl(explicit)}) does not answer: ${error.message}`);
    return { kind: 'embedded', reason: `no PostgreSQL at ${describeUrl(DEFAULT_URL)}` };
  }
}

/** A throw-away database so migrations start from scratch and no real data is touched. */
async function createBenchDatabase(adminUrl, onName) {
  const name = `backlot_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  // Registered before CREATE so an interrupt during creation still triggers the drop.
  onName(name);
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** FORCE ends sessions a killed app may have left behind (PostgreSQL 13+). */
async function dropBenchDatabase(adminUrl, name) {
  await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

async function withClient(url, work) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A server going away mid-query surfaces as a rejected query; the extra event is noise.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** host:port/db without credentials, for printing. */
function describeUrl(value) {
  try {
    const url = new URL(value);
    return `${url.host}${url.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

module.exports = { chooseDatabase, createBenchDatabase, dropBenchDatabase, describeUrl };
