import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '@backlot/cache';
import { DomainEvents } from '@backlot/events';
import { JobQueue } from '@backlot/jobs';
import { v7 as uuidv7 } from 'uuid';
import { CollectionCatalog } from '../collections/collection-catalog';
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
    this.changes.onLocal((change) => this.onRecordChange(change));
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
    const event: WebhookEvent = { id: options.id ?? uuidv7(), type, createdAt: options.at ?? new Date().toISOString(), data };
    return this.deliver(hooks.map((hook) => ({ webhookId: hook.id, eventId: event.id, event: type, payload: JSON.stringify(event) })));
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

  private async onRecordChange(change: RecordChangeEvent): Promise<void> {
    const type = `${change.collection}.${change.action}`;
    if (!(await this.hooks()).some((hook) => matchesEvent(hook.events, type))) return;
    const collection = await this.catalog.find(change.collection);
    if (!collection) return;
    // Receivers sit outside the system and payloads are stored in plain text in the delivery
    // log: hidden fields are left out (as for any API client) and encrypted ones are not opened.
    const data = { ...change.record.data };
    for (const field of collection.encrypted) delete data[field.name];
    const record = this.presenter.view(collection, { ...change.record, data });
    await this.dispatch(type, { collection: change.collection, record }, { id: change.id, at: change.at });
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
