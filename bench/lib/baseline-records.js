'use strict';
/**
 * The baseline's record routes: the statements Backlot runs for the data scenarios
 * (apps/api/src/data/records/records.repository.ts findOne/insert, record-list.ts buildList,
 * query/record-order.ts), written out by hand for the collection the bench seeds (rules
 * `owner = @me` for view/list, `@me != null` for create; no searchable fields). Same WHERE
 * (collection, live rows, owner rule, the filter on the same index expressions), same
 * ORDER BY and LIMIT, the same revision insert, the same response shapes — and nothing the
 * app adds around them (validation, rule compilation, guards, logging).
 */
const { createHash } = require('node:crypto');
const { v7: uuidv7 } = require('uuid');

const RECORD_COLUMNS = 'r.id, r.owner_id, r.data, r.version, r.created_at, r.updated_at, r.deleted_at';
const NAME = /^[a-z][a-z0-9_]{0,62}$/;
// Only the filter shape the records-list scenario sends: `<text field> = '<value>' && <number field> > <number>`.
const FILTER = /^\s*([a-z][a-z0-9_]{0,62})\s*=\s*'([^']*)'\s*&&\s*([a-z][a-z0-9_]{0,62})\s*>\s*(-?\d+(?:\.\d+)?)\s*$/;
const DESCENDING_SORT = /^-([a-z][a-z0-9_]{0,62})$/;

const GET_SQL = `SELECT ${RECORD_COLUMNS} FROM records r
  WHERE r.id = $3::uuid AND r.collection_id = $1::uuid AND r.deleted_at IS NULL AND (r.owner_id = $2::uuid)`;

const INSERT_SQL = `
  WITH r AS (
    SELECT v.id, v.owner_id, v.data, v.revision_id, now() AS created_at, now() AS updated_at
      FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, owner_id uuid, data jsonb, revision_id uuid)),
  inserted AS (
    INSERT INTO records (id, collection_id, owner_id, data, version, search, created_at, updated_at)
    SELECT r.id, $2::uuid, r.owner_id, r.data, 1, NULL::tsvector, r.created_at, r.updated_at
      FROM r WHERE ($4::text IS NOT NULL)
    RETURNING *),
  revision AS (
    INSERT INTO record_revisions (id, record_id, version, action, data, actor_id, at)
    SELECT r.revision_id, i.id, 1, 'create', i.data, $3::uuid, i.created_at FROM inserted i JOIN r ON r.id = i.id)
  SELECT ${RECORD_COLUMNS} FROM inserted r`;

/** `sort=-amount, filter status/amount` → Backlot's statement (field names are checked identifiers). */
function listSql(textField, numberField, sortField) {
  const number = (name) => `((r.data->>'${name}')::numeric)`;
  return `SELECT ${RECORD_COLUMNS}, ${number(sortField)}::text AS c0, r.id AS c1
            FROM records r WHERE r.collection_id = $1::uuid AND r.deleted_at IS NULL AND (r.owner_id = $2::uuid) AND (((r.data->>'${textField}') = $3::text) AND (${number(numberField)} > $4::numeric))
           ORDER BY ${number(sortField)} DESC, r.id DESC LIMIT $5::int`;
}

function view(row) {
  return {
    id: row.id,
    owner: row.owner_id,
    version: row.version,
    created: row.created_at.toISOString(),
    updated: row.updated_at.toISOString(),
    ...row.data,
  };
}

/** Backlot's keyset cursor: the sort values of the last row, signed with a hash of the sort order. */
function cursorFor(sortField, values) {
  const signature = createHash('sha256').update(`-${sortField},-id`).digest('base64url').slice(0, 12);
  return Buffer.from(JSON.stringify({ s: signature, v: values })).toString('base64url');
}

/**
 * `authenticate(request, reply)` → the user id from the bearer token, or undefined after
 * answering 401 (the same HS256 check as /users/me).
 */
function registerRecords(app, pool, prefix, authenticate) {
  // Like Backlot's catalog: the collection is looked up once, then served from memory.
  const collections = new Map();
  const collectionId = async (name) => {
    if (!NAME.test(name)) return undefined;
    if (!collections.has(name)) {
      const { rows } = await pool.query('SELECT id::text FROM collections WHERE name = $1', [name]);
      if (rows[0]) collections.set(name, rows[0].id);
      return rows[0]?.id;
    }
    return collections.get(name);
  };

  app.get(`${prefix}/collections/:name/records/:id`, async (request, reply) => {
    const userId = authenticate(request, reply);
    if (!userId) return reply;
    const collection = await collectionId(request.params.name);
    if (!collection) return reply.code(404).send({ status: 404 });
    const { rows } = await pool.query(GET_SQL, [collection, userId, request.params.id]);
    if (!rows[0]) return reply.code(404).send({ status: 404 });
    reply.header('etag', `"${rows[0].version}"`);
    return view(rows[0]);
  });

  app.get(`${prefix}/collections/:name/records`, async (request, reply) => {
    const userId = authenticate(request, reply);
    if (!userId) return reply;
    const collection = await collectionId(request.params.name);
    if (!collection) return reply.code(404).send({ status: 404 });
    const filter = FILTER.exec(request.query.filter ?? '');
    const sort = DESCENDING_SORT.exec(request.query.sort ?? '');
    const limit = Number(request.query.limit ?? 20);
    if (!filter || !sort || !Number.isInteger(limit) || limit < 1 || limit > 200) return reply.code(400).send({ status: 400 });
    const [, textField, text, numberField, number] = filter;
    const { rows } = await pool.query(listSql(textField, numberField, sort[1]), [collection, userId, text, number, limit + 1]);
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page.at(-1);
    return { items: page.map(view), nextCursor: more && last ? cursorFor(sort[1], [last.c0, last.c1]) : null };
  });

  app.post(`${prefix}/collections/:name/records`, async (request, reply) => {
    const userId = authenticate(request, reply);
    if (!userId) return reply;
    const collection = await collectionId(request.params.name);
    if (!collection) return reply.code(404).send({ status: 404 });
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return reply.code(400).send({ status: 400 });
    const rows = JSON.stringify([{ id: uuidv7(), owner_id: userId, data: body, revision_id: uuidv7() }]);
    const { rows: inserted } = await pool.query(INSERT_SQL, [rows, collection, userId, userId]);
    const record = inserted[0];
    if (!record) return reply.code(403).send({ status: 403 });
    reply
      .code(201)
      .header('etag', `"${record.version}"`)
      .header('location', `${prefix}/collections/${request.params.name}/records/${record.id}`);
    return view(record);
  });
}

module.exports = { registerRecords };
