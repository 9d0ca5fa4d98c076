import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Prisma, PrismaClient } from './generated/prisma/client';
import { DatabaseConnection } from './connection/database-connection';
import { withStatementBudget } from './connection/postgres-pool';
import { translateDatabaseError } from './database-errors';

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
    const budget = this.statementBudget(timeoutMs);
    const run = () =>
      this.$transaction(
        async (tx) => {
          if (budget !== undefined) await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = ${budget}`);
          return work(tx);
        },
        { isolationLevel, timeout: timeoutMs, maxWait: 2_000 },
      );
    for (let attempt = 0; ; attempt++) {
      try {
        return await (budget === undefined ? run() : withStatementBudget(budget, run));
      } catch (error) {
        if (attempt < retries && isWriteConflict(error)) {
          this.logger.debug(`transaction write conflict, retry ${attempt + 1}/${retries}`);
          continue;
        }
        throw translateDatabaseError(error);
      }
    }
  }

  /**
   * A transaction allowed longer than the statement timeout (schema changes rewriting a whole
   * collection) may spend that time on one statement, on the server and on the client.
   */
  private statementBudget(timeoutMs: number): number | undefined {
    const { config } = this.connection;
    return config.kind === 'postgres' && timeoutMs > config.statementTimeoutMs ? Math.round(timeoutMs) : undefined;
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
