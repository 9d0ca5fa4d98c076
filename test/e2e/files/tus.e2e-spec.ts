import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResumableUploads } from '../../../apps/api/src/data/files/resumable-uploads';
import { addRecord, defineCollection, OWNER_ONLY_RULES, problemOf, startDataTestApp } from '@backlot/testing/data';
import { sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { form, opaqueBytes, sendForm, type StoredFileView, TINY_PNG } from '@backlot/testing/files';
import { DatabaseConnection } from '@backlot/database';
import { SHARED_SERVICES, startTwoInstances, type TestApp } from '@backlot/testing/test-app';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const TUS = { 'tus-resumable': '1.0.0' };
const BYTES = { ...TUS, 'content-type': 'application/offset+octet-stream' };

/** Upload-Metadata: comma-separated `key base64(value)` pairs. */
function metadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** Creates an upload (tus creation) as `who`. */
function create(who: UserSession, length: number, pairs: Record<string, string>): Promise<Response> {
  return who.request('/uploads', {
    method: 'POST',
    headers: { ...TUS, 'upload-length': String(length), 'upload-metadata': metadata(pairs) },
  });
}

/** The upload's path under /api/v1 from a creation's relative Location. */
function pathOf(created: Response): string {
  expect(created.status).toBe(201);
  const location = created.headers.get('location')!;
  expect(location).toMatch(/^\/api\/v1\/uploads\/[0-9a-f]{32}$/);
  return location.slice('/api/v1'.length);
}

function append(who: UserSession, path: string, offset: number, bytes: Uint8Array): Promise<Response> {
  return who.request(path, { method: 'PATCH', headers: { ...BYTES, 'upload-offset': String(offset) }, body: new Uint8Array(bytes) });
}

async function offsetOf(who: UserSession, path: string): Promise<number> {
  const head = await who.request(path, { method: 'HEAD', headers: TUS });
  expect(head.status).toBe(200);
  return Number(head.headers.get('upload-offset'));
}

/** Every file under a directory, as paths relative to it. */
function filesUnder(root: string): string[] {
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
          entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name).slice(root.length + 1)],
        )
      : [];
  return walk(root);
}

