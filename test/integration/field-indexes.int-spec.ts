import { v7 as uuidv7 } from 'uuid';
import type { FieldDefinition } from '../../apps/api/src/data/collections/field-definition';
import { fieldIndexDdl, fieldIndexName } from '../../apps/api/src/data/collections/field-indexes';
import { compileFilter, SqlParams } from '../../apps/api/src/data/query/filter-compiler';
import { toFilterField } from '../../apps/api/src/data/collections/field-definition';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';

const FIELDS: FieldDefinition[] = [
  { name: 'sku', type: 'text', unique: true },
  { name: 'amount', type: 'number', indexed: true },
  { name: 'note', type: 'text' },
];

// The records table from the migrations, with runtime partial expression indexes.
describe('field indexes on the records table', () => {
  let db: TestDatabase;
  const collectionId = uuidv7();
  const other = uuidv7();

  beforeAll(async () => {
    db = await openTestDatabase();
    for (const [id, name] of [
      [collectionId, 'products'],
      [other, 'others'],
    ]) {
      await db.connection.query(`INSERT INTO collections (id, name, fields, rules, options) VALUES ($1, $2, $3, '{}', '{}')`, [
        id,
        name,
        JSON.stringify(FIELDS),
      ]);
    }
    for (const field of FIELDS) {
      const ddl = fieldIndexDdl(collectionId, field);
      if (ddl) for (const statement of ddl.create) await db.connection.query(statement);
    }
    const values = Array.from(
      { length: 3_000 },
      (_, i) => `('${uuidv7()}', '${collectionId}', '{"sku": "sku-${i}", "amount": ${i % 500}, "note": "n"}')`,
    );
    await db.connection.query(`INSERT INTO records (id, collection_id, data) VALUES ${values.join(',')}`);
    await db.connection.query('ANALYZE records');
  });
  afterAll(() => db?.close());

  const plan = async (filter: string) => {
    const params = new SqlParams(1);
    const { sql } = compileFilter(filter, { fields: FIELDS.map(toFilterField), me: null }, params);
    const rows = await db.connection.query<Record<string, string>>(
      `EXPLAIN SELECT r.id FROM records r WHERE r.collection_id = $1::uuid AND r.deleted_at IS NULL AND ${sql}`,
      [collectionId, ...params.values],
    );
    return rows.map((row) => Object.values(row)[0]).join('\n');
  };

  it('gives the planner statistics on the field, so it estimates how many records match', async () => {
    const params = new SqlParams(1);
    const { sql } = compileFilter('amount >= 0', { fields: FIELDS.map(toFilterField), me: null }, params);
    const [row] = await db.connection.query<Record<string, unknown>>(
      `EXPLAIN (FORMAT JSON) SELECT r.id FROM records r WHERE r.collection_id = $1::uuid AND r.deleted_at IS NULL AND ${sql}`,
      [collectionId, ...params.values],
    );
    const explained = Object.values(row)[0];
    const planRows = (
      JSON.parse(typeof explained === 'string' ? explained : JSON.stringify(explained)) as { Plan: { 'Plan Rows': number } }[]
    )[0].Plan['Plan Rows'];
    // Every one of the 3,000 records matches; without statistics the planner guesses a third.
    expect(planRows).toBeGreaterThan(2_000);
  });

  it('is used by the planner for a filter on a unique field', async () => {
    expect(await plan("sku = 'sku-42'")).toContain(fieldIndexName(collectionId, 'sku'));
  });

  it('is used for a range filter on an indexed number field', async () => {
    expect(await plan('amount > 495')).toContain(fieldIndexName(collectionId, 'amount'));
  });

  it('enforces uniqueness within the collection only, among live records', async () => {
    const insert = (collection: string, sku: string) =>
      db.connection.query('INSERT INTO records (id, collection_id, data) VALUES ($1, $2, $3)', [
        uuidv7(),
        collection,
        JSON.stringify({ sku }),
      ]);
    await expect(insert(collectionId, 'sku-1')).rejects.toThrow(/duplicate key|unique/i);
    await expect(insert(other, 'sku-1')).resolves.toBeDefined();
  });

  it('creates nothing for plain fields and refuses a non-UUID collection id', () => {
    expect(fieldIndexDdl(collectionId, FIELDS[2])).toBeNull();
    expect(() => fieldIndexDdl("x'; drop table records; --", FIELDS[0])).toThrow(/Invalid collection id/);
  });

  it('drops cleanly', async () => {
    const ddl = fieldIndexDdl(collectionId, FIELDS[1])!;
    for (const statement of ddl.drop) await db.connection.query(statement);
    expect(await plan('amount > 495')).not.toContain(ddl.name);
    for (const statement of ddl.create) await db.connection.query(statement);
  });
});
