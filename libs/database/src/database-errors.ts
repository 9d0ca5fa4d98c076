import { randomUUID } from 'node:crypto';
import { Conflict, NotFound, ServiceUnavailable } from '@backlot/http';
import { Prisma } from './generated/prisma/client';

/** Seconds a client is told to wait before retrying when the database cannot be used. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Socket failures on the way to the server (node's codes, as pg and Prisma's adapter pass them on). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * SQLSTATEs that mean "not now" rather than "not this": query_canceled (the statement
 * timeout), the server shutting down or starting (57P01-57P03), too many connections (53300).
 * Class 08, connection exceptions, is matched by prefix.
 */
const SQLSTATES = new Set(['57014', '57P01', '57P02', '57P03', '53300']);

/** Prisma's own codes for the same: can't reach (P1001), timed out (P1002, P1008, P2024), closed (P1017), too many connections (P2037). */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);

/** What Prisma's pg adapter calls those failures once it has wrapped them (DriverAdapterError's cause). */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/**
 * pg's own errors carry no code, only these messages: a query with no answer within its
 * deadline, a pool connection not had in time, and connections lost or unusable.
 */
const PG_MESSAGES = [
  /^Query read timeout$/,
  /^timeout exceeded when trying to connect$/,
  /^Connection terminated/,
  /is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];

/**
 * Whether `error` says the database could not be used (unreachable, frozen, shutting down,
 * out of connections, or a statement past its timeout) — as pg raises it, as Prisma wraps
 * it, or as Prisma's driver adapter wraps it inside that. Such a request may succeed when
 * retried, which a 500 would not tell the client.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some((candidate) => {
    const { code, kind, originalCode, message } = candidate as {
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
    };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATES.has(code) || PRISMA_CODES.has(code) || code.startsWith('08')))
      return true;
    if (typeof originalCode === 'string' && (SQLSTATES.has(originalCode) || originalCode.startsWith('08'))) return true;
    if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true;
    return typeof message === 'string' && PG_MESSAGES.some((pattern) => pattern.test(message));
  });
}

/** The error, what it wraps (`cause`), and Prisma's driver adapter error with its cause. */
function causes(error: unknown): object[] {
  const found: object[] = [];
  const queue = [error];
  while (queue.length > 0 && found.length < 10) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || found.includes(next)) continue;
    found.push(next);
    const { cause, meta } = next as { cause?: unknown; meta?: { driverAdapterError?: unknown } };
    queue.push(cause, meta?.driverAdapterError);
  }
  return found;
}

/**
 * Turns database failures into domain errors: constraint violations into 409/404 (a race
 * that PGlite hides but PostgreSQL shows never becomes a 500), a transaction that could not
 * get the database in time into a 503, and a database that cannot be used at all
 * (isDatabaseUnavailable) into a 503 whose errorId is logged with the cause. Registered
 * with the global problem filter, so every route answers the same way.
 */
export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === 'P2002') {
      const target =
        (error.meta?.target as string[] | string | undefined) ??
        (error.meta?.driverAdapterError as { cause?: { constraint?: { fields?: string[] } } })?.cause?.constraint?.fields;
      const fields = Array.isArray(target) ? target.join(', ') : target;
      return new Conflict(
        fields ? `A record with the same ${fields} already exists.` : 'A record with the same unique value already exists.',
      );
    }
    if (error.code === 'P2025') return new NotFound('The record does not exist.');
    // A transaction that could not start (or ran out of time) in a busy database.
    if (error.code === 'P2028') return new ServiceUnavailable('The database is busy; retry shortly.', { retryAfter: 1 });
  }
  if (!isDatabaseUnavailable(error)) return error;
  // The cause stays out of the body (it names hosts); the errorId ties the answer to the log line.
  const unavailable = new ServiceUnavailable('The database is unavailable or did not answer in time; retry shortly.', {
    retryAfter: DATABASE_RETRY_AFTER_SECONDS,
    errorId: randomUUID(),
  });
  unavailable.cause = error;
  return unavailable;
}
