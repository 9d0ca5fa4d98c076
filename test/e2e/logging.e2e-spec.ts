import { ProbeModule } from '../helpers/probe.module';
import { json, startTestApp, type TestApp } from '../helpers/test-app';

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
});
