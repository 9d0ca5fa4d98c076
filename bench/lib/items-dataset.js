'use strict';
/**
 * Seeds the issue-19 workload in both servers' databases before any load:
 *   - Backlot: collection `bench_items` (text title, text status indexed, number amount, json
 *     data; list/view rule `owner = @me || status = 'open'`), created through the admin API so
 *     Backlot makes its index and caches the schema as in real use, and a regular user whose
 *     rule is compiled into every query; then the 100,000 rows with SQL (INSERT … SELECT from the
 *     same generator as the hand-written table), each with its create revision, then ANALYZE.
 *   - the hand-written server: table `items` with the same rows (bench/lib/items-sql.js).
 * On PostgreSQL both live in the run's database. Embedded, each server has its own PGlite, and
 * Backlot's must be closed while the bench writes to it: the caller stops the app between
 * `createCollection` and `seedEmbedded`, and starts it again afterwards.
 */
const { Client } = require('pg');
const { BENCH_USER, login, waitForAccount } = require('./auth');
const { COPY_TO_RECORDS_SQL, COPY_REVISIONS_SQL, seedItems, itemIds } = require('./items-sql');

const COLLECTION = 'bench_items';
// Not the bootstrap admin (admins bypass rules) and not the records scenarios' user.
const ITEMS_USER = { email: 'bench-items@example.com', password: BENCH_USER.password };
const USER_RULE = "owner = @me || status = 'open'";

const COLLECTION_BODY = {
  name: COLLECTION,
  fields: [
    { name: 'title', type: 'text', maxLength: 200 },
    { name: 'status', type: 'text', maxLength: 50, indexed: true },
    { name: 'amount', type: 'number' },
    { name: 'data', type: 'json' },
  ],
  rules: { list: USER_RULE, view: USER_RULE, create: '@me != null', update: 'owner = @me', delete: 'owner = @me' },
  // The counterpart of the hand-written table's (status, created_at) index, declared as a user would (docs/indexes.md).
  options: { indexes: [{ fields: ['status', '-created'] }] },
};

/** Step 1, app running: the collection and the user, once it exists (verified with SQL in step 2). */
async function createCollection(baseUrl) {
  const admin = await login(baseUrl);
  const created = await api(baseUrl, 'POST', '/api/v1/collections', admin.accessToken, COLLECTION_BODY);
  if (created.status !== 201) throw new Error(`creating ${COLLECTION} failed: ${created.status} ${created.text}`);
  const registered = await api(baseUrl, 'POST', '/api/v1/auth/register', undefined, ITEMS_USER);
  if (registered.status !== 202) throw new Error(`registering ${ITEMS_USER.email} failed: ${registered.status} ${registered.text}`);
  await waitForAccount(baseUrl, admin.accessToken, ITEMS_USER.email);
}

/**
 * Step 2 in Backlot's database, through `query(sql, params)`: verifies the user (no mailbox to
 * click the link in), writes `items` unless it is there, copies it into records. → { userId, ids }.
 */
async function seedBacklot(query, { keepItems }) {
  const [user] = (await query('UPDATE users SET email_verified_at = now() WHERE email = $1 RETURNING id::text AS id', [ITEMS_USER.email]))
    .rows;
  if (!user) throw new Error(`${ITEMS_USER.email} was not created`);
  const [collection] = (await query('SELECT id::text AS id FROM collections WHERE name = $1', [COLLECTION])).rows;
  await seedItems(query, user.id);
  await query(COPY_TO_RECORDS_SQL, [collection.id]);
  await query(COPY_REVISIONS_SQL, [collection.id]);
  const ids = await itemIds(query, user.id);
  if (!keepItems) await query('DROP TABLE items');
  // Fresh statistics, or the planner would guess the expression index's selectivity.
  await query('ANALYZE records');
  await query('ANALYZE record_revisions');
  return { userId: user.id, ids };
}

/** PostgreSQL: one database holds Backlot's records and the hand-written `items`. */
async function seedPostgres(url) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await seedBacklot((sql, params) => client.query(sql, params), { keepItems: true });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Embedded: Backlot's PGlite (the app stopped), then a fresh PGlite for the hand-written server. */
async function seedEmbedded(backlotDir, handwrittenDir) {
  const { PGlite } = require('@electric-sql/pglite');
  const backlot = await PGlite.create(backlotDir);
  let seeded;
  try {
    seeded = await seedBacklot((sql, params) => backlot.query(sql, params), { keepItems: false });
  } finally {
    await backlot.close();
  }
  const handwritten = await PGlite.create(handwrittenDir);
  try {
    await seedItems((sql, params) => handwritten.query(sql, params), seeded.userId);
  } finally {
    await handwritten.close();
  }
  return seeded;
}

/** Access tokens of the admin (no rule) and of the rule-bound user. */
async function workloadTokens(baseUrl) {
  const [admin, user] = await Promise.all([login(baseUrl), login(baseUrl, ITEMS_USER)]);
  return { admin: admin.accessToken, user: user.accessToken };
}

async function api(baseUrl, method, path, token, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

module.exports = { COLLECTION, USER_RULE, createCollection, seedPostgres, seedEmbedded, workloadTokens };
