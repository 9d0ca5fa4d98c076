import { checkFieldDefinitions, type FieldDefinition, searchableFields, toFilterField } from './field-definition';

const codes = (fields: FieldDefinition[]) => checkFieldDefinitions(fields).map((p) => `${p.path}:${p.code}`);

describe('checkFieldDefinitions', () => {
  it('accepts a typical collection', () => {
    expect(
      codes([
        { name: 'title', type: 'text', required: true, maxLength: 200, searchable: true, indexed: true },
        { name: 'amount', type: 'number', min: 0, max: 1e6 },
        { name: 'status', type: 'select', values: ['open', 'closed'], default: 'open' },
        { name: 'tags', type: 'select', values: ['a', 'b'], multiple: true },
        { name: 'due', type: 'datetime', min: '2020-01-01' },
        { name: 'project', type: 'relation', collection: 'projects', onDelete: 'cascade' },
        { name: 'note', type: 'text', encrypted: true, hidden: true },
      ]),
    ).toEqual([]);
  });

  it('refuses bad, reserved and duplicate names', () => {
    expect(
      codes([
        { name: 'Title', type: 'text' },
        { name: 'owner', type: 'text' },
        { name: 'a', type: 'text' },
        { name: 'a', type: 'number' },
        { name: "x'--", type: 'text' },
      ]),
    ).toEqual(['fields.0.name:invalidName', 'fields.1.name:reservedName', 'fields.3.name:duplicateName', 'fields.4.name:invalidName']);
  });

  it('refuses options that do not apply to the type', () => {
    expect(
      codes([
        { name: 'n', type: 'number', pattern: 'x', minLength: 1 },
        { name: 't', type: 'text', values: ['a'], min: 1 },
      ]),
    ).toEqual([
      'fields.0.minLength:notApplicable',
      'fields.0.pattern:notApplicable',
      'fields.1.min:notApplicable',
      'fields.1.values:notApplicable',
    ]);
  });

  it('refuses encrypted fields that would need their plaintext in the database', () => {
    expect(
      codes([
        { name: 's', type: 'text', encrypted: true, unique: true, searchable: true },
        { name: 'n', type: 'number', encrypted: true },
      ]),
    ).toEqual(['fields.0.unique:conflict', 'fields.0.searchable:conflict', 'fields.1.encrypted:notApplicable']);
  });

  it('refuses a hidden field that is searchable: the search vector would reveal its values', () => {
    const problems = checkFieldDefinitions([
      { name: 'title', type: 'text', searchable: true },
      { name: 'ssn', type: 'text', hidden: true, searchable: true },
      { name: 'note', type: 'text', hidden: true, searchable: false },
    ]);
    expect(problems).toEqual([{ path: 'fields.1.searchable', code: 'conflict', message: expect.stringContaining('ssn is hidden') }]);
  });

  it('leaves hidden fields out of full-text search even when a stored definition marks them searchable', () => {
    const fields: FieldDefinition[] = [
      { name: 'title', type: 'text', searchable: true },
      { name: 'ssn', type: 'text', hidden: true, searchable: true },
    ];
    expect(searchableFields(fields).map((field) => field.name)).toEqual(['title']);
  });

  it('checks select values, relation targets, bounds and patterns', () => {
    expect(
      codes([
        { name: 's', type: 'select', values: ['a', 'a'] },
        { name: 'r', type: 'relation' },
        { name: 'n', type: 'integer', min: 5, max: 1 },
        { name: 't', type: 'text', pattern: '(' },
        { name: 'u', type: 'text', minLength: 5, maxLength: 2 },
        { name: 'd', type: 'datetime', max: 'tomorrow' },
        { name: 'j', type: 'json', indexed: true },
      ]),
    ).toEqual([
      'fields.0.values:required',
      'fields.1.collection:required',
      'fields.2.min:outOfRange',
      'fields.3.pattern:invalid',
      'fields.4.minLength:outOfRange',
      'fields.5.max:invalid',
      'fields.6.indexed:notApplicable',
    ]);
  });

  it('maps fields to the filter compiler’s types', () => {
    expect(toFilterField({ name: 'a', type: 'integer' }).type).toBe('number');
    expect(toFilterField({ name: 'a', type: 'select', values: ['x'], multiple: true }).type).toBe('multi');
    expect(toFilterField({ name: 'a', type: 'email' }).type).toBe('text');
    expect(toFilterField({ name: 'a', type: 'datetime' }).type).toBe('datetime');
    expect(toFilterField({ name: 'a', type: 'text', hidden: true, encrypted: true })).toEqual({
      name: 'a',
      type: 'text',
      hidden: true,
      encrypted: true,
    });
  });
});

describe('file fields', () => {
  const check = (field: Record<string, unknown>) =>
    checkFieldDefinitions([{ name: 'f', type: 'file', ...field } as FieldDefinition]).map((p) => [p.path, p.code]);

  it('takes multiple, maxFiles, maxSize, mimeTypes, thumbs and protected', () => {
    expect(
      check({
        multiple: true,
        maxFiles: 5,
        maxSize: 1_000_000,
        mimeTypes: ['image/*', 'application/pdf'],
        thumbs: ['100x100', '480x0'],
        protected: true,
      }),
    ).toEqual([]);
  });

  it('refuses options that do not fit, naming each', () => {
    expect(check({ maxFiles: 3 })).toEqual([['fields.0.maxFiles', 'notApplicable']]);
    expect(check({ multiple: true, maxFiles: 0 })).toEqual([['fields.0.maxFiles', 'outOfRange']]);
    expect(check({ maxSize: -1 })).toEqual([['fields.0.maxSize', 'outOfRange']]);
    expect(check({ mimeTypes: ['image'] })).toEqual([['fields.0.mimeTypes', 'invalid']]);
    expect(check({ thumbs: ['0x0'] })).toEqual([['fields.0.thumbs', 'invalid']]);
    expect(check({ thumbs: ['9999x10'] })).toEqual([['fields.0.thumbs', 'invalid']]);
    expect(check({ unique: true })).toEqual([['fields.0.unique', 'notApplicable']]);
  });

  it('keeps file options to file fields', () => {
    expect(checkFieldDefinitions([{ name: 't', type: 'text', thumbs: ['1x1'] } as FieldDefinition]).map((p) => p.path)).toEqual([
      'fields.0.thumbs',
    ]);
  });
});
