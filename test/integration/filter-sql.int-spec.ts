import fc from 'fast-check';
import { FUZZ_FIELDS, validFilter } from '@backlot/testing/filter-arbitraries';
import { compileFilter } from '../../apps/api/src/data/query/filter-compiler';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';

const ALICE = '0190a6b4-0000-7000-8000-00000000000a';
const BOB = '0190a6b4-0000-7000-8000-00000000000b';
const ROWS: [string, string, Record<string, unknown>][] = [
  [
    '0190a6b4-0000-7000-8000-000000000001',
    ALICE,
    { title: 'Apple pie', amount: 3, done: true, due: '2026-01-10T00:00:00.000Z', tags: ['red', 'sweet'] },
  ],
  [
    '0190a6b4-0000-7000-8000-000000000002',
    BOB,
    { title: '50% off_sale', amount: 12.5, done: false, due: '2026-03-01T12:00:00.000Z', tags: ['blue'] },
  ],
  ['0190a6b4-0000-7000-8000-000000000003', ALICE, { title: "it's", meta: { a: 1 } }],
  ['0190a6b4-0000-7000-8000-000000000004', BOB, {}],
];

// Compiled filters run against a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL).
describe('compiled filters on a real database', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase({ empty: true });
    await db.connection.query(
      'CREATE TABLE fuzz_records (id uuid PRIMARY KEY, owner_id uuid, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL)',
    );
    for (const [id, owner, data] of ROWS) {
      await db.connection.query('INSERT INTO fuzz_records (id, owner_id, data) VALUES ($1, $2, $3)', [id, owner, JSON.stringify(data)]);
    }
  });
  afterAll(() => db?.close());

  const matching = async (filter: string, me: string | null = ALICE): Promise<string[]> => {
    const { sql, params } = compileFilter(filter, { fields: FUZZ_FIELDS, me, now: new Date('2026-02-01T00:00:00Z') });
    const rows = await db.connection.query<{ id: string }>(`SELECT id FROM fuzz_records r WHERE ${sql} ORDER BY id`, params.values);
    return rows.map((row) => row.id.slice(-1));
  };

  it.each([
    ["title ~ 'APPLE'", ['1']],
    ["title ~ '%'", ['2']],
    ["title ~ '_'", ['2']],
    ["title = 'it\\'s'", ['3']],
    ["title != 'Apple pie'", ['2', '3', '4']],
    ['amount > 5', ['2']],
    ['!(amount > 5)', ['1', '3', '4']],
    ['amount in (3, 4)', ['1']],
    ['done = true || done = false', ['1', '2']],
    ["due < '2026-02-01'", ['1']],
    ['due < @now', ['1']],
    ["tags = 'red'", ['1']],
    ["tags in ('blue', 'green')", ['2']],
    ["tags ~ 'SWE'", ['1']],
    ["tags != 'red'", ['2', '3', '4']],
    ['meta != null', ['3']],
    ['title = null', ['4']],
    ['owner = @me', ['1', '3']],
    ["owner = @me && title ~ 'pie'", ['1']],
    ["id = '0190a6b4-0000-7000-8000-000000000002'", ['2']],
    ['created <= @now || created > @now', ['1', '2', '3', '4']],
  ])('%s matches %j', async (filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });

  it('matches nothing for @me when the caller is anonymous', async () => {
    expect(await matching('owner = @me', null)).toEqual([]);
    expect(await matching('@me != null', null)).toEqual([]);
  });

  it('runs every generated filter without a database error, and leaves the data untouched', async () => {
    await fc.assert(
      fc.asyncProperty(validFilter, async (filter) => {
        await matching(filter);
      }),
      { numRuns: 400 },
    );
    const [{ count }] = await db.connection.query<{ count: string | number }>('SELECT count(*) AS count FROM fuzz_records');
    expect(Number(count)).toBe(ROWS.length);
  });
});
