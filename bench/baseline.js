'use strict';
/**
 * The yardstick: bare Fastify (+ pg) doing the same work as Backlot for each benchmarked
 * route, with nothing else (no logging, hooks, validation, metrics). Backlot's goals are
 * ratios to this server measured in the same run on the same machine.
 *
 * Env: PORT (0 = any), HOST (127.0.0.1), DATABASE_URL (optional; routes that need a
 * database are only registered when it is set).
 */
const Fastify = require('fastify');
const { Pool } = require('pg');
const jwt = require('jsonwebtoken');
const { BASELINE_JWT_KEY } = require('./lib/auth');
const { registerRecords } = require('./lib/baseline-records');

const PREFIX = '/api/v1';

function createPool(url) {
  if (!url) return undefined;
  // Same size as Backlot's default DATABASE_POOL_MAX, so neither side wins on connections.
  // The name lets the bench count this pool's PostgreSQL CPU apart from Backlot's (bench/lib/cpu.js).
  const pool = new Pool({ connectionString: url, max: 10, application_name: 'bench-baseline' });
  pool.on('error', () => undefined); // an idle client dropped by the server is not fatal
  return pool;
}

function registerHealth(app, pool) {
  app.get(`${PREFIX}/health/live`, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  if (!pool) return;
  // The app also times the check and names the database kind; same payload, same work.
  app.get(`${PREFIX}/health/ready`, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const started = performance.now();
    await pool.query('SELECT 1');
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    return { status: 'ok', checks: { database: { latencyMs, status: 'up', kind: 'postgres' } } };
  });
}

/** The bearer JWT's subject (HS256), or undefined after answering 401. */
function authenticate(request, reply) {
  const header = request.headers.authorization ?? '';
  try {
    return jwt.verify(header.slice(7), BASELINE_JWT_KEY, { algorithms: ['HS256'] }).sub;
  } catch {
    reply.code(401).send({ status: 401 });
    return undefined;
  }
}

// GET /users/me: verify the bearer JWT (HS256), read the user by primary key, answer the same fields.
function registerUsersMe(app, pool) {
  if (!pool) return;
  app.get(`${PREFIX}/users/me`, async (request, reply) => {
    const userId = authenticate(request, reply);
    if (!userId) return reply;
    const { rows } = await pool.query(
      `SELECT id, email, email_verified_at, role, display_name, bio, locale, timezone, avatar_url, mfa_enabled_at, created_at, updated_at
         FROM users WHERE id = $1`,
      [userId],
    );
    const user = rows[0];
    if (!user) return reply.code(404).send({ status: 404 });
    return {
      id: user.id,
      email: user.email,
      emailVerified: user.email_verified_at !== null,
      role: user.role,
      displayName: user.display_name,
      bio: user.bio,
      locale: user.locale,
      timezone: user.timezone,
      avatarUrl: user.avatar_url,
      mfaEnabled: user.mfa_enabled_at !== null,
      createdAt: user.created_at.toISOString(),
      updatedAt: user.updated_at.toISOString(),
    };
  });
}

async function main() {
  const pool = createPool(process.env.DATABASE_URL);
  const app = Fastify({ logger: false });
  registerHealth(app, pool);
  registerUsersMe(app, pool);
  if (pool) registerRecords(app, pool, PREFIX, authenticate);

  const close = async () => {
    await app.close();
    await pool?.end();
    process.exit(0);
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);

  const address = await app.listen({ host: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT || 0) });
  process.stdout.write(`baseline listening on ${address}\n`);
}

main().catch((error) => {
  process.stderr.write(`baseline failed: ${error.stack || error}\n`);
  process.exit(1);
});
