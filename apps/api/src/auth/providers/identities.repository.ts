import { Injectable } from '@nestjs/common';
import { newId, PrismaService } from '@backlot/database';

export interface IdentityRow {
  id: string;
  userId: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  createdAt: Date;
  lastSignInAt: Date | null;
}

/** Which provider account an identity is: unique per provider and issuer. */
export interface IdentityKey {
  provider: string;
  issuer: string;
  subject: string;
}

/** Provider identities (provider + issuer + subject → user). */
@Injectable()
export class IdentitiesRepository {
  constructor(private readonly prisma: PrismaService) {}

  find(key: IdentityKey): Promise<IdentityRow | null> {
    return this.prisma.identity.findUnique({ where: { provider_issuer_subject: key } });
  }

  listForUser(userId: string): Promise<IdentityRow[]> {
    return this.prisma.identity.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
  }

  /** Links an identity; null when that provider account is already linked (a concurrent first sign-in won). */
  async link(userId: string, key: IdentityKey, email: string | undefined, emailVerified: boolean): Promise<IdentityRow | null> {
    const [row] = await this.prisma.$queryRaw<IdentityRow[]>`
      INSERT INTO identities (id, user_id, provider, issuer, subject, email, email_verified, last_sign_in_at)
      VALUES (${newId()}::uuid, ${userId}::uuid, ${key.provider}, ${key.issuer}, ${key.subject}, ${email ?? null}, ${emailVerified}, now())
      ON CONFLICT (provider, issuer, subject) DO NOTHING
      RETURNING id, user_id::text AS "userId", provider, issuer, subject, email, email_verified AS "emailVerified",
        created_at AS "createdAt", last_sign_in_at AS "lastSignInAt"`;
    return row ?? null;
  }

  async signedIn(id: string, email: string | undefined, emailVerified: boolean): Promise<void> {
    await this.prisma.identity.update({ where: { id }, data: { email: email ?? null, emailVerified, lastSignInAt: new Date() } });
  }

  /** Removes one of the user's identities whatever is left (the admin API); false when it is not theirs. */
  async remove(userId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.identity.deleteMany({ where: { id, userId } });
    return count === 1;
  }

  /**
   * Removes one of the user's identities unless it is their last way in (no password, no other
   * identity). The user row is locked so two concurrent unlinks cannot each leave the other last.
   */
  unlink(userId: string, id: string): Promise<'unlinked' | 'not-found' | 'last'> {
    return this.prisma.$transaction(async (tx) => {
      const [user] = await tx.$queryRaw<{ hasPassword: boolean }[]>`
        SELECT password_hash IS NOT NULL AS "hasPassword" FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
      const identities = await tx.identity.findMany({ where: { userId }, select: { id: true } });
      if (!user || !identities.some((identity) => identity.id === id)) return 'not-found';
      if (!user.hasPassword && identities.length === 1) return 'last';
      await tx.identity.delete({ where: { id } });
      return 'unlinked';
    });
  }
}