describe('files: resumable uploads (tus)', () => {
  let t: TestApp;
  let alice: UserSession;
  let bob: UserSession;

  beforeAll(async () => {
    let admin: UserSession;
    ({ t, admin, alice, bob } = await startDataTestApp({ TUS_EXPIRY_SECONDS: '60' }));
    await defineCollection(
      admin,
      'albums',
      [
        { name: 'title', type: 'text', required: true },
        { name: 'cover', type: 'file', mimeTypes: ['image/*'], maxSize: 100_000 },
        { name: 'tracks', type: 'file', multiple: true, maxFiles: 5 },
      ],
      OWNER_ONLY_RULES,
    );
    await defineCollection(
      admin,
      'showcase',
      [
        { name: 'title', type: 'text', required: true },
        { name: 'tracks', type: 'file', multiple: true },
      ],
      { ...OWNER_ONLY_RULES, list: '', view: '' },
    );
  });
  afterAll(() => t.close());

  const target = (record: string, field: string, extra: Record<string, string> = {}) => ({
    collection: 'albums',
    record,
    field,
    filename: 'track.bin',
    filetype: 'application/octet-stream',
    ...extra,
  });

  it('takes a file in three chunks, resumes after an interrupted chunk at the offset HEAD gives, and attaches it to the record', async () => {
    const album = await addRecord(alice, 'albums', { title: 'Chunks' });
    const bytes = opaqueBytes(300_000);
    const path = pathOf(await create(alice, bytes.length, target(album.id, 'tracks')));
    expect(await offsetOf(alice, path)).toBe(0);

    const first = await append(alice, path, 0, bytes.subarray(0, 100_000));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe('100000');
    expect(first.headers.get('upload-expires')).toBeTruthy();

    // The second chunk is cut off part-way: what arrived stays, and HEAD says how much.
    const abort = new AbortController();
    const partial = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(bytes.subarray(100_000, 150_000)));
      },
    });
    const cut = alice
      .request(path, {
        method: 'PATCH',
        headers: { ...BYTES, 'upload-offset': '100000' },
        body: partial,
        signal: abort.signal,
        duplex: 'half',
      } as RequestInit)
      .catch((error: unknown) => error);
    let offset = 100_000;
    for (let tries = 0; offset < 150_000 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      offset = await offsetOf(alice, path);
    }
    abort.abort();
    await cut;
    // The interrupted request may still hold the upload's lock for a moment: wait for HEAD to settle.
    await new Promise((resolve) => setTimeout(resolve, 100));
    offset = await offsetOf(alice, path);
    expect(offset).toBeGreaterThan(100_000);
    expect(offset).toBeLessThanOrEqual(150_000);

    // Bytes sent again from the old offset are refused: the client must ask HEAD.
    const stale = await append(alice, path, 100_000, bytes.subarray(100_000, 200_000));
    expect(stale.status).toBe(409);
    // A protocol refusal is a problem like any other answer, with the tus header a tus client expects.
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    expect(stale.headers.get('tus-resumable')).toBe('1.0.0');
    expect(((await stale.json()) as { status: number; detail: string }).detail).toMatch(/offset/i);

    const last = await append(alice, path, offset, bytes.subarray(offset));
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(bytes.length));
    const fileName = last.headers.get('record-file')!;
    expect(fileName).toMatch(/^track_[a-z0-9]{10}(\.bin)?$/);

    const record = await (await alice.request(`/collections/albums/records/${album.id}`)).json();
    expect(last.headers.get('record-etag')).toBe(`"${record.version}"`);
    const [track] = record.tracks as StoredFileView[];
    expect(track).toMatchObject({ name: fileName, original: 'track.bin', size: bytes.length, sha256: sha256(bytes) });
    // The stored object holds exactly the bytes sent, interruption and all.
    const [stored] = filesUnder(t.config.storage.localDir).filter((file) => file.endsWith(fileName));
    expect(sha256(readFileSync(join(t.config.storage.localDir, stored)))).toBe(sha256(bytes));
    // The partial upload is gone once the file is stored.
    expect(filesUnder(t.config.files.tusDir)).toEqual([]);
    expect((await alice.request(path, { method: 'HEAD', headers: TUS })).status).toBe(404);
  });

  it('takes a 5 MB file and appends it to a multiple field after the files already there', async () => {
    const album = await addRecord(alice, 'albums', { title: 'Big' });
    const small = opaqueBytes(10);
    const firstPath = pathOf(await create(alice, small.length, target(album.id, 'tracks', { filename: 'intro.bin' })));
    expect((await append(alice, firstPath, 0, small)).status).toBe(204);

    const bytes = opaqueBytes(5 * 1024 * 1024);
    const path = pathOf(await create(alice, bytes.length, target(album.id, 'tracks', { filename: 'big.bin' })));
    for (let offset = 0; offset < bytes.length; offset += 2 * 1024 * 1024) {
      const response = await append(alice, path, offset, bytes.subarray(offset, offset + 2 * 1024 * 1024));
      expect(response.status).toBe(204);
    }
    const record = await (await alice.request(`/collections/albums/records/${album.id}`)).json();
    expect((record.tracks as StoredFileView[]).map((file) => [file.original, file.size, file.sha256])).toEqual([
      ['intro.bin', 10, sha256(small)],
      ['big.bin', bytes.length, sha256(bytes)],
    ]);
  });

  it('replaces a single file field (mode set) and releases the file it held', async () => {
    const album = await addRecord(alice, 'albums', { title: 'Covers' });
    const upload = async () => {
      const path = pathOf(
        await create(alice, TINY_PNG.length, target(album.id, 'cover', { filename: 'cover.png', filetype: 'image/png' })),
      );
      const done = await append(alice, path, 0, TINY_PNG);
      expect(done.status).toBe(204);
      return done.headers.get('record-file')!;
    };
    const old = await upload();
    const next = await upload();
    const record = await (await alice.request(`/collections/albums/records/${album.id}`)).json();
    expect((record.cover as StoredFileView).name).toBe(next);
    expect(filesUnder(t.config.storage.localDir).some((file) => file.endsWith(old))).toBe(false);
  });

  it('refuses at creation an upload to a record the caller may not update (404), an unknown field and a single field in add mode', async () => {
    const albums = await addRecord(alice, 'albums', { title: 'Alice’s' });
    await problemOf(await create(bob, 10, target(albums.id, 'tracks')), 404);
    await problemOf(await create(alice, 10, target('0190a000-0000-7000-8000-000000000000', 'tracks')), 404);
    expect((await problemOf(await create(alice, 10, target(albums.id, 'title')), 422)).errors?.[0].code).toBe('notFileField');
    await problemOf(await create(alice, 10, target(albums.id, 'cover', { mode: 'add' })), 422);
    await problemOf(await create(alice, 10, { collection: 'albums', field: 'tracks' }), 400);
    expect(filesUnder(t.config.files.tusDir)).toEqual([]);
  });

  it('refuses at creation (403) a record the caller may see but whose update rule refuses them', async () => {
    const shared = await addRecord(alice, 'showcase', { title: 'Look, don’t touch' });
    const refused = await problemOf(await create(bob, 10, { ...target(shared.id, 'tracks'), collection: 'showcase' }), 403);
    expect(refused.detail).toContain('update rule');
    expect(filesUnder(t.config.files.tusDir)).toEqual([]);
  });

  it('answers 413 at creation when Upload-Length is over the field’s maxSize or the upload limit', async () => {
    const album = await addRecord(alice, 'albums', { title: 'Too big' });
    expect((await problemOf(await create(alice, 100_001, target(album.id, 'cover')), 413)).detail).toContain('maxSize');
    // Past the global limit tus itself refuses, before the metadata is read; answered as a problem all the same.
    await problemOf(await create(alice, t.config.storage.maxFileBytes + 1, target(album.id, 'tracks')), 413);
    expect(filesUnder(t.config.files.tusDir)).toEqual([]);
  });

  it('answers another user’s upload URL as an unknown upload (404) for HEAD, PATCH and DELETE', async () => {
    const album = await addRecord(alice, 'albums', { title: 'Mine' });
    const path = pathOf(await create(alice, 10, target(album.id, 'tracks')));
    expect((await bob.request(path, { method: 'HEAD', headers: TUS })).status).toBe(404);
    expect((await append(bob, path, 0, opaqueBytes(10))).status).toBe(404);
    expect((await bob.request(path, { method: 'DELETE', headers: TUS })).status).toBe(404);
    expect(await offsetOf(alice, path)).toBe(0);
    expect((await alice.request(path, { method: 'DELETE', headers: TUS })).status).toBe(204);
    expect((await alice.request(path, { method: 'HEAD', headers: TUS })).status).toBe(404);
  });

  it('refuses at the last chunk bytes that contradict the declared type (415) and leaves nothing stored', async () => {
    const album = await addRecord(alice, 'albums', { title: 'Fake image' });
    const before = filesUnder(t.config.storage.localDir);
    const bytes = Buffer.from('%PDF-1.7\n' + 'x'.repeat(500));
    const path = pathOf(await create(alice, bytes.length, target(album.id, 'cover', { filename: 'cover.png', filetype: 'image/png' })));
    await problemOf(await append(alice, path, 0, bytes), 415);
    expect(filesUnder(t.config.storage.localDir)).toEqual(before);
    expect(filesUnder(t.config.files.tusDir)).toEqual([]);
    const record = await (await alice.request(`/collections/albums/records/${album.id}`)).json();
    expect(record.cover ?? null).toBeNull();
  });

  it('refuses callers without credentials (401)', async () => {
    const created = await t.request('/api/v1/uploads', {
      method: 'POST',
      headers: { ...TUS, 'upload-length': '10', 'upload-metadata': metadata({ collection: 'albums', record: 'x', field: 'tracks' }) },
    });
    await problemOf(created, 401);
  });

  it('removes unfinished uploads past TUS_EXPIRY_SECONDS when the cleanup runs', async () => {
    const album = await addRecord(alice, 'albums', { title: 'Forgotten' });
    const path = pathOf(await create(alice, 100, target(album.id, 'tracks')));
    expect((await append(alice, path, 0, opaqueBytes(40))).status).toBe(204);
    const fresh = pathOf(await create(alice, 100, target(album.id, 'tracks')));
    const id = path.split('/').pop()!;
    const described = join(t.config.files.tusDir, `${id}.json`);
    const info = JSON.parse(readFileSync(described, 'utf8')) as { creation_date: string };
    writeFileSync(described, JSON.stringify({ ...info, creation_date: new Date(Date.now() - 61_000).toISOString() }));

    expect(await t.app.get(ResumableUploads).removeExpired()).toBe(1);
    expect(filesUnder(t.config.files.tusDir).filter((file) => file.startsWith(id))).toEqual([]);
    expect((await alice.request(path, { method: 'HEAD', headers: TUS })).status).toBe(404);
    expect(await offsetOf(alice, fresh)).toBe(0);
    expect((await alice.request(fresh, { method: 'DELETE', headers: TUS })).status).toBe(204);
  });
});

