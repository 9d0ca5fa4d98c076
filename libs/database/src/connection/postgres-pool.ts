import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, type ClientConfig, Pool, type PoolConfig } from 'pg';
import { connectionTypes } from './timestamps';

/**
 * How long past the server's statement timeout the client waits for an answer before it
 * gives the connection up: the server cancels a slow statement itself, so silence beyond
 * this margin means the server (or the network to it) is frozen, not busy.
 */
const CLIENT_MARGIN_MS = 2_000;

/** What work an operator started (restores, index rebuilds at start) may spend on one statement. */
export const MAINTENANCE_STATEMENT_TIMEOUT_MS = 3_600_000;

/**
 * Prepared statements one connection keeps, least recently used dropped beyond it: the texts
 * of record statements vary with collections, rules and the filters clients send, so the set
 * must be bounded on the server side too.
 */
export const MAX_PREPARED_PER_CONNECTION = 64;

/** The statement timeout of work that declared a longer one (schema changes, restores). */
const statementBudget = new AsyncLocalStorage<number>();

/** Calls of withStatementBudget under way (nested and concurrent ones each count). */
let budgetedWork = 0;

/**
 * Runs `work` with statements allowed up to `ms` each: the client waits that long (see
 * DeadlineClient), and DatabaseConnection raises the server's timeout in its transactions.
 *
 * While any AsyncLocalStorage is enabled, Node (before 22) runs a hook on every promise the
 * process makes, about 3% of a record list's CPU. Budgeted work is rare (schema changes, index
 * builds, restores), so the store is disabled again once none is under way: it is enabled
 * only while it is needed.
 */
export async function withStatementBudget<T>(ms: number, work: () => Promise<T>): Promise<T> {
  budgetedWork++;
  try {
    return await statementBudget.run(ms, work);
  } finally {
    if (--budgetedWork === 0) statementBudget.disable();
  }
}

/** The statement timeout `work` declared through withStatementBudget, if any. */
export function currentStatementBudget(): number | undefined {
  return statementBudget.getStore();
}

/**
 * A pg client whose every query has a deadline: the server's statement timeout (or the
 * budget of the work it runs for) plus a margin. On a frozen server a query times out and
 * the connection is destroyed, so the pool never hands the stuck connection out again.
 */
class DeadlineClient extends Client {
  private readonly statementTimeoutMs: number;
  /** Names of the statements prepared on this connection, least recently used first. */
  private readonly prepared = new Map<string, true>();

  constructor(settings?: ClientConfig) {
    super(settings);
    this.statementTimeoutMs = settings?.statement_timeout || 0;
    // A destroyed connection emits 'error' even while checked out (pg-pool listens only while
    // it is idle); the query that was waiting has its own error already.
    this.on('error', () => undefined);
  }

  override query(...args: unknown[]): never {
    const [config, ...rest] = args;
    const run = super.query.bind(this) as (...a: unknown[]) => Promise<unknown> | undefined;
    if (typeof config === 'object' && config !== null && 'submit' in config) return run(...args) as never;
    const query_timeout = (currentStatementBudget() ?? this.statementTimeoutMs) + CLIENT_MARGIN_MS;
    const withDeadline = typeof config === 'string' ? { text: config, query_timeout } : { ...(config as object), query_timeout };
    const callback = rest.at(-1);
    if (typeof callback === 'function') {
      rest[rest.length - 1] = (error: Error | null, result: unknown) => {
        if (error) this.abandonIfTimedOut(error);
        (callback as (e: Error | null, r: unknown) => void)(error, result);
      };
    }
    const result = run(withDeadline, ...rest);
    result?.catch((error: Error) => this.abandonIfTimedOut(error));
    const name = typeof config === 'object' && config !== null ? (config as { name?: unknown }).name : undefined;
    if (typeof name === 'string') this.remember(name, run);
    return result as never;
  }

  /**
   * Marks a prepared statement as just used; beyond MAX_PREPARED_PER_CONNECTION, the least
   * recently used one is forgotten here (pg prepares it again if it comes back) and
   * deallocated on the server, queued after the statement running now.
   */
  private remember(name: string, run: (...a: unknown[]) => Promise<unknown> | undefined): void {
    const known = this.prepared.delete(name);
    this.prepared.set(name, true);
    if (known || this.prepared.size <= MAX_PREPARED_PER_CONNECTION) return;
    const [oldest] = this.prepared.keys();
    this.prepared.delete(oldest);
    delete (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements[oldest];
    run(`DEALLOCATE ${oldest}`)?.catch(() => undefined);
  }

  private abandonIfTimedOut(error: Error): void {
    if (error.message === 'Query read timeout') this.connection.stream.destroy();
  }
}

export interface PoolOptions {
  url: string;
  max: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  applicationName: string;
  /** The planner's random page cost on these connections. */
  randomPageCost: number;
}

/**
 * A pg pool where nothing waits without a deadline: a connection within `connectTimeoutMs`
 * (free or new), every statement within `statementTimeoutMs` on the server, and an answer
 * within that plus a margin on the client (a frozen server never answers).
 */
export function boundedPool(options: PoolOptions): Pool {
  const config: PoolConfig = {
    connectionString: options.url,
    max: options.max,
    idleTimeoutMillis: options.idleTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    application_name: options.applicationName,
    // PostgreSQL's default (4) prices random reads for spinning disks; with it, a list filtered on a
    // declared index's keys was read through the creation-order index instead (docs/indexes.md).
    options: `-c random_page_cost=${options.randomPageCost}`,
    Client: DeadlineClient,
    types: connectionTypes,
  };
  const pool = new Pool(config);
  // An idle client losing its server (restart, failover) must not crash the process;
  // the pool discards it and the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
