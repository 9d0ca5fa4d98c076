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

/** Tickets held in process memory (no Redis): past this the oldest are forgotten. */
export const MEMORY_LIMIT = 100_000;
/** Unredeemed tickets one user may hold in process memory; a new one replaces that user's oldest. */
export const MAX_TICKETS_PER_USER = 20;

interface HeldTicket {
  holder: TicketHolder;
  expiresAt: number;
}

/**
 * Short-lived, single-use tickets that stand in for the access token where a browser's
 * EventSource cannot send headers. Only a hash of the ticket is stored. With Redis a ticket
 * is redeemed with GETDEL, so it works once across every instance (no race window); without
 * Redis there is only one instance, and an in-process map does the same, bounded so that no
 * user can push out another user's tickets.
 */
@Injectable()
export class RealtimeTickets {
  /** In issue order, so the oldest (and the first to expire) come first. */
  private readonly memory = new Map<string, HeldTicket>();
  /** Per user, the keys of their unredeemed tickets, oldest first. */
  private readonly byUser = new Map<string, string[]>();

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
    } else this.hold(keyOf(ticket), { holder, expiresAt: expiresAt.getTime() });
    return { ticket, expiresAt };
  }

  /** The holder, once; undefined for unknown, expired or spent tickets. */
  async redeem(ticket: string): Promise<TicketHolder | undefined> {
    const key = keyOf(ticket);
    if (!this.redis) {
      const entry = this.memory.get(key);
      if (entry) this.forget(key, entry);
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

  private hold(key: string, entry: HeldTicket): void {
    const now = Date.now();
    // Every ticket lives as long, so the expired ones are the oldest.
    for (const [oldest, held] of this.memory) {
      if (held.expiresAt > now && this.memory.size < MEMORY_LIMIT) break;
      this.forget(oldest, held);
    }
    const { userId } = entry.holder;
    const keys = this.byUser.get(userId) ?? [];
    if (keys.length >= MAX_TICKETS_PER_USER) this.forget(keys[0], this.memory.get(keys[0])!);
    this.memory.set(key, entry);
    this.byUser.set(userId, [...(this.byUser.get(userId) ?? []), key]);
  }

  private forget(key: string, entry: HeldTicket): void {
    this.memory.delete(key);
    const keys = (this.byUser.get(entry.holder.userId) ?? []).filter((held) => held !== key);
    if (keys.length > 0) this.byUser.set(entry.holder.userId, keys);
    else this.byUser.delete(entry.holder.userId);
  }
}

function keyOf(ticket: string): string {
  return `realtime-ticket:${createHash('sha256').update(ticket).digest('base64url')}`;
}
