import { describe, expect, it } from '@jest/globals';
import { ProblemError, type StoredFile } from '@backlot/client';
import { type Field, fieldProblems, isoToLocal, jsonProblem, prepare, type StoredRecord, toDraft } from './record-form-values';

const file = (name: string): StoredFile => ({ name, original: `${name}.txt`, size: 1, type: 'text/plain', sha256: 'x', url: `/f/${name}` });
const FIELDS: Field[] = [
  { name: 'title', type: 'text', required: true },
  { name: 'amount', type: 'number' },
  { name: 'tags', type: 'select', multiple: true, values: ['a', 'b'] },
  { name: 'due', type: 'datetime' },
  { name: 'meta', type: 'json' },
  { name: 'photo', type: 'file' },
  { name: 'docs', type: 'file', multiple: true },
];
const RECORD = {
  id: 'r1',
  owner: null,
  version: 4,
  created: '2026-01-01T00:00:00.000Z',
  updated: '2026-01-01T00:00:00.000Z',
  title: 'Old',
  amount: 2,
  tags: ['a'],
  due: '2026-05-01T10:20:30.456Z',
  meta: { a: 1 },
  photo: file('p'),
  docs: [file('d1'), file('d2')],
} as StoredRecord;

describe('the record form values', () => {
  it('says at which line and column a JSON text is wrong, and nothing when it parses', () => {
    expect(jsonProblem('{"a": [1, 2]}')).toBeNull();
    expect(jsonProblem('{\n  "a": 1,\n}')).toMatch(/^Not valid JSON at line 3, column 1\b/);
  });

  it('leaves a new record’s empty fields out so their defaults apply', () => {
    const draft = { ...toDraft(FIELDS, null), title: 'New', meta: '[1]' };
    expect(prepare(FIELDS, draft, null)).toEqual({ data: { title: 'New', tags: [], meta: [1] }, files: {}, problems: {} });
  });

  it('sends only what an edit changed: an untouched datetime keeps its milliseconds, an emptied field is null', () => {
    const loaded = toDraft(FIELDS, RECORD);
    const draft = { ...loaded, amount: NaN, tags: ['a', 'b'] };
    expect(prepare(FIELDS, draft, RECORD, loaded).data).toEqual({ amount: null, tags: ['a', 'b'] });
    expect(isoToLocal(RECORD.due as string)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('keeps the stored files left, adds the picked ones after them, and clears a single file removed', () => {
    const loaded = toDraft(FIELDS, RECORD);
    const added = new File(['x'], 'new.txt');
    const draft = { ...loaded, photo: { kept: [], added: [] }, docs: { kept: [file('d2')], added: [added] } };
    const { data, files } = prepare(FIELDS, draft, RECORD, loaded);
    expect(data).toEqual({ photo: null, docs: ['d2'] });
    expect(files).toEqual({ 'docs+': [added] });
  });

  it('refuses to send JSON that does not parse, naming the field', () => {
    const loaded = toDraft(FIELDS, RECORD);
    expect(prepare(FIELDS, { ...loaded, meta: '{' }, RECORD, loaded).problems).toEqual({ meta: expect.stringMatching(/Not valid JSON/) });
  });

  it('puts a 422’s problems on the field their path starts with, and the rest aside', () => {
    const error = new ProblemError(
      422,
      {
        detail: 'Invalid',
        errors: [
          { path: 'tags.1', code: 'enum', message: 'must be one of a, b' },
          { path: 'docs+', code: 'tooManyFiles', message: 'too many files' },
          { path: 'nope', code: 'x', message: 'unknown field' },
        ],
      },
      null,
    );
    expect(fieldProblems(error, FIELDS)).toEqual({
      byField: { tags: 'must be one of a, b', docs: 'too many files' },
      other: ['nope: unknown field'],
    });
  });
});
