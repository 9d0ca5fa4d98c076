import { ProbeModule } from '../helpers/probe.module';
import { json, startTestApp, type TestApp } from '../helpers/test-app';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/test-env';

const shared = TEST_DATABASE_URL && TEST_REDIS_URL;

// Two instances of one deployment (same PostgreSQL database, same Redis prefix) need the
// shared services; on the embedded database there is only ever one instance.
(shared ? describe : describe.skip)('two instances on one PostgreSQL and one Redis', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp({ imports: [ProbeModule] });
    b = await startTestApp({ imports: [ProbeModule], sameEnvironmentAs: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const cached = async (t: TestApp, key: string) => (await json<{ loads: number }>(await t.request(`/api/v1/probe/cached/${key}`))).loads;

  it('share cached values', async () => {
    const first = await cached(a, 'shared');
    expect(await cached(b, 'shared')).toBe(first);
  });

  it('see an invalidation made on the other instance at once', async () => {
    const before = await cached(a, 'inv');
    expect(await cached(b, 'inv')).toBe(before);
    await b.request('/api/v1/probe/cached/invalidate', { method: 'POST' });
    // A's loader runs again: its counter moved past the value cached before the invalidation.
    expect(await cached(a, 'inv')).toBeGreaterThan(before);
  });

  it('count rate limits across both', async () => {
    const statuses = [];
    for (const t of [a, b, a, b]) statuses.push((await t.request('/api/v1/probe/limited')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('both report ready with database and Redis up', async () => {
    for (const t of [a, b]) {
      const body = await json<{ checks: Record<string, { status: string }> }>(await t.request('/api/v1/health/ready'));
      expect(body.checks).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
    }
  });
});
