import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseConnection } from '@backlot/database';
import { STORAGE, type Storage } from '@backlot/storage';
import { Readable } from 'node:stream';
import { defineCollection, OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import { PASSWORD, signedInUser, type UserSession } from '@backlot/testing/auth';
import { form, recordOf, sendForm, type StoredFileView } from '@backlot/testing/files';
import { json, type TestApp } from '@backlot/testing/test-app';
import { eventually, queueOf } from '@backlot/testing/test-jobs';

describe('files: lifecycle without garbage or dangling references', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;

  const objects = (): string[] => {
    const walk = (dir: string): string[] => {
      try {
        return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
          entry.name.startsWith('.') ? [] : entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
        );
      } catch {
        return [];
      }
    };
    return walk(t.config.storage.localDir);
  };
  const has = (file: StoredFileView) => objects().some((path) => path.endsWith(file.name));
  const sweep = async () => {
    const id = (await queueOf(t).enqueue('files.sweep', {}))!;
    await eventually('files.sweep to complete', async () => (await queueOf(t).get(id)).state === 'completed');
  };
  const upload = async (who: UserSession, collection: string, name: string) => {
    const created = await sendForm(
      who,
      'POST',
      `/collections/${collection}/records`,
      form({}, { file: { name, bytes: `bytes of ${name}` } }),
    );
    expect(created.status).toBe(201);
    const record = await recordOf(created);
    return { id: record.id, file: record.file as StoredFileView };
  };

  beforeAll(async () => {
    ({ t, admin, alice } = await startDataTestApp({ FILES_ORPHAN_GRACE_SECONDS: '60' }));
    await defineCollection(admin, 'kept', [{ name: 'file', type: 'file' }], OWNER_ONLY_RULES);
    await defineCollection(admin, 'dropped', [{ name: 'file', type: 'file' }], OWNER_ONLY_RULES);
  });
  afterAll(() => t.close());

  it('keeps a trashed record’s files (downloadable again after restore) and removes them once it is purged', async () => {
    const { id, file } = await upload(alice, 'kept', 'trash.txt');
    expect((await alice.request(`/collections/kept/records/${id}`, { method: 'DELETE' })).status).toBe(204);
    await sweep();
    expect(has(file)).toBe(true);
    expect((await alice.json('POST', `/collections/kept/trash/${id}/restore`, {})).status).toBe(200);
    expect((await alice.request(file.url.replace('/api/v1', ''))).status).toBe(200);
    expect((await alice.request(`/collections/kept/records/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await alice.request(`/collections/kept/trash/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(has(file)).toBe(true);
    await sweep();
    expect(has(file)).toBe(false);
  });

  it('removes every file of a dropped collection', async () => {
    const first = await upload(alice, 'dropped', 'one.txt');
    const second = await upload(alice, 'dropped', 'two.txt');
    expect((await admin.request('/collections/dropped', { method: 'DELETE' })).status).toBe(204);
    await sweep();
    expect(has(first.file) || has(second.file)).toBe(false);
  });

  it('removes a deleted account’s files with its records', async () => {
    const carol = await signedInUser(t);
    const { file } = await upload(carol, 'kept', 'carol.txt');
    const deleted = await carol.request('/users/me', {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect(deleted.status).toBe(204);
    await eventually('the account’s records to go', async () => {
      await sweep();
      return !has(file);
    });
  });

  it('sweeps uploads whose record write never committed, once past the grace period, and only then', async () => {
    const storage = t.app.get<Storage>(STORAGE, { strict: false });
    const db = t.app.get(DatabaseConnection, { strict: false });
    const collection = (await json<{ id: string }>(await admin.request('/collections/kept'))).id;
    const recordId = '0190a0a0-0000-7000-8000-00000000abcd';
    for (const [name, age] of [
      ['crashed_aaaaaaaaaa.txt', 3_600],
      ['inflight_bbbbbbbbbb.txt', 5],
    ] as const) {
      const key = `${collection}/${recordId}/${name}`;
      // What a crash between the bytes and the record's commit leaves: a pending row and its bytes.
      await db.query(
        `INSERT INTO stored_files (key, collection_id, record_id, field, name, size, type, sha256, state, updated_at)
         VALUES ($1, $2::uuid, $3::uuid, 'file', $4, 1, 'text/plain', $5, 'pending', now() - make_interval(secs => $6))`,
        [key, collection, recordId, name, '0'.repeat(64), age],
      );
      await storage.put(key, Readable.from([Buffer.from('x')]), { maxBytes: 10, contentType: 'text/plain' });
    }
    await sweep();
    const left = objects().filter((path) => path.includes(recordId));
    expect(left.map((path) => path.split('/').pop())).toEqual(['inflight_bbbbbbbbbb.txt']);
    const rows = await db.query<{ name: string }>(`SELECT name FROM stored_files WHERE record_id = $1::uuid`, [recordId]);
    expect(rows.map((row) => row.name)).toEqual(['inflight_bbbbbbbbbb.txt']);
  });

  it('removes what a put killed mid-stream left (a partial file no row tracks) once past the grace period, and only then', async () => {
    const partials = join(t.config.storage.localDir, '.partial');
    mkdirSync(partials, { recursive: true });
    const [killed, writing] = ['killed', 'writing'].map((name) => join(partials, `${name}-0190a0a0-0000-7000-8000-000000000001`));
    for (const file of [killed, writing]) writeFileSync(file, 'half an upload');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(killed, anHourAgo, anHourAgo);
    await sweep();
    expect(existsSync(killed)).toBe(false);
    expect(existsSync(writing)).toBe(true);
  });

  it('restoring an old revision leaves out files that were replaced since (their bytes are gone)', async () => {
    const { id, file: first } = await upload(alice, 'kept', 'v1.txt');
    const replaced = await sendForm(
      alice,
      'PATCH',
      `/collections/kept/records/${id}`,
      form({}, { file: { name: 'v2.txt', bytes: 'second' } }),
    );
    const second = (await recordOf(replaced)).file as StoredFileView;
    expect(has(first)).toBe(false);
    const restored = await alice.json('POST', `/collections/kept/records/${id}/history/1/restore`, {});
    expect(restored.status).toBe(200);
    expect((await json(restored)).file).toBeNull();
    await sweep();
    expect(has(second)).toBe(false);
  });
});
