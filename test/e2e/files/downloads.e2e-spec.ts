import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { defineCollection, OWNER_ONLY_RULES, problemOf, startDataTestApp } from '@backlot/testing/data';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { form, recordOf, sendForm, type StoredFileView } from '@backlot/testing/files';
import { json, type TestApp } from '@backlot/testing/test-app';

const PUBLIC_VIEW = { ...OWNER_ONLY_RULES, list: '', view: '' };

describe('files: downloads, file tokens and thumbnails', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  let photo: Buffer;
  let record: { id: string; doc: StoredFileView; photo: StoredFileView; page: StoredFileView; secret: StoredFileView };

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    await defineCollection(
      admin,
      'posts',
      [
        { name: 'title', type: 'text' },
        { name: 'photo', type: 'file', thumbs: ['100x100', '50x0'] },
        { name: 'doc', type: 'file' },
        { name: 'page', type: 'file' },
        { name: 'secret', type: 'file', protected: true },
      ],
      PUBLIC_VIEW,
    );
    photo = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#3366cc' } })
      .jpeg()
      .toBuffer();
    const created = await sendForm(
      alice,
      'POST',
      '/collections/posts/records',
      form(
        { title: 'hello' },
        {
          photo: { name: 'Sommer Foto.jpg', bytes: photo },
          doc: { name: 'report.txt', bytes: 'x'.repeat(1000) },
          page: { name: 'page.html', bytes: '<html><script>alert(document.cookie)</script></html>', type: 'text/html' },
          secret: { name: 'salary.txt', bytes: 'top secret' },
        },
      ),
    );
    expect(created.status).toBe(201);
    record = (await recordOf(created)) as unknown as typeof record;
  });
  afterAll(() => t.close());

  const get = (path: string, init?: RequestInit) => t.request(path, init);

  it('serves a public file to anyone who may view the record, with ETag, immutable caching and safe headers', async () => {
    const response = await get(record.photo.url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(photo)).toBe(true);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('etag')).toBe(`"${createHash('sha256').update(photo).digest('hex')}"`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain('sandbox');
    expect(response.headers.get('content-disposition')).toBe(`inline; filename="Sommer Foto.jpg"; filename*=UTF-8''Sommer%20Foto.jpg`);
    const again = await get(record.photo.url, { headers: { 'if-none-match': response.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('answers HEAD and Range requests', async () => {
    const head = await get(record.doc.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1000');
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    const part = await get(record.doc.url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(await part.text()).toBe('x'.repeat(10));
    const suffix = await get(record.doc.url, { headers: { range: 'bytes=-5' } });
    expect(suffix.headers.get('content-range')).toBe('bytes 995-999/1000');
    const outside = await get(record.doc.url, { headers: { range: 'bytes=5000-' } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe('bytes */1000');
  });

  it('never serves active content inline', async () => {
    const response = await get(record.page.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const forced = await get(`${record.photo.url}?download=1`);
    expect(forced.headers.get('content-disposition')).toMatch(/^attachment;/);
  });

  it('keeps files of records the caller may not view, and names no record has, at 404', async () => {
    await defineCollection(admin, 'private_notes', [{ name: 'file', type: 'file' }], OWNER_ONLY_RULES);
    const note = await recordOf(
      await sendForm(alice, 'POST', '/collections/private_notes/records', form({}, { file: { name: 'n.txt', bytes: 'mine' } })),
    );
    const url = (note.file as StoredFileView).url;
    expect((await alice.request(url.replace('/api/v1', ''))).status).toBe(200);
    await problemOf(await bob.request(url.replace('/api/v1', '')), 404);
    await problemOf(await get(url), 404);
    await problemOf(await get(record.doc.url.replace(record.doc.name, 'other_abcdefghij.txt')), 404);
    await problemOf(await get(`/api/v1/files/posts/${record.id}/..%2F..%2Fetc%2Fpasswd`), 400);
    await problemOf(await get(`/api/v1/files/posts/not-a-uuid/${record.doc.name}`), 400);
  });

  it('needs credentials for protected files: a header or a file token bound to the session, record and file', async () => {
    const path = record.secret.url;
    await problemOf(await get(path), 401);
    const withHeader = await bob.request(path.replace('/api/v1', ''));
    expect(withHeader.status).toBe(200);
    expect(withHeader.headers.get('cache-control')).toBe('private, max-age=3600');

    const issued = await bob.json('POST', '/files/token', { collection: 'posts', record: record.id, name: record.secret.name });
    expect(issued.status).toBe(201);
    const { token } = await json<{ token: string }>(issued);
    const viaToken = await get(`${path}?token=${token}`);
    expect(viaToken.status).toBe(200);
    expect(await viaToken.text()).toBe('top secret');

    await problemOf(await get(`${record.doc.url}?token=${token}`), 404);
    await problemOf(await get(`${path}?token=${token.slice(0, -3)}abc`), 401);
    await problemOf(await get(`${path}?token=${alice.accessToken}`), 401);

    const signedOut = await signedInUser(t);
    const grant = await json<{ token: string }>(await signedOut.json('POST', '/files/token', { collection: 'posts', record: record.id }));
    expect((await get(`${path}?token=${grant.token}`)).status).toBe(200);
    expect((await signedOut.json('POST', '/auth/logout', { refreshToken: signedOut.refreshToken })).status).toBeLessThan(300);
    await problemOf(await get(`${path}?token=${grant.token}`), 401);
  });

  it('refuses file tokens for records the caller may not view', async () => {
    await problemOf(await bob.json('POST', '/files/token', { collection: 'posts', record: '0190a0a0-0000-7000-8000-000000000000' }), 404);
    await problemOf(await bob.json('POST', '/files/token', { collection: 'posts', record: 'nope' }), 400);
    await problemOf(
      await t.request('/api/v1/files/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      401,
    );
  });

  it('serves only declared thumbnail sizes of images, made once', async () => {
    const thumb = await get(`${record.photo.url}?thumb=100x100`);
    expect(thumb.status).toBe(200);
    const bytes = Buffer.from(await thumb.arrayBuffer());
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 100, height: 100, format: 'jpeg' });
    expect(thumb.headers.get('etag')).toMatch(/-100x100"$/);
    // Again (from memory now): the same bytes, a range of them, and HEAD with the length.
    expect(Buffer.from(await (await get(`${record.photo.url}?thumb=100x100`)).arrayBuffer()).equals(bytes)).toBe(true);
    const part = await get(`${record.photo.url}?thumb=100x100`, { headers: { range: 'bytes=10-19' } });
    expect([part.status, part.headers.get('content-range')]).toEqual([206, `bytes 10-19/${bytes.length}`]);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
    const head = await get(`${record.photo.url}?thumb=100x100`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(bytes.length)]);
    const wide = await sharp(Buffer.from(await (await get(`${record.photo.url}?thumb=50x0`)).arrayBuffer())).metadata();
    expect([wide.width, wide.height]).toEqual([50, 25]);
    expect((await problemOf(await get(`${record.photo.url}?thumb=300x300`), 400)).detail).toMatch(/100x100, 50x0 only/);
    await problemOf(await get(`${record.photo.url}?thumb=huge`), 400);
    await problemOf(await get(`${record.doc.url}?thumb=100x100`), 400);
  });
});
