import { DatabaseConnection } from '@backlot/database';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json } from '@backlot/testing/test-app';
import { compositeIndexDdl, compositeIndexName } from '../../../apps/api/src/data/collections/composite-indexes';
import type { FieldDefinition } from '../../../apps/api/src/data/collections/field-definition';
import { FieldIndexesRepository } from '../../../apps/api/src/data/collections/field-indexes.repository';
import { FieldIndexSync } from '../../../apps/api/src/data/collections/field-index-sync';
import { type AdminApp, problem, startAdminApp } from '../admin/admin-helpers';

interface Collection {
  id: string;
  version: number;
  options: { indexes?: { fields: string[]; unique?: boolean }[] };
}

interface Explain {
  statement: string;
  plan: string[];
  analyzed: boolean;
  indexes: { name: string; kind: string; fields: string[]; unique: boolean; state: string; used: boolean }[];
}

const FIELDS: FieldDefinition[] = [
  { name: 'title', type: 'text' },
  { name: 'status', type: 'text', indexed: true },
  { name: 'amount', type: 'number' },
  { name: 'data', type: 'json' },
  { name: 'secret', type: 'text', encrypted: true },
];
const OPEN_LIST = new URLSearchParams({ filter: "status = 'open'", sort: '-created', limit: '20' }).toString();

