import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { newId, type Queryable } from '@backlot/database';
import { Conflict, DomainError, PayloadTooLarge, unsafeText } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { join } from 'node:path';
import type { CollectionSchema } from '../collections/collection-schema';
import { RecordAccess } from '../access/record-access';
import { CollectionCatalog } from '../collections/collection-catalog';
import { RecordInput } from '../records/record-input';
import { RecordsRepository, type UpsertOutcome } from '../records/records.repository';
import type { ImportIds, ImportMode, TransferFormat } from './dto/transfer.dto';
import { ImportFailures, type LineFailure } from './import-failures';
import { csvEntries, type ImportEntry, ndjsonEntries } from './import-entries';
import { ImportSpool, type PreparedLine } from './import-spool';
import { readLines } from './line-reader';

export interface ImportResult {
  imported: number;
  replaced: number;
  failed: number;
  errors: LineFailure[];
}

/** How an upload is imported: all or nothing, and whether its records keep their ids. */
interface ImportPlan {
  mode: ImportMode;
  ids: ImportIds;
}

/** Records written by one chunk, and the lines that were not. */
interface Written {
  count: number;
  replaced: number;
  failed: LineFailure[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why an upsert left a line out, as its line error. */
const NOT_WRITTEN: Record<Exclude<UpsertOutcome, 'created' | 'replaced'>, { path: string; code: string; message: string }> = {
  createRefused: { path: '(record)', code: 'forbidden', message: 'the create rule does not allow this record' },
  updateRefused: { path: 'id', code: 'forbidden', message: 'the update rule does not allow replacing this record' },
  notOwner: { path: 'id', code: 'forbidden', message: 'only its owner or an admin may replace this record' },
  trashed: { path: 'id', code: 'conflict', message: 'a record with this id is in the trash; restore or purge it first' },
  elsewhere: { path: 'id', code: 'conflict', message: 'this id belongs to a record of another collection' },
};

/** Records per INSERT statement: at most 500, fewer when records may be large (memory per chunk stays bounded). */
const CHUNK_BYTES = 32 * 1024 * 1024;
const MAX_CHUNK = 500;

/**
 * Imports an NDJSON or CSV upload into a collection while it streams in. Every line is
 * read, validated (schema, references) and sealed like a created record; records are
 * inserted in chunks under the create rule, owned by the caller.
 *
 * atomic: the whole upload is checked first and what passed is spooled to a temporary
 * file; only then one transaction inserts it. Nothing but inserts runs in that
 * transaction (the embedded database admits no other query until it ends), and it never
 * waits on a slow client; IMPORT_ATOMIC_MAX_RECORDS bounds how long it may hold the embedded
 * database (2,000 records there by default: a quarter of a second on a laptop-class machine).
 * skip: each chunk's valid records are inserted at once (a transaction per chunk); the
 * other lines are reported.
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly input: RecordInput,
    private readonly access: RecordAccess,
    private readonly catalog: CollectionCatalog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async import(
    name: string,
    principal: Principal | null,
    upload: { format: TransferFormat; body: AsyncIterable<Buffer> } & ImportPlan,
  ): Promise<ImportResult> {
    const collection = await this.catalog.get(name);
    // A create rule closed to the caller refuses the upload before a byte of it is read.
    this.access.requireOpen(collection, 'create', principal);
    const maxLineBytes = collection.options.maxRecordBytes * 2;
    const lines = readLines(upload.body, { maxLineBytes, maxTotalBytes: this.config.data.importMaxBytes });
    const entries = upload.format === 'csv' ? csvEntries(collection, lines, maxLineBytes) : ndjsonEntries(lines);
    return upload.mode === 'atomic'
      ? this.atomic(collection, principal, entries, upload)
      : this.skipping(collection, principal, entries, upload);
  }

  private async atomic(
    collection: CollectionSchema,
    principal: Principal | null,
    entries: AsyncIterable<ImportEntry>,
    plan: ImportPlan,
  ): Promise<ImportResult> {
    const spool = await ImportSpool.create(join(this.config.dataDir, 'tmp'));
    try {
      const failures = new ImportFailures();
      const slices = this.records.paced();
      const limit = this.config.data.importAtomicMaxRecords;
      let accepted = 0;
      for await (const chunk of chunks(entries, chunkSize(collection))) {
        await slices.breathe();
        for (const checked of await this.check(collection, principal, chunk, plan)) {
          if ('errors' in checked) failures.add({ line: checked.line, errors: checked.errors });
          else if (limit > 0 && ++accepted > limit)
            throw new PayloadTooLarge(
              `An atomic import takes at most ${limit} records here (IMPORT_ATOMIC_MAX_RECORDS); nothing was imported. ` +
                'Import with mode=skip, or in parts.',
            );
          // After the first failure nothing will be inserted: keep checking, stop spooling.
          else if (failures.empty) await spool.write(checked);
        }
      }
      if (!failures.empty) throw failures.refusal();
      const written = await this.records.transaction(async (tx) => {
        const total = { imported: 0, replaced: 0 };
        for await (const chunk of chunks(spool.read(), chunkSize(collection))) {
          await slices.breathe();
          const { count, replaced, failed } = await this.write(collection, principal, chunk, tx);
          failed.forEach((failure) => failures.add(failure));
          if (!failures.empty) throw failures.refusal();
          total.imported += count;
          total.replaced += replaced;
        }
        return total;
      });
      return { ...written, failed: 0, errors: [] };
    } finally {
      await spool.discard();
    }
  }

  private async skipping(
    collection: CollectionSchema,
    principal: Principal | null,
    entries: AsyncIterable<ImportEntry>,
    plan: ImportPlan,
  ): Promise<ImportResult> {
    const failures = new ImportFailures();
    const slices = this.records.paced();
    let imported = 0;
    let replaced = 0;
    for await (const chunk of chunks(entries, chunkSize(collection))) {
      await slices.breathe();
      const ready: PreparedLine[] = [];
      for (const checked of await this.check(collection, principal, chunk, plan)) {
        if ('errors' in checked) failures.add({ line: checked.line, errors: checked.errors });
        else ready.push(checked);
      }
      if (ready.length === 0) continue;
      const written = await this.records.transaction((tx) => this.write(collection, principal, ready, tx));
      written.failed.forEach((failure) => failures.add(failure));
      imported += written.count;
      replaced += written.replaced;
    }
    return { imported, replaced, failed: failures.lines, errors: failures.listed };
  }

  /**
   * Entries as created records would be: validated, references checked (a few queries for
   * the whole chunk), encrypted fields sealed; with ids=keep, their id (and an admin's
   * import, their owner) checked too.
   */
  private async check(
    collection: CollectionSchema,
    principal: Principal | null,
    entries: ImportEntry[],
    plan: ImportPlan,
  ): Promise<(PreparedLine | LineFailure)[]> {
    const kept = plan.ids === 'keep' ? await this.keptSystemFields(principal, entries) : undefined;
    const validated = entries.map((entry, index) => {
      const keeping = kept?.[index];
      if (keeping && 'errors' in keeping) return keeping;
      return this.validate(collection, entry);
    });
    const references = await this.input.referenceProblems(
      collection,
      principal,
      validated.map((checked) => ('value' in checked ? checked.value : undefined)),
    );
    return validated.map((checked, index) => {
      const { line } = entries[index];
      if (!('value' in checked)) return checked;
      if (references[index].length > 0) return { line, errors: references[index] };
      const keeping = kept?.[index];
      return { line, data: this.input.seal(collection, checked.value), kept: keeping && 'id' in keeping ? keeping : undefined };
    });
  }

  /**
   * The id each line keeps (a UUID is required), and its owner: the caller's, or for an admin
   * the line's own when it names an existing account (an export's records stay whose they were).
   */
  private async keptSystemFields(
    principal: Principal | null,
    entries: ImportEntry[],
  ): Promise<({ id: string; ownerId: string | null } | LineFailure)[]> {
    const admin = this.access.seesHidden(principal);
    const owners = entries.map(({ system }) =>
      admin && typeof system.owner === 'string' && UUID.test(system.owner) ? system.owner : undefined,
    );
    const known = await this.input.knownUsers(owners.filter((owner): owner is string => owner !== undefined));
    return entries.map(({ line, system }, index) => {
      if (typeof system.id !== 'string' || !UUID.test(system.id))
        return { line, errors: [{ path: 'id', code: 'required', message: 'with ids=keep every record needs its id (a UUID)' }] };
      const owner = owners[index];
      if (owner && !known.has(owner)) return { line, errors: [{ path: 'owner', code: 'unknownUser', message: 'owner refers to no user' }] };
      return { id: system.id.toLowerCase(), ownerId: owner ?? principal?.userId ?? null };
    });
  }

  /** One entry against the collection's schema. */
  private validate(collection: CollectionSchema, entry: ImportEntry): LineFailure | { value: Record<string, unknown> } {
    const { line } = entry;
    if (entry.problems.length > 0) return { line, errors: entry.problems };
    // PostgreSQL cannot store these: the line says so rather than failing its whole chunk.
    const unsafe = unsafeText(entry.value);
    if (unsafe.length > 0)
      return { line, errors: unsafe.map((error) => ({ ...error, path: error.path === '(body)' ? '(record)' : error.path })) };
    try {
      const { value, problems } = this.input.schemaProblems(collection, entry.value, 'create');
      return problems.length > 0 ? { line, errors: problems } : { value };
    } catch (error) {
      // A record over the collection's size limit fails its line, not the whole upload.
      if (error instanceof PayloadTooLarge) return { line, errors: [{ path: '(record)', code: 'tooLarge', message: error.message }] };
      throw error;
    }
  }

  /**
   * Writes one chunk inside `tx`. When the statement fails on a record (a unique value
   * taken, or repeated within the upload), the chunk is retried record by record, each
   * under a savepoint, to name the lines at fault; the others still go in.
   */
  private async write(collection: CollectionSchema, principal: Principal | null, chunk: PreparedLine[], tx: Queryable): Promise<Written> {
    try {
      return await this.records.savepoint(tx, () => this.writeAll(collection, principal, chunk, tx));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
    const result: Written = { count: 0, replaced: 0, failed: [] };
    for (const entry of chunk) {
      try {
        const one = await this.records.savepoint(tx, () => this.writeAll(collection, principal, [entry], tx));
        result.count += one.count;
        result.replaced += one.replaced;
        result.failed.push(...one.failed);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        const field = error instanceof Conflict ? (error.extensions.field as string | undefined) : undefined;
        result.failed.push({ line: entry.line, errors: [{ path: field ?? '(record)', code: error.kind, message: error.message }] });
      }
    }
    return result;
  }

  /** Inserts under the create rule (ids=keep: upserts by id); a record the rules refuse fails its line. */
  private async writeAll(
    collection: CollectionSchema,
    principal: Principal | null,
    chunk: PreparedLine[],
    tx: Queryable,
  ): Promise<Written> {
    const records = chunk.map((entry) => ({
      id: entry.kept?.id ?? newId(),
      ownerId: entry.kept ? entry.kept.ownerId : (principal?.userId ?? null),
      data: entry.data,
    }));
    const outcomes = chunk.some((entry) => entry.kept)
      ? await this.records.upsert(collection, principal, records, tx)
      : new Map((await this.records.insert(collection, principal, records, tx)).map((row) => [row.id, 'created' as const]));
    const written: Written = { count: 0, replaced: 0, failed: [] };
    chunk.forEach((entry, index) => {
      const outcome = outcomes.get(records[index].id) ?? 'createRefused';
      if (outcome === 'created' || outcome === 'replaced') {
        written.count += 1;
        if (outcome === 'replaced') written.replaced += 1;
      } else written.failed.push({ line: entry.line, errors: [NOT_WRITTEN[outcome]] });
    });
    return written;
  }
}

function chunkSize(collection: CollectionSchema): number {
  return Math.max(1, Math.min(MAX_CHUNK, Math.floor(CHUNK_BYTES / collection.options.maxRecordBytes)));
}

async function* chunks<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
