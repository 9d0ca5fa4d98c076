import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import type { UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';

describe('records: create, read, change, delete under owner rules', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    const created = await admin.json('POST', '/collections', {
      name: 'tasks',
      fields: [
        { name: 'title', type: 'text', required: true, maxLength: 200, searchable: true },
        { name: 'status', type: 'select', values: ['open', 'done'], default: 'open', indexed: true },
        { name: 'amount', type: 'number' },
        { name: 'secret', type: 'text', encrypted: true },
        { name: 'internal', type: 'text', hidden: true },
      ],
      rules: OWNER_ONLY_RULES,
    });
    expect(created.status).toBe(201);
  });
  afterAll(() => t.close());

  it('creates a record owned by the caller and reads it back with an ETag', async () => {
    const created = await alice.json('POST', '/collections/tasks/records', {
      title: 'Write tests',
      amount: 3,
      secret: 's3cret',
      internal: 'x',
    });
    expect(created.status).toBe(201);
    const record = await json(created);
    expect(record).toMatchObject({ title: 'Write tests', status: 'open', amount: 3, secret: 's3cret', owner: alice.userId, version: 1 });
    expect(record.internal).toBeUndefined();
    expect(created.headers.get('etag')).toBe('"1"');

    const read = await alice.request(`/collections/tasks/records/${record.id}`);
    expect(read.status).toBe(200);
    expect((await json(read)).secret).toBe('s3cret');
    const notModified = await alice.request(`/collections/tasks/records/${record.id}`, { headers: { 'if-none-match': '"1"' } });
    expect(notModified.status).toBe(304);

    expect((await bob.request(`/collections/tasks/records/${record.id}`)).status).toBe(404);
    const list = await json<{ items: unknown[] }>(await bob.request('/collections/tasks/records'));
    expect(list.items).toHaveLength(0);

    const patched = await alice.request(`/collections/tasks/records/${record.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ status: 'done' }),
    });
    expect(patched.status).toBe(200);
    expect(await json(patched)).toMatchObject({ status: 'done', version: 2 });
    const stale = await alice.request(`/collections/tasks/records/${record.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ status: 'open' }),
    });
    expect(stale.status).toBe(412);

    const listed = await json<{ items: { id: string }[] }>(
      await alice.request(`/collections/tasks/records?filter=${encodeURIComponent("status = 'done'")}&sort=-created&count=true`),
    );
    expect(listed.items.map((r) => r.id)).toEqual([record.id]);
    const searched = await json<{ items: { id: string }[] }>(await alice.request('/collections/tasks/records?q=tests'));
    expect(searched.items.map((r) => r.id)).toEqual([record.id]);

    expect((await bob.request(`/collections/tasks/records/${record.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await alice.request(`/collections/tasks/records/${record.id}`, { method: 'DELETE' })).status).toBe(204);
    const trash = await json<{ items: { id: string }[] }>(await alice.request('/collections/tasks/trash'));
    expect(trash.items.map((r) => r.id)).toEqual([record.id]);
    const history = await json<{ items: { action: string }[] }>(await alice.request(`/collections/tasks/records/${record.id}/history`));
    expect(history.items.map((r) => r.action)).toEqual(['delete', 'update', 'create']);
    const restored = await alice.request(`/collections/tasks/trash/${record.id}/restore`, { method: 'POST' });
    expect(restored.status).toBe(200);
    const back = await alice.request(`/collections/tasks/records/${record.id}/history/2/restore`, { method: 'POST' });
    expect(back.status).toBe(200);
  });

  it('refuses invalid records with 422 and bad filters with 400', async () => {
    const invalid = await alice.json('POST', '/collections/tasks/records', { title: 5, nope: 1 });
    expect(invalid.status).toBe(422);
    const filter = await alice.request(`/collections/tasks/records?filter=${encodeURIComponent("title = 'x'; DROP TABLE records --")}`);
    expect(filter.status).toBe(400);
    const body = await json(filter);
    expect(body.position).toBeDefined();
  });

  it('runs a batch all or nothing, and replays idempotent creates', async () => {
    const ok = await alice.json('POST', '/collections/tasks/batch', {
      operations: [
        { action: 'create', data: { title: 'a' } },
        { action: 'create', data: { title: 'b' } },
      ],
    });
    expect(ok.status).toBe(200);
    const bad = await alice.json('POST', '/collections/tasks/batch', {
      operations: [
        { action: 'create', data: { title: 'c' } },
        { action: 'create', data: { title: 7 } },
      ],
    });
    expect(bad.status).toBe(422);
    const all = await json<{ items: { title: string }[] }>(await alice.request('/collections/tasks/records?limit=200'));
    expect(all.items.map((r) => r.title).sort()).toEqual(['a', 'b', 'Write tests'].sort());

    const send = (body: unknown) =>
      alice.request('/collections/tasks/records', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
        body: JSON.stringify(body),
      });
    const first = await send({ title: 'once' });
    const again = await send({ title: 'once' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await json(again)).id).toBe((await json(first)).id);
    expect((await send({ title: 'other' })).status).toBe(422);
  });
});
