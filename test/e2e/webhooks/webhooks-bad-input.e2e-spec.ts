import { v7 as uuidv7 } from 'uuid';
import type { UserSession } from '@backlot/testing/auth';
import { json } from '@backlot/testing/test-app';
import { type AdminApp, problem, startAdminApp } from '../admin/admin-helpers';
import { createWebhook, type Webhook, WEBHOOK_TEST_ENV } from './webhooks-helpers';

/** Every webhook route answers bad input with a 400 (or 404/409) problem naming what is wrong, and changes nothing. */
describe('webhooks: bad input', () => {
  let app: AdminApp;
  let admin: UserSession;
  let hook: Webhook;
  const URL_OK = 'https://hooks.example.com/backlot';

  beforeAll(async () => {
    app = await startAdminApp({ env: WEBHOOK_TEST_ENV });
    ({ admin } = app);
    hook = await createWebhook(admin, { url: URL_OK, events: ['tasks.created'] });
  });
  afterAll(() => app?.t.close());

  async function expect400(method: string, path: string, body: unknown, errorPath?: string): Promise<void> {
    const response = await admin.json(method, path, body);
    await app.conforms(method, path, response.clone());
    const problemBody = await problem(response, 400);
    if (errorPath)
      expect({ body, paths: problemBody.errors?.map((error) => error.path) }).toEqual({ body, paths: expect.arrayContaining([errorPath]) });
  }

  it('creation refuses malformed bodies, field by field', async () => {
    const cases: [unknown, string][] = [
      [{ events: ['*'] }, 'url'],
      [{ url: 42, events: ['*'] }, 'url'],
      [{ url: `https://example.com/${'a'.repeat(2048)}`, events: ['*'] }, 'url'],
      [{ url: URL_OK }, 'events'],
      [{ url: URL_OK, events: 'tasks.created' }, 'events'],
      [{ url: URL_OK, events: [] }, 'events'],
      [{ url: URL_OK, events: [42] }, 'events'],
      [{ url: URL_OK, events: Array.from({ length: 51 }, (_, i) => `c${i}.created`) }, 'events'],
      [{ url: URL_OK, events: ['*'], enabled: 'yes' }, 'enabled'],
      [{ url: URL_OK, events: ['*'], description: 'd'.repeat(501) }, 'description'],
      [{ url: URL_OK, events: ['*'], secret: 'whsec_mine' }, 'secret'],
      [{ url: URL_OK, events: ['*'], consecutiveFailures: 0 }, 'consecutiveFailures'],
      [{ url: null, events: ['*'] }, 'url'],
      [{ url: URL_OK, events: null }, 'events'],
      [{ url: URL_OK, events: [null] }, 'events'],
      [{ url: URL_OK, events: ['*'], enabled: null }, 'enabled'],
    ];
    for (const [body, path] of cases) await expect400('POST', '/admin/webhooks', body, path);
    for (const body of [null, [], 'a string', 42]) await expect400('POST', '/admin/webhooks', body);
    const response = await admin.request('/admin/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"url":',
    });
    await problem(response, 400);
  });

  it('refuses event patterns that are not `<collection>.<action>`, `*` or user events, naming each one', async () => {
    const bad = [
      'tasks',
      'tasks.created.x',
      'Tasks.created',
      'tasks.archived',
      '**',
      '*.*.*',
      'tasks.',
      '.created',
      'tas ks.created',
      'a'.repeat(64) + '.created',
      'user',
    ];
    for (const pattern of bad) await expect400('POST', '/admin/webhooks', { url: URL_OK, events: ['tasks.created', pattern] }, 'events.1');
    const good = await createWebhook(admin, {
      url: URL_OK,
      events: ['*', '*.deleted', 'tasks.*', 'user.created', 'not_yet_a_collection.updated', 'tasks.*'],
    });
    expect(good.events).toEqual(['*', '*.deleted', 'tasks.*', 'user.created', 'not_yet_a_collection.updated']);
    await admin.request(`/admin/webhooks/${good.id}`, { method: 'DELETE' });
  });

  it('bad and unknown ids: 400 for a malformed id, 404 for an unknown one, on every route', async () => {
    const unknown = uuidv7();
    const routes: [string, string][] = [
      ['GET', '/admin/webhooks/{id}'],
      ['PATCH', '/admin/webhooks/{id}'],
      ['DELETE', '/admin/webhooks/{id}'],
      ['POST', '/admin/webhooks/{id}/rotate-secret'],
      ['POST', '/admin/webhooks/{id}/ping'],
      ['GET', '/admin/webhooks/{id}/deliveries'],
      ['GET', `/admin/webhooks/{id}/deliveries/${uuidv7()}`],
      ['POST', `/admin/webhooks/{id}/deliveries/${uuidv7()}/redeliver`],
    ];
    for (const [method, template] of routes) {
      const body = method === 'PATCH' ? { description: 'x' } : undefined;
      const malformed = await admin.json(method, template.replace('{id}', 'not-a-uuid'), body);
      expect((await problem(malformed, 400)).errors).toEqual([expect.objectContaining({ path: 'id' })]);
      await problem(await admin.json(method, template.replace('{id}', unknown), body), 404);
    }
    await problem(await admin.json('GET', `/admin/webhooks/${hook.id}/deliveries/nope`), 400);
    // A delivery id of another webhook is not found under this one.
    await problem(await admin.json('GET', `/admin/webhooks/${hook.id}/deliveries/${uuidv7()}`), 404);
    await problem(await admin.json('POST', `/admin/webhooks/${hook.id}/deliveries/${uuidv7()}/redeliver`), 404);
  });

  it('lists refuse bad paging and filters', async () => {
    for (const query of [
      'limit=0',
      'limit=201',
      'limit=abc',
      'cursor=!!!',
      `cursor=${Buffer.from('[1,2]').toString('base64url')}`,
      'count=maybe',
      'extra=1',
    ]) {
      await problem(await admin.request(`/admin/webhooks?${query}`), 400);
      await problem(await admin.request(`/admin/webhooks/${hook.id}/deliveries?${query}`), 400);
    }
    await problem(await admin.request(`/admin/webhooks/${hook.id}/deliveries?status=done`), 400);
  });

  it('a refused update changes nothing', async () => {
    const path = `/admin/webhooks/${hook.id}`;
    const before = await json<Webhook>(await admin.request(path));
    await expect400('PATCH', path, { url: 'ftp://example.com/' }, 'url');
    await expect400('PATCH', path, { url: 'http://10.1.2.3/' }, 'url');
    await expect400('PATCH', path, { events: ['nope'] }, 'events.0');
    await expect400('PATCH', path, { events: [] }, 'events');
    await expect400('PATCH', path, { enabled: 1 }, 'enabled');
    await expect400('PATCH', path, { url: 'https://ok.example.com/', events: ['bad pattern'] }, 'events.0');
    await expect400('PATCH', path, { id: uuidv7() }, 'id');
    // Null is not "leave unchanged": only the description may be cleared with it.
    await expect400('PATCH', path, { url: null }, 'url');
    await expect400('PATCH', path, { events: null }, 'events');
    await expect400('PATCH', path, { events: [null] }, 'events');
    await expect400('PATCH', path, { enabled: null }, 'enabled');
    for (const body of [[], 'a string', 42]) await expect400('PATCH', path, body);
    expect(await json<Webhook>(await admin.request(path))).toEqual(before);
    // An empty change is no error: it answers the webhook as it is.
    const unchanged = await admin.json('PATCH', path, {});
    expect(unchanged.status).toBe(200);
    expect(await json<Webhook>(unchanged)).toEqual(before);

    const updated = await admin.json('PATCH', path, { url: 'https://ok.example.com/', events: ['tasks.*'], description: null });
    await app.conforms('PATCH', path, updated.clone());
    expect(await json<Webhook>(updated)).toMatchObject({ url: 'https://ok.example.com/', events: ['tasks.*'], description: null });
  });

  it('redelivery and ping of a disabled webhook are 409s', async () => {
    const disabled = await createWebhook(admin, { url: URL_OK, events: ['tasks.created'], enabled: false });
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'disabled by an admin' });
    await problem(await admin.json('POST', `/admin/webhooks/${disabled.id}/ping`), 409);
    await problem(await admin.json('POST', `/admin/webhooks/${disabled.id}/deliveries/${uuidv7()}/redeliver`), 409);
  });
});
