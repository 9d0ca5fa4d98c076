import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { totpCode } from '@backlot/security';
import { createUser, PASSWORD, signedInUser } from '@backlot/testing/auth';
import { type ConsoleBrowser, HOSTILE, openConsole } from '@backlot/testing/console-browser';
import type { TestApp } from '@backlot/testing/test-app';

const ROOT = resolve(__dirname, '../../..');
const SCREENSHOT = join(ROOT, 'docs/images/console-collection.png');

/** The admin console (apps/console) served by the API under /_/, in headless Chromium. */
describe('the admin console in a real browser', () => {
  let c: ConsoleBrowser;
  let t: TestApp;
  let page: Page;
  let admin: { email: string; password: string };
  const accessibilityProblems = () => c.accessibilityProblems();

  beforeAll(async () => {
    c = await openConsole();
    ({ t, page } = c);
  }, 120_000);

  afterAll(async () => {
    await c?.close();
  });

  it('serves the app under a strict CSP: index.html revalidated, hashed assets cached for good, no inline script', async () => {
    const index = await t.request('/_/');
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/_\/assets\/[^"]+\.js)"/.exec(html)![1];
    const script = await t.request(asset);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // A page of the app (deep link) is its index.html; a missing asset is a 404 problem, not the page.
    expect(await (await t.request('/_/collections/anything')).text()).toBe(html);
    const missing = await t.request('/_/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    // Paths that climb out never reach a file: the build is served from a fixed list of names.
    for (const path of ['/_/assets/..%2f..%2f..%2fpackage.json', '/_/assets/%2e%2e/%2e%2e/package.json']) {
      const climbing = await t.request(path);
      expect(climbing.status).toBe(404);
      expect(await climbing.text()).not.toContain('"name": "backlot"');
    }
    expect(await (await t.request('/_/..%2f..%2fpackage.json')).text()).toBe(html);
    const posted = await t.request('/_/', { method: 'POST' });
    expect(posted.status).toBe(404);
    expect(posted.headers.get('content-type')).toContain('application/problem+json');
  });

  it('tells the first visitor how to create the first admin while none exists', async () => {
    await page.goto(`${t.baseUrl}/_/`);
    await page.getByRole('heading', { name: 'Create the first admin' }).waitFor();
    expect(await accessibilityProblems()).toEqual([]);
  });

  it('signs an admin in with the cookie, says what is wrong with a bad password, keeps no token in storage', async () => {
    admin = await createUser(t, { role: 'admin' });
    await page.reload();
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/\S/);
    expect(await accessibilityProblems()).toEqual([]);

    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Collections' }).waitFor();
    const storage = await page.evaluate(() => ({
      cookie: document.cookie,
      local: JSON.stringify(localStorage),
      session: JSON.stringify(sessionStorage),
    }));
    expect(storage.cookie).toBe('');
    expect(storage.local).not.toMatch(/eyJ|token/i);
    expect(storage.session).toBe('{}');
  });

  it('lists collections and opens one: fields and rules, hostile text shown as text and run nowhere', async () => {
    const session = await signedInUser(t, { role: 'admin' });
    const created = await session.json('POST', '/collections', {
      name: 'tasks',
      description: HOSTILE,
      fields: [
        { name: 'title', type: 'text', required: true },
        { name: 'status', type: 'select', values: [HOSTILE, 'open'] },
      ],
      rules: { list: 'owner = @me', view: 'owner = @me' },
    });
    expect(created.status).toBe(201);
    await page.reload();
    await page.getByRole('rowheader', { name: 'tasks' }).waitFor();
    expect(await page.getByRole('row', { name: /tasks/ }).textContent()).toContain(HOSTILE);
    expect(await accessibilityProblems()).toEqual([]);

    await page.getByRole('rowheader', { name: 'tasks' }).click();
    await page.getByRole('heading', { name: 'tasks' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/_/collections/tasks');
    await page.getByRole('rowheader', { name: /status/ }).waitFor();
    expect(await page.locator('dl.rules').textContent()).toContain('owner = @me');
    expect(await c.ranHostileScript()).toBe(false);
    expect(await page.locator('img').count()).toBe(0);
    expect(await accessibilityProblems()).toEqual([]);
    await page.screenshot({ path: SCREENSHOT });

    // The address is a real page: a reload there shows it again (the session comes back from the cookie).
    await page.reload();
    await page.getByRole('heading', { name: 'tasks' }).waitFor();
  });

  it('switches to the dark theme and keeps it across a reload, still without accessibility problems', async () => {
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.reload();
    await page.getByRole('heading', { name: 'tasks' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await accessibilityProblems()).toEqual([]);
  });

  it('signs out: the cookie session ends, and the sign-in form is back', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('tells a signed-in account that is not an admin that the console is for admins', async () => {
    const user = await createUser(t);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Admins only' }).waitFor();
    expect(await accessibilityProblems()).toEqual([]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('asks an admin with MFA for the code after the password, refuses a wrong one, and lets the right one in', async () => {
    const mfaAdmin = await signedInUser(t, { role: 'admin' });
    const setup = await mfaAdmin.json('POST', '/auth/mfa/setup');
    const { secret } = (await setup.json()) as { secret: string };
    expect((await mfaAdmin.json('POST', '/auth/mfa/enable', { code: totpCode(secret, Date.now()) })).status).toBe(200);

    await page.getByLabel('Email').fill(mfaAdmin.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByLabel(/Code from your authenticator app/);
    await code.waitFor();
    expect(await accessibilityProblems()).toEqual([]);
    await code.fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').waitFor();
    // The current step's code was spent enabling MFA (a code is good once); the next step's is accepted.
    await code.fill(totpCode(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('had no console error, uncaught exception or CSP violation', () => {
    expect(c.problems).toEqual([]);
  });
});
