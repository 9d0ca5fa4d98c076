import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { Conflict, Unprocessable, ValidationFailed } from '@backlot/http';
import { createHash } from 'node:crypto';
import { IdempotencyRepository } from './idempotency.repository';

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
 * a retry racing the original is a 409. Keys are scoped to the caller and the operation
 * (`create tasks`, `batch tasks`), and expire. A request that fails releases its key, so it
 * can be retried.
 */
@Injectable()
export class IdempotencyKeys {
  private readonly ttlSeconds: number;

  constructor(
    private readonly repository: IdempotencyRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlSeconds = config.data.idempotencyTtlSeconds;
  }

  async run<T>(
    key: string | undefined,
    scope: { userId: string | null; ip: string; operation: string },
    body: unknown,
    work: () => Promise<{ status: number; body: T }>,
  ): Promise<IdempotentResponse<T>> {
    if (key === undefined) return { ...(await work()), replayed: false };
    if (!KEY.test(key))
      throw new ValidationFailed([
        { path: 'Idempotency-Key', code: 'invalid', message: 'Idempotency-Key must be 1–255 visible ASCII characters' },
      ]);
    // Anonymous callers are told apart by address, so one cannot replay another's response.
    const keyHash = sha256(`${scope.userId ?? `anonymous@${scope.ip}`}\n${scope.operation}\n${key}`);
    const requestHash = sha256(JSON.stringify(body ?? null));
    const claimed = await this.repository.claim(keyHash, requestHash, this.ttlSeconds, ABANDONED_AFTER_SECONDS);
    if (!claimed) return this.replay<T>(keyHash, requestHash);
    try {
      const result = await work();
      await this.repository.answer(keyHash, result.status, result.body);
      return { ...result, replayed: false };
    } catch (error) {
      await this.repository.release(keyHash);
      throw error;
    }
  }

  /** Removes expired keys; returns how many. */
  sweep(): Promise<number> {
    return this.repository.sweep();
  }

  private async replay<T>(keyHash: string, requestHash: string): Promise<IdempotentResponse<T>> {
    const row = await this.repository.find<T>(keyHash);
    // Released between our insert attempt and this read: the original failed; ask for a retry.
    if (!row) throw new Conflict('A request with this Idempotency-Key just failed; retry it.');
    if (row.requestHash !== requestHash)
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
