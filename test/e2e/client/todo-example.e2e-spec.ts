import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser, login, PASSWORD, postJson, signedInUser } from '@backlot/testing/auth';
import { launchChromium } from '@backlot/testing/browser';
import { defineCollection, OWNER_ONLY_RULES } from '@backlot/testing/data';
import { compileClientModules } from '@backlot/testing/sdk-harness';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';
import { type ExampleServer, serveExample } from '../../../examples/todo/serve.mjs';

const ROOT = resolve(__dirname, '../../..');
const SCREENSHOT = join(ROOT, 'docs/images/todo-example.png');
const EMAIL = 'ada@example.com';
const HOSTILE = '<img src=x onerror="window.__xss=1">';

/** The titles the page lists, once they are `expected` (or what is there after a while, for the failure message). */
async function expectTitles(page: Page, expected: string[]): Promise<void> {
  await page
    .waitForFunction(
      (want) => JSON.stringify(Array.from(document.querySelectorAll('#todos .title'), (node) => node.textContent)) === want,
      JSON.stringify(expected),
      { timeout: 10_000 },
    )
    .catch(() => undefined);
  expect(await page.locator('#todos .title').allTextContents()).toEqual(expected);
}

const row = (page: Page, title: string) => page.locator('#todos li').filter({ hasText: title });

