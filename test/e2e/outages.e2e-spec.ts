import { randomBytes } from 'node:crypto';
import { login, postJson, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { OPEN_RULES } from '@backlot/testing/data';
import { POSTGRES_SERVER_AVAILABLE, POSTGRES_SERVER_UNAVAILABLE_REASON, PrivatePostgres } from '@backlot/testing/postgres-server';
import { PrivateRedis, REDIS_SERVER_AVAILABLE, redisHealthOf } from '@backlot/testing/redis-server';
import { TcpProxy } from '@backlot/testing/tcp-proxy';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';
import { eventually } from '@backlot/testing/test-jobs';

// The default SESSION_CACHE_TTL_SECONDS, and what a poll may add to it on a busy machine.
const SESSION_CACHE_BOUND_MS = 5_000;
const POLL_SLACK_MS = 2_500;
// DATABASE_STATEMENT_TIMEOUT_MS and DATABASE_CONNECT_TIMEOUT_MS below are 1 s: a request that
// needs the database answers within a few seconds. Without deadlines it waits for as long as
// the server is frozen.
const DATABASE_DEADLINE_MS = 8_000;

// Outages of their own (private Redis and PostgreSQL, never the shared ones). They run in the
// PostgreSQL pass (`npm run test:pg`), where the binaries are known to be there.
const unavailable = !TEST_DATABASE_URL
  ? 'runs with TEST_DATABASE_URL (npm run test:pg)'
  : !POSTGRES_SERVER_AVAILABLE
    ? POSTGRES_SERVER_UNAVAILABLE_REASON
    : !REDIS_SERVER_AVAILABLE
      ? 'redis-server is not installed'
      : undefined;

(unavailable ? describe.skip : describe)(`two instances through outages${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let a: TestApp;
  let b: TestApp;
  // Both instances log to one list: Nest's static loggers write through the app created last.
  const logs: string[] = [];
  const logDestination = { write: (chunk: string) => void logs.push(chunk) };

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    redis = await PrivateRedis.start();
    proxy = await TcpProxy.start(redis.port);
    const env = {
      DATABASE_URL: postgres.url(),
      MIGRATE_ON_START: 'true',
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      REDIS_KEY_PREFIX: 'outages:',
      AUTH_RATE_LIMIT_MAX: '1000',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
    };
    // A reaches Redis through the proxy (its route can be cut); B connects directly.
    a = await startTestApp({ env: { ...env, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, logDestination });
    b = await startTestApp({ sameEnvironmentAs: a, env: { REDIS_URL: redis.url }, logDestination });
  });
  afterAll(async () => {
    // A failed test may leave the server frozen: the apps could not close against it.
    postgres?.thaw();
    await b?.close();
    await a?.close();
    await proxy?.close();
    await redis?.remove();
    await postgres?.remove();
  });

  describe('when one instance loses Redis', () => {
    afterEach(async () => {
      proxy.mend();
      await eventually('A to reach Redis again', async () => (await redisHealthOf(a)) === 'up');
    });

    // A's eviction of the revoked state cannot reach Redis, and B keeps reading it from there.
    it('refuses on the other instance a session revoked through the cut-off one, within the session cache bound', async () => {
      const user = await signedInUser(a);
      const other = sessionFor(b, user, await login(b, user.email, user.password));
      expect((await other.request('/users/me')).status).toBe(200);

      await cutOff();
      expect((await user.request(`/auth/sessions/${other.sessionId}`, { method: 'DELETE' })).status).toBe(204);
      const revokedAt = Date.now();
      await refusedWithinBound(() => other.request('/users/me'), revokedAt);
    });

    it('refuses on the other instance an API key revoked through the cut-off one, within the same bound', async () => {
      const user = await signedInUser(a);
      const created = await json<{ id: string; key: string }>(
        await user.json('POST', '/auth/api-keys', { name: 'partition', scopes: ['profile:read'] }),
      );
      const onB = () => b.request('/api/v1/users/me', { headers: { 'x-api-key': created.key } });
      expect((await onB()).status).toBe(200);

      await cutOff();
      expect((await user.request(`/auth/api-keys/${created.id}`, { method: 'DELETE' })).status).toBe(204);
      const revokedAt = Date.now();
      await refusedWithinBound(onB, revokedAt);
    });

    async function cutOff(): Promise<void> {
      proxy.cut();
      await eventually('A to lose Redis', async () => (await redisHealthOf(a)) === 'down');
      expect(await redisHealthOf(b)).toBe('up');
    }

    async function refusedWithinBound(call: () => Promise<Response>, since: number): Promise<void> {
      let status = 200;
      while (status !== 401 && Date.now() - since <= SESSION_CACHE_BOUND_MS + POLL_SLACK_MS) {
        status = (await call()).status;
        if (status !== 401) await pause(200);
      }
      expect({ status, afterMs: Date.now() - since }).toEqual({ status: 401, afterMs: expect.any(Number) });
    }
  });

  describe('when PostgreSQL stops answering', () => {
    let admin: UserSession;
    let user: UserSession;

    beforeAll(async () => {
      admin = await signedInUser(a, { role: 'admin' });
      user = await signedInUser(a);
      const created = await admin.json('POST', '/collections', {
        name: 'outage_notes',
        fields: [{ name: 'title', type: 'text' }],
        rules: OPEN_RULES,
      });
      expect(created.status).toBe(201);
    });

    it('answers 503 with Retry-After within its deadline on every route while frozen, and recovers', async () => {
      const fresh = await freshSession();
      postgres.freeze();
      try {
        await expectUnavailableEverywhere(fresh);
      } finally {
        postgres.thaw();
      }
      await expectRecovered();
    });

    it('answers 503 with Retry-After on every route while stopped, and recovers after a restart', async () => {
      const fresh = await freshSession();
      await postgres.stop();
      try {
        await expectUnavailableEverywhere(fresh);
      } finally {
        await postgres.start();
      }
      await expectRecovered();
    });

    /** A token never used yet: its session state is not cached, so the guard needs the database. */
    async function freshSession(): Promise<UserSession> {
      return sessionFor(a, user, await login(a, user.email, user.password));
    }

    /** Each call needs the database: a new session's token, a list, a create, a login. */
    async function expectUnavailableEverywhere(fresh: UserSession): Promise<void> {
      const calls: [string, () => Promise<Response>][] = [
        ['GET /users/me', () => fresh.request('/users/me')],
        ['GET records', () => a.request('/api/v1/collections/outage_notes/records')],
        ['POST records', () => postJson(a, '/collections/outage_notes/records', { title: 'during the outage' })],
        ['POST /auth/login', () => postJson(a, '/auth/login', { email: user.email, password: user.password })],
      ];
      for (const [name, call] of calls) {
        const started = Date.now();
        const response = await call();
        const body = await json(response);
        expect({ name, status: response.status, retryAfter: response.headers.get('retry-after') }).toEqual({
          name,
          status: 503,
          retryAfter: '5',
        });
        expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(Date.now() - started).toBeLessThan(DATABASE_DEADLINE_MS);
        expect(body).toMatchObject({ type: 'https://backlot.dev/problems/unavailable', errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
        expect(JSON.stringify(body)).not.toMatch(new RegExp(`127\\.0\\.0\\.1|${postgres.port}|ECONN|postgres`, 'i'));
        expect(logs.some((line) => line.includes(body.errorId as string))).toBe(true);
      }
      for (const instance of [a, b]) {
        const ready = await instance.request('/api/v1/health/ready');
        expect(ready.status).toBe(503);
        expect(await json(ready)).toMatchObject({ checks: { database: { status: 'down', required: true } } });
      }
    }

    async function expectRecovered(): Promise<void> {
      await eventually('readiness back', async () => (await a.request('/api/v1/health/ready')).status === 200);
      expect((await user.request('/users/me')).status).toBe(200);
      expect((await postJson(a, '/collections/outage_notes/records', { title: 'after the outage' })).status).toBe(201);
      expect((await b.request('/api/v1/collections/outage_notes/records')).status).toBe(200);
      await login(b, user.email, user.password);
    }
  });
});

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
