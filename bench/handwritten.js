'use strict';
/**
 * The yardstick of the issue-19 workload: what a competent developer writes by hand for it.
 * Fastify, `pg` (pool of 10) or PGlite in-process, HS256 JWT verification on every data request,
 * JSON-schema validation of the input (Fastify's compiled validators), three plain statements
 * over a plain table (bench/lib/items-sql.js) — and nothing else: no logging, metrics, rules,
 * history or caching. Backlot's goals are ratios to this server in the same run.
 *
 *   GET  /health            W0: a static answer
 *   GET  /items/:id         W1: one primary-key read
 *   GET  /items?status=&limit=   W2: newest first by (status, created_at)
 *   POST /items             W3: one insert, owner = the token's subject
 *
 * Env: DATABASE_URL (PostgreSQL) or PGLITE_DIR (an existing PGlite data directory, seeded by
 * the bench), PORT (0 = any), HOST (127.0.0.1). The table must exist: the bench seeds it.
 */
const { randomUUID } = require('node:crypto');
const Fastify = require('fastify');
const jwt = require('jsonwebtoken');
const { BASELINE_JWT_KEY } = require('./lib/auth');
const { GET_SQL, LIST_SQL, INSERT_SQL } = require('./lib/items-sql');

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** `query(sql, params)` → { rows }, and close(), over PostgreSQL or PGlite. */
async function openDatabase(env) {
  if (env.DATABASE_URL) {
    const { Pool } = require('pg');
    // Same size as Backlot's default DATABASE_POOL_MAX, so neither side wins on connections.
    // The name lets the bench count this pool's PostgreSQL CPU apart from Backlot's (bench/lib/cpu.js).
    const pool = new Pool({ connectionString: env.DATABASE_URL, max: 10, application_name: 'bench-handwritten' });
    pool.on('error', () => undefined); // an idle client dropped by the server is not fatal
    return { query: (sql, params) => pool.query(sql, params), close: () => pool.end() };
  }
  if (env.PGLITE_DIR) {
    const { PGlite } = require('@electric-sql/pglite');
    const db = await PGlite.create(env.PGLITE_DIR);
    return { query: (sql, params) => db.query(sql, params), close: () => db.close() };
  }
  throw new Error('set DATABASE_URL or PGLITE_DIR');
}

/** The bearer JWT's subject (HS256), or undefined after answering 401. */
function authenticate(request, reply) {
  const header = request.headers.authorization ?? '';
  try {
    return jwt.verify(header.slice(7), BASELINE_JWT_KEY, { algorithms: ['HS256'] }).sub;
  } catch {
    reply.code(401).send({ error: 'unauthorized' });
    return undefined;
  }
}

function registerRoutes(app, db) {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get(
    '/items/:id',
    { schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: UUID } } } } },
    async (request, reply) => {
      if (!authenticate(request, reply)) return reply;
      const { rows } = await db.query(GET_SQL, [request.params.id]);
      if (!rows[0]) return reply.code(404).send({ error: 'not found' });
      return rows[0];
    },
  );

  const listQuery = {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', maxLength: 50 }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 } },
  };
  app.get('/items', { schema: { querystring: listQuery } }, async (request, reply) => {
    if (!authenticate(request, reply)) return reply;
    const { rows } = await db.query(LIST_SQL, [request.query.status, request.query.limit]);
    return { items: rows };
  });

  const newItem = {
    type: 'object',
    required: ['title', 'status', 'amount'],
    additionalProperties: false,
    properties: {
      title: { type: 'string', maxLength: 200 },
      status: { type: 'string', maxLength: 50 },
      amount: { type: 'number' },
      data: { type: 'object' },
    },
  };
  app.post('/items', { schema: { body: newItem } }, async (request, reply) => {
    const owner = authenticate(request, reply);
    if (!owner) return reply;
    const { title, status, amount, data = {} } = request.body;
    const { rows } = await db.query(INSERT_SQL, [randomUUID(), owner, title, status, amount, data]);
    return reply.code(201).send(rows[0]);
  });
}

async function main() {
  const db = await openDatabase(process.env);
  const app = Fastify({ logger: false });
  registerRoutes(app, db);

  const close = async () => {
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);

  const address = await app.listen({ host: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT || 0) });
  process.stdout.write(`hand-written server listening on ${address}\n`);
}

main().catch((error) => {
  process.stderr.write(`hand-written server failed: ${error.stack || error}\n`);
  process.exit(1);
});
