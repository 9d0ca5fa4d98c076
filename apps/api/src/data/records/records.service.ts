import { Injectable } from '@nestjs/common';
import type { Queryable } from '@backlot/database';
import { Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { v7 as uuidv7 } from 'uuid';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import { buildList, type ListQuery } from './record-list';
import { RecordCache } from './record-cache';
import { RecordInput } from './record-input';
import type { RecordRow } from './record-row';
import { RecordPresenter, type RecordView } from './record-view';
import { type CollectionRecordCounts, type RecordChange, RecordsRepository, type RecordTarget } from './records.repository';

export const MAX_EXPAND = 10;
const MAX_CASCADE_DEPTH = 5;

export interface ViewOptions {
  fields?: ReadonlySet<string>;
  expand?: string[];
}

export interface RecordPage {
  items: RecordView[];
  nextCursor: string | null;
  total?: number;
}

/** Record use cases: read, list, create, change, delete — each under the collection's rules. */
@Injectable()
export class RecordsService {
  constructor(
    private readonly catalog: CollectionCatalog,
    private readonly records: RecordsRepository,
    private readonly input: RecordInput,
    private readonly presenter: RecordPresenter,
    private readonly cache: RecordCache,
  ) {}

  collection(name: string): Promise<CollectionSchema> {
    return this.catalog.get(name);
  }

  /** Every collection with its numbers of live and trashed records (admin stats). */
  countsByCollection(): Promise<CollectionRecordCounts[]> {
    return this.records.countsByCollection();
  }

  async get(collection: CollectionSchema, principal: Principal | null, id: string, options: ViewOptions = {}): Promise<RecordView> {
    const row = await this.cache.find(collection, principal, id);
    if (!row) throw notFound(collection, id);
    return (await this.present(collection, principal, [row], options))[0];
  }

  async list(
    collection: CollectionSchema,
    principal: Principal | null,
    query: ListQuery & { count?: boolean },
    options: ViewOptions = {},
  ): Promise<RecordPage> {
    const built = buildList(this.records, collection, principal, query, { withCount: query.count });
    const rows = await this.records.select<RecordRow & Record<string, unknown>>(collection, built.sql, built.params.values);
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const last = page.at(-1);
    const nextCursor =
      more && last && !built.ranked
        ? built.order.cursorFor(Array.from({ length: built.cursorWidth }, (_, i) => last[`c${i}`] as string))
        : null;
    const items = await this.present(collection, principal, page, options);
    if (!built.count) return { items, nextCursor };
    const [{ total }] = await this.records.select<{ total: number }>(collection, built.count.sql, built.count.values);
    return { items, nextCursor, total };
  }

  /** Creates a record from prepared data (RecordInput.prepare) or from a client's body. */
  async create(
    collection: CollectionSchema,
    principal: Principal | null,
    body: unknown,
    prepared?: { data: Record<string, unknown>; tx: Queryable },
  ): Promise<RecordView> {
    const data = prepared?.data ?? (await this.input.prepare(collection, body, 'create'));
    const [row] = await this.records.insert(
      collection,
      principal,
      [{ id: uuidv7(), ownerId: principal?.userId ?? null, data }],
      prepared?.tx,
    );
    if (!row) throw new Forbidden(`The create rule of ${collection.name} does not allow this record.`);
    return this.presenter.view(collection, row);
  }

  async change(
    collection: CollectionSchema,
    principal: Principal | null,
    target: RecordTarget,
    kind: 'patch' | 'replace',
    body: unknown,
    prepared?: { data: Record<string, unknown>; tx: Queryable },
  ): Promise<RecordView> {
    const data = prepared?.data ?? (await this.input.prepare(collection, body, kind));
    await this.input.checkChangedSize(collection, principal, target.id, kind, data, prepared?.tx);
    const row = await this.records.update(collection, principal, target, { kind, data } as RecordChange, prepared?.tx);
    if (!row) return this.explainMiss(collection, principal, target, 'update', prepared?.tx);
    // Inside a caller's transaction the caller evicts after commit (an earlier eviction could be refilled with the old row).
    if (!prepared) await this.cache.evict(collection, [row.id]);
    return this.presenter.view(collection, row);
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
    for (const { collection: other } of referrersOf(collection, collections)) await this.cache.invalidate(other);
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

  /** Shapes rows and attaches expansions: one query per expanded field, whatever the number of rows. */
  async present(collection: CollectionSchema, principal: Principal | null, rows: RecordRow[], options: ViewOptions): Promise<RecordView[]> {
    const views = rows.map((row) => this.presenter.view(collection, row, options.fields));
    for (const name of options.expand ?? []) {
      const field = collection.fieldsByName.get(name);
      if (!field || field.type !== 'relation' || (field.hidden && principal?.role !== 'admin'))
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
        await this.records.clearReferences(other, field.name, ids, tx);
        continue;
      }
      const referencing = await this.records.referencing(other, field.name, ids, tx);
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
