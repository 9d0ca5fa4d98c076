import type { Queryable, QueryOptions } from '@backlot/database';
import type { Caller, RecordAccess } from '../access/record-access';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import type { SqlParams } from '../query/filter-compiler';
import { toRecordError } from './record-row';

/** Rows only: trash holds soft-deleted ones, live the others. */
export type Liveness = 'live' | 'trashed' | 'any';

/**
 * The WHERE conditions every statement over `records r` for a caller starts from: this
 * collection, liveness, and the action's rule for the caller (RecordAccess). For the records
 * repositories only, which take the collection and the caller in every method that reads or
 * writes rows for someone, so no query can leave the rule out.
 */
export function recordScope(
  access: RecordAccess,
  collection: CollectionSchema,
  caller: Caller,
  action: RuleAction,
  params: SqlParams,
  liveness: Liveness,
): string {
  const conditions = [`r.collection_id = ${params.add(collection.id, 'uuid')}`];
  if (liveness === 'live') conditions.push('r.deleted_at IS NULL');
  if (liveness === 'trashed') conditions.push('r.deleted_at IS NOT NULL');
  const rule = access.condition(collection, action, caller, params);
  if (rule) conditions.push(rule);
  return conditions.join(' AND ');
}

/**
 * Runs a records statement, turning the errors a request can provoke into domain errors
 * (toRecordError). Prepared: these are the hot statements, and their texts repeat (values are
 * parameters; the collection, rule and filter shape make the text).
 */
export async function queryRecords<T>(
  q: Queryable,
  collection: CollectionSchema,
  sql: string,
  params: SqlParams,
  options: QueryOptions = { prepare: true },
): Promise<T[]> {
  try {
    return await q.query<T>(sql, params.values, options);
  } catch (error) {
    throw toRecordError(error, collection);
  }
}
