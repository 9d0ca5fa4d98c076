import { Prisma, PrismaService, translateDatabaseError } from '@backlot/database';
import { Conflict, NotFound, ServiceUnavailable, toProblem } from '@backlot/http';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';

describe('PrismaService', () => {
  let db: TestDatabase;
  let prisma: PrismaService;

  beforeAll(async () => {
    db = await openTestDatabase();
    prisma = new PrismaService(db.connection);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.close();
  });

  it('commits a transaction when the work succeeds', async () => {
    await prisma.transaction(async (tx) => {
      await tx.setting.create({ data: { key: 'tx.commit', value: 1 } });
      await tx.setting.create({ data: { key: 'tx.commit.2', value: 2 } });
    });
    expect(await prisma.setting.count({ where: { key: { startsWith: 'tx.commit' } } })).toBe(2);
  });

  it('rolls everything back when the work throws', async () => {
    await expect(
      prisma.transaction(async (tx) => {
        await tx.setting.create({ data: { key: 'tx.rollback', value: 1 } });
        throw new Error('halfway');
      }),
    ).rejects.toThrow('halfway');
    expect(await prisma.setting.findUnique({ where: { key: 'tx.rollback' } })).toBeNull();
  });

  it('turns a unique violation into a Conflict and keeps the first write', async () => {
    await prisma.setting.create({ data: { key: 'unique.key', value: 'first' } });
    const error = await prisma
      .transaction((tx) => tx.setting.create({ data: { key: 'unique.key', value: 'second' } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Conflict);
    expect((await prisma.setting.findUnique({ where: { key: 'unique.key' } }))?.value).toBe('first');
  });

  it('turns an update of a missing row into NotFound', async () => {
    const error = await prisma
      .transaction((tx) => tx.setting.update({ where: { key: 'missing' }, data: { value: 1 } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFound);
  });

  it('maps concurrent inserts of one key to one success and Conflicts, never a raw error', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => prisma.transaction((tx) => tx.setting.create({ data: { key: 'race', value: i } }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const failure of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(failure.reason).toBeInstanceOf(Conflict);
    }
  });

  // On the embedded database a backup holds the one transaction for its whole read; others
  // queue behind it (past Prisma's 2 s maxWait) rather than fail.
  it('starts a transaction once a long one has finished, instead of failing', async () => {
    let started!: () => void;
    const holding = new Promise<void>((resolve) => (started = resolve));
    const long = db.connection.transaction(async (tx) => {
      await tx.query('SELECT 1');
      started();
      await tx.query('SELECT pg_sleep(2.5)');
    });
    await holding;
    const waiting = prisma.transaction((tx) => tx.setting.create({ data: { key: 'after.long', value: true } }));
    await Promise.all([long, waiting]);
    expect((await prisma.setting.findUnique({ where: { key: 'after.long' } }))?.value).toBe(true);
  });

  it('answers a transaction that could not start in time with 503 and Retry-After', () => {
    const timeout = new Prisma.PrismaClientKnownRequestError('Unable to start a transaction in the given time.', {
      code: 'P2028',
      clientVersion: Prisma.prismaVersion.client,
    });
    const error = translateDatabaseError(timeout);
    expect(error).toBeInstanceOf(ServiceUnavailable);
    const { problem, headers } = toProblem(error, { instance: '/x', requestId: 'r' });
    expect(problem.status).toBe(503);
    expect(headers['retry-after']).toBe('1');
  });
});
