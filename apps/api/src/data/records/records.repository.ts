import { Injectable } from '@nestjs/common';
import { DatabaseConnection, type Queryable } from '@backlot/database';
import type { Principal } from '@backlot/security';
import { v7 as uuidv7 } from 'uuid';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import { SqlParams } from '../query/filter-compiler';
import { type RecordAction, RecordChanges } from './record-changes';
import { RECORD_COLUMNS, type RecordRow, toRecordError } from './record-row';

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

export interface CollectionRecordCounts {
  name: string;
  live: number;
  trashed: number;
}

/** Rows only: trash holds soft-deleted ones, live the others. */
type Liveness = 'live' | 'trashed' | 'any';

/**
 * Records over plain SQL (no Prisma on this hot path). Every method takes the collection
 * and the caller, and adds the collection's rule for the action to its WHERE clause, so no
 * query can forget row-level security. Each write stores its revision in the same statement.
 */
@Injectable()
export class RecordsRepository {
  constructor(
    private readonly db: DatabaseConnection,
    private readonly changes: RecordChanges,
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

  /** Inserts records the create rule allows; returns them (fewer than given means the rule refused some). */
  async insert(
    collection: CollectionSchema,
    principal: Principal | null,
    records: NewRecord[],
    q: Queryable = this.db,
  ): Promise<RecordRow[]> {
    const params = new SqlParams();
    // One JSON document for the whole batch: one bound parameter, however many records.
    const rows = params.add(
      JSON.stringify(records.map((r) => ({ id: r.id, owner_id: r.ownerId, data: r.data, revision_id: uuidv7() }))),
      'jsonb',
    );
    const collectionId = params.add(collection.id, 'uuid');
    const actor = params.add(principal?.userId || null, 'uuid');
    const rule = collection.ruleCondition('create', principal, params);
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

  /** A live record regardless of rules, with microsecond timestamps: what the record cache holds. */
  async findLive(collection: CollectionSchema, id: string): Promise<(RecordRow & { created_us: string; updated_us: string }) | undefined> {
    const [row] = await this.db.query<RecordRow & { created_us: string; updated_us: string }>(
      `SELECT ${RECORD_COLUMNS},
              (extract(epoch FROM r.created_at) * 1000000)::bigint::text AS created_us,
              (extract(epoch FROM r.updated_at) * 1000000)::bigint::text AS updated_us
         FROM records r WHERE r.id = $1::uuid AND r.collection_id = $2::uuid AND r.deleted_at IS NULL`,
      [id, collection.id],
    );
    return row;
  }

  /** Ids among `ids` that are live records of the collection (relation checks; no rule: existence only). */
  async existing(collection: CollectionSchema, ids: string[], q: Queryable = this.db): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await q.query<{ id: string }>(
      'SELECT id::text FROM records WHERE collection_id = $1::uuid AND id = ANY($2::uuid[]) AND deleted_at IS NULL',
      [collection.id, ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Records readable under `action`'s rule among `ids` (expansions). */
  async findMany(collection: CollectionSchema, principal: Principal | null, ids: string[], q: Queryable = this.db): Promise<RecordRow[]> {
    if (ids.length === 0) return [];
    const params = new SqlParams();
    const where = this.scope(collection, principal, 'view', params, 'live');
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
  ): Promise<RecordRow | undefined> {
    const params = new SqlParams();
    const payload = params.add(JSON.stringify(change.data), 'jsonb');
    const next = change.kind === 'patch' ? `(r.data || ${payload})` : this.keepHidden(collection, payload, params);
    const conditions = [`r.id = ${params.add(target.id, 'uuid')}`, this.scope(collection, principal, 'update', params, 'live')];
    if (target.expectedVersion !== undefined) conditions.push(`r.version = ${params.add(target.expectedVersion, 'int')}`);
    const set = `data = ${next}, search = ${collection.searchVector(next)}`;
    const sql = withRevision(set, conditions, change.kind === 'restore' ? 'restore' : 'update', principal, params);
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

  /** Rows of any query the list builder made (its WHERE already holds the rule). */
  async select<T = RecordRow>(collection: CollectionSchema, sql: string, values: unknown[], q: Queryable = this.db): Promise<T[]> {
    try {
      return await q.query<T>(sql, values);
    } catch (error) {
      throw toRecordError(error, collection);
    }
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

  /** Referencing records of a relation field pointing at `ids` (on-delete handling). */
  async referencing(collection: CollectionSchema, field: string, ids: string[], q: Queryable): Promise<string[]> {
    const rows = await q.query<{ id: string }>(
      // `?|` matches a string value as well as the elements of an array (single and multiple relations).
      'SELECT id::text FROM records WHERE collection_id = $1::uuid AND deleted_at IS NULL AND (data -> $2::text) ?| $3::text[]',
      [collection.id, field, ids],
    );
    return rows.map((row) => row.id);
  }

  /** Clears a relation to `ids` in every record of the collection (on-delete "setNull"). */
  async clearReferences(collection: CollectionSchema, field: string, ids: string[], q: Queryable): Promise<void> {
    const cleared = await q.query<RecordRow>(
      `UPDATE records SET version = version + 1, updated_at = now(),
              data = CASE WHEN jsonb_typeof(data -> $2::text) = 'array'
                          THEN jsonb_set(data, ARRAY[$2::text], coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements(data -> $2::text) e
                                                                           WHERE NOT (e #>> '{}') = ANY($3::text[])), '[]'::jsonb))
                          ELSE jsonb_set(data, ARRAY[$2::text], 'null'::jsonb) END
        WHERE collection_id = $1::uuid AND deleted_at IS NULL
          AND (data -> $2::text) ?| $3::text[]
        RETURNING id, owner_id, data, version, created_at, updated_at, deleted_at`,
      [collection.id, field, ids],
    );
    this.announce(collection, 'updated', null, q, cleared);
  }

  /** Live and trashed records per collection, for the admin stats: totals only, no rows, so no caller's rule applies. */
  countsByCollection(): Promise<CollectionRecordCounts[]> {
    return this.db.query<CollectionRecordCounts>(
      `SELECT c.name, count(r.id) FILTER (WHERE r.deleted_at IS NULL)::int AS live,
              count(r.id) FILTER (WHERE r.deleted_at IS NOT NULL)::int AS trashed
         FROM collections c LEFT JOIN records r ON r.collection_id = c.id
        GROUP BY c.name ORDER BY c.name`,
    );
  }

  /** Removes trashed records older than the collection's retention. */
  async purgeExpiredTrash(collection: CollectionSchema): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM records WHERE collection_id = $1::uuid AND deleted_at < now() - make_interval(days => $2) RETURNING id`,
      [collection.id, collection.options.trashRetentionDays],
    );
    return rows.length;
  }

  /** A deleted user's records: removed, or kept without owner (and without the user in their history). */
  async forgetOwner(collection: CollectionSchema, userId: string, q: Queryable): Promise<void> {
    const returning = 'RETURNING id, owner_id, data, version, created_at, updated_at, deleted_at';
    if (collection.options.onUserDeleted === 'delete') {
      const rows = await q.query<RecordRow>(`DELETE FROM records WHERE collection_id = $1::uuid AND owner_id = $2::uuid ${returning}`, [
        collection.id,
        userId,
      ]);
      // Rows already in the trash were announced as deleted when they went there.
      this.announce(
        collection,
        'deleted',
        null,
        q,
        rows.filter((row) => row.deleted_at === null),
      );
    } else {
      const rows = await q.query<RecordRow>(
        `UPDATE records SET owner_id = NULL WHERE collection_id = $1::uuid AND owner_id = $2::uuid ${returning}`,
        [collection.id, userId],
      );
      this.announce(
        collection,
        'updated',
        null,
        q,
        rows.filter((row) => row.deleted_at === null),
      );
    }
    await q.query(
      `UPDATE record_revisions SET actor_id = NULL
        WHERE actor_id = $2::uuid AND record_id IN (SELECT id FROM records WHERE collection_id = $1::uuid)`,
      [collection.id, userId],
    );
  }

  /** The WHERE conditions every read and write shares: this collection, liveness, and the action's rule. */
  scope(collection: CollectionSchema, principal: Principal | null, action: RuleAction, params: SqlParams, liveness: Liveness): string {
    const conditions = [`r.collection_id = ${params.add(collection.id, 'uuid')}`];
    if (liveness === 'live') conditions.push('r.deleted_at IS NULL');
    if (liveness === 'trashed') conditions.push('r.deleted_at IS NOT NULL');
    const rule = collection.ruleCondition(action, principal, params);
    if (rule) conditions.push(rule);
    return conditions.join(' AND ');
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

  private async run<T = RecordRow>(collection: CollectionSchema, q: Queryable, sql: string, params: SqlParams): Promise<T[]> {
    try {
      return await q.query<T>(sql, params.values);
    } catch (error) {
      throw toRecordError(error, collection);
    }
  }
}

/**
 * One statement that changes one record (bumping version and updated time) and stores the
 * revision of that change: a write without its history entry cannot happen.
 */
function withRevision(set: string, conditions: string[], action: string, principal: Principal | null, params: SqlParams): string {
  return `
    WITH changed AS (
      UPDATE records r SET ${set}, version = r.version + 1, updated_at = now()
       WHERE ${conditions.join(' AND ')}
      RETURNING r.*),
    revision AS (
      INSERT INTO record_revisions (id, record_id, version, action, data, actor_id, at)
      SELECT ${params.add(uuidv7(), 'uuid')}, c.id, c.version, ${params.add(action, 'text')}, c.data, ${params.add(principal?.userId || null, 'uuid')}, c.updated_at
        FROM changed c)
    SELECT ${RECORD_COLUMNS} FROM changed r`;
}
