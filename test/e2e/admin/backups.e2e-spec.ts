import { DatabaseConnection } from '@backlot/database';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { login, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { copyThen, corruptBackup, rewriteBackup, storeDamagedCopy, truncateBackup } from '@backlot/testing/backup-files';
import { type SeededLibrary } from '@backlot/testing/backup-seed';
import { json, type TestApp } from '@backlot/testing/test-app';
import { type AdminApp, problem } from './admin-helpers';
import { type BackupsFixture, type Manifest, startBackupsApp, UNKNOWN } from './backups-helpers';

/** Backups through the admin API: each route, bad input, refused restores, and a full round trip. */
describe('admin backups', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let seeded: SeededLibrary;
  let first: Manifest;
  let create: BackupsFixture['create'];
  let dir: BackupsFixture['dir'];
  let state: BackupsFixture['state'];

  beforeAll(async () => {
    ({ app, t, admin, alice, seeded, first, create, dir, state } = await startBackupsApp());
  });
  afterAll(() => t.close());

  describe('access', () => {
    const routes: [string, string][] = [
      ['GET', '/admin/backups'],
      ['POST', '/admin/backups'],
      ['GET', `/admin/backups/${UNKNOWN}`],
      ['GET', `/admin/backups/${UNKNOWN}/download`],
      ['DELETE', `/admin/backups/${UNKNOWN}`],
      ['POST', `/admin/backups/${UNKNOWN}/restore`],
    ];

    it.each(routes)('%s %s: 401 for anonymous callers, 403 for non-admins', async (method, path) => {
      await problem(await t.request(`/api/v1${path}`, { method }), 401);
      await problem(await alice.json(method, path, method === 'POST' ? { confirm: UNKNOWN } : undefined), 403);
    });
  });

  describe('creating, listing, reading, downloading, deleting', () => {
    it('writes a complete backup (0600) with a manifest of counts, checksums and the schema level', async () => {
      expect(first).toMatchObject({ kind: 'manual', includesSessions: false, migrationLevel: expect.stringMatching(/^\d{14}_/) });
      expect(first.counts).toMatchObject({ users: 2, collections: 2, records: 8 });
      expect(first.counts).not.toHaveProperty('sessions');
      expect(Object.keys(first.checksums)).toEqual(Object.keys(first.counts));
      const file = join(dir(), `${first.name}.backup.gz`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(file).size).toBe(first.size);
    });

    it('includes sessions and refresh tokens only when asked', async () => {
      const withSessions = await create({ includeSessions: true });
      expect(withSessions.includesSessions).toBe(true);
      expect(withSessions.counts.sessions).toBeGreaterThanOrEqual(2);
      expect(withSessions.counts).toHaveProperty('refresh_tokens');
    });

    it('accepts a POST without a body', async () => {
      const response = await admin.request('/admin/backups', { method: 'POST' });
      expect(response.status).toBe(201);
    });

    it('lists manifests newest first, with cursor pagination and a total', async () => {
      const response = await app.conforms('GET', '/admin/backups', await admin.request('/admin/backups?count=true'));
      const page = await json<{ items: Manifest[]; nextCursor: string | null; total: number }>(response);
      expect(page.total).toBe(page.items.length);
      const times = page.items.map((m) => m.createdAt);
      expect(times).toEqual([...times].sort().reverse());
      expect(page.items.map((m) => m.name)).toContain(first.name);

      const pages: string[] = [];
      let cursor: string | null = null;
      do {
        const next: { items: Manifest[]; nextCursor: string | null } = await json(
          await admin.request(`/admin/backups?limit=1${cursor ? `&cursor=${cursor}` : ''}`),
        );
        pages.push(...next.items.map((m) => m.name));
        cursor = next.nextCursor;
      } while (cursor);
      expect(pages).toEqual(page.items.map((m) => m.name));
    });

    it('ignores a sidecar manifest that is not one of ours (hand-edited, foreign), still listing the rest', async () => {
      const name = await storeDamagedCopy(
        dir(),
        first,
        copyThen(() => undefined),
      );
      const sidecar = join(dir(), `${name}.json`);
      const valid = readFileSync(sidecar, 'utf8');
      for (const broken of [{ name, createdAt: 42 }, { ...JSON.parse(valid), counts: 'lots' }, [name]]) {
        writeFileSync(sidecar, JSON.stringify(broken));
        const listed = await json<{ items: Manifest[] }>(await admin.request('/admin/backups?limit=200'));
        expect(listed.items.map((m) => m.name)).toContain(first.name);
        expect(listed.items.map((m) => m.name)).not.toContain(name);
        await problem(await admin.request(`/admin/backups/${name}`), 404);
      }
      writeFileSync(sidecar, valid);
      expect((await admin.request(`/admin/backups/${name}`)).status).toBe(200);
      expect((await admin.json('DELETE', `/admin/backups/${name}`)).status).toBe(204);
    });

    it('reads one manifest', async () => {
      const response = await app.conforms('GET', `/admin/backups/${first.name}`, await admin.request(`/admin/backups/${first.name}`));
      expect(await json(response)).toEqual(first);
    });

    it('streams the file with its length, type and a file name', async () => {
      const response = await admin.request(`/admin/backups/${first.name}/download`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/gzip');
      expect(response.headers.get('content-length')).toBe(String(first.size));
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${first.name}.backup.gz"`);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(first.sha256);
    });

    it('sends the length of the file on disk when it no longer matches its manifest (the download completes)', async () => {
      const name = await storeDamagedCopy(
        dir(),
        first,
        copyThen(() => undefined),
      );
      // Cut short after its manifest was written (a full disk, a hand edit): the manifest still says the old size.
      truncateBackup(join(dir(), `${name}.backup.gz`));
      const size = statSync(join(dir(), `${name}.backup.gz`)).size;
      expect(size).toBeLessThan(first.size);

      const response = await admin.request(`/admin/backups/${name}/download`, { signal: AbortSignal.timeout(10_000) });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(size));
      expect((await response.arrayBuffer()).byteLength).toBe(size);
      const head = await admin.request(`/admin/backups/${name}/download`, { method: 'HEAD' });
      expect(head.headers.get('content-length')).toBe(String(size));
      expect((await admin.json('DELETE', `/admin/backups/${name}`)).status).toBe(204);
    });

    it('deletes a backup (file and manifest)', async () => {
      const doomed = await create();
      const response = await admin.request(`/admin/backups/${doomed.name}`, { method: 'DELETE' });
      expect(response.status).toBe(204);
      expect(existsSync(join(dir(), `${doomed.name}.backup.gz`))).toBe(false);
      expect(existsSync(join(dir(), `${doomed.name}.json`))).toBe(false);
      await problem(await admin.request(`/admin/backups/${doomed.name}`), 404);
    });

    it('audits each backup', async () => {
      const rows = await t.app
        .get(DatabaseConnection)
        .query<{ action: string }>('SELECT action FROM audit_events WHERE target_id = $1 ORDER BY at', [first.name]);
      expect(rows.map((row) => row.action)).toEqual(expect.arrayContaining(['backup.created']));
    });
  });

  describe('bad input', () => {
    const badNames = [
      ['a path traversal', '..%2F..%2Fetc%2Fpasswd'],
      ['an encoded traversal into the directory', `${UNKNOWN}%2F..%2F..%2Fsecrets`],
      ['a name with an extension', `${UNKNOWN}.backup.gz`],
      ['a wrong kind', 'backlot-20200101T000000Z-weekly-00000000'],
    ];
    const routes = (name: string): [string, string, unknown][] => [
      ['GET', `/admin/backups/${name}`, undefined],
      ['GET', `/admin/backups/${name}/download`, undefined],
      ['DELETE', `/admin/backups/${name}`, undefined],
      ['POST', `/admin/backups/${name}/restore`, { confirm: name }],
    ];

    it.each(badNames)('refuses %s as a backup name on every route (400)', async (_, name) => {
      for (const [method, path, body] of routes(name)) {
        const body400 = await problem(await admin.json(method, path, body), 400);
        expect(body400.errors?.[0]).toMatchObject({ path: 'name' });
      }
    });

    it('never reaches a file through dot segments or huge names (404, 400)', async () => {
      // fetch resolves `%2E%2E` like `..`: the request lands on another route, not in the directory.
      for (const [method, path, body] of routes('%2E%2E')) await problem(await admin.json(method, path, body), 404);
      for (const [method, path, body] of routes('x'.repeat(300))) await problem(await admin.json(method, path, body), 400);
    });

    it('answers 404 for a well-formed name that is not there, on every route', async () => {
      for (const [method, path, body] of routes(UNKNOWN)) {
        expect((await problem(await admin.json(method, path, body), 404)).detail).toContain(UNKNOWN);
      }
    });

    it.each([
      ['includeSessions as a string', { includeSessions: 'yes' }, 'includeSessions'],
      ['an unknown property', { dir: '/tmp' }, 'dir'],
    ])('refuses a create with %s (400)', async (_, body, path) => {
      const refused = await problem(await admin.json('POST', '/admin/backups', body), 400);
      expect(refused.errors?.map((e) => e.path)).toContain(path);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['count=maybe', 'count'],
      ['cursor=%2F%2F', 'cursor'],
    ])('refuses a list with %s (400)', async (query, path) => {
      const refused = await problem(await admin.request(`/admin/backups?${query}`), 400);
      expect(refused.errors?.map((e) => e.path)).toContain(path);
    });

    it('refuses a cursor it did not hand out (400)', async () => {
      const refused = await problem(await admin.request('/admin/backups?cursor=bm90LWEtY3Vyc29y'), 400);
      expect(refused.errors?.map((error) => error.path)).toEqual(['cursor']);
    });

    it.each([
      ['no confirm', {}],
      ['confirm as a number', { confirm: 42 }],
      ['an unknown property', { confirm: 'x', force: true }],
    ])('refuses a restore with %s (400) and changes nothing', async (_, body) => {
      const before = await state();
      await problem(await admin.json('POST', `/admin/backups/${first.name}/restore`, body), 400);
      expect(await state()).toEqual(before);
    });

    it('refuses a restore whose confirm is not the backup’s name (400) and changes nothing', async () => {
      const before = await state();
      const refused = await problem(await admin.json('POST', `/admin/backups/${first.name}/restore`, { confirm: UNKNOWN }), 400);
      expect(refused.detail).toContain(first.name);
      expect(await state()).toEqual(before);
    });
  });

  describe('refused restores leave the database unchanged', () => {
    async function refusedRestore(name: string): Promise<{ detail: string; reason?: string }> {
      const before = await state();
      const backups = (await json<{ items: Manifest[] }>(await admin.request('/admin/backups?limit=200'))).items.length;
      const response = await admin.json('POST', `/admin/backups/${name}/restore`, { confirm: name });
      await app.conforms('POST', `/admin/backups/${name}/restore`, response.clone());
      const refused = (await problem(response, 422)) as unknown as { detail: string; reason?: string };
      expect(await state()).toEqual(before);
      // Refused before anything happened: no pre-restore backup either.
      expect((await json<{ items: Manifest[] }>(await admin.request('/admin/backups?limit=200'))).items).toHaveLength(backups);
      return refused;
    }

    /** Refused while loading: after pass 1 and the pre-restore backup, inside the transaction. */
    async function refusedLoad(name: string): Promise<{ detail: string; reason?: string }> {
      const before = await state();
      const response = await admin.json('POST', `/admin/backups/${name}/restore`, { confirm: name });
      await app.conforms('POST', `/admin/backups/${name}/restore`, response.clone());
      const refused = (await problem(response, 422)) as unknown as { detail: string; reason?: string };
      expect(await state()).toEqual(before);
      return refused;
    }

    it('refuses restored records that break a unique field, keeping the field indexes (422, nothing restored)', async () => {
      const [kept, changed] = seeded.books;
      const name = await storeDamagedCopy(dir(), first, (source, target) =>
        rewriteBackup(
          source,
          target,
          (line) => line,
          (table, row) =>
            table === 'records' && row.id === changed.id ? { ...row, data: { ...(row.data as object), isbn: kept.isbn } } : undefined,
        ),
      );
      const refused = await refusedLoad(name);
      expect(refused).toMatchObject({ reason: 'rows-refused' });
      expect(refused.detail).toMatch(/refused the restored data/);
      // The unique field is still enforced: its index was not dropped for good.
      expect((await alice.json('POST', '/collections/books/records', { title: 'Dup', isbn: kept.isbn })).status).toBe(409);
    });

    it('refuses rows the database rejects (a required column emptied), naming the table (422, nothing restored)', async () => {
      const name = await storeDamagedCopy(dir(), first, (source, target) =>
        rewriteBackup(
          source,
          target,
          (line) => line,
          (table, row) => (table === 'users' ? { ...row, email: null } : undefined),
        ),
      );
      const refused = await refusedLoad(name);
      expect(refused).toMatchObject({ reason: 'rows-refused' });
      expect(refused.detail).toMatch(/rows of table users \(.*null/);
    });

    it('refuses a corrupted file (bytes flipped in the middle)', async () => {
      const name = await storeDamagedCopy(dir(), first, copyThen(corruptBackup));
      const refused = await refusedRestore(name);
      expect(refused).toMatchObject({ reason: 'corrupted' });
      expect(refused.detail).toMatch(/corrupted/);
    });

    it('refuses a truncated file', async () => {
      const name = await storeDamagedCopy(dir(), first, copyThen(truncateBackup));
      const refused = await refusedRestore(name);
      expect(refused).toMatchObject({ reason: 'truncated' });
      expect(refused.detail).toMatch(/truncated/);
    });

    it('refuses a file whose rows do not match their checksum', async () => {
      // Still valid gzip, but one row changed after the checksums were written.
      const edit = (path: string) =>
        writeFileSync(path, gzipSync(gunzipSync(readFileSync(path)).toString('utf8').replace('Ursula Le Guin', 'Ursula K. Le Guin')));
      const name = await storeDamagedCopy(dir(), first, copyThen(edit));
      const refused = await refusedRestore(name);
      expect(refused).toMatchObject({ reason: 'corrupted' });
      expect(refused.detail).toMatch(/table records holds 8 row\(s\) with checksum/);
    });

    it('refuses a backup from a newer schema, naming the unknown migration', async () => {
      const future = '29991231000000_future';
      const name = await storeDamagedCopy(
        dir(),
        first,
        (source, target) =>
          rewriteBackup(source, target, (line) =>
            line.$ === 'header' ? { ...line, migrations: [...(line.migrations as string[]), future] } : line,
          ),
        { migrations: [...first.migrations, future] },
      );
      const refused = await refusedRestore(name);
      expect(refused).toMatchObject({ reason: 'newer-schema' });
      expect(refused.detail).toContain(future);
      expect(refused.detail).toMatch(/newer schema/);
    });
  });

  describe('restore round trip', () => {
    it('brings back users, collections, records, history and the trash exactly, and rebuilds field indexes', async () => {
      const book = seeded.books[0];
      const history = await json(await alice.request(`/collections/books/records/${book.id}/history`));
      const before = await state();

      // Change everything a restore must undo.
      expect((await alice.json('PATCH', `/collections/books/records/${book.id}`, { title: 'Changed' })).status).toBe(200);
      expect((await alice.json('DELETE', `/collections/books/records/${seeded.books[1].id}`)).status).toBe(204);
      expect((await alice.json('POST', '/collections/books/records', { title: 'New', isbn: 'new-1' })).status).toBe(201);
      const intruder = await signedInUser(t);
      expect((await admin.json('POST', '/collections', { name: 'extra', fields: [{ name: 'x', type: 'text' }] })).status).toBe(201);

      const response = await admin.json('POST', `/admin/backups/${first.name}/restore`, { confirm: first.name });
      await app.conforms('POST', `/admin/backups/${first.name}/restore`, response.clone());
      expect(response.status).toBe(200);
      const outcome = await json<{ restored: string; preRestoreBackup: string; counts: Record<string, number>; sessionsRestored: boolean }>(
        response,
      );
      expect(outcome).toMatchObject({ restored: first.name, counts: first.counts, sessionsRestored: false });

      // The backup held no sessions: every session ended, the caller's too.
      expect((await admin.request('/admin/backups')).status).toBe(401);
      admin = sessionFor(t, admin, await login(t, admin.email, admin.password));
      alice = sessionFor(t, alice, await login(t, alice.email, alice.password));
      await expect(login(t, intruder.email, intruder.password)).rejects.toThrow(/401/);

      expect(await state(alice)).toEqual(before);
      expect(await json(await alice.request(`/collections/books/records/${book.id}/history`))).toEqual(history);
      expect((await alice.request(`/collections/books/records/${seeded.books[1].id}`)).status).toBe(200);
      const trash = await json<{ items: { id: string }[] }>(await alice.request('/collections/books/trash'));
      expect(trash.items.map((r) => r.id)).toEqual([seeded.trashed.id]);
      await problem(await admin.request('/collections/extra'), 404);

      // The unique field is enforced again (its index was rebuilt for the restored collection).
      const duplicate = await alice.json('POST', '/collections/books/records', { title: 'Dup', isbn: book.isbn });
      expect(duplicate.status).toBe(409);

      // The state before the restore was kept, and the restore is in the (restored) audit log.
      const pre = await json<Manifest>(await admin.request(`/admin/backups/${outcome.preRestoreBackup}`));
      expect(pre).toMatchObject({ kind: 'pre-restore', includesSessions: true });
      expect(pre.counts.users).toBe(first.counts.users + 1);
      const audit = await t.app
        .get(DatabaseConnection)
        .query<{ action: string }>(`SELECT action FROM audit_events WHERE target_id = $1`, [first.name]);
      expect(audit.map((row) => row.action)).toEqual(expect.arrayContaining(['backup.restored']));
    });
  });
});
