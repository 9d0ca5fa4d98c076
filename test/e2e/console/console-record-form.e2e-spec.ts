import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { type ConsoleBrowser, HOSTILE, openConsole } from '@backlot/testing/console-browser';
import type { TestApp } from '@backlot/testing/test-app';

const ROOT = resolve(__dirname, '../../..');
const SCREENSHOT = join(ROOT, 'docs/images/console-record.png');

/** The console's record panel: a form generated from the schema, If-Match saves, delete, history, import and export. */
describe('the console record form in a real browser', () => {
  let c: ConsoleBrowser;
  let t: TestApp;
  let page: Page;
  let admin: UserSession;
  let zephyr: string;
  let recordId: string;

  const axe = () => c.accessibilityProblems();
  /** A field's control by its label (a required field's label ends in a mark hidden from screen readers). */
  const input = (name: string) => page.getByLabel(new RegExp(`^${name}( \\*)?$`));
  /** The text of a field's problem, wherever its control shows it. */
  const problemOf = (name: string): Locator => page.locator('.field', { has: input(name) }).locator('.field-problem');
  const stored = async () => (await (await admin.request(`/collections/tasks/records/${recordId}`)).json()) as Record<string, unknown>;

  beforeAll(async () => {
    c = await openConsole();
    ({ t, page } = c);
    page.setDefaultTimeout(10_000);
    admin = await signedInUser(t, { role: 'admin' });
    expect(
      (await admin.json('POST', '/collections', { name: 'projects', fields: [{ name: 'name', type: 'text', required: true }] })).status,
    ).toBe(201);
    const projects = [];
    for (const name of ['Apollo', 'Zephyr'])
      projects.push((await (await admin.json('POST', '/collections/projects/records', { name })).json()) as { id: string });
    zephyr = projects[1].id;
    const created = await admin.json('POST', '/collections', {
      name: 'tasks',
      fields: [
        { name: 'title', type: 'text', required: true, maxLength: 80 },
        { name: 'contact', type: 'email' },
        { name: 'amount', type: 'number' },
        { name: 'done', type: 'boolean' },
        { name: 'status', type: 'select', values: ['open', 'closed'] },
        { name: 'tags', type: 'select', multiple: true, values: ['red', 'green', HOSTILE] },
        { name: 'due', type: 'datetime' },
        { name: 'meta', type: 'json' },
        { name: 'project', type: 'relation', collection: 'projects' },
        { name: 'attachments', type: 'file', multiple: true, protected: true },
        { name: 'secret', type: 'text', hidden: true },
      ],
    });
    expect(created.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await c?.close();
  });

  it('creates a record through the generated form: a 422 on the right field, bad JSON caught before sending', async () => {
    await c.signIn(admin, '/_/records/tasks/new');
    await page.getByRole('heading', { name: 'New record in tasks' }).waitFor();
    expect(await page.getByText('secret', { exact: true }).count()).toBe(0);
    expect(await input('title').getAttribute('aria-required')).toBe('true');
    expect(await axe()).toEqual([]);

    await input('title').fill(HOSTILE);
    await input('contact').fill('not an address');
    await input('amount').fill('3.5');
    await page.getByText('done', { exact: true }).click();
    await page.getByRole('button', { name: /status/ }).click();
    await page.getByRole('option', { name: 'open' }).click();
    await page.getByRole('checkbox', { name: HOSTILE }).check({ force: true });
    await page.getByRole('checkbox', { name: 'green' }).check({ force: true });
    await input('due').fill('2026-12-24T18:30:00');
    await input('meta').fill('{"size": 3,');
    expect(await problemOf('meta').textContent()).toMatch(/Not valid JSON at line 1, column \d+/);
    await page.getByRole('combobox', { name: 'project' }).fill('Zep');
    await page.getByRole('option', { name: /Apollo/ }).waitFor({ state: 'detached' });
    await page.getByRole('option', { name: /Zephyr/ }).click();
    expect(await page.getByRole('list', { name: 'project: chosen' }).textContent()).toContain('Zephyr');
    await input('attachments').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('first notes') });

    let sent = 0;
    page.on('request', (request) => request.method() === 'POST' && request.url().includes('/collections/tasks/records') && sent++);
    await page.getByRole('button', { name: 'Create record' }).click();
    await page.getByRole('alert').filter({ hasText: 'Nothing was sent' }).waitFor();
    expect(sent).toBe(0);
    await input('meta').fill('{"size": 3}');

    await page.getByRole('button', { name: 'Create record' }).click();
    await problemOf('contact').waitFor();
    expect(sent).toBe(1);
    expect(await input('contact').getAttribute('aria-invalid')).toBe('true');
    expect(await problemOf('contact').textContent()).toMatch(/email/);
    expect(await problemOf('title').count()).toBe(0);
    expect(await axe()).toEqual([]);

    await input('contact').fill('ada@example.com');
    await page.getByRole('button', { name: 'Create record' }).click();
    await page.getByRole('heading', { name: 'Record of tasks' }).waitFor();
    recordId = new URL(page.url()).pathname.split('/').pop()!;
    const record = await stored();
    expect(record).toMatchObject({
      title: HOSTILE,
      contact: 'ada@example.com',
      amount: 3.5,
      done: true,
      status: 'open',
      due: new Date('2026-12-24T18:30:00').toISOString(),
      meta: { size: 3 },
      project: zephyr,
      version: 1,
    });
    expect([...(record.tags as string[])].sort()).toEqual(['green', HOSTILE].sort());
    expect((record.attachments as { original: string }[]).map((file) => file.original)).toEqual(['notes.txt']);
    // Filled in again from the stored record, hostile text as a value.
    expect(await input('title').inputValue()).toBe(HOSTILE);
    expect(await c.ranHostileScript()).toBe(false);
    expect(await axe()).toEqual([]);

    // A stored (protected) file downloads through a file token: a link cannot carry the session's header.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download notes.txt' }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe('notes.txt');
    expect(readFileSync((await saved.path())!, 'utf8')).toBe('first notes');
  });

  it('saves an edit with If-Match, files replaced; a change made behind its back is a 412, not an overwrite', async () => {
    await input('amount').fill('7');
    await page.getByRole('button', { name: 'Remove notes.txt from attachments' }).click();
    await input('attachments').setInputFiles({ name: 'more.txt', mimeType: 'text/plain', buffer: Buffer.from('more notes') });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved: version 2.').waitFor();
    let record = await stored();
    expect(record).toMatchObject({ amount: 7, version: 2, title: HOSTILE });
    expect((record.attachments as { original: string }[]).map((file) => file.original)).toEqual(['more.txt']);

    const behind = await admin.json('PATCH', `/collections/tasks/records/${recordId}`, { amount: 9, title: 'Changed elsewhere' });
    expect(behind.status).toBe(200);
    await input('title').fill('My edit');
    const patch = page.waitForRequest((request) => request.method() === 'PATCH');
    await page.getByRole('button', { name: 'Save changes' }).click();
    // Only what changed is sent, at the version the form was loaded at.
    expect((await patch).postDataJSON()).toEqual({ title: 'My edit' });
    expect((await patch).headers()['if-match']).toBe('"2"');
    await page.getByRole('alert').filter({ hasText: 'changed by someone else' }).waitFor();
    record = await stored();
    expect(record).toMatchObject({ title: 'Changed elsewhere', amount: 9, version: 3 });
    expect(await axe()).toEqual([]);

    await page.getByRole('button', { name: 'Load the current version' }).click();
    await page.getByText('version 3', { exact: true }).waitFor();
    expect(await page.getByText('Saved: version 2.').count()).toBe(0);
    expect(await input('title').inputValue()).toBe('Changed elsewhere');
    expect(await input('amount').inputValue()).toBe('9');
  });

  it('shows the history, compares a revision with the current record as text, and restores it', async () => {
    const history = page.getByRole('grid', { name: 'History' });
    await history.getByRole('row').nth(3).waitFor();
    expect(await history.getByRole('row').count()).toBe(4); // header and versions 3, 2, 1
    expect(await history.textContent()).toContain(admin.email);
    await history.getByRole('rowheader', { name: '1' }).click();
    const diff = page.getByRole('grid', { name: /Version 1 against/ });
    await diff.waitFor();
    const titleRow = diff.getByRole('row', { name: /title/ });
    expect(await titleRow.textContent()).toContain(HOSTILE);
    expect(await titleRow.textContent()).toContain('Changed elsewhere');
    expect(await diff.getByRole('row', { name: /amount/ }).textContent()).toMatch(/3\.5.*9/);
    expect(await diff.getByRole('row', { name: /status/ }).count()).toBe(0); // unchanged fields are left out
    expect(await c.ranHostileScript()).toBe(false);
    expect(await page.locator('img').count()).toBe(0);
    expect(await axe()).toEqual([]);
    await page.getByRole('heading', { name: 'History' }).evaluate((heading) => heading.scrollIntoView());
    await page.screenshot({ path: SCREENSHOT });
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await axe()).toEqual([]);
    await page.getByRole('button', { name: 'Dark theme' }).click();

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    const dialog = page.getByRole('alertdialog');
    expect(await axe()).toEqual([]);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await page.getByText('Restored: the record is now version 4.').waitFor();
    expect(await input('title').inputValue()).toBe(HOSTILE);
    expect(await input('amount').inputValue()).toBe('3.5');
    expect(await stored()).toMatchObject({ title: HOSTILE, amount: 3.5, version: 4 });
  });

  it('deletes the record after confirmation and goes back to the records', async () => {
    await page.getByRole('button', { name: 'Delete record' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL((url) => url.pathname === '/_/records/tasks');
    expect((await admin.request(`/collections/tasks/records/${recordId}`)).status).toBe(404);
  });

  it('exports a collection from its grid as a download and imports a file: counts and the failed lines', async () => {
    await page.goto(`${t.baseUrl}/_/records/projects`);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export NDJSON' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('projects.ndjson');
    const exported = readFileSync((await file.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(exported.map((line) => (JSON.parse(line) as { name: string }).name).sort()).toEqual(['Apollo', 'Zephyr']);

    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import records into projects' });
    const lines = [...exported, JSON.stringify({ name: 42 })].join('\n');
    await dialog
      .getByLabel('File to import')
      .setInputFiles({ name: 'projects.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(lines) });
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Nothing was imported' }).waitFor();
    expect(await dialog.getByRole('list', { name: 'Lines not imported' }).textContent()).toContain('line 3.name');
    expect(await axe()).toEqual([]);

    await dialog.getByRole('radio', { name: /import the other lines/ }).check({ force: true });
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByText('Imported 2 records; 1 line failed.').waitFor();
    expect(await dialog.getByRole('list', { name: 'Lines not imported' }).textContent()).toContain('line 3.name');
    const all = (await (await admin.request('/collections/projects/records?count=true')).json()) as { total: number };
    expect(all.total).toBe(4);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('shows a file named with hostile markup as text, in the form and in the grid, and runs nothing', async () => {
    const form = new FormData();
    form.append('title', 'Hostile file');
    form.append('attachments', new Blob(['x'], { type: 'text/plain' }), `${HOSTILE}.txt`);
    const created = await admin.request('/collections/tasks/records', { method: 'POST', body: form });
    expect(created.status).toBe(201);
    const record = (await created.json()) as { id: string; attachments: { original: string }[] };
    // As the server stored it: file names are sanitized, but markup characters may remain.
    const shown = record.attachments[0].original;
    await page.goto(`${t.baseUrl}/_/records/tasks/${record.id}`);
    await page.getByText(shown, { exact: true }).waitFor();
    await page.goto(`${t.baseUrl}/_/records/tasks?columns=title,attachments`);
    await page.getByRole('rowheader', { name: 'Hostile file' }).waitFor();
    expect(await page.locator('img').count()).toBe(0);
    expect(await c.ranHostileScript()).toBe(false);
  });

  it('had no console error, uncaught exception or CSP violation', () => {
    expect(c.problems).toEqual([]);
  });
});
