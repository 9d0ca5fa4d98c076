import { connect } from 'node:net';
import { ProbeModule } from '@backlot/testing/probe.module';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

const PROBLEM = /^application\/problem\+json/;

describe('HTTP platform', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      imports: [ProbeModule],
      env: { BODY_LIMIT_BYTES: '2048', CORS_ORIGINS: 'https://app.example.com', METRICS_TOKEN: 'metrics-token-0123456789' },
    });
  });
  afterAll(() => t?.close());

  const post = (path: string, body: string, contentType = 'application/json') =>
    t.request(path, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answers liveness and readiness with the database up', async () => {
    const live = await t.request('/api/v1/health/live');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });

    const ready = await t.request('/api/v1/health/ready');
    expect(ready.status).toBe(200);
    const body = await json<{ status: string; checks: Record<string, { status: string }> }>(ready);
    expect(body.status).toBe('ok');
    expect(body.checks.database.status).toBe('up');
  });

  it('echoes a well-formed x-request-id and replaces a hostile one', async () => {
    const kept = await t.request('/api/v1/health/live', { headers: { 'x-request-id': 'lb-1234.abc' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-1234.abc');
    const replaced = await t.request('/api/v1/health/live', { headers: { 'x-request-id': 'x'.repeat(300) } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await t.request('/api/v1/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    const body = await json(res);
    expect(body).toMatchObject({ status: 404, title: 'Not Found', instance: '/api/v1/does-not-exist' });
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('lets the route explain an overlong path parameter (400 problem, not a bare 414)', async () => {
    const response = await t.request(`/api/v1/collections/${'x'.repeat(500)}/records`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('answers a request that is not HTTP with a 400 problem', async () => {
    const response = await rawRequest(t.baseUrl, 'GARBAGE\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('Content-Type: application/problem+json');
    expect(JSON.parse(response.split('\r\n\r\n')[1])).toMatchObject({
      status: 400,
      type: 'https://backlot.dev/problems/malformed-request',
    });
  });

  it('answers oversized headers with a 431 problem', async () => {
    const response = await rawRequest(t.baseUrl, `GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(response.split('\r\n\r\n')[1])).toMatchObject({
      status: 431,
      type: 'https://backlot.dev/problems/headers-too-large',
    });
  });

  it('rejects invalid JSON with a 400 problem', async () => {
    const res = await post('/api/v1/probe/echo', '{"name": "a", ');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect(await json(res)).toMatchObject({ status: 400, type: 'https://backlot.dev/problems/malformed-body' });
  });

  it('rejects prototype pollution attempts in JSON', async () => {
    const res = await post('/api/v1/probe/echo', '{"name":"a","count":1,"__proto__":{"admin":true}}');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
  });

  it('rejects an oversized body with a 413 problem', async () => {
    const res = await post('/api/v1/probe/echo', JSON.stringify({ name: 'a', count: 1, tags: ['x'.repeat(4096)] }));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect(await json(res)).toMatchObject({ status: 413, type: 'https://backlot.dev/problems/payload-too-large' });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('rejects %s bodies with a 415 problem', async (type) => {
    const res = await post('/api/v1/probe/echo', 'name=a&count=1', type);
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect(await json(res)).toMatchObject({ status: 415, type: 'https://backlot.dev/problems/unsupported-media-type' });
  });

  it('reports every validation failure with its field path', async () => {
    const res = await post('/api/v1/probe/echo', JSON.stringify({ name: '', count: 'many', address: { zip: 'abc' }, isAdmin: true }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    const body = await json<{ type: string; errors: { path: string; code: string }[] }>(res);
    expect(body.type).toBe('https://backlot.dev/problems/validation');
    const paths = body.errors.map((e) => `${e.path}:${e.code}`);
    expect(paths).toEqual(expect.arrayContaining(['name:isLength', 'count:isInt', 'address.zip:matches', 'isAdmin:unknownProperty']));
  });

  it('accepts a valid body and returns it', async () => {
    const res = await post('/api/v1/probe/echo', JSON.stringify({ name: 'ok', count: 3, address: { zip: '12345' } }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: 'ok', count: 3, address: { zip: '12345' } });
  });

  it('turns an unexpected error into a 500 with an errorId and nothing internal', async () => {
    const res = await t.request('/api/v1/probe/boom');
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    const text = await res.text();
    expect(text).not.toMatch(/password|SELECT|users|at .*\.ts/);
    expect(JSON.parse(text)).toMatchObject({ status: 500, errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('maps domain errors to their status', async () => {
    const res = await t.request('/api/v1/probe/conflict');
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ type: 'https://backlot.dev/problems/conflict', detail: 'That name is taken.' });
  });

  it('sends security headers', async () => {
    const res = await t.request('/api/v1/health/live');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const notFound = await t.request('/api/v1/nowhere');
    expect(notFound.headers.get('x-content-type-options')).toBe('nosniff');
    const docs = await t.request('/docs');
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('guards /metrics with the configured token and labels requests by route template', async () => {
    expect((await t.request('/metrics')).status).toBe(401);
    expect((await t.request('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    await t.request('/api/v1/probe/cached/abc');
    const res = await t.request('/metrics', { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toContain('route="/api/v1/probe/cached/:key"');
    expect(text).not.toContain('/api/v1/probe/cached/abc"');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('db_embedded');
  });

  it('rate-limits a route with its own limit and answers 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await t.request('/api/v1/probe/limited');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.headers.get('content-type')).toMatch(PROBLEM);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await json(last!)).toMatchObject({ status: 429, type: 'https://backlot.dev/problems/rate-limited' });
  });

  it('serves cached values until their namespace is invalidated', async () => {
    const first = await json<{ loads: number }>(await t.request('/api/v1/probe/cached/k1'));
    const again = await json<{ loads: number }>(await t.request('/api/v1/probe/cached/k1'));
    expect(again.loads).toBe(first.loads);
    await t.request('/api/v1/probe/cached/invalidate', { method: 'POST' });
    const after = await json<{ loads: number }>(await t.request('/api/v1/probe/cached/k1'));
    expect(after.loads).toBeGreaterThan(first.loads);
  });
});

/** Writes raw bytes (which fetch would refuse to send) and returns everything the server answers. */
function rawRequest(baseUrl: string, payload: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(payload));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', (error) => (received ? resolve(received) : reject(error)));
    socket.setTimeout(5_000, () => socket.destroy());
  });
}
