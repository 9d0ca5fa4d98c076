import { login, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { SHARED_SERVICES, startTwoInstances, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';
import { WebhookReceiver } from '@backlot/testing/webhook-receiver';
import { ADMIN_TEST_ENV } from '../admin/admin-helpers';
import { createCollection, createWebhook, settled, WEBHOOK_TEST_ENV } from './webhooks-helpers';

// Each instance caches the list of webhooks; a write on one must reach the others' caches.
(SHARED_SERVICES ? describe : describe.skip)('webhooks across two instances (PostgreSQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let onA: UserSession;
  let onB: UserSession;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    [a, b] = await startTwoInstances({ env: { ...ADMIN_TEST_ENV, ...WEBHOOK_TEST_ENV } });
    onA = await signedInUser(a, { role: 'admin' });
    onB = sessionFor(b, onA, await login(b, onA.email, onA.password));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await receiver?.close();
  });

  const titles = (path: string) =>
    receiver.at(path).map((request) => (JSON.parse(request.body) as { data: { record: { title: string } } }).data.record.title);

  async function createOnA(title: string): Promise<void> {
    expect((await onA.json('POST', '/collections/wh_spread/records', { title })).status).toBe(201);
  }

  it('a webhook created or disabled on one instance is matched accordingly by events on the other at once', async () => {
    await createCollection(onA, 'wh_spread');
    const witness = await createWebhook(onA, { url: receiver.url('/witness'), events: ['wh_spread.created'] });
    await createOnA('cached');
    await settled(onA, witness.id, 1);

    const hook = await createWebhook(onB, { url: receiver.url('/spread'), events: ['wh_spread.created'] });
    await createOnA('one');
    await eventually('the delivery to the webhook made on B', () => titles('/spread').includes('one'));

    expect((await onB.json('PATCH', `/admin/webhooks/${hook.id}`, { enabled: false })).status).toBe(200);
    await createOnA('two');
    await settled(onA, witness.id, 3);
    expect(titles('/witness')).toEqual(['cached', 'one', 'two']);
    expect(titles('/spread')).toEqual(['one']);
  });
});
