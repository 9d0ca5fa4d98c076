'use strict';
/**
 * The issue-19 workload's table and rows, shared by the hand-written server (bench/handwritten.js)
 * and the seeding of Backlot's equivalent collection (bench/lib/items-dataset.js), so both serve
 * exactly the same 100,000 rows.
 *
 * Rows are deterministic (ids and other owners are md5 of the row number), so two databases
 * seeded apart (PGlite: one per server) hold the same ids. Status cycles open/closed/pending/
 * archived (a quarter `open`); the owner changes every 4 rows over 1,000 owners, so every owner,
 * the bench user (owner 0) included, has rows of every status; created_at is 5 minutes apart,
 * the newest now. Every statement runs on PostgreSQL 15 and on PGlite (PostgreSQL 18).
 */
const ITEM_COUNT = 100_000;
const OWNER_COUNT = 1_000;
const ITEM_COLUMNS = 'id, owner, title, status, amount, data, created_at';

const CREATE_TABLE_SQL = [
  `CREATE TABLE items (
     id uuid PRIMARY KEY,
     owner uuid NOT NULL,
     title text NOT NULL,
     status text NOT NULL,
     amount numeric NOT NULL,
     data jsonb NOT NULL DEFAULT '{}',
     created_at timestamptz NOT NULL DEFAULT now())`,
  'CREATE INDEX items_status_created_at ON items (status, created_at)',
];

/** $1 the bench user's id (owner 0), $2 the row count, $3 the number of owners. */
const SEED_SQL = `
  INSERT INTO items (${ITEM_COLUMNS})
  SELECT md5('item:' || g)::uuid,
         CASE WHEN (g / 4) % $3::int = 0 THEN $1::uuid ELSE md5('owner:' || ((g / 4) % $3::int))::uuid END,
         'Item ' || g,
         (ARRAY['open', 'closed', 'pending', 'archived'])[1 + g % 4],
         ((g::bigint * 2654435761) % 100000) / 100.0,
         jsonb_build_object('n', g, 'tags', jsonb_build_array('t' || (g % 10), 'bench')),
         now() - ($2::int - g) * interval '5 minutes'
    FROM generate_series(1, $2::int) AS g`;

/** The same rows as Backlot records of collection $1 (no `search`: the collection has no searchable field). */
const COPY_TO_RECORDS_SQL = `
  INSERT INTO records (id, collection_id, owner_id, data, version, search, created_at, updated_at)
  SELECT id, $1::uuid, owner, jsonb_build_object('title', title, 'status', status, 'amount', amount, 'data', data),
         1, NULL, created_at, created_at
    FROM items`;

// Every record has its "create" revision, as the API would have written it.
const COPY_REVISIONS_SQL = `
  INSERT INTO record_revisions (id, record_id, version, action, data, actor_id, at)
  SELECT gen_random_uuid(), id, 1, 'create', data, owner_id, created_at FROM records WHERE collection_id = $1::uuid`;

// The hand-written server's three statements.
const GET_SQL = `SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1`;
const LIST_SQL = `SELECT ${ITEM_COLUMNS} FROM items WHERE status = $1 ORDER BY created_at DESC LIMIT $2`;
const INSERT_SQL = `INSERT INTO items (id, owner, title, status, amount, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${ITEM_COLUMNS}`;

/**
 * Creates and fills `items` through `query(sql, params)` (a pg client's or PGlite's), then
 * ANALYZEs it so the planner knows the status distribution.
 */
async function seedItems(query, userId, count = ITEM_COUNT) {
  for (const statement of CREATE_TABLE_SQL) await query(statement);
  await query(SEED_SQL, [userId, count, OWNER_COUNT]);
  await query('ANALYZE items');
}

/** Ids of every item, and of those `owner = user || status = 'open'` lets the user see. */
async function itemIds(query, userId) {
  const all = (await query('SELECT id::text AS id, owner::text AS owner, status FROM items')).rows;
  return {
    all: all.map((row) => row.id),
    visibleTo: all.filter((row) => row.owner === userId || row.status === 'open').map((row) => row.id),
  };
}

module.exports = { ITEM_COUNT, OWNER_COUNT, COPY_TO_RECORDS_SQL, COPY_REVISIONS_SQL, GET_SQL, LIST_SQL, INSERT_SQL, seedItems, itemIds };
