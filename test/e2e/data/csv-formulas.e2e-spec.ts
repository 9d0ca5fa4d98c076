import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import type { UserSession } from '@backlot/testing/auth';
import { parseCsv } from '@backlot/testing/csv';
import { json, type TestApp } from '@backlot/testing/test-app';

type Row = Record<string, unknown>;

const FIELDS = [
  { name: 'note', type: 'text' },
  { name: 'amount', type: 'number' },
  { name: 'count', type: 'integer' },
  { name: 'meta', type: 'json' },
  { name: 'kind', type: 'select', values: ['=1+2', 'plain'] },
];
const SHEET: Row[] = [
  { note: '=HYPERLINK("http://x")', amount: -5, count: -1, meta: -5, kind: '=1+2' },
  { note: '-1+1', amount: -0.25, meta: { cmd: '=cmd' }, kind: 'plain' },
  { note: '@SUM(1)', count: 3 },
  { note: '+1', meta: '=text in json' },
  { note: '\tstarts with a tab' },
  { note: "'=already guarded by hand" },
  { note: "it's plain" },
];
const FORMULA_START = /^[=+\-@\t\r]/;

describe('CSV exports defuse formulas for spreadsheets, and imports take the guard off again', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;

  beforeAll(async () => {
    ({ t, admin, alice } = await startDataTestApp());
    for (const name of ['sheet', 'sheet_copy'])
      expect((await admin.json('POST', '/collections', { name, fields: FIELDS, rules: OWNER_ONLY_RULES })).status).toBe(201);
    for (const row of SHEET) expect((await alice.json('POST', '/collections/sheet/records', row)).status).toBe(201);
  });
  afterAll(() => t.close());

  async function csv(path: string): Promise<string[][]> {
    const response = await alice.request(path, { headers: { accept: 'text/csv' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    return parseCsv(await response.text());
  }

  async function exported(name: string): Promise<Row[]> {
    const text = await (await alice.request(`/collections/${name}/export?format=ndjson`)).text();
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Row)
      .map(({ id: _id, owner: _owner, version: _version, created: _created, updated: _updated, ...fields }) => fields);
  }

  it('writes text a spreadsheet would run behind an apostrophe, and numbers as numbers', async () => {
    const [header, ...rows] = await csv('/collections/sheet/export?format=csv');
    const column = (name: string) => rows.map((row) => row[header.indexOf(name)]);
    expect(column('note')).toEqual([
      `'=HYPERLINK("http://x")`,
      "'-1+1",
      "'@SUM(1)",
      "'+1",
      "'\tstarts with a tab",
      "''=already guarded by hand",
      "it's plain",
    ]);
    expect(column('amount')).toEqual(['-5', '-0.25', '', '', '', '', '']);
    expect(column('count')).toEqual(['-1', '', '3', '', '', '', '']);
    expect(column('meta')).toEqual(['-5', '{"cmd":"=cmd"}', '', '"=text in json"', '', '', '']);
    expect(column('kind')).toEqual(["'=1+2", 'plain', '', '', '', '', '']);
    const numeric = new Set(['amount', 'count', 'meta'].map((name) => header.indexOf(name)));
    const live = rows.flatMap((row) => row.filter((cell, index) => !numeric.has(index) && FORMULA_START.test(cell)));
    expect(live).toEqual([]);
  });

  it('imports its own CSV export back to the very same values', async () => {
    const body = await (await alice.request('/collections/sheet/export?format=csv')).text();
    const response = await alice.request('/collections/sheet_copy/import', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body,
    });
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({ imported: SHEET.length, failed: 0 });
    expect(await exported('sheet_copy')).toEqual(await exported('sheet'));
    expect(await exported('sheet')).toEqual(SHEET);
  });

  it('defuses the keys of a report as CSV, and leaves its numbers alone', async () => {
    const [header, ...rows] = await csv('/collections/sheet/aggregate?groupBy=kind&metrics=count,sum(amount)');
    expect(header).toEqual(['kind', 'count', 'sum(amount)']);
    expect(rows).toEqual(
      expect.arrayContaining([
        ["'=1+2", '1', '-5'],
        ['plain', '1', '-0.25'],
      ]),
    );
  });

  it('keeps NDJSON exports exact: JSON is not read by spreadsheets', async () => {
    const rows = await exported('sheet');
    expect(rows.map((row) => row.note)).toContain('=HYPERLINK("http://x")');
  });
});
