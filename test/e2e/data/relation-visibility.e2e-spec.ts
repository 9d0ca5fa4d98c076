import {
  addRecord as add,
  defineCollection,
  OPEN_RULES,
  OWNER_ONLY_RULES,
  type Problem,
  problemOf,
  startDataTestApp,
} from '@backlot/testing/data';
import { randomUUID } from 'node:crypto';
import type { UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';

type Row = Record<string, unknown> & { id: string };

const PUBLIC_OR_OWN = { ...OWNER_ONLY_RULES, list: 'owner = @me || public = true', view: 'owner = @me || public = true' };
const ADMINS_ONLY = { list: null, view: null, create: null, update: null, delete: null };

/** A refusal as the caller sees it, without what differs between requests (the request id, the id sent). */
function shape(problem: Problem, id: string): string {
  const { instance: _instance, requestId: _requestId, ...rest } = problem;
  return JSON.stringify(rest).replaceAll(id, '<id>');
}

describe('relations point only at records the caller may view: an invisible target answers like a missing one', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  let alicePrivate: Row;
  let alicePublic: Row;
  let bobsOwn: Row;
  let vaultItem: Row;

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    await define(
      'projects',
      [
        { name: 'name', type: 'text' },
        { name: 'public', type: 'boolean', default: false },
      ],
      PUBLIC_OR_OWN,
    );
    await define('vault', [{ name: 'name', type: 'text' }], ADMINS_ONLY);
    await define(
      'tasks',
      [
        { name: 'title', type: 'text' },
        { name: 'project', type: 'relation', collection: 'projects', onDelete: 'restrict' },
        { name: 'projects', type: 'relation', collection: 'projects', multiple: true },
        { name: 'vault', type: 'relation', collection: 'vault' },
      ],
      OPEN_RULES,
    );
    alicePrivate = await add(alice, 'projects', { name: 'alice private' });
    alicePublic = await add(alice, 'projects', { name: 'alice public', public: true });
    bobsOwn = await add(bob, 'projects', { name: 'bob own' });
    vaultItem = await add(admin, 'vault', { name: 'locked' });
  });
  afterAll(() => t.close());

  const define = (name: string, fields: Record<string, unknown>[], rules: Record<string, string | null>) =>
    defineCollection(admin, name, fields, rules);
  const refused = (response: Response) => problemOf(response, 422);

  /** The same write, once with `id` and once with a random uuid: both refused, byte for byte alike. */
  async function refusedLikeMissing(write: (id: string) => Promise<Response>, id: string): Promise<Problem> {
    const missing = randomUUID();
    const invisible = await refused(await write(id));
    expect(shape(invisible, id)).toBe(shape(await refused(await write(missing)), missing));
    return invisible;
  }

  it('refuses a create pointing at a record the caller may not view exactly as one pointing at nothing', async () => {
    const create = (body: Record<string, unknown>) => bob.json('POST', '/collections/tasks/records', body);
    const single = await refusedLikeMissing((id) => create({ project: id }), alicePrivate.id);
    expect(single.errors).toEqual([
      {
        path: 'project',
        code: 'unknownRecord',
        message: `project refers to no live record of projects that you may view: ${alicePrivate.id}`,
      },
    ]);
    await refusedLikeMissing((id) => create({ projects: [bobsOwn.id, id] }), alicePrivate.id);
    // Only admins may view the vault: nobody else may point at it.
    await refusedLikeMissing((id) => create({ vault: id }), vaultItem.id);
    await refusedLikeMissing((id) => t.request('/api/v1/collections/tasks/records', jsonBody({ project: id })), alicePrivate.id);
  });

  it('refuses the same through patch, replace, batch and import', async () => {
    const task = await add(bob, 'tasks', { title: 'mine' });
    const path = `/collections/tasks/records/${task.id}`;
    await refusedLikeMissing((id) => bob.json('PATCH', path, { project: id }), alicePrivate.id);
    await refusedLikeMissing((id) => bob.json('PUT', path, { title: 'mine', project: id }), alicePrivate.id);
    const batch = await refusedLikeMissing(
      (id) =>
        bob.json('POST', '/collections/tasks/batch', {
          operations: [
            { action: 'create', data: { project: bobsOwn.id } },
            { action: 'update', id: task.id, data: { projects: [id] } },
          ],
        }),
      alicePrivate.id,
    );
    expect(batch.errors).toEqual([expect.objectContaining({ path: 'operations.1.data.projects', code: 'unknownRecord' })]);
    const upload = (id: string) =>
      bob.request('/collections/tasks/import', {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: `title,project\r\nfine,${bobsOwn.id}\r\nsneaky,${id}\r\n`,
      });
    const imported = await refusedLikeMissing(upload, alicePrivate.id);
    expect(imported.errors).toEqual([expect.objectContaining({ path: 'line 3.project', code: 'unknownRecord' })]);

    const stored = await json<Row>(await bob.request(path));
    expect(stored).toMatchObject({ title: 'mine', version: 1 });
    expect('project' in stored || 'projects' in stored).toBe(false);
    const listed = await json<{ items: Row[] }>(await bob.request('/collections/tasks/records?limit=200'));
    expect(listed.items.filter((row) => row.project === alicePrivate.id || row.title === 'sneaky')).toEqual([]);
  });

  it('accepts references to the caller’s own records and to records they may view', async () => {
    const task = await add(bob, 'tasks', { project: bobsOwn.id, projects: [alicePublic.id, bobsOwn.id] });
    expect(task).toMatchObject({ project: bobsOwn.id, projects: [alicePublic.id, bobsOwn.id] });
    const patched = await bob.json('PATCH', `/collections/tasks/records/${task.id}`, { project: alicePublic.id });
    expect(patched.status).toBe(200);
    const imported = await bob.request('/collections/tasks/import', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ project: alicePublic.id })}\n`,
    });
    expect(await json(imported)).toMatchObject({ imported: 1 });
  });

  it('lets admins point at any record', async () => {
    expect(await add(admin, 'tasks', { project: alicePrivate.id, vault: vaultItem.id })).toMatchObject({ project: alicePrivate.id });
    const batch = await admin.json('POST', '/collections/tasks/batch', {
      operations: [{ action: 'create', data: { vault: vaultItem.id } }],
    });
    expect(batch.status).toBe(200);
  });

  it('leaves a stranger no way to stop an owner deleting their record through onDelete restrict', async () => {
    const kept = await add(alice, 'projects', { name: 'alice deletes this' });
    await refused(await bob.json('POST', '/collections/tasks/records', { project: kept.id }));
    expect((await alice.json('DELETE', `/collections/projects/records/${kept.id}`)).status).toBe(204);
  });

  function jsonBody(body: unknown): RequestInit {
    return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }
});
