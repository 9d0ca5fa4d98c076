import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import type { UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';

// With owner-only rules, no path lets one user see or touch another's records.
describe('authorization matrix: owner-only collections', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  let bobRecord: string;
  let bobTrashed: string;
  let aliceRecord: string;
  let bobProject: { id: string };

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    const define = (body: unknown) => admin.json('POST', '/collections', body);
    expect(
      (await define({ name: 'projects', fields: [{ name: 'title', type: 'text', required: true }], rules: OWNER_ONLY_RULES })).status,
    ).toBe(201);
    expect(
      (
        await define({
          name: 'tasks',
          fields: [
            { name: 'title', type: 'text', required: true, searchable: true },
            { name: 'amount', type: 'number' },
            { name: 'project', type: 'relation', collection: 'projects' },
          ],
          rules: OWNER_ONLY_RULES,
        })
      ).status,
    ).toBe(201);
    bobProject = await json<{ id: string }>(await bob.json('POST', '/collections/projects/records', { title: 'Bob project' }));
    bobRecord = (
      await json<{ id: string }>(
        await bob.json('POST', '/collections/tasks/records', { title: 'secret bob', amount: 7, project: bobProject.id }),
      )
    ).id;
    bobTrashed = (await json<{ id: string }>(await bob.json('POST', '/collections/tasks/records', { title: 'trashed bob' }))).id;
    expect((await bob.request(`/collections/tasks/records/${bobTrashed}`, { method: 'DELETE' })).status).toBe(204);
    aliceRecord = (await json<{ id: string }>(await alice.json('POST', '/collections/tasks/records', { title: 'alice task', amount: 1 })))
      .id;
    // Alice may not link to Bob's project, but an admin may link it for her: expansion must still hide it.
    expect((await admin.json('PATCH', `/collections/tasks/records/${aliceRecord}`, { project: bobProject.id })).status).toBe(200);
  });
  afterAll(() => t.close());

  const ids = (body: { items: { id: string }[] }) => body.items.map((item) => item.id);

  it('list, search, count and trash show Alice only her own records', async () => {
    const list = await json<{ items: { id: string }[]; total: number }>(await alice.request('/collections/tasks/records?count=true'));
    expect(ids(list)).toEqual([aliceRecord]);
    expect(list.total).toBe(1);
    expect(ids(await json(await alice.request('/collections/tasks/records?q=secret')))).toEqual([]);
    expect(ids(await json(await alice.request(`/collections/tasks/records?filter=${encodeURIComponent(`id = '${bobRecord}'`)}`)))).toEqual(
      [],
    );
    expect(ids(await json(await alice.request('/collections/tasks/trash')))).toEqual([]);
  });

  it('read, history and revision restore answer 404 for Bob’s record', async () => {
    expect((await alice.request(`/collections/tasks/records/${bobRecord}`)).status).toBe(404);
    expect((await alice.request(`/collections/tasks/records/${bobRecord}/history`)).status).toBe(404);
    expect((await alice.request(`/collections/tasks/records/${bobRecord}/history/1/restore`, { method: 'POST' })).status).toBe(404);
  });

  it('update, replace and delete of Bob’s record are refused and change nothing', async () => {
    expect((await alice.json('PATCH', `/collections/tasks/records/${bobRecord}`, { title: 'pwned' })).status).toBe(404);
    expect((await alice.json('PUT', `/collections/tasks/records/${bobRecord}`, { title: 'pwned' })).status).toBe(404);
    expect((await alice.request(`/collections/tasks/records/${bobRecord}`, { method: 'DELETE' })).status).toBe(404);
    const batch = await alice.json('POST', '/collections/tasks/batch', {
      operations: [
        { action: 'update', id: bobRecord, data: { title: 'pwned' } },
        { action: 'delete', id: bobRecord },
      ],
    });
    expect(batch.status).toBe(404);
    expect(await json(await bob.request(`/collections/tasks/records/${bobRecord}`))).toMatchObject({ title: 'secret bob', version: 1 });
  });

  it('a relation to Bob’s record is refused exactly like one to a record that does not exist', async () => {
    const missing = '0190a0c4-7c1e-7cc2-9d3b-4c8f2b1a9e11';
    const answers = [];
    for (const id of [bobProject.id, missing]) {
      const response = await alice.json('POST', '/collections/tasks/records', { title: 'link', project: id });
      expect(response.status).toBe(422);
      answers.push(JSON.stringify((await json<{ errors: unknown }>(response)).errors).replace(id, '<id>'));
    }
    expect(answers[0]).toBe(answers[1]);
  });

  it('trash restore and purge of Bob’s trashed record answer 404', async () => {
    expect((await alice.request(`/collections/tasks/trash/${bobTrashed}/restore`, { method: 'POST' })).status).toBe(404);
    expect((await alice.request(`/collections/tasks/trash/${bobTrashed}`, { method: 'DELETE' })).status).toBe(404);
    expect(ids(await json(await bob.request('/collections/tasks/trash')))).toEqual([bobTrashed]);
  });

  it('aggregate counts and sums only Alice’s records', async () => {
    const report = await json<{ groups: Record<string, unknown>[] }>(
      await alice.request('/collections/tasks/aggregate?metrics=count,sum(amount)'),
    );
    expect(report.groups).toEqual([expect.objectContaining({ count: 1, 'sum(amount)': 1 })]);
  });

  it('export streams only Alice’s records, in NDJSON and CSV', async () => {
    const ndjson = await (await alice.request('/collections/tasks/export?format=ndjson')).text();
    const lines = ndjson
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string });
    expect(lines.map((line) => line.id)).toEqual([aliceRecord]);
    const csv = await (await alice.request('/collections/tasks/export?format=csv')).text();
    expect(csv).not.toContain(bobRecord);
    expect(csv).toContain(aliceRecord);
  });

  it('expansion never reveals Bob’s related record', async () => {
    const list = await json<{ items: { expand: { project: unknown } }[] }>(
      await alice.request('/collections/tasks/records?expand=project'),
    );
    expect(list.items[0].expand.project).toBeNull();
    const one = await json<{ expand: { project: unknown } }>(
      await alice.request(`/collections/tasks/records/${aliceRecord}?expand=project`),
    );
    expect(one.expand.project).toBeNull();
  });

  it('anonymous callers see nothing and cannot create', async () => {
    expect(ids(await json(await t.request('/api/v1/collections/tasks/records')))).toEqual([]);
    expect((await t.request(`/api/v1/collections/tasks/records/${bobRecord}`)).status).toBe(404);
    const created = await t.request('/api/v1/collections/tasks/records', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'anon' }),
    });
    expect(created.status).toBe(403);
  });

  it('a bad token is a 401 on every data route, never anonymous access', async () => {
    const bad = { authorization: 'Bearer not-a-token' };
    for (const path of [
      '/collections',
      '/collections/tasks/records',
      `/collections/tasks/records/${bobRecord}`,
      '/collections/tasks/aggregate',
      '/collections/tasks/export',
    ])
      expect({ path, status: (await t.request(`/api/v1${path}`, { headers: bad })).status }).toEqual({ path, status: 401 });
  });

  it('admins see every record', async () => {
    const all = await json<{ items: { id: string }[] }>(await admin.request('/collections/tasks/records'));
    expect(ids(all).sort()).toEqual([aliceRecord, bobRecord].sort());
  });
});
