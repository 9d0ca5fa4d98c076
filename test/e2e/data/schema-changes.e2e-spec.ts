import { DatabaseConnection } from '@backlot/database';
import { fieldIndexName } from '../../../apps/api/src/data/collections/field-indexes';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; code: string }[];
  [member: string]: unknown;
}

interface Collection {
  id: string;
  name: string;
  fields: { name: string; type: string; [option: string]: unknown }[];
  version: number;
}

interface Row {
  id: string;
  version: number;
  [field: string]: unknown;
}

type Field = Record<string, unknown>;

async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return json<Problem>(response);
}

describe('schema changes: stored records follow the new definition, or the change is refused and nothing moves', () => {
  let t: TestApp;
  let admin: UserSession;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    admin = await signedInUser(t, { role: 'admin' });
  });
  afterAll(() => t.close());

  async function define(name: string, fields: Field[]): Promise<Collection> {
    const response = await admin.json('POST', '/collections', { name, fields });
    expect(response.status).toBe(201);
    return json<Collection>(response);
  }

  async function add(name: string, ...items: Field[]): Promise<Row[]> {
    const rows: Row[] = [];
    for (const data of items) {
      const response = await admin.json('POST', `/collections/${name}/records`, data);
      expect(response.status).toBe(201);
      rows.push(await json<Row>(response));
    }
    return rows;
  }

  function alter(name: string, body: Record<string, unknown>): Promise<Response> {
    return admin.json('PATCH', `/collections/${name}`, body);
  }

  async function altered(name: string, body: Record<string, unknown>): Promise<Collection> {
    const response = await alter(name, body);
    expect(response.status).toBe(200);
    return json<Collection>(response);
  }

  async function list(name: string, query: Record<string, string> = {}): Promise<Row[]> {
    const response = await admin.request(`/collections/${name}/records?${new URLSearchParams({ limit: '200', ...query })}`);
    expect(response.status).toBe(200);
    return (await json<{ items: Row[] }>(response)).items;
  }

  async function index(collection: Collection, field: string): Promise<string | undefined> {
    const [row] = await t.app
      .get(DatabaseConnection)
      .query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [fieldIndexName(collection.id, field)]);
    return row?.indexdef;
  }

  /** The collection, its records and its field indexes: what a refused change must leave as it was. */
  async function snapshot(collection: Collection): Promise<unknown> {
    const definition = await json(await admin.request(`/collections/${collection.name}`));
    const names = ['title', 'tag', 'headline', 'due', 'code'];
    return { definition, records: await list(collection.name), indexes: await Promise.all(names.map((f) => index(collection, f))) };
  }

  it('fills existing records with the default of a new field', async () => {
    const collection = await define('fill_default', [{ name: 'title', type: 'text' }]);
    await add('fill_default', { title: 'a' }, { title: 'b' }, {});

    const changed = await altered('fill_default', {
      fields: [
        { name: 'title', type: 'text' },
        { name: 'priority', type: 'integer', default: 3 },
      ],
    });
    expect(changed.version).toBe(collection.version + 1);
    expect((await list('fill_default')).map((r) => r.priority)).toEqual([3, 3, 3]);
    expect(await list('fill_default', { filter: 'priority = 3' })).toHaveLength(3);
  });

  it('fills records lacking a value when a field becomes required with a default, keeping the values they have', async () => {
    await define('fill_required', [{ name: 'status', type: 'text' }]);
    await add('fill_required', { status: 'open' }, {}, { status: null });

    await altered('fill_required', { fields: [{ name: 'status', type: 'text', required: true, default: 'new' }] });
    expect((await list('fill_required')).map((r) => r.status)).toEqual(['open', 'new', 'new']);
  });

  it('refuses a unique field whose default would repeat across records (409), and fills it when only one record gets it', async () => {
    const collection = await define('fill_unique', [{ name: 'title', type: 'text' }]);
    await add('fill_unique', { title: 'a' }, { title: 'b' });
    const before = await snapshot(collection);
    const withCode = {
      fields: [
        { name: 'title', type: 'text' },
        { name: 'code', type: 'text', unique: true, default: 'c' },
      ],
    };

    expect(await problem(await alter('fill_unique', withCode), 409)).toMatchObject({ field: 'code', records: 2 });
    expect(await snapshot(collection)).toEqual(before);

    await define('fill_unique_one', [{ name: 'code', type: 'text', unique: true }]);
    await add('fill_unique_one', { code: 'taken' }, {});
    const requiredCode = (value: string) => ({ fields: [{ name: 'code', type: 'text', unique: true, required: true, default: value }] });
    expect(await problem(await alter('fill_unique_one', requiredCode('taken')), 409)).toMatchObject({ field: 'code', records: 2 });
    await altered('fill_unique_one', requiredCode('free'));
    expect((await list('fill_unique_one')).map((r) => r.code)).toEqual(['taken', 'free']);
  });

  it('seals the default filled into a new encrypted field, so records read it back in plain', async () => {
    await define('fill_encrypted', [{ name: 'title', type: 'text' }]);
    const [row] = await add('fill_encrypted', { title: 'a' });

    await altered('fill_encrypted', {
      fields: [
        { name: 'title', type: 'text' },
        { name: 'pin', type: 'text', encrypted: true, default: '1234' },
      ],
    });
    expect((await list('fill_encrypted')).map((r) => r.pin)).toEqual(['1234']);
    const [stored] = await t.app
      .get(DatabaseConnection)
      .query<{ data: Record<string, unknown> }>('SELECT data FROM records WHERE id = $1::uuid', [row.id]);
    expect(stored.data.pin).toEqual(expect.any(String));
    expect(stored.data.pin).not.toContain('1234');
  });

  it('makes filled defaults of a searchable field findable by q=', async () => {
    await define('fill_searchable', [{ name: 'body', type: 'text', searchable: true }]);
    const [, blank] = await add('fill_searchable', { body: 'hello there' }, {});

    await altered('fill_searchable', { fields: [{ name: 'body', type: 'text', searchable: true, required: true, default: 'untitled' }] });
    expect((await list('fill_searchable', { q: 'untitled' })).map((r) => r.id)).toEqual([blank.id]);
  });

  it('refuses a new required field without a default while records exist (409 naming field and count), changing nothing', async () => {
    const collection = await define('required_new', [
      { name: 'title', type: 'text' },
      { name: 'tag', type: 'text' },
    ]);
    await add('required_new', { title: 'a', tag: 'x' }, { title: 'b' });
    const before = await snapshot(collection);

    const refused = await problem(
      await alter('required_new', {
        version: 1,
        fields: [
          { name: 'headline', from: 'title', type: 'text' },
          { name: 'tag', type: 'text', indexed: true },
          { name: 'due', type: 'datetime', required: true },
        ],
      }),
      409,
    );
    expect(refused).toMatchObject({ field: 'due', records: 2 });
    expect(await snapshot(collection)).toEqual(before);
    expect(await index(collection, 'tag')).toBeUndefined();
  });

  it('refuses making an existing field required while records lack a value, and accepts it once they all have one', async () => {
    await define('required_existing', [{ name: 'title', type: 'text' }]);
    const [, missing] = await add('required_existing', { title: 'a' }, {});

    expect(
      await problem(await alter('required_existing', { fields: [{ name: 'title', type: 'text', required: true }] }), 409),
    ).toMatchObject({ field: 'title', records: 1 });
    expect((await admin.json('PATCH', `/collections/required_existing/records/${missing.id}`, { title: 'b' })).status).toBe(200);
    await altered('required_existing', { fields: [{ name: 'title', type: 'text', required: true }] });
  });

  it('adds a required field without a default to an empty collection', async () => {
    await define('required_empty', [{ name: 'title', type: 'text' }]);
    const changed = await altered('required_empty', {
      fields: [
        { name: 'title', type: 'text' },
        { name: 'due', type: 'datetime', required: true },
      ],
    });
    expect(changed.fields.map((f) => f.name)).toEqual(['title', 'due']);
    await problem(await admin.json('POST', '/collections/required_empty/records', { title: 'a' }), 422);
  });

  it('renames a field keeping its values, its index and its filters under the new name', async () => {
    const collection = await define('rename_one', [
      { name: 'title', type: 'text', indexed: true },
      { name: 'done', type: 'boolean' },
    ]);
    await add('rename_one', { title: 'alpha', done: true }, { title: 'beta', done: false });

    await altered('rename_one', {
      fields: [
        { name: 'headline', from: 'title', type: 'text', indexed: true },
        { name: 'done', type: 'boolean' },
      ],
    });
    const rows = await list('rename_one');
    expect(rows.map((r) => [r.headline, r.done])).toEqual([
      ['alpha', true],
      ['beta', false],
    ]);
    expect(rows.every((r) => !('title' in r))).toBe(true);
    expect((await list('rename_one', { filter: "headline = 'beta'" })).map((r) => r.headline)).toEqual(['beta']);
    await problem(await admin.request(`/collections/rename_one/records?filter=${encodeURIComponent("title = 'beta'")}`), 400);
    expect(await index(collection, 'title')).toBeUndefined();
    expect(await index(collection, 'headline')).toContain(collection.id);
  });

  it('swaps the names of two fields in one change', async () => {
    await define('rename_swap', [
      { name: 'first', type: 'text' },
      { name: 'second', type: 'text' },
    ]);
    await add('rename_swap', { first: '1', second: '2' }, { first: 'only first' });

    await altered('rename_swap', {
      fields: [
        { name: 'second', from: 'first', type: 'text' },
        { name: 'first', from: 'second', type: 'text' },
      ],
    });
    const rows = await list('rename_swap');
    expect(rows.map((r) => [r.first, r.second])).toEqual([
      ['2', '1'],
      [undefined, 'only first'],
    ]);
  });

  it('refuses renaming onto a name that is still in use, and a rename of a field that does not exist', async () => {
    await define('rename_bad', [
      { name: 'first', type: 'text' },
      { name: 'second', type: 'text' },
    ]);
    const onto = await problem(
      await alter('rename_bad', {
        fields: [
          { name: 'second', from: 'first', type: 'text' },
          { name: 'second', type: 'text' },
        ],
      }),
      400,
    );
    expect(onto.errors?.map((e) => e.path)).toContain('fields.1.name');
    const missing = await problem(await alter('rename_bad', { fields: [{ name: 'third', from: 'nothing', type: 'text' }] }), 400);
    expect(missing.errors).toEqual([expect.objectContaining({ path: 'fields.0.from', code: 'unknownField' })]);
  });

  it('removes a field together with its stored values', async () => {
    await define('remove_field', [
      { name: 'keep', type: 'text' },
      { name: 'drop', type: 'text' },
    ]);
    const [row] = await add('remove_field', { keep: 'k', drop: 'd' });

    await altered('remove_field', { fields: [{ name: 'keep', type: 'text' }] });
    const [stored] = await t.app.get(DatabaseConnection).query<{ data: unknown }>('SELECT data FROM records WHERE id = $1::uuid', [row.id]);
    expect(stored.data).toEqual({ keep: 'k' });

    // Bringing the name back does not bring the value back.
    await altered('remove_field', {
      fields: [
        { name: 'keep', type: 'text' },
        { name: 'drop', type: 'text' },
      ],
    });
    expect(await list('remove_field')).toEqual([expect.not.objectContaining({ drop: expect.anything() })]);
  });

  describe('unique fields', () => {
    it('refuses making a field unique while live records share a value (409 with the count)', async () => {
      const collection = await define('unique_dupes', [{ name: 'code', type: 'text' }]);
      await add('unique_dupes', { code: 'x' }, { code: 'x' }, { code: 'x' }, { code: 'y' }, {});
      const before = await snapshot(collection);

      expect(await problem(await alter('unique_dupes', { fields: [{ name: 'code', type: 'text', unique: true }] }), 409)).toMatchObject({
        field: 'code',
        records: 3,
      });
      expect(await snapshot(collection)).toEqual(before);
    });

    it('rejects a record repeating a unique value with 409 naming the field, on create and on change', async () => {
      await define('unique_enforced', [
        { name: 'code', type: 'text', unique: true },
        { name: 'slug', type: 'text', unique: true },
      ]);
      const [, second] = await add('unique_enforced', { code: 'a', slug: 'one' }, { code: 'b', slug: 'two' });

      const created = await problem(await admin.json('POST', '/collections/unique_enforced/records', { code: 'c', slug: 'one' }), 409);
      expect(created.field).toBe('slug');
      const changed = await problem(await admin.json('PATCH', `/collections/unique_enforced/records/${second.id}`, { code: 'a' }), 409);
      expect(changed.field).toBe('code');
      expect((await list('unique_enforced')).map((r) => [r.code, r.slug])).toEqual([
        ['a', 'one'],
        ['b', 'two'],
      ]);
    });

    it('does not count trashed records against a unique value', async () => {
      await define('unique_trash', [{ name: 'code', type: 'text', unique: true }]);
      const [first] = await add('unique_trash', { code: 'x' });
      expect((await admin.json('DELETE', `/collections/unique_trash/records/${first.id}`)).status).toBe(204);
      await add('unique_trash', { code: 'x' });

      // …until it comes back from the trash into a taken value.
      const restored = await problem(await admin.json('POST', `/collections/unique_trash/trash/${first.id}/restore`), 409);
      expect(restored.field).toBe('code');
    });

    it('makes a field unique when its only duplicates are in the trash', async () => {
      const collection = await define('unique_later', [{ name: 'code', type: 'text' }]);
      const [trashed] = await add('unique_later', { code: 'x' }, { code: 'x' });
      expect((await admin.json('DELETE', `/collections/unique_later/records/${trashed.id}`)).status).toBe(204);

      await altered('unique_later', { fields: [{ name: 'code', type: 'text', unique: true }] });
      expect(await index(collection, 'code')).toMatch(/^CREATE UNIQUE INDEX/);
      await problem(await admin.json('POST', '/collections/unique_later/records', { code: 'x' }), 409);
    });

    it('refuses with 422 naming the field to bring back from the trash a record a tightened schema no longer accepts', async () => {
      await define('tightened_trash', [{ name: 'title', type: 'text' }]);
      const [trashed] = await add('tightened_trash', { title: 'a long title' });
      expect((await admin.json('DELETE', `/collections/tightened_trash/records/${trashed.id}`)).status).toBe(204);
      // Schema changes check live records only: the trashed one does not stop this.
      await altered('tightened_trash', { fields: [{ name: 'title', type: 'text', maxLength: 5 }] });

      const refused = await problem(await admin.json('POST', `/collections/tightened_trash/trash/${trashed.id}/restore`), 422);
      expect(refused.errors).toEqual([expect.objectContaining({ path: 'title' })]);
      expect(await list('tightened_trash')).toEqual([]);
    });
  });

  describe('changing what a field accepts', () => {
    const narrowing: { what: string; before: Field; after: Field; values: unknown[]; offending: number }[] = [
      {
        what: 'text to integer while some values are not integers',
        before: { type: 'text' },
        after: { type: 'integer' },
        values: ['abc', 'def', null],
        offending: 2,
      },
      {
        what: 'removing select values still in use',
        before: { type: 'select', values: ['low', 'mid', 'high'] },
        after: { type: 'select', values: ['low', 'high'] },
        values: ['low', 'mid', 'mid', 'high'],
        offending: 2,
      },
      {
        what: 'lowering maxLength below stored lengths',
        before: { type: 'text', maxLength: 100 },
        after: { type: 'text', maxLength: 5 },
        values: ['short', 'much too long', 'tiny'],
        offending: 1,
      },
      {
        what: 'raising min above stored numbers',
        before: { type: 'number' },
        after: { type: 'number', min: 10 },
        values: [1, 10, 2.5],
        offending: 2,
      },
    ];

    it.each(narrowing.map((c, i) => ({ ...c, name: `narrow_${i}` })))(
      'refuses $what (409 with the count), changing nothing',
      async ({ name, before, after, values, offending }) => {
        const collection = await define(name, [{ name: 'title', ...before }]);
        await add(name, ...values.map((title) => (title === null ? {} : { title })));
        const snapshotBefore = await snapshot(collection);

        const refused = await problem(await alter(name, { fields: [{ name: 'title', ...after }] }), 409);
        expect(refused).toMatchObject({ field: 'title', records: offending });
        expect(await snapshot(collection)).toEqual(snapshotBefore);
      },
    );

    it('counts values of a renamed field under its old name', async () => {
      await define('narrow_renamed', [{ name: 'title', type: 'text' }]);
      await add('narrow_renamed', { title: 'abc' }, { title: 'toolong!' });
      const refused = await problem(
        await alter('narrow_renamed', { fields: [{ name: 'headline', from: 'title', type: 'text', maxLength: 3 }] }),
        409,
      );
      expect(refused).toMatchObject({ field: 'headline', records: 1 });
      expect((await list('narrow_renamed')).map((r) => r.title)).toEqual(['abc', 'toolong!']);
    });

    it('widens integer to number, after which fractions are accepted', async () => {
      await define('widen', [{ name: 'amount', type: 'integer', indexed: true }]);
      await add('widen', { amount: 1 }, { amount: 2 });
      await problem(await admin.json('POST', '/collections/widen/records', { amount: 1.5 }), 422);

      const changed = await altered('widen', { fields: [{ name: 'amount', type: 'number', indexed: true }] });
      expect(changed.fields).toEqual([{ name: 'amount', type: 'number', indexed: true }]);
      await add('widen', { amount: 1.5 });
      expect((await list('widen', { filter: 'amount > 1', sort: 'amount' })).map((r) => r.amount)).toEqual([1.5, 2]);
    });

    it('narrows when every stored value already fits', async () => {
      await define('narrow_fits', [{ name: 'title', type: 'text' }]);
      await add('narrow_fits', { title: 'ok' }, {});
      await altered('narrow_fits', { fields: [{ name: 'title', type: 'text', maxLength: 2, pattern: '^[a-z]+$' }] });
    });
  });

  it('creates and drops the partial index of a field as `indexed` is toggled', async () => {
    const collection = await define('toggle_index', [{ name: 'rank', type: 'integer' }]);
    await add('toggle_index', { rank: 1 }, { rank: 1 });
    expect(await index(collection, 'rank')).toBeUndefined();

    await altered('toggle_index', { fields: [{ name: 'rank', type: 'integer', indexed: true }] });
    const definition = await index(collection, 'rank');
    expect(definition).toMatch(/^CREATE INDEX/);
    expect(definition).toContain(`'${collection.id}'::uuid`);
    expect(definition).toMatch(/deleted_at IS NULL/);

    await altered('toggle_index', { fields: [{ name: 'rank', type: 'integer' }] });
    expect(await index(collection, 'rank')).toBeUndefined();
  });

  it('makes existing records findable by q= when a field becomes searchable, and not after it stops being', async () => {
    await define('toggle_search', [
      { name: 'title', type: 'text' },
      { name: 'body', type: 'text' },
    ]);
    const [hit] = await add('toggle_search', { title: 'greetings', body: 'hello world' }, { title: 'other', body: 'nothing here' });
    const search = async (q: string) => (await list('toggle_search', { q })).map((r) => r.id);
    expect(await search('hello')).toEqual([]);

    await altered('toggle_search', {
      fields: [
        { name: 'title', type: 'text' },
        { name: 'body', type: 'text', searchable: true },
      ],
    });
    expect(await search('hello')).toEqual([hit.id]);
    expect(await search('greetings')).toEqual([]);

    await altered('toggle_search', {
      fields: [
        { name: 'title', type: 'text', searchable: true },
        { name: 'body', type: 'text' },
      ],
    });
    expect(await search('hello')).toEqual([]);
    expect(await search('greetings')).toEqual([hit.id]);
  });

  it('refuses switching encryption on a field that holds values (409), and switches it on an empty one', async () => {
    await define('toggle_encryption', [
      { name: 'filled', type: 'text' },
      { name: 'empty', type: 'text' },
    ]);
    const [row] = await add('toggle_encryption', { filled: 'plain' });

    const refused = await problem(
      await alter('toggle_encryption', {
        fields: [
          { name: 'filled', type: 'text', encrypted: true },
          { name: 'empty', type: 'text' },
        ],
      }),
      409,
    );
    expect(refused).toMatchObject({ field: 'filled', records: 1 });

    await altered('toggle_encryption', {
      fields: [
        { name: 'filled', type: 'text' },
        { name: 'empty', type: 'text', encrypted: true },
      ],
    });
    const changed = await admin.json('PATCH', `/collections/toggle_encryption/records/${row.id}`, { empty: 'secret' });
    expect(await json(changed)).toMatchObject({ filled: 'plain', empty: 'secret' });
    const [stored] = await t.app
      .get(DatabaseConnection)
      .query<{ data: Record<string, unknown> }>('SELECT data FROM records WHERE id = $1::uuid', [row.id]);
    expect(stored.data.filled).toBe('plain');
    expect(stored.data.empty).not.toContain('secret');
  });
});
