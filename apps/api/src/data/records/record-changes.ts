import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '@backlot/cache';
import { newId, type Queryable } from '@backlot/database';
import { DomainEvents } from '@backlot/events';
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
/** Hears the changes of one commit (or of one write outside a transaction) together, so a bulk write can be handled in bulk. */
type BatchListener = (events: readonly RecordChangeEvent[]) => void | Promise<void>;

const CHANNEL = 'data.changes';
/** Every record was replaced at once (a backup restore), outside the change stream. */
const REPLACED_CHANNEL = 'data.replaced';
/**
 * Bus publishes in flight at once. A large commit (an import, a batch, a cascade) must not put
 * tens of thousands of commands on the Redis connection at the same moment: the last ones
 * would outlast the command timeout and every instance would be told to resync.
 */
const MAX_PUBLISHES_IN_FLIGHT = 64;

/**
 * Committed record changes, for realtime subscribers and webhooks. The records repository
 * reports every insert, update, delete and undelete; inside a transaction the events wait
 * for the commit and are dropped with a rollback. Local listeners (webhooks: one delivery
 * per change) hear changes made on this instance, a commit's changes together; `onAny`
 * listeners (realtime) hear every instance's changes through the cluster bus, one by one, at
 * most once (`onMissed` says when some were lost). Changes go onto the bus in commit order.
 */
@Injectable()
export class RecordChanges implements OnModuleInit {
  private readonly logger = new Logger('RecordChanges');
  private readonly local: BatchListener[] = [];
  private readonly any: Listener[] = [];
  private readonly replaced: (() => void)[] = [];
  private readonly pending = new WeakMap<Queryable, RecordChangeEvent[]>();
  /** Committed changes waiting for their turn on the bus, oldest first from `outboxHead`. */
  private outbox: RecordChangeEvent[] = [];
  private outboxHead = 0;
  private publishesInFlight = 0;

  constructor(
    private readonly bus: ClusterBus,
    private readonly events: DomainEvents,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe(CHANNEL, (message) => {
      const event = revive(message as RecordChangeEvent);
      for (const listener of this.any) this.call(listener, event);
    });
    await this.bus.subscribe(REPLACED_CHANNEL, () => {
      for (const listener of this.replaced) this.call(listener, undefined);
    });
    // A restore loads every table without a change event per row: listeners are told once, on every instance.
    this.events.on('database.restored', () =>
      this.bus
        .publish(REPLACED_CHANNEL, {})
        .catch((error: unknown) =>
          this.logger.warn({
            msg: 'restore not announced on the cluster bus; realtime streams learn of it at their next session check',
            error: (error as Error).message,
          }),
        ),
    );
  }

  onLocal(listener: BatchListener): void {
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

  /** Calls `listener` on every instance after a restore replaced every record (and every session) at once. */
  onReplaced(listener: () => void): void {
    this.replaced.push(listener);
  }

  /** @internal the repository: events of `q`'s transaction are held until `commit(q)`. */
  record(collection: CollectionSchema, action: RecordAction, rows: readonly RecordRow[], actorId: string | null, q: Queryable): void {
    if (rows.length === 0) return;
    const at = new Date().toISOString();
    const events = rows.map((record) => ({
      id: newId(),
      at,
      action,
      collectionId: collection.id,
      collection: collection.name,
      actorId,
      record,
    }));
    const held = this.pending.get(q);
    if (held) for (const event of events) held.push(event);
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
    if (events.length === 0) return;
    for (const listener of this.local) this.call(listener, events);
    for (const event of events) this.outbox.push(event);
    this.pump();
  }

  /** Sends waiting changes in order, at most MAX_PUBLISHES_IN_FLIGHT at a time (one connection keeps their order). */
  private pump(): void {
    while (this.publishesInFlight < MAX_PUBLISHES_IN_FLIGHT && this.outboxHead < this.outbox.length) {
      const event = this.outbox[this.outboxHead++];
      this.publishesInFlight += 1;
      this.bus
        .publish(CHANNEL, event)
        .catch((error: unknown) =>
          this.logger.warn({
            msg: 'change not published on the cluster bus: realtime subscribers on every instance, this one included, miss it and are sent resync',
            error: (error as Error).message,
          }),
        )
        .finally(() => {
          this.publishesInFlight -= 1;
          this.pump();
        });
    }
    // Let go of what was sent: at once when all was, in bulk while a backlog keeps it from emptying.
    if (this.outboxHead === this.outbox.length || this.outboxHead >= 4_096) {
      this.outbox = this.outbox.slice(this.outboxHead);
      this.outboxHead = 0;
    }
  }

  private call<T>(listener: (value: T) => void | Promise<void>, value: T): void {
    try {
      const result = listener(value);
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
