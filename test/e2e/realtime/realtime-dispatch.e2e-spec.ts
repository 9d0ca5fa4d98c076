import { ClusterBus } from '@backlot/cache';
import { DatabaseConnection } from '@backlot/database';
import { CollectionCatalog } from '../../../apps/api/src/data/collections/collection-catalog';
import { RecordAccess } from '../../../apps/api/src/data/access/record-access';
import { MAX_QUEUED_EVENTS } from '../../../apps/api/src/data/realtime/realtime-hub';
import { type RecordChangeEvent, RecordChanges } from '../../../apps/api/src/data/records/record-changes';
import type { UserSession } from '@backlot/testing/auth';
import { OPEN_RULES, startDataTestApp } from '@backlot/testing/data';
import { isChange, openSse, type SseEvent, type SseStream, titleOf } from '@backlot/testing/sse-client';
import { json, type TestApp } from '@backlot/testing/test-app';

const titled = (title: string) => (e: SseEvent) => isChange(e) && titleOf(e) === title;

/** How delivery copes with what goes wrong: a check that fails, checks only the database answers, a backlog. */
describe('realtime dispatch', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    const fields = [{ name: 'title', type: 'text', required: true }];
    expect((await admin.json('POST', '/collections', { name: 'posts', fields, rules: OPEN_RULES })).status).toBe(201);
    // Text ordering follows the database collation: every reader but the owner is answered by SQL.
    const collated = { ...OPEN_RULES, list: "owner = @me || title > 'm'", view: "owner = @me || title > 'm'" };
    expect((await admin.json('POST', '/collections', { name: 'shelf', fields, rules: collated })).status).toBe(201);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    streams.splice(0).forEach((s) => s.close());
  });
  afterAll(() => t?.close());

  async function subscribe(user: UserSession | null, query: string, lastEventId?: string): Promise<SseStream> {
    const headers: Record<string, string> = user ? { authorization: `Bearer ${user.accessToken}` } : {};
    const stream = await openSse(`${t.baseUrl}/api/v1/realtime?${query}`, { headers, lastEventId });
    expect(stream.status).toBe(200);
    streams.push(stream);
    await stream.next((e) => e.event === 'ready');
    return stream;
  }
  const create = async (user: UserSession, collection: string, title: string) =>
    json<{ id: string }>(await user.json('POST', `/collections/${collection}/records`, { title }));

  it('sends resync instead of the record to a reader whose check fails, and the record to the others', async () => {
    // Bob first: his failure must not stop the delivery to the readers after him.
    const bobs = await subscribe(bob, 'subscribe=posts');
    const alices = await subscribe(alice, 'subscribe=posts');
    const access = t.app.get(RecordAccess);
    const predicate = access.predicate.bind(access);
    jest.spyOn(access, 'predicate').mockImplementation((collection, action, caller) => {
      if (caller?.userId === bob.userId) throw new Error('rule evaluation broke');
      return predicate(collection, action, caller);
    });
    await create(admin, 'posts', 'checked');

    expect(titleOf(await alices.next(isChange))).toBe('checked');
    const told = await bobs.next((e) => e.event !== 'ready');
    expect(told.event).toBe('resync');
    expect(told.json).toMatchObject({ reason: expect.stringMatching(/could not be checked/) });

    jest.restoreAllMocks();
    await create(admin, 'posts', 'checked again');
    expect(titleOf(await bobs.next(isChange))).toBe('checked again');
  });

  it('answers every reader the evaluator cannot decide with one query per event', async () => {
    const readers = [
      await subscribe(alice, 'subscribe=shelf'),
      await subscribe(bob, 'subscribe=shelf'),
      await subscribe(null, 'subscribe=shelf'),
    ];
    const query = jest.spyOn(t.app.get(DatabaseConnection), 'query');
    await create(admin, 'shelf', 'z visible');
    await create(admin, 'shelf', 'a hidden');
    await create(admin, 'shelf', 'zz visible');

    for (const reader of readers) {
      // The hidden record came in between: had it been sent, it would be the second event.
      expect((await reader.take(2, isChange)).map(titleOf)).toEqual(['z visible', 'zz visible']);
    }
    // The visibility check reads the event's own row: a recordset with the row's times, no revision.
    const visibilityQueries = query.mock.calls.filter(([sql]) => /jsonb_to_recordset[\s\S]*created_at timestamptz/.test(sql));
    expect(visibilityQueries).toHaveLength(3);
  });

  it('tells every stream to resync when it falls too far behind, then goes on live', async () => {
    const live = await subscribe(alice, 'subscribe=posts');
    await create(admin, 'posts', 'before the backlog');
    const seen = await live.next(titled('before the backlog'));

    let template!: RecordChangeEvent;
    t.app.get(RecordChanges).onAny((event) => void (template ??= event));
    await create(admin, 'posts', 'copied');
    await live.next(titled('copied'));
    // Delivery stalls on the collection lookup while more changes arrive than the hub may queue.
    const catalog = t.app.get(CollectionCatalog);
    const find = catalog.find.bind(catalog);
    let resume!: () => void;
    const stalled = new Promise<void>((resolve) => (resume = resolve));
    jest.spyOn(catalog, 'find').mockImplementation(async (name) => {
      await stalled;
      return find(name);
    });
    const bus = t.app.get(ClusterBus);
    // In rounds: ten thousand commands at once outlast Redis's command timeout on a busy machine.
    for (let start = 0; start < MAX_QUEUED_EVENTS + 10; start += 500) {
      const round = Array.from({ length: Math.min(500, MAX_QUEUED_EVENTS + 10 - start) }, (_, i) => start + i);
      await Promise.all(round.map((i) => bus.publish('data.changes', { ...template, id: `flood-${i}` })));
    }

    const told = await live.next((e) => e.event === 'resync');
    expect(told.json).toMatchObject({ reason: expect.stringMatching(/fell too far behind/) });
    resume();
    jest.restoreAllMocks();
    await create(admin, 'posts', 'after the backlog');
    await live.next(titled('after the backlog'), 30_000);
    // What was held before the backlog went with it.
    const resumed = await subscribe(alice, 'subscribe=posts', seen.id);
    expect((await resumed.next((e) => e.event !== 'ready')).event).toBe('resync');
  });
});
