import { PGlite } from '@electric-sql/pglite';
import type { DatabaseConfig } from '@backlot/config';
import { EMBEDDED_IN_MEMORY, PRIVATE_DIR_MODE, useOwnerOnlyUmask } from '@backlot/config';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Client, Pool } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { EmbeddedLock } from './embedded-lock';
import { EmbeddedStatements } from './embedded-statements';
import { OwnerOnlyNodeFS } from './owner-only-fs';
import { boundedPool, currentStatementBudget, withStatementBudget } from './postgres-pool';

/** Something SQL can be sent to: the connection itself, or one open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
}

export interface QueryOptions {
  /**
   * Prepare the statement once per connection (PostgreSQL, when DATABASE_PREPARED_STATEMENTS
   * allows): later runs skip parsing, and planning once PostgreSQL finds a generic plan as good.
   * For a hot path's statements; each connection keeps a bounded number of them.
   */
  prepare?: boolean;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/**
 * The physical database behind Prisma: an embedded PGlite or a pg pool. Everything that
 * needs raw access (migrations, health, metrics, later backups) goes through here so the
 * two shapes stay interchangeable.
 */
export class DatabaseConnection implements Queryable {
  readonly adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  private readonly pglite?: PGlite;
  /** The embedded database's prepared statements (no pooler in between: always on). */
  private readonly statements?: EmbeddedStatements;
  private readonly pool?: Pool;
  private readonly lock?: EmbeddedLock;
  private closed = false;

  constructor(readonly config: DatabaseConfig) {
    if (config.kind === 'embedded') {
      const inMemory = config.dataDir === EMBEDDED_IN_MEMORY;
      if (!inMemory) {
        // PGlite writes part of its files through Node's fs with default modes.
        useOwnerOnlyUmask();
        this.lock = EmbeddedLock.acquire(config.dataDir);
        // PGlite creates only the last folder of its data dir.
        mkdirSync(dirname(config.dataDir), { recursive: true, mode: PRIVATE_DIR_MODE });
      }
      this.pglite = new PGlite({
        fs: inMemory ? undefined : new OwnerOnlyNodeFS(config.dataDir),
        postgresqlconf: [`shared_buffers=${config.sharedBuffersMb}MB`, 'max_connections=8'],
        loadDataDir: config.seedArchive ? new Blob([readFileSync(config.seedArchive)]) : undefined,
      });
      this.statements = new EmbeddedStatements(this.pglite);
      this.adapterFactory = new PrismaPGlite(this.pglite);
    } else {
      this.pool = boundedPool({
        url: config.url,
        max: config.poolMax,
        idleTimeoutMs: config.poolIdleTimeoutMs,
        connectTimeoutMs: config.connectTimeoutMs,
        statementTimeoutMs: config.statementTimeoutMs,
        applicationName: 'backlot',
        randomPageCost: config.randomPageCost,
      });
      this.adapterFactory = new PrismaPg(this.pool);
    }
  }

  get kind(): DatabaseConfig['kind'] {
    return this.config.kind;
  }