describe('declared indexes: a collection indexes several keys, and admins see the plan a list gets', () => {
  let app: AdminApp;
  let admin: UserSession;
  let alice: UserSession;
  let db: DatabaseConnection;

  beforeAll(async () => {
    app = await startAdminApp();
    admin = app.admin;
    alice = await signedInUser(app.t);
    db = app.t.app.get(DatabaseConnection);
  });
  afterAll(() => app.t.close());

  async function define(name: string, body: Record<string, unknown> = {}): Promise<Collection> {
    const response = await admin.json('POST', '/collections', {
      name,
      fields: FIELDS,
      rules: { list: "owner = @me || status = 'open'" },
      ...body,
    });
    expect(response.status).toBe(201);
    return json<Collection>(response);
  }

  async function alter(name: string, body: Record<string, unknown>): Promise<Response> {
    return admin.json('PATCH', `/collections/${name}`, body);
  }

  /** Index name → valid, for the runtime indexes on records right now. */
  async function catalog(): Promise<Map<string, boolean>> {
    const rows = await db.query<{ name: string; valid: boolean }>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'records'::regclass AND c.relname LIKE 'rec\\_%'`,
    );
    return new Map(rows.map((row) => [row.name, row.valid]));
  }

  /** 4,000 records straight in SQL (a quarter `open`, five minutes apart), then fresh statistics. */
  async function seed(collectionId: string, owner: string): Promise<void> {
    await db.query(
      `INSERT INTO records (id, collection_id, owner_id, data, version, created_at, updated_at)
       SELECT gen_random_uuid(), $1::uuid, $2::uuid,
              jsonb_build_object('title', 'item ' || n, 'status', (ARRAY['open','closed','pending','archived'])[1 + n % 4], 'amount', n),
              1, now() - n * interval '5 minutes', now() - n * interval '5 minutes'
         FROM generate_series(1, 4000) AS n`,
      [collectionId, owner],
    );
    await db.query('ANALYZE records');
  }

  async function explain(name: string, query: string, as: UserSession = admin): Promise<Explain> {
    const path = `/collections/${name}/explain?${query}`;
    const response = await app.conforms('GET', path, await as.request(path));
    expect(response.status).toBe(200);
    return json<Explain>(response);
  }

  it('a declared (status, -created) index serves the filtered, newest-first list with no sort, for admins and rule-bound users', async () => {
    const collection = await define('dx_items', { options: { indexes: [{ fields: ['status', '-created'] }] } });
    expect(collection.options.indexes).toEqual([{ fields: ['status', '-created'] }]);
    const name = compositeIndexName(collection.id, { fields: ['status', '-created'] });
    expect((await catalog()).get(name)).toBe(true);
    await seed(collection.id, alice.userId);

    const plain = await explain('dx_items', `${OPEN_LIST}&analyze=true`);
    expect(plain.analyzed).toBe(true);
    expect(plain.plan.join('\n')).toContain(name);
    expect(plain.plan.join('\n')).not.toMatch(/\bSort\b/);
    expect(plain.plan.join('\n')).toMatch(/actual time/);
    expect(plain.indexes).toContainEqual({
      name,
      kind: 'declared',
      fields: ['status', '-created'],
      unique: false,
      state: 'ready',
      used: true,
    });
    expect(plain.indexes.find((index) => index.kind === 'field')).toMatchObject({ fields: ['status'], state: 'ready', used: false });

    // As a user, the list rule is in the statement, and the same index still serves it.
    const asUser = await explain('dx_items', `${OPEN_LIST}&as=${alice.userId}`);
    expect(asUser.statement).toContain('owner_id');
    expect(asUser.plan.join('\n')).toContain(name);
    expect(asUser.analyzed).toBe(false);

    // The listing itself answers from the same statement.
    const page = await alice.request(`/collections/dx_items/records?${OPEN_LIST}`);
    expect(page.status).toBe(200);
    const { items } = await json<{ items: { status: string; created: string }[] }>(page);
    expect(items).toHaveLength(20);
    expect(items.every((item) => item.status === 'open')).toBe(true);
    expect([...items.map((i) => i.created)].sort().reverse()).toEqual(items.map((i) => i.created));
  });

  it('follows renamed fields, keeps indexes a change does not mention, and drops them with the collection', async () => {
    const collection = await define('dx_rename', {
      rules: { list: '' },
      options: { indexes: [{ fields: ['status', '-created'] }, { fields: ['amount'] }] },
    });
    const before = compositeIndexName(collection.id, { fields: ['status', '-created'] });
    const renamedFields = FIELDS.map((field) => (field.name === 'status' ? { ...field, name: 'state', from: 'status' } : field));
    const renamed = await alter('dx_rename', { fields: renamedFields });
    expect(renamed.status).toBe(200);
    const after = await json<Collection>(renamed);
    expect(after.options.indexes).toEqual([{ fields: ['state', '-created'] }, { fields: ['amount'] }]);
    const now = await catalog();
    expect(now.has(before)).toBe(false);
    expect(now.get(compositeIndexName(collection.id, { fields: ['state', '-created'] }))).toBe(true);
    expect(now.get(compositeIndexName(collection.id, { fields: ['amount'] }))).toBe(true);

    // Settings changes leave the indexes alone.
    const settings = await alter('dx_rename', { options: { trashRetentionDays: 3 } });
    expect((await json<Collection>(settings)).options.indexes).toHaveLength(2);

    // Removing the indexes drops them.
    expect((await alter('dx_rename', { options: { indexes: [{ fields: ['amount'] }] } })).status).toBe(200);
    expect((await catalog()).has(compositeIndexName(collection.id, { fields: ['state', '-created'] }))).toBe(false);

    expect((await admin.request('/collections/dx_rename', { method: 'DELETE' })).status).toBe(204);
    expect([...(await catalog()).keys()].some((n) => n === compositeIndexName(collection.id, { fields: ['amount'] }))).toBe(false);
  });

  it('a unique index refuses a change over duplicates (409, nothing changes), then refuses duplicate writes naming the fields', async () => {
    const collection = await define('dx_unique', { rules: { create: '@me != null', list: '', view: '' } });
    for (const title of ['a', 'a', 'b'])
      expect((await alice.json('POST', '/collections/dx_unique/records', { title, status: 'open' })).status).toBe(201);
    const unique = { fields: ['owner', 'title'], unique: true };
    const refused = await problem(await alter('dx_unique', { options: { indexes: [unique] } }), 409);
    expect(refused).toMatchObject({ field: 'options.indexes.0', records: 2 });
    const unchanged = await json<Collection>(await admin.request('/collections/dx_unique'));
    expect(unchanged.options.indexes ?? []).toEqual([]);
    expect((await catalog()).has(compositeIndexName(collection.id, unique))).toBe(false);

    const [duplicate] = (
      await json<{ items: { id: string; title: string }[] }>(await admin.request("/collections/dx_unique/records?filter=title%20%3D%20'a'"))
    ).items;
    expect((await admin.request(`/collections/dx_unique/records/${duplicate.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await alter('dx_unique', { options: { indexes: [unique] } })).status).toBe(200);
    expect((await catalog()).get(compositeIndexName(collection.id, unique))).toBe(true);

    const clash = await problem(await alice.json('POST', '/collections/dx_unique/records', { title: 'b', status: 'closed' }), 409);
    expect(clash).toMatchObject({ fields: ['owner', 'title'] });
    expect(clash.detail).toBe('The values of owner, title are already taken together.');
    // Someone else may use the same title: the pair is what is unique.
    expect((await admin.json('POST', '/collections/dx_unique/records', { title: 'b' })).status).toBe(201);
  });

  it('refuses ill-formed index declarations with 400s that name the key', async () => {
    await define('dx_bad');
    const cases: [unknown, string][] = [
      [[{ fields: ['nope'] }], 'options.indexes.0.fields.0'],
      [[{ fields: ['data'] }], 'options.indexes.0.fields.0'],
      [[{ fields: ['secret'] }], 'options.indexes.0.fields.0'],
      [[{ fields: ['status', 'status'] }], 'options.indexes.0.fields.1'],
      [[{ fields: ['Status'] }], 'options.indexes.0.fields.0'],
      [[{ fields: ['sta\u0000tus'] }], 'options.indexes.0.fields.0'],
      [[{ fields: ['title'] }, { fields: ['title'] }], 'options.indexes.1'],
      [[{ fields: [] }], 'options.indexes.0.fields'],
      [[{ fields: ['title', 'status', 'amount', 'created', 'updated'] }], 'options.indexes.0.fields'],
      [[{ fields: 'status' }], 'options.indexes.0.fields'],
      [[{ fields: [7] }], 'options.indexes.0.fields'],
      [[{ fields: ['title'], unique: 'yes' }], 'options.indexes.0.unique'],
      [
        Array.from({ length: 9 }, (_, i) => ({
          fields: [i % 2 ? 'title' : 'amount', `-${['created', 'updated', 'owner', 'id', 'status'][i % 5]}`],
        })),
        'options.indexes',
      ],
      ['status', 'options.indexes'],
    ];
    for (const [indexes, path] of cases) {
      const body = await problem(await alter('dx_bad', { options: { indexes } }), 400);
      expect({ indexes, paths: body.errors?.map((error) => error.path) }).toEqual({ indexes, paths: expect.arrayContaining([path]) });
    }
    // Removing a field an index still names is refused; removing both in one change is not.
    expect((await alter('dx_bad', { options: { indexes: [{ fields: ['amount', '-created'] }] } })).status).toBe(200);
    const withoutAmount = FIELDS.filter((field) => field.name !== 'amount');
    const stillNamed = await problem(await alter('dx_bad', { fields: withoutAmount }), 400);
    expect(stillNamed.errors?.map((error) => error.path)).toEqual(['options.indexes.0.fields.0']);
    expect((await alter('dx_bad', { fields: withoutAmount, options: { indexes: [] } })).status).toBe(200);
  });

  it('explain is for admins only, and refuses bad input with problem answers', async () => {
    await define('dx_explain');
    const path = `/collections/dx_explain/explain?${OPEN_LIST}`;
    await problem(await alice.request(path), 403);
    await problem(await app.t.request(`/api/v1${path}`), 401);
    const syntax = await problem(await admin.request('/collections/dx_explain/explain?filter=status%20%3D%3D'), 400);
    expect(syntax.errors?.[0]).toMatchObject({ path: 'filter' });
    await problem(await admin.request('/collections/dx_explain/explain?sort=-nope'), 400);
    await problem(await admin.request('/collections/dx_explain/explain?as=not-a-uuid'), 400);
    await problem(await admin.request('/collections/dx_explain/explain?analyze=maybe'), 400);
    await problem(await admin.request('/collections/dx_explain/explain?limit=100000'), 400);
    await problem(await admin.request(`/collections/dx_explain/explain?as=${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`), 404);
    await problem(await admin.request('/collections/nope/explain'), 404);
    await problem(await admin.request('/collections/dx_explain/explain?filter=title%20%3D%20%22%ED%A0%80%22'), 400);
  });

  it('the start-up sync builds a declared index that is missing or was left invalid', async () => {
    const collection = await define('dx_sync', { options: { indexes: [{ fields: ['status', 'title'] }] } });
    const name = compositeIndexName(collection.id, { fields: ['status', 'title'] });
    await db.query(`DROP INDEX ${name}`);
    expect((await explain('dx_sync', OPEN_LIST)).indexes.find((index) => index.name === name)?.state).toBe('missing');
    await app.t.app.get(FieldIndexSync).sync(undefined, { analyze: false });
    expect((await catalog()).get(name)).toBe(true);

    // What an interrupted CREATE INDEX CONCURRENTLY leaves: an index marked invalid.
    await db.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = '${name}'::regclass`);
    expect((await explain('dx_sync', OPEN_LIST)).indexes.find((index) => index.name === name)?.state).toBe('notReady');
    await app.t.app.get(FieldIndexSync).sync(undefined, { analyze: false });
    expect((await catalog()).get(name)).toBe(true);
  });

  it('an index build that fails after its change committed is dropped, not left invalid', async () => {
    const collection = await define('dx_fail', { rules: { list: '' } });
    await seed(collection.id, alice.userId);
    // Every seeded status repeats: a unique index over it cannot be built (concurrently, on PostgreSQL).
    const ddl = compositeIndexDdl(collection.id, { fields: ['status'], unique: true }, FIELDS, { concurrently: db.kind === 'postgres' });
    expect(await app.t.app.get(FieldIndexesRepository).buildConcurrently([ddl])).toEqual([ddl.name]);
    expect((await catalog()).has(ddl.name)).toBe(false);
    // The connection it ran on is fine for the next statement (its timeout was reset or it was dropped).
    expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
