import { CacheService } from '@backlot/cache';
import { ProbeModule } from '@backlot/testing/probe.module';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_REDIS_URL } from '@backlot/testing/test-env';

describe(`CacheService (${TEST_REDIS_URL ? 'Redis' : 'in-process memory'})`, () => {
  let t: TestApp;
  let cache: CacheService;

  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule] });
    cache = t.app.get(CacheService);
  });
  afterAll(() => t?.close());

  it('stores and reads values per namespace', async () => {
    await cache.namespace('a').set('k', { n: 1 });
    await cache.namespace('b').set('k', { n: 2 });
    expect(await cache.namespace('a').get('k')).toEqual({ n: 1 });
    expect(await cache.namespace('b').get('k')).toEqual({ n: 2 });
  });

  it('drops a whole namespace on invalidate and leaves the others', async () => {
    await cache.namespace('users').set('1', 'alice');
    await cache.namespace('users').set('2', 'bob');
    await cache.namespace('orders').set('1', 'order');
    await cache.namespace('users').invalidate();
    expect(await cache.namespace('users').get('1')).toBeUndefined();
    expect(await cache.namespace('users').get('2')).toBeUndefined();
    expect(await cache.namespace('orders').get('1')).toBe('order');
  });

  it('runs one load for concurrent misses of the same key', async () => {
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'value';
    };
    const values = await Promise.all(Array.from({ length: 10 }, () => cache.namespace('stampede').getOrSet('k', load)));
    expect(values).toEqual(Array(10).fill('value'));
    expect(loads).toBe(1);
    expect(await cache.namespace('stampede').getOrSet('k', load)).toBe('value');
    expect(loads).toBe(1);
  });

  it('expires entries after their TTL', async () => {
    await cache.namespace('ttl').set('k', 'v', 1);
    expect(await cache.namespace('ttl').get('k')).toBe('v');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await cache.namespace('ttl').get('k')).toBeUndefined();
  });

  it('counts hits and misses for the admin stats', async () => {
    const before = await cache.stats();
    await cache.namespace('stats').get('absent');
    await cache.namespace('stats').set('present', 1);
    await cache.namespace('stats').get('present');
    const after = await cache.stats();
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });

  it('rejects namespace names that could collide with other keys', () => {
    expect(() => cache.namespace('a:b')).toThrow(/Invalid cache namespace/);
    expect(() => cache.namespace('')).toThrow(/Invalid cache namespace/);
  });
});
