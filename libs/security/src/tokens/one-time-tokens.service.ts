import { Injectable } from '@nestjs/common';
import { randomToken, sha256 } from '../crypto';
import { OneTimeTokensRepository, type StoredToken } from './one-time-tokens.repository';
import type { TokenPurpose } from './token-purpose';

export interface IssuedToken {
  id: string;
  token: string;
  expiresAt: Date;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Single-use, expiring tokens (email verification, password reset, email change, MFA
 * challenges, email sign-in links). Only a SHA-256 hash is stored — 256 random bits need no
 * slow hash — so a database leak hands out nothing usable.
 */
@Injectable()
export class OneTimeTokens {
  constructor(private readonly repository: OneTimeTokensRepository) {}

  async issue(userId: string, purpose: TokenPurpose, ttlSeconds: number, payload?: unknown): Promise<IssuedToken> {
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const id = await this.repository.replace(userId, purpose, sha256(token), expiresAt, payload);
    return { id, token, expiresAt };
  }

  /** The live token record, or null when unknown, expired or used. Does not spend it. */
  async peek(purpose: TokenPurpose, token: string): Promise<StoredToken | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const stored = await this.repository.find(purpose, sha256(token));
    if (!stored || stored.usedAt || stored.expiresAt.getTime() <= Date.now()) return null;
    return stored;
  }

  /** Spends the token; null when it is unknown, expired, or already used (also by a concurrent request). */
  async consume(purpose: TokenPurpose, token: string): Promise<StoredToken | null> {
    const stored = await this.peek(purpose, token);
    if (!stored || !(await this.repository.markUsed(stored.id))) return null;
    return stored;
  }

  /**
   * For short codes that are looked up by user rather than by value (email sign-in codes):
   * counts an attempt against the user's newest live token of `purpose` before the caller
   * compares anything, and returns it with the attempts so far; null when there is none.
   */
  attemptLatest(userId: string, purpose: TokenPurpose): Promise<StoredToken | null> {
    return this.repository.attemptLatest(userId, purpose);
  }

  /** Counts a wrong answer against the token (MFA challenges); returns the attempts so far. */
  countAttempt(id: string): Promise<number> {
    return this.repository.countAttempt(id);
  }

  markUsed(id: string): Promise<boolean> {
    return this.repository.markUsed(id);
  }

  revokeAll(userId: string, purpose: TokenPurpose): Promise<void> {
    return this.repository.revokeAll(userId, purpose);
  }

  purgeSpent(usedBefore: Date): Promise<number> {
    return this.repository.purgeSpent(usedBefore);
  }
}
