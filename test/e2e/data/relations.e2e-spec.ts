import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import { randomUUID } from 'node:crypto';
import { RecordsRepository } from '../../../apps/api/src/data/records/records.repository';
import type { UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; code: string }[];
  [member: string]: unknown;
}

interface Row {
  id: string;
  version: number;
  expand?: Record<string, Row | Row[] | null>;
  [field: string]: unknown;
}

type Field = Record<string, unknown>;

const OPEN = { list: '', view: '', create: '', update: '', delete: '' };

async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return json<Problem>(response);
}

describe('relations: references are checked, expanded under the target’s rules, and follow their on-delete rule', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    await define('projects', [{ name: 'name', type: 'text', required: true }], OWNER_ONLY_RULES);
    await define(
      'tasks',
      [
        { name: 'title', type: 'text' },
        { name: 'project', type: 'relation', collection: 'projects' },
        { name: 'projects', type: 'relation', collection: 'projects', multiple: true },
        { name: 'assignee', type: 'user' },
      ],
      OWNER_ONLY_RULES,
    );
  });
  afterAll(() => t.close());

  async function define(name: string, fields: Field[], rules: Record<string, string | null> = OPEN): Promise<void> {
    const response = await admin.json('POST', '/collections', { name, fields, rules });
    expect(response.status).toBe(201);
  }

  async function add(who: UserSession, collection: string, data: Field): Promise<Row> {
    const response = await who.json('POST', `/collections/${collection}/records`, data);
    expect(response.status).toBe(201);
    return json<Row>(response);
  }

  async function read(who: UserSession, collection: string, id: string, query = ''): Promise<Row> {
    const response = await who.request(`/collections/${collection}/records/${id}${query}`);
    expect(response.status).toBe(200);
    return json<Row>(response);
  }

  async function remove(who: UserSession, collection: string, id: string): Promise<Response> {
    return who.json('DELETE', `/collections/${collection}/records/${id}`);
  }

  async function trash(who: UserSession, collection: string): Promise<string[]> {
    return (await json<{ items: Row[] }>(await who.request(`/collections/${collection}/trash?limit=200`))).items.map((r) => r.id);
  }

  describe('checking references', () => {
    it('refuses a relation to a record that does not exist (422 unknownRecord)', async () => {
      const mine = await add(alice, 'projects', { name: 'mine' });
      const missing = randomUUID();

      const single = await problem(await alice.json('POST', '/collections/tasks/records', { project: missing }), 422);
      expect(single.errors).toEqual([expect.objectContaining({ path: 'project', code: 'unknownRecord' })]);
      const multiple = await problem(await alice.json('POST', '/collections/tasks/records', { projects: [mine.id, missing] }), 422);
      expect(multiple.errors).toEqual([expect.objectContaining({ path: 'projects', code: 'unknownRecord' })]);

      const task = await add(alice, 'tasks', { project: mine.id, projects: [mine.id] });
      await problem(await alice.json('PATCH', `/collections/tasks/records/${task.id}`, { project: missing }), 422);
      expect(await read(alice, 'tasks', task.id)).toMatchObject({ project: mine.id, version: 1 });
    });

    it('refuses a relation to a trashed record or to a record of another collection', async () => {
      const trashed = await add(alice, 'projects', { name: 'old' });
      expect((await remove(alice, 'projects', trashed.id)).status).toBe(204);
      const elsewhere = await add(alice, 'tasks', { title: 'not a project' });

      for (const id of [trashed.id, elsewhere.id]) {
        const refused = await problem(await alice.json('POST', '/collections/tasks/records', { project: id }), 422);
        expect(refused.errors).toEqual([expect.objectContaining({ path: 'project', code: 'unknownRecord' })]);
      }
    });

    it('refuses a user field naming no account (422 unknownUser) and accepts a real one', async () => {
      const refused = await problem(await alice.json('POST', '/collections/tasks/records', { assignee: randomUUID() }), 422);
      expect(refused.errors).toEqual([expect.objectContaining({ path: 'assignee', code: 'unknownUser' })]);
      expect(await add(alice, 'tasks', { assignee: bob.userId })).toMatchObject({ assignee: bob.userId });
    });

    it('refuses ids not spelled as the API writes them, which would slip past the reference checks', async () => {
      const real = await add(alice, 'projects', { name: 'spelled' });
      const cases: [Field, string][] = [
        [{ project: 'p-1' }, 'project'],
        [{ project: real.id.toUpperCase() }, 'project'],
        [{ project: `urn:uuid:${real.id}` }, 'project'],
        [{ projects: [randomUUID().toUpperCase()] }, 'projects.0'],
        [{ assignee: bob.userId.toUpperCase() }, 'assignee'],
      ];
      for (const [body, path] of cases) {
        const refused = await problem(await alice.json('POST', '/collections/tasks/records', body), 422);
        expect(new Set(refused.errors?.map((e) => e.path))).toEqual(new Set([path]));
      }
    });

    it('refuses pointing a relation at another collection while records refer into the old one (409), and allows it once they do not', async () => {
      await define('t_first', [{ name: 'name', type: 'text' }]);
      await define('t_second', [{ name: 'name', type: 'text' }]);
      await define('t_links', [{ name: 'link', type: 'relation', collection: 't_first' }]);
      const target = await add(admin, 't_first', { name: 'a' });
      const link = await add(admin, 't_links', { link: target.id });
      const retarget = { fields: [{ name: 'link', type: 'relation', collection: 't_second' }] };

      expect(await problem(await admin.json('PATCH', '/collections/t_links', retarget), 409)).toMatchObject({ field: 'link', records: 1 });
      expect(await read(admin, 't_links', link.id, '?expand=link')).toMatchObject({ expand: { link: { id: target.id } } });

      expect((await admin.json('PATCH', `/collections/t_links/records/${link.id}`, { link: null })).status).toBe(200);
      expect((await admin.json('PATCH', '/collections/t_links', retarget)).status).toBe(200);
    });
  });

  describe('expanding', () => {
    it('embeds single and multiple relations under expand, one lookup per field whatever the number of records', async () => {
      const [first, second] = [await add(alice, 'projects', { name: 'first' }), await add(alice, 'projects', { name: 'second' })];
      const task = await add(alice, 'tasks', { title: 'expand me', project: first.id, projects: [second.id, first.id] });
      const bare = await add(alice, 'tasks', { title: 'no links' });

      const one = await read(alice, 'tasks', task.id, '?expand=project,projects');
      expect(one.expand?.project).toMatchObject({ id: first.id, name: 'first', owner: alice.userId });
      expect((one.expand?.projects as Row[]).map((p) => p.name)).toEqual(['second', 'first']);
      expect(one.project).toBe(first.id);

      for (let i = 0; i < 4; i++) await add(alice, 'tasks', { title: `more ${i}`, project: second.id });
      const repository = t.app.get(RecordsRepository);
      const lookups = jest.spyOn(repository, 'findMany');
      try {
        const response = await alice.request('/collections/tasks/records?limit=200&expand=project,projects');
        expect(response.status).toBe(200);
        const items = (await json<{ items: Row[] }>(response)).items;
        expect(lookups).toHaveBeenCalledTimes(2);
        const byId = new Map(items.map((row) => [row.id, row]));
        expect(byId.get(task.id)?.expand?.project).toMatchObject({ id: first.id });
        expect(byId.get(bare.id)?.expand).toEqual({ project: null, projects: [] });
        expect(items.filter((row) => (row.expand?.project as Row | null)?.name === 'second')).toHaveLength(4);
      } finally {
        lookups.mockRestore();
      }
    });

    it('shows through expand only the related records the caller may view', async () => {
      const hers = await add(alice, 'projects', { name: 'alice only' });
      const his = await add(bob, 'projects', { name: 'bob’s' });
      const task = await add(bob, 'tasks', { projects: [his.id] });
      // Bob may not point at Alice's project himself; an admin may.
      const linked = await admin.json('PATCH', `/collections/tasks/records/${task.id}`, { project: hers.id, projects: [hers.id, his.id] });
      expect(linked.status).toBe(200);

      const seen = await read(bob, 'tasks', task.id, '?expand=project,projects');
      expect(seen.expand?.project).toBeNull();
      expect((seen.expand?.projects as Row[]).map((p) => p.id)).toEqual([his.id]);
      const listed = await json<{ items: Row[] }>(await bob.request('/collections/tasks/records?expand=project,projects'));
      expect(listed.items.find((row) => row.id === task.id)?.expand).toEqual(seen.expand);

      const asAdmin = await read(admin, 'tasks', task.id, '?expand=project');
      expect(asAdmin.expand?.project).toMatchObject({ id: hers.id, name: 'alice only' });
    });

    it('expands to nothing, without failing the read, when only admins may view the target', async () => {
      await define('vault', [{ name: 'secret', type: 'text' }], { list: null, view: null, create: null, update: null, delete: null });
      await define('notes', [{ name: 'vault', type: 'relation', collection: 'vault' }]);
      const locked = await add(admin, 'vault', { secret: 's' });
      const note = await add(admin, 'notes', { vault: locked.id });

      expect((await read(alice, 'notes', note.id, '?expand=vault')).expand).toEqual({ vault: null });
      expect((await read(admin, 'notes', note.id, '?expand=vault')).expand?.vault).toMatchObject({ secret: 's' });
    });

    it('refuses to expand a field that is not a relation (400)', async () => {
      const refused = await problem(await alice.request('/collections/tasks/records?expand=title'), 400);
      expect(refused.errors).toEqual([expect.objectContaining({ path: 'expand', code: 'notExpandable' })]);
    });
  });

  describe('deleting a record others refer to', () => {
    it('refuses (409) under restrict and deletes nothing', async () => {
      await define('r_parents', [{ name: 'name', type: 'text' }]);
      await define('r_children', [{ name: 'parent', type: 'relation', collection: 'r_parents', onDelete: 'restrict' }]);
      const parent = await add(alice, 'r_parents', { name: 'p' });
      const child = await add(alice, 'r_children', { parent: parent.id });

      const refused = await problem(await remove(alice, 'r_parents', parent.id), 409);
      expect(refused.detail).toMatch(/r_children/);
      expect(await read(alice, 'r_parents', parent.id)).toMatchObject({ version: 1 });
      expect(await read(alice, 'r_children', child.id)).toMatchObject({ parent: parent.id, version: 1 });
      expect(await trash(alice, 'r_parents')).toEqual([]);

      // A trashed dependant no longer holds its parent back.
      expect((await remove(alice, 'r_children', child.id)).status).toBe(204);
      expect((await remove(alice, 'r_parents', parent.id)).status).toBe(204);
    });

    it('rolls back every other on-delete effect when one relation restricts', async () => {
      await define('m_parents', [{ name: 'name', type: 'text' }]);
      await define('m_a_cleared', [{ name: 'parent', type: 'relation', collection: 'm_parents', onDelete: 'setNull' }]);
      await define('m_b_cascaded', [{ name: 'parent', type: 'relation', collection: 'm_parents', onDelete: 'cascade' }]);
      await define('m_c_restricting', [{ name: 'parent', type: 'relation', collection: 'm_parents', onDelete: 'restrict' }]);
      const parent = await add(alice, 'm_parents', { name: 'p' });
      const cleared = await add(alice, 'm_a_cleared', { parent: parent.id });
      const cascaded = await add(alice, 'm_b_cascaded', { parent: parent.id });
      await add(alice, 'm_c_restricting', { parent: parent.id });

      await problem(await remove(alice, 'm_parents', parent.id), 409);
      expect(await read(alice, 'm_a_cleared', cleared.id)).toMatchObject({ parent: parent.id, version: 1 });
      expect(await read(alice, 'm_b_cascaded', cascaded.id)).toMatchObject({ parent: parent.id, version: 1 });
      expect(await read(alice, 'm_parents', parent.id)).toMatchObject({ version: 1 });
    });

    it('clears the reference under setNull: a single relation becomes null, a multiple one loses the id', async () => {
      await define('n_parents', [{ name: 'name', type: 'text' }]);
      await define('n_children', [
        { name: 'parent', type: 'relation', collection: 'n_parents', onDelete: 'setNull' },
        { name: 'parents', type: 'relation', collection: 'n_parents', multiple: true },
      ]);
      const [gone, kept] = [await add(alice, 'n_parents', { name: 'gone' }), await add(alice, 'n_parents', { name: 'kept' })];
      const single = await add(alice, 'n_children', { parent: gone.id });
      const multiple = await add(alice, 'n_children', { parents: [gone.id, kept.id] });
      const other = await add(alice, 'n_children', { parent: kept.id, parents: [kept.id] });

      expect((await remove(alice, 'n_parents', gone.id)).status).toBe(204);
      expect(await read(alice, 'n_children', single.id)).toMatchObject({ parent: null, version: 2 });
      expect(await read(alice, 'n_children', multiple.id)).toMatchObject({ parents: [kept.id], version: 2 });
      expect(await read(alice, 'n_children', other.id)).toMatchObject({ parent: kept.id, parents: [kept.id], version: 1 });
    });

    it('trashes dependants under cascade, through every level, even those the deleting user could not delete', async () => {
      // Everyone may view (and so refer to) a parent; only its owner may delete it.
      await define('c_parents', [{ name: 'name', type: 'text' }], { ...OWNER_ONLY_RULES, list: '', view: '' });
      await define('c_children', [{ name: 'parent', type: 'relation', collection: 'c_parents', onDelete: 'cascade' }], OWNER_ONLY_RULES);
      await define(
        'c_grandchildren',
        [{ name: 'parent', type: 'relation', collection: 'c_children', onDelete: 'cascade' }],
        OWNER_ONLY_RULES,
      );
      const [doomed, spared] = [await add(alice, 'c_parents', { name: 'doomed' }), await add(alice, 'c_parents', { name: 'spared' })];
      const ownChild = await add(alice, 'c_children', { parent: doomed.id });
      const bobsChild = await add(bob, 'c_children', { parent: doomed.id });
      const grandchild = await add(bob, 'c_grandchildren', { parent: bobsChild.id });
      const unrelated = await add(alice, 'c_children', { parent: spared.id });

      expect((await remove(alice, 'c_parents', doomed.id)).status).toBe(204);
      expect(await trash(alice, 'c_children')).toEqual([ownChild.id]);
      expect(await trash(bob, 'c_children')).toEqual([bobsChild.id]);
      expect(await trash(bob, 'c_grandchildren')).toEqual([grandchild.id]);
      expect(await read(alice, 'c_children', unrelated.id)).toMatchObject({ parent: spared.id });
    });

    it('follows relations a collection has to itself', async () => {
      await define('nodes', [
        { name: 'label', type: 'text' },
        { name: 'parent', type: 'relation', collection: 'nodes', onDelete: 'cascade' },
      ]);
      const root = await add(alice, 'nodes', { label: 'root' });
      const leaf = await add(alice, 'nodes', { label: 'leaf', parent: root.id });
      expect((await read(alice, 'nodes', leaf.id, '?expand=parent')).expand?.parent).toMatchObject({ label: 'root' });

      expect((await remove(alice, 'nodes', root.id)).status).toBe(204);
      expect((await trash(alice, 'nodes')).sort()).toEqual([root.id, leaf.id].sort());
    });
  });

  it('refuses to drop a collection other collections relate to (409), until they no longer do', async () => {
    await define('d_targets', [{ name: 'name', type: 'text' }]);
    await define('d_referrers', [
      { name: 'title', type: 'text' },
      { name: 'target', type: 'relation', collection: 'd_targets' },
    ]);

    const refused = await problem(await admin.json('DELETE', '/collections/d_targets'), 409);
    expect(refused.detail).toMatch(/d_referrers/);
    expect((await admin.request('/collections/d_targets')).status).toBe(200);

    expect((await admin.json('PATCH', '/collections/d_referrers', { fields: [{ name: 'title', type: 'text' }] })).status).toBe(200);
    expect((await admin.json('DELETE', '/collections/d_targets')).status).toBe(204);
  });
});
