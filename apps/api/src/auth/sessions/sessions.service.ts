import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CacheService, type CacheNamespace } from '@backlot/cache';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { NotFound, Unauthenticated } from '@backlot/http';
import {
  AccessTokens,
  AuditService,
  DecryptionError,
  FieldEncryption,
  PrincipalChanges,
  randomToken,
  type RequestMeta,
  sha256,
} from '@backlot/security';
import { type RefreshTokenRow, type SessionRow, SessionsRepository, type SessionState } from './sessions.repository';

export interface IssuedTokens {
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Sessions and refresh-token rotation. Each login starts a session whose refresh tokens
 * form one family: every refresh spends the presented token and hands out the next one.
 * Presenting a spent token again means it was copied — the whole family (the session) is
 * revoked — unless it happens within the grace window from the same client, which is two
 * tabs refreshing at once, not theft: that gets the same successor again, so the family stays
 * one chain with one live token, and a thief who replays in the window shares the owner's
 * chain instead of getting a branch that reuse detection would never see.
 */
@Injectable()
export class SessionsService {
  readonly cache: CacheNamespace;
  private readonly refreshTtlMs: number;
  private readonly graceMs: number;
  private readonly stateTtlSeconds: number;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly accessTokens: AccessTokens,
    private readonly audit: AuditService,
    private readonly principals: PrincipalChanges,
    private readonly encryption: FieldEncryption,
    cache: CacheService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.cache = cache.namespace('auth-sessions');
    this.refreshTtlMs = config.auth.refreshTokenTtlDays * 86_400_000;
    this.graceMs = config.auth.refreshReuseGraceSeconds * 1000;
    this.stateTtlSeconds = config.auth.sessionCacheTtlSeconds;
  }

  async start(userId: string, request: RequestMeta, mfaVerified: boolean): Promise<IssuedTokens> {
    const expiresAt = new Date(Date.now() + this.refreshTtlMs);
    const sessionId = await this.sessions.create(userId, request, expiresAt, mfaVerified);
    await this.audit.record({
      action: 'auth.session.created',
      outcome: 'success',
      actor: { type: 'user', id: userId },
      target: { type: 'session', id: sessionId },
      request,
    });
    return this.issue(userId, sessionId, expiresAt);
  }

  async refresh(refreshToken: string, request: RequestMeta): Promise<IssuedTokens> {
    const invalid = new Unauthenticated('The refresh token is invalid, expired or revoked; sign in again.');
    if (!REFRESH_TOKEN_SHAPE.test(refreshToken)) throw invalid;
    const stored = await this.sessions.findRefreshToken(sha256(refreshToken));
    if (!stored) throw invalid;
    const { session } = stored;
    const now = Date.now();
    if (session.revokedAt || session.user.disabledAt || session.expiresAt.getTime() <= now || stored.expiresAt.getTime() <= now)
      throw invalid;

    const successor = randomToken(32);
    const sealed = this.graceMs > 0 ? this.sealSuccessor(stored.id, refreshToken, successor) : null;
    if (await this.sessions.rotate(stored.id, sha256(successor), sealed, request)) {
      return this.tokens(session.userId, session.id, session.expiresAt, successor);
    }
    // Spent already, possibly by a request racing this one: read what its rotation left.
    const spent = (await this.sessions.findRefreshToken(sha256(refreshToken))) ?? stored;
    const again = await this.successorWithinGrace(spent, refreshToken, request, now);
    if (again) {
      await this.sessions.touch(session.id, request);
      return this.tokens(session.userId, session.id, session.expiresAt, again);
    }
    const usedAt = spent.usedAt?.getTime() ?? now;
    await this.ended(session.userId, await this.sessions.revoke(session.userId, 'refresh-token-reuse', { id: session.id }));
    await this.audit.record({
      action: 'auth.refresh-token.reused',
      outcome: 'denied',
      actor: { type: 'user', id: session.userId },
      target: { type: 'session', id: session.id },
      request,
      details: { sessionRevoked: true, secondsSinceFirstUse: Math.round((now - usedAt) / 1000) },
    });
    throw invalid;
  }

  list(userId: string): Promise<SessionRow[]> {
    return this.sessions.listActive(userId);
  }

  listForExport(userId: string) {
    return this.sessions.listAll(userId);
  }

  /** Revokes one of the user's own sessions; another user's id is simply not found. */
  async revokeOne(userId: string, sessionId: string, reason: string): Promise<void> {
    const ids = await this.sessions.revoke(userId, reason, { id: sessionId });
    if (ids.length === 0) throw new NotFound('No such active session.');
    await this.ended(userId, ids);
  }

