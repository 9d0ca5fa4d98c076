import { Injectable } from '@nestjs/common';
import { DomainEvents } from '@backlot/events';
import { Conflict, decodeTimeCursor, type TimePage, timePage, ValidationFailed } from '@backlot/http';
import { actorOf, AuditService, type Principal, type RequestMeta, type Role } from '@backlot/security';
import { CredentialsService } from './credentials.service';
import { toProfile, type UserFilter, type UserProfile, type UserRecord, UsersRepository } from './users.repository';
import { UsersService } from './users.service';

export interface UserListQuery extends UserFilter {
  cursor?: string;
  limit: number;
  count?: boolean;
}

/** An account as operators see it: the profile plus whether it is disabled. */
export interface AdminUserView extends UserProfile {
  disabledAt: string | null;
}

export type UserPage = TimePage<AdminUserView>;

/**
 * What operators do to other people's accounts: list, change role, disable, end sessions,
 * reset MFA, delete. Session revocation happens in the auth module, driven by the same
 * events a password change emits. An admin cannot lock themselves out, and the last enabled
 * admin is never demoted, disabled or deleted. Each change is audited with the admin as actor.
 */
@Injectable()
export class UserModerationService {
  constructor(
    private readonly users: UsersService,
    private readonly repository: UsersRepository,
    private readonly credentials: CredentialsService,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
  ) {}

  async list(query: UserListQuery): Promise<UserPage> {
    const { cursor, limit, count, ...filter } = query;
    if (filter.createdFrom && filter.createdTo && filter.createdFrom > filter.createdTo)
      throw new ValidationFailed([{ path: 'createdFrom', code: 'range', message: 'createdFrom must not be later than createdTo' }]);
    const key = cursor === undefined ? null : decodeTimeCursor(cursor);
    const after = key && { createdAt: key.at, id: key.id };
    const [rows, total] = await Promise.all([
      this.repository.search(filter, after, limit + 1),
      count ? this.repository.count(filter) : Promise.resolve(undefined),
    ]);
    return timePage(rows, { limit, total, key: (row) => ({ at: row.createdAt, id: row.id }), view: toAdminView });
  }

  async get(id: string): Promise<AdminUserView> {
    return toAdminView(await this.users.get(id));
  }

  async setRole(admin: Principal, id: string, role: Role, request: RequestMeta): Promise<AdminUserView> {
    const user = await this.users.get(id);
    if (user.role === role) return toAdminView(user);
    if (admin.userId === id) throw new Conflict('You cannot take away your own admin role; ask another admin to do it.');
    const changed = await this.users.changeAccess(id, { role });
    await this.record('user.role-changed', admin, id, request, { from: user.role, to: role });
    return toAdminView(changed);
  }

  /** Ends every session at once: access tokens already handed out fail on their next request. */
  async disable(admin: Principal, id: string, request: RequestMeta): Promise<AdminUserView> {
    if (admin.userId === id) throw new Conflict('You cannot disable your own account.');
    const user = await this.users.get(id);
    if (user.disabledAt) return toAdminView(user);
    const disabled = await this.users.changeAccess(id, { disabledAt: new Date() });
    await this.events.emit('user.credentials-changed', { userId: id, reason: 'admin-disabled' });
    await this.record('user.disabled', admin, id, request);
    return toAdminView(disabled);
  }

  /** Sign-in works again; the sessions ended by disabling stay ended. */
  async enable(admin: Principal, id: string, request: RequestMeta): Promise<AdminUserView> {
    const user = await this.users.get(id);
    if (!user.disabledAt) return toAdminView(user);
    const enabled = await this.users.changeAccess(id, { disabledAt: null });
    await this.record('user.enabled', admin, id, request);
    return toAdminView(enabled);
  }

  async logout(admin: Principal, id: string, request: RequestMeta): Promise<void> {
    await this.users.get(id);
    await this.events.emit('user.credentials-changed', { userId: id, reason: 'admin-logout' });
    await this.record('user.sessions-revoked', admin, id, request, { reason: 'admin-logout' });
  }

  /** Drops the TOTP secret (pending one too) and recovery codes: the next sign-in asks for no code. Sessions stay. */
  async resetMfa(admin: Principal, id: string, request: RequestMeta): Promise<void> {
    const user = await this.users.get(id);
    await this.credentials.disableMfa(id);
    await this.record('user.mfa-reset', admin, id, request, { wasEnabled: user.mfaEnabledAt !== null });
  }

  async delete(admin: Principal, id: string, request: RequestMeta): Promise<void> {
    if (admin.userId === id) throw new Conflict('You cannot delete your own account from the admin API; use DELETE /users/me.');
    await this.users.get(id);
    await this.users.deleteAccount(id, actorOf(admin), request);
  }

  private record(action: string, admin: Principal, userId: string, request: RequestMeta, details?: Record<string, unknown>) {
    return this.audit.record({ action, outcome: 'success', actor: actorOf(admin), target: { type: 'user', id: userId }, request, details });
  }
}

function toAdminView(user: UserRecord): AdminUserView {
  return { ...toProfile(user), disabledAt: user.disabledAt?.toISOString() ?? null };
}
