import { Injectable } from '@nestjs/common';
import { newId, type Queryable } from '@backlot/database';
import { Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed } from '@backlot/http';
import type { Principal, RequestMeta } from '@backlot/security';
import { RecordAccess } from '../access/record-access';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { FieldDefinition } from '../collections/field-definition';
import type { FileRef } from '../files/file-ref';
import { type AttachMode, type FileWrite, RecordFiles, uploadsOf } from '../files/record-files';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import { IdempotencyKeys } from './idempotency';
import { RecordCache } from './record-cache';
import { RecordInput } from './record-input';
import type { RecordRow } from './record-row';
import { type RecordShape, type ViewOptions, viewOptions } from './record-shape';
import { RecordPresenter, type RecordView } from './record-view';
import { type ListQuery, RecordQueriesRepository } from './record-queries.repository';
import { type RecordChange, RecordsRepository, type RecordTarget } from './records.repository';
import { type CollectionRecordCounts, RecordsSystemRepository } from './records-system.repository';

const MAX_CASCADE_DEPTH = 5;
/** Reads of the record an attach may take when concurrent changes keep moving it. */
const ATTACH_ATTEMPTS = 3;

export interface RecordPage {
  items: RecordView[];
  nextCursor: string | null;
  total?: number;
}

/** What makes a create safe to retry: the client's Idempotency-Key, and who sent it. */
export interface RetryableRequest {
  idempotencyKey?: string;
  request: RequestMeta;
}

/** Record use cases: read, list, create, change, delete — each under the collection's rules. */
@Injectable()
export class RecordsService {
  constructor(
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsRepository,
    private readonly queries: RecordQueriesRepository,
    private readonly system: RecordsSystemRepository,
    private readonly input: RecordInput,
    private readonly presenter: RecordPresenter,
    private readonly cache: RecordCache,
    private readonly access: RecordAccess,
    private readonly idempotency: IdempotencyKeys,
    private readonly files: RecordFiles,
  ) {}

  /** Every collection with its numbers of live and trashed records (admin stats). */
  countsByCollection(): Promise<CollectionRecordCounts[]> {
    return this.system.countsByCollection();
  }

  async get(collection: CollectionSchema, principal: Principal | null, id: string, shape: RecordShape = {}): Promise<RecordView> {
    const options = this.viewOptions(collection, principal, shape);
    const row = await this.cache.find(collection, principal, id);
    if (!row) throw notFound(collection, id);
    return (await this.present(collection, principal, [row], options))[0];
  }

  /** A page of the records the caller may list (or, with `trashed`, of the trash they may view). */
  async list(
    collection: CollectionSchema,
    principal: Principal | null,
    query: ListQuery & RecordShape & { count?: boolean },
  ): Promise<RecordPage> {
    const options = this.viewOptions(collection, principal, query);
    const { rows, nextCursor } = await this.queries.list(collection, principal, query);
    const items = await this.present(collection, principal, rows, options);
    if (!query.count) return { items, nextCursor };
    return { items, nextCursor, total: await this.queries.count(collection, principal, query) };
  }

  /**
   * Creates a record from a client's body (JSON, or multipart with files); the caller owns it.
   * With an Idempotency-Key, a retry of the same request gets the first answer again
   * (`replayed`) instead of a second record, and what the retry uploaded is discarded.
   */
  async create(
    collection: CollectionSchema,
    principal: Principal | null,
    body: unknown,
    retry: RetryableRequest,
  ): Promise<{ record: RecordView; replayed: boolean }> {
    const scope = { userId: principal?.userId ?? null, ip: retry.request.ip, operation: `create ${collection.name}` };
    const id = newId();
    if (!RecordFiles.involved(collection, body)) {
      const result = await this.idempotency.run(retry.idempotencyKey, scope, body, async () => {
        const data = await this.input.prepare(collection, principal, body, 'create');
        return { status: 201, body: await this.createOne(collection, principal, id, data) };
      });
      return { record: result.body, replayed: result.replayed };
    }
    const write = await this.files.read(collection, principal, id, body, 'create', undefined);
    try {
      const result = await this.idempotency.run(retry.idempotencyKey, scope, write.fingerprint, async () => {
        const data = await this.input.prepare(collection, principal, write.body, 'create', 'resolved');
        return { status: 201, body: await this.createOne(collection, principal, id, data, write) };
      });
      if (result.replayed) await this.files.discard(write);
      return { record: result.body, replayed: result.replayed };
    } catch (error) {
      await this.files.discard(write);
      throw error;
    }
  }

