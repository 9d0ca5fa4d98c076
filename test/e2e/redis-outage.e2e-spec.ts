import { ProbeModule } from '@backlot/testing/probe.module';
import { PrivateRedis, REDIS_SERVER_AVAILABLE, redisHealthOf } from '@backlot/testing/redis-server';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { login, sessionFor, signedInUser } from '@backlot/testing/auth';

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
  const redisIs = (status: 'up' | 'down') => async () => (await redisHealthOf(t)) === status;

  // A load balancer must not pull every instance at once for an outage they all ride out.
  it('keeps serving with the cache bypassed, stays ready but degraded, and recovers by itself', async () => {
    const beforeOutage = await cached('k');
    expect(await cached('k')).toBe(beforeOutage);

    await redis.stop();
    await waitUntil(redisIs('down'));
    const degraded = await ready();
    expect(degraded.status).toBe(200);
    expect(await json(degraded)).toMatchObject({
      status: 'degraded',
      checks: { redis: { status: 'down', required: false }, database: { status: 'up', required: true } },
    });

    // Requests succeed without the cache: every call runs the loader.
    const during = await cached('k');
    expect(await cached('k')).toBeGreaterThan(during);
    // Rate-limited routes keep working too (counted in memory meanwhile).
    expect((await t.request('/api/v1/probe/limited')).status).toBe(200);
    // An invalidation made during the outage must not be lost.
    expect((await t.request('/api/v1/probe/cached/invalidate', { method: 'POST' })).status).toBe(201);

    await redis.start();
    await waitUntil(redisIs('up'), 15_000);
    expect(await json(await ready())).toMatchObject({ status: 'ok' });

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
    await waitUntil(redisIs('down'));
    expect((await user.request(`/auth/sessions/${other.sessionId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await other.request('/users/me')).status).toBe(401);

    await redis.start();
    await waitUntil(redisIs('up'), 15_000);
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
