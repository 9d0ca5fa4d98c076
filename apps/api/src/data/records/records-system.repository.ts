import { Injectable } from '@nestjs/common';
import { DatabaseConnection, type Queryable } from '@backlot/database';
import type { CollectionSchema } from '../collections/collection-schema';
import { type RecordAction, RecordChanges } from './record-changes';
import type { RecordRow } from './record-row';

export interface CollectionRecordCounts {
  name: string;
  live: number;
  trashed: number;
  /** Stored files of the collection's records (live and trashed), and their bytes. */
  files: number;
  fileBytes: number;
}

/**
 * What the system does to records on no caller's behalf, so no caller's rule applies: what
 * a delete does to the records referring to it (the schema's on-delete, decided when the
 * deleting caller's own delete was allowed), trash retention, a deleted account's records,
 * and the totals of the admin stats. Changes are announced like any other.
 */
@Injectable()
export class RecordsSystemRepository {
  constructor(
    private readonly db: DatabaseConnection,
    private readonly changes: RecordChanges,
  ) {}

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
    this.announce(collection, 'updated', q, cleared);
  }

  /** Live and trashed records per collection, for the admin stats: totals only, no rows, so no caller's rule applies. */
  countsByCollection(): Promise<CollectionRecordCounts[]> {
    return this.db.query<CollectionRecordCounts>(
      `SELECT c.name, count(r.id) FILTER (WHERE r.deleted_at IS NULL)::int AS live,
              count(r.id) FILTER (WHERE r.deleted_at IS NOT NULL)::int AS trashed,
              f.files, f.bytes AS "fileBytes"
         FROM collections c LEFT JOIN records r ON r.collection_id = c.id
        CROSS JOIN LATERAL (SELECT count(*)::int AS files, COALESCE(sum(size), 0)::float8 AS bytes
                              FROM stored_files WHERE collection_id = c.id AND state = 'live') f
        GROUP BY c.name, f.files, f.bytes ORDER BY c.name`,
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

  /** The system acts for no user: its changes carry no actor. */
  private announce(collection: CollectionSchema, action: RecordAction, q: Queryable, rows: RecordRow[]): RecordRow[] {
    this.changes.record(collection, action, rows, null, q);
    return rows;
  }
}
