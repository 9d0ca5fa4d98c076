import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { postJson, signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

interface RecordBody {
  id: string;
  owner: string | null;
  version: number;
  deleted?: string;
  [field: string]: unknown;
}
interface Revision {
  version: number;
  action: string;
  actor: string | null;
  at: string;
  data: Record<string, unknown>;
}
interface HistoryPage {
  items: Revision[];
  nextBefore: number | null;
}
interface Page {
  items: RecordBody[];
}

describe('records: history, restore, trash, deletion and who may do what', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;

  async function collection(name: string, fields: unknown[], extra: Record<string, unknown> = {}): Promise<void> {
    const response = await admin.json('POST', '/collections', { name, fields, rules: OWNER_ONLY_RULES, ...extra });
    expect(response.status).toBe(201);
  }
  async function created(session: UserSession, name: string, data: Record<string, unknown>): Promise<RecordBody> {
    const response = await session.json('POST', `/collections/${name}/records`, data);
    expect(response.status).toBe(201);
    return json<RecordBody>(response);
  }
  async function history(session: UserSession, name: string, id: string, query = ''): Promise<HistoryPage> {
    const response = await session.request(`/collections/${name}/records/${id}/history${query}`);
    expect(response.status).toBe(200);
    return json<HistoryPage>(response);
  }
  const ids = async (response: Response) => (await json<Page>(response)).items.map((item) => item.id);

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '100000' } });
    admin = await signedInUser(t, { role: 'admin' });
    alice = await signedInUser(t);
    bob = await signedInUser(t);
    await collection('notes', [
      { name: 'title', type: 'text', required: true, maxLength: 100 },
      { name: 'secret', type: 'text', encrypted: true },
      { name: 'internal', type: 'text', hidden: true },
      { name: 'sku', type: 'text', unique: true },
    ]);
  });
  afterAll(() => t.close());

  describe('history', () => {
    it('lists create, update, delete, undelete and restore with actor and data, hidden fields absent and encrypted ones opened', async () => {
      const note = await created(alice, 'notes', { title: 'v1', secret: 's1', internal: 'h1' });
      const path = `/collections/notes/records/${note.id}`;
      expect((await alice.json('PATCH', path, { title: 'v2', secret: 's2' })).status).toBe(200);
      expect((await admin.json('PATCH', path, { title: 'v3' })).status).toBe(200);
      expect((await alice.request(path, { method: 'DELETE' })).status).toBe(204);
      expect((await alice.request(`/collections/notes/trash/${note.id}/restore`, { method: 'POST' })).status).toBe(200);
      const restored = await alice.request(`${path}/history/1/restore`, { method: 'POST' });
      expect(restored.status).toBe(200);
      expect(restored.headers.get('etag')).toBe('"6"');
      const record = await json<RecordBody>(restored);
      expect(record).toMatchObject({ version: 6, title: 'v1', secret: 's1', owner: alice.userId });
      expect(record.internal).toBeUndefined();

      const page = await history(alice, 'notes', note.id);
      expect(page.nextBefore).toBeNull();
      expect(page.items.map(({ version, action, actor, data }) => ({ version, action, actor, data }))).toEqual([
        { version: 6, action: 'restore', actor: alice.userId, data: { title: 'v1', secret: 's1' } },
        { version: 5, action: 'undelete', actor: alice.userId, data: { title: 'v3', secret: 's2' } },
        { version: 4, action: 'delete', actor: alice.userId, data: { title: 'v3', secret: 's2' } },
        { version: 3, action: 'update', actor: admin.userId, data: { title: 'v3', secret: 's2' } },
        { version: 2, action: 'update', actor: alice.userId, data: { title: 'v2', secret: 's2' } },
        { version: 1, action: 'create', actor: alice.userId, data: { title: 'v1', secret: 's1' } },
      ]);
      for (const item of page.items) expect(new Date(item.at).toISOString()).toBe(item.at);
      // Admins read history under the same presentation: hidden fields stay out of it.
      expect((await history(admin, 'notes', note.id)).items.every((item) => !('internal' in item.data))).toBe(true);
      expect((await bob.request(`${path}/history`)).status).toBe(404);
    });

    it('pages through revisions with before', async () => {
      const note = await created(alice, 'notes', { title: 'page 1' });
      for (let i = 2; i <= 7; i++)
        expect((await alice.json('PATCH', `/collections/notes/records/${note.id}`, { title: `page ${i}` })).status).toBe(200);
      const versions: number[][] = [];
      let before: number | null = null;
      do {
        const page: HistoryPage = await history(alice, 'notes', note.id, `?limit=3${before ? `&before=${before}` : ''}`);
        versions.push(page.items.map((item) => item.version));
        before = page.nextBefore;
      } while (before !== null);
      expect(versions).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
      expect((await history(alice, 'notes', note.id, '?before=1')).items).toEqual([]);
      expect((await history(alice, 'notes', note.id, '?limit=200')).items).toHaveLength(7);
      for (const query of ['?limit=0', '?limit=201', '?before=0', '?before=abc', '?after=3']) {
        expect((await alice.request(`/collections/notes/records/${note.id}/history${query}`)).status).toBe(400);
      }
    });

    it('restores a revision as a new version, under If-Match and the update rule', async () => {
      const note = await created(alice, 'notes', { title: 'first', secret: 'one' });
      const path = `/collections/notes/records/${note.id}`;
      expect((await alice.json('PATCH', path, { title: 'second', secret: null })).status).toBe(200);
      const restore = (session: UserSession, version: number | string, headers: Record<string, string> = {}) =>
        session.request(`${path}/history/${version}/restore`, { method: 'POST', headers });

      expect((await restore(alice, 1, { 'if-match': '"1"' })).status).toBe(412);
      expect((await restore(alice, 1, { 'if-match': 'nonsense' })).status).toBe(400);
      expect((await restore(bob, 1)).status).toBe(404);
      expect((await restore(alice, 9)).status).toBe(404);
      expect((await restore(alice, 0)).status).toBe(400);
      expect((await restore(alice, 'x')).status).toBe(400);
      const restored = await restore(alice, 1, { 'if-match': '"2"' });
      expect(restored.status).toBe(200);
      expect(await json(restored)).toMatchObject({ version: 3, title: 'first', secret: 'one' });
      expect(await json(await alice.request(path))).toMatchObject({ version: 3, title: 'first', secret: 'one' });
      const [latest] = (await history(alice, 'notes', note.id)).items;
      expect(latest).toMatchObject({ version: 3, action: 'restore', data: { title: 'first', secret: 'one' } });
    });

    it('refuses to restore a revision the current schema no longer accepts with 422, and drops removed fields', async () => {
      await collection('drafts', [
        { name: 'title', type: 'text', maxLength: 100 },
        { name: 'note', type: 'text' },
      ]);
      const draft = await created(alice, 'drafts', { title: 'a title far too long for later', note: 'n1' });
      const path = `/collections/drafts/records/${draft.id}`;
      expect((await alice.json('PATCH', path, { title: 'short' })).status).toBe(200);
      const changed = await admin.json('PATCH', '/collections/drafts', { fields: [{ name: 'title', type: 'text', maxLength: 10 }] });
      expect(changed.status).toBe(200);

      const refused = await alice.request(`${path}/history/1/restore`, { method: 'POST' });
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await json<{ errors: { path: string; code: string }[] }>(refused)).errors).toEqual([
        expect.objectContaining({ path: 'title', code: 'maxLength' }),
      ]);
      const restored = await alice.request(`${path}/history/2/restore`, { method: 'POST' });
      expect(restored.status).toBe(200);
      const record = await json<RecordBody>(restored);
      expect(record).toMatchObject({ version: 3, title: 'short' });
      expect(record.note).toBeUndefined();
    });

    it('refuses a restore that would duplicate a unique value with 409', async () => {
      const note = await created(alice, 'notes', { title: 'unique', sku: 'U-1' });
      const path = `/collections/notes/records/${note.id}`;
      expect((await alice.json('PATCH', path, { sku: 'U-2' })).status).toBe(200);
      await created(bob, 'notes', { title: 'taker', sku: 'U-1' });
      expect((await alice.request(`${path}/history/1/restore`, { method: 'POST' })).status).toBe(409);
    });
  });

  describe('trash', () => {
    it('lists, restores and purges trashed records under the rules; other users see none of it', async () => {
      const note = await created(alice, 'notes', { title: 'to trash' });
      const kept = await created(alice, 'notes', { title: 'live' });
      const path = `/collections/notes/records/${note.id}`;
      expect((await alice.request(`/collections/notes/trash/${kept.id}/restore`, { method: 'POST' })).status).toBe(404);
      expect((await alice.request(`/collections/notes/trash/${kept.id}`, { method: 'DELETE' })).status).toBe(404);
      expect((await bob.request(path, { method: 'DELETE' })).status).toBe(404);
      expect((await alice.request(path, { method: 'DELETE' })).status).toBe(204);
      expect((await alice.request(path)).status).toBe(404);
      expect((await alice.request(path, { method: 'DELETE' })).status).toBe(404);

      const trash = await json<Page>(await alice.request('/collections/notes/trash?filter=' + encodeURIComponent("title = 'to trash'")));
      expect(trash.items).toEqual([expect.objectContaining({ id: note.id, deleted: expect.any(String) })]);
      expect(await ids(await alice.request('/collections/notes/records?limit=200'))).not.toContain(note.id);
      expect(await ids(await bob.request('/collections/notes/trash'))).not.toContain(note.id);
      expect((await bob.request(`/collections/notes/trash/${note.id}/restore`, { method: 'POST' })).status).toBe(404);
      expect((await bob.request(`/collections/notes/trash/${note.id}`, { method: 'DELETE' })).status).toBe(404);
      expect((await bob.request(`${path}/history`)).status).toBe(404);

      const back = await alice.request(`/collections/notes/trash/${note.id}/restore`, { method: 'POST' });
      expect(back.status).toBe(200);
      const restored = await json<RecordBody>(back);
      expect(restored).toMatchObject({ id: note.id, version: 3, title: 'to trash' });
      expect(restored.deleted).toBeUndefined();
      expect((await alice.request(path)).status).toBe(200);

      expect((await alice.request(path, { method: 'DELETE' })).status).toBe(204);
      expect((await alice.request(`/collections/notes/trash/${note.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await ids(await alice.request('/collections/notes/trash'))).not.toContain(note.id);
      expect((await alice.request(`${path}/history`)).status).toBe(404);
      expect((await alice.request(`/collections/notes/trash/${note.id}/restore`, { method: 'POST' })).status).toBe(404);
      expect((await admin.request(path)).status).toBe(404);
    });

    it('refuses to take a record out of the trash while another live record holds its unique value', async () => {
      const first = await created(alice, 'notes', { title: 'sku holder', sku: 'T-1' });
      expect((await alice.request(`/collections/notes/records/${first.id}`, { method: 'DELETE' })).status).toBe(204);
      await created(alice, 'notes', { title: 'new holder', sku: 'T-1' });
      const refused = await alice.request(`/collections/notes/trash/${first.id}/restore`, { method: 'POST' });
      expect(refused.status).toBe(409);
      expect(await json(refused)).toMatchObject({ field: 'sku' });
    });

    it('deletes for good in a collection without soft delete', async () => {
      await collection('ephemeral', [{ name: 'title', type: 'text' }], { options: { softDelete: false } });
      const record = await created(alice, 'ephemeral', { title: 'gone' });
      const path = `/collections/ephemeral/records/${record.id}`;
      expect((await alice.request(path, { method: 'DELETE' })).status).toBe(204);
      expect((await alice.request(path)).status).toBe(404);
      expect((await admin.request(path)).status).toBe(404);
      expect(await ids(await admin.request('/collections/ephemeral/trash'))).toEqual([]);
      expect((await alice.request(`/collections/ephemeral/trash/${record.id}/restore`, { method: 'POST' })).status).toBe(404);
      expect((await alice.request(`${path}/history`)).status).toBe(404);
    });

    it('honours If-Match on delete', async () => {
      const note = await created(alice, 'notes', { title: 'versioned' });
      const path = `/collections/notes/records/${note.id}`;
      expect((await alice.json('PATCH', path, { title: 'versioned again' })).status).toBe(200);
      const stale = await alice.request(path, { method: 'DELETE', headers: { 'if-match': '"1"' } });
      expect(stale.status).toBe(412);
      expect(stale.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await alice.request(path)).status).toBe(200);
      expect((await alice.request(path, { method: 'DELETE', headers: { 'if-match': '"2"' } })).status).toBe(204);
      expect((await alice.request(path, { method: 'DELETE', headers: { 'if-match': '"2"' } })).status).toBe(404);
    });
  });

  describe('a deleted user', () => {
    it('takes their records along where the collection says delete, and leaves them ownerless where it says anonymize', async () => {
      await collection('diary', [{ name: 'text', type: 'text' }], { options: { onUserDeleted: 'delete' } });
      await collection('posts', [{ name: 'text', type: 'text' }], { options: { onUserDeleted: 'anonymize' } });
      const carol = await signedInUser(t);
      const entry = await created(carol, 'diary', { text: 'private' });
      const trashed = await created(carol, 'diary', { text: 'already trashed' });
      expect((await carol.request(`/collections/diary/records/${trashed.id}`, { method: 'DELETE' })).status).toBe(204);
      const post = await created(carol, 'posts', { text: 'public' });
      expect((await carol.json('PATCH', `/collections/posts/records/${post.id}`, { text: 'public, edited' })).status).toBe(200);
      const alicePost = await created(alice, 'posts', { text: 'alice’s' });
      expect((await carol.json('PATCH', `/collections/posts/records/${alicePost.id}`, { text: 'x' })).status).toBe(404);
      const aliceEntry = await created(alice, 'diary', { text: 'alice’s diary' });

      expect((await carol.json('DELETE', '/users/me', { password: 'wrong password entirely' })).status).toBeGreaterThanOrEqual(400);
      expect((await carol.request(`/collections/diary/records/${entry.id}`)).status).toBe(200);
      expect((await carol.json('DELETE', '/users/me', { password: carol.password })).status).toBe(204);

      expect((await admin.request(`/collections/diary/records/${entry.id}`)).status).toBe(404);
      expect(await ids(await admin.request('/collections/diary/trash'))).not.toContain(trashed.id);
      expect((await admin.request(`/collections/diary/records/${aliceEntry.id}`)).status).toBe(200);
      const kept = await admin.request(`/collections/posts/records/${post.id}`);
      expect(kept.status).toBe(200);
      expect(await json(kept)).toMatchObject({ owner: null, text: 'public, edited', version: 2 });
      const revisions = await history(admin, 'posts', post.id);
      expect(revisions.items.map((item) => item.actor)).toEqual([null, null]);
      expect(await json(await admin.request(`/collections/posts/records/${alicePost.id}`))).toMatchObject({ owner: alice.userId });
    });
  });

  describe('API keys and anonymous callers', () => {
    it('lets a records:read key read what its owner may read, and nothing else', async () => {
      const note = await created(alice, 'notes', { title: 'keyed', secret: 'k' });
      const response = await alice.json('POST', '/auth/api-keys', { name: 'reader', scopes: ['records:read'] });
      expect(response.status).toBe(201);
      const { key } = await json<{ key: string }>(response);
      const withKey = (path: string, init: RequestInit = {}) =>
        t.request(`/api/v1${path}`, {
          ...init,
          headers: { 'x-api-key': key, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
        });
      const path = `/collections/notes/records/${note.id}`;

      expect(await json(await withKey(path))).toMatchObject({ id: note.id, secret: 'k' });
      const listed = await ids(await withKey('/collections/notes/records?limit=200'));
      expect(listed).toContain(note.id);
      expect(listed.sort()).toEqual((await ids(await alice.request('/collections/notes/records?limit=200'))).sort());
      expect((await withKey(`${path}/history`)).status).toBe(200);
      expect((await withKey('/collections/notes/trash')).status).toBe(200);

      const writes: [string, string, unknown][] = [
        ['POST', '/collections/notes/records', { title: 'by key' }],
        ['PATCH', path, { title: 'by key' }],
        ['PUT', path, { title: 'by key' }],
        ['DELETE', path, undefined],
        ['POST', `${path}/history/1/restore`, undefined],
        ['POST', `/collections/notes/trash/${note.id}/restore`, undefined],
        ['DELETE', `/collections/notes/trash/${note.id}`, undefined],
        ['POST', '/collections/notes/batch', { operations: [{ action: 'create', data: { title: 'by key' } }] }],
      ];
      for (const [method, target, body] of writes) {
        const refused = await withKey(target, { method, ...(body !== undefined && { body: JSON.stringify(body) }) });
        expect({ method, target, status: refused.status }).toEqual({ method, target, status: 403 });
      }
      expect(await json(await alice.request(path))).toMatchObject({ version: 1, title: 'keyed' });
      expect((await json<Page>(await alice.request("/collections/notes/records?filter=title%20%3D%20'by%20key'"))).items).toEqual([]);

      const writer = await json<{ key: string }>(await alice.json('POST', '/auth/api-keys', { name: 'writer', scopes: ['records:write'] }));
      const written = await t.request('/api/v1/collections/notes/records', {
        method: 'POST',
        headers: { 'x-api-key': writer.key, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'by writer key' }),
      });
      expect(written.status).toBe(201);
      expect(await json(written)).toMatchObject({ owner: alice.userId });
      expect((await t.request(`/api/v1${path}`, { headers: { 'x-api-key': 'blk_not-a-real-key' } })).status).toBe(401);
    });

    it('applies a rule comparing a system timestamp with a datetime field alike to lists and single reads', async () => {
      await collection('deadlines', [{ name: 'due', type: 'datetime' }], {
        rules: { ...OWNER_ONLY_RULES, list: '!(created < due)', view: '!(created < due)' },
      });
      const past = await created(alice, 'deadlines', { due: '2020-01-01T00:00:00Z' });
      const future = await created(alice, 'deadlines', { due: '2999-01-01T00:00:00Z' });
      expect(await ids(await alice.request('/collections/deadlines/records'))).toEqual([past.id]);
      expect((await alice.request(`/collections/deadlines/records/${past.id}`)).status).toBe(200);
      for (let read = 0; read < 2; read++) expect((await alice.request(`/collections/deadlines/records/${future.id}`)).status).toBe(404);
    });

    it('serves anonymous callers where a rule is empty, and refuses them with 403 where it is null', async () => {
      await collection('board', [{ name: 'text', type: 'text' }], {
        rules: { list: '', view: '', create: '', update: null, delete: 'owner = @me' },
      });
      const anonymous = (path: string, init: RequestInit = {}) => t.request(`/api/v1${path}`, init);

      const posted = await postJson(t, '/collections/board/records', { text: 'hello' });
      expect(posted.status).toBe(201);
      const record = await json<RecordBody>(posted);
      expect(record.owner).toBeNull();
      const path = `/collections/board/records/${record.id}`;
      expect(await ids(await anonymous('/collections/board/records'))).toContain(record.id);
      expect(await json(await anonymous(path))).toMatchObject({ text: 'hello' });
      expect((await json<HistoryPage>(await anonymous(`${path}/history`))).items[0]).toMatchObject({ action: 'create', actor: null });

      const patch = { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'changed' }) };
      expect((await anonymous(path, patch)).status).toBe(403);
      expect((await alice.json('PATCH', path, { text: 'changed' })).status).toBe(403);
      // `owner = @me` never holds for an anonymous caller (nor for a record nobody owns).
      expect((await anonymous(path, { method: 'DELETE' })).status).toBe(403);
      expect((await admin.json('PATCH', path, { text: 'changed by admin' })).status).toBe(200);

      await collection('closed', [{ name: 'text', type: 'text' }], {
        rules: { list: null, view: null, create: null, update: null, delete: null },
      });
      const attempts: [string, string, unknown][] = [
        ['GET', '/collections/closed/records', undefined],
        ['POST', '/collections/closed/records', { text: 'x' }],
        ['GET', '/collections/closed/trash', undefined],
      ];
      for (const [method, target, body] of attempts) {
        for (const caller of ['anonymous', 'alice']) {
          const init =
            body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
          const response = caller === 'anonymous' ? await anonymous(target, init) : await alice.request(target, init);
          expect({ caller, method, target, status: response.status }).toEqual({ caller, method, target, status: 403 });
          expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        }
      }
      expect((await admin.json('POST', '/collections/closed/records', { text: 'admins only' })).status).toBe(201);
    });
  });
});
