import type { RequestMeta } from '../access/request-context';
import type { Principal } from '../access/principal';

/**
 * How an audited action ended. `started`: written before an admin action runs and replaced
 * by its outcome when it ends; one still `started` ended without its outcome being stored
 * (the process died, or the database failed right then).
 */
export type AuditOutcome = 'success' | 'failure' | 'denied' | 'started';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied', 'started'];

export interface AuditActor {
  type: 'user' | 'api-key' | 'anonymous' | 'system';
  id?: string | null;
}

export interface AuditEntry {
  action: string;
  outcome: AuditOutcome;
  actor: AuditActor;
  target?: { type: string; id: string };
  request?: RequestMeta;
  /** Context for investigators; never secrets (tokens, passwords, codes). */
  details?: Record<string, unknown>;
}

export function actorOf(principal: Principal): AuditActor {
  return { type: principal.kind === 'api-key' ? 'api-key' : 'user', id: principal.userId };
}

/** A stored audit event. */
export interface AuditEventRecord {
  id: string;
  at: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: unknown;
}

/** Which events to read; every condition is optional and they all apply. Times are inclusive. */
export interface AuditFilter {
  actorId?: string;
  /** An exact action, or a prefix ending in `*` (`auth.*`). */
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
}

/** A position in the newest-first audit log. */
export interface AuditKey {
  at: Date;
  id: string;
}
