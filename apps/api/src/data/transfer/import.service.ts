import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import type { Queryable } from '@backlot/database';
import { Conflict, DomainError, type FieldError, PayloadTooLarge } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { CollectionSchema } from '../collections/collection-schema';
import { SqlParams } from '../query/filter-compiler';
import { RecordInput } from '../records/record-input';
import { RecordsRepository } from '../records/records.repository';
import type { TransferFormat, ImportMode } from './dto/transfer.dto';
import { ImportFailures, type LineFailure } from './import-failures';
import { csvEntries, type ImportEntry, ndjsonEntries } from './import-entries';
import { ImportSpool, type PreparedLine } from './import-spool';
import { readLines } from './line-reader';

export interface ImportResult {
  imported: number;
  failed: number;
  errors: LineFailure[];
}

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
 * waits on a slow client.
 * skip: each chunk's valid records are inserted at once (a transaction per chunk); the
 * other lines are reported.
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly input: RecordInput,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async import(
    collection: CollectionSchema,
    principal: Principal | null,
    upload: { format: TransferFormat; mode: ImportMode; body: AsyncIterable<Buffer> },
  ): Promise<ImportResult> {
    // A create rule closed to the caller refuses the upload before a byte of it is read.
    collection.ruleCondition('create', principal, new SqlParams());
    const maxLineBytes = collection.options.maxRecordBytes * 2;
    const lines = readLines(upload.body, { maxLineBytes, maxTotalBytes: this.config.data.importMaxBytes });
    const entries = upload.format === 'csv' ? csvEntries(collection, lines, maxLineBytes) : ndjsonEntries(lines);
    return upload.mode === 'atomic' ? this.atomic(collection, principal, entries) : this.skipping(collection, principal, entries);
  }

  private async atomic(
    collection: CollectionSchema,
    principal: Principal | null,
    entries: AsyncIterable<ImportEntry>,
  ): Promise<ImportResult> {
    const spool = await ImportSpool.create(join(this.config.dataDir, 'tmp'));
    try {
      const failures = new ImportFailures();
      for await (const entry of entries) {
        const checked = await this.check(collection, entry);
        if ('errors' in checked) failures.add({ line: entry.line, errors: checked.errors });
        // After the first failure nothing will be inserted: keep checking, stop spooling.
        else if (failures.empty) await spool.write(checked);
      }
      if (!failures.empty) throw failures.refusal();
      const imported = await this.records.transaction(async (tx) => {
        let count = 0;
        for await (const chunk of chunks(spool.read(), chunkSize(collection))) {
          const inserted = await this.insert(collection, principal, chunk, tx);
          inserted.failed.forEach((failure) => failures.add(failure));
          if (!failures.empty) throw failures.refusal();
          count += inserted.count;
        }
        return count;
      });
      return { imported, failed: 0, errors: [] };
    } finally {
      await spool.discard();
    }
  }

  private async skipping(
    collection: CollectionSchema,
    principal: Principal | null,
    entries: AsyncIterable<ImportEntry>,
  ): Promise<ImportResult> {
    const failures = new ImportFailures();
    let imported = 0;
    for await (const chunk of chunks(entries, chunkSize(collection))) {
      const ready: PreparedLine[] = [];
      for (const entry of chunk) {
        const checked = await this.check(collection, entry);
        if ('errors' in checked) failures.add({ line: entry.line, errors: checked.errors });
        else ready.push(checked);
      }
      if (ready.length === 0) continue;
      const inserted = await this.records.transaction((tx) => this.insert(collection, principal, ready, tx));
      inserted.failed.forEach((failure) => failures.add(failure));
      imported += inserted.count;
    }
    return { imported, failed: failures.lines, errors: failures.listed };
  }

  /** One entry, as a created record would be: validated, references checked, encrypted fields sealed. */
  private async check(collection: CollectionSchema, entry: ImportEntry): Promise<PreparedLine | { errors: FieldError[] }> {
    if (entry.problems.length > 0) return { errors: entry.problems };
    const nul = nulCharacterPath(entry.value, '', 0);
    if (nul !== undefined)
      return { errors: [{ path: nul || '(record)', code: 'nulCharacter', message: 'text must not contain a NUL character' }] };
    try {
      const { value, problems } = await this.input.problems(collection, entry.value, 'create');
      if (problems.length > 0) return { errors: problems };
      return { line: entry.line, data: this.input.seal(collection, value) };
    } catch (error) {
      // A record over the collection's size limit fails its line, not the whole upload.
      if (error instanceof PayloadTooLarge) return { errors: [{ path: '(record)', code: 'tooLarge', message: error.message }] };
      throw error;
    }
  }

  /**
   * Inserts one chunk inside `tx`. When the statement fails on a record (a unique value
   * taken, or repeated within the upload), the chunk is retried record by record, each
   * under a savepoint, to name the lines at fault; the others still go in.
   */
  private async insert(
    collection: CollectionSchema,
    principal: Principal | null,
    chunk: PreparedLine[],
    tx: Queryable,
  ): Promise<{ count: number; failed: LineFailure[] }> {
    try {
      return await this.underSavepoint(tx, () => this.insertAll(collection, principal, chunk, tx));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
    const result = { count: 0, failed: [] as LineFailure[] };
    for (const entry of chunk) {
      try {
        const one = await this.underSavepoint(tx, () => this.insertAll(collection, principal, [entry], tx));
        result.count += one.count;
        result.failed.push(...one.failed);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        const field = error instanceof Conflict ? (error.extensions.field as string | undefined) : undefined;
        result.failed.push({ line: entry.line, errors: [{ path: field ?? '(record)', code: error.kind, message: error.message }] });
      }
    }
    return result;
  }

  /** Inserts under the create rule; a record the rule refuses fails its line. */
  private async insertAll(
    collection: CollectionSchema,
    principal: Principal | null,
    chunk: PreparedLine[],
    tx: Queryable,
  ): Promise<{ count: number; failed: LineFailure[] }> {
    const records = chunk.map((entry) => ({ id: uuidv7(), ownerId: principal?.userId ?? null, data: entry.data }));
    const inserted = new Set((await this.records.insert(collection, principal, records, tx)).map((row) => row.id));
    const failed = chunk
      .filter((_, index) => !inserted.has(records[index].id))
      .map((entry) => ({
        line: entry.line,
        errors: [{ path: '(record)', code: 'forbidden', message: `the create rule of ${collection.name} does not allow this record` }],
      }));
    return { count: inserted.size, failed };
  }

  private async underSavepoint<T>(tx: Queryable, work: () => Promise<T>): Promise<T> {
    await tx.query('SAVEPOINT import_chunk');
    try {
      const result = await work();
      await tx.query('RELEASE SAVEPOINT import_chunk');
      return result;
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT import_chunk');
      throw error;
    }
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

/**
 * Where a string holds U+0000, or undefined: PostgreSQL cannot store it, and the line
 * should say so rather than fail its chunk. (Deeper than 32 levels the database's own
 * refusal still fails just that line.)
 */
function nulCharacterPath(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null || depth > 32) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const itemPath = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return itemPath;
    const found = nulCharacterPath(item, itemPath, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
