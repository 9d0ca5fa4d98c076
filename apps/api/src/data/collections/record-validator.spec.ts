import type { FieldDefinition } from './field-definition';
import { recordJsonSchema, RecordValidator } from './record-validator';

const FIELDS: FieldDefinition[] = [
  { name: 'title', type: 'text', required: true, maxLength: 10, pattern: '^[A-Z]' },
  { name: 'amount', type: 'integer', min: 0, max: 100 },
  { name: 'price', type: 'number' },
  { name: 'done', type: 'boolean' },
  { name: 'due', type: 'datetime', min: '2026-01-01T00:00:00Z' },
  { name: 'email', type: 'email' },
  { name: 'site', type: 'url' },
  { name: 'status', type: 'select', values: ['open', 'closed'], required: true, default: 'open' },
  { name: 'tags', type: 'select', values: ['a', 'b'], multiple: true },
  { name: 'project', type: 'relation', collection: 'projects' },
  { name: 'meta', type: 'json' },
];
const validator = new RecordValidator(FIELDS);
const errorsOf = (data: unknown, mode: 'create' | 'replace' | 'patch' = 'create') =>
  validator.validate(data, mode).errors.map((e) => `${e.path}:${e.code}`);

describe('RecordValidator', () => {
  it('accepts valid data, applies defaults on create and normalizes datetimes to UTC', () => {
    const { value, errors } = validator.validate(
      { title: 'Hello', due: '2026-05-01T12:00:00+02:00', tags: ['a'], meta: { any: [1] } },
      'create',
    );
    expect(errors).toEqual([]);
    expect(value).toMatchObject({ status: 'open', due: '2026-05-01T10:00:00.000Z' });
  });

  it('reports every failing field with its path and code', () => {
    expect(
      errorsOf({
        title: 'lower case that is too long',
        amount: 1.5,
        price: '3',
        done: 'yes',
        email: 'nope',
        site: 'javascript:alert(1)',
        status: 'other',
        tags: ['a', 'a'],
        project: 'not-a-uuid',
        extra: 1,
      }).sort(),
    ).toEqual(
      [
        'amount:type',
        'done:type',
        'email:format',
        'extra:unknownField',
        'price:type',
        'project:format',
        'site:pattern',
        'status:enum',
        'tags:uniqueItems',
        'title:maxLength',
        'title:pattern',
      ].sort(),
    );
  });

  it('requires required fields without a default on create and replace, not on patch', () => {
    expect(errorsOf({}, 'create')).toEqual(['title:required']);
    expect(errorsOf({}, 'replace')).toEqual(['title:required']);
    expect(validator.validate({ title: 'A' }, 'replace').value).toMatchObject({ status: 'open' });
    expect(errorsOf({ amount: 3 }, 'patch')).toEqual([]);
  });

  it('lets optional fields be cleared with null but not required ones', () => {
    expect(errorsOf({ title: 'A', amount: null, tags: null, status: null })).toEqual(['status:enum']);
  });

  it('checks bounds: numbers, datetimes', () => {
    expect(errorsOf({ title: 'A', amount: 101 })).toEqual(['amount:maximum']);
    expect(errorsOf({ title: 'A', due: '2025-12-31T23:59:59Z' })).toEqual(['due:minimum']);
    expect(errorsOf({ title: 'A', due: 'tomorrow' })).toEqual(['due:format']);
  });

  it('refuses a record that is not an object', () => {
    expect(errorsOf([1, 2])).toEqual(['(record):type']);
    expect(errorsOf('x')).toEqual(['(record):type']);
  });

  it('does not modify the caller’s object', () => {
    const input = { title: 'Hello' };
    validator.validate(input, 'create');
    expect(input).toEqual({ title: 'Hello' });
  });

  it('publishes the same JSON Schema it validates with', () => {
    expect(recordJsonSchema(FIELDS, 'patch')).toMatchObject({ type: 'object', additionalProperties: false });
    expect(recordJsonSchema(FIELDS, 'create')).toMatchObject({ required: ['title'], properties: { status: { default: 'open' } } });
  });
});