  private async createOne(
    collection: CollectionSchema,
    principal: Principal | null,
    id: string,
    data: Record<string, unknown>,
    files?: FileWrite,
  ): Promise<RecordView> {
    const record = { id, ownerId: principal?.userId ?? null, data };
    const [row] = await this.records.insert(collection, principal, [record], undefined, files && this.files.settling(files));
    if (!row) throw createRefused(collection);
    return this.presenter.view(collection, row);
  }

  /**
   * Creates records from prepared data in one statement (batches: one round trip however
   * many). Aligned with `data`: undefined where the create rule refused the record.
   */
  async createMany(
    collection: CollectionSchema,
    principal: Principal | null,
    data: Record<string, unknown>[],
    tx?: Queryable,
    ids?: string[],
  ): Promise<(RecordView | undefined)[]> {
    const records = data.map((fields, index) => ({ id: ids?.[index] ?? newId(), ownerId: principal?.userId ?? null, data: fields }));
    const inserted = new Map((await this.records.insert(collection, principal, records, tx)).map((row) => [row.id, row]));
    return records.map((record) => {
      const row = inserted.get(record.id);
      return row && this.presenter.view(collection, row);
    });
  }

  async change(
    collection: CollectionSchema,
    principal: Principal | null,
    target: RecordTarget,
    kind: 'patch' | 'replace',
    body: unknown,
    prepared?: { data: Record<string, unknown>; tx: Queryable },
  ): Promise<RecordView> {
    if (!prepared && RecordFiles.involved(collection, body)) return this.changeWithFiles(collection, principal, target, kind, body);
    // Prepared data comes validated, sealed and size-checked (batches read before their transaction opens).
    const data = prepared?.data ?? (await this.input.prepare(collection, principal, body, kind));
    if (!prepared) await this.input.checkChangedSize(collection, principal, target.id, kind, data);
    const row = await this.records.update(collection, principal, target, { kind, data } as RecordChange, prepared?.tx);
    if (!row) return this.explainMiss(collection, principal, target, 'update', prepared?.tx);
    // Inside a caller's transaction the caller evicts after commit (an earlier eviction could be refilled with the old row).
    if (!prepared) await this.cache.evict(collection, [row.id]);
    return this.presenter.view(collection, row);
  }

  /**
   * A change that may upload, keep or drop files. The files are worked out against the record
   * as read here, so the write is pinned to that version: a concurrent change in between is a
   * 409 (or the client's own 412 with If-Match), never a record pointing at dropped files.
   */
  private async changeWithFiles(
    collection: CollectionSchema,
    principal: Principal | null,
    target: RecordTarget,
    kind: 'patch' | 'replace',
    body: unknown,
  ): Promise<RecordView> {
    const current = await this.records.findOne(collection, principal, target.id, { action: 'update' });
    if (!current) return this.explainMiss(collection, principal, target, 'update');
    const pinned = { id: target.id, expectedVersion: target.expectedVersion ?? current.version };
    if (pinned.expectedVersion !== current.version) return this.explainMiss(collection, principal, target, 'update');
    const write = await this.files.read(collection, principal, target.id, body, kind, current.data);
    let row;
    try {
      row = await this.writeFiles(collection, principal, pinned, kind, write);
      if (!row && target.expectedVersion === undefined)
        throw new Conflict('The record changed while this request was uploading; read it again and retry.');
      if (!row) await this.explainMiss(collection, principal, target, 'update');
    } catch (error) {
      await this.files.discard(write);
      throw error;
    }
    return this.filesWritten(collection, write, row!);
  }

