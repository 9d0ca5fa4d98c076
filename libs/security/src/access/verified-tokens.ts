import { Injectable } from '@nestjs/common';

/** The clock skew allowed on `exp`, here and in passport-jwt's verification (jsonwebtoken's clockTolerance). */
export const ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS = 5;

/** Tokens kept: one per signed-in client that called in the last while; each ~0.5 KB. */
export const MAX_VERIFIED_TOKENS = 4_096;

/**
 * The longest header kept. Backlot's tokens are about 300 characters, but passport-jwt reads
 * the token from a header and ignores what follows it, so a header with a valid token may
 * carry kilobytes more: those are verified every time instead of filling the memory.
 */
export const MAX_REMEMBERED_HEADER_CHARS = 1_024;

export interface VerifiedClaims {
  sub: string;
  sid: string;
}

interface Entry extends VerifiedClaims {
  /** `exp` in seconds since the epoch. */
  exp: number;
}

/**
 * Authorization headers whose bearer token this instance has verified (signature with one of
 * its keys, algorithm, issuer, audience), with the claims the guard needs. A client sends the
 * same access token until it expires, and verifying it again (parse, HMAC, claims) was about
 * 5% of a record read's CPU; a header seen before skips that.
 *
 * Only exact headers that passed verification are kept, so a hit is as good as verifying: a
 * forged or altered token is a different string. Expiry is checked on every hit, with the same
 * tolerance, and the session on every request either way (a revoked session fails at once).
 * The keys only change with a restart, which empties this. Bounded, least recently used out.
 */
@Injectable()
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max = MAX_VERIFIED_TOKENS) {}

  /** Keeps a verified token's claims; one without an expiry or with a not-before (Backlot signs neither), or in a long header, is not kept. */
  remember(authorization: string, claims: VerifiedClaims & { exp?: unknown; nbf?: unknown }): void {
    if (typeof claims.exp !== 'number' || claims.nbf !== undefined || authorization.length > MAX_REMEMBERED_HEADER_CHARS) return;
    this.entries.delete(authorization);
    this.entries.set(authorization, { sub: claims.sub, sid: claims.sid, exp: claims.exp });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The claims of a header verified before and not expired since; undefined sends it to full verification. */
  lookup(authorization: string, nowMs = Date.now()): VerifiedClaims | undefined {
    const entry = this.entries.get(authorization);
    if (!entry) return undefined;
    // jsonwebtoken's rule: expired once now (whole seconds) reaches exp + tolerance.
    if (Math.floor(nowMs / 1000) >= entry.exp + ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS) {
      this.entries.delete(authorization);
      return undefined;
    }
    this.entries.delete(authorization);
    this.entries.set(authorization, entry);
    return entry;
  }
}
