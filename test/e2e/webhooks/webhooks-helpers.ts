import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UserSession } from '@backlot/testing/auth';
import { json } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';
import type { ReceivedWebhook } from '@backlot/testing/webhook-receiver';

/** What delivery tests run with: the receiver on 127.0.0.1 allow-listed, fast polling and retries. */
export const WEBHOOK_TEST_ENV = {
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  JOBS_POLL_INTERVAL_MS: '100',
  WEBHOOK_BACKOFF_SECONDS: '1',
  WEBHOOK_MAX_ATTEMPTS: '3',
  WEBHOOK_DISABLE_AFTER_FAILURES: '4',
  WEBHOOK_TIMEOUT_MS: '2000',
};

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  consecutiveFailures: number;
  secret?: string;
}

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  responseCode: number | null;
  latencyMs: number | null;
  responseBody: string | null;
  error: string | null;
  nextAttemptAt: string | null;
  payload?: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
}

/** An open collection (everyone may do anything) to make events with; one per test keeps other tests' webhooks from matching. */
export async function createCollection(
  admin: UserSession,
  name: string,
  fields: unknown[] = [{ name: 'title', type: 'text' }],
): Promise<void> {
  const response = await admin.json('POST', '/collections', {
    name,
    fields,
    rules: { list: '', view: '', create: '', update: '', delete: '' },
  });
  expect(response.status).toBe(201);
}

export async function createWebhook(admin: UserSession, body: Record<string, unknown>): Promise<Webhook & { secret: string }> {
  const response = await admin.json('POST', '/admin/webhooks', body);
  if (response.status !== 201) throw new Error(`webhook not created: ${response.status} ${await response.text()}`);
  return json<Webhook & { secret: string }>(response);
}

export async function deliveriesOf(admin: UserSession, webhookId: string, query = ''): Promise<Delivery[]> {
  const response = await admin.request(`/admin/webhooks/${webhookId}/deliveries${query}`);
  expect(response.status).toBe(200);
  return (await json<{ items: Delivery[] }>(response)).items;
}

/** Waits until every delivery of the webhook has finished (and there are at least `count`). */
export function settled(admin: UserSession, webhookId: string, count: number): Promise<Delivery[]> {
  return eventually(`${count} finished deliveries`, async () => {
    const items = await deliveriesOf(admin, webhookId);
    return items.length >= count && items.every((item) => item.status !== 'pending') && items;
  });
}

/** The receiver side, as docs/webhooks.md#verifying-a-delivery documents it: HMAC-SHA256 over `<t>.<raw body>`, constant-time compare, 5-minute window. */
export function verifySignature(secret: string, request: Pick<ReceivedWebhook, 'headers' | 'body'>): boolean {
  const header = request.headers['backlot-signature'];
  if (typeof header !== 'string') return false;
  const fields = Object.fromEntries(header.split(',').map((part) => part.split('=', 2)));
  const timestamp = Number(fields.t);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest();
  const given = Buffer.from(String(fields.v1 ?? ''), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
