import { Injectable } from '@nestjs/common';
import { DatabaseConnection, MAINTENANCE_STATEMENT_TIMEOUT_MS, type Queryable, withStatementBudget } from '@backlot/database';

/** Only names fieldIndexName derives are touched; they reach DDL, so nothing else may pass. */
const OURS = /^rec_[0-9a-f]{32}(_stats)?$/;

export interface ExistingFieldIndexes {
  /** Index name → whether it is unique. */
  indexes: Map<string, boolean>;
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
  constructor(readonly connection: DatabaseConnection) {}

  async existing(db: Queryable = this.connection): Promise<ExistingFieldIndexes> {
    const [found] = await db.query<{ indexes: { name: string; unique: boolean }[] | null; statistics: string[] | null }>(
      `SELECT (SELECT json_agg(json_build_object('name', c.relname, 'unique', i.indisunique))
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = 'records'::regclass AND c.relname LIKE 'rec\\_%') AS indexes,
              (SELECT json_agg(stxname) FROM pg_statistic_ext
                WHERE stxrelid = 'records'::regclass AND stxname LIKE 'rec\\_%') AS statistics`,
    );
    return {
      indexes: new Map((found.indexes ?? []).filter((index) => OURS.test(index.name)).map((index) => [index.name, index.unique])),
      statistics: new Set((found.statistics ?? []).filter((name) => OURS.test(name))),
    };
  }

  /** Runs fieldIndexDdl's statements in order (and drops of names `existing` listed). */
  async apply(statements: readonly string[], db: Queryable = this.connection): Promise<void> {
    for (const statement of statements) await db.query(statement);
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
