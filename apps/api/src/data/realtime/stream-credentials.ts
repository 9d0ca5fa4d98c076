import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type Principal, PrincipalResolver } from '@backlot/security';
import type { TicketHolder } from './realtime-tickets';
import type { SseConnection } from './sse-connection';

const REVOKED = JSON.stringify({ reason: 'The session or API key was revoked, or the account disabled; sign in again.' });

/**
 * Whether the credentials behind a stream still grant access, answered from the same cached
 * state the access guard uses. The PrincipalResolver is the auth module's: it is looked up
 * at run time, as the guard does, so the data module does not depend on auth.
 */
@Injectable()
export class StreamCredentials {
  private resolver?: PrincipalResolver;

  constructor(private readonly moduleRef: ModuleRef) {}

  /** The live principal of the session a ticket was issued for; null when that session has ended. */
  fromTicket(holder: TicketHolder): Promise<Principal | null> {
    return this.principals().fromSession(holder.userId, holder.sessionId);
  }

  /**
   * Ends with `revoked` each stream whose session or API key no longer grants access (revoked,
   * expired, account disabled), and moves the others to their owner's current role. A lookup
   * that fails leaves the stream as it is, to be checked again next time.
   */
  async recheck(connections: Iterable<SseConnection>): Promise<void> {
    const checks = new Map<string, Promise<Principal | null>>();
    for (const connection of connections) {
      const current = connection.owner.principal;
      if (!current || connection.closed) continue;
      const key = current.kind === 'session' ? `s:${current.sessionId}` : `k:${current.apiKeyId}`;
      let check = checks.get(key);
      if (!check) {
        check = (
          current.kind === 'session'
            ? this.principals().fromSession(current.userId, current.sessionId)
            : this.principals().fromApiKey(connection.owner.apiKey ?? '')
        ).catch(() => current);
        checks.set(key, check);
      }
      const fresh = await check;
      if (!fresh || fresh.userId !== current.userId) connection.end('revoked', REVOKED);
      else if (fresh.role !== current.role) {
        connection.owner.principal = fresh;
        // Filters compiled for the old role (hidden fields allowed or not) are compiled again.
        for (const subscription of connection.subscriptions) subscription.compiled = undefined;
      }
    }
  }

  private principals(): PrincipalResolver {
    return (this.resolver ??= this.moduleRef.get(PrincipalResolver, { strict: false }));
  }
}
