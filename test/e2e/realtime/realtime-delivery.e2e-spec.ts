import { OPEN_RULES, OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import type { UserSession } from '@backlot/testing/auth';
import { isChange, openSse, type SseEvent, type SseStream } from '@backlot/testing/sse-client';
import { json, type TestApp } from '@backlot/testing/test-app';

/** Record changes reach subscribers in order, shaped and filtered as each subscriber may see them. */
describe('realtime delivery', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp({ REALTIME_HEARTBEAT_SECONDS: '1' }));
    const notes = [
      { name: 'title', type: 'text', required: true },
      { name: 'status', type: 'text' },
      { name: 'secret', type: 'text', hidden: true },
    ];
    expect((await admin.json('POST', '/collections', { name: 'notes', fields: notes, rules: OWNER_ONLY_RULES })).status).toBe(201);
    const posts = [{ name: 'title', type: 'text', required: true }];
    expect((await admin.json('POST', '/collections', { name: 'posts', fields: posts, rules: OPEN_RULES })).status).toBe(201);
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  afterAll(() => t?.close());

  async function subscribe(user: UserSession | null, query: string): Promise<SseStream> {
    const headers: Record<string, string> = user ? { authorization: `Bearer ${user.accessToken}` } : {};
    const stream = await openSse(`${t.baseUrl}/api/v1/realtime?${query}`, { headers });
    expect(stream.status).toBe(200);
    streams.push(stream);
    await stream.next((e) => e.event === 'ready');
    return stream;
  }
  const record = (e: SseEvent) => e.json!.record as Record<string, unknown>;

  it('streams create, update and delete in order, each as GET shows it (hidden fields never)', async () => {
    const mine = await subscribe(alice, 'subscribe=notes');
    const asAdmin = await subscribe(admin, 'subscribe=notes');
    expect(mine.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(mine.headers.get('cache-control')).toBe('no-cache');
    expect(mine.headers.get('x-request-id')).toBeTruthy();

    const note = await json<{ id: string }>(await alice.json('POST', '/collections/notes/records', { title: 'a', secret: 's' }));
    await alice.json('PATCH', `/collections/notes/records/${note.id}`, { title: 'b' });
    expect((await alice.request(`/collections/notes/records/${note.id}`, { method: 'DELETE' })).status).toBe(204);

    for (const stream of [mine, asAdmin]) {
      const events = await stream.take(3, isChange);
      expect(events.map((e) => `${e.event}:${record(e).title as string}`)).toEqual(['created:a', 'updated:b', 'deleted:b']);
      expect(events.every((e) => e.json!.collection === 'notes' && record(e).id === note.id)).toBe(true);
      expect(events.map((e) => e.json!.action)).toEqual(['created', 'updated', 'deleted']);
      // Ids are time-ordered UUIDv7s: the resume point.
      expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id!)].sort());
      for (const event of events) expect(record(event)).not.toHaveProperty('secret');
      expect(record(events[2]).deleted).toBeDefined();
    }
    // The same view as a GET of the record right after its creation.
    expect(record(mine.received.find((e) => e.event === 'created')!)).toMatchObject({ id: note.id, owner: alice.userId, version: 1 });
  });

  // Each connection gets its events in order, so a negative check ends with an event the subscriber may see: a record
  // it must not get, had it been sent, would have arrived before that one.
  it('never sends a subscriber a record its rules hide, while sending its own', async () => {
    const bobs = await subscribe(bob, 'subscribe=notes');
    const anonymous = await subscribe(null, 'subscribe=notes&subscribe=posts');
    await alice.json('POST', '/collections/notes/records', { title: 'alice only' });
    const own = await json<{ id: string }>(await bob.json('POST', '/collections/notes/records', { title: 'bob own' }));
    await admin.json('POST', '/collections/posts/records', { title: 'for everyone' });

    const first = await bobs.next(isChange);
    expect(first.event).toBe('created');
    expect(record(first)).toMatchObject({ id: own.id, title: 'bob own' });
    // Neither note reached the anonymous subscriber: the open post is the first change it got.
    expect(record(await anonymous.next(isChange))).toMatchObject({ title: 'for everyone' });
  });

  it('needs the view rule as well as the list rule', async () => {
    const rules = { ...OPEN_RULES, view: 'owner = @me' };
    expect((await admin.json('POST', '/collections', { name: 'drafts', fields: [{ name: 'title', type: 'text' }], rules })).status).toBe(
      201,
    );
    const bobs = await subscribe(bob, 'subscribe=drafts');
    await alice.json('POST', '/collections/drafts/records', { title: 'listed, not viewable' });
    await bob.json('POST', '/collections/drafts/records', { title: 'bob own draft' });
    expect(record(await bobs.next(isChange)).title).toBe('bob own draft');
  });

  it('applies a collection’s new rules to streams already open', async () => {
    expect(
      (await admin.json('POST', '/collections', { name: 'board', fields: [{ name: 'title', type: 'text' }], rules: OPEN_RULES })).status,
    ).toBe(201);
    const bobs = await subscribe(bob, 'subscribe=board');
    await alice.json('POST', '/collections/board/records', { title: 'while open' });
    expect(record(await bobs.next(isChange)).title).toBe('while open');

    expect((await admin.json('PATCH', '/collections/board', { rules: OWNER_ONLY_RULES })).status).toBe(200);
    await alice.json('POST', '/collections/board/records', { title: 'after the rules closed' });
    await bob.json('POST', '/collections/board/records', { title: 'bob own post' });
    expect(record(await bobs.next(isChange)).title).toBe('bob own post');
  });

  it('narrows to one record, and by a filter', async () => {
    const [one, other] = await Promise.all(
      ['one', 'other'].map(async (title) => json<{ id: string }>(await alice.json('POST', '/collections/notes/records', { title }))),
    );
    const single = await subscribe(alice, `subscribe=notes:${one.id.toUpperCase()}`);
    const open = await subscribe(alice, `subscribe=notes&filter.notes=${encodeURIComponent("status = 'open' && title ~ 'x'")}`);
    await alice.json('PATCH', `/collections/notes/records/${other.id}`, { status: 'open', title: 'x other' });
    await alice.json('PATCH', `/collections/notes/records/${one.id}`, { status: 'closed', title: 'x one' });
    await alice.json('PATCH', `/collections/notes/records/${one.id}`, { status: 'open' });

    expect((await single.take(2, isChange)).map((e) => `${record(e).id as string}:${record(e).status as string}`)).toEqual([
      `${one.id}:closed`,
      `${one.id}:open`,
    ]);
    // The closed version in between fails the filter: had it been sent, it would be the second event.
    expect((await open.take(2, isChange)).map((e) => `${record(e).title as string}:${record(e).status as string}`)).toEqual([
      'x other:open',
      'x one:open',
    ]);
  });

  it('delivers changes made through batches and imports', async () => {
    const stream = await subscribe(alice, 'subscribe=notes');
    expect(
      (
        await alice.json('POST', '/collections/notes/batch', {
          operations: [
            { action: 'create', data: { title: 'batch-1' } },
            { action: 'create', data: { title: 'batch-2' } },
          ],
        })
      ).status,
    ).toBe(200);
    const imported = await alice.request('/collections/notes/import', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"title":"imported-1"}\n{"title":"imported-2"}',
    });
    expect(imported.status).toBe(201);
    const titles = (await stream.take(4, isChange)).map((e) => record(e).title as string);
    expect(titles.slice(0, 2)).toEqual(['batch-1', 'batch-2']);
    expect(titles.slice(2).sort()).toEqual(['imported-1', 'imported-2']);
  });

  it('sends heartbeats', async () => {
    const stream = await subscribe(alice, 'subscribe=posts');
    const ready = stream.received[0];
    expect(ready.json).toEqual({ subscriptions: [{ collection: 'posts', recordId: null, filter: null }], heartbeatSeconds: 1 });
    for (let i = 0; i < 40 && !stream.comments.includes('ping'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stream.comments).toContain('ping');
  });
});
