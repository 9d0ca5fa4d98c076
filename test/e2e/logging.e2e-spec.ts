import { connect } from 'node:net';
import { signedInUser } from '@backlot/testing/auth';
import { ProbeModule } from '@backlot/testing/probe.module';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

describe('logs', () => {
  const lines: string[] = [];
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      imports: [ProbeModule],
      env: { LOG_LEVEL: 'info' },
      logDestination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) },
    });
  });
  afterAll(() => t?.close());

  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('record an unexpected error with its errorId, request id and stack, which the client never sees', async () => {
    const res = await t.request('/api/v1/probe/boom', { headers: { 'x-request-id': 'trace-500' } });
    const { errorId } = await json<{ errorId: string }>(res);
    await settle();
    const logged = records().find((r) => r.errorId === errorId);
    expect(logged).toMatchObject({ level: 'error', reqId: 'trace-500', msg: 'unexpected error', error: { type: 'Error' } });
    expect(String((logged!.error as { stack: string }).stack)).toContain('probe.module');
  });

  it('write one access line per request with the route template and no secret query values', async () => {
    await t.request('/api/v1/probe/cached/abc?token=s3cr3t-value&page=2', { headers: { 'x-request-id': 'trace-access' } });
    await settle();
    const access = records().filter((r) => r.reqId === 'trace-access');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ msg: 'request completed', method: 'GET', route: '/api/v1/probe/cached/:key', statusCode: 200 });
    expect(access[0].url).toBe('/api/v1/probe/cached/abc?token=[redacted]&page=2');
  });

  it('never contain credentials sent in headers', async () => {
    await t.request('/api/v1/probe/boom', { headers: { authorization: 'Bearer very-secret-token', cookie: 'sid=very-secret-cookie' } });
    await settle();
    expect(lines.join('\n')).not.toMatch(/very-secret/);
  });

  it('log a client that hangs up mid-upload at info level, without an error line or a stack', async () => {
    const admin = await signedInUser(t, { role: 'admin' });
    const created = await admin.json('POST', '/collections', { name: 'uploads', fields: [{ name: 'title', type: 'text' }] });
    expect(created.status).toBe(201);
    const uploads = [
      { path: '/api/v1/auth/login', type: 'application/json', start: '{"email":"a' },
      { path: '/api/v1/collections/uploads/import', type: 'application/x-ndjson', start: '{"title":"a"}\n{"title":' },
    ];
    const before = lines.length;
    for (const upload of uploads) await hangUpMidBody(t, upload, admin.accessToken);
    await settle();
    const logged = records().slice(before);
    expect(logged.filter((r) => r.level === 'error' || r.level === 'fatal')).toEqual([]);
    expect(logged.filter((r) => r.msg === 'client closed the connection before the answer')).toHaveLength(uploads.length);
    expect(JSON.stringify(logged)).not.toMatch(/stack/);
  });
});

/** Sends the headers and the first bytes of a body much longer than that, then closes the connection. */
async function hangUpMidBody(t: TestApp, upload: { path: string; type: string; start: string }, token: string): Promise<void> {
  const { port } = new URL(t.baseUrl);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST ${upload.path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: ${upload.type}\r\nContent-Length: 100000\r\n\r\n${upload.start}`,
      );
      // Long enough for the route to start reading the body.
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 300);
    });
    socket.on('error', reject);
  });
}
