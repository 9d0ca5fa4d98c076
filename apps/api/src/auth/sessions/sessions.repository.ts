import { Injectable } from '@nestjs/common';
import { newId, PrismaService } from '@backlot/database';
import type { RequestMeta, Role } from '@backlot/security';

export interface SessionRow {
  id: string;
  userId: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

/** What the access guard needs to know about a session, cached per session id. */
export interface SessionState {
  userId: string;
  role: Role;
  active: boolean;
  expiresAt: number;
}

export interface RefreshTokenRow {
  id: string;
  usedAt: Date | null;
  expiresAt: Date;
  session: {
    id: string;
    userId: string;
    userAgent: string | null;
    revokedAt: Date | null;
    expiresAt: Date;
    user: { disabledAt: Date | null };
    /** The token spent last and its successor, sealed: what a replay within the grace window may get again. */
    lastSpentTokenId: string | null;
    successorSealed: string | null;
  };
}

interface RawRefreshToken {
  id: string;
  used_at: Date | null;
  expires_at: Date;
  session_id: string;
  user_id: string;
  user_agent: string | null;
  revoked_at: Date | null;
  session_expires_at: Date;
  disabled_at: Date | null;
  last_spent_token_id: string | null;
  successor_sealed: string | null;
}

/** Sessions and their refresh-token families. Reads and writes are scoped by user id where a user asks. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(userId: string, request: RequestMeta, expiresAt: Date, mfaVerified: boolean): Promise<string> {
    const id = newId();
    await this.prisma.session.create({ data: { id, userId, userAgent: request.userAgent, ip: request.ip, expiresAt, mfaVerified } });
    return id;
  }

  async addRefreshToken(sessionId: string, tokenHash: string, expiresAt: Date): Promise<void> {
    await this.prisma.refreshToken.create({ data: { id: newId(), sessionId, tokenHash, expiresAt } });
  }

  /** The token with its session and owner state, in one query (the refresh hot path). */
  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRow | null> {
    const [row] = await this.prisma.$queryRaw<RawRefreshToken[]>`
      SELECT t.id, t.used_at, t.expires_at, s.id AS session_id, s.user_id, s.user_agent, s.revoked_at,
             s.expires_at AS session_expires_at, u.disabled_at, s.last_spent_token_id, s.successor_sealed
        FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
       WHERE t.token_hash = ${tokenHash}`;
    if (!row) return null;
    return {
      id: row.id,
      usedAt: row.used_at,
      expiresAt: row.expires_at,
      session: {
        id: row.session_id,
        userId: row.user_id,
        userAgent: row.user_agent,
        revokedAt: row.revoked_at,
        expiresAt: row.session_expires_at,
        user: { disabledAt: row.disabled_at },
        lastSpentTokenId: row.last_spent_token_id,
        successorSealed: row.successor_sealed,
      },
    };
  }

  /**
   * Spends the token and stores its successor in one statement — one round trip, all or
   * nothing. False when the token was already spent (by a concurrent request, or a thief).
   * The session remembers this as its last rotation (`successorSealed` may be null: no grace).
   */
  async rotate(tokenId: string, successorHash: string, successorSealed: string | null, request: RequestMeta): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      WITH claimed AS (
        UPDATE refresh_tokens SET used_at = now() WHERE id = ${tokenId}::uuid AND used_at IS NULL RETURNING session_id, expires_at
      ), touched AS (
        UPDATE sessions SET last_used_at = now(), ip = ${request.ip}, last_spent_token_id = ${tokenId}::uuid, successor_sealed = ${successorSealed}
         WHERE id IN (SELECT session_id FROM claimed) RETURNING id
      )
      INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at, created_at)
      SELECT ${newId()}::uuid, claimed.session_id, ${successorHash}, claimed.expires_at, now() FROM claimed
      RETURNING id`;
    return rows.length === 1;
  }

  async touch(sessionId: string, request: RequestMeta): Promise<void> {
    await this.prisma.session.update({ where: { id: sessionId }, data: { lastUsedAt: new Date(), ip: request.ip } });
  }

  /** Joins the user for role and disabled state, so the guard needs one query on a cache miss. */
  async state(sessionId: string): Promise<SessionState | null> {
    const row = await this.prisma.session.findUnique({
      where: { id: sessionId },
      select: { userId: true, revokedAt: true, expiresAt: true, user: { select: { role: true, disabledAt: true } } },
    });
    if (!row) return null;
    return {
      userId: row.userId,
      role: row.user.role,
      active: row.revokedAt === null && row.user.disabledAt === null,
      expiresAt: row.expiresAt.getTime(),
    };
  }

  listActive(userId: string): Promise<SessionRow[]> {
    return this.prisma.session.findMany({
      where: { userId, revokedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { lastUsedAt: 'desc' },
      select: { id: true, userId: true, userAgent: true, ip: true, createdAt: true, lastUsedAt: true, expiresAt: true },
    });
  }

  /** Every session of the user, ended ones included (the data export). */
  listAll(userId: string) {
    return this.prisma.session.findMany({
      where: { userId },
      orderBy: { createdAt: 'asc' },
      select: {
        id: true,
        userAgent: true,
        ip: true,
        createdAt: true,
        lastUsedAt: true,
        expiresAt: true,
        revokedAt: true,
        revokedReason: true,
      },
    });
  }

  /** Revokes the user's live sessions matching `where`; returns their ids (for cache eviction). */
  async revoke(userId: string, reason: string, only?: { id?: string; exceptId?: string }): Promise<string[]> {
    const where = { userId, revokedAt: null, ...(only?.id && { id: only.id }), ...(only?.exceptId && { id: { not: only.exceptId } }) };
    return this.prisma.transaction(async (tx) => {
      const ids = (await tx.session.findMany({ where, select: { id: true } })).map((s) => s.id);
      if (ids.length > 0)
        await tx.session.updateMany({ where: { id: { in: ids } }, data: { revokedAt: new Date(), revokedReason: reason } });
      return ids;
    });
  }

  /**
   * Deletes sessions that ended (expired or revoked) before `before`, with their refresh tokens.
   * Live sessions keep their spent tokens: those are what reveals a stolen token's reuse.
   */
  async purgeEnded(before: Date): Promise<number> {
    const { count } = await this.prisma.session.deleteMany({
      where: { OR: [{ expiresAt: { lt: before } }, { revokedAt: { lt: before } }] },
    });
    return count;
  }

  /** Forgets the successors of rotations before `before`: past the grace window nobody may have them again. */
  async clearSuccessors(before: Date): Promise<number> {
    const { count } = await this.prisma.session.updateMany({
      where: { successorSealed: { not: null }, lastUsedAt: { lt: before } },
      data: { lastSpentTokenId: null, successorSealed: null },
    });
    return count;
  }

  /** Every session id of the user, revoked or not (evicting them all from the cache). */
  async allIds(userId: string): Promise<string[]> {
    return (await this.prisma.session.findMany({ where: { userId }, select: { id: true } })).map((s) => s.id);
  }
}
