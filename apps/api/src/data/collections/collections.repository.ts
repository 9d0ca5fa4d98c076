import { Injectable } from '@nestjs/common';
import { Conflict, PreconditionFailed } from '@backlot/http';
import { newId, Prisma, PrismaService, type Queryable, type TransactionClient } from '@backlot/database';
import { fieldExpression } from '../query/filter-fields';
import { toFilterField, type FieldDefinition } from './field-definition';
import { fieldIndexDdl, type FieldIndexDdl } from './field-indexes';
import { type CompositeIndex, compositeIndexDdl, describeIndex, keyExpression, parseKey } from './composite-indexes';
import { type CollectionOptions, type CollectionRow, type CollectionRules, CollectionSchema } from './collection-schema';
import type { SchemaChangePlan } from './schema-change';

/** An open transaction (a restore's): services pass it back to repositories, never query it. */
export type Transaction = Queryable;

interface CollectionRecordRow {
  id: string;
  name: string;
  description: string;
  fields: unknown;
  rules: unknown;
  options: unknown;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCollection {
  name: string;
  description: string;
  fields: FieldDefinition[];
  rules: CollectionRules;
  options: CollectionOptions;
}

export interface CollectionChange {
  description: string;
  rules: CollectionRules;
  options: CollectionOptions;
  plan: SchemaChangePlan;
  expectedVersion?: number;
  /** Checks one stored value against its new definition (decrypting it first if need be). */
  valueFits: (field: FieldDefinition, value: unknown) => boolean;
  /** Declared indexes the change drops (by name) and builds (planIndexChange). */
  indexes: { drop: string[]; create: CompositeIndex[] };
}

/** What a collection write leaves to do after it commits: declared indexes built without blocking writes. */
export interface CollectionWritten {
  row: CollectionRow;
  buildAfterCommit: FieldIndexDdl[];
}

// Schema changes may scan and rewrite many records; they get longer than request transactions.
const SCHEMA_CHANGE_TIMEOUT_MS = 120_000;
const SCAN_BATCH = 5_000;

/** Collections and their versions (Prisma), plus the DDL and data rewrites a schema change needs. */
@Injectable()
export class CollectionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findByName(name: string): Promise<CollectionRow | undefined> {
    const row = await this.prisma.collection.findUnique({ where: { name } });
    return row ? toRow(row) : undefined;
  }

  async findAll(): Promise<CollectionRow[]> {
    return (await this.prisma.collection.findMany({ orderBy: { name: 'asc' } })).map(toRow);
  }

  /** Every collection's id and fields as `db` sees them: inside a restore's transaction, the restored ones. */
  async fieldsOfAll(
    db: Queryable = this.prisma.connection,
  ): Promise<{ id: string; fields: FieldDefinition[]; options: CollectionOptions | null }[]> {
    return db.query<{ id: string; fields: FieldDefinition[]; options: CollectionOptions | null }>(
      'SELECT id, fields, options FROM collections ORDER BY name',
    );
  }

  async create(input: NewCollection, actorId: string): Promise<CollectionWritten> {
    const id = newId();
    const builds = this.declaredIndexBuilds(id, input.options.indexes ?? [], input.fields);
    const row = await this.prisma.transaction(
      async (tx) => {
        const row = await tx.collection.create({
          data: {
            id,
            name: input.name,
            description: input.description,
            fields: input.fields as unknown as Prisma.InputJsonValue,
            rules: input.rules,
            options: input.options as unknown as Prisma.InputJsonValue,
          },
        });
        await this.recordVersion(tx, row, actorId);
        await this.runDdl(tx, [
          ...input.fields.flatMap((field) => fieldIndexDdl(id, field)?.create ?? []),
          ...builds.inTransaction.flatMap((ddl) => ddl.create),
        ]);
        return toRow(row);
      },
      { timeoutMs: SCHEMA_CHANGE_TIMEOUT_MS },
    );
    return { row, buildAfterCommit: builds.afterCommit };
  }

