import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { isChange, openSse, type SseStream, titleOf } from '@backlot/testing/sse-client';
import { json, type TestApp } from '@backlot/testing/test-app';

/** A restore replaces every record without a change event per row: open streams must hear of it. */
describe('realtime across a restore from a backup', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    ({ t, admin, alice } = await startDataTestApp());
    const fields = [{ name: 'title', type: 'text', required: true }];
    expect((await admin.json('POST', '/collections', { name: 'notes', fields, rules: OWNER_ONLY_RULES })).status).toBe(201);
  });
  afterAll(async () => {
    streams.forEach((s) => s.close());
    await t?.close();
  });

  async function open(user: UserSession): Promise<SseStream> {
    const stream = await openSse(`${t.baseUrl}/api/v1/realtime?subscribe=notes`, {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(stream.status).toBe(200);
    streams.push(stream);
    await stream.next((e) => e.event === 'ready');
    return stream;
  }
  const create = async (user: UserSession, title: string) =>
    expect((await user.json('POST', '/collections/notes/records', { title })).status).toBe(201);
  async function backup(includeSessions: boolean): Promise<string> {
    const response = await admin.json('POST', '/admin/backups', { includeSessions });
    expect(response.status).toBe(201);
    return (await json<{ name: string }>(response)).name;
  }
  async function restore(by: UserSession, name: string): Promise<void> {
    expect((await by.json('POST', `/admin/backups/${name}/restore`, { confirm: name })).status).toBe(200);
  }

  it('tells streams to resync, and keeps those whose session the backup holds', async () => {
    const name = await backup(true);
    const stream = await open(alice);
    await create(alice, 'after the backup');
    const seen = await stream.next(isChange);

    await restore(admin, name);
    const told = await stream.next((e) => e.event !== 'ready');
    expect(told.event).toBe('resync');
    expect(told.json).toMatchObject({ reason: expect.stringMatching(/replaced by a restore/) });
    // The restored data no longer holds what the replay buffer held: resuming asks for a resync too.
    const resumed = await open(alice);
    const again = await openSse(`${t.baseUrl}/api/v1/realtime?subscribe=notes`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
      lastEventId: seen.id,
    });
    streams.push(again);
    expect((await again.next((e) => e.event !== 'ready')).event).toBe('resync');

    await create(alice, 'after the restore');
    expect(titleOf(await stream.next(isChange))).toBe('after the restore');
    expect(titleOf(await resumed.next(isChange))).toBe('after the restore');
  });

  it('ends with `revoked` the streams whose sessions the restore removed', async () => {
    const name = await backup(false);
    const bob = await signedInUser(t);
    const stream = await open(bob);
    // Restoring a backup without sessions signs everyone out, the admin who asked included.
    await restore(admin, name);
    const events = [await stream.next((e) => e.event !== 'ready')];
    if (events[0].event === 'resync') events.push(await stream.next((e) => e.event !== 'resync', 10_000));
    expect(events.map((e) => e.event)).toEqual(['resync', 'revoked']);
    await stream.ended;
  });
});
