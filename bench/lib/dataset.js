'use strict';
/**
 * The records data set the data scenarios share: one collection of 100,000 records owned by
 * a regular (non-admin) user, so the collection's `owner = @me` rules are really compiled
 * into Backlot's SQL (admins bypass rules) and the baseline's `owner_id = $me` is the same work.
 *
 * The collection is created through the admin API (so Backlot makes its expression indexes
 * and caches the schema as in real use); the records go in with one INSERT … SELECT from
 * generate_series, which takes seconds where 100,000 API calls would take minutes.
 * Built once per run, on the first scenario that asks for it.
 */
const { Client } = require('pg');
const { BENCH_USER, login, waitForAccount } = require('./auth');

const COLLECTION = 'bench_records';
const RECORD_COUNT = 100_000;
const STATUSES = ['open', 'closed', 'pending', 'archived'];
// A second account: the bootstrap admin (BENCH_USER) would bypass the rules being measured.
const DATA_USER = { email: 'bench-data@example.com', password: BENCH_USER.password };

const COLLECTION_BODY = {
  name: COLLECTION,
  fields: [
    { name: 'title', type: 'text', maxLength: 200 },
    { name: 'status', type: 'select', values: STATUSES, indexed: true },
    { name: 'amount', type: 'number', indexed: true },
    // "created" is a reserved (system) field name.
    { name: 'opened_at', type: 'datetime' },
  ],
  rules: { list: 'owner = @me', view: 'owner = @me', create: '@me != null', update: 'owner = @me', delete: 'owner = @me' },
};

/*
 * Deterministic values, so every run lists the same pages: status cycles through STATUSES,
 * amount is spread over 0.00–999.99 by a multiplicative hash, opened_at is stored in the
 * normalized form the app writes (ISO-8601 UTC with milliseconds).
 */
const SEED_SQL = `
  INSERT INTO records (id, collection_id, owner_id, data, version, search, created_at, updated_at)
  SELECT gen_random_uuid(), $1::uuid, $2::uuid,
         jsonb_build_object(
           'title', 'Record ' || g,
           'status', ($4::text[])[1 + g % cardinality($4::text[])],
           'amount', ((g::bigint * 2654435761) % 100000) / 100.0,
           'opened_at', to_char(('2024-01-01T00:00:00Z'::timestamptz + g * interval '5 minutes') AT TIME ZONE 'UTC',
                                'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         1, NULL, t.at, t.at
    FROM generate_series(1, $3::int) AS g, LATERAL (SELECT now() - ($3::int - g) * interval '1 second' AS at) AS t`;

// Every record has its "create" revision, as the API would have written it.
const REVISIONS_SQL = `
  INSERT INTO record_revisions (id, record_id, version, action, data, actor_id, at)
  SELECT gen_random_uuid(), id, 1, 'create', data, owner_id, created_at FROM records WHERE collection_id = $1::uuid`;

let building;

/** The shared data set (built on first call): { collection, collectionId, userId, count, ids }. */
function recordsDataset(ctx) {
  building ??= build(ctx);
  return building;
}

async function build({ targets, database }) {
  process.stderr.write(`seeding ${COLLECTION}: ${RECORD_COUNT} records…\n`);
  const started = Date.now();
  const admin = await login(targets.backlot.url);
  const created = await api(targets.backlot.url, 'POST', '/api/v1/collections', admin.accessToken, COLLECTION_BODY);
  if (created.status !== 201) throw new Error(`creating ${COLLECTION} failed: ${created.status} ${created.text}`);
  const registered = await api(targets.backlot.url, 'POST', '/api/v1/auth/register', undefined, DATA_USER);
  if (registered.status !== 202) throw new Error(`registering ${DATA_USER.email} failed: ${registered.status} ${registered.text}`);
  await waitForAccount(targets.backlot.url, admin.accessToken, DATA_USER.email);

  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    // No mailbox to click the link in: the address is confirmed directly.
    const [user] = (await client.query('UPDATE users SET email_verified_at = now() WHERE email = $1 RETURNING id::text', [DATA_USER.email]))
      .rows;
    if (!user) throw new Error(`${DATA_USER.email} was not created`);
    const [collection] = (await client.query('SELECT id::text FROM collections WHERE name = $1', [COLLECTION])).rows;
    await client.query(SEED_SQL, [collection.id, user.id, RECORD_COUNT, STATUSES]);
    await client.query(REVISIONS_SQL, [collection.id]);
    // Fresh statistics, or the planner would guess the expression indexes' selectivity.
    await client.query('ANALYZE records');
    await client.query('ANALYZE record_revisions');
    const ids = (await client.query('SELECT id::text FROM records WHERE collection_id = $1::uuid', [collection.id])).rows.map((r) => r.id);
    process.stderr.write(`seeded ${ids.length} records in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return { collection: COLLECTION, collectionId: collection.id, userId: user.id, count: RECORD_COUNT, ids };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh access token of the data set's owner (tokens expire; each scenario signs in again). */
async function dataUserToken(baseUrl) {
  return (await login(baseUrl, DATA_USER)).accessToken;
}

async function api(baseUrl, method, path, token, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

module.exports = { recordsDataset, dataUserToken, RECORD_COUNT };
