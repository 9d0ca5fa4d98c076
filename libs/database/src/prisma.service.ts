import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Conflict, NotFound, ServiceUnavailable } from '@backlot/http';
import { Prisma, PrismaClient } from './generated/prisma/client';
import { DatabaseConnection } from './connection/database-connection';

export type TransactionClient = Prisma.TransactionClient;

export interface TransactionOptions {
  isolationLevel?: Prisma.TransactionIsolationLevel;
  /** Longest the transaction may run. Kept short: the embedded database runs one query at a time. */
  timeoutMs?: number;
  /** Retries after a serialization failure or deadlock (Prisma P2034). */
  retries?: number;
}

/**
 * The Prisma client for the whole app. Only repositories use it; they go through
 * `transaction()` for multi-statement work so timeouts, retries and error mapping stay uniform.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(readonly connection: DatabaseConnection) {
    super({ adapter: connection.adapterFactory });
  }

  async transaction<T>(work: (tx: TransactionClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const { isolationLevel, timeoutMs = 5_000, retries = isolationLevel === 'Serializable' ? 3 : 0 } = options;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.$transaction(work, { isolationLevel, timeout: timeoutMs, maxWait: 2_000 });
      } catch (error) {
        if (attempt < retries && isWriteConflict(error)) {
          this.logger.debug(`transaction write conflict, retry ${attempt + 1}/${retries}`);
          continue;
        }
        throw translateDatabaseError(error);
      }
    }
  }

  // After the HTTP server has drained (Nest closes it before shutdown hooks), never before.
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.connection.close();
  }
}

function isWriteConflict(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2034';
}

/**
 * Turns constraint violations into domain errors (409/404) so a race that PGlite hides but
 * PostgreSQL shows (two concurrent inserts of one unique value) never becomes a 500, and a
 * transaction that could not get the database in time into a 503 with Retry-After.
 */
export function translateDatabaseError(error: unknown): unknown {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return error;
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
  // A transaction that could not start (or ran out of time) in a busy database: the
  // request may succeed when retried, which a 500 would not tell the client.
  if (error.code === 'P2028') return new ServiceUnavailable('The database is busy; retry shortly.', { retryAfter: 1 });
  return error;
}
