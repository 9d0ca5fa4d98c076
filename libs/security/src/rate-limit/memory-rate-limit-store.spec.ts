import { MemoryRateLimitStore } from './memory-rate-limit-store';

describe('MemoryRateLimitStore', () => {
  let store: MemoryRateLimitStore;
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    store = new MemoryRateLimitStore();
  });
  afterEach(() => {
    store.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('counts hits in a window and blocks past the limit until the block ends', async () => {
    for (let i = 1; i <= 3; i++)
      expect(await store.increment('ip', 60_000, 3, 60_000, 'default')).toMatchObject({ totalHits: i, isBlocked: false });
    expect(await store.increment('ip', 60_000, 3, 60_000, 'default')).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
    jest.advanceTimersByTime(30_000);
    expect(await store.increment('ip', 60_000, 3, 60_000, 'default')).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    jest.advanceTimersByTime(30_001);
    expect(await store.increment('ip', 60_000, 3, 60_000, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps separate counters per key and per throttler', async () => {
    await store.increment('a', 60_000, 1, 60_000, 'default');
    expect(await store.increment('b', 60_000, 1, 60_000, 'default')).toMatchObject({ isBlocked: false });
    expect(await store.increment('a', 60_000, 1, 60_000, 'credentials')).toMatchObject({ isBlocked: false });
    expect(await store.increment('a', 60_000, 1, 60_000, 'default')).toMatchObject({ isBlocked: true });
  });

  it('starts a new window after the old one ends and sweeps finished windows', async () => {
    await store.increment('ip', 1_000, 5, 1_000, 'default');
    await store.increment('ip', 1_000, 5, 1_000, 'default');
    jest.advanceTimersByTime(1_001);
    expect(await store.increment('ip', 1_000, 5, 1_000, 'default')).toMatchObject({ totalHits: 1, timeToExpire: 1 });
    jest.advanceTimersByTime(61_000);
    expect(store.size).toBe(0);
  });

  it('costs the same per request however many requests the window holds', async () => {
    for (let i = 0; i < 100_000; i++) await store.increment('ip', 60_000, 1_000_000, 60_000, 'default');
    expect(await store.increment('ip', 60_000, 1_000_000, 60_000, 'default')).toMatchObject({ totalHits: 100_001 });
    expect(store.size).toBe(1);
  });
});
