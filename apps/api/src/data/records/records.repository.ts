import { Injectable } from '@nestjs/common';
import { DatabaseConnection, EventLoopSlices, newId, type Queryable, underSavepoint } from '@backlot/database';
import type { Principal } from '@backlot/security';
import { RecordAccess } from '../access/record-access';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import { SqlParams } from '../query/filter-compiler';
import { type RecordAction, RecordChanges } from './record-changes';
import { RECORD_COLUMNS, type RecordRow } from './record-row';
import { type Liveness, queryRecords, recordScope } from './record-scope';

/** An open transaction as the repository hands it to services: they pass it back to its methods, never query it. */
export type Transaction = Queryable;

export interface NewRecord {
  id: string;
  ownerId: string | null;
  data: Record<string, unknown>;
}

/** Which record, and the version the caller expects it to be at (If-Match), if any. */
export interface RecordTarget {
  id: string;
  expectedVersion?: number;
}

export type RecordChange =
  | { kind: 'patch'; data: Record<string, unknown> }
  | { kind: 'replace'; data: Record<string, unknown> }
  | { kind: 'restore'; data: Record<string, unknown> };

/**
 * Another table's write that must commit with a record write (the stored files it settles): the
 * bodies of data-modifying CTEs run in the record write's own statement, so both commit or
 * neither does without a transaction around them. `written` names the CTE of the record rows
 * written (with their `id`): a CTE limits itself to them, and does nothing when the rule refused.
 */
export type WrittenAlong = (params: SqlParams, written: string) => string[];

/** What an upsert did with one id: wrote it, or why not. */
export type UpsertOutcome = 'created' | 'replaced' | 'createRefused' | 'updateRefused' | 'notOwner' | 'trashed' | 'elsewhere';

/**
 * Records over plain SQL (no Prisma on this hot path), one or a few at a time: creates,
 * changes, deletes, reads by id, history. Every method that touches rows for someone takes the
 * collection and the caller and starts from their scope (recordScope: the collection's rule
 * for the action, from RecordAccess), so no statement can leave the rule out; the few that
 * act for the system (cascades, maintenance, the record cache's loader) say so. Each write
 * stores its revision in the same statement. Listings, exports and reports are in
 * RecordQueriesRepository.
 */
@Injectable()
export class RecordsRepository {
  constructor(
    private readonly db: DatabaseConnection,
    private readonly changes: RecordChanges,
    private readonly access: RecordAccess,
  ) {}

