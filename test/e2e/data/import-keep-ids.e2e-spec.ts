import type { UserSession } from '@backlot/testing/auth';
import { addRecord, defineCollection, OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import { json, type TestApp } from '@backlot/testing/test-app';

interface ImportResult {
  imported: number;
  replaced: number;
  failed: number;
  errors: { line: number; errors: { path: string; code: string; message: string }[] }[];
}

type Row = Record<string, unknown> & { id: string; owner: string | null; title: string };

/** Export → import with ids=keep: records keep their ids, so a round trip changes nothing instead of doubling them. */
describe('import with ids=keep', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;

  beforeAll(async () => {
    ({ t, admin, alice, bob } = await startDataTestApp());
    await defineCollection(admin, 'notes', [{ name: 'title', type: 'text', required: true }], OWNER_ONLY_RULES);
    await defineCollection(admin, 'others', [{ name: 'title', type: 'text' }], OWNER_ONLY_RULES);
  });
  afterAll(() => t?.close());

  const exported = async (who: UserSession, collection: string, format = 'ndjson'): Promise<string> => {
    const response = await who.request(`/collections/${collection}/export?format=${format}`);
    expect(response.status).toBe(200);
    return response.text();
  };
  const rows = async (who: UserSession, collection: string): Promise<Row[]> =>
    (await exported(who, collection))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Row);
  const upload = async (
    who: UserSession,
    collection: string,
    body: string,
    query = 'ids=keep&mode=skip',
    type = 'application/x-ndjson',
  ) => {
    const response = await who.request(`/collections/${collection}/import?${query}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    return { status: response.status, result: await json<ImportResult>(response) };
  };

  it('round-trips an export: the same records, the same ids, edits undone, nothing doubled', async () => {
    for (const title of ['one', 'two', 'three']) await addRecord(alice, 'notes', { title });
    const backup = await exported(alice, 'notes');
    const before = await rows(alice, 'notes');
    await alice.json('PATCH', `/collections/notes/records/${before[0].id}`, { title: 'edited' });

    const { status, result } = await upload(alice, 'notes', backup);
    expect(status).toBe(200);
    expect(result).toMatchObject({ imported: 3, replaced: 3, failed: 0 });
    const after = await rows(alice, 'notes');
    expect(after.map(({ id, title, owner }) => ({ id, title, owner }))).toEqual(
      before.map(({ id, title, owner }) => ({ id, title, owner })),
    );
  });

  it('recreates purged records under their own ids, atomically, and from CSV too', async () => {
    const record = await addRecord(alice, 'notes', { title: 'comes back' });
    const csv = await exported(alice, 'notes', 'csv');
    expect((await alice.request(`/collections/notes/records/${record.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await alice.request(`/collections/notes/trash/${record.id}`, { method: 'DELETE' })).status).toBe(204);

    const { status, result } = await upload(alice, 'notes', csv, 'ids=keep&mode=atomic', 'text/csv');
    expect(status).toBe(201);
    expect(result.failed).toBe(0);
    expect(result.imported - result.replaced).toBe(1);
    const back = await json<Row>(await alice.request(`/collections/notes/records/${record.id}`));
    expect(back).toMatchObject({ id: record.id, title: 'comes back', owner: alice.userId });
  });

  it('lets nobody overwrite another user’s record by naming its id, and says why per line', async () => {
    const aliceRecord = await addRecord(alice, 'notes', { title: 'alice’s' });
    const trashed = await addRecord(bob, 'notes', { title: 'bob’s, trashed' });
    await bob.request(`/collections/notes/records/${trashed.id}`, { method: 'DELETE' });
    const elsewhere = await addRecord(bob, 'others', { title: 'in another collection' });
    const lines = [
      { id: aliceRecord.id, title: 'taken over' },
      { id: trashed.id, title: 'revived?' },
      { id: elsewhere.id, title: 'moved?' },
      { title: 'no id' },
      { id: 'not-a-uuid', title: 'bad id' },
    ];
    const { result } = await upload(bob, 'notes', lines.map((line) => JSON.stringify(line)).join('\n'));
    expect(result).toMatchObject({ imported: 0, failed: 5 });
    expect(result.errors.map(({ line, errors }) => [line, errors[0].path, errors[0].code])).toEqual([
      [1, 'id', 'forbidden'],
      [2, 'id', 'conflict'],
      [3, 'id', 'conflict'],
      [4, 'id', 'required'],
      [5, 'id', 'required'],
    ]);
    expect(await json<Row>(await alice.request(`/collections/notes/records/${aliceRecord.id}`))).toMatchObject({ title: 'alice’s' });
  });

  it('keeps each record’s owner when an admin imports, and the caller as owner otherwise', async () => {
    const record = await addRecord(alice, 'notes', { title: 'owned by alice' });
    const line = JSON.stringify({ id: record.id, owner: alice.userId, title: 'owned by alice' });
    await alice.request(`/collections/notes/records/${record.id}`, { method: 'DELETE' });
    await alice.request(`/collections/notes/trash/${record.id}`, { method: 'DELETE' });
    expect((await upload(admin, 'notes', line)).result).toMatchObject({ imported: 1, failed: 0 });
    expect(await json<Row>(await alice.request(`/collections/notes/records/${record.id}`))).toMatchObject({ owner: alice.userId });

    const strangers = JSON.stringify({ id: '01937a4e-0000-7000-8000-000000000001', owner: alice.userId, title: 'bob says alice' });
    expect((await upload(bob, 'notes', strangers)).result).toMatchObject({ imported: 1 });
    expect(await json<Row>(await bob.request('/collections/notes/records/01937a4e-0000-7000-8000-000000000001'))).toMatchObject({
      owner: bob.userId,
    });
    const ghost = JSON.stringify({ id: '01937a4e-0000-7000-8000-000000000002', owner: '01937a4e-0000-7000-8000-0000000000ff', title: 'x' });
    expect((await upload(admin, 'notes', ghost)).result.errors[0].errors[0]).toMatchObject({ path: 'owner', code: 'unknownUser' });
  });

  it('still gives new ids by default, so an export imported twice that way is two copies', async () => {
    await defineCollection(admin, 'copies', [{ name: 'title', type: 'text' }], OWNER_ONLY_RULES);
    await addRecord(alice, 'copies', { title: 'original' });
    const backup = await exported(alice, 'copies');
    expect((await upload(alice, 'copies', backup, 'mode=skip')).result).toMatchObject({ imported: 1, replaced: 0 });
    expect(await rows(alice, 'copies')).toHaveLength(2);
  });
});
