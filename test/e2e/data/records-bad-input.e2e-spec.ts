import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Problem {
  status: number;
  detail: string;
  position?: number;
  errors?: { path: string; code: string; message: string }[];
}

const RECORDS = '/collections/bad_input/records';
// Generated SQL (placeholders, the records alias, statements) and stack frames: none may reach a client.
const LEAKS = [/\$\d+::/, /\br\.(data|owner_id|created_at)\b/, /\bFROM records\b/i, /\bjsonb_/, /\n\s+at /, /\.[jt]s:\d+/, /node_modules/];

/** Asserts a problem+json answer with this status and nothing internal in it; returns the body. */
async function problem(response: Response, status: number): Promise<Problem> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  for (const leak of LEAKS) expect(text).not.toMatch(leak);
  const body = JSON.parse(text) as Problem;
  expect(body.status).toBe(status);
  return body;
}

function query(params: Record<string, string>): string {
  return `${RECORDS}?${new URLSearchParams(params).toString()}`;
}

describe('records: hostile and malformed input is refused with a problem, never a 500', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let emojiId: string;

  const total = async () => (await json<{ total: number }>(await admin.request(query({ count: 'true', limit: '1' })))).total;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '100000', BODY_LIMIT_BYTES: '65536' } });
    admin = await signedInUser(t, { role: 'admin' });
    alice = await signedInUser(t);
    const created = await admin.json('POST', '/collections', {
      name: 'bad_input',
      fields: [
        { name: 'title', type: 'text', required: true, maxLength: 50 },
        { name: 'code', type: 'text', pattern: '^[A-Z]{3}$' },
        { name: 'amount', type: 'number', min: 0, max: 100 },
        { name: 'count', type: 'integer' },
        { name: 'done', type: 'boolean' },
        { name: 'due', type: 'datetime', min: '2020-01-01T00:00:00Z' },
        { name: 'status', type: 'select', values: ['open', 'done'] },
        { name: 'tags', type: 'select', values: ['a', 'b', 'c'], multiple: true },
        { name: 'email', type: 'email' },
        { name: 'site', type: 'url' },
        { name: 'meta', type: 'json' },
        { name: 'secret', type: 'text', encrypted: true },
        { name: 'internal', type: 'text', hidden: true },
      ],
      rules: OWNER_ONLY_RULES,
      options: { maxRecordBytes: 1024 },
    });
    expect(created.status).toBe(201);
    for (const [title, due] of [
      ['alpha', null],
      ['beta', '2021-01-01T00:00:00Z'],
      ["O'Brien; DROP TABLE records; --", null],
    ]) {
      const record = { title, due, amount: 5, tags: ['a'], internal: 'x', secret: 's' };
      expect((await alice.json('POST', RECORDS, record)).status).toBe(201);
    }
    const emoji = await alice.json('POST', RECORDS, { title: '\u202eRTL 😀 e\u0301' });
    expect(emoji.status).toBe(201);
    emojiId = (await json<{ id: string }>(emoji)).id;
  });
  afterAll(() => t.close());

  describe('filters', () => {
    const injections = [
      "title = 'x' OR 1=1",
      "title = 'x'; DROP TABLE records; --",
      "'; DROP TABLE records; --",
      "title = 'x' -- comment",
      "title = 'a' /* */ && amount > 1",
      '/* */',
      ';',
      "title = 'x';",
      "title = 'x' UNION SELECT * FROM users",
      'title = $1',
      "title::text = 'x'",
      "title = 'unterminated",
      "title = 'bad escape \\x'",
      'title = `x`',
      "\u202etitle = 'x'",
      "title = 'x' 😀",
      'amount = 1e400',
      'amount > -1e400',
      `amount = ${'9'.repeat(400)}`,
      `${'('.repeat(100)}title = 'x'${')'.repeat(100)}`,
      `${'!('.repeat(100)}title = 'x'${')'.repeat(100)}`,
      `title in (${Array.from({ length: 101 }, (_, i) => `'v${i}'`).join(', ')})`,
      `${Array.from({ length: 201 }, () => "title = 'x'").join(' && ')}`,
      "nope = 'x'",
      "internal = 'x'",
      "secret = 's'",
      "amount = 'five'",
      'title = 5',
      'done > true',
      "due = 'yesterday'",
      "due > '2026-13-45'",
      "id = 'not-a-uuid'",
      'owner = 5',
      "tags > 'a'",
      'meta = 1',
      'created > 5',
      "created > '0000-01-01'",
      "updated < '-0001-01-01'",
      "amount ~ 'x'",
      'title in (title)',
      'title = null && amount < null',
      '@nobody = 1',
      ' ',
    ];

    it.each(injections.map((filter) => [filter.length > 60 ? `${filter.slice(0, 60)}…` : filter, filter]))(
      'refuses %j with a 400 naming the position',
      async (_, filter) => {
        const body = await problem(await alice.request(query({ filter })), 400);
        expect(body.errors?.[0]?.path).toBe('filter');
        expect(typeof body.position).toBe('number');
        expect(body.position).toBeGreaterThanOrEqual(0);
        expect(body.position).toBeLessThanOrEqual(filter.length);
      },
    );

    it('refuses a filter longer than the limit, and a NUL character, with a 400 on the filter parameter', async () => {
      for (const filter of [`title = '${'x'.repeat(5_000)}'`, "title = 'a\u0000b'"]) {
        const body = await problem(await alice.request(query({ filter })), 400);
        expect(body.errors?.[0]?.path).toMatch(/(^|\.)filter$/);
      }
    });

    it('lets admins filter on hidden fields but nobody on encrypted ones', async () => {
      expect((await admin.request(query({ filter: "internal = 'x'" }))).status).toBe(200);
      await problem(await admin.request(query({ filter: "secret = 's'" })), 400);
    });

    it('treats quotes, comments and unicode inside string literals as plain data', async () => {
      const match = async (filter: string) => {
        const response = await alice.request(query({ filter }));
        expect(response.status).toBe(200);
        return (await json<{ items: { title: string }[] }>(response)).items.map((item) => item.title);
      };
      expect(await match("title = 'O\\'Brien; DROP TABLE records; --'")).toEqual(["O'Brien; DROP TABLE records; --"]);
      expect(await match(`title = "O'Brien; DROP TABLE records; --"`)).toEqual(["O'Brien; DROP TABLE records; --"]);
      expect(await match("title ~ '; DROP'")).toEqual(["O'Brien; DROP TABLE records; --"]);
      expect(await match("title ~ '%'")).toEqual([]);
      expect(await match("title = '/* */' || title ~ '_'")).toEqual([]);
      expect(await match("title = '\u202eRTL 😀 e\u0301'")).toEqual(['\u202eRTL 😀 e\u0301']);
      expect(await match("title ~ '😀'")).toEqual(['\u202eRTL 😀 e\u0301']);
      expect(await match(`amount = ${'9'.repeat(300)}`)).toEqual([]);
      // A tautology is just a filter: the list rule still applies underneath it.
      expect(await match("title = '' || '1' = '1'")).toHaveLength(4);
      expect(await admin.request(query({ filter: "'1' = '1'", count: 'true' })).then(async (r) => (await json(r)).total)).toBe(4);
      expect(await match('amount < 1e308 && amount > -1e-300')).toHaveLength(3);
      expect(await match(`${'('.repeat(30)}title = 'alpha'${')'.repeat(30)}`)).toEqual(['alpha']);
      expect(await match(`title in (${Array.from({ length: 99 }, (_, i) => `'v${i}'`).join(', ')}, 'beta')`)).toEqual(['beta']);
    });

    it('compares a system timestamp with a datetime field', async () => {
      for (const [filter, count] of [
        ['created > due || updated = due', 1],
        ['!(due <= created)', 3],
        ["due > '2020-12-31' && due < @now && due != created", 1],
      ] as const) {
        const response = await alice.request(query({ filter }));
        expect(response.status).toBe(200);
        expect((await json<{ items: unknown[] }>(response)).items).toHaveLength(count);
      }
    });
  });

  describe('sort, cursor, limit, fields and expand', () => {
    it.each([
      ['six keys', 'title,amount,done,due,status,created'],
      ['an unknown field', 'nope'],
      ['a lone minus', '-'],
      ['an empty key', 'title,'],
      ['a repeated key', 'title,-title'],
      ['an encrypted field', 'secret'],
      ['a hidden field', 'internal'],
      ['a json field', 'meta'],
      ['a multi-value field', 'tags'],
      ['SQL', 'title; DROP TABLE records'],
      ['a quoted name', '"title"'],
    ])('refuses a sort with %s', async (_, sort) => {
      const body = await problem(await alice.request(query({ sort })), 400);
      expect(body.errors?.[0]?.path).toBe('sort');
    });

    it('refuses garbage cursors and cursors of another sort order', async () => {
      const page = await json<{ nextCursor: string }>(await alice.request(query({ sort: 'title', limit: '1' })));
      expect(page.nextCursor).toEqual(expect.any(String));
      expect((await alice.request(query({ sort: 'title', limit: '1', cursor: page.nextCursor }))).status).toBe(200);
      const forged = Buffer.from(JSON.stringify({ s: 'x', v: ["'; DROP TABLE records; --", null] })).toString('base64url');
      for (const [sort, cursor] of [
        ['-title', page.nextCursor],
        ['', page.nextCursor],
        ['title', 'garbage!'],
        ['title', 'e30'],
        ['title', Buffer.from('not json').toString('base64url')],
        ['title', forged],
        ['title', 'x'.repeat(5_000)],
      ]) {
        const body = await problem(await alice.request(query({ ...(sort && { sort }), cursor })), 400);
        expect(body.errors?.[0]?.path).toBe('cursor');
      }
    });

    it.each(['0', '201', '-1', 'abc', '1.5', ''])('refuses limit=%j', async (limit) => {
      await problem(await alice.request(query({ limit })), 400);
    });

    it('refuses unknown query parameters and a non-boolean count', async () => {
      await problem(await alice.request(query({ where: '1=1' })), 400);
      await problem(await alice.request(query({ count: 'yes' })), 400);
    });

    it.each([
      ['fields', 'nope'],
      ['fields', 'title;drop'],
      ['fields', 'Title'],
      ['fields', 'title,'],
      ['fields', 'internal'],
      ['expand', 'title'],
      ['expand', 'nope'],
      ['expand', '../users'],
      ['expand', Array.from({ length: 11 }, (_, i) => `f${i}`).join(',')],
    ])('refuses %s=%j', async (parameter, value) => {
      await problem(await alice.request(query({ [parameter]: value })), 400);
      await problem(await alice.request(`${RECORDS}/${emojiId}?${parameter}=${encodeURIComponent(value)}`), 400);
    });
  });

  describe('paths and headers', () => {
    it.each(['not-a-uuid', '1', "1' OR '1'='1", '00000000-0000-0000-0000-00000000000g'])('refuses record id %j', async (id) => {
      const path = `${RECORDS}/${encodeURIComponent(id)}`;
      await problem(await alice.request(path), 400);
      await problem(await alice.json('PATCH', path, { title: 'x' }), 400);
      await problem(await alice.json('PUT', path, { title: 'x' }), 400);
      await problem(await alice.request(path, { method: 'DELETE' }), 400);
      await problem(await alice.request(`${path}/history`), 400);
    });

    it('refuses an invalid collection name with 400 and an unknown one with 404', async () => {
      await problem(await alice.request('/collections/Bad-Name/records'), 400);
      await problem(await alice.request('/collections/no_such_collection/records'), 404);
    });

    it.each(['garbage', '3', '"abc"', '"1", "2"', 'W/"1"', '"99999999999"', '"-1"'])('refuses If-Match %j', async (ifMatch) => {
      const path = `${RECORDS}/${emojiId}`;
      const headers = { 'content-type': 'application/json', 'if-match': ifMatch };
      await problem(await alice.request(path, { method: 'PATCH', headers, body: JSON.stringify({ title: 'x' }) }), 400);
      await problem(await alice.request(path, { method: 'PUT', headers, body: JSON.stringify({ title: 'x' }) }), 400);
      await problem(await alice.request(path, { method: 'DELETE', headers: { 'if-match': ifMatch } }), 400);
      expect((await alice.request(path)).status).toBe(200);
    });

    it('refuses an Idempotency-Key that is not visible ASCII or too long', async () => {
      for (const key of ['has space', 'k'.repeat(256)]) {
        const response = await alice.request(RECORDS, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ title: 'keyed' }),
        });
        const body = await problem(response, 400);
        expect(body.errors?.[0]?.path).toBe('Idempotency-Key');
      }
    });
  });

  describe('record bodies', () => {
    const invalid: [string, Record<string, unknown>, string, string][] = [
      ['a wrong type', { title: 5 }, 'title', 'type'],
      ['an unknown field', { title: 'x', nope: 1 }, 'nope', 'unknownField'],
      ['a missing required field', { amount: 1 }, 'title', 'required'],
      ['a pattern mismatch', { title: 'x', code: 'abcd' }, 'code', 'pattern'],
      ['a select value not allowed', { title: 'x', status: 'maybe' }, 'status', 'enum'],
      ['a multi-select value not allowed', { title: 'x', tags: ['a', 'z'] }, 'tags.1', 'enum'],
      ['a number below min', { title: 'x', amount: -1 }, 'amount', 'minimum'],
      ['a number above max', { title: 'x', amount: 101 }, 'amount', 'maximum'],
      ['a fraction for an integer', { title: 'x', count: 1.5 }, 'count', 'type'],
      ['a text too long', { title: 'x'.repeat(51) }, 'title', 'maxLength'],
      ['a bad email', { title: 'x', email: 'not-an-email' }, 'email', 'format'],
      ['a bad url', { title: 'x', site: 'javascript:alert(1)' }, 'site', 'pattern'],
      ['a bad datetime', { title: 'x', due: '31/01/2026' }, 'due', 'format'],
      ['a datetime before min', { title: 'x', due: '2019-12-31T23:59:59Z' }, 'due', 'minimum'],
      ['a string for a boolean', { title: 'x', done: 'true' }, 'done', 'type'],
      ['a system field', { title: 'x', owner: '0190a6b4-0000-7000-8000-000000000001' }, 'owner', 'unknownField'],
    ];

    it.each(invalid)('refuses %s with 422 naming the field', async (_, body, path, code) => {
      const before = await total();
      const response = await problem(await alice.json('POST', RECORDS, body), 422);
      expect(response.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, code })]));
      expect(await total()).toBe(before);
    });

    it('reports every invalid field of a record at once', async () => {
      const body = await problem(await alice.json('POST', RECORDS, { title: 5, amount: 'x', status: 'maybe', nope: true }), 422);
      expect(body.errors?.map((e) => e.path).sort()).toEqual(['amount', 'nope', 'status', 'title']);
    });

    it('refuses an invalid change with 422 and leaves the record as it was', async () => {
      const path = `${RECORDS}/${emojiId}`;
      await problem(await alice.json('PATCH', path, { amount: 1000 }), 422);
      await problem(await alice.json('PUT', path, { amount: 1 }), 422);
      await problem(await alice.json('PATCH', path, { title: null }), 422);
      expect(await json(await alice.request(path))).toMatchObject({ title: '\u202eRTL 😀 e\u0301', version: 1 });
    });

    it('refuses a record above the collection’s size limit with 413', async () => {
      await problem(await alice.json('POST', RECORDS, { title: 'big', meta: { blob: 'x'.repeat(2_000) } }), 413);
      await problem(await alice.json('PATCH', `${RECORDS}/${emojiId}`, { meta: 'x'.repeat(2_000) }), 413);
    });

    it('refuses changes that would grow a record past the size limit with 413, whatever the size of the body', async () => {
      const grown = await alice.json('POST', RECORDS, { title: 'grow', meta: 'm'.repeat(400), internal: 'h'.repeat(400) });
      expect(grown.status).toBe(201);
      const path = `${RECORDS}/${(await json<{ id: string }>(grown)).id}`;
      // Each body is small; the record it would leave behind is not.
      await problem(await alice.json('PATCH', path, { secret: 's'.repeat(300) }), 413);
      await problem(await alice.json('PUT', path, { title: 'grow', meta: 'p'.repeat(600) }), 413);
      expect((await alice.json('PATCH', path, { meta: 'n'.repeat(500) })).status).toBe(200);
      expect((await alice.json('PUT', path, { title: 'grow', meta: 'p'.repeat(600), internal: '' })).status).toBe(200);
      expect(await json(await alice.request(path))).toMatchObject({ version: 3, meta: 'p'.repeat(600) });
      expect((await alice.request(path, { method: 'DELETE' })).status).toBe(204);
    });

    it('refuses a body above the HTTP body limit with 413', async () => {
      await problem(await alice.json('POST', RECORDS, { title: 'huge', meta: 'x'.repeat(70_000) }), 413);
    });

    it.each([
      ['an array', '[{"title":"x"}]'],
      ['a string', '"title"'],
      ['a number', '42'],
      ['null', 'null'],
    ])('refuses %s as a record with a 4xx', async (_, raw) => {
      const response = await alice.request(RECORDS, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      await problem(response, response.status);
    });

    it.each(['{"title": "x"', '{title: "x"}', "{'title': 'x'}", '{"title": "x"}}', '\u0000'])(
      'refuses malformed JSON %j with 400',
      async (raw) => {
        const response = await alice.request(RECORDS, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
        await problem(response, 400);
      },
    );

    it('refuses an empty JSON body and a NUL in a value with 400', async () => {
      await problem(await alice.request(RECORDS, { method: 'POST', headers: { 'content-type': 'application/json' } }), 400);
      await problem(await alice.json('POST', RECORDS, { title: 'a\u0000b' }), 400);
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('refuses content type %s with 415', async (type) => {
      const response = await alice.request(RECORDS, { method: 'POST', headers: { 'content-type': type }, body: 'title=x' });
      await problem(response, 415);
    });

    it('refuses a multipart body that is not multipart with 400 (record writes take multipart for files)', async () => {
      const response = await alice.request(RECORDS, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        body: 'title=x',
      });
      await problem(response, 400);
    });
  });

  it('leaves the data untouched by everything above', async () => {
    expect(await total()).toBe(4);
    const titles = (await json<{ items: { title: string }[] }>(await alice.request(RECORDS))).items.map((r) => r.title);
    expect(titles).toEqual(['alpha', 'beta', "O'Brien; DROP TABLE records; --", '\u202eRTL 😀 e\u0301']);
    expect((await admin.request('/collections/bad_input')).status).toBe(200);
  });
});
