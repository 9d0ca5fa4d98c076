import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import { isChange, openSse, type SseStream, titleOf } from '@backlot/testing/sse-client';
import { json, SHARED_SERVICES, startTwoInstances, type TestApp } from '@backlot/testing/test-app';

// An hour between heartbeats: only the immediate re-check can end or move a stream within a test.
const NO_HEARTBEAT_IN_TIME = { REALTIME_HEARTBEAT_SECONDS: '3600', AUTH_RATE_LIMIT_MAX: '1000' };
const FIELDS = [{ name: 'title', type: 'text', required: true }];

async function open(t: TestApp, headers: Record<string, string>, streams: SseStream[]): Promise<SseStream> {
  const stream = await openSse(`${t.baseUrl}/api/v1/realtime?subscribe=notes`, { headers });
  streams.push(stream);
  expect(stream.status).toBe(200);
  await stream.next((e) => e.event === 'ready');
  return stream;
}
const bearer = (user: UserSession) => ({ authorization: `Bearer ${user.accessToken}` });

/** A change of what a user's credentials grant applies to their open streams at once, not at the next heartbeat. */
describe('realtime streams when access changes', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    ({ t, admin, alice } = await startDataTestApp(NO_HEARTBEAT_IN_TIME));
    expect((await admin.json('POST', '/collections', { name: 'notes', fields: FIELDS, rules: OWNER_ONLY_RULES })).status).toBe(201);
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  afterAll(() => t?.close());

  async function expectRevoked(stream: SseStream): Promise<void> {
    const last = await stream.next((e) => e.event !== 'ready');
    expect(last.event).toBe('revoked');
    await stream.ended;
  }

  it('ends the streams of a revoked session, opened with its token or a ticket', async () => {
    const user = await signedInUser(t);
    const { ticket } = await json<{ ticket: string }>(await user.json('POST', '/realtime/tickets'));
    const byToken = await open(t, bearer(user), streams);
    const byTicket = await openSse(`${t.baseUrl}/api/v1/realtime?subscribe=notes&ticket=${ticket}`);
    streams.push(byTicket);
    await byTicket.next((e) => e.event === 'ready');
    const other = await signedInUser(t);
    const othersStream = await open(t, bearer(other), streams);

    expect((await user.request(`/auth/sessions/${user.sessionId}`, { method: 'DELETE' })).status).toBe(204);
    await expectRevoked(byToken);
    await expectRevoked(byTicket);
    // Other sessions' streams go on.
    await other.json('POST', '/collections/notes/records', { title: 'still streaming' });
    expect(titleOf(await othersStream.next(isChange))).toBe('still streaming');
  });

  it('ends the streams of an account an admin disables', async () => {
    const user = await signedInUser(t);
    const stream = await open(t, bearer(user), streams);
    expect((await admin.request(`/admin/users/${user.userId}/disable`, { method: 'POST' })).status).toBe(200);
    await expectRevoked(stream);
  });

  it('ends the streams of a revoked API key', async () => {
    const user = await signedInUser(t);
    const { id, key } = await json<{ id: string; key: string }>(
      await user.json('POST', '/auth/api-keys', { name: 'stream', scopes: ['records:read'] }),
    );
    const stream = await open(t, { 'x-api-key': key }, streams);
    expect((await user.request(`/auth/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expectRevoked(stream);
  });

  it('applies a role change at once: a demoted admin stops seeing records the rules hide from users', async () => {
    const demoted = await signedInUser(t, { role: 'admin' });
    const stream = await open(t, bearer(demoted), streams);
    await alice.json('POST', '/collections/notes/records', { title: 'seen as admin' });
    expect(titleOf(await stream.next(isChange))).toBe('seen as admin');

    expect((await admin.json('PATCH', `/admin/users/${demoted.userId}/role`, { role: 'user' })).status).toBe(200);
    await alice.json('POST', '/collections/notes/records', { title: 'hidden from users' });
    await demoted.json('POST', '/collections/notes/records', { title: 'own' });
    // Had Alice's note been sent under the old role, it would have come first.
    expect(titleOf(await stream.next(isChange))).toBe('own');
  });
});

// A revocation through one instance ends the streams on another at once.
(SHARED_SERVICES ? describe : describe.skip)('realtime streams when access isChange, across two instances (PostgreSQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    [a, b] = await startTwoInstances({ env: NO_HEARTBEAT_IN_TIME });
    const admin = await signedInUser(a, { role: 'admin' });
    expect((await admin.json('POST', '/collections', { name: 'notes', fields: FIELDS, rules: OWNER_ONLY_RULES })).status).toBe(201);
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('ends a stream on instance B when its session is revoked through instance A', async () => {
    const user = await signedInUser(a);
    const onB = await open(b, bearer(user), streams);
    expect((await user.request(`/auth/sessions/${user.sessionId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await onB.next((e) => e.event !== 'ready')).event).toBe('revoked');
    await onB.ended;
  });
});
