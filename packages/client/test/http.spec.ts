import { createClient, ProblemError } from '../src/index';

type Answer = Response | Error;

/** A fetch that gives the answers listed, in turn, and records what it was sent. */
function scripted(...answers: Answer[]) {
  const sent: { method: string; url: string; headers: Headers }[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    sent.push({ method: init.method ?? 'GET', url: String(input), headers: new Headers(init.headers) });
    const next = answers.shift() ?? new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

const ok = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const problem = (status: number, body: object, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ status, ...body }), { status, headers: { 'content-type': 'application/problem+json', ...headers } });

describe('calls: retries only where they are safe, errors as ProblemError', () => {
  it('retries a read after a network error and a 503 (waiting Retry-After), then answers', async () => {
    const server = scripted(
      new TypeError('fetch failed'),
      problem(503, { detail: 'busy' }, { 'retry-after': '0.01' }),
      ok({ items: [], nextCursor: null }),
    );
    const client = createClient({ url: 'http://api.test/', fetch: server.fetch });
    expect(await client.collection('todos').list()).toEqual({ items: [], nextCursor: null });
    expect(server.sent.map((s) => s.url)).toEqual(Array(3).fill('http://api.test/api/v1/collections/todos/records'));
  });

  it('retries a create under the same Idempotency-Key, so the server makes one record', async () => {
    const server = scripted(problem(502, { detail: 'bad gateway' }), ok({ id: 'r1' }, 201));
    const created = await createClient({ url: 'http://api.test', fetch: server.fetch }).collection('todos').create({ title: 'x' });
    expect(created).toEqual({ id: 'r1' });
    const [first, second] = server.sent.map((s) => s.headers.get('idempotency-key'));
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).toBe(first);
  });

  it('does not retry a change without If-Match (it could apply twice)', async () => {
    const server = scripted(problem(503, { detail: 'busy' }));
    const failed = await createClient({ url: 'http://api.test', fetch: server.fetch })
      .collection('todos')
      .update('r1', { done: true })
      .catch((error: unknown) => error);
    expect((failed as ProblemError).status).toBe(503);
    expect(server.sent).toHaveLength(1);
  });

  it('sends If-Match from a record’s version, and the problem of a refused write is typed', async () => {
    const server = scripted(
      problem(
        422,
        {
          type: 'https://backlot.dev/problems/validation',
          detail: 'Invalid fields',
          errors: [{ path: 'title', code: 'type', message: 'must be a string' }],
        },
        { 'x-request-id': 'req-1' },
      ),
    );
    const todos = createClient({ url: 'http://api.test', fetch: server.fetch }).collection<{ title: string }>('todos');
    const record = { id: 'r1', owner: null, version: 4, created: '', updated: '', title: 'a' };
    const failed = (await todos.update(record, { title: 'b' }).catch((error: unknown) => error)) as ProblemError;
    expect(server.sent[0].headers.get('if-match')).toBe('"4"');
    expect(failed).toBeInstanceOf(ProblemError);
    expect([failed.status, failed.detail, failed.requestId, failed.field('title')?.code]).toEqual([422, 'Invalid fields', 'req-1', 'type']);
  });

  it('stops waiting between retries when the call is aborted', async () => {
    const server = scripted(problem(503, { detail: 'busy' }, { 'retry-after': '5' }));
    const abort = new AbortController();
    const listing = createClient({ url: 'http://api.test', fetch: server.fetch }).collection('todos').list({ signal: abort.signal });
    setTimeout(() => abort.abort(new Error('user left the page')), 20);
    await expect(listing).rejects.toThrow('user left the page');
    expect(server.sent).toHaveLength(1);
  });
});