  /** A FileWrite as a change pinned to the version its files were worked out against; undefined when the record has moved on. */
  private async writeFiles(
    collection: CollectionSchema,
    principal: Principal | null,
    pinned: { id: string; expectedVersion: number },
    kind: 'patch' | 'replace',
    write: FileWrite,
  ): Promise<RecordRow | undefined> {
    const data = await this.input.prepare(collection, principal, write.body, kind, 'resolved');
    await this.input.checkChangedSize(collection, principal, pinned.id, kind, data);
    return this.records.update(collection, principal, pinned, { kind, data } as RecordChange, undefined, this.files.settling(write));
  }

  /** After a FileWrite committed: the files it dropped go, the record is evicted and shown. */
  private async filesWritten(collection: CollectionSchema, write: FileWrite, row: RecordRow): Promise<RecordView> {
    await this.files.release(write);
    await this.cache.evict(collection, [row.id]);
    return this.presenter.view(collection, row);
  }

  /** Throws unless the caller may update the record now (404 unseen, 403 by rule): checked before bytes are accepted for it. */
  async checkUpdatable(collection: CollectionSchema, principal: Principal | null, id: string): Promise<void> {
    if (!(await this.records.findOne(collection, principal, id, { action: 'update' })))
      await this.explainMiss(collection, principal, { id }, 'update');
  }

  /**
   * Puts one stored file (a finished resumable upload) into a record's field, under the update
   * rule, as a patch pinned to the version it was worked out against. Nothing uploads between
   * the read and the write, so a concurrent change only makes it read the record again (a few
   * times, then 409). The file belongs to this write: on any refusal it is discarded.
   */
  async attachFile(
    collection: CollectionSchema,
    principal: Principal | null,
    recordId: string,
    field: FieldDefinition,
    mode: AttachMode,
    ref: FileRef,
  ): Promise<RecordView> {
    let write: FileWrite = { body: {}, added: uploadsOf(collection, recordId, [ref]), dropped: [], fingerprint: null };
    let row: RecordRow | undefined;
    try {
      for (let attempt = 1; !row; attempt++) {
        if (attempt > ATTACH_ATTEMPTS) throw new Conflict('The record kept changing while the file was attached to it; upload it again.');
        const current = await this.records.findOne(collection, principal, recordId, { action: 'update' });
        if (!current) return await this.explainMiss(collection, principal, { id: recordId }, 'update');
        write = this.files.attach(collection, recordId, field, mode, ref, current.data);
        row = await this.writeFiles(collection, principal, { id: recordId, expectedVersion: current.version }, 'patch', write);
      }
    } catch (error) {
      await this.files.discard(write);
      throw error;
    }
    return this.filesWritten(collection, write, row!);
  }

  /**
   * Soft delete (or hard, when the collection keeps no trash), with relations' on-delete
   * behaviour. Inside a caller's transaction, pass `within` with every collection loaded
   * beforehand: on the embedded database nothing outside the transaction may run until it ends.
   */
  async remove(
    collection: CollectionSchema,
    principal: Principal | null,
    target: RecordTarget,
    within?: { tx: Queryable; collections: CollectionSchema[] },
  ): Promise<void> {
    const mode = collection.options.softDelete ? 'trash' : 'purge';
    const collections = within?.collections ?? (await this.catalog.all());
    const work = async (tx?: Queryable) => {
      if (!(await this.records.remove(collection, principal, target, mode, tx)))
        await this.explainMiss(collection, principal, target, 'delete', tx);
      if (tx) await this.applyOnDelete(collection, [target.id], principal, tx, collections, 1);
    };
    if (within) return work(within.tx);
    if (referrersOf(collection, collections).length === 0) await work();
    else await this.records.transaction(work);
    await this.forgetCached(collection, [target.id], collections);
  }

  /** After a commit: evicts changed records and drops the caches of collections whose records on-delete rules may have changed. */
  async forgetCached(collection: CollectionSchema, ids: string[], collections: CollectionSchema[]): Promise<void> {
    await this.cache.evict(collection, ids);
    for (const { collection: other } of referrersOf(collection, collections)) await this.cache.invalidate(other.id);
  }

