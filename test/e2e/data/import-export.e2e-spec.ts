import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import type { Principal } from '@backlot/security';
import { get } from 'node:http';
import { CollectionCatalog } from '../../../apps/api/src/data/collections/collection-catalog';
import { DatabaseConnection } from '@backlot/database';
import { ExportService } from '../../../apps/api/src/data/transfer/export.service';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; code: string; message: string }[];
  [member: string]: unknown;
}

interface ImportResult {
  imported: number;
  failed: number;
  errors: { line: number; errors: { path: string; code: string }[] }[];
}

type Row = Record<string, unknown>;

const NDJSON = 'application/x-ndjson';
const CSV = 'text/csv';
const IMPORT_MAX_BYTES = 1024 * 1024;
const SYSTEM = ['id', 'owner', 'version', 'created', 'updated'];
const NOTE_FIELDS = [
  { name: 'title', type: 'text', required: true },
  { name: 'body', type: 'text' },
  { name: 'count', type: 'integer' },
  { name: 'score', type: 'number' },
  { name: 'done', type: 'boolean' },
  { name: 'tags', type: 'select', values: ['a', 'b', 'c'], multiple: true },
  { name: 'meta', type: 'json' },
  { name: 'due', type: 'datetime' },
  { name: 'secret', type: 'text', encrypted: true },
  { name: 'internal', type: 'text', hidden: true },
];
const NOTES: Row[] = [
  {
    title: 'Commas, "quotes" and\nnew lines',
    body: 'line one\r\nline two, with a comma',
    count: 1,
    score: 1.5,
    done: true,
    tags: ['a', 'c'],
    meta: { nested: { list: [1, 'two', null] }, text: 'say "hi", then go' },
    due: '2025-03-01T10:00:00.000Z',
    secret: 'open sesame',
    internal: 'never exported',
  },
  { title: 'plain', count: 2, score: -0.25, done: false, tags: [], meta: 'just a string', secret: 'second' },
  { title: 'sparse', meta: [1, 2, 3] },
];

function ndjson(rows: unknown[]): string {
  return rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n') + '\n';
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

function fieldsOf(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !SYSTEM.includes(key)));
}

function byTitle(rows: Row[]): Row[] {
  return [...rows].sort((a, b) => String(a.title).localeCompare(String(b.title)));
}

async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return json<Problem>(response);
}