/** The example app (examples/todo) in headless Chromium against a running Backlot, as a user would use it. */
describe('examples/todo in a real browser', () => {
  let sdk: ReturnType<typeof compileClientModules>;
  let example: ExampleServer;
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let first: Page;
  let second: Page;
  /** Console errors and uncaught exceptions of the watched pages, named by page. */
  const problems: string[] = [];
  /** CSP violations in any page, as the listener each page gets before its own scripts reports them. */
  const violations: string[] = [];

  function watch(page: Page, name: string): Page {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${name} console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${name} uncaught: ${error.message}`));
    return page;
  }

  async function addTodo(page: Page, title: string): Promise<void> {
    await page.fill('#add [name=title]', title);
    await page.press('#add [name=title]', 'Enter');
    await row(page, title).first().waitFor();
  }

  beforeAll(async () => {
    // The SDK's ES modules as the page loads them, compiled into this run's own directory.
    sdk = compileClientModules();
    await sdk.compiled;
    // The page needs the API's URL and the API needs the page's origin in CORS_ORIGINS, and both
    // listen on a free port. So the example server starts first and reads the API's URL at each
    // request: by the time the browser asks for anything, the app is up.
    example = await serveExample({ apiUrl: () => t.baseUrl, clientDir: sdk.dir });
    t = await startTestApp({ env: { CORS_ORIGINS: example.url, AUTH_RATE_LIMIT_MAX: '1000' } });
    const admin = await signedInUser(t, { role: 'admin' });
    const fields = [
      { name: 'title', type: 'text', required: true, minLength: 1, maxLength: 200 },
      { name: 'done', type: 'boolean', default: false },
    ];
    await defineCollection(admin, 'todos', fields, OWNER_ONLY_RULES);
    await createUser(t, { email: EMAIL });

    browser = await launchChromium();
    // One context: its pages are tabs of one browser profile, sharing localStorage (the session).
    context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.exposeFunction('reportViolation', (text: string) => violations.push(text));
    await context.addInitScript(() =>
      document.addEventListener(
        'securitypolicyviolation',
        (event) =>
          (window as unknown as { reportViolation(text: string): void }).reportViolation(`${event.violatedDirective} ${event.blockedURI}`),
        true,
      ),
    );
    first = watch(await context.newPage(), 'first tab');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await example?.close();
    sdk?.remove();
  });

  it('serves the page under its CSP and signs in through the form', async () => {
    const response = await first.goto(example.url);
    expect(response?.headers()['content-security-policy']).toBe(
      `default-src 'self'; connect-src 'self' ${t.baseUrl}; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'`,
    );
    await first.locator('#sign-in').waitFor();
    await first.fill('#sign-in [name=email]', EMAIL);
    await first.fill('#sign-in [name=password]', PASSWORD);
    await first.click('#sign-in button[value=login]');
    await first.locator('#account').waitFor();
    expect(await first.textContent('#who')).toBe(EMAIL);
    await first.locator('#empty').waitFor();
    await first.locator('#live').waitFor();
  });

  it('adds todos, newest first, and toggles one done with If-Match; the server has it', async () => {
    for (const title of ['Buy oat milk', 'Write the release notes', 'Water the plants']) await addTodo(first, title);
    await expectTitles(first, ['Water the plants', 'Write the release notes', 'Buy oat milk']);

    const patch = first.waitForRequest((request) => request.method() === 'PATCH');
    await row(first, 'Buy oat milk').locator('input[type=checkbox]').check();
    expect((await (await patch).allHeaders())['if-match']).toBe('"1"');
    await first.locator('#todos li.done').filter({ hasText: 'Buy oat milk' }).waitFor();
    expect(await first.textContent('#count')).toBe('2 open · 1 done');

    const tokens = await login(t, EMAIL, PASSWORD);
    const stored = await t.request('/api/v1/collections/todos/records?sort=-created', {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    const { items } = (await stored.json()) as { items: { title: string; done: boolean; version: number }[] };
    expect(items.map(({ title, done, version }) => [title, done, version])).toEqual([
      ['Water the plants', false, 1],
      ['Write the release notes', false, 1],
      ['Buy oat milk', true, 2],
    ]);
  });

  it("shows a refused write's problem: its detail and the field's message", async () => {
    await first.fill('#add [name=title]', '   ');
    await first.press('#add [name=title]', 'Enter');
    await first.locator('#error li').waitFor();
    expect(await first.textContent('#error strong')).toBe('The record does not fit the collection’s schema.');
    expect(await first.locator('#error li').allTextContents()).toEqual(['title must NOT have fewer than 1 characters']);

    // Chromium logs every refused call as a console error: this one was asked for.
    const refused = 'first tab console: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)';
    await eventually('the refused call in the console', () => problems.includes(refused), 5_000);
    problems.splice(problems.indexOf(refused), 1);
    await first.fill('#add [name=title]', '');
  });

  it('lists open todos only with the filter, sent as a bound literal', async () => {
    const listed = first.waitForRequest((request) => new URL(request.url()).searchParams.get('filter') === 'done = false');
    await first.check('#open-only');
    await listed;
    await expectTitles(first, ['Water the plants', 'Write the release notes']);
    expect(await first.textContent('#count')).toBe('2 open');
    await first.uncheck('#open-only');
    await expectTitles(first, ['Water the plants', 'Write the release notes', 'Buy oat milk']);
  });

  it('shows a title holding HTML as text, runs none of it, and deletes it', async () => {
    await addTodo(first, HOSTILE);
    await expectTitles(first, [HOSTILE, 'Water the plants', 'Write the release notes', 'Buy oat milk']);
    // The CSP would stop the handler even if the markup got in: so check that no element was made.
    expect(await first.locator('#todos img').count()).toBe(0);
    expect(await first.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

    await row(first, HOSTILE).locator('.remove').click();
    await expectTitles(first, ['Water the plants', 'Write the release notes', 'Buy oat milk']);
  });

  it('shows in the first tab, through realtime, a todo added in a second tab of the same session', async () => {
    second = watch(await context.newPage(), 'second tab');
    await second.goto(example.url);
    await second.locator('#live').waitFor();
    await expectTitles(second, ['Water the plants', 'Write the release notes', 'Buy oat milk']);

    await addTodo(second, 'Call the plumber');
    await expectTitles(first, ['Call the plumber', 'Water the plants', 'Write the release notes', 'Buy oat milk']);
  });

  it('keeps the session across a reload (and takes the screenshot for the docs)', async () => {
    await first.reload();
    await first.locator('#account').waitFor();
    await first.locator('#live').waitFor();
    expect(await first.textContent('#who')).toBe(EMAIL);
    await expectTitles(first, ['Call the plumber', 'Water the plants', 'Write the release notes', 'Buy oat milk']);

    // Nothing hovered or focused: the picture is the same on every run.
    await first.mouse.move(0, 0);
    await first.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await first.screenshot({ path: SCREENSHOT, animations: 'disabled', caret: 'hide' });
  });

  it('signs out, ends the session on the server, and the other tab follows', async () => {
    const kept = JSON.parse((await first.evaluate(() => localStorage.getItem('backlot.auth'))) ?? 'null') as { refreshToken: string };
    await first.click('#sign-out');
    await first.locator('#sign-in').waitFor();
    expect(await first.evaluate(() => localStorage.getItem('backlot.auth'))).toBeNull();
    await second.locator('#sign-in').waitFor();
    expect(await second.isVisible('#signed-in')).toBe(false);
    expect((await postJson(t, '/auth/refresh', { refreshToken: kept.refreshToken })).status).toBe(401);
  });

  it('had no console error, uncaught exception or CSP violation, and would have seen one', async () => {
    expect(problems).toEqual([]);
    expect(violations).toEqual([]);

    const probe = await context.newPage();
    await probe.goto(example.url);
    await probe.evaluate(() => document.head.append(Object.assign(document.createElement('script'), { textContent: '1' })));
    await eventually('the provoked violation', () => violations.length > 0, 5_000);
    expect(violations).toEqual([expect.stringMatching(/^script-src/)]);
    await probe.close();
  });
});
