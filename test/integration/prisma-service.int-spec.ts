import { PrismaService } from '@backlot/database';
import { Conflict, NotFound } from '@backlot/http';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database';

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
});
