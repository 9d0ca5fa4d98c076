import { Injectable } from '@nestjs/common';
import type { TransactionClient } from '@backlot/database';
import { DomainEvents } from '@backlot/events';
import { Conflict, NotFound } from '@backlot/http';
import { type AuditActor, AuditService, type RequestMeta, type Role } from '@backlot/security';
import {
  type AccessChange,
  type ProfileFields,
  toProfile,
  type UserCounts,
  type UserProfile,
  type UserRecord,
  UsersRepository,
} from './users.repository';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Looking up, creating and updating accounts; other domains use this, never the repository. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
  ) {}

  findById(id: string): Promise<UserRecord | null> {
    return this.users.findById(id);
  }

  /** Which of `ids` are existing accounts (data's user fields point at them). */
  existingIds(ids: readonly string[]): Promise<Set<string>> {
    return this.users.existingIds(ids);
  }

  async get(id: string): Promise<UserRecord> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFound('The account no longer exists.');
    return user;
  }

  /** The user's profile, from the shared cache when it is there. */
  async profile(id: string): Promise<UserProfile> {
    const profile = await this.users.findProfile(id);
    if (!profile) throw new NotFound('The account no longer exists.');
    return profile;
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.users.findByEmail(normalizeEmail(email));
  }

  /** `passwordHash` null: an account made by a sign-in provider, with its profile from there. */
  async create(input: {
    email: string;
    passwordHash: string | null;
    role?: Role;
    verified?: boolean;
    profile?: ProfileFields;
  }): Promise<UserRecord> {
    const user = await this.users.create({
      email: normalizeEmail(input.email),
      passwordHash: input.passwordHash,
      role: input.role,
      emailVerifiedAt: input.verified ? new Date() : null,
      ...input.profile,
    });
    await this.events.emit('user.created', { userId: user.id, email: user.email });
    return user;
  }

  /**
   * The first admin (verified), created only if `claim` succeeds in the same transaction and no
   * admin exists yet; see UsersRepository.createFirstAdmin.
   */
  async createFirstAdmin(
    input: { email: string; passwordHash: string },
    claim: (tx: TransactionClient) => Promise<boolean>,
  ): Promise<UserRecord | 'admin-exists' | 'email-taken' | 'claim-refused'> {
    const user = await this.users.createFirstAdmin({ email: normalizeEmail(input.email), passwordHash: input.passwordHash }, claim);
    if (typeof user !== 'string') await this.events.emit('user.created', { userId: user.id, email: user.email });
    return user;
  }

  adminExists(): Promise<boolean> {
    return this.users.adminExists();
  }

  async updateProfile(id: string, fields: ProfileFields): Promise<UserProfile> {
    // Store the canonical spelling ('utc' → 'UTC'), as clients will compare it.
    const timezone = fields.timezone
      ? new Intl.DateTimeFormat('en', { timeZone: fields.timezone }).resolvedOptions().timeZone
      : fields.timezone;
    return toProfile(await this.users.update(id, { ...fields, ...(fields.timezone !== undefined && { timezone }) }));
  }

  async markEmailVerified(id: string): Promise<void> {
    await this.users.update(id, { emailVerifiedAt: new Date() });
  }

  /** Moves the account to a verified new address; 409 if another account took it meanwhile. */
  async changeEmail(id: string, email: string): Promise<UserRecord> {
    const taken = await this.users.findByEmail(email);
    if (taken && taken.id !== id) throw new Conflict('That email address is already in use.');
    return this.users.update(id, { email, emailVerifiedAt: new Date() });
  }

  async setRole(id: string, role: Role): Promise<UserRecord> {
    const user = await this.users.update(id, { role });
    await this.events.emit('user.access-changed', { userId: id });
    return user;
  }

  /** Role or enabled state; 409 when the change would leave no enabled admin. Cached principals are reloaded. */
  async changeAccess(id: string, change: AccessChange): Promise<UserRecord> {
    const user = await this.users.changeAccess(id, change);
    if (user === 'last-admin')
      throw new Conflict('This is the last enabled admin account; make another account an admin (or enable one) first.');
    await this.events.emit('user.access-changed', { userId: id });
    return user;
  }

  /**
   * Deletes the account, whoever asked (the user or an admin). It is disabled first, with the
   * last-admin check, so nothing signs in while `user.deleted` lets every domain remove or
   * anonymize what it holds; the audit trail keeps the user's events without IP or device.
   */
  async deleteAccount(userId: string, actor: AuditActor, request: RequestMeta): Promise<void> {
    await this.changeAccess(userId, { disabledAt: new Date() });
    await this.events.emit('user.deleted', { userId });
    await this.audit.anonymizeActor(userId);
    await this.users.delete(userId);
    await this.audit.record({
      action: 'user.deleted',
      outcome: 'success',
      actor,
      target: { type: 'user', id: userId },
      details: { requestId: request.requestId },
    });
  }

  counts(): Promise<UserCounts> {
    return this.users.counts();
  }
}
