import { PrismaService } from '@backlot/database';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser, login, uniqueEmail } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';

interface UserBody {
  id: string;
  email: string;
  role: string;
  emailVerified: boolean;
}

// Four starts of the app on an on-disk embedded database, the first migrating it, the others checking it:
// A CI run with the suite's other workers on the same two cores took over 60 s for them.
jest.setTimeout(180_000);

describe('the bootstrap admin (ADMIN_EMAIL, ADMIN_PASSWORD)', () => {
  const adminPassword = 'bootstrap admin passphrase';
  const meOf = async (t: TestApp, accessToken: string) =>
    json<UserBody>(await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } }));

  it('is created verified with the admin role, survives a restart without a duplicate, and promotes an existing account only with its password', async () => {
    // Each app below is a restart of one deployment: the embedded database must outlive the app, so it lives on disk.
    const dir = mkdtempSync(join(tmpdir(), 'backlot-admin-'));
    const storage: Record<string, string> = TEST_DATABASE_URL ? {} : { PGLITE_DATA_DIR: join(dir, 'pglite') };
    // Written as an operator might; the account is stored (and signs in) in lower case.
    const email = uniqueEmail('Admin');
    const env = { ...storage, ADMIN_EMAIL: email, ADMIN_PASSWORD: adminPassword };
    const first = await startTestApp({ env });
    let running: TestApp | undefined = first;
    try {
      const admin = await login(first, email, adminPassword);
      expect(await meOf(first, admin.accessToken)).toMatchObject({ email: email.toLowerCase(), role: 'admin', emailVerified: true });
      const existing = await createUser(first, { email: uniqueEmail('promoted') });
      await first.app.close();
      running = undefined;

      const second: TestApp = (running = await startTestApp({ sameEnvironmentAs: first, env }));
      const prisma = second.app.get(PrismaService);
      expect(await prisma.user.count({ where: { role: 'admin' } })).toBe(1);
      expect(await prisma.user.count({ where: { email: email.toLowerCase() } })).toBe(1);
      expect(await meOf(second, (await login(second, email, adminPassword)).accessToken)).toMatchObject({ role: 'admin' });
      expect(await meOf(second, (await login(second, existing.email, existing.password)).accessToken)).toMatchObject({ role: 'user' });
      await second.app.close();
      running = undefined;

      // The environment does not know the account's password: no promotion.
      const refused: TestApp = (running = await startTestApp({
        sameEnvironmentAs: first,
        env: { ADMIN_EMAIL: existing.email, ADMIN_PASSWORD: adminPassword },
      }));
      expect(await meOf(refused, (await login(refused, existing.email, existing.password)).accessToken)).toMatchObject({ role: 'user' });
      await refused.app.close();
      running = undefined;

      const third: TestApp = (running = await startTestApp({
        sameEnvironmentAs: first,
        env: { ADMIN_EMAIL: existing.email, ADMIN_PASSWORD: existing.password },
      }));
      const promoted = await login(third, existing.email, existing.password);
      expect(await meOf(third, promoted.accessToken)).toMatchObject({ id: existing.userId, email: existing.email, role: 'admin' });
      expect(await third.app.get(PrismaService).user.count({ where: { email: existing.email } })).toBe(1);
    } finally {
      await running?.app.close();
      await first.environment.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
