import { Unprocessable } from '@backlot/http';
import { CollectionSchema, DEFAULT_OPTIONS, DEFAULT_RULES } from '../collections/collection-schema';
import type { FieldDefinition } from '../collections/field-definition';
import { csvEntries, type ImportEntry, ndjsonEntries } from './import-entries';
import { readLines } from './line-reader';

const FIELDS: FieldDefinition[] = [
  { name: 'title', type: 'text' },
  { name: 'count', type: 'integer' },
  { name: 'meta', type: 'json' },
];
const collection = new CollectionSchema({
  id: '0190a0c4-7c1e-7cc2-9d3b-4c8f2b1a9e11',
  name: 'things',
  description: '',
  fields: FIELDS,
  rules: DEFAULT_RULES,
  options: DEFAULT_OPTIONS,
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});

async function entries(format: 'ndjson' | 'csv', text: string): Promise<ImportEntry[]> {
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.from(text);
  }
  const lines = readLines(body(), { maxLineBytes: 10_000 });
  const out: ImportEntry[] = [];
  for await (const entry of format === 'csv' ? csvEntries(collection, lines, 10_000) : ndjsonEntries(lines)) out.push(entry);
  return out;
}

describe('ndjsonEntries', () => {
  it('parses one value per line, skips blank lines and sets aside the system fields an export adds (id and owner kept apart)', async () => {
    const read = await entries('ndjson', '{"id":"x","owner":null,"version":3,"created":"c","updated":"u","title":"a"}\n\n  \n[1]\n');
    expect(read).toEqual([
      { line: 1, value: { title: 'a' }, problems: [], system: { id: 'x', owner: null } },
      { line: 4, value: [1], problems: [], system: { id: undefined, owner: undefined } },
    ]);
  });

  it('reports a line that is not JSON as a problem of that line', async () => {
    const [entry] = await entries('ndjson', '{"title": oops}');
    expect(entry.line).toBe(1);
    expect(entry.problems).toEqual([expect.objectContaining({ path: '(record)', code: 'invalidJson' })]);
  });
});

describe('csvEntries', () => {
  it('maps cells to fields by the header, converting by type and leaving empty cells out; id and owner are set aside', async () => {
    const read = await entries('csv', 'id,title,count,meta\r\nkept,a,3,"{""k"":1}"\r\n,b,,\r\n');
    expect(read).toEqual([
      { line: 2, value: { title: 'a', count: 3, meta: { k: 1 } }, problems: [], system: { id: 'kept' } },
      { line: 3, value: { title: 'b' }, problems: [], system: { id: undefined } },
    ]);
  });

  it('reports rows with the wrong number of cells, malformed quoting or bad JSON, by line', async () => {
    const read = await entries('csv', 'title,meta\na\n"x"y,1\nb,{nope\n');
    expect(read.map((entry) => [entry.line, entry.problems.map((p) => `${p.path}:${p.code}`)])).toEqual([
      [2, ['(record):columnCount']],
      [3, ['(record):malformedCsv']],
      [4, ['meta:invalidJson']],
    ]);
  });

  it('refuses a header with unknown or repeated columns', async () => {
    const error = await entries('csv', 'title,colour,title\nx,y,z\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Unprocessable);
    expect((error as Unprocessable).errors.map((e) => `${e.path}:${e.code}`)).toEqual([
      'line 1.colour:unknownField',
      'line 1.title:duplicateColumn',
    ]);
  });

  it('yields nothing for a header alone', async () => {
    expect(await entries('csv', 'title,count\n')).toEqual([]);
  });
});
