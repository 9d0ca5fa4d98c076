import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '@backlot/cache';
import { newId } from '@backlot/database';
import { DomainEvents } from '@backlot/events';
import { JobQueue } from '@backlot/jobs';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import { type RecordChangeEvent, RecordChanges } from '../records/record-changes';
import { RecordPresenter } from '../records/record-view';
import { matchesEvent } from './event-patterns';
import { type NewDelivery, WebhooksRepository } from './webhooks.repository';

export const DELIVER_JOB = 'webhooks.deliver';
export interface DeliverPayload {
  deliveryId: string;
}

/** What a receiver gets, serialized once per event and stored with each delivery. */
export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  data: unknown;
}

const CHANGED_CHANNEL = 'webhooks.changed';
/**
 * Deliveries written per transaction when a commit changed many records (an import): short
 * transactions, one at a time, instead of one per record all at once (which would queue
 * thousands on the connection pool, and on the embedded database hold up every request).
 */
const DELIVERIES_PER_TRANSACTION = 500;
const PAYLOAD_BYTES_PER_TRANSACTION = 4 * 1024 * 1024;
/** Bounds staleness if an invalidation over the bus is lost (Redis hiccup). */
const CACHE_TTL_MS = 30_000;

/**
 * Turns events into deliveries: record changes made on this instance (so each change is
 * delivered once across the cluster) and user events. Each event is matched against the
 * enabled webhooks (cached; every webhook write, and a restore, invalidates the cache on
 * every instance), and each match gets a delivery row and a `webhooks.deliver` job.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');
  private cache?: { at: number; hooks: Promise<{ id: string; events: string[] }[]> };

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly queue: JobQueue,
    private readonly changes: RecordChanges,
    private readonly events: DomainEvents,
    private readonly catalog: CollectionCatalog,
    private readonly presenter: RecordPresenter,
    private readonly bus: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    this.changes.onLocal((changes) => this.onRecordChanges(changes));
    // A webhook problem must never fail the sign-up or deletion that emitted the event.
    this.events.on('user.created', ({ userId, email }) => this.safely('user.created', { userId, email }));
    this.events.on('user.deleted', ({ userId }) => this.safely('user.deleted', { userId }));
    // A restore replaces every webhook: the cached list may name ones that no longer exist.
    this.events.on('database.restored', () => this.invalidate());
    await this.bus.subscribe(CHANGED_CHANNEL, () => (this.cache = undefined));
  }

  /**
   * After any webhook write: the next event reloads the list, here and on every other instance.
   * Resolves once the announcement is out (so the admin's answer comes after it); a lost one is
   * logged, and the cache's TTL bounds the staleness it leaves elsewhere.
   */
  async invalidate(): Promise<void> {
    this.cache = undefined;
    try {
      await this.bus.publish(CHANGED_CHANNEL, {});
    } catch (error) {
      this.logger.warn({ msg: 'webhook change not announced to other instances', error: (error as Error).message });
    }
  }

  /** Delivers one event to the matching webhooks (or only to `only`, for a ping); returns the delivery ids. */
  async dispatch(type: string, data: unknown, options: { id?: string; at?: string; only?: string } = {}): Promise<string[]> {
    const hooks = options.only ? [{ id: options.only }] : (await this.hooks()).filter((hook) => matchesEvent(hook.events, type));
    if (hooks.length === 0) return [];
    return this.deliver(deliveriesOf(hooks, type, data, options));
  }

  /**
   * Inserts the delivery rows and one job each (the delivery id is the job's singleton key) in
   * one transaction: if queueing fails, the rows roll back with it, so no delivery is left
   * pending without a job to send it (nothing would ever finish or purge it).
   */
  deliver(deliveries: NewDelivery[]): Promise<string[]> {
    return this.queue.transaction(async (tx) => {
      const ids = await this.repository.insertDeliveries(deliveries, tx);
      const jobs = ids.map((deliveryId) => ({ payload: { deliveryId }, singletonKey: `${DELIVER_JOB}:${deliveryId}` }));
      await this.queue.enqueueMany<DeliverPayload>(DELIVER_JOB, jobs, tx);
      return ids;
    });
  }

  /**
   * One commit's record changes: matched against the webhooks once, written in short
   * transactions of bounded size one after another. A chunk that cannot be queued is logged
   * and the next one is still tried.
   */
  private async onRecordChanges(changes: readonly RecordChangeEvent[]): Promise<void> {
    const hooks = await this.hooks();
    const schemas = new Map<string, Promise<CollectionSchema | undefined>>();
    let chunk: NewDelivery[] = [];
    let chunkBytes = 0;
    const flush = async () => {
      const deliveries = chunk;
      chunk = [];
      chunkBytes = 0;
      try {
        await this.deliver(deliveries);
      } catch (error) {
        this.logger.error({ msg: 'webhook deliveries not queued', deliveries: deliveries.length, err: error });
      }
    };
    for (const change of changes) {
      const type = `${change.collection}.${change.action}`;
      const matching = hooks.filter((hook) => matchesEvent(hook.events, type));
      if (matching.length === 0) continue;
      let schema = schemas.get(change.collection);
      if (!schema) schemas.set(change.collection, (schema = this.catalog.find(change.collection)));
      const collection = await schema;
      if (!collection || collection.id !== change.collectionId) continue;
      const data = { collection: change.collection, record: this.receiverView(collection, change) };
      for (const delivery of deliveriesOf(matching, type, data, { id: change.id, at: change.at })) {
        chunk.push(delivery);
        chunkBytes += delivery.payload.length;
      }
      if (chunk.length >= DELIVERIES_PER_TRANSACTION || chunkBytes >= PAYLOAD_BYTES_PER_TRANSACTION) await flush();
    }
    if (chunk.length > 0) await flush();
  }

  /**
   * Receivers sit outside the system and payloads are stored in plain text in the delivery
   * log: hidden fields are left out (as for any API client) and encrypted ones are not opened.
   */
  private receiverView(collection: CollectionSchema, change: RecordChangeEvent): unknown {
    const data = { ...change.record.data };
    for (const field of collection.encrypted) delete data[field.name];
    return this.presenter.view(collection, { ...change.record, data });
  }

  private async safely(type: string, data: unknown): Promise<void> {
    try {
      await this.dispatch(type, data);
    } catch (error) {
      this.logger.error({ msg: 'webhook deliveries not queued', event: type, err: error });
    }
  }

  private hooks(): Promise<{ id: string; events: string[] }[]> {
    if (!this.cache || Date.now() - this.cache.at > CACHE_TTL_MS) {
      const hooks = this.repository.enabled();
      const entry = { at: Date.now(), hooks };
      this.cache = entry;
      hooks.catch(() => {
        if (this.cache === entry) this.cache = undefined;
      });
    }
    return this.cache.hooks;
  }
}

/** One event, serialized once, for each of `hooks`. */
function deliveriesOf(hooks: readonly { id: string }[], type: string, data: unknown, options: { id?: string; at?: string }): NewDelivery[] {
  const event: WebhookEvent = { id: options.id ?? newId(), type, createdAt: options.at ?? new Date().toISOString(), data };
  const payload = JSON.stringify(event);
  return hooks.map((hook) => ({ webhookId: hook.id, eventId: event.id, event: type, payload }));
}
