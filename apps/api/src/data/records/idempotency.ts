import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DatabaseConnection } from '@backlot/database';
import { Conflict, Unprocessable, ValidationFailed } from '@backlot/http';
import { createHash } from 'node:crypto';

const KEY = /^[\x21-\x7e]{1,255}$/;
// No request runs this long (transactions time out well before): a claim this old was abandoned.
const ABANDONED_AFTER_SECONDS = 300;

export interface IdempotentResponse<T> {
  status: number;
  body: T;
  replayed: boolean;
}

/**
 * Idempotency-Key for creates and batches: the first response to a key is stored and
 * replayed for retries of the same request; the same key with another body is a 422, and
 * a retry racing the original is a 409. Keys are scoped to caller, method and path, and
 * expire. A request that fails releases its key, so it can be retried.
 */
@Injectable()
export class IdempotencyKeys {
  private readonly ttlSeconds: number;

  constructor(
    private readonly db: DatabaseConnection,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlSeconds = config.data.idempotencyTtlSeconds;
  }

  async run<T>(
    key: string | undefined,
    scope: { userId: string | null; ip: string; method: string; path: string },
    body: unknown,
    work: () => Promise<{ status: number; body: T }>,
  ): Promise<IdempotentResponse<T>> {
    if (key === undefined) return { ...(await work()), replayed: false };
    if (!KEY.test(key))
      throw new ValidationFailed([
        { path: 'Idempotency-Key', code: 'invalid', message: 'Idempotency-Key must be 1–255 visible ASCII characters' },
      ]);
    // Anonymous callers are told apart by address, so one cannot replay another's response.
    const keyHash = sha256(`${scope.userId ?? `anonymous@${scope.ip}`}\n${scope.method}\n${scope.path}\n${key}`);
    const requestHash = sha256(JSON.stringify(body ?? null));
    const claimed = await this.db.query(
      `INSERT INTO idempotency_keys (key_hash, request_hash, status, response, expires_at)
       VALUES ($1, $2, 0, 'null'::jsonb, now() + make_interval(secs => $3))
       ON CONFLICT (key_hash) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, status = 0, response = 'null'::jsonb, created_at = now(), expires_at = EXCLUDED.expires_at
         -- expired, or claimed by a request that never finished (its process died)
         WHERE idempotency_keys.expires_at < now()
            OR (idempotency_keys.status = 0 AND idempotency_keys.created_at < now() - make_interval(secs => $4))
       RETURNING key_hash`,
      [keyHash, requestHash, this.ttlSeconds, ABANDONED_AFTER_SECONDS],
    );
    if (claimed.length === 0) return this.replay<T>(keyHash, requestHash);
    try {
      const result = await work();
      await this.db.query('UPDATE idempotency_keys SET status = $2, response = $3::jsonb WHERE key_hash = $1', [
        keyHash,
        result.status,
        JSON.stringify(result.body),
      ]);
      return { ...result, replayed: false };
    } catch (error) {
      await this.db.query('DELETE FROM idempotency_keys WHERE key_hash = $1', [keyHash]);
      throw error;
    }
  }

  /** Removes expired keys; returns how many. */
  async sweep(): Promise<number> {
    return (await this.db.query('DELETE FROM idempotency_keys WHERE expires_at < now() RETURNING key_hash')).length;
  }

  private async replay<T>(keyHash: string, requestHash: string): Promise<IdempotentResponse<T>> {
    const [row] = await this.db.query<{ request_hash: string; status: number; response: T }>(
      'SELECT request_hash, status, response FROM idempotency_keys WHERE key_hash = $1',
      [keyHash],
    );
    // Released between our insert attempt and this read: the original failed; ask for a retry.
    if (!row) throw new Conflict('A request with this Idempotency-Key just failed; retry it.');
    if (row.request_hash !== requestHash)
      throw new Unprocessable(
        [{ path: 'Idempotency-Key', code: 'reused', message: 'this Idempotency-Key was used for a different request body' }],
        'The Idempotency-Key was already used with a different request.',
      );
    if (row.status === 0) throw new Conflict('A request with this Idempotency-Key is still being processed; retry shortly.');
    return { status: row.status, body: row.response, replayed: true };
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
