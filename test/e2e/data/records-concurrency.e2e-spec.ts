import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

const RECORDS = '/collections/race/records';
const COUNTERS = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];

interface RecordBody {
  id: string;
  version: number;
  [field: string]: unknown;
}

/** Statuses of settled responses, sorted, for "exactly one of each" assertions. */
function statuses(responses: Response[]): number[] {
  return responses.map((response) => response.status).sort((a, b) => a - b);
}

describe('records under concurrent requests', () => {
  let t: TestApp;
  let alice: UserSession;

  const create = async (data: Record<string, unknown>): Promise<RecordBody> => {
    const response = await alice.json('POST', RECORDS, data);
    expect(response.status).toBe(201);
    return json<RecordBody>(response);
  };
  const send = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    alice.request(path, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const countWhere = async (filter: string) =>
    (await json<{ total: number }>(await alice.request(`${RECORDS}?count=true&limit=1&filter=${encodeURIComponent(filter)}`))).total;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '100000' } });
    const admin = await signedInUser(t, { role: 'admin' });
    alice = await signedInUser(t);
    const created = await admin.json('POST', '/collections', {
      name: 'race',
      fields: [
        { name: 'title', type: 'text' },
        { name: 'sku', type: 'text', unique: true },
        { name: 'amount', type: 'number' },
        ...COUNTERS.map((name) => ({ name, type: 'integer' })),
      ],
      rules: OWNER_ONLY_RULES,
    });
    expect(created.status).toBe(201);
  });
  afterAll(() => t.close());

  it('lets exactly one of two changes at the same If-Match through; the other gets 412', async () => {
    for (let round = 0; round < 5; round++) {
      const record = await create({ title: `round ${round}` });
      const path = `${RECORDS}/${record.id}`;
      const responses = await Promise.all([
        send('PATCH', path, { title: 'first' }, { 'if-match': '"1"' }),
        send(round % 2 ? 'PUT' : 'PATCH', path, { title: 'second' }, { 'if-match': '"1"' }),
      ]);
      expect(statuses(responses)).toEqual([200, 412]);
      const winner = await json<RecordBody>(responses.find((response) => response.status === 200)!);
      const stored = await json<RecordBody>(await alice.request(path));
      expect(stored).toMatchObject({ version: 2, title: winner.title });
      const history = await json<{ items: { version: number }[] }>(await alice.request(`${path}/history`));
      expect(history.items.map((item) => item.version)).toEqual([2, 1]);
    }
  });

  it('lets exactly one of a change and a delete at the same If-Match through', async () => {
    const record = await create({ title: 'contested' });
    const path = `${RECORDS}/${record.id}`;
    const [patched, deleted] = await Promise.all([
      send('PATCH', path, { title: 'changed' }, { 'if-match': '"1"' }),
      alice.request(path, { method: 'DELETE', headers: { 'if-match': '"1"' } }),
    ]);
    // The change won (the delete finds another version), or the delete did (the change finds nothing).
    expect([
      [200, 412],
      [404, 204],
    ]).toContainEqual([patched.status, deleted.status]);
  });

  it('keeps every field of concurrent patches without If-Match: no lost update, one version each', async () => {
    const record = await create({ title: 'counters' });
    const path = `${RECORDS}/${record.id}`;
    const responses = await Promise.all(COUNTERS.map((name, i) => send('PATCH', path, { [name]: i })));
    expect(statuses(responses)).toEqual(COUNTERS.map(() => 200));
    const versions = await Promise.all(responses.map(async (response) => (await json<RecordBody>(response)).version));
    expect(versions.sort((a, b) => a - b)).toEqual(COUNTERS.map((_, i) => i + 2));
    const stored = await json<RecordBody>(await alice.request(path));
    expect(stored).toMatchObject({ version: COUNTERS.length + 1, ...Object.fromEntries(COUNTERS.map((name, i) => [name, i])) });
    const history = await json<{ items: { version: number }[] }>(await alice.request(`${path}/history?limit=50`));
    expect(history.items.map((item) => item.version)).toEqual(COUNTERS.map((_, i) => COUNTERS.length + 1 - i).concat(1));
  });

  it('creates one of several concurrent records with the same unique value; the others get 409', async () => {
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => send('POST', RECORDS, { title: `dup ${i}`, sku: 'SKU-1' })));
    expect(statuses(responses)).toEqual([201, 409, 409, 409, 409]);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await json(response)).toMatchObject({ status: 409, field: 'sku' });
    }
    expect(await countWhere("sku = 'SKU-1'")).toBe(1);
  });

  it('gives one of two records concurrently changed to the same unique value that value; the other gets 409', async () => {
    const [a, b] = await Promise.all([create({ sku: 'SKU-A' }), create({ sku: 'SKU-B' })]);
    const responses = await Promise.all([a, b].map((record) => send('PATCH', `${RECORDS}/${record.id}`, { sku: 'SKU-C' })));
    expect(statuses(responses)).toEqual([200, 409]);
    expect(await countWhere("sku = 'SKU-C'")).toBe(1);
    expect(await countWhere("sku in ('SKU-A', 'SKU-B')")).toBe(1);
  });

  it('creates one record for concurrent requests with the same Idempotency-Key; the others replay it or are told to retry', async () => {
    const body = { title: 'idempotent', amount: 7 };
    const responses = await Promise.all(Array.from({ length: 6 }, () => send('POST', RECORDS, body, { 'idempotency-key': 'race-key-1' })));
    const created = responses.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    const replayed = responses.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true');
    const retry = responses.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(created.length + replayed.length + retry.length).toBe(responses.length);
    const id = (await json<RecordBody>(created[0])).id;
    for (const response of replayed) expect((await json<RecordBody>(response)).id).toBe(id);
    for (const response of retry) expect((await json<{ detail: string }>(response)).detail).toMatch(/still being processed/);
    expect(await countWhere("title = 'idempotent'")).toBe(1);

    const later = await send('POST', RECORDS, body, { 'idempotency-key': 'race-key-1' });
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect((await json<RecordBody>(later)).id).toBe(id);
    expect((await send('POST', RECORDS, { ...body, amount: 8 }, { 'idempotency-key': 'race-key-1' })).status).toBe(422);
  });

  it('releases an Idempotency-Key whose request failed, so a corrected retry goes through', async () => {
    const responses = await Promise.all(
      Array.from({ length: 3 }, () => send('POST', RECORDS, { title: 'taken', sku: 'SKU-1' }, { 'idempotency-key': 'race-key-2' })),
    );
    // The one that ran hit the unique value; the others raced it and were told to retry.
    expect(statuses(responses)).toEqual([409, 409, 409]);
    expect(await countWhere("title = 'taken'")).toBe(0);
    const corrected = await send('POST', RECORDS, { title: 'taken', sku: 'SKU-2' }, { 'idempotency-key': 'race-key-2' });
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
    expect(await countWhere("title = 'taken'")).toBe(1);
  });

  describe('cursor pagination while records are being inserted', () => {
    const existing: RecordBody[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 45; i++) existing.push(await create({ title: `page ${String(i).padStart(2, '0')}`, amount: i % 7 }));
    });

    it.each(['', '-created', 'title', '-amount,title', 'amount,-created'])(
      'walks sort=%j without duplicates or skipped records',
      async (sort) => {
        let inserting = true;
        let inserted = 0;
        const writer = (async () => {
          while (inserting) {
            await create({ title: `page ${inserted % 50} new`, amount: inserted % 5 });
            inserted += 1;
          }
        })();
        const seen: string[] = [];
        let cursor: string | null = null;
        try {
          do {
            const params = new URLSearchParams({ limit: '6', filter: "title ~ 'page'" });
            if (sort) params.set('sort', sort);
            if (cursor) params.set('cursor', cursor);
            const [response]: [Response, RecordBody] = await Promise.all([
              alice.request(`${RECORDS}?${params}`),
              create({ title: 'page between', amount: 3 }),
            ]);
            expect(response.status).toBe(200);
            const page: { items: RecordBody[]; nextCursor: string | null } = await json(response);
            seen.push(...page.items.map((item) => item.id));
            cursor = page.nextCursor;
          } while (cursor);
        } finally {
          inserting = false;
          await writer;
        }
        expect(new Set(seen).size).toBe(seen.length);
        const missing = existing.filter((record) => !seen.includes(record.id));
        expect(missing).toEqual([]);
      },
    );
  });
});
