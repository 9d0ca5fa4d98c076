import type { DatabaseConfig } from '@backlot/config';
import { DatabaseConnection, MAX_PREPARED_PER_CONNECTION } from '@backlot/database';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';

// The embedded database has one session and no pool: `prepare` is ignored there.
(TEST_DATABASE_URL ? describe : describe.skip)('PostgreSQL connections: prepared statements and planner costs', () => {
  let db: TestDatabase;
  let single: DatabaseConnection;
  const run = (sql: string, value: number) => single.query<{ n: number }>(sql, [value], { prepare: true });
  // pg_prepared_statements shows the statements of the session that asks: the pool's only one.
  const held = async () => (await single.query<{ count: number }>('SELECT count(*)::int AS count FROM pg_prepared_statements'))[0].count;

  /** A pool of one connection (below what DATABASE_POOL_MAX allows), so every statement lands on the session counted. */
  async function open(env: Record<string, string> = {}): Promise<void> {
    db = await openTestDatabase({ empty: true, env });
    single = new DatabaseConnection({ ...db.config.database, poolMax: 1 } as DatabaseConfig);
  }
  afterEach(async () => {
    await single?.close();
    await db?.close();
  });

  it('prepares a statement once per connection and runs it again with new values', async () => {
    await open();
    for (let i = 0; i < 5; i++) expect(await run('SELECT $1::int + 1 AS n', i)).toEqual([{ n: i + 1 }]);
    expect(await held()).toBe(1);
    // Unprepared statements leave nothing behind.
    expect(await single.query('SELECT $1::int AS n', [1])).toEqual([{ n: 1 }]);
    expect(await held()).toBe(1);
  });

  it('keeps at most MAX_PREPARED_PER_CONNECTION per connection, and one dropped comes back when used again', async () => {
    await open();
    const statements = Array.from({ length: MAX_PREPARED_PER_CONNECTION + 20 }, (_, i) => `SELECT $1::int + ${i} AS n`);
    for (const [i, sql] of statements.entries()) expect(await run(sql, 1)).toEqual([{ n: 1 + i }]);
    expect(await held()).toBe(MAX_PREPARED_PER_CONNECTION);
    // The first ones were dropped on the server; using one again prepares it again.
    expect(await run(statements[0], 5)).toEqual([{ n: 5 }]);
    expect(await held()).toBe(MAX_PREPARED_PER_CONNECTION);
    // A recent one is still there and answers.
    expect(await run(statements.at(-1)!, 0)).toEqual([{ n: statements.length - 1 }]);
  });

  it('prepares nothing with DATABASE_PREPARED_STATEMENTS=false (poolers that cannot keep them)', async () => {
    await open({ DATABASE_PREPARED_STATEMENTS: 'false' });
    for (let i = 0; i < 3; i++) expect(await run('SELECT $1::int AS n', i)).toEqual([{ n: i }]);
    expect(await held()).toBe(0);
  });

  it('sets the planner’s random page cost on every connection (DATABASE_RANDOM_PAGE_COST, 1.1 by default)', async () => {
    await open();
    expect(await single.query('SHOW random_page_cost')).toEqual([{ random_page_cost: '1.1' }]);
    await single.close();
    await db.close();
    await open({ DATABASE_RANDOM_PAGE_COST: '4' });
    expect(await single.query('SHOW random_page_cost')).toEqual([{ random_page_cost: '4' }]);
  });
});
