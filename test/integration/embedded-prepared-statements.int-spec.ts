import { EMBEDDED_IN_MEMORY } from '@backlot/config';
import { DatabaseConnection, MAX_PREPARED_PER_CONNECTION } from '@backlot/database';

// Always the embedded database (PGlite in memory), whatever TEST_DATABASE_URL says: the
// PostgreSQL side is prepared-statements.int-spec.ts.
describe('embedded database: prepared statements', () => {
  let db: DatabaseConnection;
  const prepared = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => db.query<T>(sql, params, { prepare: true });
  const held = async () => (await db.query<{ count: number }>('SELECT count(*)::int AS count FROM pg_prepared_statements'))[0].count;

  beforeEach(async () => {
    db = new DatabaseConnection({ kind: 'embedded', dataDir: EMBEDDED_IN_MEMORY, migrateOnStart: true, sharedBuffersMb: 16 });
    await db.ready();
    await db.query('CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL, doc jsonb)');
  });
  afterEach(() => db.close());

  it('prepares a statement once and runs it again with new values', async () => {
    for (let i = 0; i < 5; i++) expect(await prepared('SELECT $1::int + 1 AS n', [i])).toEqual([{ n: i + 1 }]);
    expect(await held()).toBe(1);
    expect(await db.query('SELECT $1::int AS n', [1])).toEqual([{ n: 1 }]);
    expect(await held()).toBe(1);
  });

  it('sends parameters and reads rows exactly as an unprepared query does', async () => {
    const at = new Date('2026-12-07T10:11:12.345Z');
    const cases: [string, unknown[]][] = [
      [
        'SELECT $1::text AS a, $2::int AS b, $3::bigint AS c, $4::bool AS d, $5::numeric AS e',
        ['é😀', 7, '9007199254740993', true, '1.50'],
      ],
      ['SELECT $1::jsonb AS doc, $2::json AS raw', [JSON.stringify({ a: [1, { b: null }] }), '{"x":1}']],
      ['SELECT $1::uuid AS id, $2::timestamptz AS at, $3::date AS day', ['01a2501b-21fe-708a-8f49-3373f550fef8', at, '2026-12-07']],
      ['SELECT $1::text[] AS names, $2::bigint[] AS sizes, $3::uuid[] AS ids', [['a', 'b "c"', 'd,e'], [1, 2], []]],
      ['SELECT $1::text AS nothing, $2::int AS zero', [null, 0]],
      ['SELECT $1::bytea AS bytes', [new Uint8Array([0, 1, 255])]],
    ];
    for (const [sql, params] of cases) expect(await prepared(sql, params)).toEqual(await db.query(sql, params));
  });

  it('writes, and reports rows only for statements that return them', async () => {
    expect(await prepared('INSERT INTO t (id, name) VALUES ($1, $2)', [1, 'one'])).toEqual([]);
    expect(await prepared('INSERT INTO t (id, name) VALUES ($1, $2) RETURNING id, name', [2, 'two'])).toEqual([{ id: 2, name: 'two' }]);
    expect(await prepared('SELECT name FROM t ORDER BY id')).toEqual([{ name: 'one' }, { name: 'two' }]);
  });

  it('keeps at most MAX_PREPARED_PER_CONNECTION, and one dropped comes back when used again', async () => {
    const statements = Array.from({ length: MAX_PREPARED_PER_CONNECTION + 20 }, (_, i) => `SELECT $1::int + ${i} AS n`);
    for (const [i, sql] of statements.entries()) expect(await prepared(sql, [1])).toEqual([{ n: 1 + i }]);
    // The least recently used are closed with the next statement sent.
    await prepared(statements.at(-1)!, [0]);
    expect(await held()).toBe(MAX_PREPARED_PER_CONNECTION);
    expect(await prepared(statements[0], [5])).toEqual([{ n: 5 }]);
    await prepared(statements.at(-1)!, [0]);
    expect(await held()).toBe(MAX_PREPARED_PER_CONNECTION);
  });

  it('fails with PostgreSQL’s error and code, and the statement still answers afterwards', async () => {
    await prepared('INSERT INTO t (id, name) VALUES ($1, $2)', [1, 'one']);
    await expect(prepared('INSERT INTO t (id, name) VALUES ($1, $2)', [1, 'again'])).rejects.toMatchObject({
      code: '23505',
      constraint: 't_pkey',
    });
    await expect(prepared('SELECT $1::uuid AS id', ['not a uuid'])).rejects.toMatchObject({ code: '22P02' });
    expect(await prepared('SELECT $1::uuid AS id', ['01a2501b-21fe-708a-8f49-3373f550fef8'])).toHaveLength(1);
    expect(await prepared('SELECT name FROM t')).toEqual([{ name: 'one' }]);
  });

  it('keeps nothing of a statement that does not parse', async () => {
    await expect(prepared('SELEC 1')).rejects.toMatchObject({ code: '42601' });
    await expect(prepared('SELECT * FROM missing_table')).rejects.toMatchObject({ code: '42P01' });
    expect(await held()).toBe(0);
  });

  it('runs inside a transaction (its writes roll back with it) and never inside someone else’s', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t (id, name) VALUES ($1, $2)', [1, 'inside'], { prepare: true });
        expect(await tx.query('SELECT count(*)::int AS n FROM t', [], { prepare: true })).toEqual([{ n: 1 }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await prepared('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const open = db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id, name) VALUES ($1, $2)', [2, 'uncommitted'], { prepare: true });
      await held;
      throw new Error('roll back');
    });
    // Asked while the transaction is open: it waits for it, and sees nothing of what was rolled back.
    const outside = prepared<{ n: number }>('SELECT count(*)::int AS n FROM t');
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await expect(open).rejects.toThrow('roll back');
    expect(await outside).toEqual([{ n: 0 }]);
  });

  it('prepares again when a table it reads changed shape', async () => {
    await prepared('INSERT INTO t (id, name) VALUES ($1, $2)', [1, 'one']);
    expect(await prepared('SELECT * FROM t')).toEqual([{ id: 1, name: 'one', doc: null }]);
    await db.query('ALTER TABLE t ADD COLUMN extra int DEFAULT 5');
    expect(await prepared('SELECT * FROM t')).toEqual([{ id: 1, name: 'one', doc: null, extra: 5 }]);
    // The statement prepared before the change is closed, not left beside the new one.
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = 'SELECT * FROM t'`)).toEqual([{ n: 1 }]);
  });
});
