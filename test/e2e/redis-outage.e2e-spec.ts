import { ProbeModule } from '../helpers/probe.module';
import { PrivateRedis, REDIS_SERVER_AVAILABLE } from '../helpers/redis-server';
import { json, startTestApp, type TestApp } from '../helpers/test-app';
import { login, sessionFor, signedInUser } from '../helpers/auth';

(REDIS_SERVER_AVAILABLE ? describe : describe.skip)('when Redis goes away', () => {
  let redis: PrivateRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    t = await startTestApp({ imports: [ProbeModule], env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'outage:' } });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.remove();
  });

  const cached = async (key: string) => {
    const res = await t.request(`/api/v1/probe/cached/${key}`);
    expect(res.status).toBe(200);
    return (await json<{ loads: number }>(res)).loads;
  };
  const ready = () => t.request('/api/v1/health/ready');

  it('keeps serving with the cache bypassed, reports it, and recovers by itself', async () => {
    const beforeOutage = await cached('k');
    expect(await cached('k')).toBe(beforeOutage);

    await redis.stop();
    await waitUntil(async () => (await ready()).status === 503);
    const notReady = await ready();
    expect(notReady.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await json(notReady)).toMatchObject({ status: 503, checks: { redis: { status: 'down' }, database: { status: 'up' } } });

    // Requests succeed without the cache: every call runs the loader.
    const during = await cached('k');
    expect(await cached('k')).toBeGreaterThan(during);
    // Rate-limited routes keep working too (counted in memory meanwhile).
    expect((await t.request('/api/v1/probe/limited')).status).toBe(200);
    // An invalidation made during the outage must not be lost.
    expect((await t.request('/api/v1/probe/cached/invalidate', { method: 'POST' })).status).toBe(201);

    await redis.start();
    await waitUntil(async () => (await ready()).status === 200, 15_000);

    // Redis kept the entry cached before the outage, but the invalidation made meanwhile is
    // replayed on recovery, so that stale entry is never served.
    const afterRecovery = await cached('k');
    expect(afterRecovery).not.toBe(beforeOutage);
    expect(await cached('k')).toBe(afterRecovery);
  });

  it('never lets a session revoked during the outage come back when Redis returns', async () => {
    const user = await signedInUser(t);
    const other = sessionFor(t, user, await login(t, user.email, user.password));
    // Served once, so Redis holds the session as active.
    expect((await other.request('/users/me')).status).toBe(200);

    await redis.stop();
    await waitUntil(async () => (await ready()).status === 503);
    expect((await user.request(`/auth/sessions/${other.sessionId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await other.request('/users/me')).status).toBe(401);

    await redis.start();
    await waitUntil(async () => (await ready()).status === 200, 15_000);
    expect((await other.request('/users/me')).status).toBe(401);
    expect((await user.request('/users/me')).status).toBe(200);
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
