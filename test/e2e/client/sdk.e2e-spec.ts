import {
  type AuthStore,
  type BacklotClient,
  createClient,
  filter,
  MemoryStore,
  ProblemError,
  type RecordEvent,
  type StoredFile,
} from '@backlot/client';
import { createUser } from '@backlot/testing/auth';
import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { eventually } from '@backlot/testing/test-jobs';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Note {
  title: string;
  done?: boolean | null;
  rank?: number | null;
  attachment?: StoredFile | null;
  photos?: StoredFile[];
}

/** The SDK in Node against a running Backlot: sign-in, refresh, records, filters, problems. */
describe('@backlot/client against a real server', () => {
  let t: TestApp;
  let client: BacklotClient;
  let store: AuthStore;
  const refreshes: string[] = [];

  /** fetch that counts refresh calls (what the single-flight promise saves). */
  const counting: typeof fetch = (input, init) => {
    if (String(input).endsWith('/auth/refresh')) refreshes.push(String(init?.body));
    return fetch(input, init);
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    const admin = await createUser(t, { role: 'admin' });
    const adminClient = createClient({ url: t.baseUrl });
    await adminClient.auth.login(admin.email, admin.password);
    await adminClient.call({
      method: 'POST',
      path: '/collections',
      body: {
        name: 'notes',
        fields: [
          { name: 'title', type: 'text', required: true, maxLength: 200 },
          { name: 'done', type: 'boolean' },
          { name: 'rank', type: 'integer' },
          { name: 'attachment', type: 'file', protected: true },
          { name: 'photos', type: 'file', multiple: true, maxFiles: 5 },
        ],
        rules: OWNER_ONLY_RULES,
      },
    });
    const user = await createUser(t);
    store = new MemoryStore();
    client = createClient({ url: t.baseUrl, store, fetch: counting });
    expect(await client.auth.login(user.email, user.password)).toEqual({ signedIn: true });
  });
  afterAll(() => t?.close());

  it('creates, reads, changes under If-Match and deletes a record; a stale version is a 412 ProblemError', async () => {
    const notes = client.collection<Note>('notes');
    const created = await notes.create({ title: 'first' });
    expect(created).toMatchObject({ title: 'first', version: 1 });
    expect(await notes.get(created.id)).toMatchObject({ id: created.id, title: 'first' });
    const changed = await notes.update(created, { done: true });
    expect(changed).toMatchObject({ done: true, version: 2 });

    const stale = (await notes.update(created, { done: false }).catch((error: unknown) => error)) as ProblemError;
    expect(stale).toBeInstanceOf(ProblemError);
    expect(stale.status).toBe(412);
    expect((await notes.get(created.id)).done).toBe(true);

    await notes.delete(changed);
    expect(((await notes.get(created.id).catch((error: unknown) => error)) as ProblemError).status).toBe(404);
  });

  it('makes one record of a create sent twice with the same Idempotency-Key', async () => {
    const notes = client.collection<Note>('notes');
    const first = await notes.create({ title: 'once' }, { idempotencyKey: 'sdk-e2e-once' });
    const again = await notes.create({ title: 'once' }, { idempotencyKey: 'sdk-e2e-once' });
    expect(again.id).toBe(first.id);
    expect((await notes.list({ filter: filter`title = ${'once'}`, count: true })).total).toBe(1);
  });

  it('binds hostile filter values as literals: they match only records with exactly that text', async () => {
    const notes = client.collection<Note>('notes');
    const hostile = ["it's", "x' || title != '", 'back\\slash', 'line\nbreak'];
    for (const title of [...hostile, 'plain']) await notes.create({ title });
    for (const title of hostile) {
      const page = await notes.list({ filter: filter`title = ${title}` });
      expect(page.items.map((note) => note.title)).toEqual([title]);
    }
  });

  it('iterates over every page of a list', async () => {
    const notes = client.collection<Note>('notes');
    for (let rank = 0; rank < 23; rank++) await notes.create({ title: `ranked ${rank}`, rank });
    const ranks: number[] = [];
    for await (const note of notes.iterate({ filter: filter`rank >= ${0}`, sort: 'rank', limit: 10 })) ranks.push(note.rank!);
    expect(ranks).toEqual(Array.from({ length: 23 }, (_, rank) => rank));
  });

  it('exports records as NDJSON and CSV under a filter, and imports them: all or none, or the valid ones', async () => {
    const notes = client.collection<Note>('notes');
    for (const title of ['export a', 'export b']) await notes.create({ title, rank: 500 });
    const ndjson = await notes.export({ filter: filter`rank = ${500}` });
    const lines = (await ndjson.text()).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as Note).title).sort()).toEqual(['export a', 'export b']);
    const csv = await notes.export({ format: 'csv', filter: filter`rank = ${500}` });
    expect(csv.type).toMatch(/^text\/csv/);
    expect(await notes.import(csv)).toMatchObject({ imported: 2, failed: 0 });
    expect((await notes.list({ filter: filter`rank = ${500}`, count: true })).total).toBe(4);

    const refused = await notes.import([{ title: 'all or none', rank: 501 }, { title: 'x'.repeat(201) }]).catch((error: unknown) => error);
    expect((refused as ProblemError).status).toBe(422);
    expect((await notes.list({ filter: filter`rank = ${501}`, count: true })).total).toBe(0);
    const skipped = await notes.import([{ title: 'the valid one', rank: 501 }, { title: 'x'.repeat(201) }], { mode: 'skip' });
    expect(skipped).toMatchObject({ imported: 1, failed: 1, errors: [{ line: 2 }] });
  });

  it('answers a refused write with the problem’s field errors', async () => {
    const failed = (await client
      .collection<Note>('notes')
      .create({ title: 'x'.repeat(201) })
      .catch((error: unknown) => error)) as ProblemError;
    expect(failed.status).toBe(422);
    expect(failed.field('title')).toBeDefined();
    expect(failed.requestId).toBeTruthy();
  });

  it('refreshes once for many calls when the access token is due, and the session goes on (no reuse detected)', async () => {
    const state = (await store.get())!;
    await store.set({ ...state, refreshAt: Date.now() - 1 });
    refreshes.length = 0;
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.me<{ id: string }>()));
    expect(new Set(answers.map((me) => me.id)).size).toBe(1);
    expect(refreshes).toHaveLength(1);
    expect((await store.get())!.refreshToken).not.toBe(state.refreshToken);
    await client.me();
  });

  it('follows record changes over realtime, narrowed by a filter, until closed', async () => {
    const notes = client.collection<Note>('notes');
    const seen: RecordEvent<Note>[] = [];
    const subscription = client.realtime.subscribe<Note>('notes', (event) => seen.push(event), {
      filter: { notes: filter`rank = ${999}` },
    });
    await subscription.ready;
    await notes.create({ title: 'not followed', rank: 1 });
    const followed = await notes.create({ title: "followed 'live'", rank: 999 });
    await notes.update(followed, { done: true });
    await eventually('two events', () => seen.length >= 2);
    subscription.close();
    expect(seen.map((event) => [event.action, event.record.title, event.record.done ?? null])).toEqual([
      ['created', "followed 'live'", null],
      ['updated', "followed 'live'", true],
    ]);
    expect(seen[1].id).toBeTruthy();
  });

  it('uploads files with a write, adds to a multiple field, and opens a protected file with a file token', async () => {
    const notes = client.collection<Note>('notes');
    const text = 'a protected note\n';
    const note = await notes.create({ title: 'with files' }, { files: { attachment: { data: new Blob([text]), name: 'note.txt' } } });
    expect(note.attachment).toMatchObject({ original: 'note.txt', size: text.length });

    const photos = await notes.update(note, {}, { files: { 'photos+': [new Blob(['one']), new Blob(['two'])] } });
    expect(photos.photos?.map((photo) => photo.size)).toEqual([3, 3]);

    // An <img> or a link cannot send the Authorization header: without a token the owner-only record is not there.
    expect((await fetch(client.files.url(note.attachment!))).status).toBe(404);
    const token = await client.files.token({ collection: 'notes', record: note.id, name: note.attachment!.name });
    const download = await fetch(client.files.url(note.attachment!, { token }));
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(text);
  });

  it('works with an API key for servers, and signs out for good', async () => {
    const { data: key } = await client.call<{ key: string }>({
      method: 'POST',
      path: '/auth/api-keys',
      body: { name: 'sdk e2e', scopes: ['records:read'] },
    });
    const server = createClient({ url: t.baseUrl, apiKey: key.key });
    expect((await server.collection<Note>('notes').list({ limit: 1 })).items).toHaveLength(1);

    await client.auth.logout();
    expect(await store.get()).toBeNull();
    expect(((await client.me().catch((error: unknown) => error)) as ProblemError).status).toBe(401);
  });
});
