import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import { randomBytes } from 'node:crypto';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@backlot/testing/test-env';
import { CacheService } from '@backlot/cache';
import { MAX_CACHED_RECORD_CHARS } from '../../../apps/api/src/data/records/record-cache';

const FIELDS = [
  { name: 'title', type: 'text', required: true },
  { name: 'public', type: 'boolean', default: false },
];

const through = (t: TestApp, user: UserSession | null, path: string) =>
  t.request(`/api/v1${path}`, { headers: user ? { authorization: `Bearer ${user.accessToken}` } : {} });

// Record reads are cached; these tests prove a cached answer never outlives a write or a rule.
describe('cached record reads on one instance', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    expect((await admin.json('POST', '/collections', { name: 'notes', fields: FIELDS, rules: OWNER_ONLY_RULES })).status).toBe(201);
  });
  afterAll(() => t.close());

  it('applies the view rule to every cached read, whoever filled the cache', async () => {
    const { id } = await json<{ id: string }>(await alice.json('POST', '/collections/notes/records', { title: 'mine' }));
    // Records are cached from their second read on: these two reads put it in the cache.
    expect((await through(t, alice, `/collections/notes/records/${id}`)).status).toBe(200);
    expect((await through(t, alice, `/collections/notes/records/${id}`)).status).toBe(200);
    expect((await through(t, bob, `/collections/notes/records/${id}`)).status).toBe(404);
    expect((await through(t, null, `/collections/notes/records/${id}`)).status).toBe(404);
    expect((await through(t, admin, `/collections/notes/records/${id}`)).status).toBe(200);
  });

  it('keeps large records out of the cache, so its memory stays bounded by entries × a small size', async () => {
    const hits = async () => (await t.app.get(CacheService).stats()).hits;
    const readThrice = async (id: string) => {
      for (let i = 0; i < 3; i++) expect((await through(t, alice, `/collections/notes/records/${id}`)).status).toBe(200);
    };
    const large = await json<{ id: string }>(
      await alice.json('POST', '/collections/notes/records', { title: 'x'.repeat(MAX_CACHED_RECORD_CHARS + 1) }),
    );
    const before = await hits();
    await readThrice(large.id);
    // Session lookups hit the cache too: count only what the record reads add beyond a small record's.
    const largeHits = (await hits()) - before;
    const small = await json<{ id: string }>(await alice.json('POST', '/collections/notes/records', { title: 'small' }));
    const between = await hits();
    await readThrice(small.id);
    expect((await hits()) - between).toBe(largeHits + 1);
  });

  it('shows each write at once and forgets deleted records', async () => {
    const { id } = await json<{ id: string }>(await alice.json('POST', '/collections/notes/records', { title: 'v1' }));
    expect(await json(await through(t, alice, `/collections/notes/records/${id}`))).toMatchObject({ title: 'v1', version: 1 });
    await alice.json('PATCH', `/collections/notes/records/${id}`, { title: 'v2' });
    expect(await json(await through(t, alice, `/collections/notes/records/${id}`))).toMatchObject({ title: 'v2', version: 2 });
    await alice.json('POST', '/collections/notes/batch', { operations: [{ action: 'update', id, data: { title: 'v3' } }] });
    expect(await json(await through(t, alice, `/collections/notes/records/${id}`))).toMatchObject({ title: 'v3', version: 3 });
    await alice.request(`/collections/notes/records/${id}`, { method: 'DELETE' });
    expect((await through(t, alice, `/collections/notes/records/${id}`)).status).toBe(404);
  });

  it('follows a rule change immediately', async () => {
    const { id } = await json<{ id: string }>(
      await alice.json('POST', '/collections/notes/records', { title: 'shared later', public: true }),
    );
    expect((await through(t, bob, `/collections/notes/records/${id}`)).status).toBe(404);
    expect((await admin.json('PATCH', '/collections/notes', { rules: { view: 'owner = @me || public = true' } })).status).toBe(200);
    expect((await through(t, bob, `/collections/notes/records/${id}`)).status).toBe(200);
    expect((await admin.json('PATCH', '/collections/notes', { rules: { view: 'owner = @me' } })).status).toBe(200);
    expect((await through(t, bob, `/collections/notes/records/${id}`)).status).toBe(404);
  });

  it('follows a schema change that rewrites stored records', async () => {
    const { id } = await json<{ id: string }>(await alice.json('POST', '/collections/notes/records', { title: 'renamed' }));
    expect(await json(await through(t, alice, `/collections/notes/records/${id}`))).toMatchObject({ title: 'renamed' });
    const renamed = await admin.json('PATCH', '/collections/notes', {
      fields: [{ name: 'headline', type: 'text', required: true, from: 'title' }, FIELDS[1]],
    });
    expect(renamed.status).toBe(200);
    const after = await json(await through(t, alice, `/collections/notes/records/${id}`));
    expect(after).toMatchObject({ headline: 'renamed' });
    expect(after.title).toBeUndefined();
  });
});

const shared = TEST_DATABASE_URL && TEST_REDIS_URL;

(shared ? describe : describe.skip)('cached record reads across two instances (PostgreSQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp({ env: { JWT_SECRET: randomBytes(32).toString('base64url'), AUTH_RATE_LIMIT_MAX: '1000' } });
    b = await startTestApp({ sameEnvironmentAs: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('serves a change made through one instance from the other at once', async () => {
    const admin = await signedInUser(a, { role: 'admin' });
    const alice = await signedInUser(a);
    const bob = await signedInUser(a);
    expect((await admin.json('POST', '/collections', { name: 'shared_notes', fields: FIELDS, rules: OWNER_ONLY_RULES })).status).toBe(201);
    const { id } = await json<{ id: string }>(await alice.json('POST', '/collections/shared_notes/records', { title: 'v1', public: true }));
    expect(await json(await through(b, alice, `/collections/shared_notes/records/${id}`))).toMatchObject({ title: 'v1' });
    await alice.json('PATCH', `/collections/shared_notes/records/${id}`, { title: 'v2' });
    expect(await json(await through(b, alice, `/collections/shared_notes/records/${id}`))).toMatchObject({ title: 'v2', version: 2 });

    expect((await through(b, bob, `/collections/shared_notes/records/${id}`)).status).toBe(404);
    expect((await admin.json('PATCH', '/collections/shared_notes', { rules: { view: 'public = true' } })).status).toBe(200);
    expect((await through(b, bob, `/collections/shared_notes/records/${id}`)).status).toBe(200);

    await alice.request(`/collections/shared_notes/records/${id}`, { method: 'DELETE' });
    expect((await through(b, alice, `/collections/shared_notes/records/${id}`)).status).toBe(404);
  });
});