  /** Waits until the database answers; throws a message fit for an operator otherwise. */
  async ready(): Promise<void> {
    try {
      await this.query('SELECT 1');
    } catch (error) {
      throw new Error(`Cannot reach the database (${this.describe()}): ${describeError(error)}`);
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<T[]> {
    if (this.pglite) {
      if (options.prepare && this.statements) return this.statements.query<T>(sql, params, false);
      return (await this.pglite.query<T>(sql, params)).rows;
    }
    // The session's statement timeout can only be raised for a transaction (SET LOCAL).
    if (currentStatementBudget() !== undefined) return this.transaction((tx) => tx.query<T>(sql, params, options));
    return (await this.pool!.query(this.statement(sql, params, options))).rows as T[];
  }

  /** pg's query config: named (prepared) when asked for and allowed. */
  private statement(sql: string, values: unknown[], options: QueryOptions) {
    const prepare = options.prepare && this.config.kind === 'postgres' && this.config.preparedStatements;
    return prepare ? { name: statementName(sql), text: sql, values } : { text: sql, values };
  }

  /**
   * Runs one statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY) under its
   * own statement timeout: set for the connection while it runs (SET LOCAL needs a transaction)
   * and reset before the connection goes back to the pool.
   */
  async queryAlone(sql: string, timeoutMs: number): Promise<void> {
    if (this.pglite) {
      await this.pglite.query(sql);
      return;
    }
    const client = await this.pool!.connect();
    let broken: Error | undefined;
    try {
      await client.query(`SET statement_timeout = ${Math.round(timeoutMs)}`);
      await withStatementBudget(timeoutMs, () => client.query(sql));
      await client.query('RESET statement_timeout');
    } catch (error) {
      // A connection whose reset may not have run must not serve anyone else with that timeout.
      broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `work` in one transaction on one connection, committed when it resolves and rolled
   * back when it throws. For hot paths that skip Prisma (records); keep it short, the
   * embedded database runs one transaction at a time.
   */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.pglite) {
      const statements = this.statements;
      return this.pglite.transaction((tx) =>
        work({
          query: async <R>(sql: string, params: unknown[] = [], options: QueryOptions = {}) =>
            options.prepare && statements ? statements.query<R>(sql, params, true) : (await tx.query<R>(sql, params)).rows,
        }),
      );
    }
    const client = await this.pool!.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const budget = currentStatementBudget();
      if (budget !== undefined) await client.query(`SET LOCAL statement_timeout = ${Math.round(budget)}`);
      const result = await work({
        query: async <R>(sql: string, params: unknown[] = [], options: QueryOptions = {}) =>
          (await client.query(this.statement(sql, params, options))).rows as R[],
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back (server gone, answer timed out) must not go back to the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `work` while holding a PostgreSQL session-level advisory lock, so only one
   * instance does it at a time. An embedded database has one process (EmbeddedLock).
   * The lock is taken on a connection of its own, without the statement timeout: waiting
   * for another instance's migrations may take longer than any request would.
   */
  async withAdvisoryLock<T>(lockId: number, work: () => Promise<T>): Promise<T> {
    if (this.config.kind === 'embedded') return work();
    const client = new Client({
      connectionString: this.config.url,
      connectionTimeoutMillis: this.config.connectTimeoutMs,
      application_name: 'backlot-migrate',
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [lockId]);
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [lockId]);
      }
    } finally {
      await client.end();
    }
  }

  /**
   * Runs `work` with an adapter for Prisma's schema engine. On PostgreSQL that is a pool of
   * its own with one connection, closed afterwards: the engine takes its session-level
   * advisory lock and releases it in separate queries, and on the shared pool the release
   * could land on another client, leaving the lock held by an idle connection until the
   * idle timeout (a second instance migrating meanwhile then timed out after 10 s).
   */
  async withMigrationAdapter<T>(work: (factory: SqlMigrationAwareDriverAdapterFactory) => Promise<T>): Promise<T> {
    if (this.config.kind === 'embedded') return work(this.adapterFactory);
    const pool = new Pool({
      connectionString: this.config.url,
      max: 1,
      connectionTimeoutMillis: this.config.connectTimeoutMs,
      application_name: 'backlot-migrate',
    });
    pool.on('error', () => undefined);
    try {
      return await work(new PrismaPg(pool));
    } finally {
      await pool.end();
    }
  }

  /**
   * Like withAdvisoryLock, but does not wait: `busy` is called instead when another instance
   * holds the lock (an operation that must not queue up behind itself, such as a restore).
   * `shared` holders exclude only an exclusive holder (backups may run side by side, never
   * during a restore).
   */
  async tryAdvisoryLock<T>(
    lockId: number,
    work: () => Promise<T>,
    busy: () => never,
    mode: 'exclusive' | 'shared' = 'exclusive',
  ): Promise<T> {
    if (!this.pool) return work();
    const suffix = mode === 'shared' ? '_shared' : '';
    const client = await this.pool.connect();
    try {
      const [{ locked }] = (await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock${suffix}($1) AS locked`, [lockId])).rows;
      if (!locked) busy();
      try {
        return await work();
      } finally {
        await client.query(`SELECT pg_advisory_unlock${suffix}($1)`, [lockId]);
      }
    } finally {
      client.release();
    }
  }

  /** A physical copy of the embedded database (PGlite's data directory as a tar archive). */
  async dumpEmbedded(): Promise<Blob> {
    if (!this.pglite) throw new Error('Only the embedded database can be dumped this way');
    return this.pglite.dumpDataDir('none');
  }

  poolStats(): PoolStats | undefined {
    if (!this.pool) return undefined;
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, max: this.pool.options.max ?? 10 };
  }

  /** Where the data lives, safe to log: never includes a password. */
  describe(): string {
    if (this.config.kind === 'embedded') return `embedded PGlite at ${this.config.dataDir}`;
    const url = new URL(this.config.url);
    return `PostgreSQL ${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}${url.pathname}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.pglite) await this.pglite.close();
      if (this.pool) await this.pool.end();
    } finally {
      this.lock?.release();
    }
  }
}

/** A connection error without host names, passwords or stack: safe for health output. */
export function describeError(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ETIMEDOUT') return 'connection timed out';
  if (code === '3D000') return 'database does not exist';
  if (code === '28P01' || code === '28000') return 'authentication failed';
  if (message?.includes('timeout')) return 'connection timed out';
  return code ? `error ${code}` : (message ?? 'unknown error').split('\n')[0].slice(0, 200);
}

/** Names of recent statement texts: hashing the text for every query was 1.5% of a record read's CPU. */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 1_024;

/** A prepared statement's name, from its text: the same text is the same statement on every connection. */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `s${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    // Texts vary with collections, rules and filters; start over rather than grow without bound.
    if (statementNames.size >= MAX_STATEMENT_NAMES) statementNames.clear();
    statementNames.set(sql, name);
  }
  return name;
}