  /**
   * Applies a planned schema change in one transaction: every check runs before any write,
   * so a refused change leaves data, indexes and the schema exactly as they were.
   */
  async alter(current: CollectionSchema, change: CollectionChange, actorId: string): Promise<CollectionWritten> {
    const { plan } = change;
    const id = current.id;
    const builds = this.declaredIndexBuilds(id, change.indexes.create, plan.fields);
    const row = await this.prisma.transaction(
      async (tx) => {
        const [locked] = await tx.$queryRaw<{ version: number }[]>`SELECT version FROM collections WHERE id = ${id}::uuid FOR UPDATE`;
        if (!locked) throw new Conflict(`Collection ${current.name} was dropped meanwhile.`);
        if (change.expectedVersion !== undefined && locked.version !== change.expectedVersion)
          throw new PreconditionFailed(`Collection ${current.name} is at version ${locked.version}, not ${change.expectedVersion}.`);
        await this.checkChange(tx, current, change);

        if (plan.renames.length > 0) {
          await tx.$executeRaw`
            UPDATE records SET data = (data - ${plan.renames.map((r) => r.from)}::text[])
              || coalesce((SELECT jsonb_object_agg(m.target, data -> m.source)
                             FROM unnest(${plan.renames.map((r) => r.from)}::text[], ${plan.renames.map((r) => r.to)}::text[]) AS m(source, target)
                            WHERE data ? m.source), '{}'::jsonb)
             WHERE collection_id = ${id}::uuid AND data ?| ${plan.renames.map((r) => r.from)}::text[]`;
        }
        if (plan.removed.length > 0) {
          await tx.$executeRaw`UPDATE records SET data = data - ${plan.removed}::text[] WHERE collection_id = ${id}::uuid AND data ?| ${plan.removed}::text[]`;
        }
        for (const fill of plan.fills) {
          await tx.$executeRaw`
            UPDATE records SET data = data || jsonb_build_object(${fill.name}::text, ${JSON.stringify(fill.value)}::jsonb)
             WHERE collection_id = ${id}::uuid AND coalesce(jsonb_typeof(data -> ${fill.name}::text), 'null') = 'null'`;
        }
        await this.runDdl(tx, [
          ...plan.dropIndexes.flatMap((ddl) => ddl.drop),
          ...change.indexes.drop.map((name) => `DROP INDEX IF EXISTS ${name}`),
        ]);
        await this.runDdl(tx, [...plan.createIndexes.flatMap((ddl) => ddl.create), ...builds.inTransaction.flatMap((ddl) => ddl.create)]);

        const row = await tx.collection.update({
          where: { id },
          data: {
            description: change.description,
            fields: plan.fields as unknown as Prisma.InputJsonValue,
            rules: change.rules,
            options: change.options as unknown as Prisma.InputJsonValue,
            version: { increment: 1 },
          },
        });
        const languageChanged = (change.options.searchLanguage ?? 'simple') !== current.searchLanguage;
        if (plan.searchChanged || languageChanged) {
          const next = new CollectionSchema(toRow(row));
          await tx.$executeRawUnsafe(`UPDATE records SET search = ${next.searchVector('data')} WHERE collection_id = $1::uuid`, id);
        }
        await this.recordVersion(tx, row, actorId);
        return toRow(row);
      },
      { timeoutMs: SCHEMA_CHANGE_TIMEOUT_MS },
    );
    return { row, buildAfterCommit: builds.afterCommit };
  }

  /** Drops a collection with its records, revisions and indexes. */
  async drop(collection: CollectionSchema): Promise<void> {
    await this.prisma.transaction(
      async (tx) => {
        await this.runDdl(tx, [
          ...collection.row.fields.flatMap((field) => fieldIndexDdl(collection.id, field)?.drop ?? []),
          ...collection.indexes.flatMap((index) => compositeIndexDdl(collection.id, index, collection.row.fields).drop),
        ]);
        await tx.collection.delete({ where: { id: collection.id } });
      },
      { timeoutMs: SCHEMA_CHANGE_TIMEOUT_MS },
    );
  }

