import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '@backlot/events';
import { CollectionsRepository } from './collections.repository';
import { compositeIndexDdl } from './composite-indexes';
import { fieldIndexDdl, type FieldIndexDdl } from './field-indexes';
import { FieldIndexesRepository } from './field-indexes.repository';
import type { Transaction } from './collections.repository';

/**
 * Keeps the runtime indexes (`rec_<hash>`: field indexes with their `_stats`, and declared
 * indexes) in step with the stored collections where they can drift apart: a restore replaces
 * the collections but not the indexes (backups hold data, not DDL), a CLI restore runs without
 * the app, and a declared index built after its change committed may have failed or been cut
 * short (left invalid). Runs at
 * start (one catalog query when all is in step) and inside an API restore's transaction
 * (`database.restoring`), so unique fields are enforced from the moment the restore commits,
 * and restored rows that break one roll the restore back.
 */
@Injectable()
export class FieldIndexSync implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Collections');

  constructor(
    private readonly indexes: FieldIndexesRepository,
    private readonly collections: CollectionsRepository,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    this.events.on('database.restoring', async ({ tx }) => {
      await this.sync(tx, { analyze: true });
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.indexes.asMaintenance(() => this.sync(undefined, { analyze: false }));
  }

  /** Drops stale indexes, creates missing ones; ANALYZE after a change (or when asked: restored data has no statistics). */
  async sync(tx: Transaction | undefined, { analyze }: { analyze: boolean }): Promise<{ created: number; dropped: number }> {
    const wanted = new Map<string, FieldIndexDdl & { unique: boolean }>();
    for (const collection of await this.collections.fieldsOfAll(tx)) {
      for (const field of collection.fields) {
        const ddl = fieldIndexDdl(collection.id, field);
        if (ddl) wanted.set(ddl.name, { ...ddl, unique: field.unique === true });
      }
      for (const index of collection.options?.indexes ?? []) {
        const ddl = compositeIndexDdl(collection.id, index, collection.fields);
        wanted.set(ddl.name, { ...ddl, unique: index.unique === true });
      }
    }
    const { indexes, statistics, invalid } = await this.indexes.existing(tx);
    for (const name of invalid) indexes.delete(name);
    const drop: string[] = [...invalid].map((name) => `DROP INDEX IF EXISTS ${name}`);
    for (const [name, unique] of indexes) if (wanted.get(name)?.unique !== unique) drop.push(`DROP INDEX IF EXISTS ${name}`);
    for (const name of statistics) if (!wanted.has(name.replace(/_stats$/, ''))) drop.push(`DROP STATISTICS IF EXISTS ${name}`);
    const create = [...wanted.values()]
      .filter((ddl) => indexes.get(ddl.name) !== ddl.unique || (ddl.create.length > 1 && !statistics.has(`${ddl.name}_stats`)))
      .flatMap((ddl) => ddl.create);

    await this.indexes.apply([...drop, ...create], tx);
    if (analyze || drop.length + create.length > 0) await this.indexes.analyze(tx);
    if (drop.length + create.length > 0) {
      this.logger.log({ msg: 'field indexes brought in step with the collections', created: create.length, dropped: drop.length });
    }
    return { created: create.length, dropped: drop.length };
  }
}
