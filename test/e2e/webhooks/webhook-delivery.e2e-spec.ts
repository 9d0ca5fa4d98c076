import { JobQueue } from '@backlot/jobs';
import { v7 as uuidv7 } from 'uuid';
import { WebhookDispatcher } from '../../../apps/api/src/data/webhooks/webhook-dispatcher';
import { createUser, type UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';
import { WebhookReceiver } from '@backlot/testing/webhook-receiver';
import { type AdminApp, auditEvents, startAdminApp } from '../admin/admin-helpers';
import {
  createCollection,
  createWebhook,
  type Delivery,
  deliveriesOf,
  settled,
  verifySignature,
  type Webhook,
  WEBHOOK_TEST_ENV,
} from './webhooks-helpers';

interface Body {
  id: string;
  type: string;
  createdAt: string;
  data: { collection?: string; record?: Record<string, unknown>; userId?: string; email?: string; webhookId?: string };
}

describe('webhooks: signed deliveries through the job queue', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    app = await startAdminApp({ env: WEBHOOK_TEST_ENV });
    ({ t, admin } = app);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** A collection of its own per test, so webhooks of other tests never match its events. */
  const collection = (name: string, fields?: unknown[]) => createCollection(admin, name, fields);

  async function createRecord(name: string, data: Record<string, unknown>): Promise<{ id: string }> {
    const response = await admin.json('POST', `/collections/${name}/records`, data);
    expect(response.status).toBe(201);
    return json<{ id: string }>(response);
  }

  const bodies = (path: string) => receiver.at(path).map((request) => JSON.parse(request.body) as Body);

  it('delivers record create, update and delete, each signed, with unique event ids and the documented headers', async () => {
    await collection('wh_notes', [
      { name: 'title', type: 'text' },
      { name: 'note', type: 'text', hidden: true },
      { name: 'pin', type: 'text', encrypted: true },
    ]);
    const hook = await createWebhook(admin, { url: receiver.url('/notes'), events: ['wh_notes.*'], description: 'notes' });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const note = await createRecord('wh_notes', { title: 'first', note: 'hidden', pin: '1234' });
    await admin.json('PATCH', `/collections/wh_notes/records/${note.id}`, { title: 'second' });
    expect((await admin.request(`/collections/wh_notes/records/${note.id}`, { method: 'DELETE' })).status).toBe(204);

    await eventually('three deliveries', () => receiver.at('/notes').length >= 3);
    await settled(admin, hook.id, 3);
    const requests = receiver.at('/notes');
    expect(requests.every((request) => verifySignature(hook.secret, request))).toBe(true);
    const received = bodies('/notes').sort((a, b) => a.id.localeCompare(b.id));
    expect(received.map((body) => body.type)).toEqual(['wh_notes.created', 'wh_notes.updated', 'wh_notes.deleted']);
    expect(new Set(received.map((body) => body.id)).size).toBe(3);
    expect(received[0].data).toEqual({
      collection: 'wh_notes',
      record: expect.objectContaining({ id: note.id, title: 'first', version: 1 }),
    });
    // Hidden fields are never sent, encrypted ones are not opened into payloads.
    for (const body of received) {
      expect(body.data.record).not.toHaveProperty('note');
      expect(body.data.record).not.toHaveProperty('pin');
    }
    expect(received[1].data.record).toMatchObject({ title: 'second', version: 2 });
    expect(received[2].data.record).toHaveProperty('deleted');

    const first = requests.find((request) => (JSON.parse(request.body) as Body).type === 'wh_notes.created')!;
    const body = JSON.parse(first.body) as Body;
    expect(first.headers).toMatchObject({
      'content-type': 'application/json',
      'backlot-event': 'wh_notes.created',
      'backlot-event-id': body.id,
      'user-agent': expect.stringMatching(/^Backlot-Webhooks\/\d/),
    });
    expect(first.headers['backlot-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const deliveries = await deliveriesOf(admin, hook.id);
    expect(deliveries.map((delivery) => delivery.id)).toContain(first.headers['backlot-delivery']);
    expect(
      deliveries.every((delivery) => delivery.status === 'succeeded' && delivery.attempts === 1 && delivery.responseCode === 200),
    ).toBe(true);
  });

  it('a tampered body, a wrong secret or a stale timestamp fails verification', async () => {
    const hook = await createWebhook(admin, { url: receiver.url('/tamper'), events: ['wh_tamper.created'] });
    await collection('wh_tamper');
    await createRecord('wh_tamper', { title: 'x' });
    const [request] = await eventually('the delivery', () => receiver.at('/tamper').length > 0 && receiver.at('/tamper'));

    expect(verifySignature(hook.secret, request)).toBe(true);
    expect(verifySignature(hook.secret, { ...request, body: request.body.replace('"x"', '"y"') })).toBe(false);
    expect(verifySignature(`${hook.secret}x`, request)).toBe(false);
    const stale = String(request.headers['backlot-signature']).replace(/t=(\d+)/, (_, t: string) => `t=${Number(t) - 301}`);
    expect(verifySignature(hook.secret, { ...request, headers: { ...request.headers, 'backlot-signature': stale } })).toBe(false);
  });

  it('delivers user.created and user.deleted', async () => {
    const hook = await createWebhook(admin, { url: receiver.url('/users'), events: ['user.*'] });
    const account = await createUser(t);
    expect((await admin.request(`/admin/users/${account.userId}`, { method: 'DELETE' })).status).toBe(204);

    await eventually('user events', () => bodies('/users').filter((body) => body.data.userId === account.userId).length >= 2);
    const mine = bodies('/users').filter((body) => body.data.userId === account.userId);
    expect(mine.map((body) => ({ type: body.type, data: body.data }))).toEqual(
      expect.arrayContaining([
        { type: 'user.created', data: { userId: account.userId, email: account.email } },
        { type: 'user.deleted', data: { userId: account.userId } },
      ]),
    );
    expect(receiver.at('/users').every((request) => verifySignature(hook.secret, request))).toBe(true);
  });

  it('retries after 500s with backoff until it succeeds; the log shows attempts, code, latency and body', async () => {
    await collection('wh_retry');
    const hook = await createWebhook(admin, { url: receiver.url('/retry'), events: ['wh_retry.created'] });
    receiver.plan({ status: 500, body: 'e'.repeat(3000) }, 2);
    await createRecord('wh_retry', { title: 'x' });

    const [delivery] = await settled(admin, hook.id, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, responseCode: 200, responseBody: 'ok', error: null });
    expect(delivery.latencyMs).toEqual(expect.any(Number));
    const requests = receiver.at('/retry');
    expect(requests.map((request) => request.status)).toEqual([500, 500, 200]);
    // The same delivery and event each time, freshly signed.
    expect(new Set(requests.map((request) => request.headers['backlot-delivery'])).size).toBe(1);
    expect(new Set(requests.map((request) => request.body)).size).toBe(1);
    expect(requests.every((request) => verifySignature(hook.secret, request))).toBe(true);
    expect((await json<Webhook>(await admin.request(`/admin/webhooks/${hook.id}`))).consecutiveFailures).toBe(0);
  });

  it('a delivery that keeps failing ends failed after WEBHOOK_MAX_ATTEMPTS, with the truncated body, and is not dead-lettered', async () => {
    await collection('wh_fail');
    const hook = await createWebhook(admin, { url: receiver.url('/fail'), events: ['wh_fail.created'] });
    receiver.plan({ status: 503, body: 'z'.repeat(5000) }, 3);
    await createRecord('wh_fail', { title: 'x' });

    const [delivery] = await settled(admin, hook.id, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 3, responseCode: 503, error: 'receiver answered 503' });
    expect(delivery.responseBody).toBe('z'.repeat(2048));
    expect(receiver.at('/fail')).toHaveLength(3);
    const deadLettered = await t.app.get(JobQueue).list({ state: 'failed', name: 'webhooks.deliver', limit: 50 });
    expect(deadLettered.items).toEqual([]);
    expect((await json<Webhook>(await admin.request(`/admin/webhooks/${hook.id}`))).consecutiveFailures).toBe(3);
  });

  it('disables a webhook after N failed attempts in a row: audited, visible, no more deliveries; enabling resumes', async () => {
    await collection('wh_down');
    const hook = await createWebhook(admin, { url: receiver.url('/down'), events: ['wh_down.created'] });
    receiver.plan({ status: 500 }, 4);
    await createRecord('wh_down', { title: 'one' });
    await settled(admin, hook.id, 1);
    await createRecord('wh_down', { title: 'two' });

    const disabled = await eventually('the webhook disabled', async () => {
      const view = await json<Webhook>(await admin.request(`/admin/webhooks/${hook.id}`));
      return !view.enabled && view;
    });
    expect(disabled).toMatchObject({ enabled: false, consecutiveFailures: 4, disabledAt: expect.any(String) });
    expect(disabled.disabledReason).toMatch(/4 failed delivery attempts in a row.*500/);
    const deliveries = await settled(admin, hook.id, 2);
    expect(deliveries.map((delivery) => delivery.status)).toEqual(['failed', 'failed']);
    expect(deliveries[0].error).toMatch(/webhook was disabled/);
    expect(receiver.at('/down')).toHaveLength(4);
    const audit = await auditEvents(admin, { action: 'webhook.disabled', targetId: hook.id });
    expect(audit).toEqual([expect.objectContaining({ actorType: 'system', targetType: 'webhook', outcome: 'success' })]);

    await createRecord('wh_down', { title: 'three' });
    expect((await admin.json('POST', `/admin/webhooks/${hook.id}/ping`)).status).toBe(409);
    expect(await deliveriesOf(admin, hook.id)).toHaveLength(2);

    const enabled = await admin.json('PATCH', `/admin/webhooks/${hook.id}`, { enabled: true });
    expect(await json<Webhook>(enabled)).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledAt: null, disabledReason: null });
    await createRecord('wh_down', { title: 'four' });
    await eventually('delivery after enabling', () => bodies('/down').some((body) => body.data.record?.title === 'four'));
    expect(bodies('/down').some((body) => body.data.record?.title === 'three')).toBe(false);
  });

  it('ping sends a signed ping event to that webhook only', async () => {
    const hook = await createWebhook(admin, { url: receiver.url('/ping'), events: ['nothing_here.created'] });
    const response = await admin.json('POST', `/admin/webhooks/${hook.id}/ping`);
    expect(response.status).toBe(202);
    await app.conforms('POST', `/admin/webhooks/${hook.id}/ping`, response.clone());
    const delivery = await json<Delivery>(response);
    expect(delivery).toMatchObject({ webhookId: hook.id, event: 'ping', status: 'pending' });
    // As documented (DeliveryDto): the body sent is in the delivery's detail only.
    expect(delivery).not.toHaveProperty('payload');

    const [request] = await eventually('the ping', () => receiver.at('/ping').length > 0 && receiver.at('/ping'));
    expect(verifySignature(hook.secret, request)).toBe(true);
    expect(JSON.parse(request.body)).toMatchObject({ id: delivery.eventId, type: 'ping', data: { webhookId: hook.id } });
    expect(request.headers['backlot-delivery']).toBe(delivery.id);
  });

  it('redelivery sends the same body and event id as a new delivery; the detail shows the payload', async () => {
    const hook = await createWebhook(admin, { url: receiver.url('/again'), events: ['wh_again.created'] });
    await collection('wh_again');
    await createRecord('wh_again', { title: 'again' });
    const [original] = await settled(admin, hook.id, 1);

    const response = await admin.json('POST', `/admin/webhooks/${hook.id}/deliveries/${original.id}/redeliver`);
    expect(response.status).toBe(202);
    await app.conforms('POST', `/admin/webhooks/${hook.id}/deliveries/${original.id}/redeliver`, response.clone());
    const copy = await json<Delivery>(response);
    expect(copy.id).not.toBe(original.id);
    expect(copy.eventId).toBe(original.eventId);
    expect(copy).not.toHaveProperty('payload');

    await eventually('the redelivery', () => receiver.at('/again').length >= 2);
    const [first, second] = receiver.at('/again');
    expect(second.body).toBe(first.body);
    expect(second.headers['backlot-delivery']).toBe(copy.id);
    expect(verifySignature(hook.secret, second)).toBe(true);

    const detail = await admin.request(`/admin/webhooks/${hook.id}/deliveries/${original.id}`);
    await app.conforms('GET', `/admin/webhooks/${hook.id}/deliveries/${original.id}`, detail.clone());
    expect((await json<Delivery>(detail)).payload).toEqual(JSON.parse(first.body));
  });

  it('rotating the secret signs later deliveries with the new secret only', async () => {
    const hook = await createWebhook(admin, { url: receiver.url('/rotate'), events: ['wh_rotate.created'] });
    const rotated = await admin.json('POST', `/admin/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    await app.conforms('POST', `/admin/webhooks/${hook.id}/rotate-secret`, rotated.clone());
    const { secret } = await json<{ secret: string }>(rotated);
    expect(secret).not.toBe(hook.secret);

    await collection('wh_rotate');
    await createRecord('wh_rotate', { title: 'r' });
    const [request] = await eventually('the delivery', () => receiver.at('/rotate').length > 0 && receiver.at('/rotate'));
    expect(verifySignature(secret, request)).toBe(true);
    expect(verifySignature(hook.secret, request)).toBe(false);
    const view = await admin.request(`/admin/webhooks/${hook.id}`);
    expect(await view.text()).not.toContain('secret');
  });

  it('lists webhooks and deliveries newest first, paged, filtered and counted, as documented', async () => {
    const hook = await createWebhook(admin, { url: receiver.url('/list'), events: ['wh_list.*'] });
    await collection('wh_list');
    for (const title of ['a', 'b', 'c']) await createRecord('wh_list', { title });
    await settled(admin, hook.id, 3);

    const page = await admin.request(`/admin/webhooks/${hook.id}/deliveries?limit=2&count=true`);
    await app.conforms('GET', `/admin/webhooks/${hook.id}/deliveries?limit=2&count=true`, page.clone());
    const first = await json<{ items: Delivery[]; nextCursor: string; total: number }>(page);
    expect(first.total).toBe(3);
    expect(first.items).toHaveLength(2);
    const rest = await json<{ items: Delivery[]; nextCursor: null }>(
      await admin.request(`/admin/webhooks/${hook.id}/deliveries?limit=2&cursor=${first.nextCursor}`),
    );
    expect(rest).toMatchObject({ items: [expect.any(Object)], nextCursor: null });
    expect(await deliveriesOf(admin, hook.id, '?status=failed')).toEqual([]);
    expect(await deliveriesOf(admin, hook.id, '?status=succeeded')).toHaveLength(3);

    const list = await admin.request('/admin/webhooks?limit=200&count=true');
    await app.conforms('GET', '/admin/webhooks?limit=200&count=true', list.clone());
    const webhooks = await json<{ items: Webhook[]; total: number }>(list);
    expect(webhooks.items[0].id).toBe(hook.id);
    expect(webhooks.total).toBe(webhooks.items.length);
    expect(JSON.stringify(webhooks)).not.toContain('whsec_');
  });

  it('an event whose jobs cannot be queued leaves no delivery behind: the rows roll back with the enqueue', async () => {
    await collection('wh_atomic');
    const hook = await createWebhook(admin, { url: receiver.url('/atomic'), events: ['wh_atomic.created'] });
    const enqueue = jest.spyOn(t.app.get(JobQueue), 'enqueueMany').mockRejectedValueOnce(new Error('the job queue is unavailable'));
    try {
      await createRecord('wh_atomic', { title: 'lost' });
      await eventually('the failed enqueue', () => enqueue.mock.calls.length > 0);
    } finally {
      enqueue.mockRestore();
    }
    await createRecord('wh_atomic', { title: 'kept' });

    const deliveries = await settled(admin, hook.id, 1);
    expect(deliveries).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(bodies('/atomic').map((body) => body.data.record?.title)).toEqual(['kept']);
  });

  it('a batch that names a webhook which no longer exists still delivers to the others', async () => {
    const hook = await createWebhook(admin, { url: receiver.url('/survivor'), events: ['nothing_here.created'] });
    const gone = await createWebhook(admin, { url: receiver.url('/deleted'), events: ['nothing_here.created'] });
    expect((await admin.request(`/admin/webhooks/${gone.id}`, { method: 'DELETE' })).status).toBe(204);

    // What a stale list of webhooks (another instance's write, a restore) hands the dispatcher.
    const event = { eventId: uuidv7(), event: 'nothing_here.created', payload: '{"id":"x"}' };
    const ids = await t.app.get(WebhookDispatcher).deliver([
      { ...event, webhookId: gone.id },
      { ...event, webhookId: hook.id },
    ]);
    expect(ids).toHaveLength(1);
    await settled(admin, hook.id, 1);
    expect(receiver.at('/survivor')).toHaveLength(1);
    expect(receiver.at('/deleted')).toEqual([]);
  });

  it('deleting a webhook drops it and its log; later events are not delivered to it', async () => {
    const hook = await createWebhook(admin, { url: receiver.url('/gone'), events: ['wh_gone.created'] });
    const removed = await admin.request(`/admin/webhooks/${hook.id}`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await admin.request(`/admin/webhooks/${hook.id}`)).status).toBe(404);
    await collection('wh_gone');
    await createRecord('wh_gone', { title: 'x' });
    // Another webhook on the same event proves the event was dispatched at all.
    const witness = await createWebhook(admin, { url: receiver.url('/witness'), events: ['wh_gone.created'] });
    await createRecord('wh_gone', { title: 'y' });
    await settled(admin, witness.id, 1);
    expect(receiver.at('/gone')).toEqual([]);
  });

  it('queues one delivery per record of a large import, written in short transactions of bounded size', async () => {
    await collection('wh_bulk');
    const hook = await createWebhook(admin, { url: receiver.url('/bulk'), events: ['wh_bulk.created'] });
    const transaction = jest.spyOn(t.app.get(JobQueue), 'transaction');
    const body = Array.from({ length: 1_200 }, (_, i) => JSON.stringify({ title: `row ${i}` })).join('\n') + '\n';
    const imported = await admin.request('/collections/wh_bulk/import?mode=atomic', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(imported.status).toBe(201);

    const total = await eventually('1,200 deliveries queued', async () => {
      const page = await json<{ total: number }>(await admin.request(`/admin/webhooks/${hook.id}/deliveries?count=true&limit=1`));
      return page.total === 1_200 && page.total;
    });
    expect(total).toBe(1_200);
    // 500 deliveries per transaction: three, not one per record.
    expect(transaction).toHaveBeenCalledTimes(3);
    transaction.mockRestore();
  });
});