  /**
   * Which declared indexes are built in the schema change's transaction and which after it
   * commits. On PostgreSQL a plain index is built CONCURRENTLY afterwards, so writes go on while
   * it builds over a large collection; a unique one is built in the transaction, so records
   * that break it refuse the change and nothing half-made stays. The embedded database runs one
   * statement at a time anyway: everything is built in the transaction.
   */
  private declaredIndexBuilds(id: string, indexes: readonly CompositeIndex[], fields: readonly FieldDefinition[]) {
    const concurrent = this.prisma.connection.kind === 'postgres';
    const deferred = (index: CompositeIndex) => concurrent && !index.unique;
    return {
      inTransaction: indexes.filter((index) => !deferred(index)).map((index) => compositeIndexDdl(id, index, fields)),
      afterCommit: indexes.filter(deferred).map((index) => compositeIndexDdl(id, index, fields, { concurrently: true })),
    };
  }

  /** Runs generated DDL; after new statistics, ANALYZE so the planner has them at once. */
  private async runDdl(tx: TransactionClient, statements: string[]): Promise<void> {
    for (const statement of statements) await tx.$executeRawUnsafe(statement);
    if (statements.some((statement) => statement.startsWith('CREATE STATISTICS'))) await tx.$executeRawUnsafe('ANALYZE records');
  }

  private async checkChange(tx: TransactionClient, current: CollectionSchema, change: CollectionChange): Promise<void> {
    const { plan } = change;
    const id = current.id;
    const refuse = (message: string, field: string, records: number) => {
      const error = new Conflict(message);
      Object.assign(error.extensions, { field, records });
      return error;
    };
    for (const field of plan.encryptionToggled) {
      const source = plan.renames.find((r) => r.to === field.name)?.from ?? field.name;
      const records = await this.countWithValue(tx, id, source);
      if (records > 0)
        throw refuse(
          `${records} record(s) hold a value for ${field.name}; encryption can only change on an empty field.`,
          field.name,
          records,
        );
    }
    for (const field of plan.newlyRequired) {
      const source = plan.renames.find((r) => r.to === field.name)?.from ?? field.name;
      const [{ count }] = await tx.$queryRaw<{ count: number }[]>`
        SELECT count(*)::int AS count FROM records
         WHERE collection_id = ${id}::uuid AND deleted_at IS NULL AND coalesce(jsonb_typeof(data -> ${source}::text), 'null') = 'null'`;
      if (count > 0)
        throw refuse(`${count} record(s) have no value for ${field.name}; give it a default or fill them first.`, field.name, count);
    }
    for (const fill of plan.fills) {
      const field = plan.fields.find((f) => f.name === fill.name);
      if (!field?.unique) continue;
      const source = plan.renames.find((r) => r.to === field.name)?.from ?? field.name;
      // The records the default fills, and those already holding it, would all share one unique value.
      const [{ count }] = await tx.$queryRaw<{ count: number }[]>`
        SELECT count(*)::int AS count FROM records
         WHERE collection_id = ${id}::uuid AND deleted_at IS NULL
           AND (coalesce(jsonb_typeof(data -> ${source}::text), 'null') = 'null' OR data -> ${source}::text = ${JSON.stringify(fill.value)}::jsonb)`;
      if (count > 1) throw refuse(`${count} record(s) would share the default of ${field.name}, which must be unique.`, field.name, count);
    }
    for (const field of plan.revalidate) {
      const source = plan.renames.find((r) => r.to === field.name)?.from ?? field.name;
      const invalid = await this.countInvalid(tx, id, source, (value) => change.valueFits(field, value));
      if (invalid > 0)
        throw refuse(`${invalid} record(s) hold values of ${field.name} the new definition does not accept.`, field.name, invalid);
    }
    // Runs after the loop above, which proved every relation value a UUID.
    for (const field of plan.revalidate) {
      if (field.type !== 'relation') continue;
      const source = plan.renames.find((r) => r.to === field.name)?.from ?? field.name;
      const dangling = await this.countDangling(tx, id, source, field.collection!);
      if (dangling > 0)
        throw refuse(`${dangling} record(s) refer through ${field.name} to no live record of ${field.collection}.`, field.name, dangling);
    }
    for (const field of plan.newlyUnique) {
      const source = plan.renames.find((r) => r.to === field.name)?.from ?? field.name;
      const expression = fieldExpression('records', toFilterField({ ...field, name: source }));
      const [{ count }] = await tx.$queryRawUnsafe<{ count: number }[]>(
        `SELECT coalesce(sum(n), 0)::int AS count FROM (
           SELECT count(*) AS n FROM records WHERE collection_id = $1::uuid AND deleted_at IS NULL AND ${expression} IS NOT NULL
            GROUP BY ${expression} HAVING count(*) > 1) AS duplicates`,
        id,
      );
      if (count > 0) throw refuse(`${count} record(s) share a value of ${field.name}; it cannot be unique.`, field.name, count);
    }
    for (const index of change.indexes.create) {
      if (!index.unique) continue;
      // The records still hold the old names: renames are written after these checks.
      const sources = plan.fields.map((field) => ({ ...field, name: plan.renames.find((r) => r.to === field.name)?.from ?? field.name }));
      const keys = index.fields.map((key) => {
        const { name } = parseKey(key);
        const source = plan.renames.find((r) => r.to === name)?.from ?? name;
        return keyExpression(source, sources, 'records');
      });
      const [{ count }] = await tx.$queryRawUnsafe<{ count: number }[]>(
        `SELECT coalesce(sum(n), 0)::int AS count FROM (
           SELECT count(*) AS n FROM records
            WHERE collection_id = $1::uuid AND deleted_at IS NULL AND ${keys.map((key) => `${key} IS NOT NULL`).join(' AND ')}
            GROUP BY ${keys.join(', ')} HAVING count(*) > 1) AS duplicates`,
        id,
      );
      const at = `options.indexes.${change.options.indexes?.indexOf(index) ?? 0}`;
      if (count > 0) throw refuse(`${count} record(s) share values of ${describeIndex(index)}; the index cannot be unique.`, at, count);
    }
  }

