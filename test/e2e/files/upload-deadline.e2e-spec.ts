import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseConnection } from '@backlot/database';
import { defineCollection, OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import type { UserSession } from '@backlot/testing/auth';
import { form, opaqueBytes, recordOf, sendForm } from '@backlot/testing/files';
import type { TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';

/**
 * FILES_UPLOAD_TIMEOUT_SECONDS: a write whose uploads outlive it is answered 408 and keeps
 * nothing, wherever the client stalled, so the files sweep (which takes anything older than
 * the grace period for abandoned) never meets an upload that is still running.
 */
describe('files: the upload deadline', () => {
  const BOUNDARY = 'deadline-boundary';
  let t: TestApp;
  let alice: UserSession;
  const open: ClientRequest[] = [];

  beforeAll(async () => {
    let admin: UserSession;
    ({ t, admin, alice } = await startDataTestApp({ FILES_UPLOAD_TIMEOUT_SECONDS: '1', FILES_ORPHAN_GRACE_SECONDS: '60' }));
    await defineCollection(
      admin,
      'slow',
      [
        { name: 'title', type: 'text' },
        { name: 'file', type: 'file', multiple: true, maxFiles: 3 },
      ],
      OWNER_ONLY_RULES,
    );
  });
  afterEach(() => {
    for (const request of open.splice(0)) request.destroy();
  });
  afterAll(() => t.close());

  /** Sends `head` of a multipart create and then nothing more; resolves with the answer and its body. */
  const stallAfter = (head: Buffer): Promise<{ response: IncomingMessage; body: string; ms: number }> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const request = httpRequest(`${t.baseUrl}/api/v1/collections/slow/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      });
      open.push(request);
      request.on('error', reject);
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ response, body, ms: Date.now() - started }));
      });
      request.write(head);
    });
  const filePart = (name: string, bytes: Buffer, complete: boolean) =>
    Buffer.concat([
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      bytes,
      Buffer.from(complete ? '\r\n' : ''),
    ]);
  const partialFiles = () => {
    const dir = join(t.config.storage.localDir, '.partial');
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  const fileRows = () => t.app.get(DatabaseConnection).query<{ state: string }>('SELECT state FROM stored_files');
  const records = async () => ((await (await alice.request('/collections/slow/records')).json()) as { items: unknown[] }).items;

  const expectTimedOut = (answer: { response: IncomingMessage; body: string; ms: number }) => {
    expect(answer.response.statusCode).toBe(408);
    expect(answer.response.headers['content-type']).toMatch(/^application\/problem\+json/);
    // Not kept open for a client that may never send the rest.
    expect(answer.response.headers.connection).toBe('close');
    const problem = JSON.parse(answer.body) as { type: string; detail: string };
    expect(problem.type).toBe('https://backlot.dev/problems/request-timeout');
    expect(problem.detail).toContain('FILES_UPLOAD_TIMEOUT_SECONDS');
    expect(answer.ms).toBeGreaterThanOrEqual(900);
    expect(answer.ms).toBeLessThan(15_000);
  };
  const expectNothingKept = async () => {
    await eventually('the stalled upload to leave nothing', async () => partialFiles().length === 0 && (await fileRows()).length === 0);
    expect(await records()).toEqual([]);
  };

  it('answers 408 to a client that stalls inside a file, and keeps none of its bytes', async () => {
    expectTimedOut(await stallAfter(filePart('stalled.bin', opaqueBytes(256 * 1024), false)));
    await expectNothingKept();
  });

  it('answers 408 to a client that stalls after a whole file, and removes the file it had sent', async () => {
    const head = Buffer.concat([
      filePart('first.bin', opaqueBytes(64 * 1024), true),
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhalf a ti`),
    ]);
    expectTimedOut(await stallAfter(head));
    await expectNothingKept();
  });

  it('answers 408 to a client that sends headers and no body at all', async () => {
    expectTimedOut(await stallAfter(Buffer.alloc(0)));
    await expectNothingKept();
  });

  it('takes uploads that finish in time as usual', async () => {
    const created = await sendForm(
      alice,
      'POST',
      '/collections/slow/records',
      form({ title: 'quick' }, { file: { name: 'quick.txt', bytes: 'fast enough' } }),
    );
    expect(created.status).toBe(201);
    expect(((await recordOf(created)).file as unknown[]).length).toBe(1);
    expect((await fileRows()).map((row) => row.state)).toEqual(['live']);
  });
});