  async revokeAll(userId: string, reason: string, exceptId?: string): Promise<number> {
    const ids = await this.sessions.revoke(userId, reason, exceptId ? { exceptId } : undefined);
    await this.ended(userId, ids);
    return ids.length;
  }

  /** Ends the session a refresh token belongs to (logout); unknown tokens are ignored. */
  async revokeByRefreshToken(refreshToken: string, request: RequestMeta): Promise<void> {
    if (!REFRESH_TOKEN_SHAPE.test(refreshToken)) return;
    const stored = await this.sessions.findRefreshToken(sha256(refreshToken));
    if (!stored || stored.session.revokedAt) return;
    await this.ended(stored.session.userId, await this.sessions.revoke(stored.session.userId, 'logout', { id: stored.session.id }));
    await this.audit.record({
      action: 'auth.logout',
      outcome: 'success',
      actor: { type: 'user', id: stored.session.userId },
      target: { type: 'session', id: stored.session.id },
      request,
    });
  }

  /** Forgets cached state of every session of the user (role change, disablement, deletion). */
  async evictUser(userId: string): Promise<void> {
    await this.cache.evict(await this.sessions.allIds(userId));
  }

  /**
   * The guard's view of a session, from the shared cache; one query on a miss. Cached only
   * briefly (SESSION_CACHE_TTL_SECONDS): a revocation's eviction is lost when the revoking
   * instance cannot reach Redis, and every other instance must still stop trusting it soon.
   */
  async state(sessionId: string): Promise<SessionState | null> {
    const state = await this.cache.getOrSet<SessionState | false>(
      sessionId,
      async () => (await this.sessions.state(sessionId)) ?? false,
      this.stateTtlSeconds,
    );
    return state || null;
  }

  /**
   * The successor `spent` was traded for, when it may be handed out again: the same client
   * within the grace window, this was the session's last rotation, and the successor is unused.
   * Once the successor has been spent too the chain has moved on, and an older token is reuse.
   */
  private async successorWithinGrace(spent: RefreshTokenRow, token: string, request: RequestMeta, now: number): Promise<string | null> {
    const { session } = spent;
    const withinGrace = spent.usedAt !== null && now - spent.usedAt.getTime() <= this.graceMs;
    if (!withinGrace || session.userAgent !== request.userAgent || session.lastSpentTokenId !== spent.id || !session.successorSealed)
      return null;
    let successor: string;
    try {
      successor = this.unsealSuccessor(spent.id, token, session.successorSealed);
    } catch (error) {
      // Sealed under a key no longer in the ring: it cannot be answered again.
      if (error instanceof DecryptionError) return null;
      throw error;
    }
    const next = await this.sessions.findRefreshToken(sha256(successor));
    return next && next.usedAt === null && next.session.id === session.id ? successor : null;
  }

  /**
   * Sealed with the key ring and masked with the spent token, which is stored only as a hash:
   * the database and the key together still do not yield the live successor; only presenting
   * the spent token to this code, within the window, does.
   */
  private sealSuccessor(spentId: string, spent: string, successor: string): string {
    return this.encryption.encrypt(mask(successor, spent), successorContext(spentId));
  }

  private unsealSuccessor(spentId: string, spent: string, sealed: string): string {
    return mask(this.encryption.decrypt(sealed, successorContext(spentId)), spent);
  }

  /** Revoked sessions: their cached state goes, then every instance hears of it (open realtime streams end at once). */
  private async ended(userId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.cache.evict(ids);
    await this.principals.announce(userId);
  }

  private async issue(userId: string, sessionId: string, sessionExpiresAt: Date): Promise<IssuedTokens> {
    const refreshToken = randomToken(32);
    await this.sessions.addRefreshToken(sessionId, sha256(refreshToken), sessionExpiresAt);
    return this.tokens(userId, sessionId, sessionExpiresAt, refreshToken);
  }

  private tokens(userId: string, sessionId: string, sessionExpiresAt: Date, refreshToken: string): IssuedTokens {
    const access = this.accessTokens.sign({ sub: userId, sid: sessionId });
    return {
      sessionId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: sessionExpiresAt,
    };
  }
}

/** XOR of a 32-byte token (base64url) with a key stream derived from `spent`; its own inverse. */
function mask(token: string, spent: string): string {
  const stream = createHash('sha256').update('backlot:refresh-successor\0').update(spent).digest();
  const bytes = Buffer.from(token, 'base64url');
  for (let i = 0; i < bytes.length; i++) bytes[i] ^= stream[i % stream.length];
  return bytes.toString('base64url');
}

function successorContext(spentId: string): string {
  return `refresh-token:${spentId}:successor`;
}
