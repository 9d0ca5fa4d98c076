import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineCollection, OWNER_ONLY_RULES, problemOf, startDataTestApp } from '@backlot/testing/data';
import type { UserSession } from '@backlot/testing/auth';
import { form, recordOf, sendForm, type StoredFileView, TINY_PNG } from '@backlot/testing/files';
import type { TestApp } from '@backlot/testing/test-app';

/** Every object in the app's local storage (partial uploads included, not the instances' markers), as relative paths. */
function storedObjects(t: TestApp): string[] {
  const root = t.config.storage.localDir;
  const walk = (dir: string): string[] => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries.flatMap((entry) =>
      entry.name === '.instances' ? [] : entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name).slice(root.length + 1)],
    );
  };
  return walk(root);
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

describe('files: uploads with the record write', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    await defineCollection(
      admin,
      'docs',
      [
        { name: 'title', type: 'text', required: true },
        { name: 'pages', type: 'integer' },
        { name: 'cover', type: 'file', mimeTypes: ['image/*'], maxSize: 100_000 },
        { name: 'attachments', type: 'file', multiple: true, maxFiles: 3 },
      ],
      OWNER_ONLY_RULES,
    );
  });
  afterAll(() => t.close());

  it('creates a record with a cover and attachments from one multipart request', async () => {
    const body = form(
      { title: 'Report', pages: '12' },
      {
        cover: { name: 'cover.png', bytes: TINY_PNG, type: 'image/png' },
        attachments: [
          { name: 'a.txt', bytes: 'alpha', type: 'text/plain' },
          { name: 'b.txt', bytes: 'beta' },
        ],
      },
    );
    const created = await sendForm(alice, 'POST', '/collections/docs/records', body);
    expect(created.status).toBe(201);
    const record = await recordOf(created);
    expect(record).toMatchObject({ title: 'Report', pages: 12 });
    const cover = record.cover as StoredFileView;
    expect(cover).toMatchObject({ original: 'cover.png', size: TINY_PNG.length, type: 'image/png', sha256: sha256(TINY_PNG) });
    expect(cover.name).toMatch(/^cover_[a-z0-9]{10}\.png$/);
    expect(cover.url).toBe(`/api/v1/files/docs/${record.id}/${cover.name}`);
    const attachments = record.attachments as StoredFileView[];
    expect(attachments.map((file) => [file.original, file.type, file.size])).toEqual([
      ['a.txt', 'text/plain', 5],
      ['b.txt', 'text/plain', 4],
    ]);
    expect(storedObjects(t).filter((path) => path.includes(record.id))).toHaveLength(3);
  });

  it('adds, keeps and removes single files of a multiple field without sending the others again', async () => {
    const created = await recordOf(
      await sendForm(
        alice,
        'POST',
        '/collections/docs/records',
        form(
          { title: 'Multi' },
          {
            attachments: [
              { name: 'one.txt', bytes: '1' },
              { name: 'two.txt', bytes: '2' },
            ],
          },
        ),
      ),
    );
    const [one, two] = created.attachments as StoredFileView[];
    const added = await sendForm(
      alice,
      'PATCH',
      `/collections/docs/records/${created.id}`,
      form({}, { 'attachments+': { name: 'three.txt', bytes: '3' } }),
    );
    expect(added.status).toBe(200);
    expect(((await recordOf(added)).attachments as StoredFileView[]).map((file) => file.original)).toEqual([
      'one.txt',
      'two.txt',
      'three.txt',
    ]);

    const removed = await alice.json('PATCH', `/collections/docs/records/${created.id}`, { 'attachments-': [one.name] });
    expect(removed.status).toBe(200);
    const after = (await recordOf(removed)).attachments as StoredFileView[];
    expect(after.map((file) => file.original)).toEqual(['two.txt', 'three.txt']);
    expect(storedObjects(t).some((path) => path.endsWith(one.name))).toBe(false);
    expect(storedObjects(t).some((path) => path.endsWith(two.name))).toBe(true);

    const reordered = await alice.json('PATCH', `/collections/docs/records/${created.id}`, { attachments: [after[1].name, after[0]] });
    expect(((await recordOf(reordered)).attachments as StoredFileView[]).map((file) => file.original)).toEqual(['three.txt', 'two.txt']);
  });

  it('replaces a single file and deletes the old bytes after the write commits', async () => {
    const created = await recordOf(
      await sendForm(alice, 'POST', '/collections/docs/records', form({ title: 'Cover' }, { cover: { name: 'old.png', bytes: TINY_PNG } })),
    );
    const old = created.cover as StoredFileView;
    const replaced = await sendForm(
      alice,
      'PATCH',
      `/collections/docs/records/${created.id}`,
      form({}, { cover: { name: 'new.png', bytes: TINY_PNG } }),
    );
    expect(replaced.status).toBe(200);
    expect(((await recordOf(replaced)).cover as StoredFileView).original).toBe('new.png');
    expect(storedObjects(t).some((path) => path.endsWith(old.name))).toBe(false);
    const cleared = await alice.json('PATCH', `/collections/docs/records/${created.id}`, { cover: null });
    expect((await recordOf(cleared)).cover).toBeNull();
    expect(storedObjects(t).filter((path) => path.includes(created.id))).toEqual([]);
  });

  it('refuses bytes that contradict their declared type, and types the field does not allow, storing nothing', async () => {
    const before = storedObjects(t).length;
    const lying = await sendForm(
      alice,
      'POST',
      '/collections/docs/records',
      form({ title: 'x' }, { cover: { name: 'evil.png', bytes: '<html><script>alert(1)</script>', type: 'image/png' } }),
    );
    expect((await problemOf(lying, 415)).detail).toMatch(/declared as image\/png/);
    const notImage = await sendForm(
      alice,
      'POST',
      '/collections/docs/records',
      form({ title: 'x' }, { cover: { name: 'notes.txt', bytes: 'hello' } }),
    );
    expect((await problemOf(notImage, 415)).detail).toMatch(/cover accepts image\/\*/);
    expect(storedObjects(t).length).toBe(before);
  });

  it('answers 413 past maxSize while streaming and 422 for an empty file, leaving nothing behind', async () => {
    const before = storedObjects(t).length;
    const big = Buffer.concat([TINY_PNG, Buffer.alloc(200_000)]);
    const tooBig = await sendForm(
      alice,
      'POST',
      '/collections/docs/records',
      form({ title: 'x' }, { attachments: { name: 'ok.txt', bytes: 'fine' }, cover: { name: 'big.png', bytes: big } }),
    );
    expect((await problemOf(tooBig, 413)).detail).toMatch(/maxSize \(100000 bytes\)/);
    const empty = await sendForm(
      alice,
      'POST',
      '/collections/docs/records',
      form({ title: 'x' }, { attachments: { name: 'empty.txt', bytes: '' } }),
    );
    expect((await problemOf(empty, 422)).errors?.[0]).toMatchObject({ path: 'attachments', code: 'empty' });
    expect(storedObjects(t).length).toBe(before);
  });

  it('refuses too many files for a field, unknown file parts and forged file values', async () => {
    const many = await sendForm(
      alice,
      'POST',
      '/collections/docs/records',
      form({ title: 'x' }, { attachments: ['1', '2', '3', '4'].map((n) => ({ name: `${n}.txt`, bytes: n })) }),
    );
    expect((await problemOf(many, 422)).errors?.[0]).toMatchObject({ path: 'attachments', code: 'tooManyFiles' });
    const unknown = await sendForm(
      alice,
      'POST',
      '/collections/docs/records',
      form({ title: 'x' }, { title: { name: 'x.txt', bytes: 'x' } }),
    );
    expect((await problemOf(unknown, 400)).detail).toMatch(/not a file field/);
    const forged = await alice.json('POST', '/collections/docs/records', {
      title: 'x',
      cover: { name: 'stolen_abcdefghij.png', original: 'x.png', size: 1, type: 'image/png', sha256: '0'.repeat(64) },
    });
    expect((await problemOf(forged, 422)).errors?.[0]).toMatchObject({ path: 'cover', code: 'unknownFile' });
  });

  it('cleans hostile file names and never lets them reach a path', async () => {
    const created = await sendForm(
      alice,
      'POST',
      '/collections/docs/records',
      form(
        { title: 'names' },
        {
          attachments: [
            { name: '../../etc/passwd', bytes: 'x' },
            { name: 'a\u202Egnp.exe', bytes: 'y' },
            { name: `${'é'.repeat(300)}.txt`, bytes: 'z' },
          ],
        },
      ),
    );
    expect(created.status).toBe(201);
    const files = (await recordOf(created)).attachments as StoredFileView[];
    expect(files[0].original).toBe('passwd');
    expect(files[0].name).toMatch(/^passwd_[a-z0-9]{10}\.txt$/);
    expect(files[1].original).toBe('agnp.exe');
    expect(files[2].name.length).toBeLessThanOrEqual(120);
    // Sent as say %22100%%22%0A.txt (the form encoding of " and LF): those escapes are undone, the rest is kept.
    const quoted = await sendForm(
      alice,
      'POST',
      '/collections/docs/records',
      form({ title: 'quoted' }, { attachments: [{ name: 'say "100%"\n.txt', bytes: 'w' }] }),
    );
    expect(((await recordOf(quoted)).attachments as StoredFileView[])[0].original).toBe('say "100%".txt');
    for (const path of storedObjects(t)) expect(path.startsWith('..')).toBe(false);
  });

  it('lets only the update rule change files: another user gets 404 and stores nothing', async () => {
    const created = await recordOf(await sendForm(alice, 'POST', '/collections/docs/records', form({ title: 'mine' })));
    const before = storedObjects(t).length;
    const foreign = await sendForm(
      bob,
      'PATCH',
      `/collections/docs/records/${created.id}`,
      form({}, { 'attachments+': { name: 'x.txt', bytes: 'x' } }),
    );
    await problemOf(foreign, 404);
    expect(storedObjects(t).length).toBe(before);
  });

  it('answers malformed and truncated multipart bodies with 400', async () => {
    const noBoundary = await alice.request('/collections/docs/records', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: 'x',
    });
    expect([400, 415]).toContain(noBoundary.status);
    const truncated = await alice.request('/collections/docs/records', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="attachments"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello',
    });
    await problemOf(truncated, 400);
    expect(storedObjects(t).filter((path) => path.startsWith('.partial'))).toEqual([]);
  });

  it('answers 415 to multipart on routes that take none', async () => {
    const response = await alice.request('/collections/docs/records/import', { method: 'POST', body: form({ a: 'b' }) });
    expect([404, 415]).toContain(response.status);
    const login = await alice.request('/auth/login', { method: 'POST', body: form({ email: 'x' }) });
    await problemOf(login, 415);
  });

  it('documents the multipart bodies in the collection’s OpenAPI paths, files as binary', async () => {
    const document = (await (await t.request('/docs-json')).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>
      >;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const create = document.paths['/api/v1/collections/docs/records'].post.requestBody!.content;
    expect(Object.keys(create)).toEqual(['application/json', 'multipart/form-data']);
    expect(create['multipart/form-data'].schema.properties).toMatchObject({
      cover: { type: 'string', format: 'binary' },
      attachments: { type: 'array', items: { type: 'string', format: 'binary' } },
      'attachments+': { type: 'array' },
      '@json': { type: 'string' },
    });
    expect(document.components.schemas.DocsRecord.properties.cover).toMatchObject({ required: expect.arrayContaining(['url']) });
    expect(document.components.schemas.DocsCreate.properties.attachments).toMatchObject({ type: 'array', items: { type: 'string' } });
  });

  it('shows storage per collection in admin stats', async () => {
    const stats = (await (await admin.request('/admin/stats')).json()) as {
      collections: { records: { name: string; files: number; fileBytes: number }[] };
    };
    const docs = stats.collections.records.find((collection) => collection.name === 'docs')!;
    expect(docs.files).toBe(storedObjects(t).length);
    expect(docs.fileBytes).toBeGreaterThan(0);
  });
});
