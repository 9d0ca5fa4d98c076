import { ClusterBus, RedisConnection } from '@backlot/cache';
import { PrivateRedis, REDIS_SERVER_AVAILABLE, redisHealthOf } from '@backlot/testing/redis-server';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';

// Across instances (Redis pub/sub) this is proven in instances.e2e-spec.ts; here, one instance.
describe('the cluster bus on one instance', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('delivers a published message to every subscriber of the channel, and to no other', async () => {
    const bus = t.app.get(ClusterBus);
    const seen: string[] = [];
    const stopFirst = await bus.subscribe('test.one', (message) => seen.push(`first:${(message as { v: string }).v}`));
    const stopSecond = await bus.subscribe('test.one', (message) => seen.push(`second:${(message as { v: string }).v}`));
    const stopOther = await bus.subscribe('test.other', () => seen.push('other'));

    await bus.publish('test.one', { v: 'a' });
    await eventually('delivery', () => seen.length === 2);
    expect(seen.sort()).toEqual(['first:a', 'second:a']);

    await stopFirst();
    await bus.publish('test.one', { v: 'b' });
    await eventually('delivery to the remaining subscriber', () => seen.length === 3);
    expect(seen[2]).toBe('second:b');
    await stopSecond();
    await stopOther();
  });

  it('refuses channel names that could collide with other keys', async () => {
    await expect(t.app.get(ClusterBus).publish('bad channel*', {})).rejects.toThrow(/Invalid channel/);
  });
});

// Two instances on one private Redis (each with its own embedded database: the bus needs only Redis).
(REDIS_SERVER_AVAILABLE ? describe : describe.skip)('the cluster bus says when messages may have been lost', () => {
  let redis: PrivateRedis;
  let a: TestApp;
  let b: TestApp;
  const gaps = { a: 0, b: 0 };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'bus-gaps:' };
    a = await startTestApp({ env });
    b = await startTestApp({ env });
    a.app.get(ClusterBus).onGap(() => (gaps.a += 1));
    b.app.get(ClusterBus).onGap(() => (gaps.b += 1));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.remove();
  });

  /** Subscribes `b` to `channel`; `first` resolves with the first message `b` receives there. */
  async function subscribeOnB(channel: string): Promise<{ first: Promise<unknown> }> {
    let received!: (message: unknown) => void;
    const first = new Promise<unknown>((resolve) => (received = resolve));
    const unsubscribe = await b.app.get(ClusterBus).subscribe(channel, (message) => received(message));
    return { first: first.finally(unsubscribe) };
  }

  it('reports a failed publish at once, and to the other instances through Redis', async () => {
    const before = { ...gaps };
    jest.spyOn(a.app.get(RedisConnection).client, 'publish').mockRejectedValueOnce(new Error('Command timed out'));
    await expect(a.app.get(ClusterBus).publish('test.lost', { v: 1 })).rejects.toThrow(/timed out/);
    expect(gaps.a).toBe(before.a + 1);
    await eventually('the notice on the other instance', () => gaps.b === before.b + 1);
    // The publishing instance does not hear its own notice as a second gap.
    expect(gaps.a).toBe(before.a + 1);
  });

  it('reports a gap when its subscriber reconnects, once it is subscribed again', async () => {
    const { first } = await subscribeOnB('test.after');
    const before = { ...gaps };
    redis.cutSubscribers();
    await eventually('both instances reporting the reconnect', () => gaps.a > before.a && gaps.b > before.b);
    // The channel subscribed before the cut is live again.
    await a.app.get(ClusterBus).publish('test.after', { v: 2 });
    expect(await first).toEqual({ v: 2 });
  });

  it('reports a gap when Redis is away during a publish', async () => {
    await redis.stop();
    const before = gaps.a;
    await expect(a.app.get(ClusterBus).publish('test.down', { v: 3 })).rejects.toThrow();
    expect(gaps.a).toBe(before + 1);
    await redis.start();
    await eventually('the instances connected again', async () => (await redisHealthOf(a)) === 'up');
  });
});
