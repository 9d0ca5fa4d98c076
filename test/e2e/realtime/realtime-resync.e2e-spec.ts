import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { PrivateRedis, REDIS_SERVER_AVAILABLE, redisHealthOf } from '@backlot/testing/redis-server';
import { isChange, openSse, type SseStream, titleOf } from '@backlot/testing/sse-client';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';

/** Redis pub/sub delivers at most once: where changes may have been lost, streams are told to resync instead of skipping them silently. */
(REDIS_SERVER_AVAILABLE ? describe : describe.skip)('realtime when the bus loses changes', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  let alice: UserSession;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    t = await startTestApp({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'rt-resync:', AUTH_RATE_LIMIT_MAX: '1000' } });
    const admin = await signedInUser(t, { role: 'admin' });
    alice = await signedInUser(t);
    const fields = [{ name: 'title', type: 'text', required: true }];
    expect((await admin.json('POST', '/collections', { name: 'notes', fields, rules: OWNER_ONLY_RULES })).status).toBe(201);
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await t?.close();
    await redis?.remove();
  });

  async function open(lastEventId?: string): Promise<SseStream> {
    const stream = await openSse(`${t.baseUrl}/api/v1/realtime?subscribe=notes`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
      lastEventId,
    });
    expect(stream.status).toBe(200);
    streams.push(stream);
    await stream.next((e) => e.event === 'ready');
    return stream;
  }
  const create = async (title: string) => expect((await alice.json('POST', '/collections/notes/records', { title })).status).toBe(201);
  const ready = async () => (await redisHealthOf(t)) === 'up';

  it('sends resync when a change cannot be published, and resumes from before it with resync', async () => {
    const stream = await open();
    await create('before the outage');
    const seen = await stream.next(isChange);

    await redis.stop();
    // Stored, but never fanned out: the stream hears that it missed something.
    await create('during the outage');
    const told = await stream.next();
    expect(told.event).toBe('resync');
    expect(told.json).toMatchObject({ reason: expect.stringMatching(/may not have reached/) });

    await redis.start();
    await eventually('Redis back', ready);
    // The bus subscriber came back too, and says so: what was published meanwhile is lost as well.
    expect((await stream.next()).event).toBe('resync');
    const resumed = await open(seen.id);
    expect((await resumed.next((e) => e.event !== 'ready')).event).toBe('resync');
    await create('after the outage');
    expect(titleOf(await resumed.next(isChange))).toBe('after the outage');
  });

  it('sends resync when the bus subscriber had to reconnect, then goes on live', async () => {
    const stream = await open();
    redis.cutSubscribers();
    expect((await stream.next()).event).toBe('resync');
    await create('after the reconnect');
    expect(titleOf(await stream.next(isChange))).toBe('after the reconnect');
  });
});
