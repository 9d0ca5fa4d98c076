import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { BadRequest, Conflict, Unauthenticated } from '@backlot/http';
import {
  FieldEncryption,
  generateRecoveryCodes,
  generateTotpSecret,
  normalizeRecoveryCode,
  otpauthUri,
  PasswordHasher,
  verifyTotp,
} from '@backlot/security';
import { type UserRecord, UsersRepository } from './users.repository';

export interface MfaSetup {
  secret: string;
  otpauthUri: string;
}

/**
 * A user's credentials: the password (argon2id, rehashed on sign-in when the parameters
 * change) and TOTP MFA with one-time recovery codes. The TOTP secret is stored encrypted,
 * bound to its user, and each accepted time step is recorded so a code works once.
 */
@Injectable()
export class CredentialsService {
  private readonly issuer: string;

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly encryption: FieldEncryption,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.issuer = config.auth.issuer;
  }

  hashPassword(password: string): Promise<string> {
    return this.hasher.hash(password);
  }

  /** Checks a password in constant work whether or not the user exists. */
  async passwordMatches(user: UserRecord | null, password: string): Promise<boolean> {
    const { valid, needsRehash } = await this.hasher.verify(user?.passwordHash, password);
    if (valid && needsRehash && user) await this.users.setPasswordHash(user.id, await this.hasher.hash(password), false);
    return valid && user !== null;
  }

  async setPassword(userId: string, password: string): Promise<void> {
    await this.users.setPasswordHash(userId, await this.hasher.hash(password), true);
  }

  /** The account has no password from now on (its owner signs in by email code or provider, or sets one by reset). */
  async clearPassword(userId: string): Promise<void> {
    await this.users.setPasswordHash(userId, null, true);
  }

  async startMfaSetup(user: UserRecord): Promise<MfaSetup> {
    if (user.mfaEnabledAt) throw new Conflict('MFA is already enabled; disable it first to set up a new authenticator.');
    const secret = generateTotpSecret();
    await this.users.setPendingMfaSecret(user.id, this.encryption.encrypt(secret, totpContext(user.id)));
    return { secret, otpauthUri: otpauthUri({ secret, issuer: this.issuer, account: user.email }) };
  }

  /** Confirms the pending secret with a code; returns the recovery codes, shown this once. */
  async enableMfa(user: UserRecord, code: string): Promise<string[]> {
    if (user.mfaEnabledAt) throw new Conflict('MFA is already enabled.');
    if (!user.mfaPendingSecret) throw new Conflict('Start MFA setup first.');
    const step = verifyTotp(this.encryption.decrypt(user.mfaPendingSecret, totpContext(user.id)), code);
    if (step === null) throw new BadRequest('The code is wrong or expired; check the authenticator clock and try again.');
    const codes = generateRecoveryCodes();
    await this.users.enableMfa(user.id, user.mfaPendingSecret, step, this.digestCodes(user.id, codes));
    return codes;
  }

  async disableMfa(userId: string): Promise<void> {
    await this.users.disableMfa(userId);
  }

  async regenerateRecoveryCodes(userId: string): Promise<string[]> {
    const codes = generateRecoveryCodes();
    await this.users.replaceRecoveryCodes(userId, this.digestCodes(userId, codes));
    return codes;
  }

  /** A TOTP code (6 digits) or an unused recovery code; either is spent by a successful check. */
  async secondFactorMatches(user: UserRecord, code: string): Promise<'totp' | 'recovery-code' | null> {
    if (!user.mfaSecret) return null;
    const trimmed = code.replace(/\s/g, '');
    if (/^\d{6}$/.test(trimmed)) {
      const secret = this.encryption.decrypt(user.mfaSecret, totpContext(user.id));
      const step = verifyTotp(secret, trimmed, { afterStep: user.mfaLastStep === null ? undefined : Number(user.mfaLastStep) });
      return step !== null && (await this.users.claimMfaStep(user.id, step)) ? 'totp' : null;
    }
    const normalized = normalizeRecoveryCode(trimmed);
    return normalized && (await this.users.useRecoveryCode(user.id, this.encryption.keyedDigests(normalized, recoveryContext(user.id))))
      ? 'recovery-code'
      : null;
  }

  /** Password, then the second factor when MFA is on: for deleting the account and other drastic steps. */
  async reauthenticate(user: UserRecord, password: string, code?: string): Promise<void> {
    if (!(await this.passwordMatches(user, password))) throw new Unauthenticated('The password is wrong.');
    if (!user.mfaEnabledAt) return;
    if (!code) throw new Unauthenticated('MFA is enabled: send a code from the authenticator or a recovery code.');
    if (!(await this.secondFactorMatches(user, code))) throw new Unauthenticated('The MFA code is wrong or already used.');
  }

  // 50-bit codes: a keyed digest, so a copy of the database alone cannot brute-force them.
  private digestCodes(userId: string, codes: string[]): string[] {
    return codes.map((code) => this.encryption.keyedDigests(code, recoveryContext(userId))[0]);
  }

  remainingRecoveryCodes(userId: string): Promise<number> {
    return this.users.countUnusedRecoveryCodes(userId);
  }
}

function recoveryContext(userId: string): string {
  return `user:${userId}:recovery-code`;
}

function totpContext(userId: string): string {
  return `user:${userId}:totp`;
}
