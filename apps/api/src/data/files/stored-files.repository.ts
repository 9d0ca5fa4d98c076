import { Injectable } from '@nestjs/common';
import { DatabaseConnection, type Queryable } from '@backlot/database';
import type { WrittenAlong } from '../records/records.repository';

const NO_DIGEST = '0'.repeat(64);

/** A stored object as stored_files tracks it. */
export interface StoredFileRow {
  key: string;
  collectionId: string;
  recordId: string;
  field: string;
  name: string;
  size: number;
  type: string;
  sha256: string;
  state: 'pending' | 'live' | 'deleting';
}

/** An object an upload stored, by its key, with what its bytes turned out to be. */
export interface StoredUpload {
  key: string;
  size: number;
  type: string;
  sha256: string;
}

const COLUMNS = `key, collection_id AS "collectionId", record_id AS "recordId", field, name, size::float8 AS size, type, sha256, state`;

/**
 * stored_files: every object uploads put in storage. A row is written (`pending`) before the
 * object appears at its key, turns `live` in the statement that writes the record using it and
 * `deleting` in the one that drops it from its record, so a crash at any point leaves a row the
 * sweep can act on.
 */
@Injectable()
export class StoredFilesRepository {
  constructor(private readonly db: DatabaseConnection) {}

  async addPending(file: {
    key: string;
    collectionId: string;
    recordId: string;
    field: string;
    name: string;
    ownerId: string | null;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO stored_files (key, collection_id, record_id, field, name, size, type, sha256, owner_id, state)
       VALUES ($1, $2::uuid, $3::uuid, $4, $5, 0, 'application/octet-stream', $6, $7::uuid, 'pending')`,
      [file.key, file.collectionId, file.recordId, file.field, file.name, NO_DIGEST, file.ownerId],
      { prepare: true },
    );
  }

  /**
   * Written along with the record write that uses them: its new files go live with what their
   * bytes turned out to be, the ones it dropped are to be deleted; only if that write wrote the record.
   */
  settling(added: readonly StoredUpload[], dropped: readonly string[]): WrittenAlong {
    return (params, written) => {
      const ctes: string[] = [];
      if (added.length > 0) {
        const column = <K extends keyof StoredUpload>(name: K, cast: string) =>
          params.add(
            added.map((file) => file[name]),
            cast,
          );
        const keys = column('key', 'text[]');
        const uploads = `unnest(${keys}, ${column('size', 'bigint[]')}, ${column('type', 'text[]')}, ${column('sha256', 'text[]')})`;
        // Found by key (the primary key), never by state: pending rows left by failed uploads would otherwise be scanned.
        ctes.push(`UPDATE stored_files f SET state = 'live', size = a.size, type = a.type, sha256 = a.sha256, updated_at = now()
            FROM ${uploads} AS a(key, size, type, sha256)
           WHERE f.key = ANY(${keys}) AND f.key = a.key AND f.state = 'pending' AND f.record_id IN (SELECT id FROM ${written})`);
      }
      if (dropped.length > 0)
        ctes.push(`UPDATE stored_files SET state = 'deleting', updated_at = now()
           WHERE key = ANY(${params.add(dropped, 'text[]')}) AND record_id IN (SELECT id FROM ${written})`);
      return ctes;
    };
  }

  async forget(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.db.query(`DELETE FROM stored_files WHERE key = ANY($1::text[])`, [keys]);
  }

  /** How many of these rows still exist (the sweep's deletes that did not go through). */
  async stillThere(keys: readonly string[]): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM stored_files WHERE key = ANY($1::text[])`, [keys]);
    return row?.n ?? 0;
  }

  /** Live files of one record (what a download or a restore may use). */
  async liveOf(collectionId: string, recordId: string, q: Queryable = this.db): Promise<StoredFileRow[]> {
    return q.query<StoredFileRow>(
      `SELECT ${COLUMNS} FROM stored_files WHERE collection_id = $1::uuid AND record_id = $2::uuid AND state = 'live'`,
      [collectionId, recordId],
    );
  }

  async find(key: string): Promise<StoredFileRow | undefined> {
    return (await this.db.query<StoredFileRow>(`SELECT ${COLUMNS} FROM stored_files WHERE key = $1`, [key]))[0];
  }

  /** Bytes a user's uploads take (pending and live: an upload in flight counts against the quota). */
  async usageOf(ownerId: string): Promise<number> {
    const [row] = await this.db.query<{ bytes: number }>(
      `SELECT COALESCE(sum(size), 0)::float8 AS bytes FROM stored_files WHERE owner_id = $1::uuid AND state <> 'deleting'`,
      [ownerId],
    );
    return row?.bytes ?? 0;
  }

  /**
   * Marks for deletion what nothing will use any more: pending uploads older than the grace
   * period (their write crashed or failed), and live files no record refers to any more: the
   * record is gone (purged from the trash, deleted with its owner, dropped with its collection)
   * or a write that does not go through RecordFiles left the file out (a restored revision, a
   * schema change). A trashed record still refers to its files. Returns the rows to delete,
   * oldest first.
   */
  async claimGarbage(graceSeconds: number, limit: number): Promise<StoredFileRow[]> {
    await this.db.query(
      `UPDATE stored_files f SET state = 'deleting', updated_at = now()
        WHERE (f.state = 'pending' AND f.updated_at < now() - make_interval(secs => $1))
           OR (f.state = 'live' AND NOT EXISTS (
                SELECT 1 FROM records r
                 WHERE r.id = f.record_id AND r.collection_id = f.collection_id
                   AND (r.data -> f.field ->> 'name' = f.name
                        OR (jsonb_typeof(r.data -> f.field) = 'array'
                            AND r.data -> f.field @> jsonb_build_array(jsonb_build_object('name', f.name))))))`,
      [graceSeconds],
    );
    return this.db.query<StoredFileRow>(`SELECT ${COLUMNS} FROM stored_files WHERE state = 'deleting' ORDER BY updated_at LIMIT $1`, [
      limit,
    ]);
  }
}
