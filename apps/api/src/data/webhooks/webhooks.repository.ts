import { Injectable } from '@nestjs/common';
import { newId, PrismaService, type Queryable, storableText } from '@backlot/database';
import type { TimeKey } from '@backlot/http';
import type { DeliveryStatus } from './webhook.types';

export interface WebhookRow {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  /** Sealed (FieldEncryption, context `webhooks:<id>`). */
  secret: string;
  enabled: boolean;
  disabledAt: Date | null;
  disabledReason: string | null;
  consecutiveFailures: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryRow {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  payload: string;
  status: string;
  attempts: number;
  responseCode: number | null;
  latencyMs: number | null;
  responseBody: string | null;
  error: string | null;
  createdAt: Date;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
}

/** Columns a webhook update may set; what is left out stays. */
export interface WebhookChange {
  url?: string;
  events?: string[];
  description?: string | null;
  secret?: string;
  enabled?: boolean;
  disabledAt?: Date | null;
  disabledReason?: string | null;
  consecutiveFailures?: number;
}

export interface NewDelivery {
  webhookId: string;
  eventId: string;
  event: string;
  payload: string;
}

export interface AttemptOutcome {
  status: DeliveryStatus;
  responseCode: number | null;
  latencyMs: number | null;
  responseBody: string | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

/** Webhooks and their delivery log; the only code that touches these tables. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** `seal` turns the plain secret into its stored form; it needs the id, which is chosen here. */
  create(
    input: { url: string; description: string | null; events: string[]; enabled: boolean },
    seal: (id: string) => string,
  ): Promise<WebhookRow> {
    const id = newId();
    return this.prisma.webhook.create({
      data: { id, ...input, secret: seal(id), ...(!input.enabled && { disabledAt: new Date(), disabledReason: 'disabled by an admin' }) },
    });
  }

  find(id: string): Promise<WebhookRow | null> {
    return this.prisma.webhook.findUnique({ where: { id } });
  }

  /** Newest first, keyset on (created_at, id). */
  page(after: TimeKey | null, take: number): Promise<WebhookRow[]> {
    return this.prisma.webhook.findMany({
      where: after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  count(): Promise<number> {
    return this.prisma.webhook.count();
  }

  /** What event matching needs: enabled webhooks' ids and patterns. */
  enabled(): Promise<{ id: string; events: string[] }[]> {
    return this.prisma.webhook.findMany({ where: { enabled: true }, select: { id: true, events: true } });
  }

  async update(id: string, change: WebhookChange): Promise<WebhookRow | null> {
    const updated = await this.prisma.webhook.updateMany({ where: { id }, data: change });
    return updated.count === 0 ? null : this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.prisma.webhook.deleteMany({ where: { id } })).count > 0;
  }

  /** One more failed attempt in a row; returns the new count. */
  async recordFailure(id: string): Promise<number | null> {
    const rows = await this.prisma.$queryRaw<{ consecutive_failures: number }[]>`
      UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ${id}::uuid RETURNING consecutive_failures`;
    return rows[0]?.consecutive_failures ?? null;
  }

  async recordSuccess(id: string): Promise<void> {
    await this.prisma.webhook.updateMany({ where: { id, consecutiveFailures: { gt: 0 } }, data: { consecutiveFailures: 0 } });
  }

  /** Disables an enabled webhook; false when it was already disabled (another instance got there first). */
  async disable(id: string, reason: string): Promise<boolean> {
    const updated = await this.prisma.webhook.updateMany({
      where: { id, enabled: true },
      data: { enabled: false, disabledAt: new Date(), disabledReason: storableText(reason, 500) },
    });
    return updated.count > 0;
  }

  /**
   * Inserts pending deliveries through `tx` (the transaction that also queues their jobs) and
   * returns their ids. Deliveries to webhooks that no longer exist (deleted, or gone with a
   * restore, since the caller matched the event) are left out rather than failing the others:
   * the webhooks are locked against deletion until the commit, so the foreign key holds.
   */
  async insertDeliveries(deliveries: readonly NewDelivery[], tx: Queryable): Promise<string[]> {
    const rows = deliveries.map((delivery) => ({
      id: newId(),
      webhook_id: delivery.webhookId,
      event_id: delivery.eventId,
      event: delivery.event,
      payload: delivery.payload,
    }));
    const inserted = await tx.query<{ id: string }>(
      `WITH live AS (SELECT id FROM webhooks WHERE id = ANY($2::uuid[]) FOR KEY SHARE)
       INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, payload)
       SELECT delivery.id, delivery.webhook_id, delivery.event_id, delivery.event, delivery.payload
         FROM jsonb_to_recordset($1::jsonb) AS delivery(id uuid, webhook_id uuid, event_id uuid, event text, payload text)
         JOIN live ON live.id = delivery.webhook_id
       RETURNING id`,
      [JSON.stringify(rows), [...new Set(rows.map((row) => row.webhook_id))]],
    );
    const ids = new Set(inserted.map((row) => row.id));
    return rows.filter((row) => ids.has(row.id)).map((row) => row.id);
  }

  /** The scope is the webhook: a delivery id of another webhook is not found. */
  findDelivery(webhookId: string, id: string): Promise<DeliveryRow | null> {
    return this.prisma.webhookDelivery.findFirst({ where: { id, webhookId } });
  }

  findDeliveryById(id: string): Promise<DeliveryRow | null> {
    return this.prisma.webhookDelivery.findUnique({ where: { id } });
  }

  pageDeliveries(webhookId: string, status: DeliveryStatus | undefined, after: TimeKey | null, take: number): Promise<DeliveryRow[]> {
    return this.prisma.webhookDelivery.findMany({
      where: { webhookId, status, ...(after && { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] }) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  countDeliveries(webhookId: string, status: DeliveryStatus | undefined): Promise<number> {
    return this.prisma.webhookDelivery.count({ where: { webhookId, status } });
  }

  async recordAttempt(id: string, outcome: AttemptOutcome): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { id },
      data: {
        ...outcome,
        responseBody: outcome.responseBody === null ? null : storableText(outcome.responseBody, 2048),
        error: outcome.error === null ? null : storableText(outcome.error, 1000),
        attempts: { increment: 1 },
        lastAttemptAt: new Date(),
      },
    });
  }

  /** Finished deliveries (succeeded or failed) created before `before`; pending ones stay. */
  async purgeFinished(before: Date): Promise<number> {
    const { count } = await this.prisma.webhookDelivery.deleteMany({ where: { status: { not: 'pending' }, createdAt: { lt: before } } });
    return count;
  }

  /** Ends a delivery without an attempt (its webhook was disabled or deleted meanwhile). */
  async abandon(id: string, error: string): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { id, status: 'pending' },
      data: { status: 'failed', error, nextAttemptAt: null },
    });
  }
}
