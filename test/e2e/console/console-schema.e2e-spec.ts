import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { createUser, signedInUser, type UserSession } from '@backlot/testing/auth';
import { type ConsoleBrowser, HOSTILE, openConsole } from '@backlot/testing/console-browser';
import type { TestApp } from '@backlot/testing/test-app';

const SCREENSHOT = join(resolve(__dirname, '../../..'), 'docs/images/console-schema.png');

/** The console's data model pages: collections, fields, indexes, rules and the rule preview, in headless Chromium. */
describe('console: collections, fields and rules', () => {
  let c: ConsoleBrowser;
  let t: TestApp;
  let page: Page;
  let alice: UserSession;
  let bob: UserSession;
  let operator: UserSession;

  const dialog = () => page.getByRole('dialog');
  const fields = () => page.getByRole('grid', { name: 'Fields' });
  const ruleGroup = (action: string) => page.getByRole('radiogroup', { name: new RegExp(`^${action} — `) });
  async function choose(scope: Locator, select: RegExp, option: string) {
    await scope.getByRole('button', { name: select }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  }
  async function condition(action: string, text: string) {
    await ruleGroup(action).getByText('Who matches a condition').click();
    await page.getByLabel(`${action} condition`).fill(text);
  }

  beforeAll(async () => {
    c = await openConsole({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    ({ t, page } = c);
    const admin = await createUser(t, { role: 'admin' });
    alice = await signedInUser(t);
    bob = await signedInUser(t);
    operator = await signedInUser(t, { role: 'admin' });
    await c.signIn(admin, '/_/collections');
  }, 120_000);

  afterAll(async () => {
    await c?.close();
  });

  it('creates a collection with its rules from the form; a refused field name is said on that field', async () => {
    await page.getByRole('button', { name: 'New collection' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('notes');
    await dialog().getByLabel('Description').fill(HOSTILE);
    await dialog().getByLabel('Field 1 name').fill('id');
    await dialog().getByRole('button', { name: 'Add a field' }).click();
    await dialog().getByLabel('Field 2 name').fill('public');
    await choose(dialog(), /Field 2 type/, 'boolean');
    await condition('list', 'owner = @me || public = true');
    await ruleGroup('view')
      .getByText(/^Anyone/)
      .click();
    await condition('create', '@me != null');
    expect(await accessibilityProblems()).toEqual([]);
    await dialog().getByRole('button', { name: 'Create' }).click();

    await invalid(dialog().getByLabel('Field 1 name'));
    expect(await dialog().getByText('id is reserved').isVisible()).toBe(true);
    await dialog().getByLabel('Field 1 name').fill('title');
    await dialog().getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'notes', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/_/collections/notes');
    const rules = await page.locator('dl.rules').textContent();
    expect(rules).toContain('owner = @me || public = true');
    expect(rules).toMatch(/viewanyone/);
    expect(rules).toMatch(/updateadmins only/);
    expect(await accessibilityProblems()).toEqual([]);
  });

  it('adds and changes fields with their type options: a 400 on the option it names, a 409 with the field and the record count', async () => {
    for (const [who, title, shared] of [
      [alice, 'alice private', false],
      [alice, 'alice public', true],
      [bob, HOSTILE, false],
    ] as const)
      expect((await who.json('POST', '/collections/notes/records', { title, public: shared })).status).toBe(201);

    await page.getByRole('button', { name: 'Add field' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('stars');
    await choose(dialog(), /Type/, 'integer');
    await dialog().getByLabel('Minimum (min)').fill('5');
    await dialog().getByLabel('Maximum (max)').fill('1');
    await dialog().getByRole('button', { name: 'Add field' }).click();
    await invalid(dialog().getByLabel('Minimum (min)'));
    expect(await dialog().getByText('min is above max').isVisible()).toBe(true);
    expect(await accessibilityProblems()).toEqual([]);
    await dialog().getByLabel('Maximum (max)').fill('10');
    await dialog().getByRole('button', { name: 'Add field' }).click();
    await fields().getByRole('rowheader', { name: 'stars' }).waitFor();

    // Required without a default while three records have no value: refused, naming the field and the count.
    await page.getByRole('button', { name: 'Edit stars' }).click();
    await dialog().getByText('Required', { exact: true }).click();
    await dialog().getByRole('button', { name: 'Save field' }).click();
    const refused = dialog().getByRole('alert');
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/Field stars, 3 record\(s\) in the way/);
    expect(await accessibilityProblems()).toEqual([]);
    // A rename instead (values kept), with the options of a select on a new field.
    await dialog().getByText('Required', { exact: true }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('rating');
    await dialog().getByRole('button', { name: 'Save field' }).click();
    await fields().getByRole('rowheader', { name: 'rating' }).waitFor();

    await page.getByRole('button', { name: 'Add field' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('status');
    await choose(dialog(), /Type/, 'select');
    await dialog().getByLabel('Values (one per line)').fill('open\ndone');
    await dialog().getByLabel('Default').fill('open');
    await dialog().getByText('Indexed', { exact: true }).click();
    await dialog().getByRole('button', { name: 'Add field' }).click();
    await fields().getByRole('rowheader', { name: 'status' }).waitFor();
    expect(
      await fields()
        .getByRole('row', { name: /status/ })
        .textContent(),
    ).toContain('values: ["open","done"]');
    expect(
      await page
        .getByRole('grid', { name: 'Indexes' })
        .getByRole('row', { name: /status/ })
        .textContent(),
    ).toContain('indexed');
    expect(await c.ranHostileScript()).toBe(false);
    expect(await accessibilityProblems()).toEqual([]);
  });

  it("edits the collection's description and options: a value the API refuses is said on its input, nothing half-saved", async () => {
    await page.getByRole('button', { name: 'Edit settings' }).click();
    await dialog()
      .getByLabel(/Days trashed records are kept/)
      .fill('ten');
    await dialog().getByRole('button', { name: 'Save settings' }).click();
    await dialog().getByText('A whole number.').waitFor();

    await dialog().getByLabel('Description').fill(`Notes ${HOSTILE}`);
    await dialog()
      .getByLabel(/Days trashed records are kept/)
      .fill('99999');
    await dialog().getByRole('button', { name: 'Save settings' }).click();
    await dialog().getByRole('alert').first().waitFor();
    expect(
      await dialog()
        .getByLabel(/Days trashed records are kept/)
        .getAttribute('aria-invalid'),
    ).toBe('true');
    expect(await accessibilityProblems()).toEqual([]);
    const unchanged = (await (await operator.request('/collections/notes')).json()) as { description: string };
    expect(unchanged.description).not.toContain('Notes');

    await dialog()
      .getByLabel(/Days trashed records are kept/)
      .fill('7');
    await choose(dialog(), /When an account is deleted/, 'Keep their records without an owner');
    await dialog().getByRole('button', { name: 'Save settings' }).click();
    await dialog().waitFor({ state: 'detached' });
    const settings = page.locator('dl.options');
    await settings.getByText('anonymize').waitFor();
    expect(await settings.textContent()).toContain('7');
    expect(await page.getByText(`Notes ${HOSTILE}`).count()).toBe(1);
    expect(await c.ranHostileScript()).toBe(false);
  });

  it('edits rules: a syntax error is marked at its column; the preview lists only what a regular user would get', async () => {
    await page.getByRole('link', { name: 'Edit rules and try them' }).click();
    await page.getByRole('heading', { name: 'Rules of notes' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/_/collections/notes/rules');
    await ruleGroup('update').getByText('Who matches a condition').click();
    expect(await page.getByLabel('update condition').getAttribute('aria-invalid')).toBe('true'); // empty: neither saved nor anyone
    await page.getByLabel('update condition').fill('owner = @me &&& rating > 1');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await invalid(page.getByLabel('update condition'));
    const marked = page.locator('.error-at');
    expect(await marked.textContent()).toContain('Column 15');
    expect(await marked.locator('mark').textContent()).toBe('&');
    await page.getByLabel('update condition').fill('owner = @me');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page
      .getByRole('status')
      .getByText(/Rules saved/)
      .waitFor();
    expect(await accessibilityProblems()).toEqual([]);

    // The draft list rule (not saved) tried as bob: only his own record, its hostile title as text.
    await page.getByLabel('list condition').fill('owner = @me');
    await page.getByRole('combobox', { name: 'User' }).fill(bob.email);
    await page.getByRole('option', { name: bob.email }).click();
    await page.getByRole('button', { name: 'Preview' }).click();
    const seen = page.getByRole('grid', { name: `Records ${bob.email} would list` });
    await seen.waitFor();
    expect(await seen.getByRole('row').count()).toBe(2);
    expect(await seen.textContent()).toContain(HOSTILE);
    expect(await page.getByText(`${bob.email} would list 1 record(s)`).isVisible()).toBe(true);

    // As alice under the saved-looking draft with public: her two, and bob's private one left out.
    await page.getByLabel('list condition').fill('owner = @me || public = true');
    await page.getByRole('combobox', { name: 'User' }).fill(alice.email);
    await page.getByRole('option', { name: alice.email }).click();
    await page.getByRole('button', { name: 'Preview' }).click();
    const hers = page.getByRole('grid', { name: `Records ${alice.email} would list` });
    await hers.waitFor();
    expect(await hers.textContent()).toContain('alice private');
    expect(await hers.textContent()).not.toContain(HOSTILE);

    // A draft that does not compile: the preview's 400 marks it on the list rule.
    await page.getByLabel('list condition').fill("title = 'x' ||");
    await page.getByRole('button', { name: 'Preview' }).click();
    await invalid(page.getByLabel('list condition'));
    expect(await page.locator('.error-at').textContent()).toContain('Column 15');
    await page.getByLabel('list condition').fill('owner = @me || public = true');
    await page.getByRole('button', { name: 'Preview' }).click();
    await hers.waitFor();
    expect(await c.ranHostileScript()).toBe(false);
    expect(await page.locator('img').count()).toBe(0);
    expect(await seen.or(hers).getByText('this user').count()).toBeGreaterThan(0);
    expect(await accessibilityProblems()).toEqual([]);
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await accessibilityProblems()).toEqual([]);
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
  });

  it('deletes a collection only once its name is typed', async () => {
    await page.getByRole('link', { name: '← notes' }).click();
    await page.getByRole('heading', { name: 'notes', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Delete collection' }).click();
    const confirm = page.getByRole('alertdialog');
    expect(await confirm.getByRole('button', { name: 'Delete for good' }).isDisabled()).toBe(true);
    expect(await accessibilityProblems()).toEqual([]);
    await confirm.getByLabel(/Type/).fill('notes');
    await confirm.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByRole('heading', { name: 'Collections' }).waitFor();
    await page.getByText('No collections yet.').waitFor();
    expect((await alice.request('/collections/notes/records')).status).toBe(404);
  });

  it('had no console error, uncaught exception or CSP violation', () => {
    expect(c.problems).toEqual([]);
  });

  /** Waits until the input is marked invalid (aria-invalid). */
  async function invalid(input: Locator) {
    await input.and(page.locator('[aria-invalid="true"]')).waitFor();
  }

  function accessibilityProblems() {
    return c.accessibilityProblems();
  }
});
