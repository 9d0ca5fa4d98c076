import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { isChange, openSse, type SseStream, titleOf } from '@backlot/testing/sse-client';
import { json, type TestApp } from '@backlot/testing/test-app';

/** Who may open a stream, how long it lives, and how a client picks up where it left off. */
describe('realtime sessions, tickets, resume and limits', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp({
      REALTIME_HEARTBEAT_SECONDS: '1',
      REALTIME_REPLAY_SIZE: '5',
      REALTIME_REPLAY_MAX_BYTES: '65536',
      REALTIME_MAX_CONNECTIONS_PER_USER: '3',
    }));
    const fields = [{ name: 'title', type: 'text', required: true }];
    expect((await admin.json('POST', '/collections', { name: 'notes', fields, rules: OWNER_ONLY_RULES })).status).toBe(201);
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  afterAll(() => t?.close());

  async function open(query: string, headers: Record<string, string> = {}, lastEventId?: string) {
    const stream = await openSse(`${t.baseUrl}/api/v1/realtime?${query}`, { headers, lastEventId });
    streams.push(stream);
    if (stream.status === 200) await stream.next((e) => e.event === 'ready');
    return stream;
  }
  const bearer = (user: UserSession) => ({ authorization: `Bearer ${user.accessToken}` });
  const create = async (user: UserSession, title: string) =>
    json<{ id: string }>(await user.json('POST', '/collections/notes/records', { title }));

  describe('tickets', () => {
    it('open a stream once, for the user they were issued to', async () => {
      const issued = await alice.json('POST', '/realtime/tickets');
      expect(issued.status).toBe(201);
      const { ticket, expiresAt } = await json<{ ticket: string; expiresAt: string }>(issued);
      expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(30_000);

      const stream = await open(`subscribe=notes&ticket=${ticket}`);
      expect(stream.status).toBe(200);
      await create(bob, 'not for alice');
      await create(alice, 'for alice');
      expect(titleOf(await stream.next(isChange))).toBe('for alice');

      const again = await open(`subscribe=notes&ticket=${ticket}`);
      expect(again.status).toBe(401);
      expect(again.problem).toMatchObject({ status: 401, detail: expect.stringMatching(/unknown, expired or already used/) });
    });

    it('refuse unknown tickets and anonymous issuing', async () => {
      expect((await open('subscribe=notes&ticket=nope')).status).toBe(401);
      expect((await t.request('/api/v1/realtime/tickets', { method: 'POST' })).status).toBe(401);
    });
  });

  it('ends a stream with `revoked` when its session is revoked', async () => {
    const user = await signedInUser(t);
    const stream = await open('subscribe=notes', bearer(user));
    const fromTicket = await open(
      `subscribe=notes&ticket=${(await json<{ ticket: string }>(await user.json('POST', '/realtime/tickets'))).ticket}`,
    );
    expect((await user.request(`/auth/sessions/${user.sessionId}`, { method: 'DELETE' })).status).toBe(204);
    for (const s of [stream, fromTicket]) {
      const last = await s.next((e) => e.event === 'revoked', 10_000);
      expect(last.json).toMatchObject({ reason: expect.any(String) });
      await s.ended;
    }
  });

  describe('resume with Last-Event-ID', () => {
    it('replays the events missed while disconnected, in order, then goes on live', async () => {
      const first = await open('subscribe=notes', bearer(alice));
      await create(alice, 'r1');
      const seen = await first.next(isChange);
      first.close();
      await create(alice, 'r2');
      await create(bob, 'bob meanwhile');
      await create(alice, 'r3');

      const resumed = await open('subscribe=notes', bearer(alice), seen.id);
      expect((await resumed.take(2, isChange)).map(titleOf)).toEqual(['r2', 'r3']);
      await create(alice, 'r4');
      expect(titleOf(await resumed.next(isChange))).toBe('r4');

      // A fresh page passes the id as a query parameter instead.
      const fresh = await open(`subscribe=notes&lastEventId=${seen.id!}`, bearer(alice));
      expect((await fresh.take(3, isChange)).map(titleOf)).toEqual(['r2', 'r3', 'r4']);
    });

    it('says `resync` when the id is older than the replay buffer (or unknown), and goes on live', async () => {
      const first = await open('subscribe=notes', bearer(alice));
      await create(alice, 'old');
      const seen = await first.next(isChange);
      first.close();
      for (let i = 0; i < 6; i++) await create(bob, `flood ${i}`);

      const resumed = await open('subscribe=notes', bearer(alice), seen.id);
      expect((await resumed.next((e) => e.event !== 'ready')).event).toBe('resync');
      await create(alice, 'after');
      expect(titleOf(await resumed.next(isChange))).toBe('after');
      expect(resumed.received.filter(isChange)).toHaveLength(1);

      // However malformed the id (here far longer than any event id), the client is told, not left without its gap.
      const garbled = await open('subscribe=notes', bearer(alice), 'x'.repeat(500));
      expect((await garbled.next((e) => e.event !== 'ready')).event).toBe('resync');
    });

    it('says `resync` when the events after the id outgrew the replay byte budget, though few', async () => {
      const first = await open('subscribe=notes', bearer(alice));
      await create(alice, 'small');
      const seen = await first.next(isChange);
      first.close();
      // Two records of 40 KB (any collection's) pass the 64 KiB budget: the oldest event goes, far below the count of 5.
      const fields = [{ name: 'body', type: 'text', maxLength: 40_000 }];
      expect((await admin.json('POST', '/collections', { name: 'blobs', fields, rules: OWNER_ONLY_RULES })).status).toBe(201);
      for (let i = 0; i < 2; i++)
        expect((await bob.json('POST', '/collections/blobs/records', { body: 'x'.repeat(40_000) })).status).toBe(201);

      const resumed = await open('subscribe=notes', bearer(alice), seen.id);
      expect((await resumed.next((e) => e.event !== 'ready')).event).toBe('resync');
    });
  });

  it('refuses connections beyond the per-user limit with 429, and frees the slot when one closes', async () => {
    const opened = [
      await open('subscribe=notes', bearer(bob)),
      await open('subscribe=notes', bearer(bob)),
      await open('subscribe=notes', bearer(bob)),
    ];
    expect(opened.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await open('subscribe=notes', bearer(bob));
    expect(refused.status).toBe(429);
    expect(refused.problem).toMatchObject({ status: 429, detail: expect.stringMatching(/At most 3/) });
    // Others are counted on their own.
    expect((await open('subscribe=notes', bearer(alice))).status).toBe(200);
    opened[0].close();
    await opened[0].ended;
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      const retry = await open('subscribe=notes', bearer(bob));
      status = retry.status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
  });

  describe('bad input is refused before the stream starts', () => {
    const cases: [string, string, number, RegExp][] = [
      ['malformed filter', `subscribe=notes&filter.notes=${encodeURIComponent("title = 'a' &&")}`, 400, /filter\.notes/],
      ['unknown filter field', `subscribe=notes&filter.notes=${encodeURIComponent('nope = 1')}`, 400, /nope/],
      [
        'collation-dependent filter',
        `subscribe=notes&filter.notes=${encodeURIComponent("title > 'm'")}`,
        400,
        /not supported for realtime/,
      ],
      ['filter for an unsubscribed collection', `subscribe=notes&filter.other=${encodeURIComponent("title = 'a'")}`, 400, /not subscribed/],
      ['unknown collection', 'subscribe=nope', 404, /no collection named/],
      ['bad record id', 'subscribe=notes:123', 400, /record uuid/],
      ['bad collection name', 'subscribe=Bad!', 400, /subscribe/],
      ['no subscription', '', 400, /at least one collection/],
      ['too many subscriptions', Array.from({ length: 21 }, (_, i) => `subscribe=c${i}`).join('&'), 400, /at most 20/],
      ['unknown parameter', 'subscribe=notes&foo=1', 400, /foo is not a parameter/],
      ['bad ticket', 'subscribe=notes&ticket=abc', 401, /ticket/],
    ];
    it.each(cases)('%s', async (_label, query, status, detail) => {
      const response = await open(query, bearer(alice));
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(response.problem)).toMatch(detail);
    });

    it('points at the position of a malformed filter', async () => {
      const response = await open(`subscribe=notes&filter.notes=${encodeURIComponent("title = 'a' && && x")}`, bearer(alice));
      expect(response.status).toBe(400);
      expect(response.problem).toMatchObject({ position: expect.any(Number), errors: [{ path: 'filter.notes' }] });
    });

    it('refuses a filter on a hidden field to everyone but admins, so it cannot probe hidden values', async () => {
      const fields = [
        { name: 'title', type: 'text', required: true },
        { name: 'code', type: 'text', hidden: true },
      ];
      const rules = { list: '', view: '', create: '@me != null', update: null, delete: null };
      expect((await admin.json('POST', '/collections', { name: 'vault', fields, rules })).status).toBe(201);
      const probe = `subscribe=vault&filter.vault=${encodeURIComponent("code = 'x'")}`;

      for (const caller of [bearer(alice), {}]) {
        const refused = await open(probe, caller);
        expect(refused.status).toBe(400);
        expect(refused.problem).toMatchObject({ detail: expect.stringMatching(/Unknown field code/), errors: [{ path: 'filter.vault' }] });
      }
      const asAdmin = await open(probe, bearer(admin));
      expect(asAdmin.status).toBe(200);
      expect((await admin.json('POST', '/collections/vault/records', { title: 'other', code: 'y' })).status).toBe(201);
      expect((await admin.json('POST', '/collections/vault/records', { title: 'match', code: 'x' })).status).toBe(201);
      const seen = await asAdmin.next(isChange);
      expect(titleOf(seen)).toBe('match');
      // Even an admin's stream shows the record as GET does: without its hidden fields.
      expect(seen.json).not.toHaveProperty('record.code');
    });

    it('answers 403 when the collection is closed to the caller, and 401 for a bad token', async () => {
      const fields = [{ name: 'title', type: 'text' }];
      expect((await admin.json('POST', '/collections', { name: 'staff', fields })).status).toBe(201);
      expect((await open('subscribe=staff', bearer(alice))).status).toBe(403);
      expect((await open('subscribe=staff')).status).toBe(403);
      expect((await open('subscribe=staff', bearer(admin))).status).toBe(200);
      expect((await open('subscribe=notes', { authorization: 'Bearer nope' })).status).toBe(401);
    });
  });
});
