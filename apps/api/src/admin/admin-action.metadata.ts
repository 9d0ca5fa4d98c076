/**
 * Where `@AdminAction` stores the audit name of an admin call, for `AdminAuditInterceptor` to
 * read. A module of its own so the decorators and the interceptor need not import each other.
 */
export const ADMIN_ACTION = 'backlot:admin-action';
