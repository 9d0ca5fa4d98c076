import { createHash } from 'node:crypto';
import { fieldExpression } from '../query/filter-fields';
import { type FieldDefinition, toFilterField } from './field-definition';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface FieldIndexDdl {
  name: string;
  /** Statements to run in order: the index, then statistics on its expression. */
  create: string[];
  drop: string[];
}

/** Index names are derived, never taken from input: `rec_` + a hash of collection and field (within 63 chars). */
export function fieldIndexName(collectionId: string, fieldName: string): string {
  return `rec_${createHash('sha256').update(`${collectionId}:${fieldName}`).digest('hex').slice(0, 32)}`;
}

/**
 * DDL for a unique or indexed field: a partial expression index over the live records of
 * one collection, on exactly the expression the filter compiler emits (so the planner uses
 * it). DDL cannot take bound parameters, so every piece is checked or derived here: the
 * collection id must be a UUID, the field name passed the definition checks, and the
 * index name is a hash.
 */
export function fieldIndexDdl(collectionId: string, field: FieldDefinition): FieldIndexDdl | null {
  if (!field.unique && !field.indexed) return null;
  if (!UUID.test(collectionId)) throw new Error('Invalid collection id for DDL');
  const name = fieldIndexName(collectionId, field.name);
  const expression = fieldExpression('', toFilterField(field));
  // The planner keeps no statistics for a partial index's expression: without these it
  // guesses a few hundred rows for any value and picks sort-heavy plans on large collections.
  const statistics = `${name}_stats`;
  return {
    name,
    create: [
      `CREATE ${field.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${name} ON records (${expression}) WHERE collection_id = '${collectionId}'::uuid AND deleted_at IS NULL`,
      `CREATE STATISTICS IF NOT EXISTS ${statistics} ON (${expression}) FROM records`,
    ],
    drop: [`DROP INDEX IF EXISTS ${name}`, `DROP STATISTICS IF EXISTS ${statistics}`],
  };
}
