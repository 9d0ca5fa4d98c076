import { createHash, randomBytes } from 'node:crypto';
import {
  type BacklotClient,
  createClient,
  ProblemError,
  type StoredFile,
  UploadOutcomeUnknownError,
  type UploadProgress,
} from '@backlot/client';
import { createUser, signedInUser } from '@backlot/testing/auth';
import { defineCollection, OWNER_ONLY_RULES } from '@backlot/testing/data';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Doc {
  title: string;
  attachment?: StoredFile | null;
  scans?: StoredFile[];
  picture?: StoredFile | null;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Progress reports only move forward and end at the total. */
function expectProgress(events: UploadProgress[], total: number): void {
  expect(events.length).toBeGreaterThan(1);
  for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
  expect(events.at(-1)).toEqual({ loaded: total, total });
}

/** Upload progress and resumable (tus) uploads of the SDK in Node, against a running Backlot. */
describe('@backlot/client uploads against a real server', () => {
  let t: TestApp;
  let client: BacklotClient;
  /** PATCH requests of resumable uploads the server accepted, and which of them should lose their answer. */
  const patches: string[] = [];
  let dropAnswer: ((offset: number) => boolean) | undefined;

  const fetchWatching: typeof fetch = async (input, init) => {
    const answer = await fetch(input, init);
    if (init?.method !== 'PATCH' || !String(input).includes('/uploads/') || !answer.ok) return answer;
    patches.push(String(input));
    if (!dropAnswer?.(Number(answer.headers.get('upload-offset')))) return answer;
    // The server has the chunk; the client never hears so, as on a connection cut after the send.
    dropAnswer = undefined;
    await answer.body?.cancel();
    throw new TypeError('fetch failed');
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    const admin = await signedInUser(t, { role: 'admin' });
    const fields = [
      { name: 'title', type: 'text', required: true },
      { name: 'attachment', type: 'file' },
      { name: 'scans', type: 'file', multiple: true, maxFiles: 10 },
      { name: 'picture', type: 'file', mimeTypes: ['image/png'] },
    ];
    await defineCollection(admin, 'docs', fields, OWNER_ONLY_RULES);
    const user = await createUser(t);
    client = createClient({ url: t.baseUrl, fetch: fetchWatching });
    await client.auth.login(user.email, user.password);
  });
  afterAll(() => t?.close());

  async function download(file: Pick<StoredFile, 'url'>): Promise<Uint8Array> {
    const response = await fetch(client.files.url(file), { headers: await client.auth.headers() });
    expect(response.status).toBe(200);
    return new Uint8Array(await response.arrayBuffer());
  }

  it('reports the progress of files sent with a create, and stores every byte and the names given', async () => {
    const bytes = randomBytes(300_000);
    const events: UploadProgress[] = [];
    const doc = await client
      .collection<Doc>('docs')
      .create(
        { title: 'with progress' },
        {
          files: { attachment: { data: new Blob([bytes]), name: 'r\u00e9sum\u00e9 "final".bin' } },
          onUploadProgress: (p) => events.push(p),
        },
      );
    expect(doc.attachment).toMatchObject({ original: 'r\u00e9sum\u00e9 "final".bin', size: bytes.length, sha256: sha256(bytes) });
    // The whole multipart body: the file and the form around it.
    expectProgress(events, events.at(-1)!.total);
    expect(events.at(-1)!.total).toBeGreaterThan(bytes.length);
    expect(sha256(await download(doc.attachment!))).toBe(sha256(bytes));
  });

  it('reports progress on an update that adds files to a multiple field', async () => {
    const docs = client.collection<Doc>('docs');
    const doc = await docs.create({ title: 'scans' });
    const events: UploadProgress[] = [];
    const updated = await docs.update(
      doc,
      {},
      { files: { 'scans+': [new Blob([randomBytes(70_000)]), new Blob([randomBytes(90_000)])] }, onUploadProgress: (p) => events.push(p) },
    );
    expect(updated.scans).toHaveLength(2);
    expect(events.at(-1)!.loaded).toBeGreaterThan(160_000);
  });

  it('sends a large file in chunks with a resumable upload and attaches it to the record', async () => {
    const docs = client.collection<Doc>('docs');
    const doc = await docs.create({ title: 'resumable' });
    const bytes = randomBytes(2 * 1024 * 1024 + 12_345);
    const events: UploadProgress[] = [];
    patches.length = 0;
    const result = await client.files.upload(
      new File([bytes], 'big.bin', { type: 'application/octet-stream' }),
      { collection: 'docs', record: doc.id, field: 'attachment' },
      { chunkSize: 512 * 1024, onProgress: (p) => events.push(p) },
    );
    expect(patches).toHaveLength(5);
    expectProgress(events, bytes.length);
    const stored = await docs.get(doc.id);
    expect(stored.attachment).toMatchObject({
      name: result.name,
      original: 'big.bin',
      size: bytes.length,
      sha256: sha256(bytes),
      url: result.url,
    });
    expect(result.version).toBe(stored.version);
    expect(sha256(await download(stored.attachment!))).toBe(sha256(bytes));
  });

  it('goes on from where the server is after a chunk whose answer was lost', async () => {
    const doc = await client.collection<Doc>('docs').create({ title: 'lost answer' });
    const bytes = randomBytes(600_000);
    patches.length = 0;
    dropAnswer = () => true;
    const result = await client.files.upload(
      new Blob([bytes]),
      { collection: 'docs', record: doc.id, field: 'scans' },
      { chunkSize: 200_000, name: 'scan.bin' },
    );
    // Three chunks, none sent twice: after the lost answer the client asked for the offset.
    expect(patches).toHaveLength(3);
    const stored = await client.collection<Doc>('docs').get(doc.id);
    expect(stored.scans!.map((file) => [file.name, file.sha256])).toEqual([[result.name, sha256(bytes)]]);
  });

  it('stops on abort, and a later call resumes the same upload from the bytes the server has', async () => {
    const doc = await client.collection<Doc>('docs').create({ title: 'resumed' });
    const bytes = randomBytes(1_000_000);
    const file = new Blob([bytes]);
    const controller = new AbortController();
    let uploadId = '';
    patches.length = 0;
    const aborted = await client.files
      .upload(
        file,
        { collection: 'docs', record: doc.id, field: 'attachment' },
        {
          chunkSize: 250_000,
          signal: controller.signal,
          onCreated: (id) => (uploadId = id),
          // Once two chunks are answered for: the server has at least 500,000 bytes.
          onProgress: () => patches.length >= 2 && controller.abort(),
        },
      )
      .catch((error: unknown) => error);
    expect((aborted as Error).name).toBe('AbortError');
    expect(uploadId).toBeTruthy();

    const events: UploadProgress[] = [];
    patches.length = 0;
    const result = await client.files.upload(
      file,
      { collection: 'docs', record: doc.id, field: 'attachment' },
      { chunkSize: 250_000, resume: uploadId, onProgress: (p) => events.push(p) },
    );
    expect(events[0].loaded).toBeGreaterThanOrEqual(500_000);
    expect(patches.length).toBeLessThanOrEqual(2);
    const stored = await client.collection<Doc>('docs').get(doc.id);
    expect(stored.attachment).toMatchObject({ name: result.name, size: bytes.length, sha256: sha256(bytes) });
  });

  it('cannot tell the outcome when the answer to the last chunk is lost, and says so', async () => {
    const doc = await client.collection<Doc>('docs').create({ title: 'last answer lost' });
    dropAnswer = (offset) => offset === 300_000;
    const lost = await client.files
      .upload(new Blob([randomBytes(300_000)]), { collection: 'docs', record: doc.id, field: 'attachment' }, { chunkSize: 100_000 })
      .catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(UploadOutcomeUnknownError);
    // It was stored: the server finished the upload before the answer went missing.
    expect((await client.collection<Doc>('docs').get(doc.id)).attachment?.size).toBe(300_000);
  });

  it('refuses to resume with a file of another size, and a chunk size that is not a whole number of bytes', async () => {
    const doc = await client.collection<Doc>('docs').create({ title: 'wrong file' });
    const target = { collection: 'docs', record: doc.id, field: 'attachment' };
    const controller = new AbortController();
    let uploadId = '';
    const first = client.files.upload(new Blob([randomBytes(400_000)]), target, {
      chunkSize: 100_000,
      signal: controller.signal,
      onCreated: (id) => (uploadId = id),
      onProgress: (p) => p.loaded > 0 && controller.abort(),
    });
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    await expect(client.files.upload(new Blob([randomBytes(10)]), target, { resume: uploadId })).rejects.toThrow(/400000 bytes/);
    await expect(client.files.upload(new Blob(['x']), target, { chunkSize: Number.NaN })).rejects.toThrow(RangeError);
  });

  it("answers a file the field refuses with the server's problem, once, and keeps nothing", async () => {
    const doc = await client.collection<Doc>('docs').create({ title: 'refused' });
    patches.length = 0;
    const refused = await client.files
      .upload(new Blob(['plain text, not a PNG']), { collection: 'docs', record: doc.id, field: 'picture' }, { chunkSize: 8 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).status).toBe(415);
    expect((await client.collection<Doc>('docs').get(doc.id)).picture ?? null).toBeNull();

    const elsewhere = await client.files
      .upload(new Blob(['x']), { collection: 'docs', record: '00000000-0000-4000-8000-000000000000', field: 'attachment' })
      .catch((error: unknown) => error);
    expect((elsewhere as ProblemError).status).toBe(404);
    const gone = await client.files
      .upload(new Blob(['x']), { collection: 'docs', record: doc.id, field: 'attachment' }, { resume: 'no-such-upload' })
      .catch((error: unknown) => error);
    expect((gone as ProblemError).status).toBe(404);
  });
});
