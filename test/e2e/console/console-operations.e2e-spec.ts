import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import type { Page } from 'playwright-core';
import { JobQueue } from '@backlot/jobs';
import { createUser, login, signedInUser, type UserSession } from '@backlot/testing/auth';
import { type ConsoleBrowser, HOSTILE, openConsole } from '@backlot/testing/console-browser';
import type { TestApp } from '@backlot/testing/test-app';

const ROOT = resolve(__dirname, '../../..');
const USERS_SCREENSHOT = join(ROOT, 'docs/images/console-users.png');
const STATS_SCREENSHOT = join(ROOT, 'docs/images/console-stats.png');
const METRICS_TOKEN = `metrics-${randomBytes(24).toString('hex')}`;

/** A job that fails (dead-lettered at its first attempt) until the test lets it succeed. */
@Injectable()
class BrokenJob implements OnModuleInit {
  failing = true;
  constructor(private readonly jobs: JobQueue) {}
  onModuleInit(): void {
    this.jobs.define({
      name: 'test.console-broken',
      maxAttempts: 1,
      handler: async () => {
        if (this.failing) throw new Error('the console test broke it on purpose');
      },
    });
  }
}

@Module({ providers: [BrokenJob] })
class BrokenJobModule {}

/** The operations pages of the console (users, audit log, jobs, stats, settings) in Chromium. */
describe('console: operations pages', () => {
  let c: ConsoleBrowser;
  let t: TestApp;
  let page: Page;
  let admin: UserSession;
  let alice: UserSession;
  const label = `ops-${Date.now().toString(36)}`;

  beforeAll(async () => {
    c = await openConsole({
      imports: [BrokenJobModule],
      env: { JOBS_POLL_INTERVAL_MS: '100', AUTH_RATE_LIMIT_MAX: '10000', RATE_LIMIT_MAX: '100000', METRICS_TOKEN },
    });
    ({ t, page } = c);
    admin = await signedInUser(t, { role: 'admin', email: `${label}-admin@example.test` });
    alice = await signedInUser(t, { email: `${label}-alice@example.test`, userAgent: HOSTILE });
    await createUser(t, { email: `${label}-bob@example.test` });
    await c.signIn(admin, '/_/users');
  }, 120_000);

  afterAll(async () => {
    await c?.close();
  });

  /** Waits until the user's facts show this value (after a change the page reloads them). */
  const fact = (value: string) => page.locator('dl.facts dd').getByText(value, { exact: true }).waitFor();
  const confirm = async (action: string) => {
    await page.getByRole('button', { name: action }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: action }).click();
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
  };

  it('searches users and opens one: facts, sessions with a hostile user agent shown as text', async () => {
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByLabel('Search by email or name').fill(`${label}-`);
    await page.getByRole('rowheader', { name: `${label}-bob@example.test` }).waitFor();
    expect(await page.getByRole('row').count()).toBe(4); // the header, admin, alice, bob
    expect(await page.getByText('3 in all').count()).toBe(1);
    await page.getByLabel('Search by email or name').fill(`${label}-ali`);
    await page.getByRole('rowheader', { name: `${label}-bob@example.test` }).waitFor({ state: 'detached' });
    expect(await page.getByRole('row').count()).toBe(2);
    expect(await c.accessibilityProblems()).toEqual([]);
    await page.screenshot({ path: USERS_SCREENSHOT });

    await page.getByRole('rowheader', { name: alice.email }).click();
    await page.getByRole('heading', { name: alice.email, level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/_/users/${alice.userId}`);
    const sessions = page.getByRole('grid', { name: 'Live sessions' });
    await sessions.getByRole('row').nth(1).waitFor();
    expect(await sessions.textContent()).toContain(HOSTILE);
    expect(await page.getByRole('grid', { name: 'Sign-in providers' }).textContent()).toContain('No linked provider.');
    expect(await c.ranHostileScript()).toBe(false);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await c.accessibilityProblems()).toEqual([]);
  });

  it('changes the role, disables and enables the account, and signs the user out everywhere', async () => {
    await page.getByRole('button', { name: /Role/ }).click();
    await page.getByRole('option', { name: 'admin' }).click();
    await page.getByRole('button', { name: 'Change role' }).click();
    await fact('admin');
    expect(((await (await admin.request(`/admin/users/${alice.userId}`)).json()) as { role: string }).role).toBe('admin');

    await confirm('Disable account');
    await fact('disabled');
    expect((await alice.request('/users/me')).status).toBe(401);
    await page.getByRole('button', { name: 'Enable account' }).click();
    await fact('enabled');

    const again = await login(t, alice.email, alice.password);
    await page.reload();
    await page.getByRole('grid', { name: 'Live sessions' }).getByRole('row').nth(1).waitFor();
    await confirm('Sign out everywhere');
    await page.getByText('No live session.').waitFor();
    const me = await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${again.accessToken}` } });
    expect(me.status).toBe(401);
    expect(await c.accessibilityProblems()).toEqual([]);
  });

  it('refuses to disable the admin’s own account and says why', async () => {
    await page.goto(`${t.baseUrl}/_/users/${admin.userId}`);
    await page.getByRole('heading', { name: admin.email, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Disable account' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Disable account' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toMatch(/\S/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('filters the audit log; a hostile user agent stays inert text; the export downloads', async () => {
    const hostile = await login(t, alice.email, alice.password, { 'user-agent': HOSTILE });
    expect(hostile.sessionId).toBeTruthy();
    await page.goto(`${t.baseUrl}/_/audit`);
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByLabel('Action').fill('auth.session.created');
    await page.getByLabel('Actor id').fill(alice.userId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const table = page.getByRole('grid', { name: 'Audit log' });
    await table.getByText(HOSTILE).first().waitFor();
    const actions = await table.getByRole('row').evaluateAll((rows) => rows.slice(1).map((row) => row.children[1]?.textContent));
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['auth.session.created']));
    expect(await c.ranHostileScript()).toBe(false);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await c.accessibilityProblems()).toEqual([]);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^audit-.*\.csv$/);

    // A time range after every event: nothing matches (the day is typed into the date field's segments).
    await page.getByRole('group', { name: 'From (UTC day)' }).getByRole('spinbutton').first().click();
    await page.keyboard.type('01012099');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await table.getByText('No event matches.').waitFor();

    // A bad filter is refused by the API, and the page says why.
    await page.getByLabel('Action').fill('not an action!');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('alert').filter({ hasText: 'action' }).waitFor();
  });

  it('shows a failed job with its error and retries it', async () => {
    const broken = t.app.get(BrokenJob);
    const queue = t.app.get(JobQueue);
    const id = (await queue.enqueue('test.console-broken', {}))!;
    for (let tries = 0; (await queue.get(id)).state !== 'failed'; tries++) {
      if (tries > 200) throw new Error('the job never failed');
      await new Promise((done) => setTimeout(done, 50));
    }
    await page.goto(`${t.baseUrl}/_/jobs`);
    await page.getByRole('grid', { name: 'Schedules' }).getByRole('rowheader', { name: 'auth.purge-expired' }).waitFor();
    await page.getByRole('rowheader', { name: 'test.console-broken' }).click();
    await page.getByRole('heading', { name: 'Job test.console-broken' }).waitFor();
    expect(await page.locator('main pre').textContent()).toContain('the console test broke it on purpose');
    expect(await c.accessibilityProblems()).toEqual([]);

    broken.failing = false;
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('button', { name: 'Retry' }).waitFor({ state: 'detached' });
    for (let tries = 0; (await queue.get(id)).state !== 'completed'; tries++) {
      if (tries > 200) throw new Error('the retried job never completed');
      await new Promise((done) => setTimeout(done, 50));
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('dl.facts').getByText('completed').waitFor();
  });

  it('shows counts, storage, cache and the queue, with charts that carry their values in text', async () => {
    const created = await admin.json('POST', '/collections', { name: 'notes', fields: [{ name: 'title', type: 'text' }] });
    expect(created.status).toBe(201);
    for (const title of ['one', 'two', 'three'])
      expect((await admin.json('POST', '/collections/notes/records', { title })).status).toBe(201);
    await page.goto(`${t.baseUrl}/_/stats`);
    await page.getByRole('heading', { name: 'Stats', level: 1 }).waitFor();
    const records = page.getByRole('img', { name: /^Live records per collection:/ });
    await records.waitFor();
    expect(await records.getAttribute('aria-label')).toContain('notes 3');
    expect(await page.getByRole('img', { name: /^Jobs by state:/ }).getAttribute('aria-label')).toMatch(/completed \d+/);
    expect(await page.getByRole('img', { name: /^Cache lookups on this instance:/ }).getAttribute('aria-label')).toMatch(/hits \d+/);
    expect(await page.locator('dl.tiles').textContent()).toMatch(/Users\d+/);
    expect(await c.accessibilityProblems()).toEqual([]);
    await page.screenshot({ path: STATS_SCREENSHOT });
  });

  it('shows the effective settings with no secret visible', async () => {
    await page.goto(`${t.baseUrl}/_/settings`);
    await page.getByRole('heading', { name: 'Sign-in and tokens' }).waitFor();
    const text = (await page.locator('main').textContent())!;
    for (const secret of [t.config.auth.jwtSecret, t.config.auth.encryptionKey, METRICS_TOKEN]) expect(text).not.toContain(secret);
    const jwt = page.getByRole('row', { name: /^jwtSecret/ });
    expect(await jwt.textContent()).toContain('********');
    expect(await jwt.textContent()).toContain('JWT_SECRET');
    expect(await page.getByRole('row', { name: /^metricsToken/ }).textContent()).toContain('********');
    expect(await c.accessibilityProblems()).toEqual([]);
  });

  it('deletes a user only once their email is typed', async () => {
    const bob = `${label}-bob@example.test`;
    await page.goto(`${t.baseUrl}/_/users`);
    await page.getByLabel('Search by email or name').fill(bob);
    await page.getByRole('rowheader', { name: bob }).click();
    await page.getByRole('heading', { name: bob, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete account' }).click();
    const dialog = page.getByRole('alertdialog');
    const go = dialog.getByRole('button', { name: 'Delete account' });
    expect(await go.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type/).fill(bob);
    await go.click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    const search = (await (await admin.request(`/admin/users?q=${encodeURIComponent(bob)}`)).json()) as { items: unknown[] };
    expect(search.items).toEqual([]);
  });

  it('had no console error, uncaught exception or CSP violation', () => {
    expect(c.problems).toEqual([]);
  });
});
