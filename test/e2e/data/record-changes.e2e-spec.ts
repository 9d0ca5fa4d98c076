import { RecordChanges, type RecordChangeEvent } from '../../../apps/api/src/data/records/record-changes';
import { RecordMaintenance } from '../../../apps/api/src/data/records/record-maintenance';
import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import type { UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';

/** What realtime and webhooks are fed: one event per committed change, none for a rolled-back one. */
describe('record change events', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  const local: RecordChangeEvent[] = [];
  const everywhere: RecordChangeEvent[] = [];

  beforeAll(async () => {
    ({ t, admin, alice } = await startDataTestApp());
    t.app.get(RecordChanges).onLocal((events) => void local.push(...events));
    t.app.get(RecordChanges).onAny((event) => void everywhere.push(event));
    const fields = [
      { name: 'title', type: 'text', required: true, unique: true },
      { name: 'secret', type: 'text', hidden: true },
    ];
    expect((await admin.json('POST', '/collections', { name: 'notes', fields, rules: OWNER_ONLY_RULES })).status).toBe(201);
  });
  afterAll(() => t?.close());

  const actions = (since: number) => local.slice(since).map((event) => `${event.action}:${event.record.data.title as string}`);

  it('announces create, update, delete and undelete with the stored row, the actor and a time-ordered id', async () => {
    const since = local.length;
    const note = await json<{ id: string }>(await alice.json('POST', '/collections/notes/records', { title: 'a', secret: 's' }));
    await alice.json('PATCH', `/collections/notes/records/${note.id}`, { title: 'b' });
    await alice.json('DELETE', `/collections/notes/records/${note.id}`);
    expect((await alice.request(`/collections/notes/trash/${note.id}/restore`, { method: 'POST' })).status).toBe(200);

    expect(actions(since)).toEqual(['created:a', 'updated:b', 'deleted:b', 'created:b']);
    const events = local.slice(since);
    expect(events.every((event) => event.collection === 'notes' && event.actorId === alice.userId && event.record.id === note.id)).toBe(
      true,
    );
    // The stored row: hidden fields are there, for each reader to strip.
    expect(events[0].record.data).toEqual({ title: 'a', secret: 's' });
    expect([...events.map((event) => event.id)].sort()).toEqual(events.map((event) => event.id));
    expect(events[2].record.deleted_at).toBeInstanceOf(Date);
    await eventually('the bus copies', () => everywhere.filter((event) => events.some((e) => e.id === event.id)).length === 4);
    const copy = everywhere.find((event) => event.id === events[1].id)!;
    expect(copy.record.updated_at).toBeInstanceOf(Date);
    expect(copy.record.data).toEqual(events[1].record.data);
  });

  it('announces a batch after it commits, and nothing of a batch that rolled back', async () => {
    const since = local.length;
    const committed = await alice.json('POST', '/collections/notes/batch', {
      operations: [
        { action: 'create', data: { title: 'batch-1' } },
        { action: 'create', data: { title: 'batch-2' } },
      ],
    });
    expect(committed.status).toBe(200);
    expect(actions(since)).toEqual(['created:batch-1', 'created:batch-2']);

    const failed = await alice.json('POST', '/collections/notes/batch', {
      operations: [
        { action: 'create', data: { title: 'batch-3' } },
        { action: 'create', data: { title: 'batch-1' } },
      ],
    });
    expect(failed.status).toBe(409);
    expect(actions(since)).toEqual(['created:batch-1', 'created:batch-2']);
  });

  it('announces imported records', async () => {
    const since = local.length;
    const body = ['{"title":"imported-1"}', '{"title":"imported-2"}'].join('\n');
    const response = await alice.request('/collections/notes/import', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(response.status).toBe(201);
    expect(actions(since).sort()).toEqual(['created:imported-1', 'created:imported-2']);
  });

  it('announces records changed by relations on delete and by an account deletion', async () => {
    const fields = [
      { name: 'label', type: 'text', required: true },
      { name: 'note', type: 'relation', collection: 'notes', onDelete: 'setNull' },
    ];
    expect((await admin.json('POST', '/collections', { name: 'links', fields, rules: OWNER_ONLY_RULES })).status).toBe(201);
    const note = await json<{ id: string }>(await alice.json('POST', '/collections/notes/records', { title: 'target' }));
    const link = await json<{ id: string }>(await alice.json('POST', '/collections/links/records', { label: 'l', note: note.id }));
    const since = local.length;
    await alice.json('DELETE', `/collections/notes/records/${note.id}`);
    const cleared = local.slice(since).find((event) => event.collection === 'links')!;
    expect(cleared).toMatchObject({ action: 'updated', record: { id: link.id, data: { label: 'l', note: null } } });

    const beforeDeletion = local.length;
    await t.app.get(RecordMaintenance).forgetUser(alice.userId);
    // Each collection deletes the user's records or keeps them without an owner (onUserDeleted).
    const forgotten = local.slice(beforeDeletion);
    expect(forgotten.length).toBeGreaterThan(0);
    for (const event of forgotten) {
      if (event.action === 'deleted') expect(event.record.owner_id).toBe(alice.userId);
      else expect(event).toMatchObject({ action: 'updated', record: { owner_id: null } });
    }
  });
});
