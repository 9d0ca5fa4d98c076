import { DatabaseConnection } from '@backlot/database';
import { STORAGE, type Storage } from '@backlot/storage';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { login, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { json } from '@backlot/testing/test-app';
import { BackupsService } from '../../../apps/api/src/admin/backups/backups.service';
import { type AdminApp, problem, startAdminApp } from './admin-helpers';
import type { Manifest } from './backups-helpers';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Stored files in backups through the admin API, with scheduled (and pre-restore) backups set to leave them out. */
describe('admin backups with stored files', () => {
  let app: AdminApp;
  let admin: UserSession;
  let storage: Storage;
  const files: { key: string; bytes: Buffer }[] = [];

  beforeAll(async () => {
    app = await startAdminApp({ env: { BACKUP_INCLUDE_FILES: 'false' } });
    admin = app.admin;
    storage = app.t.app.get<Storage>(STORAGE);
    const alice = await signedInUser(app.t);
    const defined = await admin.json('POST', '/collections', {
      name: 'albums',
      fields: [{ name: 'title', type: 'text' }],
      rules: { list: '', view: '', create: '@me != null', update: 'owner = @me', delete: 'owner = @me' },
    });
    expect(defined.status).toBe(201);
    const record = await json<{ id: string }>(await alice.json('POST', '/collections/albums/records', { title: 'Summer' }));
    const [{ id: collectionId }] = await app.t.app
      .get(DatabaseConnection)
      .query<{ id: string }>(`SELECT id FROM collections WHERE name = 'albums'`);
    // Rows by SQL and bytes through the app's Storage, bypassing the upload route on purpose:
    // that route is built separately, and this suite is about backing up whatever it stores.
    for (const [name, bytes] of [
      ['cover_aaaaaaaaaa.jpg', randomBytes(70_000)],
      ['notes_bbbbbbbbbb.txt', Buffer.from('liner notes')],
    ] as const) {
      const key = `${collectionId}/${record.id}/${name}`;
      await storage.put(key, Readable.from([bytes]), { maxBytes: bytes.length, contentType: 'application/octet-stream' });
      await app.t.app.get(DatabaseConnection).query(
        `INSERT INTO stored_files (key, collection_id, record_id, field, name, size, type, sha256, state)
         VALUES ($1, $2, $3, 'title', $4, $5, 'application/octet-stream', $6, 'live')`,
        [key, collectionId, record.id, name, bytes.length, sha256(bytes)],
      );
      files.push({ key, bytes });
    }
  });
  afterAll(() => app.t.close());

  async function create(body: unknown): Promise<Manifest> {
    const response = await app.conforms('POST', '/admin/backups', await admin.json('POST', '/admin/backups', body));
    expect(response.status).toBe(201);
    return json<Manifest>(response);
  }

  async function restore(name: string): Promise<{ filesRestored: number; filesMissing: number; preRestoreBackup: string }> {
    const path = `/admin/backups/${name}/restore`;
    const response = await app.conforms('POST', path, await admin.json('POST', path, { confirm: name }));
    expect(response.status).toBe(200);
    const outcome = await json<{ filesRestored: number; filesMissing: number; preRestoreBackup: string }>(response);
    // The backups hold no sessions: the admin signs in again.
    admin = sessionFor(app.t, admin, await login(app.t, admin.email, admin.password));
    return outcome;
  }

  const stored = async () =>
    Promise.all(files.map(async (file) => ((await storage.stat(file.key)) ? sha256(await buffer(await storage.read(file.key))) : null)));

  let withFiles: Manifest;
  let withoutFiles: Manifest;

  it('includes the stored files by default, and leaves them out with files: false; the listing says which', async () => {
    withFiles = await create({});
    expect(withFiles).toMatchObject({ includesFiles: true, files: { count: 2, bytes: 70_000 + 11 }, formatVersion: 2 });
    withoutFiles = await create({ files: false });
    expect(withoutFiles).toMatchObject({ includesFiles: false, files: { count: 0, bytes: 0 } });
    expect(withoutFiles.size).toBeLessThan(withFiles.size - 60_000);

    const listed = await json<{ items: Manifest[] }>(await admin.request('/admin/backups'));
    expect(listed.items.filter((m) => [withFiles.name, withoutFiles.name].includes(m.name)).map((m) => [m.name, m.includesFiles])).toEqual([
      [withoutFiles.name, false],
      [withFiles.name, true],
    ]);
  });

  it('refuses files that is not a boolean (400)', async () => {
    const refused = await problem(await admin.json('POST', '/admin/backups', { files: 'no' }), 400);
    expect(refused.errors?.map((e) => e.path)).toEqual(['files']);
  });

  it('restores the bytes of a backup with files into storage; the pre-restore backup follows BACKUP_INCLUDE_FILES', async () => {
    await storage.delete(files.map((f) => f.key));
    const outcome = await restore(withFiles.name);
    expect(outcome).toMatchObject({ filesRestored: 2, filesMissing: 0 });
    expect(await stored()).toEqual(files.map((f) => sha256(f.bytes)));
    const before = await json<Manifest>(await admin.request(`/admin/backups/${outcome.preRestoreBackup}`));
    expect(before.includesFiles).toBe(false);
  });

  it('restores a backup without files keeping every row, and says how many have no bytes in storage', async () => {
    await storage.delete([files[0].key]);
    expect(await restore(withoutFiles.name)).toMatchObject({ filesRestored: 0, filesMissing: 1 });
    const rows = await app.t.app.get(DatabaseConnection).query(`SELECT key FROM stored_files WHERE state = 'live'`);
    expect(rows).toHaveLength(2);
    expect(await stored()).toEqual([null, sha256(files[1].bytes)]);
  });

  it('leaves the files out of scheduled backups when BACKUP_INCLUDE_FILES is false', async () => {
    const scheduled = await app.t.app.get(BackupsService).createScheduled();
    expect(scheduled).toMatchObject({ kind: 'scheduled', includesFiles: false, files: { count: 0, bytes: 0 } });
  });
});
