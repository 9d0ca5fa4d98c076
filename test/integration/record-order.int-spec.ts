import fc from 'fast-check';
import { SqlParams } from '../../apps/api/src/data/query/filter-compiler';
import { FilterError } from '../../apps/api/src/data/query/filter-error';
import type { FilterField } from '../../apps/api/src/data/query/filter-fields';
import { RecordOrder } from '../../apps/api/src/data/query/record-order';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';

const FIELDS: FilterField[] = [
  { name: 'title', type: 'text' },
  { name: 'amount', type: 'number' },
  { name: 'done', type: 'boolean' },
  { name: 'due', type: 'datetime' },
];
const SORTABLE = ['title', 'amount', 'done', 'due', 'created', 'id'];

// Keyset pagination on a real database: walking every page must give exactly the full ordered listing.
describe('record order and cursors on a real database', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase({ empty: true });
    await db.connection.query(
      'CREATE TABLE order_records (id uuid PRIMARY KEY, owner_id uuid, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL)',
    );
    // Few distinct values and many NULLs, so ties and NULL boundaries are everywhere.
    for (let i = 0; i < 60; i++) {
      const data: Record<string, unknown> = {};
      if (i % 5 !== 0) data.title = ['apple', 'Banana', 'cherry'][i % 3];
      if (i % 4 !== 0) data.amount = [1, 2.5, -3][i % 3];
      if (i % 3 !== 0) data.done = i % 2 === 0;
      if (i % 6 !== 0) data.due = new Date(Date.UTC(2026, 0, 1 + (i % 4))).toISOString();
      const id = `0190a6b4-0000-7000-8000-${String(i).padStart(12, '0')}`;
      const created = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 7, 123)).toISOString().replace('Z', '456Z');
      await db.connection.query('INSERT INTO order_records (id, created_at, data) VALUES ($1, $2, $3)', [
        id,
        created,
        JSON.stringify(data),
      ]);
    }
  });
  afterAll(() => db?.close());

  async function page(order: RecordOrder, cursor: string | undefined, limit: number) {
    const params = new SqlParams();
    const where = cursor ? `WHERE ${order.after(cursor, params)}` : '';
    const columns = order.cursorColumns().map((sql, i) => `${sql} AS k${i}`);
    const rows = await db.connection.query<Record<string, unknown>>(
      `SELECT r.id, ${columns.join(', ')} FROM order_records r ${where} ORDER BY ${order.orderBy()} LIMIT ${limit}`,
      params.values,
    );
    const last = rows.at(-1);
    return {
      ids: rows.map((row) => row.id as string),
      next: last ? order.cursorFor(columns.map((_, i) => last[`k${i}`] as string)) : undefined,
    };
  }

  it('walks every page of any sort without skipping or repeating a row', async () => {
    const sortSpec = fc
      .uniqueArray(fc.constantFrom(...SORTABLE), { minLength: 0, maxLength: 4 })
      .chain((names) => fc.tuple(...names.map((name) => fc.boolean().map((desc) => `${desc ? '-' : ''}${name}`))))
      .map((keys) => keys.join(','));
    await fc.assert(
      fc.asyncProperty(sortSpec, fc.integer({ min: 1, max: 25 }), async (sort, limit) => {
        const order = RecordOrder.parse(sort || undefined, FIELDS);
        const all = await db.connection.query<{ id: string }>(`SELECT r.id FROM order_records r ORDER BY ${order.orderBy()}`);
        const walked: string[] = [];
        let cursor: string | undefined;
        for (let guard = 0; guard < 100; guard++) {
          const { ids, next } = await page(order, cursor, limit);
          walked.push(...ids);
          if (ids.length < limit) break;
          cursor = next;
        }
        expect(walked).toEqual(all.map((row) => row.id));
      }),
      { numRuns: 60 },
    );
  });

  it('refuses unknown or repeated sort keys and cursors of another order', () => {
    expect(() => RecordOrder.parse('nope', FIELDS)).toThrow(FilterError);
    expect(() => RecordOrder.parse('title,-title', FIELDS)).toThrow(/repeated/);
    expect(() => RecordOrder.parse('title;drop', FIELDS)).toThrow(/not a field name/);
    expect(() => RecordOrder.parse('a,b,c,d,e,f', FIELDS)).toThrow(/at most/);
    const byTitle = RecordOrder.parse('title', FIELDS);
    const cursor = byTitle.cursorFor(['apple', '0190a6b4-0000-7000-8000-000000000001']);
    expect(() => RecordOrder.parse('-title', FIELDS).after(cursor, new SqlParams())).toThrow(/cursor is invalid/);
    expect(() => byTitle.after('not base64 !', new SqlParams())).toThrow(/cursor is invalid/);
    expect(() => byTitle.after(Buffer.from('{"s":1}').toString('base64url'), new SqlParams())).toThrow(/cursor is invalid/);
    expect(() =>
      RecordOrder.parse('amount', FIELDS).after(
        RecordOrder.parse('amount', FIELDS).cursorFor(['1; drop', '0190a6b4-0000-7000-8000-000000000001']),
        new SqlParams(),
      ),
    ).toThrow(/cursor is invalid/);
  });
});
