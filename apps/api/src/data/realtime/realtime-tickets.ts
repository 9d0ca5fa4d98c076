import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { RedisConnection } from '@backlot/cache';
import { ServiceUnavailable } from '@backlot/http';

export const TICKET_TTL_SECONDS = 30;

/** Whom a ticket was issued to: re-checked (session still live) when it is redeemed. */
export interface TicketHolder {
  userId: string;
  sessionId: string;
}

const MEMORY_LIMIT = 100_000;

/**
 * Short-lived, single-use tickets that stand in for the access token where a browser's
 * EventSource cannot send headers. Only a hash of the ticket is stored. With Redis a ticket
 * is redeemed with GETDEL, so it works once across every instance (no race window); without
 * Redis there is only one instance, and an in-process map does the same.
 */
@Injectable()
export class RealtimeTickets {
  private readonly memory = new Map<string, { holder: TicketHolder; expiresAt: number }>();

  constructor(@Optional() @Inject(RedisConnection) private readonly redis?: RedisConnection) {}

  async issue(holder: TicketHolder): Promise<{ ticket: string; expiresAt: Date }> {
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + TICKET_TTL_SECONDS * 1000);
    if (this.redis) {
      try {
        await this.redis.client.set(keyOf(ticket), JSON.stringify(holder), 'EX', TICKET_TTL_SECONDS);
      } catch {
        throw new ServiceUnavailable('Realtime tickets cannot be issued while the shared cache is unreachable; retry shortly.');
      }
    } else {
      this.sweep();
      this.memory.set(keyOf(ticket), { holder, expiresAt: expiresAt.getTime() });
    }
    return { ticket, expiresAt };
  }

  /** The holder, once; undefined for unknown, expired or spent tickets. */
  async redeem(ticket: string): Promise<TicketHolder | undefined> {
    const key = keyOf(ticket);
    if (!this.redis) {
      const entry = this.memory.get(key);
      this.memory.delete(key);
      return entry && entry.expiresAt > Date.now() ? entry.holder : undefined;
    }
    let stored: string | null;
    try {
      stored = await this.redis.client.getdel(key);
    } catch {
      throw new ServiceUnavailable('Realtime tickets cannot be checked while the shared cache is unreachable; retry shortly.');
    }
    return stored ? (JSON.parse(stored) as TicketHolder) : undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.memory) if (entry.expiresAt <= now) this.memory.delete(key);
    if (this.memory.size >= MEMORY_LIMIT) this.memory.clear();
  }
}

function keyOf(ticket: string): string {
  return `realtime-ticket:${createHash('sha256').update(ticket).digest('base64url')}`;
}
