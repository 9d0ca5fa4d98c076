import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { FieldEncryption, OneTimeTokens, safeEqual, sha256 } from '@backlot/security';
import type { UserRecord } from '../../users/users.repository';
import { UsersService } from '../../users/users.service';

const PURPOSE = 'sign_in_code';
/** Five wrong codes burn a code and its link, as they burn an MFA challenge. */
export const MAX_CODE_ATTEMPTS = 5;
/** Stands in for the account of an unknown address, so its attempt runs the same statements. */
const NO_USER = '00000000-0000-0000-0000-000000000000';
const NO_DIGEST = '0'.repeat(64);

/** What a code's token row holds besides the hash of the link token. */
interface CodePayload {
  /** Keyed HMAC of the code, bound to the user: a copy of the database alone cannot be searched for the 10^6 codes. */
  codeDigest: string;
  /** The address it was mailed to: after an email change, the code and the link stop working. */
  addressHash: string;
}

export interface IssuedCode {
  code: string;
  linkToken: string;
  expiresAt: Date;
}

/**
 * Email sign-in codes: a 6-digit code and a link token mailed together, stored as one
 * one-time token (the link token's hash in `tokenHash`, the code's digest in the payload).
 * A code is too short to be looked up by value, so it is checked against the newest live
 * code of the account whose address comes with it.
 */
@Injectable()
export class SignInCodes {
  private readonly ttlSeconds: number;

  constructor(
    private readonly tokens: OneTimeTokens,
    private readonly encryption: FieldEncryption,
    private readonly users: UsersService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlSeconds = config.auth.emailCodes.ttlMinutes * 60;
  }

  /** A new code and link for the account; its earlier ones stop working (only the newest mail counts). */
  async issue(user: UserRecord): Promise<IssuedCode> {
    const code = randomInt(1_000_000).toString().padStart(6, '0');
    const payload: CodePayload = { codeDigest: this.digests(user.id, code)[0], addressHash: sha256(user.email) };
    const { token, expiresAt } = await this.tokens.issue(user.id, PURPOSE, this.ttlSeconds, payload);
    return { code, linkToken: token, expiresAt };
  }

  /**
   * Spends the account's live code if `code` is it. The attempt is counted before anything is
   * compared, so parallel guesses get no more than MAX_CODE_ATTEMPTS comparisons between them,
   * and the last wrong one burns the code. An unknown address (null) runs the same statements.
   */
  async redeemCode(user: UserRecord | null, code: string): Promise<boolean> {
    const userId = user?.id ?? NO_USER;
    const live = await this.tokens.attemptLatest(userId, PURPOSE);
    const payload = codePayload(live?.payload);
    const matches = this.digests(userId, code).some((digest) => safeEqual(digest, payload?.codeDigest ?? NO_DIGEST));
    if (live && user && matches && live.attempts <= MAX_CODE_ATTEMPTS && sentTo(payload, user)) return this.tokens.markUsed(live.id);
    if (live && live.attempts >= MAX_CODE_ATTEMPTS) await this.tokens.markUsed(live.id);
    return false;
  }

  /** The account a mailed link signs in to, spending it; null when it is unknown, expired, spent or for an address the account no longer has. */
  async redeemLink(token: string): Promise<UserRecord | null> {
    const stored = await this.tokens.consume(PURPOSE, token);
    const user = stored && (await this.users.findById(stored.userId));
    return user && sentTo(codePayload(stored.payload), user) ? user : null;
  }

  /** Under every key of the ring, current first, so a code mailed before a key rotation still works. */
  private digests(userId: string, code: string): string[] {
    return this.encryption.keyedDigests(code, `auth:sign-in-code:${userId}`);
  }
}

function codePayload(value: unknown): CodePayload | undefined {
  const payload = value as Partial<CodePayload> | null | undefined;
  return typeof payload?.codeDigest === 'string' && typeof payload.addressHash === 'string' ? (payload as CodePayload) : undefined;
}

function sentTo(payload: CodePayload | undefined, user: UserRecord): boolean {
  return payload !== undefined && safeEqual(payload.addressHash, sha256(user.email));
}
