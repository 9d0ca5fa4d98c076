import { DatabaseConnection } from '@backlot/database';
import { AuditService } from '@backlot/security';
import { fieldIndexName } from '../../../apps/api/src/data/collections/field-indexes';
import { postJson, signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; code: string; message: string }[];
  [member: string]: unknown;
}

interface Collection {
  id: string;
  name: string;
  description: string;
  fields: { name: string; type: string; hidden?: boolean }[];
  rules?: Record<string, string | null>;
  options: Record<string, unknown>;
  version: number;
}

async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return json<Problem>(response);
}

describe('collections: admins create, change and drop them; everyone else reads what rules open', () => {
  let t: TestApp;
  let admin: UserSession;
  let user: UserSession;

  const anonymous = (path: string, init: RequestInit = {}) => t.request(`/api/v1${path}`, init);

  async function create(body: Record<string, unknown>): Promise<Collection> {
    const response = await admin.json('POST', '/collections', body);
    expect(response.status).toBe(201);
    return json<Collection>(response);
  }

  /** What the database still holds of a collection's records and of the revisions of the given records. */
  async function stored(collectionId: string, recordIds: string[]): Promise<{ records: number; revisions: number }> {
    const [row] = await t.app.get(DatabaseConnection).query<{ records: number; revisions: number }>(
      `SELECT (SELECT count(*)::int FROM records WHERE collection_id = $1::uuid) AS records,
              (SELECT count(*)::int FROM record_revisions WHERE record_id = ANY($2::uuid[])) AS revisions`,
      [collectionId, recordIds],
    );
    return row;
  }

  async function indexExists(collectionId: string, field: string): Promise<boolean> {
    const rows = await t.app
      .get(DatabaseConnection)
      .query('SELECT 1 FROM pg_indexes WHERE indexname = $1', [fieldIndexName(collectionId, field)]);
    return rows.length > 0;
  }

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    admin = await signedInUser(t, { role: 'admin' });
    user = await signedInUser(t);
  });
  afterAll(() => t.close());

  it('creates a collection with default rules and options, and reads it back one by one and in the list', async () => {
    const created = await create({
      name: 'notes',
      description: 'Things to remember',
      fields: [
        { name: 'title', type: 'text', required: true },
        { name: 'stars', type: 'integer', min: 0, max: 5 },
      ],
    });
    expect(created).toMatchObject({
      name: 'notes',
      description: 'Things to remember',
      fields: [
        { name: 'title', type: 'text', required: true },
        { name: 'stars', type: 'integer', min: 0, max: 5 },
      ],
      rules: { list: null, view: null, create: null, update: null, delete: null },
      options: { softDelete: true, trashRetentionDays: 30, onUserDeleted: 'delete', maxRecordBytes: 262144 },
      version: 1,
    });

    const read = await admin.request('/collections/notes');
    expect(read.status).toBe(200);
    expect(await json(read)).toEqual(created);

    const listed = await json<{ items: Collection[] }>(await admin.request('/collections'));
    expect(listed.items.find((c) => c.name === 'notes')).toEqual(created);
  });

  it('alters fields, rules and options, bumping the version each time', async () => {
    const created = await create({ name: 'journal', fields: [{ name: 'entry', type: 'text' }] });
    const altered = await admin.json('PATCH', '/collections/journal', {
      fields: [
        { name: 'entry', type: 'text' },
        { name: 'mood', type: 'select', values: ['good', 'bad'] },
      ],
      rules: { list: 'owner = @me', view: 'owner = @me' },
      options: { softDelete: false },
    });
    expect(altered.status).toBe(200);
    expect(await json(altered)).toMatchObject({
      id: created.id,
      fields: [{ name: 'entry' }, { name: 'mood', values: ['good', 'bad'] }],
      rules: { list: 'owner = @me', view: 'owner = @me', create: null, update: null, delete: null },
      options: { softDelete: false, trashRetentionDays: 30 },
      version: 2,
    });

    const described = await admin.json('PATCH', '/collections/journal', { description: 'Daily' });
    expect(await json(described)).toMatchObject({ description: 'Daily', version: 3, fields: [{ name: 'entry' }, { name: 'mood' }] });
    expect(await json(await admin.request('/collections/journal'))).toMatchObject({ version: 3, description: 'Daily' });
  });

  it('refuses a change made against a stale version with 412 and keeps the newer one', async () => {
    await create({ name: 'drafts', fields: [{ name: 'body', type: 'text' }] });
    const first = await admin.json('PATCH', '/collections/drafts', { description: 'first', version: 1 });
    expect(first.status).toBe(200);
    expect((await json<Collection>(first)).version).toBe(2);

    const stale = await problem(await admin.json('PATCH', '/collections/drafts', { description: 'second', version: 1 }), 412);
    expect(stale.detail).toMatch(/version 2/);
    expect(await json(await admin.request('/collections/drafts'))).toMatchObject({ description: 'first', version: 2 });
  });

  it('lets only admins create, alter and drop collections: 403 for users, 401 for anonymous callers', async () => {
    await create({ name: 'guarded', fields: [{ name: 'title', type: 'text' }], rules: { list: '', view: '' } });
    const definition = { name: 'sneaky', fields: [{ name: 'title', type: 'text' }] };

    await problem(await user.json('POST', '/collections', definition), 403);
    await problem(await user.json('PATCH', '/collections/guarded', { description: 'mine now' }), 403);
    await problem(await user.json('DELETE', '/collections/guarded'), 403);

    await problem(await postJson(t, '/collections', definition), 401);
    const patch = { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ description: 'x' }) };
    await problem(await anonymous('/collections/guarded', patch), 401);
    await problem(await anonymous('/collections/guarded', { method: 'DELETE' }), 401);

    expect((await admin.request('/collections/sneaky')).status).toBe(404);
    expect(await json(await admin.request('/collections/guarded'))).toMatchObject({ description: '', version: 1 });
  });

  it('lists to non-admins only collections with a list or view rule, without hidden fields or rules', async () => {
    const fields = [
      { name: 'title', type: 'text' },
      { name: 'internal', type: 'text', hidden: true },
    ];
    await create({ name: 'vis_closed', fields });
    await create({ name: 'vis_listable', fields, rules: { list: '' } });
    await create({ name: 'vis_viewable', fields, rules: { view: 'owner = @me' } });
    const ours = (items: Collection[]) => items.filter((c) => c.name.startsWith('vis_'));

    for (const read of [(path: string) => user.request(path), (path: string) => anonymous(path)]) {
      const items = ours((await json<{ items: Collection[] }>(await read('/collections'))).items);
      expect(items.map((c) => c.name)).toEqual(['vis_listable', 'vis_viewable']);
      for (const collection of items) {
        expect(collection.fields).toEqual([{ name: 'title', type: 'text' }]);
        expect(collection).not.toHaveProperty('rules');
      }
      const one = await read('/collections/vis_viewable');
      expect(one.status).toBe(200);
      expect(await json(one)).not.toHaveProperty('rules');
      await problem(await read('/collections/vis_closed'), 404);
    }

    const all = ours((await json<{ items: Collection[] }>(await admin.request('/collections'))).items);
    expect(all.map((c) => c.name)).toEqual(['vis_closed', 'vis_listable', 'vis_viewable']);
    for (const collection of all) {
      expect(collection.fields.map((f) => f.name)).toEqual(['title', 'internal']);
      expect(collection.rules).toBeDefined();
    }
  });

  describe('refuses bad definitions with a 400 naming every offending path', () => {
    const cases: { what: string; body: Record<string, unknown>; path: string; code?: string }[] = [
      { what: 'a reserved field name', body: { fields: [{ name: 'owner', type: 'text' }] }, path: 'fields.0.name', code: 'reservedName' },
      {
        what: 'a field defined twice',
        body: {
          fields: [
            { name: 'title', type: 'text' },
            { name: 'title', type: 'integer' },
          ],
        },
        path: 'fields.1.name',
        code: 'duplicateName',
      },
      { what: 'an unknown field type', body: { fields: [{ name: 'title', type: 'string' }] }, path: 'fields.0.type' },
      { what: 'an invalid field name', body: { fields: [{ name: 'Title', type: 'text' }] }, path: 'fields.0.name', code: 'invalidName' },
      {
        what: 'a select without values',
        body: { fields: [{ name: 'status', type: 'select' }] },
        path: 'fields.0.values',
        code: 'required',
      },
      {
        what: 'an encrypted unique field',
        body: { fields: [{ name: 'ssn', type: 'text', encrypted: true, unique: true }] },
        path: 'fields.0.unique',
        code: 'conflict',
      },
      {
        what: 'a relation to a missing collection',
        body: { fields: [{ name: 'project', type: 'relation', collection: 'nowhere' }] },
        path: 'fields.0.collection',
        code: 'unknownCollection',
      },
      {
        what: 'a rule naming an unknown field',
        body: { fields: [{ name: 'title', type: 'text' }], rules: { list: "nope = 'x'" } },
        path: 'rules.list',
      },
      { what: 'a default that does not fit', body: { fields: [{ name: 'n', type: 'integer', default: 'x' }] }, path: 'fields.0.default' },
      { what: 'an upper-case collection name', body: { name: 'Tasks', fields: [] }, path: 'name' },
      { what: 'a collection name with a dash', body: { name: 'a-b', fields: [] }, path: 'name' },
      { what: '101 fields', body: { fields: Array.from({ length: 101 }, (_, i) => ({ name: `f${i}`, type: 'text' })) }, path: 'fields' },
    ];

    it.each(cases)('$what', async ({ body, path, code }) => {
      const name = (body.name as string | undefined) ?? 'bad_definition';
      const refused = await problem(await admin.json('POST', '/collections', { name, ...body }), 400);
      expect(refused.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, ...(code && { code }) })]));
      expect((await admin.request('/collections/bad_definition')).status).toBe(404);
    });

    it('reports every problem of one definition at once', async () => {
      const refused = await problem(
        await admin.json('POST', '/collections', {
          name: 'many_problems',
          fields: [
            { name: 'id', type: 'text' },
            { name: 'kind', type: 'select' },
            { name: 'link', type: 'relation', collection: 'missing' },
          ],
        }),
        400,
      );
      expect(refused.errors?.map((e) => e.path).sort()).toEqual(['fields.0.name', 'fields.1.values', 'fields.2.collection']);
    });

    it('applies the same checks to a schema change, which then changes nothing', async () => {
      await create({ name: 'checked_change', fields: [{ name: 'title', type: 'text' }] });
      const refused = await problem(
        await admin.json('PATCH', '/collections/checked_change', {
          fields: [
            { name: 'title', type: 'text' },
            { name: 'created', type: 'text' },
          ],
          rules: { view: 'missing = 1' },
        }),
        400,
      );
      expect(refused.errors?.map((e) => e.path).sort()).toEqual(['fields.1.name', 'rules.view']);
      expect(await json(await admin.request('/collections/checked_change'))).toMatchObject({ version: 1, fields: [{ name: 'title' }] });
    });
  });

  it('refuses a second collection with a taken name (409)', async () => {
    const first = await create({ name: 'unique_name', fields: [{ name: 'title', type: 'text' }] });
    await problem(await admin.json('POST', '/collections', { name: 'unique_name', fields: [] }), 409);
    expect(await json(await admin.request('/collections/unique_name'))).toMatchObject({ id: first.id, fields: [{ name: 'title' }] });
  });

  it('answers 404 for a collection that does not exist', async () => {
    await problem(await admin.request('/collections/never_made'), 404);
    await problem(await admin.json('PATCH', '/collections/never_made', { description: 'x' }), 404);
    await problem(await admin.json('DELETE', '/collections/never_made'), 404);
  });

  it('audits creation, every change and the drop, naming the admin, the collection and its version', async () => {
    const created = await create({ name: 'audited', fields: [{ name: 'title', type: 'text' }] });
    expect(
      (await admin.json('PATCH', '/collections/audited', { fields: [{ name: 'headline', from: 'title', type: 'text' }] })).status,
    ).toBe(200);
    expect((await admin.json('DELETE', '/collections/audited')).status).toBe(204);

    const events = (await t.app.get(AuditService).listByActor(admin.userId)).filter((e) => e.targetId === created.id);
    // Events of one request burst can share a timestamp: find them by action, not by order.
    const event = (action: string) => events.filter((e) => e.action === action);
    expect(events).toHaveLength(3);
    const [[made], [altered], [dropped]] = ['collection.created', 'collection.altered', 'collection.dropped'].map(event);
    for (const e of [made, altered, dropped])
      expect(e).toMatchObject({ outcome: 'success', targetType: 'collection', actorId: admin.userId });
    expect(made.details).toMatchObject({ name: 'audited', version: 1, fields: 1 });
    expect(altered.details).toMatchObject({ name: 'audited', version: 2, renamed: [{ from: 'title', to: 'headline' }], removed: [] });
    expect(dropped.details).toMatchObject({ name: 'audited', version: 2 });
    expect(made.actorType).toBe('user');
  });

  it('drops a collection with its records and their history, and the name can be used again', async () => {
    const dropped = await create({
      name: 'doomed',
      fields: [{ name: 'title', type: 'text', unique: true }],
      rules: { list: '', view: '', create: '', update: '', delete: '' },
    });
    const ids: string[] = [];
    for (const title of ['a', 'b']) {
      const made = await user.json('POST', '/collections/doomed/records', { title });
      expect(made.status).toBe(201);
      ids.push((await json<{ id: string }>(made)).id);
    }
    expect(await stored(dropped.id, ids)).toEqual({ records: 2, revisions: 2 });
    expect(await indexExists(dropped.id, 'title')).toBe(true);

    expect((await admin.json('DELETE', '/collections/doomed')).status).toBe(204);
    await problem(await admin.request('/collections/doomed'), 404);
    await problem(await user.request('/collections/doomed/records'), 404);
    expect(await stored(dropped.id, ids)).toEqual({ records: 0, revisions: 0 });
    expect(await indexExists(dropped.id, 'title')).toBe(false);

    const again = await create({
      name: 'doomed',
      fields: [{ name: 'title', type: 'integer', unique: true }],
      rules: { list: '', create: '' },
    });
    expect(again.id).not.toBe(dropped.id);
    expect(again.version).toBe(1);
    expect((await json<{ items: unknown[] }>(await user.request('/collections/doomed/records'))).items).toEqual([]);
    expect((await user.json('POST', '/collections/doomed/records', { title: 1 })).status).toBe(201);
    await problem(await user.json('POST', '/collections/doomed/records', { title: 'a' }), 422);
  });
});
