/** What the compiler needs to know about a collection field. */
export type FilterFieldType = 'text' | 'number' | 'boolean' | 'datetime' | 'multi' | 'json';

export interface FilterField {
  name: string;
  type: FilterFieldType;
  /** Never returned to clients: usable in access rules, refused in client filters (it would leak the value). */
  hidden?: boolean;
  /** Stored encrypted: its plaintext is not in the database, so it cannot be compared. */
  encrypted?: boolean;
}

/** Record columns every collection has. */
export const SYSTEM_FIELDS = {
  id: { column: 'id', type: 'uuid' },
  owner: { column: 'owner_id', type: 'uuid' },
  created: { column: 'created_at', type: 'timestamp' },
  updated: { column: 'updated_at', type: 'timestamp' },
} as const;

export const FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * The SQL expression reading a field from a record row (`alias.data`). Index DDL must use
 * exactly the same expression, or the planner will not match the index to the filter.
 * Datetimes are stored as normalized ISO-8601 UTC strings, so text order is time order and
 * the expression stays immutable (a cast to timestamptz is not, and cannot be indexed).
 */
export function fieldExpression(alias: string, field: FilterField): string {
  if (!FIELD_NAME.test(field.name) || !/^([a-z_][a-z0-9_]*)?$/.test(alias)) throw new Error(`Invalid identifier ${alias}.${field.name}`);
  // Unqualified (alias '') in index definitions; the planner matches it to `r.data…` in queries.
  const data = alias ? `${alias}.data` : 'data';
  switch (field.type) {
    case 'number':
      return `((${data}->>'${field.name}')::numeric)`;
    case 'boolean':
      return `((${data}->>'${field.name}')::boolean)`;
    case 'multi':
    case 'json':
      return `(${data}->'${field.name}')`;
    default:
      return `(${data}->>'${field.name}')`;
  }
}
