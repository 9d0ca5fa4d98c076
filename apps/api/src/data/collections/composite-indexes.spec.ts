import { checkCompositeIndexes, compositeIndexDdl, compositeIndexName, planIndexChange, renameIndexKeys } from './composite-indexes';
import type { FieldDefinition } from './field-definition';
import { fieldIndexName } from './field-indexes';

const ID = '0190c6a4-7b2e-7c3d-8e4f-123456789abc';
const FIELDS: FieldDefinition[] = [
  { name: 'status', type: 'text' },
  { name: 'amount', type: 'number' },
  { name: 'tags', type: 'select', values: ['a'], multiple: true },
];

describe('declared indexes', () => {
  it('index the expressions lists send, on live records of the collection, ending with the id in the last key’s direction', () => {
    const [create] = compositeIndexDdl(ID, { fields: ['status', '-created'] }, FIELDS).create;
    expect(create).toBe(
      `CREATE INDEX IF NOT EXISTS ${compositeIndexName(ID, { fields: ['status', '-created'] })} ON records ((data->>'status'), created_at DESC, id DESC) ` +
        `WHERE collection_id = '${ID}'::uuid AND deleted_at IS NULL`,
    );
    expect(compositeIndexDdl(ID, { fields: ['amount', 'owner'] }, FIELDS).create[0]).toContain(
      "(((data->>'amount')::numeric), owner_id, id)",
    );
    // A unique index compares exactly its keys (the id would make every row unique).
    expect(compositeIndexDdl(ID, { fields: ['owner', 'status'], unique: true }, FIELDS).create[0]).toMatch(
      /^CREATE UNIQUE INDEX IF NOT EXISTS rec_[0-9a-f]{32} ON records \(owner_id, \(data->>'status'\)\) WHERE/,
    );
    expect(compositeIndexDdl(ID, { fields: ['status'] }, FIELDS, { concurrently: true }).create[0]).toMatch(/^CREATE INDEX CONCURRENTLY /);
  });

  it('have names of their own: derived from the collection and the keys, never equal to a field index’s', () => {
    const name = compositeIndexName(ID, { fields: ['status'] });
    expect(name).toMatch(/^rec_[0-9a-f]{32}$/);
    expect(name).not.toBe(fieldIndexName(ID, 'status'));
    expect(compositeIndexName(ID, { fields: ['status'], unique: true })).not.toBe(name);
    expect(compositeIndexName(ID, { fields: ['-status'] })).not.toBe(name);
    expect(() => compositeIndexDdl("x'; DROP TABLE records; --", { fields: ['status'] }, FIELDS)).toThrow('Invalid collection id');
  });

  it('refuse keys that are not indexable fields, repeats and too many keys, naming each', () => {
    expect(checkCompositeIndexes([{ fields: ['status', '-created'] }, { fields: ['id'] }], FIELDS)).toEqual([]);
    const problems = checkCompositeIndexes(
      [
        { fields: ['nope', 'tags', 'status', 'status'] },
        { fields: ['Status'] },
        { fields: [] },
        { fields: ['a', 'b', 'c', 'd', 'e'] },
        { fields: ['amount'] },
        { fields: ['amount'] },
      ],
      FIELDS,
    );
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['options.indexes.0.fields.0', 'unknownField'],
      ['options.indexes.0.fields.1', 'notApplicable'],
      ['options.indexes.0.fields.3', 'duplicate'],
      ['options.indexes.1.fields.0', 'invalid'],
      ['options.indexes.2.fields', 'outOfRange'],
      ['options.indexes.3.fields', 'outOfRange'],
      ['options.indexes.5', 'duplicate'],
    ]);
  });

  it('follow renamed fields, and a change rebuilds exactly the indexes whose statement changed', () => {
    expect(renameIndexKeys([{ fields: ['-status', 'amount'] }], [{ from: 'status', to: 'state' }])).toEqual([
      { fields: ['-state', 'amount'] },
    ]);
    const renamed = FIELDS.map((f) => (f.name === 'status' ? { ...f, name: 'state' } : f));
    const before = { fields: FIELDS, indexes: [{ fields: ['status'] }, { fields: ['amount'] }] };
    const after = { fields: renamed, indexes: [{ fields: ['state'] }, { fields: ['amount'] }] };
    expect(planIndexChange(ID, before, after)).toEqual({
      drop: [compositeIndexName(ID, { fields: ['status'] })],
      create: [{ fields: ['state'] }],
    });
    // A retyped field changes the key's expression: the index is built again under the same name.
    const retyped = FIELDS.map((f) => (f.name === 'amount' ? { ...f, type: 'text' as const } : f));
    const change = planIndexChange(ID, before, { fields: retyped, indexes: before.indexes });
    expect(change).toEqual({ drop: [compositeIndexName(ID, { fields: ['amount'] })], create: [{ fields: ['amount'] }] });
  });
});
