import type { BackupManifest } from '@backlot/backup';
import { DatabaseConnection } from '@backlot/database';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { seedLibrary, type SeededLibrary } from '@backlot/testing/backup-seed';
import { json, type TestApp } from '@backlot/testing/test-app';
import { type AdminApp, startAdminApp } from './admin-helpers';

/** A backup as the API shows it: the stored manifest and its migration level. */
export type Manifest = BackupManifest & { migrationLevel: string | null };

export const UNKNOWN = 'backlot-20200101T000000Z-manual-00000000';

/** An admin app, Alice's seeded library, and a first backup of it (without sessions). */
export interface BackupsFixture {
  app: AdminApp;
  t: TestApp;
  admin: UserSession;
  alice: UserSession;
  seeded: SeededLibrary;
  first: Manifest;
  /** POST /admin/backups, checked against the contract. */
  create(body?: unknown): Promise<Manifest>;
  dir(): string;
  /** What a failed restore must leave untouched: row counts, and one record as its owner (`reader`, default Alice) reads it. */
  state(reader?: UserSession): Promise<unknown>;
}

export async function startBackupsApp(): Promise<BackupsFixture> {
  const app = await startAdminApp();
  const { t, admin } = app;
  const alice = await signedInUser(t);
  const seeded = await seedLibrary(admin, alice);
  async function create(body: unknown = {}): Promise<Manifest> {
    const response = await app.conforms('POST', '/admin/backups', await admin.json('POST', '/admin/backups', body));
    expect(response.status).toBe(201);
    return json<Manifest>(response);
  }
  async function state(reader = alice): Promise<unknown> {
    const [counts] = await t.app.get(DatabaseConnection).query(
      `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM collections)::int AS collections,
                (SELECT count(*) FROM records)::int AS records, (SELECT count(*) FROM record_revisions)::int AS revisions`,
    );
    const record = await json(await reader.request(`/collections/books/records/${seeded.books[0].id}`));
    return { counts, record };
  }
  const first = await create({ includeSessions: false });
  return { app, t, admin, alice, seeded, first, create, dir: () => t.config.backup.dir, state };
}