describe('import and export: streamed NDJSON and CSV under the collection’s rules', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', IMPORT_MAX_BYTES: String(IMPORT_MAX_BYTES) } });
    admin = await signedInUser(t, { role: 'admin' });
    alice = await signedInUser(t);
    bob = await signedInUser(t);
    for (const name of ['notes', 'notes_from_ndjson', 'notes_from_csv', 'inbox']) await define(name, NOTE_FIELDS, OWNER_ONLY_RULES);
    for (const note of NOTES) expect((await alice.json('POST', '/collections/notes/records', note)).status).toBe(201);
    expect((await bob.json('POST', '/collections/notes/records', { title: 'bob’s', count: 2 })).status).toBe(201);
  });
  afterAll(() => t.close());

  async function define(name: string, fields: Row[], rules: Record<string, string | null>, options?: Row): Promise<void> {
    const response = await admin.json('POST', '/collections', { name, fields, rules, ...(options && { options }) });
    expect(response.status).toBe(201);
  }

  function upload(who: UserSession | null, name: string, body: BodyInit, type: string, mode?: 'atomic' | 'skip'): Promise<Response> {
    const path = `/collections/${name}/import${mode ? `?mode=${mode}` : ''}`;
    const init = { method: 'POST', headers: { 'content-type': type }, body };
    return who ? who.request(path, init) : t.request(`/api/v1${path}`, init);
  }

  async function download(who: UserSession, name: string, query = '', headers: Record<string, string> = {}): Promise<string> {
    const response = await who.request(`/collections/${name}/export${query}`, { headers });
    expect(response.status).toBe(200);
    return response.text();
  }

  async function exported(who: UserSession, name: string, query = ''): Promise<Row[]> {
    return lines(await download(who, name, query)).map((line) => JSON.parse(line) as Row);
  }

  describe('export', () => {
    it('streams the caller’s records as NDJSON in id order: hidden fields left out, encrypted ones readable', async () => {
      const response = await alice.request('/collections/notes/export');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="notes.ndjson"');
      const rows = lines(await response.text()).map((line) => JSON.parse(line) as Row);
      expect(rows.map(fieldsOf)).toEqual(NOTES.map(({ internal: _hidden, ...visible }) => visible));
      expect(rows.every((row) => row.owner === alice.userId && !('internal' in row))).toBe(true);
      expect(rows.map((row) => row.id)).toEqual(rows.map((row) => row.id as string).sort());
    });

    it('never contains another owner’s records, and applies the filter', async () => {
      const bobs = await exported(bob, 'notes');
      expect(bobs.map((row) => row.title)).toEqual(['bob’s']);
      const filtered = await exported(alice, 'notes', `?filter=${encodeURIComponent('count = 2')}`);
      expect(filtered.map((row) => row.title)).toEqual(['plain']);
      // Admins bypass rules but still never see hidden fields in an export.
      const all = await exported(admin, 'notes');
      expect(all).toHaveLength(4);
      expect(all.some((row) => 'internal' in row)).toBe(false);
    });

    it('writes CSV with a header row, quoted cells and JSON for json and multi-valued fields', async () => {
      const response = await alice.request('/collections/notes/export?format=csv');
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="notes.csv"');
      const text = await response.text();
      const visible = NOTE_FIELDS.filter((field) => field.name !== 'internal').map((field) => field.name);
      expect(text.split('\r\n')[0]).toBe([...SYSTEM, ...visible].join(','));
      expect(text).toContain('"Commas, ""quotes"" and\nnew lines","line one\r\nline two, with a comma",1,1.5,true,"[""a"",""c""]"');
      expect(text).toContain(',open sesame');
      expect(text).not.toContain('never exported');
      expect(text.endsWith('\r\n')).toBe(true);
    });

    it('picks the format from Accept when no format is given', async () => {
      const csv = await download(alice, 'notes', '', { accept: 'application/json;q=0.9, text/csv' });
      expect(csv.startsWith('id,owner,')).toBe(true);
      const fallback = await download(alice, 'notes', '', { accept: 'application/json' });
      expect(JSON.parse(lines(fallback)[0])).toHaveProperty('id');
    });

    it('answers a bad filter or format with a 400 problem instead of a file', async () => {
      const filter = await problem(await alice.request(`/collections/notes/export?filter=${encodeURIComponent('nope = 1')}`), 400);
      expect(filter.errors?.[0].path).toBe('filter');
      await problem(await alice.request('/collections/notes/export?filter=internal%20%3D%20%27x%27'), 400);
      await problem(await alice.request('/collections/notes/export?format=xml'), 400);
      await problem(await alice.request('/collections/missing/export'), 404);
    });

    it('answers HEAD with the headers only', async () => {
      const response = await alice.request('/collections/notes/export?format=csv', { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="notes.csv"');
      expect(await response.text()).toBe('');
    });
  });

  describe('round trip', () => {
    it('imports an NDJSON export into another collection as the same data', async () => {
      const source = await download(alice, 'notes');
      const response = await upload(alice, 'notes_from_ndjson', source, NDJSON);
      expect(response.status).toBe(201);
      expect(await json(response)).toEqual({ imported: 3, replaced: 0, failed: 0, errors: [] });
      const copy = await exported(alice, 'notes_from_ndjson');
      expect(byTitle(copy.map(fieldsOf))).toEqual(byTitle((await exported(alice, 'notes')).map(fieldsOf)));
      expect(copy.every((row) => row.owner === alice.userId && row.version === 1)).toBe(true);
    });

    it('imports a CSV export into another collection as the same data', async () => {
      const source = await download(alice, 'notes', '?format=csv');
      const response = await upload(alice, 'notes_from_csv', source, 'text/csv; charset=utf-8');
      expect(response.status).toBe(201);
      expect((await json<ImportResult>(response)).imported).toBe(3);
      const copy = await exported(alice, 'notes_from_csv');
      expect(byTitle(copy.map(fieldsOf))).toEqual(byTitle((await exported(alice, 'notes')).map(fieldsOf)));
    });
  });

  describe('import', () => {
    async function inboxTitles(): Promise<string[]> {
      return (await exported(alice, 'inbox')).map((row) => row.title as string);
    }

    it('imports nothing when one line of an atomic import fails, naming the line and field', async () => {
      const body = ndjson([{ title: 'one' }, { title: 'two' }, '', { title: 'four', count: 'many' }, { title: 'five' }]);
      const refused = await problem(await upload(alice, 'inbox', body, NDJSON), 422);
      expect(refused.errors).toEqual([expect.objectContaining({ path: 'line 4.count', code: 'type' })]);
      expect(refused).toMatchObject({ failedLines: 1, errorCount: 1 });
      expect(await inboxTitles()).toEqual([]);
    });

    it('reports a line that is not JSON', async () => {
      const refused = await problem(await upload(alice, 'inbox', '{"title":"ok"}\n{"title": nope}\n', NDJSON), 422);
      expect(refused.errors).toEqual([expect.objectContaining({ path: 'line 2', code: 'invalidJson' })]);
      expect(await inboxTitles()).toEqual([]);
    });

    it('imports the valid lines in skip mode and reports the others by line', async () => {
      const body = ndjson([
        { title: 'kept 1' },
        '{broken',
        { title: 'kept 2', id: 'ignored', owner: bob.userId },
        { nope: 1 },
        [1],
        { title: 'kept 3' },
      ]);
      const response = await upload(alice, 'inbox', body, NDJSON, 'skip');
      expect(response.status).toBe(200);
      const result = await json<ImportResult>(response);
      expect(result).toMatchObject({ imported: 3, failed: 3 });
      expect(result.errors.map((failure) => [failure.line, failure.errors.map((e) => e.code)])).toEqual([
        [2, ['invalidJson']],
        [4, expect.arrayContaining(['unknownField'])],
        [5, ['type']],
      ]);
      const rows = await exported(alice, 'inbox');
      expect(rows.map((row) => row.title)).toEqual(['kept 1', 'kept 2', 'kept 3']);
      expect(rows.every((row) => row.owner === alice.userId)).toBe(true);
    });

    it('reads CSV quoting: commas, doubled quotes and line breaks inside cells, numbering records by their first line', async () => {
      const csv = [
        'title,body,count,done,tags,meta',
        '"a, b","say ""hi""",3,TRUE,"[""a""]","{""k"":[1,2]}"',
        '"multi',
        'line","x\r\ny",,false,,',
        'bad count,,three,,,',
        'too,few',
        'unquoted"quote,,,,,',
        '',
      ].join('\r\n');
      const response = await upload(alice, 'notes_from_csv', csv, CSV, 'skip');
      expect(response.status).toBe(200);
      const result = await json<ImportResult>(response);
      expect(result).toMatchObject({ imported: 2, failed: 3 });
      expect(result.errors.map((failure) => [failure.line, failure.errors[0].code])).toEqual([
        [6, 'type'],
        [7, 'columnCount'],
        [8, 'malformedCsv'],
      ]);
      const rows = (await exported(alice, 'notes_from_csv', `?filter=${encodeURIComponent("title = 'a, b' || title ~ 'multi'")}`)).map(
        fieldsOf,
      );
      expect(byTitle(rows)).toEqual([
        { title: 'a, b', body: 'say "hi"', count: 3, done: true, tags: ['a'], meta: { k: [1, 2] } },
        // The body's lines end in CRLF, so the break inside the quoted cell is one too: kept as sent.
        { title: 'multi\r\nline', body: 'x\r\ny', done: false },
      ]);
    });

    it('refuses a CSV header naming unknown columns', async () => {
      const refused = await problem(await upload(alice, 'inbox', 'title,colour\nx,red\n', CSV), 422);
      expect(refused.errors).toEqual([expect.objectContaining({ path: 'line 1.colour', code: 'unknownField' })]);
    });

    it('answers 415 to other content types, and keeps these types away from other routes', async () => {
      for (const type of ['text/plain', 'application/json', 'application/xml', 'text/csv; charset=latin1']) {
        const response = await upload(alice, 'inbox', type === 'application/json' ? '{"title":"x"}' : 'title\nx\n', type);
        const refused = await problem(response, 415);
        if (type !== 'text/plain' && type !== 'application/xml') expect(refused.detail).toContain('application/x-ndjson or text/csv');
      }
      const elsewhere = await alice.request('/collections/inbox/records', {
        method: 'POST',
        headers: { 'content-type': CSV },
        body: 'title\nx\n',
      });
      await problem(elsewhere, 415);
      expect(await inboxTitles()).not.toContain('x');
    });

    it('answers 413 to an upload beyond IMPORT_MAX_BYTES, declared or streamed, and to an overlong line', async () => {
      const big = ndjson(Array.from({ length: 20_000 }, (_, i) => ({ title: `record ${i}`.padEnd(50, '.') })));
      expect(Buffer.byteLength(big)).toBeGreaterThan(IMPORT_MAX_BYTES);
      const declared = await upload(alice, 'inbox', big, NDJSON, 'skip');
      // Refused on its Content-Length, unread: the connection closes rather than take the rest.
      expect(declared.headers.get('connection')).toBe('close');
      await problem(declared, 413);

      const chunks = new TextEncoder().encode(big);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < chunks.length; at += 64 * 1024) controller.enqueue(chunks.subarray(at, at + 64 * 1024));
          controller.close();
        },
      });
      const streamed = await alice.request('/collections/inbox/import', {
        method: 'POST',
        headers: { 'content-type': NDJSON },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await problem(streamed, 413);

      await define('tiny', [{ name: 'title', type: 'text', maxLength: 100_000 }], OWNER_ONLY_RULES, { maxRecordBytes: 256 });
      const long = ndjson([{ title: 'fine' }, { title: 'x'.repeat(600) }]);
      await problem(await upload(alice, 'tiny', long, NDJSON, 'skip'), 413);
      // Over the record limit but within twice it: that line fails, the rest go in.
      const over = await json<ImportResult>(
        await upload(alice, 'tiny', ndjson([{ title: 'x'.repeat(300) }, { title: 'ok' }]), NDJSON, 'skip'),
      );
      expect(over).toMatchObject({ imported: 1, failed: 1, errors: [{ line: 1, errors: [{ code: 'tooLarge' }] }] });
    });

    it('refuses anonymous callers when the create rule is admins-only (null)', async () => {
      await define('closed', [{ name: 'title', type: 'text' }], { ...OWNER_ONLY_RULES, create: null });
      await problem(await upload(null, 'closed', ndjson([{ title: 'x' }]), NDJSON), 403);
      await problem(await upload(alice, 'closed', ndjson([{ title: 'x' }]), NDJSON), 403);
      expect((await upload(admin, 'closed', ndjson([{ title: 'x' }]), NDJSON)).status).toBe(201);
    });

    it('reports records the create rule refuses, and unique values taken or repeated, by line', async () => {
      await define('codes', [{ name: 'code', type: 'text', unique: true }], { ...OWNER_ONLY_RULES, create: "@me != null && code != 'no'" });
      expect((await alice.json('POST', '/collections/codes/records', { code: 'taken' })).status).toBe(201);
      const body = ndjson([{ code: 'c1' }, { code: 'taken' }, { code: 'no' }, { code: 'c2' }, { code: 'c1' }]);
      const refused = await problem(await upload(alice, 'codes', body, NDJSON), 422);
      expect(refused.errors?.map((error) => [error.path, error.code])).toEqual([
        ['line 2.code', 'conflict'],
        ['line 3', 'forbidden'],
        ['line 5.code', 'conflict'],
      ]);
      expect((await exported(alice, 'codes')).map((row) => row.code)).toEqual(['taken']);

      const skipped = await json<ImportResult>(await upload(alice, 'codes', body, NDJSON, 'skip'));
      expect(skipped).toMatchObject({ imported: 2, failed: 3 });
      expect(skipped.errors.map((failure) => failure.line)).toEqual([2, 3, 5]);
      expect((await exported(alice, 'codes')).map((row) => row.code)).toEqual(['taken', 'c1', 'c2']);
    });

    it('checks relation and user references, also in one atomic transaction', async () => {
      await define('projects', [{ name: 'name', type: 'text' }], OWNER_ONLY_RULES);
      await define(
        'tasks',
        [
          { name: 'title', type: 'text' },
          { name: 'project', type: 'relation', collection: 'projects' },
          { name: 'assignee', type: 'user' },
        ],
        OWNER_ONLY_RULES,
      );
      const project = await json<Row>(await alice.json('POST', '/collections/projects/records', { name: 'p' }));
      const missing = '0190a0c4-7c1e-7cc2-9d3b-4c8f2b1a9e11';
      const good = ndjson([
        { title: 't1', project: project.id, assignee: bob.userId },
        { title: 't2', project: project.id },
      ]);
      expect(await json(await upload(alice, 'tasks', good, NDJSON))).toMatchObject({ imported: 2 });
      const bad = ndjson([
        { title: 't3', project: missing },
        { title: 't4', assignee: missing },
      ]);
      const refused = await problem(await upload(alice, 'tasks', bad, NDJSON), 422);
      expect(refused.errors?.map((error) => [error.path, error.code])).toEqual([
        ['line 1.project', 'unknownRecord'],
        ['line 2.assignee', 'unknownUser'],
      ]);
    });
  });

  describe('at scale', () => {
    const COUNT = 5_000;

    beforeAll(async () => {
      await define(
        'bulk',
        [
          { name: 'n', type: 'integer' },
          { name: 'label', type: 'text' },
        ],
        OWNER_ONLY_RULES,
      );
      const body = ndjson(Array.from({ length: COUNT }, (_, n) => ({ n, label: `label, number "${n}"` })));
      // More than one atomic import may hold on the embedded database (IMPORT_ATOMIC_MAX_RECORDS).
      const response = await upload(alice, 'bulk', body, NDJSON, 'skip');
      expect(response.status).toBe(200);
      expect((await json<ImportResult>(response)).imported).toBe(COUNT);
    });

    it('streams a 5,000-record export completely, in NDJSON and CSV', async () => {
      const rows = (await exported(alice, 'bulk')).map((row) => row.n);
      expect(rows).toHaveLength(COUNT);
      expect(new Set(rows).size).toBe(COUNT);
      const csv = (await download(alice, 'bulk', '?format=csv')).split('\r\n').filter((line) => line !== '');
      expect(csv).toHaveLength(COUNT + 1);
      expect(await exported(bob, 'bulk')).toEqual([]);
    });

    it('stops reading the database when the reader goes away', async () => {
      const collection = await t.app.get(CollectionCatalog).get('bulk');
      const principal: Principal = { kind: 'session', userId: alice.userId, role: 'user', sessionId: 'export-test' };
      // Each batch is one step of the repository's generator: count the database reads through the connection.
      const select = jest.spyOn(t.app.get(DatabaseConnection), 'query');
      try {
        const stream = await t.app.get(ExportService).open(collection, principal, 'ndjson');
        for await (const piece of stream) {
          expect(String(piece)).toContain('"label"');
          break; // leaving the loop destroys the stream, as a client disconnecting does
        }
        await new Promise((resolve) => setImmediate(resolve));
        // 5,000 records take 40 batches; one piece of output needs only the first few.
        expect(select.mock.calls.length).toBeLessThan(10);
      } finally {
        select.mockRestore();
      }
    });

    it('keeps serving after a client abandons a download', async () => {
      const url = new URL(`${t.baseUrl}/api/v1/collections/bulk/export`);
      await new Promise<void>((resolve, reject) => {
        const request = get(url, { headers: { authorization: `Bearer ${alice.accessToken}` }, agent: false }, (response) => {
          expect(response.statusCode).toBe(200);
          response.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
      });
      expect(await exported(alice, 'bulk', `?filter=${encodeURIComponent('n < 3')}`)).toHaveLength(3);
    });
  });
});
