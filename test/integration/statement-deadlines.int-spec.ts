import { PrismaService, translateDatabaseError, withStatementBudget } from '@backlot/database';
import { ServiceUnavailable } from '@backlot/http';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';

// The embedded database has no statement timeout (PGlite ignores it); see docs/http-api.md#errors.
(TEST_DATABASE_URL ? describe : describe.skip)('statement deadlines on PostgreSQL', () => {
  let db: TestDatabase;
  let prisma: PrismaService;

  beforeAll(async () => {
    // The client waits 2 s past this for an answer: a 3 s statement outlasts both deadlines.
    db = await openTestDatabase({ empty: true, env: { DATABASE_STATEMENT_TIMEOUT_MS: '500' } });
    prisma = new PrismaService(db.connection);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.close();
  });

  it('cancels a statement past DATABASE_STATEMENT_TIMEOUT_MS, which answers 503', async () => {
    const started = Date.now();
    const error = await db.connection.query('SELECT pg_sleep(3)').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ code: '57014' });
    expect(translateDatabaseError(error)).toBeInstanceOf(ServiceUnavailable);
  });

  it('lets work that declared a longer budget run its statements to the end, on the server and the client', async () => {
    await withStatementBudget(5_000, () => db.connection.query('SELECT pg_sleep(3)'));
    await withStatementBudget(5_000, () => db.connection.transaction((tx) => tx.query('SELECT pg_sleep(3)')));
    // The budget ends with the work: the next statement is held to the timeout again.
    await expect(db.connection.query('SELECT pg_sleep(3)')).rejects.toMatchObject({ code: '57014' });
  });

  it('gives a Prisma transaction allowed longer than the statement timeout that long for its statements', async () => {
    await prisma.transaction((tx) => tx.$queryRaw`SELECT 1 AS slept FROM pg_sleep(3)`, { timeoutMs: 5_000 });
    // Outside it, Prisma's statements are held to the timeout like any other.
    const error = await prisma.$queryRaw`SELECT 1 AS slept FROM pg_sleep(3)`.catch((e: unknown) => e);
    expect(translateDatabaseError(error)).toBeInstanceOf(ServiceUnavailable);
  });
});
