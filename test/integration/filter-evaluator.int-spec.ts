import fc from 'fast-check';
import { FUZZ_FIELDS, validFilter } from '@backlot/testing/filter-arbitraries';
import { compileFilter } from '../../apps/api/src/data/query/filter-compiler';
import { compilePredicate, type EvaluableRecord, NotEvaluable } from '../../apps/api/src/data/query/filter-evaluator';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';

const ALICE = '0190a6b4-0000-7000-8000-00000000000a';
const BOB = '0190a6b4-0000-7000-8000-00000000000b';
const NOW = new Date('2026-02-01T00:00:00Z');

// Rows chosen to hit every edge of the SQL semantics: missing keys, JSON nulls, empty arrays,
// wildcard characters, quotes, non-ASCII text, equal and boundary values.
const DATA: Record<string, unknown>[] = [
  { title: 'Apple pie', amount: 3, done: true, due: '2026-01-10T00:00:00.000Z', tags: ['red', 'sweet'] },
  { title: '50% off_sale', amount: 12.5, done: false, due: '2026-03-01T12:00:00.000Z', tags: ['blue'] },
  { title: "it's", meta: { a: 1 } },
  {},
  { title: null, amount: null, done: null, due: null, tags: null, meta: null },
  { title: '', amount: 0, done: false, due: '2026-02-01T00:00:00.000Z', tags: [] },
  { title: "'; DROP TABLE records; --", amount: -1e9, tags: ["'; DROP TABLE records; --", '%_\\'] },
  { title: 'Crème brûlée', amount: 1e15, tags: ['Crème'] },
  { title: '%_\\', amount: 0.1, done: true, due: '1970-01-01T00:00:00.000Z', tags: ['a', 'b', 'c'] },
  { title: 'APPLE', amount: -0.5, meta: [1, 2] },
];
const RECORDS: EvaluableRecord[] = DATA.map((data, index) => ({
  id: `0190a6b4-0000-7000-8000-${String(index + 1).padStart(12, '0')}`,
  owner: index % 3 === 0 ? ALICE : index % 3 === 1 ? BOB : null,
  // Microsecond timestamps, one of them a microsecond after a whole second.
  created: Date.UTC(2026, 0, 1 + index * 7) * 1000 + (index === 4 ? 1 : 0),
  updated: Date.UTC(2026, 0, 2 + index * 7) * 1000,
  data,
}));

// The JS predicate must agree with the SQL the compiler emits, record by record.
describe('rule predicates evaluated in JavaScript agree with the database', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase({ empty: true });
    await db.connection.query(
      'CREATE TABLE eval_records (id uuid PRIMARY KEY, owner_id uuid, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, data jsonb NOT NULL)',
    );
    for (const r of RECORDS)
      await db.connection.query(
        'INSERT INTO eval_records VALUES ($1, $2, to_timestamp($3::numeric / 1e6), to_timestamp($4::numeric / 1e6), $5)',
        [r.id, r.owner, String(r.created), String(r.updated), JSON.stringify(r.data)],
      );
  });
  afterAll(() => db?.close());

  const sqlMatches = async (filter: string, me: string | null): Promise<string[]> => {
    const { sql, params } = compileFilter(filter, { fields: FUZZ_FIELDS, me, now: NOW });
    const rows = await db.connection.query<{ id: string }>(`SELECT id::text FROM eval_records r WHERE ${sql} ORDER BY id`, params.values);
    return rows.map((row) => row.id);
  };

  const jsMatches = (filter: string, me: string | null): { ids: string[]; undecided: Set<string> } => {
    const predicate = compilePredicate(filter, FUZZ_FIELDS);
    const ids: string[] = [];
    const undecided = new Set<string>();
    for (const record of RECORDS) {
      try {
        if (predicate(record, { me, now: NOW })) ids.push(record.id);
      } catch (error) {
        if (!(error instanceof NotEvaluable)) throw error;
        undecided.add(record.id);
      }
    }
    return { ids, undecided };
  };

  it.each([
    "title ~ 'APPLE'",
    "title != 'Apple pie'",
    '!(amount > 5)',
    "tags != 'red'",
    "tags not in ('blue', 'a')",
    'meta = null',
    'meta != null',
    'tags = null',
    'title = null',
    'owner = @me || owner = null',
    'created > @now',
    "created > '2026-01-29T00:00:00Z'",
    'due <= @now',
    "due > '2026-01-31'",
    'done != true',
  ])('agrees on %s', async (filter) => {
    for (const me of [ALICE, null]) {
      const { ids, undecided } = jsMatches(filter, me);
      // Only case folding of non-ASCII text is left to the database.
      expect([...undecided]).toEqual(filter.includes('~') ? [RECORDS[7].id] : []);
      expect(ids).toEqual((await sqlMatches(filter, me)).filter((id) => !undecided.has(id)));
    }
  });

  it('agrees on thousands of generated filters', async () => {
    let decided = 0;
    await fc.assert(
      fc.asyncProperty(validFilter, fc.constantFrom(ALICE, BOB, null), async (filter, me) => {
        const { ids, undecided } = jsMatches(filter, me);
        const expected = (await sqlMatches(filter, me)).filter((id) => !undecided.has(id));
        if (undecided.size === 0) decided++;
        expect(ids).toEqual(expected);
      }),
      { numRuns: 1_500 },
    );
    // Most filters must be decidable in JavaScript, or the cache would rarely help.
    expect(decided).toBeGreaterThan(1_000);
  }, 120_000);
});
