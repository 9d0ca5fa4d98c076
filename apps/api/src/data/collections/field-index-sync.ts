import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DatabaseConnection, type Queryable } from '@backlot/database';
import { DomainEvents } from '@backlot/events';
import { CollectionsRepository } from './collections.repository';
import { fieldIndexDdl, type FieldIndexDdl } from './field-indexes';

/** Only names fieldIndexName derives are touched; they reach DDL, so nothing else may pass. */
const OURS = /^rec_[0-9a-f]{32}(_stats)?$/;

interface ExistingIndexes {
  indexes: { name: string; unique: boolean }[] | null;
  statistics: string[] | null;
}

/**
 * Keeps the runtime field indexes (`rec_<hash>` and their `_stats`) in step with the stored
 * collections where they can drift apart: a restore replaces the collections but not the
 * indexes (backups hold data, not DDL), and a CLI restore runs without the app. Runs at
 * start (one catalog query when all is in step) and inside an API restore's transaction
 * (`database.restoring`), so unique fields are enforced from the moment the restore commits,
 * and restored rows that break one roll the restore back.
 */
@Injectable()
export class FieldIndexSync implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Collections');

  constructor(
    private readonly connection: DatabaseConnection,
    private readonly collections: CollectionsRepository,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    this.events.on('database.restoring', async ({ tx }) => {
      await this.sync(tx, { analyze: true });
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.sync(this.connection, { analyze: false });
  }

  /** Drops stale indexes, creates missing ones; ANALYZE after a change (or when asked: restored data has no statistics). */
  async sync(db: Queryable, { analyze }: { analyze: boolean }): Promise<{ created: number; dropped: number }> {
    const wanted = new Map<string, FieldIndexDdl & { unique: boolean }>();
    for (const collection of await this.collections.fieldsOfAll(db)) {
      for (const field of collection.fields) {
        const ddl = fieldIndexDdl(collection.id, field);
        if (ddl) wanted.set(ddl.name, { ...ddl, unique: field.unique === true });
      }
    }
    const [existing] = await db.query<ExistingIndexes>(
      `SELECT (SELECT json_agg(json_build_object('name', c.relname, 'unique', i.indisunique))
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = 'records'::regclass AND c.relname LIKE 'rec\\_%') AS indexes,
              (SELECT json_agg(stxname) FROM pg_statistic_ext
                WHERE stxrelid = 'records'::regclass AND stxname LIKE 'rec\\_%') AS statistics`,
    );
    const indexes = new Map((existing.indexes ?? []).filter((index) => OURS.test(index.name)).map((index) => [index.name, index.unique]));
    const statistics = new Set((existing.statistics ?? []).filter((name) => OURS.test(name)));

    const drop: string[] = [];
    for (const [name, unique] of indexes) if (wanted.get(name)?.unique !== unique) drop.push(`DROP INDEX IF EXISTS ${name}`);
    for (const name of statistics) if (!wanted.has(name.replace(/_stats$/, ''))) drop.push(`DROP STATISTICS IF EXISTS ${name}`);
    const create = [...wanted.values()]
      .filter((ddl) => indexes.get(ddl.name) !== ddl.unique || !statistics.has(`${ddl.name}_stats`))
      .flatMap((ddl) => ddl.create);

    for (const statement of [...drop, ...create]) await db.query(statement);
    if (analyze || drop.length + create.length > 0) await db.query('ANALYZE records');
    if (drop.length + create.length > 0) {
      this.logger.log({ msg: 'field indexes brought in step with the collections', created: create.length, dropped: drop.length });
    }
    return { created: create.length, dropped: drop.length };
  }
}
