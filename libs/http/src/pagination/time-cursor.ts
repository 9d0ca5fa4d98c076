import { ValidationFailed } from '../errors/domain-errors';

/** A position in a newest-first list ordered by a timestamp, ties broken by id. */
export interface TimeKey {
  at: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The time exactly as encodeTimeCursor wrote it (`toISOString()` of a stored timestamp),
 * in the years 1 to 9999. Date also reads year 0 and expanded years (`-005000-…`,
 * `+275760-…`) that PostgreSQL refuses as a parameter: a forged cursor carrying one
 * would be a 500 rather than the 400 every other bad cursor gets.
 */
function storableTime(at: unknown): Date | null {
  if (typeof at !== 'string') return null;
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999 && date.toISOString() === at ? date : null;
}

/** The opaque `nextCursor` of a keyset page: base64url of the last row's key. */
export function encodeTimeCursor(key: TimeKey): string {
  return Buffer.from(JSON.stringify([key.at.toISOString(), key.id])).toString('base64url');
}

/** The key inside a cursor from encodeTimeCursor; anything else is a 400 on `cursor`. */
export function decodeTimeCursor(cursor: string): TimeKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [at, id] = parsed as unknown[];
      const date = storableTime(at);
      if (typeof id === 'string' && UUID.test(id) && date) return { at: date, id };
    }
  } catch {
    // reported below
  }
  throw new ValidationFailed([{ path: 'cursor', code: 'invalidCursor', message: 'cursor is not one this list handed out' }]);
}

/** A page of a newest-first keyset list, as the API returns it. */
export interface TimePage<V> {
  items: V[];
  nextCursor: string | null;
  /** Present when the caller asked for a count. */
  total?: number;
}

/**
 * The page for `rows`, read with `limit + 1` (the extra row only says there is more): the first
 * `limit` rows as `view` shows them, the cursor after the last of them, and `total` if counted.
 */
export function timePage<R, V>(
  rows: readonly R[],
  page: { limit: number; total?: number; key: (row: R) => TimeKey; view: (row: R) => V },
): TimePage<V> {
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(page.view),
    nextCursor: rows.length > page.limit && last !== undefined ? encodeTimeCursor(page.key(last)) : null,
    ...(page.total !== undefined && { total: page.total }),
  };
}
