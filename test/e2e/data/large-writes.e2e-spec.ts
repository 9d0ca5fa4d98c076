import { loadStretch } from '@backlot/testing/machine-load';
import { login, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { OPEN_RULES, startDataTestApp } from '@backlot/testing/data';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

// A request that needs the database must not wait behind another caller's batch or import for
// long. Before they were bounded, one maximal batch on the embedded database held every other
// request for 6-7 s and an import of 20,000 lines for 4-8 s at a time. The bound is 2 s on a
// quiet machine, stretched (up to 4×) by how oversubscribed its CPUs are when the test runs:
// the whole suite runs two test workers beside the apps they start on two cores.
const QUIET_BOUND_MS = 2_000;

function concurrentRequestBound(): number {
  return QUIET_BOUND_MS * loadStretch();
}

describe('large writes do not stall other callers', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  let authorIds: string[];

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    await define('authors', [{ name: 'name', type: 'text' }]);
    await define('books', [
      { name: 'title', type: 'text', required: true },
      { name: 'author', type: 'relation', collection: 'authors' },
      { name: 'coauthors', type: 'relation', collection: 'authors', multiple: true },
      { name: 'reviewer', type: 'user' },
    ]);
    const authors = await alice.json('POST', '/collections/authors/batch', {
      operations: Array.from({ length: 20 }, (_, i) => ({ action: 'create', data: { name: `author ${i}` } })),
    });
    authorIds = (await json<{ results: { id: string }[] }>(authors)).results.map((result) => result.id);
  });
  afterAll(() => t.close());

  async function define(name: string, fields: Record<string, unknown>[]): Promise<void> {
    expect((await admin.json('POST', '/collections', { name, fields, rules: OPEN_RULES })).status).toBe(201);
  }

  const book = (i: number) => ({
    title: `book ${i}`,
    author: authorIds[i % authorIds.length],
    coauthors: [authorIds[(i + 1) % authorIds.length], authorIds[(i + 2) % authorIds.length]],
    reviewer: bob.userId,
  });

  it('answers GET /users/me promptly while the largest batch this deployment accepts runs', async () => {
    const limit = t.config.data.batchMaxOperations;
    // Tokens never used: each one's session state is read from the database, behind whatever holds it.
    const tokens = await Promise.all(Array.from({ length: 12 }, () => login(t, bob.email, bob.password)));
    const operations = Array.from({ length: limit }, (_, i) => ({ action: 'create', data: book(i) }));

    const batch = alice.json('POST', '/collections/books/batch', { operations });
    const latencies = await latenciesDuring(batch, (i) => (tokens[i] ? sessionFor(t, bob, tokens[i]).request('/users/me') : undefined));
    const response = await batch;
    expect(response.status).toBe(200);
    expect((await json<{ results: unknown[] }>(response)).results).toHaveLength(limit);
    expect(Math.max(...latencies)).toBeLessThan(concurrentRequestBound());
  });

  it('refuses a batch longer than BATCH_MAX_OPERATIONS with a 400 that names the limit, writing nothing', async () => {
    const limit = t.config.data.batchMaxOperations;
    const before = await count('books');
    const response = await alice.json('POST', '/collections/books/batch', {
      operations: Array.from({ length: limit + 1 }, (_, i) => ({ action: 'create', data: book(i) })),
    });
    expect(response.status).toBe(400);
    // Past 1,000 the request's own validation says it, in the same words.
    expect(await json(response)).toMatchObject({
      errors: [{ path: 'operations', code: 'arrayMaxSize', message: `operations must contain no more than ${limit} elements` }],
    });
    expect(await count('books')).toBe(before);
  });

  it.each(['skip', 'atomic'] as const)('keeps answering other requests while a large import (mode=%s) runs', async (mode) => {
    const lines = mode === 'atomic' && t.config.data.importAtomicMaxRecords > 0 ? t.config.data.importAtomicMaxRecords : 10_000;
    const body = Array.from({ length: lines }, (_, i) => JSON.stringify(book(i))).join('\n');
    const upload = alice.request(`/collections/books/import?mode=${mode}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    const latencies = await latenciesDuring(upload, () => bob.request('/collections/authors/records?limit=1'));
    const response = await upload;
    expect(response.status).toBe(mode === 'atomic' ? 201 : 200);
    expect(await json(response)).toMatchObject({ imported: lines, failed: 0 });
    expect(Math.max(...latencies)).toBeLessThan(concurrentRequestBound());
  });

  async function count(collection: string): Promise<number> {
    return (await json<{ total: number }>(await alice.request(`/collections/${collection}/records?count=true&limit=1`))).total;
  }
});

describe('an atomic import above IMPORT_ATOMIC_MAX_RECORDS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { IMPORT_ATOMIC_MAX_RECORDS: '50' } });
  });
  afterAll(() => t.close());

  it('is refused with 413 before anything is written; mode=skip takes it', async () => {
    const admin = await signedInUser(t, { role: 'admin' });
    expect(
      (await admin.json('POST', '/collections', { name: 'notes', fields: [{ name: 'n', type: 'number' }], rules: OPEN_RULES })).status,
    ).toBe(201);
    const body = Array.from({ length: 51 }, (_, n) => JSON.stringify({ n })).join('\n');
    const upload = (mode: string) =>
      admin.request(`/collections/notes/import?mode=${mode}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });

    const refused = await upload('atomic');
    expect(refused.status).toBe(413);
    expect(await json(refused)).toMatchObject({ detail: expect.stringContaining('IMPORT_ATOMIC_MAX_RECORDS') });
    expect((await json<{ total: number }>(await admin.request('/collections/notes/records?count=true&limit=1'))).total).toBe(0);
    expect(await json(await upload('skip'))).toMatchObject({ imported: 51, failed: 0 });
  });
});

/**
 * Sends `request(i)` one after another while `work` runs (until `request` has nothing more
 * to send) and returns how long each took to answer 200.
 */
async function latenciesDuring(work: Promise<unknown>, request: (i: number) => Promise<Response> | undefined): Promise<number[]> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  const latencies: number[] = [];
  for (let i = 0; !done; i++) {
    const started = performance.now();
    const response = await request(i);
    if (!response) break;
    expect(response.status).toBe(200);
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(latencies.length).toBeGreaterThan(0);
  return latencies;
}
