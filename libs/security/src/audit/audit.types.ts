import type { RequestMeta } from '../access/request-context';
import type { Principal } from '../access/principal';

export type AuditOutcome = 'success' | 'failure' | 'denied';

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
