export type Role = 'user' | 'admin';
export const ROLES: readonly Role[] = ['user', 'admin'];

/** Who is calling: a user through a session's access token, or an API key acting for its owner. */
export type Principal =
  | { kind: 'session'; userId: string; role: Role; sessionId: string }
  | { kind: 'api-key'; userId: string; role: Role; apiKeyId: string; scopes: readonly string[] };

/**
 * Turns verified credentials into a principal, or null when they no longer grant access
 * (session revoked or expired, key revoked, account disabled). Implemented by the auth
 * module; the guard looks it up at run time so this lib does not depend on the app.
 */
export abstract class PrincipalResolver {
  abstract fromSession(userId: string, sessionId: string): Promise<Principal | null>;
  abstract fromApiKey(key: string): Promise<Principal | null>;
}
