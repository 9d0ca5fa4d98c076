import { DatabaseConnection } from '@backlot/database';
import { CollectionCatalog } from '../../../apps/api/src/data/collections/collection-catalog';
import {
  addRecord as add,
  defineCollection,
  OPEN_RULES,
  OWNER_ONLY_RULES,
  problemOf as problem,
  startDataTestApp,
} from '@backlot/testing/data';
import type { UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';

type Row = Record<string, unknown> & { id: string };

const SSN = 'ssn-078-05-1120';
const PEOPLE = [
  { name: 'name', type: 'text', searchable: true },
  { name: 'ssn', type: 'text', hidden: true, unique: true },
];

describe('hidden fields: never searchable, never echoed in an error', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  let alicesPerson: Row;

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    await define('people', PEOPLE, { ...OWNER_ONLY_RULES, list: '', view: '' });
    alicesPerson = await add(alice, 'people', { name: 'Alice', ssn: SSN });
  });
  afterAll(() => t.close());

  const define = (name: string, fields: Record<string, unknown>[], rules: Record<string, string | null>) =>
    defineCollection(admin, name, fields, rules);

  const searched = async (words: string) =>
    (await json<{ items: Row[] }>(await t.request(`/api/v1/collections/people/records?q=${encodeURIComponent(words)}`))).items;

  describe('full-text search', () => {
    it('refuses a definition with a hidden searchable field (400 naming the field), and creates nothing', async () => {
      const fields = [
        { name: 'title', type: 'text', searchable: true },
        { name: 'secret', type: 'text', hidden: true, searchable: true },
      ];
      const refused = await problem(await admin.json('POST', '/collections', { name: 'leaky', fields, rules: OPEN_RULES }), 400);
      expect(refused.errors).toEqual([
        { path: 'fields.1.searchable', code: 'conflict', message: 'secret is hidden: making it searchable would reveal its values' },
      ]);
      expect((await admin.request('/collections/leaky')).status).toBe(404);
    });

    it('refuses a schema change that hides a searchable field or makes a hidden field searchable, and changes nothing', async () => {
      const before = await json<{ version: number; fields: unknown[] }>(await admin.request('/collections/people'));
      for (const fields of [
        [{ ...PEOPLE[0], hidden: true }, PEOPLE[1]],
        [PEOPLE[0], { ...PEOPLE[1], searchable: true }],
      ]) {
        const refused = await problem(await admin.json('PATCH', '/collections/people', { fields }), 400);
        expect(refused.errors).toEqual([expect.objectContaining({ code: 'conflict', message: expect.stringMatching(/is hidden/) })]);
      }
      expect(await json(await admin.request('/collections/people'))).toMatchObject({ version: before.version, fields: before.fields });
      expect((await searched('Alice')).map((row) => row.id)).toEqual([alicesPerson.id]);
    });

    it('keeps hidden values out of the search vector even when a stored definition still marks the field searchable', async () => {
      // As a definition stored before hidden + searchable was refused, or restored from an old backup.
      await t.app
        .get(DatabaseConnection)
        .query(`UPDATE collections SET fields = $1::jsonb WHERE name = 'people'`, [
          JSON.stringify([PEOPLE[0], { ...PEOPLE[1], searchable: true }]),
        ]);
      await t.app.get(CollectionCatalog).changed('people');
      const bobs = await add(bob, 'people', { name: 'Bob', ssn: 'ssn-219-09-9999' });
      await bob.json('PATCH', `/collections/people/records/${bobs.id}`, { name: 'Robert' });

      expect(await searched('ssn-219-09-9999')).toEqual([]);
      expect((await searched('Robert')).map((row) => row.id)).toEqual([bobs.id]);
    });
  });

  describe('unique hidden values', () => {
    const echoes = (body: unknown) => JSON.stringify(body).includes(SSN) || JSON.stringify(body).includes(alicesPerson.id);

    it('answers a clash with 409 naming the field, not the record holding the value, nor the value', async () => {
      const clash = await problem(await bob.json('POST', '/collections/people/records', { name: 'Mallory', ssn: SSN }), 409);
      expect(clash).toMatchObject({ detail: 'The value of ssn is already taken.', field: 'ssn' });
      expect(echoes(clash)).toBe(false);

      const own = await add(bob, 'people', { name: 'Mallory' });
      const patched = await problem(await bob.json('PATCH', `/collections/people/records/${own.id}`, { ssn: SSN }), 409);
      expect(patched.detail).toBe('The value of ssn is already taken.');
      expect(echoes(patched)).toBe(false);
    });

    it('says no more in a batch or an import', async () => {
      const batch = await problem(
        await bob.json('POST', '/collections/people/batch', { operations: [{ action: 'create', data: { name: 'M', ssn: SSN } }] }),
        409,
      );
      expect(batch).toMatchObject({ detail: 'Operation 0: The value of ssn is already taken.', field: 'ssn', operation: 0 });
      expect(echoes(batch)).toBe(false);

      const upload = (mode: string) =>
        bob.request(`/collections/people/import?mode=${mode}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: `${JSON.stringify({ name: 'M', ssn: SSN })}\n`,
        });
      const atomic = await problem(await upload('atomic'), 422);
      expect(atomic.errors).toEqual([{ path: 'line 1.ssn', code: 'conflict', message: 'The value of ssn is already taken.' }]);
      const skipped = await upload('skip');
      expect(skipped.status).toBe(200);
      const result = await json(skipped);
      expect(result).toMatchObject({ imported: 0, failed: 1 });
      expect(echoes([atomic, result])).toBe(false);
    });
  });

  it('lists no ids of a hidden relation when a restored revision refers to a record that is gone', async () => {
    await define('targets', [{ name: 'name', type: 'text' }], OPEN_RULES);
    await define(
      'docs',
      [
        { name: 'title', type: 'text' },
        { name: 'ref', type: 'relation', collection: 'targets', hidden: true },
      ],
      OWNER_ONLY_RULES,
    );
    const doc = await add(alice, 'docs', { title: 'd' });
    const target = await add(admin, 'targets', { name: 'set by an admin' });
    for (const ref of [target.id, null])
      expect((await admin.json('PATCH', `/collections/docs/records/${doc.id}`, { ref })).status).toBe(200);
    expect((await admin.json('DELETE', `/collections/targets/records/${target.id}`)).status).toBe(204);

    const refused = await problem(await alice.json('POST', `/collections/docs/records/${doc.id}/history/2/restore`), 422);
    expect(refused.errors).toEqual([
      { path: 'ref', code: 'unknownRecord', message: 'ref refers to no live record of targets that you may view' },
    ]);
    expect(JSON.stringify(refused)).not.toContain(target.id);
  });
});
