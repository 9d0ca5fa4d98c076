import { DatabaseConnection } from '@backlot/database';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { login, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { tableChecksum } from '@backlot/testing/backup-files';
import { seedLibrary, type SeededLibrary } from '@backlot/testing/backup-seed';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';
import { ADMIN_TEST_ENV } from './admin-helpers';

interface Manifest {
  name: string;
  source: string;
  counts: Record<string, number>;
  checksums: Record<string, string>;
}

type Shape = 'embedded' | 'postgres';

// Instances that restore each other's backups share the secrets, as two deployments of one
// project would: encrypted fields must decrypt after the move.
const SECRETS = { JWT_SECRET: randomBytes(48).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('base64') };

function startApp(shape: Shape): Promise<TestApp> {
  // An empty DATABASE_URL keeps an app embedded even when the suite runs on PostgreSQL.
  const embedded: Record<string, string> = shape === 'embedded' ? { DATABASE_URL: '', REDIS_URL: '' } : {};
  return startTestApp({ env: { ...ADMIN_TEST_ENV, ...SECRETS, ...embedded } });
}

async function backup(admin: UserSession): Promise<Manifest> {
  const response = await admin.json('POST', '/admin/backups', {});
  expect(response.status).toBe(201);
  return json<Manifest>(response);
}

/** Moves a backup as an operator would: download it, keep it with its manifest, drop both into another instance's BACKUP_DIR. */
async function download(t: TestApp, admin: UserSession, manifest: Manifest, dir: string): Promise<string> {
  const response = await admin.request(`/admin/backups/${manifest.name}/download`);
  expect(response.status).toBe(200);
  const file = join(dir, `${manifest.name}.backup.gz`);
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  copyFileSync(join(t.config.backup.dir, `${manifest.name}.json`), join(dir, `${manifest.name}.json`));
  return file;
}

async function restoreInto(t: TestApp, admin: UserSession, manifest: Manifest, dir: string): Promise<void> {
  mkdirSync(t.config.backup.dir, { recursive: true });
  for (const suffix of ['.backup.gz', '.json'])
    copyFileSync(join(dir, `${manifest.name}${suffix}`), join(t.config.backup.dir, `${manifest.name}${suffix}`));
  const response = await admin.json('POST', `/admin/backups/${manifest.name}/restore`, { confirm: manifest.name });
  expect({ status: response.status, body: await response.text() }).toMatchObject({ status: 200 });
}

/**
 * Identical to the original in every table; the audit log may only have grown by the events
 * of the move itself (restores and sign-ins), appended after the original's rows.
 */
function expectSameData(copy: Manifest, original: Manifest, files: { copy: string; original: string }): void {
  const { audit_events: copyAudit, ...copyCounts } = copy.counts;
  const { audit_events: originalAudit, ...originalCounts } = original.counts;
  expect(copyCounts).toEqual(originalCounts);
  for (const table of Object.keys(originalCounts)) {
    expect({ table, sha256: copy.checksums[table] }).toEqual({ table, sha256: original.checksums[table] });
  }
  expect(copyAudit).toBeGreaterThan(originalAudit);
  expect(tableChecksum(files.copy, 'audit_events', originalAudit).sha256).toBe(tableChecksum(files.original, 'audit_events').sha256);
}

type Account = { email: string; password: string; userId: string };

/**
 * One app at a time: passport keeps one `jwt` strategy per process, so a second live app
 * with its own database would answer the first one's tokens from the wrong sessions.
 */
function describeRoundTrip(other: Shape): void {
  const dir = mkdtempSync(join(tmpdir(), 'backlot-transfer-'));
  let open: TestApp | undefined;
  let admin: Account;
  let alice: Account;
  let seeded: SeededLibrary;
  let book: Record<string, unknown>;
  let original: Manifest;
  let originalFile: string;
  let copy: Manifest;
  let copyFile: string;

  const start = async (shape: Shape) => (open = await startApp(shape));
  const close = async () => {
    await open?.close();
    open = undefined;
  };
  const signIn = async (t: TestApp, account: Account) => sessionFor(t, account, await login(t, account.email, account.password));

  beforeAll(async () => {
    const a = await start('embedded');
    const adminA = await signedInUser(a, { role: 'admin' });
    const aliceA = await signedInUser(a);
    seeded = await seedLibrary(adminA, aliceA);
    book = await json(await aliceA.request(`/collections/books/records/${seeded.books[0].id}`));
    original = await backup(adminA);
    originalFile = await download(a, adminA, original, dir);
    [admin, alice] = [adminA, aliceA];
    await close();
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`restores an embedded backup into ${other} with identical counts and checksums, field indexes rebuilt`, async () => {
    expect(original.source).toBe('embedded');
    const b = await start(other);
    const adminB = await signedInUser(b, { role: 'admin' });
    await restoreInto(b, adminB, original, dir);

    // The restored accounts sign in on B; B's own admin went with the data it replaced.
    const aliceOnB = await signIn(b, alice);
    await expect(login(b, adminB.email, adminB.password)).rejects.toThrow(/401/);
    const onB = await json<Record<string, unknown>>(await aliceOnB.request(`/collections/books/records/${seeded.books[0].id}`));
    expect(onB).toEqual(book);
    expect(onB.secret).toBe('note 0');

    const indexes = await b.app
      .get(DatabaseConnection)
      .query(`SELECT indexname FROM pg_indexes WHERE tablename = 'records' AND indexname LIKE 'rec\\_%'`);
    expect(indexes).toHaveLength(2);
    const filtered = await json<{ items: { pages: number }[] }>(
      await aliceOnB.request(`/collections/books/records?filter=${encodeURIComponent('pages >= 200')}&sort=pages`),
    );
    expect(filtered.items.map((r) => r.pages)).toEqual([200, 250, 300]);
    const found = await json<{ items: { title: string }[] }>(await aliceOnB.request('/collections/books/records?q=dispossessed'));
    expect(found.items.map((r) => r.title).sort()).toEqual(['The dispossessed 0', 'The dispossessed 2', 'The dispossessed 4']);
    expect((await aliceOnB.json('POST', '/collections/books/records', { title: 'Again', isbn: seeded.books[0].isbn })).status).toBe(409);

    const adminOnB = await signIn(b, admin);
    copy = await backup(adminOnB);
    expect(copy.source).toBe(other);
    copyFile = await download(b, adminOnB, copy, dir);
    expectSameData(copy, original, { copy: copyFile, original: originalFile });
    await close();
  });

  it(`goes back from ${other} into a fresh embedded instance unchanged`, async () => {
    const c = await start('embedded');
    await restoreInto(c, await signedInUser(c, { role: 'admin' }), copy, dir);
    const back = await backup(await signIn(c, admin));
    const backFile = await download(c, await signIn(c, admin), back, dir);
    expectSameData(back, original, { copy: backFile, original: originalFile });
    expect(await json(await (await signIn(c, alice)).request(`/collections/books/records/${seeded.books[0].id}`))).toEqual(book);
    await close();
  });
}

describe('backup portability between two embedded instances', () => describeRoundTrip('embedded'));

(TEST_DATABASE_URL ? describe : describe.skip)(
  'backup portability embedded → PostgreSQL and back (needs TEST_DATABASE_URL; the embedded half runs above)',
  () => describeRoundTrip('postgres'),
);