(SHARED_SERVICES ? describe : describe.skip)('files: resumable uploads across two instances sharing TUS_DIR', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await startTwoInstances({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('resumes on one instance an upload begun on the other, and attaches it there', async () => {
    const onA = await signedInUser(a);
    const onB = sessionFor(b, onA, onA);
    const admin = await signedInUser(a, { role: 'admin' });
    await defineCollection(
      admin,
      'albums',
      [
        { name: 'title', type: 'text' },
        { name: 'tracks', type: 'file', multiple: true },
      ],
      OWNER_ONLY_RULES,
    );
    const album = await addRecord(onA, 'albums', { title: 'Two' });
    const bytes = opaqueBytes(200_000);
    const path = pathOf(await create(onA, bytes.length, { collection: 'albums', record: album.id, field: 'tracks', filename: 'two.bin' }));
    expect((await append(onA, path, 0, bytes.subarray(0, 120_000))).status).toBe(204);

    expect(await offsetOf(onB, path)).toBe(120_000);
    const last = await append(onB, path, 120_000, bytes.subarray(120_000));
    expect(last.status).toBe(204);
    const record = await (await onA.request(`/collections/albums/records/${album.id}`)).json();
    expect((record.tracks as StoredFileView[])[0]).toMatchObject({ name: last.headers.get('record-file'), sha256: sha256(bytes) });
  });
});

describe('files: uploads under a storage quota', () => {
  let t: TestApp;
  let alice: UserSession;

  beforeAll(async () => {
    let admin: UserSession;
    ({ t, admin, alice } = await startDataTestApp({ FILES_USER_QUOTA_BYTES: '10000' }));
    await defineCollection(
      admin,
      'quota_docs',
      [
        { name: 'file', type: 'file' },
        { name: 'more', type: 'file', multiple: true },
      ],
      OWNER_ONLY_RULES,
    );
  });
  afterAll(() => t.close());

  it('refuses at creation an upload larger than what is left of the quota (413), before any byte is sent', async () => {
    const doc = await addRecord(alice, 'quota_docs', {});
    const target = { collection: 'quota_docs', record: doc.id, field: 'file', filename: 'a.bin', filetype: 'application/octet-stream' };
    expect((await problemOf(await create(alice, 10_001, target), 413)).detail).toContain('quota');
    expect((await create(alice, 10_000, target)).status).toBe(201);
  });

  it('counts a multipart write’s earlier files against the quota before its later ones are stored (413, nothing kept)', async () => {
    const sixKb = (name: string) => ({ name, bytes: Buffer.alloc(6_000, 7) });
    const both = await sendForm(alice, 'POST', '/collections/quota_docs/records', form({}, { more: [sixKb('a.bin'), sixKb('b.bin')] }));
    expect((await problemOf(both, 413)).detail).toContain('quota');
    const kept = () =>
      t.app.get(DatabaseConnection).query<{ size: number }>(`SELECT size::int FROM stored_files WHERE state <> 'deleting'`);
    expect(await kept()).toEqual([]); // what the refused write stored went with it

    // A committed file counts with its size: the next 6,000 bytes no longer fit.
    expect((await sendForm(alice, 'POST', '/collections/quota_docs/records', form({}, { file: sixKb('c.bin') }))).status).toBe(201);
    expect(await kept()).toEqual([{ size: 6_000 }]);
    const next = await sendForm(alice, 'POST', '/collections/quota_docs/records', form({}, { file: sixKb('d.bin') }));
    expect((await problemOf(next, 413)).detail).toContain('quota');
  });
});