  private async countWithValue(tx: TransactionClient, collectionId: string, field: string): Promise<number> {
    const [{ count }] = await tx.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM records
       WHERE collection_id = ${collectionId}::uuid AND coalesce(jsonb_typeof(data -> ${field}::text), 'null') <> 'null'`;
    return count;
  }

  /** Live records whose relation values name no live record of `target` (a relation retargeted or retyped). */
  private async countDangling(tx: TransactionClient, collectionId: string, field: string, target: string): Promise<number> {
    const [{ count }] = await tx.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM records r
       WHERE r.collection_id = ${collectionId}::uuid AND r.deleted_at IS NULL
         AND EXISTS (
           SELECT 1 FROM jsonb_array_elements_text(CASE jsonb_typeof(r.data -> ${field}::text)
                           WHEN 'array' THEN r.data -> ${field}::text
                           WHEN 'string' THEN jsonb_build_array(r.data -> ${field}::text)
                           ELSE '[]'::jsonb END) AS ref(id)
            WHERE NOT EXISTS (SELECT 1 FROM records t
                               WHERE t.id = ref.id::uuid AND t.deleted_at IS NULL
                                 AND t.collection_id = (SELECT c.id FROM collections c WHERE c.name = ${target})))`;
    return count;
  }

  private async countInvalid(
    tx: TransactionClient,
    collectionId: string,
    field: string,
    fits: (value: unknown) => boolean,
  ): Promise<number> {
    let invalid = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await tx.$queryRaw<{ id: string; value: unknown }[]>`
        SELECT id::text, data -> ${field}::text AS value FROM records
         WHERE collection_id = ${collectionId}::uuid AND deleted_at IS NULL AND id > ${after}::uuid
           AND coalesce(jsonb_typeof(data -> ${field}::text), 'null') <> 'null'
         ORDER BY id LIMIT ${SCAN_BATCH}`;
      for (const row of rows) if (!fits(row.value)) invalid++;
      if (rows.length < SCAN_BATCH) return invalid;
      after = rows[rows.length - 1].id;
    }
  }

  private async recordVersion(tx: TransactionClient, row: CollectionRecordRow, actorId: string): Promise<void> {
    await tx.collectionVersion.create({
      data: {
        collectionId: row.id,
        version: row.version,
        fields: row.fields as Prisma.InputJsonValue,
        rules: row.rules as Prisma.InputJsonValue,
        options: row.options as Prisma.InputJsonValue,
        changedBy: actorId,
      },
    });
  }
}

function toRow(row: CollectionRecordRow): CollectionRow {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    fields: row.fields as FieldDefinition[],
    rules: row.rules as CollectionRules,
    options: row.options as CollectionOptions,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
