import { Injectable } from '@nestjs/common';
import { PrismaService } from '@backlot/database';
import type { Role } from '@backlot/security';
import { v7 as uuidv7 } from 'uuid';

export interface UserRecord {
  id: string;
  email: string;
  emailVerifiedAt: Date | null;
  passwordHash: string;
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

export type ProfileFields = Partial<Pick<UserRecord, 'displayName' | 'bio' | 'locale' | 'timezone' | 'avatarUrl'>>;

/** The users table and the user's recovery codes. Every method is scoped to one user id. */
@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  findById(id: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { id } });
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { email } });
  }

  create(data: { email: string; passwordHash: string; role?: Role; emailVerifiedAt?: Date | null }): Promise<UserRecord> {
    return this.prisma.user.create({ data: { id: uuidv7(), ...data } });
  }

  update(
    id: string,
    data: ProfileFields & Partial<Pick<UserRecord, 'email' | 'emailVerifiedAt' | 'role' | 'disabledAt'>>,
  ): Promise<UserRecord> {
    return this.prisma.user.update({ where: { id }, data });
  }

  setPasswordHash(id: string, passwordHash: string, changed: boolean): Promise<UserRecord> {
    return this.prisma.user.update({ where: { id }, data: { passwordHash, ...(changed && { passwordChangedAt: new Date() }) } });
  }

  async setPendingMfaSecret(id: string, secret: string | null): Promise<void> {
    await this.prisma.user.update({ where: { id }, data: { mfaPendingSecret: secret } });
  }

  async enableMfa(id: string, secret: string, step: number, recoveryCodeHashes: string[]): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      await tx.user.update({
        where: { id },
        data: { mfaSecret: secret, mfaPendingSecret: null, mfaEnabledAt: new Date(), mfaLastStep: BigInt(step) },
      });
      await tx.recoveryCode.deleteMany({ where: { userId: id } });
      await tx.recoveryCode.createMany({ data: recoveryCodeHashes.map((codeHash) => ({ id: uuidv7(), userId: id, codeHash })) });
    });
  }

  async disableMfa(id: string): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      await tx.user.update({ where: { id }, data: { mfaSecret: null, mfaPendingSecret: null, mfaEnabledAt: null, mfaLastStep: null } });
      await tx.recoveryCode.deleteMany({ where: { userId: id } });
    });
  }

  /** Records the TOTP step as used unless it (or a later one) already was: two racing logins cannot both use one code. */
  async claimMfaStep(id: string, step: number): Promise<boolean> {
    const { count } = await this.prisma.user.updateMany({
      where: { id, OR: [{ mfaLastStep: null }, { mfaLastStep: { lt: BigInt(step) } }] },
      data: { mfaLastStep: BigInt(step) },
    });
    return count === 1;
  }

  async replaceRecoveryCodes(id: string, codeHashes: string[]): Promise<void> {
    await this.prisma.transaction(async (tx) => {
      await tx.recoveryCode.deleteMany({ where: { userId: id } });
      await tx.recoveryCode.createMany({ data: codeHashes.map((codeHash) => ({ id: uuidv7(), userId: id, codeHash })) });
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

  async delete(id: string): Promise<void> {
    await this.prisma.user.delete({ where: { id } });
  }
}
