import { Injectable } from '@nestjs/common';
import { DatabaseConnection } from '@backlot/database';

/** A stored first response: status 0 while its request is still running. */
export interface StoredResponse<T> {
  requestHash: string;
  status: number;
  response: T;
}

/** The idempotency_keys table: claims, stored responses, expiry. Keys arrive hashed. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: DatabaseConnection) {}

  /**
   * Claims the key for a request: a new key, an expired one, or one claimed by a request that
   * never finished (its process died) older than `abandonedAfterSeconds`. False when another
   * request holds or has answered it.
   */
  async claim(keyHash: string, requestHash: string, ttlSeconds: number, abandonedAfterSeconds: number): Promise<boolean> {
    const claimed = await this.db.query(
      `INSERT INTO idempotency_keys (key_hash, request_hash, status, response, expires_at)
       VALUES ($1, $2, 0, 'null'::jsonb, now() + make_interval(secs => $3))
       ON CONFLICT (key_hash) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, status = 0, response = 'null'::jsonb, created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at < now()
            OR (idempotency_keys.status = 0 AND idempotency_keys.created_at < now() - make_interval(secs => $4))
       RETURNING key_hash`,
      [keyHash, requestHash, ttlSeconds, abandonedAfterSeconds],
    );
    return claimed.length > 0;
  }

  async answer(keyHash: string, status: number, response: unknown): Promise<void> {
    await this.db.query('UPDATE idempotency_keys SET status = $2, response = $3::jsonb WHERE key_hash = $1', [
      keyHash,
      status,
      JSON.stringify(response),
    ]);
  }

  async release(keyHash: string): Promise<void> {
    await this.db.query('DELETE FROM idempotency_keys WHERE key_hash = $1', [keyHash]);
  }

  async find<T>(keyHash: string): Promise<StoredResponse<T> | undefined> {
    const [row] = await this.db.query<{ request_hash: string; status: number; response: T }>(
      'SELECT request_hash, status, response FROM idempotency_keys WHERE key_hash = $1',
      [keyHash],
    );
    return row && { requestHash: row.request_hash, status: row.status, response: row.response };
  }

  /** Removes expired keys; returns how many. */
  async sweep(): Promise<number> {
    return (await this.db.query('DELETE FROM idempotency_keys WHERE expires_at < now() RETURNING key_hash')).length;
  }
}
