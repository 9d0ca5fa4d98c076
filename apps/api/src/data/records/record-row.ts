import { BadRequest, Conflict } from '@backlot/http';
import type { CollectionSchema } from '../collections/collection-schema';
import { fieldIndexName } from '../collections/field-indexes';
import { compositeIndexName } from '../collections/composite-indexes';

/** A record as the database returns it. */
export interface RecordRow {
  id: string;
  owner_id: string | null;
  data: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const RECORD_COLUMNS = 'r.id, r.owner_id, r.data, r.version, r.created_at, r.updated_at, r.deleted_at';

/**
 * Database errors a request can provoke, as domain errors: a duplicate in a unique field
 * (409, naming the field), a value out of its type's range in a filter (400). Anything else
 * is a bug and stays a 500.
 *
 * The 409 names the field only: not the record holding the value (the caller may not be
 * allowed to see it) and not the value (the database's detail echoes it, and the field may
 * be hidden). That some record holds the value the caller sent stays inferable: uniqueness
 * cannot be enforced without saying so.
 */
export function toRecordError(error: unknown, collection: CollectionSchema): unknown {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  if (code === '23505') {
    const field = collection.row.fields.find((f) => f.unique && (!constraint || fieldIndexName(collection.id, f.name) === constraint));
    const index = field ? undefined : collection.indexes.find((i) => i.unique && compositeIndexName(collection.id, i) === constraint);
    const names = index?.fields.map((key) => key.replace(/^-/, ''));
    const conflict = new Conflict(
      field
        ? `The value of ${field.name} is already taken.`
        : names
          ? `The values of ${names.join(', ')} are already taken together.`
          : 'A unique value is already taken.',
    );
    if (field) conflict.extensions.field = field.name;
    if (names) conflict.extensions.fields = names;
    return conflict;
  }
  if (typeof code === 'string' && (code.startsWith('22') || code === '54001' || code === '54000'))
    return new BadRequest('A value in the query is out of range for its type, or the query is too complex.');
  return error;
}
