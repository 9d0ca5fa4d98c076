import { Injectable, Logger } from '@nestjs/common';
import type { Queryable } from '@backlot/database';

/** Cross-domain events; payloads carry ids (and, for `database.restoring`, its transaction), never secrets. */
export interface DomainEventMap {
  'user.created': { userId: string; email: string };
  'user.deleted': { userId: string };
  /** Credentials changed (password, reset): every session but `keepSessionId` must end. */
  'user.credentials-changed': { userId: string; keepSessionId?: string; reason: string };
  /** Role or enabled state changed: cached principals must be reloaded. */
  'user.access-changed': { userId: string };
  /** A schema change rewrote a collection's stored records (renames, removals, filled defaults): cached records are stale. */
  'collection.records-rewritten': { collectionId: string };
  /**
   * A backup's rows are in, inside the restore's transaction (`tx`), before it commits:
   * rebuild derived state in that transaction (runtime field indexes), or throw to roll back.
   */
  'database.restoring': { backup: string; tx: Queryable };
  /** The whole database was replaced from a backup (committed): in-memory state must be dropped. */
  'database.restored': { backup: string };
}

export type DomainEventName = keyof DomainEventMap;
type Handler<K extends DomainEventName> = (payload: DomainEventMap[K]) => Promise<void> | void;

/**
 * In-process typed events so one domain reacts to another's changes without importing it
 * (users emits `user.deleted`; auth and data clean up). `emit` waits for every handler, so
 * when a request answers, its side effects are done; a failing handler fails the emit.
 */
@Injectable()
export class DomainEvents {
  private readonly logger = new Logger('Events');
  private readonly handlers = new Map<DomainEventName, Handler<never>[]>();

  on<K extends DomainEventName>(name: K, handler: Handler<K>): void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler as Handler<never>);
    this.handlers.set(name, list);
  }

  async emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Promise<void> {
    for (const handler of this.handlers.get(name) ?? []) {
      try {
        await (handler as Handler<K>)(payload);
      } catch (error) {
        this.logger.error({ msg: `handler for ${name} failed`, err: error });
        throw error;
      }
    }
  }
}
