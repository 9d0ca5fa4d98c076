import type { Principal, Role } from '@backlot/security';

/**
 * An account as the record queries see a caller, for admins' "as this user" views (rule
 * preview, list explain): only its id and role decide what a rule lets through.
 */
export function accountCaller(account: { id: string; role: Role }): Principal {
  return { kind: 'session', userId: account.id, role: account.role, sessionId: '' };
}
