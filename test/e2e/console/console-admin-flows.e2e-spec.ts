import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { SetupService } from '../../../apps/api/src/setup/setup.service';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { type ConsoleBrowser, HOSTILE, openConsole } from '@backlot/testing/console-browser';
import type { TestApp } from '@backlot/testing/test-app';
import { WebhookReceiver } from '@backlot/testing/webhook-receiver';
import { verifySignature } from '../webhooks/webhooks-helpers';

const ROOT = resolve(__dirname, '../../..');
const PASSWORD = 'a long enough password 41';

/** The text of what describes a field (its hint and its error), as a screen reader announces it. */
async function descriptionOf(field: Locator): Promise<string> {
  return field.evaluate((element) =>
    (element.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' '),
  );
}

/** Ticks or clears a React Aria checkbox as a person does, by its label (its input is visually hidden). */
async function tick(checkbox: Locator, checked: boolean): Promise<void> {
  if ((await checkbox.isChecked()) !== checked) await checkbox.locator('xpath=ancestor::label').click();
  expect(await checkbox.isChecked()).toBe(checked);
}

/**
 * The console's first run, backups, webhooks and sign-in providers, in headless Chromium
 * against a real Backlot that starts with no admin.
 */
describe('the admin console: first run, backups, webhooks and sign-in providers', () => {
  let c: ConsoleBrowser;
  let t: TestApp;
  let page: Page;
  let receiver: WebhookReceiver;
  let api: UserSession;
  const logs: string[] = [];

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    c = await openConsole({
      // The receiver listens on loopback, which webhooks refuse unless allow-listed (as in the webhook e2e tests).
      env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', JOBS_POLL_INTERVAL_MS: '100', WEBHOOK_TIMEOUT_MS: '2000', LOG_LEVEL: 'warn' },
      logDestination: { write: (chunk: string) => void logs.push(...chunk.split('\n').filter(Boolean)) },
    });
    ({ t, page } = c);
    page.setDefaultTimeout(15_000);
    await c.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
  }, 120_000);

  afterAll(async () => {
    await c?.close();
    await receiver?.close();
  });

  it('serves the console at the setup URL; without its token the page says how to get one', async () => {
    const [setup, home] = await Promise.all([t.request('/_/setup'), t.request('/_/')]);
    expect(await setup.text()).toBe(await home.text());

    await page.goto(`${t.baseUrl}/_/setup`);
    await page.getByRole('heading', { name: 'Create the first admin' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('#token=');
    expect(await page.getByLabel('Email').count()).toBe(0);
    expect(await c.accessibilityProblems()).toEqual([]);
  });

  it('creates the first admin through the form with the logged setup link, errors on the right field, and ends signed in', async () => {
    // What `npm start` does after listening: log a setup URL with a one-time token.
    await t.app.get(SetupService).openIfNoAdmin(t.baseUrl);
    const link = logs.map((line) => /(http:\/\/\S+\/_\/setup#token=[\w-]{43})/.exec(line)?.[1]).find(Boolean)!;
    expect(link.startsWith(`${t.baseUrl}/_/setup#token=`)).toBe(true);

    await page.goto(link);
    await page.getByRole('button', { name: 'Create the admin' }).waitFor();
    // The token leaves the address bar (and the history) once read.
    expect(new URL(page.url()).hash).toBe('');
    expect(await c.accessibilityProblems()).toEqual([]);

    const password = page.getByLabel('Password', { exact: true });
    await page.getByLabel('Email').fill('first-admin@example.com');
    await password.fill(PASSWORD);
    await page.getByLabel('Confirm the password').fill(`${PASSWORD}x`);
    await page.getByRole('button', { name: 'Create the admin' }).click();
    await page.getByText('The passwords differ.').waitFor();

    // The server's refusal (a commonly used password) shows on the password field.
    await password.fill('1234567890');
    await page.getByLabel('Confirm the password').fill('1234567890');
    await page.getByRole('button', { name: 'Create the admin' }).click();
    await page.locator('input[name="password"][aria-invalid="true"]').waitFor();
    expect(await descriptionOf(password)).toMatch(/password/i);
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBeNull();
    expect((await t.request('/api/v1/setup').then((r) => r.json())) as unknown).toEqual({ open: true });

    await password.fill(PASSWORD);
    await page.getByLabel('Confirm the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create the admin' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.locator('.who').textContent()).toBe('first-admin@example.com');
    expect(new URL(page.url()).pathname).toBe('/_/');
    expect((await t.request('/api/v1/setup').then((r) => r.json())) as unknown).toEqual({ open: false });
    api = await signedInUser(t, { role: 'admin' });
  });

  it('adds a webhook to a receiver, shows its secret once, pings it and shows the delivery with a hostile answer inert', async () => {
    receiver.plan({ status: 200, body: `${HOSTILE} <script>window.__xss=2</script>` }, 5);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();
    expect(await c.accessibilityProblems()).toEqual([]);

    await page.getByLabel('URL').fill(receiver.url('/hook'));
    await page.getByLabel('Description').fill(HOSTILE);
    await page.getByLabel('Collections').fill('todos, notes');
    await tick(page.getByRole('checkbox', { name: 'deleted', exact: true }), false);
    await tick(page.getByRole('checkbox', { name: 'user.created' }), true);
    await page.getByRole('button', { name: 'Add the webhook' }).click();
    const shown = page.getByRole('status').filter({ hasText: 'Its signing secret' });
    await shown.waitFor();
    const [listed] = (await api.json('GET', '/admin/webhooks').then((r) => r.json())).items as { id: string; events: string[] }[];
    expect(listed.events).toEqual(['todos.created', 'todos.updated', 'notes.created', 'notes.updated', 'user.created']);
    const secret = (await shown.locator('code').textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    await shown.getByRole('button', { name: 'Copy the secret' }).click();
    await shown.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(await page.getByRole('row', { name: /hook/ }).textContent()).toContain(HOSTILE);

    await page.getByRole('rowheader', { name: receiver.url('/hook') }).click();
    await page.getByRole('heading', { name: `Webhook to ${receiver.url('/hook')}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/_/webhooks/${listed.id}`);
    // Shown once: the webhook's own page never has it.
    expect(await page.locator('body').textContent()).not.toContain(secret);
    await page.getByRole('button', { name: 'Send a ping' }).click();
    const delivery = page.getByRole('row', { name: /ping/ });
    await delivery.getByText('succeeded').waitFor({ timeout: 15_000 });
    expect(await delivery.textContent()).toContain(HOSTILE);
    expect(await delivery.textContent()).toMatch(/200.*\d+ ms/);
    expect(await c.ranHostileScript()).toBe(false);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img, script:not([src])').count()).toBe(0);
    expect(verifySignature(secret, receiver.at('/hook').at(-1)!)).toBe(true);
    expect(await c.accessibilityProblems()).toEqual([]);
    await page.screenshot({ path: join(ROOT, 'docs/images/console-webhooks.png') });

    await page.getByRole('button', { name: 'Rotate the secret' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate' }).click();
    const rotated = page.getByRole('status').filter({ hasText: 'The new signing secret' });
    const fresh = (await rotated.locator('code').textContent())!;
    expect(fresh).not.toBe(secret);
    await delivery.getByRole('button', { name: /Redeliver/ }).click();
    await page.getByRole('row', { name: /ping/ }).nth(1).getByText('succeeded').waitFor({ timeout: 15_000 });
    expect(verifySignature(fresh, receiver.at('/hook').at(-1)!)).toBe(true);
    expect(verifySignature(secret, receiver.at('/hook').at(-1)!)).toBe(false);

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Disabled the webhook.').waitFor();
    expect((await api.json('GET', `/admin/webhooks/${listed.id}`).then((r) => r.json())).enabled).toBe(false);
  });

  it('adds a sign-in provider whose secret is never shown back, disables it, and refuses a bad return page on its line', async () => {
    const secret = 'provider-secret-never-shown-8261';
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Sign-in providers' }).click();
    await page.getByRole('heading', { name: 'Sign-in providers', level: 1 }).waitFor();
    await page.getByText('No sign-in providers yet.').waitFor();
    expect(await c.accessibilityProblems()).toEqual([]);

    await page.getByLabel('Name', { exact: true }).fill('acme-github');
    await page.getByLabel('Display name').fill(HOSTILE);
    await page.getByLabel('Client id').fill('client-1');
    await page.getByLabel('Client secret').fill(secret);
    await page.getByRole('button', { name: 'Add the provider' }).click();
    const row = page.getByRole('row', { name: /acme-github/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('set (hidden)');
    expect(await row.textContent()).toContain('/api/v1/auth/providers/acme-github/callback');
    expect(await c.ranHostileScript()).toBe(false);

    await row.getByRole('button', { name: 'Edit acme-github' }).click();
    await page.getByRole('heading', { name: 'Edit acme-github' }).waitFor();
    expect(await page.getByLabel('Client secret').inputValue()).toBe('');
    expect(await page.content()).not.toContain(secret);
    await page.getByLabel('Client id').fill('client-2');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await row.getByText('client-2').waitFor();
    await row.getByRole('button', { name: 'Disable acme-github' }).click();
    await row.getByText('disabled').waitFor();
    const stored = await api.json('GET', '/admin/sign-in/providers/acme-github').then((r) => r.json());
    expect(stored).toMatchObject({ clientId: 'client-2', hasClientSecret: true, enabled: false });

    await page.getByLabel('Return pages, one per line').fill('https://app.example.com/done\nnot a url');
    await page.getByRole('button', { name: 'Save the return pages' }).click();
    await page.getByRole('alert').filter({ hasText: 'Line 2' }).waitFor();
    await page.getByLabel('Return pages, one per line').fill('https://app.example.com/done');
    await page.getByRole('button', { name: 'Save the return pages' }).click();
    await page.getByText('Saved the return pages.').waitFor();
    expect((await api.json('GET', '/admin/sign-in/redirect-urls').then((r) => r.json())).urls).toEqual(['https://app.example.com/done']);
    expect(await page.content()).not.toContain(secret);
    expect(await c.accessibilityProblems()).toEqual([]);
  });

  it('backs up, lists and downloads the backup, then restores it after the operator types its name', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Backups' }).click();
    await page.getByRole('heading', { name: 'Backups', level: 1 }).waitFor();
    await page.getByText('No backups yet.').waitFor();
    expect(await c.accessibilityProblems()).toEqual([]);

    // Sessions included: restoring it keeps this console signed in.
    await tick(page.getByRole('checkbox', { name: /Include sessions/ }), true);
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByText(/^Backup .* is complete/).waitFor({ timeout: 30_000 });
    const [backup] = (await api.json('GET', '/admin/backups').then((r) => r.json())).items as { name: string; sha256: string }[];
    const row = page.getByRole('row', { name: new RegExp(backup.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
    await row.waitFor();
    expect(await row.textContent()).toContain('sessions');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: `Download ${backup.name}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${backup.name}.backup.gz`);
    const bytes = readFileSync((await download.path())!);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);

    // A change after the backup, which the restore undoes.
    expect((await api.json('POST', '/collections', { name: 'after_backup', fields: [{ name: 'title', type: 'text' }] })).status).toBe(201);

    await row.getByRole('button', { name: 'Restore' }).click();
    const dialog = page.getByRole('alertdialog');
    const confirm = dialog.getByRole('button', { name: 'Restore' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill(backup.name.slice(0, -1));
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill(backup.name);
    await confirm.click();
    const result = page.getByRole('status').filter({ hasText: 'Restored' });
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toContain(backup.name);
    expect(await result.textContent()).toMatch(/pre-restore/);
    expect((await api.request('/collections/after_backup')).status).toBe(404);
    // The pre-restore backup is listed too, and the console is still signed in.
    await page.getByRole('row', { name: /pre-restore/ }).waitFor();
    expect(await c.accessibilityProblems()).toEqual([]);
    await page.screenshot({ path: join(ROOT, 'docs/images/console-backups.png') });

    const preRestore = page.getByRole('row', { name: /pre-restore/ });
    await preRestore.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await preRestore.waitFor({ state: 'detached' });
    expect((await api.json('GET', '/admin/backups').then((r) => r.json())).items).toHaveLength(1);
  });

  it('had no console error, uncaught exception or CSP violation', () => {
    expect(c.problems).toEqual([]);
  });
});
