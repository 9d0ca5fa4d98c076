import { createHash } from 'node:crypto';
import { defineCollection, OWNER_ONLY_RULES, problemOf } from '@backlot/testing/data';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { form, recordOf, sendForm, type StoredFileView } from '@backlot/testing/files';
import { startS3Server, type TestS3Server } from '@backlot/testing/s3-server';
import { SHARED_SERVICES, startTestApp, startTwoInstances, type TestApp } from '@backlot/testing/test-app';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const PUBLIC_VIEW = { ...OWNER_ONLY_RULES, view: '' };

describe('files on the S3 driver (a real S3-protocol server)', () => {
  let s3: TestS3Server;

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(() => s3.stop());

  async function appWith(env: Record<string, string>): Promise<{ t: TestApp; admin: UserSession; alice: UserSession }> {
    const t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', ...s3.env, ...env } });
    return { t, admin: await signedInUser(t, { role: 'admin' }), alice: await signedInUser(t) };
  }

  it('uploads into the bucket, serves ranges from it, and removes replaced files from it', async () => {
    const { t, admin, alice } = await appWith({});
    try {
      await defineCollection(admin, 'scans', [{ name: 'file', type: 'file' }], PUBLIC_VIEW);
      const bytes = Buffer.alloc(6 * 1024 * 1024, 7);
      const created = await sendForm(alice, 'POST', '/collections/scans/records', form({}, { file: { name: 'big.bin', bytes } }));
      expect(created.status).toBe(201);
      const record = await recordOf(created);
      const file = record.file as StoredFileView;
      expect(file.sha256).toBe(sha256(bytes));
      const whole = await t.request(file.url);
      expect(whole.status).toBe(200);
      expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(file.sha256);
      const part = await t.request(file.url, { headers: { range: 'bytes=100-199' } });
      expect(part.status).toBe(206);
      expect((await part.arrayBuffer()).byteLength).toBe(100);
      expect(s3.pendingUploads()).toEqual([]);

      await sendForm(alice, 'PATCH', `/collections/scans/records/${record.id}`, form({}, { file: { name: 'small.txt', bytes: 'small' } }));
      await problemOf(await t.request(file.url), 404);
    } finally {
      await t.close();
    }
  });

  it('redirects downloads to a presigned URL when asked to, after the same checks', async () => {
    const { t, admin, alice } = await appWith({ STORAGE_S3_PRESIGNED_DOWNLOADS: 'true' });
    try {
      await defineCollection(admin, 'private_scans', [{ name: 'file', type: 'file' }], OWNER_ONLY_RULES);
      const record = await recordOf(
        await sendForm(alice, 'POST', '/collections/private_scans/records', form({}, { file: { name: 'a.txt', bytes: 'presigned' } })),
      );
      const url = (record.file as StoredFileView).url.replace('/api/v1', '');
      await problemOf(await t.request(`/api/v1${url}`), 404);
      const redirected = await alice.request(url, { redirect: 'manual' });
      expect(redirected.status).toBe(302);
      const location = redirected.headers.get('location')!;
      expect(location.startsWith(s3.endpoint)).toBe(true);
      const direct = await fetch(location);
      expect(await direct.text()).toBe('presigned');
      expect(direct.headers.get('content-disposition')).toMatch(/filename="a.txt"/);
    } finally {
      await t.close();
    }
  });

  (SHARED_SERVICES ? it : it.skip)(
    'serves a file uploaded through one instance from another (shared bucket, PostgreSQL + Redis)',
    async () => {
      const [a, b] = await startTwoInstances({ env: { AUTH_RATE_LIMIT_MAX: '1000', ...s3.env } });
      try {
        const admin = await signedInUser(a, { role: 'admin' });
        await defineCollection(admin, 'shared_scans', [{ name: 'file', type: 'file' }], PUBLIC_VIEW);
        const alice = await signedInUser(a);
        const record = await recordOf(
          await sendForm(alice, 'POST', '/collections/shared_scans/records', form({}, { file: { name: 'x.txt', bytes: 'from a' } })),
        );
        const onB = await b.request((record.file as StoredFileView).url);
        expect(onB.status).toBe(200);
        expect(await onB.text()).toBe('from a');
      } finally {
        await b.close();
        await a.close();
      }
    },
  );
});