  /** Changes made in the transaction are announced after it commits, and never if it rolls back. */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let held: Queryable | undefined;
    const result = await this.db.transaction((tx) => {
      held = tx;
      this.changes.hold(tx);
      return work(tx);
    });
    if (held) this.changes.release(held);
    return result;
  }

  /**
   * Runs `work` inside `tx` so that if it fails, only its own writes are undone and the
   * transaction goes on (to retry a chunk record by record and name the one at fault).
   */
  savepoint<T>(tx: Transaction, work: () => Promise<T>): Promise<T> {
    return underSavepoint(tx, work);
  }

  /**
   * A pacer for loops of record queries (imports): the embedded database answers on this
   * thread, so a loop calls its `breathe()` once per step to let other requests in.
   */
  paced(): EventLoopSlices {
    return new EventLoopSlices();
  }

  /** Inserts records the create rule allows; returns them (fewer than given means the rule refused some). */
  async insert(
    collection: CollectionSchema,
    principal: Principal | null,
    records: NewRecord[],
    q: Queryable = this.db,
    along?: WrittenAlong,
  ): Promise<RecordRow[]> {
    const params = new SqlParams();
    // One JSON document for the whole batch: one bound parameter, however many records.
    const rows = params.add(
      JSON.stringify(records.map((r) => ({ id: r.id, owner_id: r.ownerId, data: r.data, revision_id: newId() }))),
      'jsonb',
    );
    const collectionId = params.add(collection.id, 'uuid');
    const actor = params.add(principal?.userId || null, 'uuid');
    const rule = this.access.condition(collection, 'create', principal, params);
    const sql = `
      WITH r AS (
        SELECT v.id, v.owner_id, v.data, v.revision_id, now() AS created_at, now() AS updated_at
          FROM jsonb_to_recordset(${rows}) AS v(id uuid, owner_id uuid, data jsonb, revision_id uuid)),
      inserted AS (
        INSERT INTO records (id, collection_id, owner_id, data, version, search, created_at, updated_at)
        SELECT r.id, ${collectionId}, r.owner_id, r.data, 1, ${collection.searchVector('r.data')}, r.created_at, r.updated_at
          FROM r WHERE ${rule ?? 'TRUE'}
        RETURNING *),
      revision AS (
        INSERT INTO record_revisions (id, record_id, version, action, data, actor_id, at)
        SELECT r.revision_id, i.id, 1, 'create', i.data, ${actor}, i.created_at FROM inserted i JOIN r ON r.id = i.id)
      ${alongCtes(along, params, 'inserted')}
      SELECT ${RECORD_COLUMNS} FROM inserted r`;
    return this.announce(collection, 'created', principal, q, await this.run(collection, q, sql, params));
  }

  async findOne(
    collection: CollectionSchema,
    principal: Principal | null,
    id: string,
    options: { action?: RuleAction; liveness?: Liveness } = {},
    q: Queryable = this.db,
  ): Promise<RecordRow | undefined> {
    const params = new SqlParams();
    const where = this.scope(collection, principal, options.action ?? 'view', params, options.liveness ?? 'live');
    const sql = `SELECT ${RECORD_COLUMNS} FROM records r WHERE r.id = ${params.add(id, 'uuid')} AND ${where}`;
    return (await this.run(collection, q, sql, params))[0];
  }

  /**
   * Writes records under the ids they bring (imports that keep ids). An id no record has is
   * created under the create rule; the id of a live record of this collection replaces it
   * under the update rule (hidden fields not sent are kept), and only its owner or an admin may.
   * Returns what happened to each id: `created`, `replaced`, or why nothing was written.
   */
  async upsert(
    collection: CollectionSchema,
    caller: Principal | null,
    records: NewRecord[],
    q: Queryable,
  ): Promise<Map<string, UpsertOutcome>> {
    const outcomes = new Map<string, UpsertOutcome>();
    if (records.length === 0) return outcomes;
    const stored = await q.query<{ id: string; collection_id: string; owner_id: string | null; trashed: boolean }>(
      `SELECT id::text, collection_id::text, owner_id::text, deleted_at IS NOT NULL AS trashed FROM records WHERE id = ANY($1::uuid[])`,
      [records.map((record) => record.id)],
    );
    const byId = new Map(stored.map((row) => [row.id, row]));
    const fresh = records.filter((record) => !byId.has(record.id));
    for (const row of await this.insert(collection, caller, fresh, q)) outcomes.set(row.id, 'created');
    for (const record of records) {
      const existing = byId.get(record.id);
      if (!existing) {
        if (!outcomes.has(record.id)) outcomes.set(record.id, 'createRefused');
      } else if (existing.collection_id !== collection.id) outcomes.set(record.id, 'elsewhere');
      else if (existing.trashed) outcomes.set(record.id, 'trashed');
      else if (!this.access.seesHidden(caller) && existing.owner_id !== (caller?.userId ?? null)) outcomes.set(record.id, 'notOwner');
      else {
        const replaced = await this.update(collection, caller, { id: record.id }, { kind: 'replace', data: record.data }, q);
        outcomes.set(record.id, replaced ? 'replaced' : 'updateRefused');
      }
    }
    return outcomes;
  }

  /** A live record regardless of rules, with microsecond timestamps: what the record cache holds. */
  async findLive(collection: CollectionSchema, id: string): Promise<(RecordRow & { created_us: string; updated_us: string }) | undefined> {
    const [row] = await this.db.query<RecordRow & { created_us: string; updated_us: string }>(
      `SELECT ${RECORD_COLUMNS},
              (extract(epoch FROM r.created_at) * 1000000)::bigint::text AS created_us,
              (extract(epoch FROM r.updated_at) * 1000000)::bigint::text AS updated_us
         FROM records r WHERE r.id = $1::uuid AND r.collection_id = $2::uuid AND r.deleted_at IS NULL`,
      [id, collection.id],
      { prepare: true },
    );
    return row;
  }

  /**
   * Ids among `ids` that are live records of the collection the caller may view (relation
   * checks). A collection only admins may view gives others none, rather than a 403 that
   * would differ from the answer for ids that do not exist.
   */
  async viewableIds(collection: CollectionSchema, principal: Principal | null, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    if (!this.access.isOpen(collection, 'view', principal)) return new Set();
    const params = new SqlParams();
    const where = this.scope(collection, principal, 'view', params, 'live');
    const sql = `SELECT r.id::text FROM records r WHERE r.id = ANY(${params.add(ids, 'uuid[]')}) AND ${where}`;
    return new Set((await this.run<{ id: string }>(collection, this.db, sql, params)).map((row) => row.id));
  }

  /** Live records among `ids` under `action`'s rule (expansions view them, batches read what they will update). */
  async findMany(
    collection: CollectionSchema,
    principal: Principal | null,
    ids: string[],
    q: Queryable = this.db,
    action: RuleAction = 'view',
  ): Promise<RecordRow[]> {
    if (ids.length === 0) return [];
    const params = new SqlParams();
    const where = this.scope(collection, principal, action, params, 'live');
    const sql = `SELECT ${RECORD_COLUMNS} FROM records r WHERE r.id = ANY(${params.add(ids, 'uuid[]')}) AND ${where}`;
    return this.run(collection, q, sql, params);
  }

  /**
   * Changes one live record the update rule allows, at the expected version if one is given.
   * Returns undefined when nothing matched (missing, not allowed, or another version).
   */
  async update(
    collection: CollectionSchema,
    principal: Principal | null,
    target: RecordTarget,
    change: RecordChange,
    q: Queryable = this.db,
    along?: WrittenAlong,
  ): Promise<RecordRow | undefined> {
    const params = new SqlParams();
    const payload = params.add(JSON.stringify(change.data), 'jsonb');
    const next = change.kind === 'patch' ? `(r.data || ${payload})` : this.keepHidden(collection, payload, params);
    const conditions = [`r.id = ${params.add(target.id, 'uuid')}`, this.scope(collection, principal, 'update', params, 'live')];
    if (target.expectedVersion !== undefined) conditions.push(`r.version = ${params.add(target.expectedVersion, 'int')}`);
    const set = `data = ${next}, search = ${collection.searchVector(next)}`;
    const sql = withRevision(set, conditions, change.kind === 'restore' ? 'restore' : 'update', principal, params, along);
    return this.announce(collection, 'updated', principal, q, await this.run(collection, q, sql, params))[0];
  }

  /** Soft delete (to the trash) or hard delete, under the delete rule. */
  async remove(
    collection: CollectionSchema,
    principal: Principal | null,
    target: RecordTarget,
    mode: 'trash' | 'purge',
    q: Queryable = this.db,
    from: 'live' | 'trashed' = 'live',
  ): Promise<RecordRow | undefined> {
    const params = new SqlParams();
    const conditions = [`r.id = ${params.add(target.id, 'uuid')}`, this.scope(collection, principal, 'delete', params, from)];
    if (target.expectedVersion !== undefined) conditions.push(`r.version = ${params.add(target.expectedVersion, 'int')}`);
    if (mode === 'purge') {
      const sql = `DELETE FROM records r WHERE ${conditions.join(' AND ')} RETURNING ${RECORD_COLUMNS}`;
      const rows = await this.run(collection, q, sql, params);
      // Purging from the trash removes what subscribers were already told was deleted.
      return (from === 'live' ? this.announce(collection, 'deleted', principal, q, rows) : rows)[0];
    }
    const sql = withRevision('deleted_at = now()', conditions, 'delete', principal, params);
    return this.announce(collection, 'deleted', principal, q, await this.run(collection, q, sql, params))[0];
  }

  /** Takes a record out of the trash (delete rule: whoever may delete it may undo that). */
  async untrash(
    collection: CollectionSchema,
    principal: Principal | null,
    id: string,
    q: Queryable = this.db,
  ): Promise<RecordRow | undefined> {
    const params = new SqlParams();
    const conditions = [`r.id = ${params.add(id, 'uuid')}`, this.scope(collection, principal, 'delete', params, 'trashed')];
    const sql = withRevision('deleted_at = NULL', conditions, 'undelete', principal, params);
    // Back from the trash, the record appears again for subscribers.
    return this.announce(collection, 'created', principal, q, await this.run(collection, q, sql, params))[0];
  }

  async revisions(
    recordId: string,
    options: { beforeVersion?: number; limit: number },
  ): Promise<{ version: number; action: string; data: Record<string, unknown>; actor_id: string | null; at: Date }[]> {
    return this.db.query(
      `SELECT version, action, data, actor_id::text, at FROM record_revisions
        WHERE record_id = $1::uuid AND version < $2 ORDER BY version DESC LIMIT $3`,
      [recordId, options.beforeVersion ?? 2_147_483_647, options.limit],
    );
  }

  async revision(recordId: string, version: number): Promise<{ data: Record<string, unknown>; action: string } | undefined> {
    const [row] = await this.db.query<{ data: Record<string, unknown>; action: string }>(
      'SELECT data, action FROM record_revisions WHERE record_id = $1::uuid AND version = $2',
      [recordId, version],
    );
    return row;
  }

  private scope(
    collection: CollectionSchema,
    principal: Principal | null,
    action: RuleAction,
    params: SqlParams,
    liveness: Liveness,
  ): string {
    return recordScope(this.access, collection, principal, action, params, liveness);
  }

  /** A replacement keeps hidden fields the caller did not send: callers cannot see them to send them back. */
  private keepHidden(collection: CollectionSchema, payload: string, params: SqlParams): string {
    if (collection.hidden.size === 0) return payload;
    const hidden = params.add([...collection.hidden], 'text[]');
    return `(coalesce((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(r.data) e WHERE e.key = ANY(${hidden}) AND NOT ${payload} ? e.key), '{}'::jsonb) || ${payload})`;
  }

  private announce(
    collection: CollectionSchema,
    action: RecordAction,
    principal: Principal | null,
    q: Queryable,
    rows: RecordRow[],
  ): RecordRow[] {
    this.changes.record(collection, action, rows, principal?.userId ?? null, q);
    return rows;
  }

  private run<T = RecordRow>(collection: CollectionSchema, q: Queryable, sql: string, params: SqlParams): Promise<T[]> {
    return queryRecords<T>(q, collection, sql, params);
  }
}

/**
 * One statement that changes one record (bumping version and updated time) and stores the
 * revision of that change: a write without its history entry cannot happen.
 */
function withRevision(
  set: string,
  conditions: string[],
  action: string,
  principal: Principal | null,
  params: SqlParams,
  along?: WrittenAlong,
): string {
  return `
    WITH changed AS (
      UPDATE records r SET ${set}, version = r.version + 1, updated_at = now()
       WHERE ${conditions.join(' AND ')}
      RETURNING r.*),
    revision AS (
      INSERT INTO record_revisions (id, record_id, version, action, data, actor_id, at)
      SELECT ${params.add(newId(), 'uuid')}, c.id, c.version, ${params.add(action, 'text')}, c.data, ${params.add(principal?.userId || null, 'uuid')}, c.updated_at
        FROM changed c)
    ${alongCtes(along, params, 'changed')}
    SELECT ${RECORD_COLUMNS} FROM changed r`;
}

/** `, along_0 AS (…), along_1 AS (…)` after a write's own CTEs (nothing without `along`). */
function alongCtes(along: WrittenAlong | undefined, params: SqlParams, written: string): string {
  return (along?.(params, written) ?? []).map((body, index) => `, along_${index} AS (${body})`).join('');
}