  /** Why a write matched nothing: 404 (not visible), 412 (other version) or 403 (rule). Always throws. */
  async explainMiss(
    collection: CollectionSchema,
    principal: Principal | null,
    target: RecordTarget,
    action: RuleAction,
    q?: Queryable,
  ): Promise<never> {
    const visible = await this.records.findOne(collection, principal, target.id, {}, q).catch((error: unknown) => {
      if (error instanceof Forbidden) return undefined;
      throw error;
    });
    if (!visible) throw notFound(collection, target.id);
    if (target.expectedVersion !== undefined && visible.version !== target.expectedVersion)
      throw new PreconditionFailed(`The record is at version ${visible.version}, not ${target.expectedVersion} (If-Match).`);
    throw new Forbidden(`The ${action} rule of ${collection.name} does not allow this.`);
  }

  private viewOptions(collection: CollectionSchema, principal: Principal | null, shape: RecordShape): ViewOptions {
    return viewOptions(collection, shape, this.access.seesHidden(principal));
  }

  /** Shapes rows and attaches expansions: one query per expanded field, whatever the number of rows. */
  async present(collection: CollectionSchema, principal: Principal | null, rows: RecordRow[], options: ViewOptions): Promise<RecordView[]> {
    const views = rows.map((row) => this.presenter.view(collection, row, options.fields));
    for (const name of options.expand ?? []) {
      const field = collection.fieldsByName.get(name);
      if (!field || field.type !== 'relation' || (field.hidden && !this.access.seesHidden(principal)))
        throw new ValidationFailed([
          { path: 'expand', code: 'notExpandable', message: `${name} is not a relation field of ${collection.name}` },
        ]);
      const target = await this.catalog.get(field.collection!);
      const ids = [...new Set(rows.flatMap((row) => idsOf(row.data[name])))];
      const related = await this.records.findMany(target, principal, ids).catch((error: unknown) => {
        // A target only admins may view expands to nothing rather than failing the whole read.
        if (error instanceof Forbidden) return [];
        throw error;
      });
      const byId = new Map(related.map((row) => [row.id, this.presenter.view(target, row)]));
      rows.forEach((row, index) => {
        const value = row.data[name];
        // A multiple relation always expands to a list (empty when unset), a single one to a record or null.
        const expanded = field.multiple ? idsOf(value).flatMap((id) => byId.get(id) ?? []) : (byId.get(value as string) ?? null);
        (views[index].expand ??= {})[name] = expanded;
      });
    }
    return views;
  }

  /** Relations pointing at deleted records: refuse (restrict), clear (setNull) or delete along (cascade). */
  private async applyOnDelete(
    collection: CollectionSchema,
    ids: string[],
    principal: Principal | null,
    tx: Queryable,
    collections: CollectionSchema[],
    depth: number,
  ): Promise<void> {
    for (const { collection: other, field } of referrersOf(collection, collections)) {
      const onDelete = field.onDelete ?? 'setNull';
      if (onDelete === 'setNull') {
        await this.system.clearReferences(other, field.name, ids, tx);
        continue;
      }
      const referencing = await this.system.referencing(other, field.name, ids, tx);
      if (referencing.length === 0) continue;
      if (onDelete === 'restrict')
        throw new Conflict(`${referencing.length} record(s) of ${other.name} still refer to it through ${field.name}.`);
      if (depth >= MAX_CASCADE_DEPTH)
        throw new Conflict('Deleting this record would cascade deeper than 5 levels; delete the dependants first.');
      // A cascade is the schema's decision, not the caller's: it runs with the system's rights.
      const system: Principal = principal ? { ...principal, role: 'admin' } : { kind: 'session', userId: '', role: 'admin', sessionId: '' };
      for (const id of referencing) await this.records.remove(other, system, { id }, other.options.softDelete ? 'trash' : 'purge', tx);
      await this.applyOnDelete(other, referencing, principal, tx, collections, depth + 1);
    }
  }
}

export function createRefused(collection: CollectionSchema): Forbidden {
  return new Forbidden(`The create rule of ${collection.name} does not allow this record.`);
}

export function notFound(collection: CollectionSchema, id: string): NotFound {
  return new NotFound(`There is no record ${id} in ${collection.name}.`);
}

function referrersOf(collection: CollectionSchema, collections: CollectionSchema[]) {
  return collections.flatMap((other) =>
    other.relations.filter((field) => field.collection === collection.name).map((field) => ({ collection: other, field })),
  );
}

function idsOf(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).filter((id): id is string => typeof id === 'string');
}
