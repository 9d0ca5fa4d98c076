import { Injectable } from '@nestjs/common';
import { CacheService, type CacheNamespace } from '@backlot/cache';
import { escapeLike, newId, type Prisma, PrismaService, type TransactionClient } from '@backlot/database';
import type { Role } from '@backlot/security';

/** PostgreSQL advisory lock id of first-admin creation ('1adm'). */
const FIRST_ADMIN_LOCK_ID = 0x3161646d;

/** Thrown inside createFirstAdmin's transaction to roll the claim back. */
class EmailTaken extends Error {}

export interface UserRecord {
  id: string;
  email: string;
  emailVerifiedAt: Date | null;
  passwordHash: string | null;
  role: Role;
  displayName: string | null;
  bio: string | null;
  locale: string | null;
  timezone: string | null;
  avatarUrl: string | null;
  disabledAt: Date | null;
  mfaSecret: string | null;
  mfaPendingSecret: string | null;
  mfaEnabledAt: Date | null;
  mfaLastStep: bigint | null;
  passwordChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** What the user sees of their account: JSON-safe (it is cached), no hashes or secrets. */
export interface UserProfile {
  id: string;
  email: string;
  emailVerifiedAt: string | null;
  role: Role;
  displayName: string | null;
  bio: string | null;
  locale: string | null;
  timezone: string | null;
  avatarUrl: string | null;
  mfaEnabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toProfile(user: UserRecord): UserProfile {
  return {
    id: user.id,
    email: user.email,
    emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null,
    role: user.role,
    displayName: user.displayName,
    bio: user.bio,
    locale: user.locale,
    timezone: user.timezone,
    avatarUrl: user.avatarUrl,
    mfaEnabledAt: user.mfaEnabledAt?.toISOString() ?? null,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export type ProfileFields = Partial<Pick<UserRecord, 'displayName' | 'bio' | 'locale' | 'timezone' | 'avatarUrl'>>;

/** What admins filter the user list by; every condition is optional and they all apply. */
export interface UserFilter {
  /** Substring of the email or the display name, any case. */
  q?: string;
  role?: Role;
  disabled?: boolean;
  verified?: boolean;
  mfa?: boolean;
  createdFrom?: Date;
  createdTo?: Date;
}

/** A position in the newest-first user list: the last row's creation time and id. */
export interface UserListKey {
  createdAt: Date;
  id: string;
}

export interface UserCounts {
  total: number;
  admins: number;
  disabled: number;
  unverified: number;
}

/** Role and enabled state: what decides whether an account is an enabled admin. */
export type AccessChange = Partial<Pick<UserRecord, 'role' | 'disabledAt'>>;

/**
 * The users table and the user's recovery codes. Every method is scoped to one user id.
 * Profiles are read through the shared cache (the hot path of every SPA is GET /users/me);
 * every write below evicts the user's entry, on every instance.
 */
@Injectable()
export class UsersRepository {
  private readonly profiles: CacheNamespace;

  constructor(
    private readonly prisma: PrismaService,
    cache: CacheService,
  ) {
    this.profiles = cache.namespace('user-profiles');
  }

  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.prisma.user.findMany({ where: { id: { in: [...ids] } }, select: { id: true } });
    return new Set(rows.map((row) => row.id));
  }

  async findProfile(id: string): Promise<UserProfile | null> {
    const profile = await this.profiles.getOrSet<UserProfile | false>(id, async () => {
      const user = await this.prisma.user.findUnique({ where: { id } });
      return user ? toProfile(user) : false;
    });
    return profile || null;
  }

  findById(id: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { id } });
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { email } });
  }

  create(
    data: { email: string; passwordHash: string | null; role?: Role; emailVerifiedAt?: Date | null } & ProfileFields,
  ): Promise<UserRecord> {
    return this.prisma.user.create({ data: { id: newId(), ...data } });
  }

  /**
   * Creates the deployment's first admin, in one transaction with `claim` (which spends the
   * caller's setup token): nothing is written when an admin exists, the claim fails, or the
   * address is taken (checked after the claim, so only a token's holder learns it, and rolled
   * back with it, so the token stays usable). A transaction-scoped advisory lock makes
   * concurrent calls take turns: setup tokens used at the same moment create one admin.
   */
  async createFirstAdmin(
    data: { email: string; passwordHash: string },
    claim: (tx: TransactionClient) => Promise<boolean>,
  ): Promise<UserRecord | 'admin-exists' | 'email-taken' | 'claim-refused'> {
    try {
      return await this.prisma.transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_ADMIN_LOCK_ID})`;
        if ((await tx.user.count({ where: { role: 'admin' } })) > 0) return 'admin-exists';
        if (!(await claim(tx))) return 'claim-refused';
        if (await tx.user.findUnique({ where: { email: data.email }, select: { id: true } })) throw new EmailTaken();
        return tx.user.create({ data: { id: newId(), ...data, role: 'admin', emailVerifiedAt: new Date() } });
      });
    } catch (error) {
      if (error instanceof EmailTaken) return 'email-taken';
      throw error;
    }
  }

  async adminExists(): Promise<boolean> {
    return (await this.prisma.user.count({ where: { role: 'admin' }, take: 1 })) > 0;
  }

  async update(
    id: string,
    data: ProfileFields & Partial<Pick<UserRecord, 'email' | 'emailVerifiedAt' | 'role' | 'disabledAt'>>,
  ): Promise<UserRecord> {
    return this.evictAfter(id, this.prisma.user.update({ where: { id }, data }));
  }

  setPasswordHash(id: string, passwordHash: string | null, changed: boolean): Promise<UserRecord> {
    return this.evictAfter(
      id,
      this.prisma.user.update({ where: { id }, data: { passwordHash, ...(changed && { passwordChangedAt: new Date() }) } }),
    );
  }

  async setPendingMfaSecret(id: string, secret: string | null): Promise<void> {
    await this.evictAfter(id, this.prisma.user.update({ where: { id }, data: { mfaPendingSecret: secret } }));
  }

  async enableMfa(id: string, secret: string, step: number, recoveryCodeHashes: string[]): Promise<void> {
    await this.evictAfter(
      id,
      this.prisma.transaction(async (tx) => {
        await tx.user.update({
          where: { id },
          data: { mfaSecret: secret, mfaPendingSecret: null, mfaEnabledAt: new Date(), mfaLastStep: BigInt(step) },
        });
        await tx.recoveryCode.deleteMany({ where: { userId: id } });
        await tx.recoveryCode.createMany({ data: recoveryCodeHashes.map((codeHash) => ({ id: newId(), userId: id, codeHash })) });
      }),
    );
  }

  async disableMfa(id: string): Promise<void> {
    await this.evictAfter(
      id,
      this.prisma.transaction(async (tx) => {
        await tx.user.update({ where: { id }, data: { mfaSecret: null, mfaPendingSecret: null, mfaEnabledAt: null, mfaLastStep: null } });
        await tx.recoveryCode.deleteMany({ where: { userId: id } });
      }),
    );
  }

  /** Records the TOTP step as used unless it (or a later one) already was: two racing logins cannot both use one code. */
  async claimMfaStep(id: string, step: number): Promise<boolean> {
    const { count } = await this.evictAfter(
      id,
      this.prisma.user.updateMany({
        where: { id, OR: [{ mfaLastStep: null }, { mfaLastStep: { lt: BigInt(step) } }] },
        data: { mfaLastStep: BigInt(step) },
      }),
    );
    return count === 1;
  }

  async replaceRecoveryCodes(id: string, codeHashes: string[]): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      await tx.recoveryCode.deleteMany({ where: { userId: id } });
      await tx.recoveryCode.createMany({ data: codeHashes.map((codeHash) => ({ id: newId(), userId: id, codeHash })) });
    });
  }

  /** Spends the unused code matching one of the digests (one per encryption key of the ring). */
  async useRecoveryCode(id: string, codeDigests: string[]): Promise<boolean> {
    const { count } = await this.prisma.recoveryCode.updateMany({
      where: { userId: id, codeHash: { in: codeDigests }, usedAt: null },
      data: { usedAt: new Date() },
    });
    return count === 1;
  }

  countUnusedRecoveryCodes(id: string): Promise<number> {
    return this.prisma.recoveryCode.count({ where: { userId: id, usedAt: null } });
  }

  /** One page of the admin list, newest first (keyset on created_at, id). */
  search(filter: UserFilter, after: UserListKey | null, take: number): Promise<UserRecord[]> {
    const where: Prisma.UserWhereInput = { AND: [whereOf(filter), after ? afterKey(after) : {}] };
    return this.prisma.user.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take });
  }

  count(filter: UserFilter): Promise<number> {
    return this.prisma.user.count({ where: whereOf(filter) });
  }

  async counts(): Promise<UserCounts> {
    const [row] = await this.prisma.$queryRaw<UserCounts[]>`
      SELECT count(*)::int AS total,
             count(*) FILTER (WHERE role = 'admin')::int AS admins,
             count(*) FILTER (WHERE disabled_at IS NOT NULL)::int AS disabled,
             count(*) FILTER (WHERE email_verified_at IS NULL)::int AS unverified
        FROM users`;
    return row;
  }

  /**
   * Changes role or enabled state unless that would leave no enabled admin ('last-admin',
   * nothing written). The enabled admins' rows are locked first, so two admins demoting or
   * disabling each other at the same moment are serialized and the second sees the first's change.
   */
  async changeAccess(id: string, change: AccessChange): Promise<UserRecord | 'last-admin'> {
    return this.evictAfter(
      id,
      this.prisma.transaction(async (tx) => {
        const admins = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE`;
        const removesAdmin = change.role === 'user' || (change.disabledAt !== undefined && change.disabledAt !== null);
        if (removesAdmin && admins.length === 1 && admins[0].id === id) return 'last-admin' as const;
        return tx.user.update({ where: { id }, data: change });
      }),
    );
  }

  async delete(id: string): Promise<void> {
    await this.evictAfter(id, this.prisma.user.delete({ where: { id } }));
  }

  /** Every write to a user row goes through here, so the cached profile never outlives it. */
  private async evictAfter<T>(id: string, write: Promise<T>): Promise<T> {
    const result = await write;
    await this.profiles.evict([id]);
    return result;
  }
}

function whereOf(filter: UserFilter): Prisma.UserWhereInput {
  const conditions: Prisma.UserWhereInput[] = [];
  if (filter.q) {
    const contains = escapeLike(filter.q);
    conditions.push({ OR: [{ email: { contains, mode: 'insensitive' } }, { displayName: { contains, mode: 'insensitive' } }] });
  }
  if (filter.role) conditions.push({ role: filter.role });
  if (filter.disabled !== undefined) conditions.push({ disabledAt: filter.disabled ? { not: null } : null });
  if (filter.verified !== undefined) conditions.push({ emailVerifiedAt: filter.verified ? { not: null } : null });
  if (filter.mfa !== undefined) conditions.push({ mfaEnabledAt: filter.mfa ? { not: null } : null });
  if (filter.createdFrom || filter.createdTo) conditions.push({ createdAt: { gte: filter.createdFrom, lte: filter.createdTo } });
  return { AND: conditions };
}

function afterKey(after: UserListKey): Prisma.UserWhereInput {
  return { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] };
}
