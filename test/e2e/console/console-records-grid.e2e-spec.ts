import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { type UserSession, createUser, signedInUser } from '@backlot/testing/auth';
import { type ConsoleBrowser, HOSTILE, openConsole } from '@backlot/testing/console-browser';
import { form } from '@backlot/testing/files';
import type { TestApp } from '@backlot/testing/test-app';

const ROOT = resolve(__dirname, '../../..');
const SCREENSHOT = join(ROOT, 'docs/images/console-records.png');
/** Records seeded besides the two special ones (hostile text, a file): three pages of the grid and a bit. */
const SEEDED = 300;
const TOTAL = SEEDED + 2;

/** The records grid of the console (/_/records/<collection>) in headless Chromium. */
describe('the console records grid in a real browser', () => {
  let c: ConsoleBrowser;
  let t: TestApp;
  let page: Page;
  let admin: UserSession;
  let projectId: string;

  const status = () => page.getByText(/records loaded/);
  const table = () => page.getByRole('grid');
  const domRows = () => table().getByRole('row').count();
  const search = () => new URLSearchParams(new URL(page.url()).search);

  beforeAll(async () => {
    c = await openConsole();
    ({ t, page } = c);
    admin = await signedInUser(t, { role: 'admin' });
    expect((await admin.json('POST', '/collections', { name: 'projects', fields: [{ name: 'name', type: 'text' }] })).status).toBe(201);
    const project = await admin.json('POST', '/collections/projects/records', { name: 'Launch' });
    projectId = ((await project.json()) as { id: string }).id;
    const created = await admin.json('POST', '/collections', {
      name: 'tasks',
      fields: [
        { name: 'title', type: 'text', required: true },
        { name: 'status', type: 'select', values: ['open', 'done'] },
        { name: 'amount', type: 'integer' },
        { name: 'meta', type: 'json' },
        { name: 'project', type: 'relation', collection: 'projects' },
        { name: 'attachment', type: 'file' },
      ],
    });
    expect(created.status).toBe(201);
    // The two special records first, so they are on the grid's first page (creation order).
    expect((await admin.json('POST', '/collections/tasks/records', { title: HOSTILE, amount: 0, status: 'open' })).status).toBe(201);
    const withFile = await admin.request('/collections/tasks/records', {
      method: 'POST',
      body: form({ title: 'With a file', amount: '0' }, { attachment: { name: 'notes.txt', bytes: 'some notes', type: 'text/plain' } }),
    });
    expect(withFile.status).toBe(201);
    for (let start = 1; start <= SEEDED; start += 150) {
      const operations = Array.from({ length: 150 }, (_, i) => {
        const n = start + i;
        return {
          action: 'create',
          data: {
            title: `Task ${String(n).padStart(3, '0')}`,
            status: n % 2 ? 'open' : 'done',
            amount: n,
            meta: { note: 'x'.repeat(300), n },
            project: projectId,
          },
        };
      });
      expect((await admin.json('POST', '/collections/tasks/batch', { operations })).status).toBe(200);
    }
  }, 180_000);

  afterAll(async () => {
    await c?.close();
  });

  it('lets the operator pick a collection, then shows its first page of records', async () => {
    const operator = await createUser(t, { role: 'admin' });
    await c.signIn(operator, '/_/records');
    await page.getByRole('heading', { name: 'Records', level: 1 }).waitFor();
    expect(await c.accessibilityProblems()).toEqual([]);
    await page.getByRole('link', { name: 'tasks' }).click();
    await page.getByRole('heading', { name: 'tasks', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/_/records/tasks');
    await status()
      .filter({ hasText: `100 of ${TOTAL}` })
      .waitFor();
    await page.getByRole('rowheader', { name: 'Task 001' }).waitFor();
  });

  it('shows hostile values as text, files by name, relations by id, long JSON cut short', async () => {
    // Columns chosen in the address (a bookmark, say), narrow enough that all are in view.
    await page.goto(`${t.baseUrl}/_/records/tasks?columns=title,status,attachment,project,meta`);
    await status()
      .filter({ hasText: `100 of ${TOTAL}` })
      .waitFor();
    const hostileRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: HOSTILE, exact: true }) });
    expect(await hostileRow.count()).toBe(1);
    expect(await page.getByRole('row').filter({ hasText: 'With a file' }).textContent()).toContain('notes.txt');
    const task = await page.getByRole('row').filter({ hasText: 'Task 001' }).textContent();
    expect(task).toContain(projectId);
    expect(task).toContain('…');
    expect(task).not.toContain('x'.repeat(200));
    expect(await c.ranHostileScript()).toBe(false);
    expect(await page.locator('img').count()).toBe(0);
    expect(await c.accessibilityProblems()).toEqual([]);
    await page.screenshot({ path: SCREENSHOT });
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await c.accessibilityProblems()).toEqual([]);
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.goto(`${t.baseUrl}/_/records/tasks`);
  });

  it('filters with the filter language, and a bad filter says what is wrong and where', async () => {
    await page.getByLabel('Filter').fill('amount > 250');
    await page.getByLabel('Filter').press('Enter');
    await status().filter({ hasText: '50 of 50' }).waitFor();
    expect(search().get('filter')).toBe('amount > 250');
    await page.getByRole('rowheader', { name: 'Task 251' }).waitFor();

    await page.getByLabel('Filter').fill("status = 'open' &&& amount > 1");
    await page.getByRole('button', { name: 'Apply' }).click();
    const where = page.locator('.grid-filter-where mark');
    await where.waitFor();
    expect(await page.getByText(/at position \d+/).count()).toBeGreaterThan(0);
    expect(await where.textContent()).toBe('&');
    expect(await page.getByLabel('Filter').getAttribute('aria-invalid')).toBe('true');
    expect(await c.accessibilityProblems()).toEqual([]);

    await page.getByLabel('Filter').fill('');
    await page.getByLabel('Filter').press('Enter');
    await status()
      .filter({ hasText: `100 of ${TOTAL}` })
      .waitFor();
    expect(search().get('filter')).toBeNull();
  });

  it('sorts by a column header, ascending then descending', async () => {
    const amount = page.getByRole('columnheader', { name: /amount/ });
    await amount.click();
    await page.waitForURL(/sort=amount/);
    expect(await amount.getAttribute('aria-sort')).toBe('ascending');
    await amount.click();
    await page.waitForURL(/sort=-amount/);
    expect(await amount.getAttribute('aria-sort')).toBe('descending');
    await page.getByRole('rowheader', { name: 'Task 300' }).waitFor();
    const first = table().getByRole('row').nth(1);
    expect(await first.textContent()).toContain('Task 300');
  });

  it('loads the next page as the table scrolls, keeping only the rows in view in the DOM', async () => {
    await status()
      .filter({ hasText: `100 of ${TOTAL}` })
      .waitFor();
    // Scrolled to the end, the sentinel row asks for the next page; scroll again once it has come.
    // A scroll may land just as a page arrives and fetch the one after it too, so the wait is for
    // at least `loaded` records, not exactly that many.
    const loadedNow = async () => Number(/^(\d+) of/.exec((await status().textContent()) ?? '')?.[1] ?? 0);
    const scrollUntilLoaded = async (loaded: number) => {
      for (let attempt = 0; attempt < 150 && (await loadedNow()) < loaded; attempt++) {
        await table().evaluate((grid) => grid.scrollTo(0, grid.scrollHeight));
        await page.waitForTimeout(200);
      }
      expect(await loadedNow()).toBeGreaterThanOrEqual(loaded);
    };
    await scrollUntilLoaded(200);
    expect(await domRows()).toBeLessThan(60);
    await scrollUntilLoaded(TOTAL);
    expect(await domRows()).toBeLessThan(60);
    // The last of the descending order is in view at the end.
    await page.getByRole('rowheader', { name: 'With a file' }).waitFor();
  });

  it('keeps the chosen columns in the address, across a reload', async () => {
    await page.getByRole('button', { name: 'Columns' }).click();
    const dialog = page.getByRole('dialog', { name: 'Columns' });
    await dialog.getByRole('checkbox', { name: 'meta' }).uncheck({ force: true });
    await dialog.getByRole('checkbox', { name: 'project' }).uncheck({ force: true });
    await dialog.getByRole('checkbox', { name: 'updated' }).check({ force: true });
    expect(await c.accessibilityProblems()).toEqual([]);
    await dialog.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/columns=/);
    expect(search().get('columns')).toBe('title,status,amount,created,updated');
    await page.reload();
    await page.getByRole('columnheader', { name: /updated/ }).waitFor();
    expect(await page.getByRole('columnheader', { name: /meta/ }).count()).toBe(0);
    expect(await page.getByRole('columnheader', { name: /amount/ }).getAttribute('aria-sort')).toBe('descending');
  });

  it('deletes selected records to the trash, restores one and deletes the other for good', async () => {
    await status()
      .filter({ hasText: `100 of ${TOTAL}` })
      .waitFor();
    const purged = await idOf('Task 299');
    for (const title of ['Task 300', 'Task 299'])
      await page
        .getByRole('row', { name: new RegExp(title) })
        .getByRole('checkbox')
        .check({ force: true });
    await page.getByRole('button', { name: 'Delete 2 selected' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await status()
      .filter({ hasText: `100 of ${TOTAL - 2}` })
      .waitFor();
    expect(await page.getByRole('rowheader', { name: 'Task 300' }).count()).toBe(0);

    await page.getByRole('tab', { name: 'Trash' }).click();
    await page.waitForURL(/view=trash/);
    await status().filter({ hasText: '2 of 2 trashed' }).waitFor();
    await page.getByRole('columnheader', { name: /deleted/ }).waitFor();
    expect(await c.accessibilityProblems()).toEqual([]);
    await page
      .getByRole('row', { name: /Task 300/ })
      .getByRole('checkbox')
      .check({ force: true });
    await page.getByRole('button', { name: 'Restore 1 selected' }).click();
    await status().filter({ hasText: '1 of 1 trashed' }).waitFor();
    await page
      .getByRole('row', { name: /Task 299/ })
      .getByRole('checkbox')
      .check({ force: true });
    await page.getByRole('button', { name: 'Delete 1 for good' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete for good' }).click();
    await page.getByText('The trash is empty.').waitFor();
    expect((await admin.json('GET', `/collections/tasks/records/${purged}`)).status).toBe(404);
    expect((await admin.json('POST', `/collections/tasks/trash/${purged}/restore`)).status).toBe(404);

    await page.getByRole('tab', { name: 'Records' }).click();
    await status()
      .filter({ hasText: `100 of ${TOTAL - 1}` })
      .waitFor();
    await page.getByRole('rowheader', { name: 'Task 300' }).waitFor();
  });

  it('opens a record from its row, and links to a new one', async () => {
    expect(await page.getByRole('link', { name: 'New record' }).getAttribute('href')).toBe('/_/records/tasks/new');
    const id = await idOf('Task 298');
    await page.getByRole('rowheader', { name: 'Task 298' }).click();
    await page.waitForURL(`**/_/records/tasks/${id}`);
  });

  it('had no console error, uncaught exception or CSP violation', () => {
    expect(c.problems).toEqual([]);
  });

  /** A live record's id by its title, through the API. */
  async function idOf(title: string): Promise<string> {
    const filter = encodeURIComponent(`title = '${title}'`);
    const answer = (await (await admin.json('GET', `/collections/tasks/records?filter=${filter}`)).json()) as { items: { id: string }[] };
    return answer.items[0].id;
  }
});
