import { Injectable } from '@nestjs/common';
import { newId, Prisma, PrismaService } from '@backlot/database';
import type { TokenPurpose } from './token-purpose';

export interface StoredToken {
  id: string;
  userId: string;
  payload: unknown;
  expiresAt: Date;
  usedAt: Date | null;
  attempts: number;
}

@Injectable()
export class OneTimeTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A new token replaces the user's unused ones of the same purpose: only the latest mail works. */
  async replace(userId: string, purpose: TokenPurpose, tokenHash: string, expiresAt: Date, payload?: unknown): Promise<string> {
    const id = newId();
    await this.prisma.transaction(async (tx) => {
      await tx.oneTimeToken.deleteMany({ where: { userId, purpose, usedAt: null } });
      await tx.oneTimeToken.create({
        data: { id, userId, purpose, tokenHash, expiresAt, payload: (payload as Prisma.InputJsonValue | undefined) ?? Prisma.DbNull },
      });
    });
    return id;
  }

  find(purpose: TokenPurpose, tokenHash: string): Promise<StoredToken | null> {
    return this.prisma.oneTimeToken.findFirst({
      where: { purpose, tokenHash },
      select: { id: true, userId: true, payload: true, expiresAt: true, usedAt: true, attempts: true },
    });
  }

  /** Marks the token used if nobody did first; false means it was already spent (a race or a replay). */
  async markUsed(id: string): Promise<boolean> {
    const { count } = await this.prisma.oneTimeToken.updateMany({ where: { id, usedAt: null }, data: { usedAt: new Date() } });
    return count === 1;
  }

  async countAttempt(id: string): Promise<number> {
    const { attempts } = await this.prisma.oneTimeToken.update({
      where: { id },
      data: { attempts: { increment: 1 } },
      select: { attempts: true },
    });
    return attempts;
  }

  /**
   * Counts an attempt against the user's newest live token of `purpose` and returns it, the
   * attempt included; null when there is none. One statement, so concurrent attempts all count,
   * and the same statement whether or not the user has such a token (or exists).
   */
  async attemptLatest(userId: string, purpose: TokenPurpose): Promise<StoredToken | null> {
    const [row] = await this.prisma.$queryRaw<StoredToken[]>`
      UPDATE one_time_tokens SET attempts = attempts + 1
      WHERE id = (
          SELECT id FROM one_time_tokens
          WHERE user_id = ${userId}::uuid AND purpose = ${purpose}::token_purpose AND used_at IS NULL AND expires_at > now()
          ORDER BY created_at DESC, id DESC LIMIT 1)
        AND used_at IS NULL AND expires_at > now()
      RETURNING id, user_id AS "userId", payload, expires_at AS "expiresAt", used_at AS "usedAt", attempts`;
    return row ?? null;
  }

  /** Tokens past their expiry, or used before `usedBefore`, can never be redeemed again. */
  async purgeSpent(usedBefore: Date): Promise<number> {
    const { count } = await this.prisma.oneTimeToken.deleteMany({
      where: { OR: [{ expiresAt: { lt: new Date() } }, { usedAt: { lt: usedBefore } }] },
    });
    return count;
  }

  async revokeAll(userId: string, purpose: TokenPurpose): Promise<void> {
    await this.prisma.oneTimeToken.deleteMany({ where: { userId, purpose, usedAt: null } });
  }
}
