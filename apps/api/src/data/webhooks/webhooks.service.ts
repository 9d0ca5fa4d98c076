import { Injectable } from '@nestjs/common';
import { Conflict, decodeTimeCursor, NotFound, type TimeKey, type TimePage, timePage, ValidationFailed } from '@backlot/http';
import { FieldEncryption } from '@backlot/security';
import { AddressGuard } from './address-guard';
import { isEventPattern } from './event-patterns';
import { WebhookDispatcher } from './webhook-dispatcher';
import { newWebhookSecret } from './webhook-signature';
import type { DeliveryStatus, DeliveryView, WebhookInput, WebhookView } from './webhook.types';
import { type DeliveryRow, type WebhookChange, type WebhookRow, WebhooksRepository } from './webhooks.repository';

export const MAX_URL_LENGTH = 2048;
/** How long creation waits for DNS before accepting a name it cannot resolve yet. */
const CREATE_LOOKUP_TIMEOUT_MS = 2_000;

/** Admin management of webhooks: configuration, secrets, pings and the delivery log. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly dispatcher: WebhookDispatcher,
    private readonly encryption: FieldEncryption,
    private readonly guard: AddressGuard,
  ) {}

  /** The secret is returned here and by `rotateSecret` only; it is stored sealed. */
  async create(input: WebhookInput): Promise<WebhookView & { secret: string }> {
    await this.checkUrl(input.url);
    checkPatterns(input.events);
    const secret = newWebhookSecret();
    const row = await this.repository.create(
      { url: input.url, events: unique(input.events), description: input.description ?? null, enabled: input.enabled ?? true },
      (id) => this.encryption.encrypt(secret, contextOf(id)),
    );
    await this.dispatcher.invalidate();
    return { ...viewOf(row), secret };
  }

  async list(page: { cursor?: string; limit: number; count?: boolean }): Promise<TimePage<WebhookView>> {
    const after = page.cursor === undefined ? null : decodeTimeCursor(page.cursor);
    const [rows, total] = await Promise.all([
      this.repository.page(after, page.limit + 1),
      page.count ? this.repository.count() : Promise.resolve(undefined),
    ]);
    return timePage(rows, { limit: page.limit, total, key: keyOf, view: viewOf });
  }

  async get(id: string): Promise<WebhookView> {
    return viewOf(await this.row(id));
  }

  /** Enabling clears the failure count and the reason it was disabled. */
  async update(id: string, change: Partial<WebhookInput>): Promise<WebhookView> {
    const current = await this.row(id);
    if (change.url !== undefined) await this.checkUrl(change.url);
    if (change.events !== undefined) checkPatterns(change.events);
    const data: WebhookChange = {
      ...(change.url !== undefined && { url: change.url }),
      ...(change.events !== undefined && { events: unique(change.events) }),
      ...(change.description !== undefined && { description: change.description }),
    };
    if (change.enabled === true && !current.enabled)
      Object.assign(data, { enabled: true, disabledAt: null, disabledReason: null, consecutiveFailures: 0 });
    if (change.enabled === false && current.enabled)
      Object.assign(data, { enabled: false, disabledAt: new Date(), disabledReason: 'disabled by an admin' });
    if (Object.keys(data).length === 0) return viewOf(current);
    const row = await this.repository.update(id, data);
    if (!row) throw new NotFound('No such webhook.');
    await this.dispatcher.invalidate();
    return viewOf(row);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repository.delete(id))) throw new NotFound('No such webhook.');
    await this.dispatcher.invalidate();
  }

  /** A new secret replaces the old one at once: deliveries from now on are signed with it only. */
  async rotateSecret(id: string): Promise<WebhookView & { secret: string }> {
    await this.row(id);
    const secret = newWebhookSecret();
    const row = await this.repository.update(id, { secret: this.encryption.encrypt(secret, contextOf(id)) });
    if (!row) throw new NotFound('No such webhook.');
    return { ...viewOf(row), secret };
  }

  /** Queues a `ping` event to this webhook only. */
  async ping(id: string): Promise<DeliveryView> {
    const webhook = await this.enabledRow(id);
    const [deliveryId] = await this.dispatcher.dispatch('ping', { webhookId: webhook.id }, { only: webhook.id });
    // None when the webhook was deleted in the meantime.
    if (!deliveryId) throw new NotFound('No such webhook.');
    return this.deliveryView(id, deliveryId);
  }

  async deliveries(
    id: string,
    query: { status?: DeliveryStatus; cursor?: string; limit: number; count?: boolean },
  ): Promise<TimePage<DeliveryView>> {
    await this.row(id);
    const after = query.cursor === undefined ? null : decodeTimeCursor(query.cursor);
    const [rows, total] = await Promise.all([
      this.repository.pageDeliveries(id, query.status, after, query.limit + 1),
      query.count ? this.repository.countDeliveries(id, query.status) : Promise.resolve(undefined),
    ]);
    return timePage(rows, { limit: query.limit, total, key: keyOf, view: deliveryViewOf });
  }

  /** One delivery with the body that was sent. */
  async delivery(id: string, deliveryId: string): Promise<DeliveryView & { payload: unknown }> {
    const row = await this.deliveryRow(id, deliveryId);
    return { ...deliveryViewOf(row), payload: JSON.parse(row.payload) as unknown };
  }

  /** A new delivery of the same body (same event id, so receivers can deduplicate), with a fresh signature. */
  async redeliver(id: string, deliveryId: string): Promise<DeliveryView> {
    await this.enabledRow(id);
    const original = await this.deliveryRow(id, deliveryId);
    const [copy] = await this.dispatcher.deliver([
      { webhookId: id, eventId: original.eventId, event: original.event, payload: original.payload },
    ]);
    if (!copy) throw new NotFound('No such webhook.');
    return this.deliveryView(id, copy);
  }

  /** What ping and redeliver answer: the new delivery as the log lists it (the body is in `delivery`). */
  private async deliveryView(id: string, deliveryId: string): Promise<DeliveryView> {
    return deliveryViewOf(await this.deliveryRow(id, deliveryId));
  }

  private async deliveryRow(id: string, deliveryId: string): Promise<DeliveryRow> {
    const row = await this.repository.findDelivery(id, deliveryId);
    if (!row) throw new NotFound('No such delivery of this webhook.');
    return row;
  }

  private async row(id: string): Promise<WebhookRow> {
    const row = await this.repository.find(id);
    if (!row) throw new NotFound('No such webhook.');
    return row;
  }

  private async enabledRow(id: string): Promise<WebhookRow> {
    const row = await this.row(id);
    if (!row.enabled) throw new Conflict('The webhook is disabled; enable it first.');
    return row;
  }

  /** Syntax, then the SSRF check on what the host is or resolves to now (names that do not resolve are checked at delivery). */
  private async checkUrl(raw: string): Promise<void> {
    const fail = (code: string, message: string) => new ValidationFailed([{ path: 'url', code, message }]);
    if (raw.length > MAX_URL_LENGTH) throw fail('tooLong', `url must be at most ${MAX_URL_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw fail('invalidUrl', 'url must be an absolute http or https URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw fail('unsupportedScheme', `url must use http or https, not ${url.protocol.slice(0, 20)}`);
    if (url.username || url.password)
      throw fail('credentialsInUrl', 'url must not contain credentials (use the signature to authenticate deliveries)');
    if (!url.hostname) throw fail('invalidUrl', 'url must name a host');
    const refused = await this.guard.checkNow(url, CREATE_LOOKUP_TIMEOUT_MS);
    if (refused) throw fail('forbiddenTarget', `url is not allowed: ${refused.message}`);
  }
}

function checkPatterns(events: readonly string[]): void {
  const errors = events.flatMap((pattern, index) =>
    isEventPattern(pattern)
      ? []
      : [
          {
            path: `events.${index}`,
            code: 'invalidPattern',
            message: `"${pattern.slice(0, 80)}" is not an event pattern like tasks.created, tasks.*, *.deleted, user.created or *`,
          },
        ],
  );
  if (errors.length > 0) throw new ValidationFailed(errors);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function contextOf(id: string): string {
  return `webhooks:${id}`;
}

function keyOf(row: { createdAt: Date; id: string }): TimeKey {
  return { at: row.createdAt, id: row.id };
}

function viewOf(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    disabledReason: row.disabledReason,
    consecutiveFailures: row.consecutiveFailures,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function deliveryViewOf(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    webhookId: row.webhookId,
    eventId: row.eventId,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    responseCode: row.responseCode,
    latencyMs: row.latencyMs,
    responseBody: row.responseBody,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
  };
}
