import { Injectable, Logger } from '@nestjs/common';
import type { FieldIndexDdl } from './field-indexes';
import { DatabaseConnection, MAINTENANCE_STATEMENT_TIMEOUT_MS, type Queryable, withStatementBudget } from '@backlot/database';

/** Only names fieldIndexName derives are touched; they reach DDL, so nothing else may pass. */
const OURS = /^rec_[0-9a-f]{32}(_stats)?$/;

export interface ExistingFieldIndexes {
  /** Index name → whether it is unique. */
  indexes: Map<string, boolean>;
  /** Indexes a failed or interrupted CREATE INDEX CONCURRENTLY left behind: unusable, to be built again. */
  invalid: Set<string>;
  /** Names of the extended statistics kept on the indexed expressions. */
  statistics: Set<string>;
}

/**
 * The runtime field indexes on `records` (`rec_<hash>` and their `_stats`) as PostgreSQL's
 * catalog has them, and the DDL that changes them. Statements come from fieldIndexDdl, which
 * derives every name and checks every id; this repository runs nothing else. Each method takes
 * the connection or the transaction to run in (a restore rebuilds indexes inside its own).
 */
@Injectable()
export class FieldIndexesRepository {
  private readonly logger = new Logger('Collections');

  constructor(readonly connection: DatabaseConnection) {}

  async existing(db: Queryable = this.connection): Promise<ExistingFieldIndexes> {
    const [found] = await db.query<{ indexes: { name: string; unique: boolean; valid: boolean }[] | null; statistics: string[] | null }>(
      `SELECT (SELECT json_agg(json_build_object('name', c.relname, 'unique', i.indisunique, 'valid', i.indisvalid))
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = 'records'::regclass AND c.relname LIKE 'rec\\_%') AS indexes,
              (SELECT json_agg(stxname) FROM pg_statistic_ext
                WHERE stxrelid = 'records'::regclass AND stxname LIKE 'rec\\_%') AS statistics`,
    );
    const ours = (found.indexes ?? []).filter((index) => OURS.test(index.name));
    return {
      indexes: new Map(ours.map((index) => [index.name, index.unique])),
      invalid: new Set(ours.filter((index) => !index.valid).map((index) => index.name)),
      statistics: new Set((found.statistics ?? []).filter((name) => OURS.test(name))),
    };
  }

  /** Runs fieldIndexDdl's statements in order (and drops of names `existing` listed). */
  async apply(statements: readonly string[], db: Queryable = this.connection): Promise<void> {
    for (const statement of statements) await db.query(statement);
  }

  /**
   * Builds declared indexes with CREATE INDEX CONCURRENTLY (each in its own implicit
   * transaction: never inside one). One that fails is dropped, not left invalid, and named in
   * the answer; the others still build.
   */
  async buildConcurrently(ddl: readonly FieldIndexDdl[]): Promise<string[]> {
    const failed: string[] = [];
    for (const index of ddl) {
      if (!OURS.test(index.name)) throw new Error(`Not a runtime index name: ${index.name}`);
      try {
        for (const statement of index.create) await this.connection.queryAlone(statement, MAINTENANCE_STATEMENT_TIMEOUT_MS);
      } catch (error) {
        failed.push(index.name);
        this.logger.error({
          msg: 'a declared index could not be built; it is built again at the next start',
          index: index.name,
          err: error,
        });
        await this.connection.query(`DROP INDEX IF EXISTS ${index.name}`).catch(() => undefined);
      }
    }
    return failed;
  }

  /** Runs `work` with maintenance's statement budget: building an index over a large collection outlasts any request's. */
  asMaintenance<T>(work: () => Promise<T>): Promise<T> {
    return withStatementBudget(MAINTENANCE_STATEMENT_TIMEOUT_MS, work);
  }

  /** Fresh planner statistics for `records` (after index changes, or restored rows that have none). */
  async analyze(db: Queryable = this.connection): Promise<void> {
    await db.query('ANALYZE records');
  }
}
