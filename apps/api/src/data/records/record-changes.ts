import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '@backlot/cache';
import type { Queryable } from '@backlot/database';
import { v7 as uuidv7 } from 'uuid';
import type { CollectionSchema } from '../collections/collection-schema';
import type { RecordRow } from './record-row';

export type RecordAction = 'created' | 'updated' | 'deleted';

/** One committed change of one record: the stored row after it (before it, for a delete). */
export interface RecordChangeEvent {
  /** UUIDv7, time-ordered: the SSE event id and the webhook event id. */
  id: string;
  at: string;
  action: RecordAction;
  collectionId: string;
  collection: string;
  actorId: string | null;
  /** The stored row: hidden fields included, encrypted fields sealed. Shape it per reader before sending it anywhere. */
  record: RecordRow;
}

type Listener = (event: RecordChangeEvent) => void | Promise<void>;

const CHANNEL = 'data.changes';

/**
 * Committed record changes, for realtime subscribers and webhooks. The records repository
 * reports every insert, update, delete and undelete; inside a transaction the events wait
 * for the commit and are dropped with a rollback. Local listeners (webhooks: one delivery
 * per change) hear changes made on this instance; `onAny` listeners (realtime) hear every
 * instance's changes through the cluster bus, at most once (`onMissed` says when some were lost).
 */
@Injectable()
export class RecordChanges implements OnModuleInit {
  private readonly logger = new Logger('RecordChanges');
  private readonly local: Listener[] = [];
  private readonly any: Listener[] = [];
  private readonly pending = new WeakMap<Queryable, RecordChangeEvent[]>();

  constructor(private readonly bus: ClusterBus) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe(CHANNEL, (message) => {
      const event = revive(message as RecordChangeEvent);
      for (const listener of this.any) this.call(listener, event);
    });
  }

  onLocal(listener: Listener): void {
    this.local.push(listener);
  }

  onAny(listener: Listener): void {
    this.any.push(listener);
  }

  /**
   * Calls `listener` when `onAny` listeners may have missed changes: the cluster bus lost
   * messages (a publish failed, or its subscriber reconnected). Listeners that keep state
   * derived from the changes must then resynchronise.
   */
  onMissed(listener: () => void): void {
    this.bus.onGap(listener);
  }

  /** @internal the repository: events of `q`'s transaction are held until `commit(q)`. */
  record(collection: CollectionSchema, action: RecordAction, rows: readonly RecordRow[], actorId: string | null, q: Queryable): void {
    if (rows.length === 0) return;
    const at = new Date().toISOString();
    const events = rows.map((record) => ({
      id: uuidv7(),
      at,
      action,
      collectionId: collection.id,
      collection: collection.name,
      actorId,
      record,
    }));
    const held = this.pending.get(q);
    if (held) held.push(...events);
    else this.publish(events);
  }

  /** @internal the repository's transaction wrapper */
  hold(tx: Queryable): void {
    this.pending.set(tx, []);
  }

  /** @internal after a commit */
  release(tx: Queryable): void {
    const events = this.pending.get(tx) ?? [];
    this.pending.delete(tx);
    this.publish(events);
  }

  private publish(events: RecordChangeEvent[]): void {
    for (const event of events) {
      for (const listener of this.local) this.call(listener, event);
      this.bus
        .publish(CHANNEL, event)
        .catch((error: unknown) =>
          this.logger.warn({
            msg: 'change not published on the cluster bus: realtime subscribers on every instance, this one included, miss it and are sent resync',
            error: (error as Error).message,
          }),
        );
    }
  }

  private call(listener: Listener, event: RecordChangeEvent): void {
    try {
      const result = listener(event);
      if (result instanceof Promise) result.catch((error: unknown) => this.logger.error({ msg: 'change listener failed', err: error }));
    } catch (error) {
      this.logger.error({ msg: 'change listener failed', err: error });
    }
  }
}

/** Over the bus the row's times arrive as strings. */
function revive(event: RecordChangeEvent): RecordChangeEvent {
  const row = event.record as unknown as Record<string, unknown>;
  return {
    ...event,
    record: {
      ...event.record,
      created_at: new Date(row.created_at as string),
      updated_at: new Date(row.updated_at as string),
      deleted_at: row.deleted_at ? new Date(row.deleted_at as string) : null,
    },
  };
}
