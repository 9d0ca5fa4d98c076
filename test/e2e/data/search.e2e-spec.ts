import type { UserSession } from '@backlot/testing/auth';
import { addRecord, defineCollection, OPEN_RULES, problemOf, startDataTestApp } from '@backlot/testing/data';
import { json, type TestApp } from '@backlot/testing/test-app';

/** Full-text search (`q=`): web-search syntax, the word being typed as a prefix, and a language per collection. */
describe('records: full-text search', () => {
  let t: TestApp;
  let admin: UserSession;

  beforeAll(async () => {
    ({ t, admin } = await startDataTestApp());
    await defineCollection(admin, 'pantry', [{ name: 'title', type: 'text', searchable: true }], OPEN_RULES);
    for (const title of ['milk', 'oat milk', 'milkshake', 'millet flour', 'honey', 'brown bread', 'running shoes'])
      await addRecord(admin, 'pantry', { title });
  });
  afterAll(() => t?.close());

  const titles = async (q: string, collection = 'pantry'): Promise<string[]> => {
    const response = await admin.request(`/collections/${collection}/records?${new URLSearchParams({ q, sort: 'title' })}`);
    expect(response.status).toBe(200);
    return (await json<{ items: { title: string }[] }>(response)).items.map((item) => item.title);
  };

  it('finds records by the beginning of the word being typed', async () => {
    expect(await titles('mil')).toEqual(['milk', 'milkshake', 'millet flour', 'oat milk']);
    expect(await titles('milk')).toEqual(['milk', 'milkshake', 'oat milk']);
    expect(await titles('oat mil')).toEqual(['oat milk']);
  });

  it('matches finished words whole, and keeps web-search syntax', async () => {
    expect(await titles('milk ')).toEqual(['milk', 'oat milk']);
    expect(await titles('milk -oat')).toEqual(['milk']);
    expect(await titles('-oat mil')).toEqual(['milk', 'milkshake', 'millet flour']);
    expect(await titles('"brown bread"')).toEqual(['brown bread']);
    expect(await titles('honey or bread')).toEqual(['brown bread', 'honey']);
  });

  it('takes any text without an error: quotes, operators and punctuation are words or nothing', async () => {
    for (const q of ["o'bri", 'milk & !', ':*', '\\', '(((', "'", 'a:*|b'])
      expect((await admin.request(`/collections/pantry/records?${new URLSearchParams({ q })}`)).status).toBe(200);
  });

  it('stems words in a collection searched in a language, and rebuilds the index when the language changes', async () => {
    const shoes = { name: 'shoes', fields: [{ name: 'title', type: 'text', searchable: true }], rules: OPEN_RULES };
    expect((await admin.json('POST', '/collections', { ...shoes, options: { searchLanguage: 'english' } })).status).toBe(201);
    await addRecord(admin, 'shoes', { title: 'running shoes' });
    expect(await titles('run', 'shoes')).toEqual(['running shoes']);
    expect(await titles('run ', 'shoes')).toEqual(['running shoes']);

    const changed = await admin.json('PATCH', '/collections/shoes', { options: { searchLanguage: 'simple' } });
    expect(changed.status).toBe(200);
    expect((await json<{ options: { searchLanguage: string } }>(changed)).options.searchLanguage).toBe('simple');
    // Without stemming a finished word must match whole: "run" is not "running".
    expect(await titles('run ', 'shoes')).toEqual([]);
    expect(await titles('running ', 'shoes')).toEqual(['running shoes']);
  });

  it('refuses a language it does not have, naming the option', async () => {
    const problem = await problemOf(
      await admin.json('POST', '/collections', {
        name: 'klingon',
        fields: [{ name: 'title', type: 'text', searchable: true }],
        options: { searchLanguage: "english'; drop table records; --" },
      }),
      400,
    );
    expect(problem.errors?.[0].path).toBe('options.searchLanguage');
  });
});
