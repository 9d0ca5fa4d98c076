import { ValidationFailed } from '../errors/domain-errors';

/** A position in a newest-first list ordered by a timestamp, ties broken by id. */
export interface TimeKey {
  at: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
      const date = typeof at === 'string' ? new Date(at) : new Date(Number.NaN);
      if (typeof id === 'string' && UUID.test(id) && !Number.isNaN(date.getTime())) return { at: date, id };
    }
  } catch {
    // reported below
  }
  throw new ValidationFailed([{ path: 'cursor', code: 'invalidCursor', message: 'cursor is not one this list handed out' }]);
}
