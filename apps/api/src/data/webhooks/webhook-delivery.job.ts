import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { type JobContext, JobQueue, RetryAt } from '@backlot/jobs';
import { AuditService, FieldEncryption } from '@backlot/security';
import { AddressGuard, type CheckedTarget, ForbiddenTarget } from './address-guard';
import { DELIVER_JOB, type DeliverPayload, WebhookDispatcher } from './webhook-dispatcher';
import { postWebhook } from './webhook-client';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';
import { type AttemptOutcome, type DeliveryRow, type WebhookRow, WebhooksRepository } from './webhooks.repository';

/**
 * Runs one delivery attempt per job run: checks the target address (SSRF), signs, POSTs to
 * the checked address, and records the outcome on the delivery row. A failure the queue
 * should retry throws RetryAt with the time the log shows; the last attempt and permanent
 * failures (a refused address) end the delivery as failed without dead-lettering the job: the
 * delivery log is where admins look, and redelivery is the retry. Failed attempts in a row
 * disable the webhook at the threshold.
 */
@Injectable()
export class WebhookDeliveryJob implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly queue: JobQueue,
    private readonly encryption: FieldEncryption,
    private readonly audit: AuditService,
    private readonly dispatcher: WebhookDispatcher,
    private readonly guard: AddressGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.queue.define<DeliverPayload>({
      name: DELIVER_JOB,
      handler: (payload, context) => this.run(payload.deliveryId, context),
      maxAttempts: this.config.webhooks.maxAttempts,
      backoffSeconds: this.config.webhooks.backoffSeconds,
    });
    this.queue.define({
      name: 'webhooks.purge-deliveries',
      handler: () => this.repository.purgeFinished(new Date(Date.now() - this.config.webhooks.deliveryRetentionDays * 86_400_000)),
    });
    this.queue.schedule('webhooks.purge-deliveries', this.config.jobs.cleanupSchedule);
  }

  private async run(deliveryId: string, context: JobContext): Promise<void> {
    const delivery = await this.repository.findDeliveryById(deliveryId);
    // Gone with its webhook, or finished by an earlier run of this job (at-least-once queue).
    if (!delivery || delivery.status !== 'pending') return;
    const webhook = await this.repository.find(delivery.webhookId);
    if (!webhook) return;
    if (!webhook.enabled) return this.repository.abandon(delivery.id, 'not sent: the webhook is disabled');

    const last = context.attempt >= context.maxAttempts;
    const outcome = await this.attempt(webhook, delivery, context.signal);
    if (context.signal.aborted) return;
    if (outcome.status === 'succeeded') {
      await this.record(delivery.id, outcome);
      await this.repository.recordSuccess(webhook.id);
      return;
    }
    const retry = outcome.status === 'pending' && !last;
    // The queue runs the retry at exactly this time (RetryAt), so the log tells the truth.
    const retryAt = new Date(Date.now() + context.retryDelayMs);
    await this.record(delivery.id, { ...outcome, status: retry ? 'pending' : 'failed', nextAttemptAt: retry ? retryAt : null });
    const disabled = await this.countFailure(webhook, outcome.error);
    if (disabled) return this.repository.abandon(delivery.id, `${outcome.error ?? 'failed'}; not retried: the webhook was disabled`);
    if (retry) throw new RetryAt(outcome.error ?? 'delivery failed', retryAt);
  }

  /**
   * One request, resolution included, within WEBHOOK_TIMEOUT_MS. `status` is succeeded,
   * pending (retry may help) or failed (it will not). Text from outside (the receiver's body,
   * error messages) is made storable here, as it also goes into the disable reason and the audit log.
   */
  private async attempt(webhook: WebhookRow, delivery: DeliveryRow, shutdown: AbortSignal): Promise<AttemptOutcome> {
    const started = Date.now();
    const { timeoutMs } = this.config.webhooks;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([shutdown, deadline]);
    const base = { responseCode: null, latencyMs: null, responseBody: null, nextAttemptAt: null };
    let target: CheckedTarget | undefined;
    try {
      const url = new URL(webhook.url);
      target = await this.guard.check(url, signal);
      const secret = this.encryption.decrypt(webhook.secret, `webhooks:${webhook.id}`);
      const result = await postWebhook({
        url,
        target,
        body: delivery.payload,
        signal,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': `Backlot-Webhooks/${this.config.version}`,
          'Backlot-Event': delivery.event,
          'Backlot-Event-Id': delivery.eventId,
          'Backlot-Delivery': delivery.id,
          [SIGNATURE_HEADER]: signWebhook(secret, delivery.payload, Math.floor(Date.now() / 1000)),
        },
      });
      const response = { responseCode: result.status, latencyMs: Date.now() - started, responseBody: result.body, nextAttemptAt: null };
      if (result.status >= 200 && result.status < 300) return { ...response, status: 'succeeded', error: null };
      const error =
        result.status >= 300 && result.status < 400
          ? `redirect (${result.status}${result.location ? ` to ${result.location.slice(0, 300)}` : ''}) not followed`
          : `receiver answered ${result.status}`;
      return { ...response, status: 'pending', error };
    } catch (error) {
      if (error instanceof ForbiddenTarget) return { ...base, status: 'failed', error: `refused: ${error.message}` };
      const reason = deadline.aborted ? `timed out after ${timeoutMs} ms${target ? '' : ' (resolving the host)'}` : describe(error);
      return { ...base, latencyMs: Date.now() - started, status: 'pending', error: reason };
    }
  }

  /**
   * Stores the outcome. Should the database still refuse it, the outcome is stored without the
   * receiver's text rather than thrown: a throw would make the queue send the delivery again,
   * even one the receiver has already accepted.
   */
  private async record(deliveryId: string, outcome: AttemptOutcome): Promise<void> {
    try {
      await this.repository.recordAttempt(deliveryId, outcome);
    } catch (error) {
      this.logger.warn({ msg: 'delivery outcome stored without its response text', deliveryId, error: describe(error).slice(0, 300) });
      await this.repository.recordAttempt(deliveryId, {
        ...outcome,
        responseBody: null,
        error: outcome.error === null ? null : 'the attempt failed; its details could not be stored',
      });
    }
  }

  /** Counts a failed attempt; at the threshold disables the webhook (once) and says so. */
  private async countFailure(webhook: WebhookRow, lastError: string | null): Promise<boolean> {
    const failures = await this.repository.recordFailure(webhook.id);
    const threshold = this.config.webhooks.disableAfterFailures;
    if (failures === null || failures < threshold) return false;
    const reason = `disabled after ${failures} failed delivery attempts in a row (last: ${lastError ?? 'unknown'})`;
    if (!(await this.repository.disable(webhook.id, reason))) return true;
    await this.dispatcher.invalidate();
    this.logger.warn({ msg: 'webhook disabled after repeated failures', webhookId: webhook.id, failures });
    await this.audit.record({
      action: 'webhook.disabled',
      outcome: 'success',
      actor: { type: 'system' },
      target: { type: 'webhook', id: webhook.id },
      details: { consecutiveFailures: failures, lastError },
    });
    return true;
  }
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return code && message && !message.includes(code) ? `${code}: ${message}` : (message ?? String(error));
}
