import { connect } from 'node:net';
import { RealtimeHub } from '../../../apps/api/src/data/realtime/realtime-hub';
import { signedInUser, type UserSession } from '../../helpers/auth';
import { OWNER_ONLY_RULES, startDataTestApp } from '../../helpers/data';
import { openSse, type SseEvent } from '../../helpers/sse-client';
import { SHARED_SERVICES, startTwoInstances, type TestApp } from '../../helpers/test-app';
import { eventually } from '../../helpers/test-jobs';

const OPEN_RULES = { list: '', view: '', create: '', update: '', delete: '' };
const changes = (e: SseEvent) => ['created', 'updated', 'deleted'].includes(e.event);

describe('realtime connection lifecycle', () => {
  it('ends open streams with `shutdown` when the app closes, without holding the close', async () => {
    const { t, admin } = await startDataTestApp();
    expect(
      (await admin.json('POST', '/collections', { name: 'posts', fields: [{ name: 'title', type: 'text' }], rules: OPEN_RULES })).status,
    ).toBe(201);
    const streams = await Promise.all([1, 2, 3].map(() => openSse(`${t.baseUrl}/api/v1/realtime?subscribe=posts`)));
    for (const stream of streams) await stream.next((e) => e.event === 'ready');
    await eventually('registered', () => t.app.get(RealtimeHub).size === 3);
    await t.close();
    for (const stream of streams) {
      expect((await stream.next((e) => e.event !== 'ready')).event).toBe('shutdown');
      await stream.ended;
    }
  });

  it('drops a client that stops reading instead of buffering without bound; the stream goes on for others', async () => {
    const { t, admin } = await startDataTestApp({ REALTIME_MAX_BUFFER_BYTES: '1048576' });
    const socket = connect(Number(new URL(t.baseUrl).port), '127.0.0.1');
    try {
      const fields = [{ name: 'body', type: 'text', maxLength: 200_000 }];
      expect((await admin.json('POST', '/collections', { name: 'blobs', fields, rules: OPEN_RULES })).status).toBe(201);
      // A raw socket that sends the request and then never reads: the kernel buffers fill, then the server's.
      socket.on('error', () => undefined);
      socket.write(`GET /api/v1/realtime?subscribe=blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause();
      const hub = t.app.get(RealtimeHub);
      await eventually('registered', () => hub.size === 1);

      const body = 'x'.repeat(200_000);
      let created = 0;
      while (hub.size === 1 && created < 400) {
        const batch = Array.from({ length: 4 }, () => ({ action: 'create', data: { body } }));
        expect((await admin.json('POST', '/collections/blobs/batch', { operations: batch })).status).toBe(200);
        created += batch.length;
      }
      // The stalled client was dropped long before the 80 MB of records could pile up for it.
      expect(hub.size).toBe(0);
      expect(created).toBeLessThan(400);

      // The hub goes on serving: a new subscriber receives the next change.
      const watcher = await openSse(`${t.baseUrl}/api/v1/realtime?subscribe=blobs`);
      try {
        await watcher.next((e) => e.event === 'ready');
        expect((await admin.json('POST', '/collections/blobs/records', { body: 'after the drop' })).status).toBe(201);
        const next = await watcher.next((e) => e.event === 'created', 30_000);
        expect((JSON.parse(next.data) as { record: { body: string } }).record.body).toBe('after the drop');
      } finally {
        watcher.close();
      }
    } finally {
      socket.destroy();
      await t.close();
    }
  }, 120_000);
});

// Two instances of one deployment: a change made through one reaches subscribers of the other.
(SHARED_SERVICES ? describe : describe.skip)('realtime across two instances (PostgreSQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;

  beforeAll(async () => {
    [a, b] = await startTwoInstances({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    admin = await signedInUser(a, { role: 'admin' });
    alice = await signedInUser(a);
    bob = await signedInUser(a);
    const fields = [{ name: 'title', type: 'text', required: true }];
    expect((await admin.json('POST', '/collections', { name: 'notes', fields, rules: OWNER_ONLY_RULES })).status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('delivers a change made through instance A to subscribers on instance B, under their rules', async () => {
    const onB = await openSse(`${b.baseUrl}/api/v1/realtime?subscribe=notes`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    const bobOnB = await openSse(`${b.baseUrl}/api/v1/realtime?subscribe=notes`, {
      headers: { authorization: `Bearer ${bob.accessToken}` },
    });
    try {
      for (const s of [onB, bobOnB]) expect(s.status).toBe(200);
      await onB.next((e) => e.event === 'ready');
      const note = await (await alice.json('POST', '/collections/notes/records', { title: 'from A' })).json();
      await alice.json('PATCH', `/collections/notes/records/${(note as { id: string }).id}`, { title: 'again from A' });
      const events = await onB.take(2, changes);
      expect(events.map((e) => `${e.event}:${(e.json!.record as { title: string }).title}`)).toEqual([
        'created:from A',
        'updated:again from A',
      ]);
      await bob.json('POST', '/collections/notes/records', { title: 'bob' });
      expect(((await bobOnB.next(changes)).json!.record as { title: string }).title).toBe('bob');
    } finally {
      onB.close();
      bobOnB.close();
    }
  });

  it('redeems a ticket issued by A on B, once', async () => {
    const { ticket } = (await (await alice.json('POST', '/realtime/tickets')).json()) as { ticket: string };
    const first = await openSse(`${b.baseUrl}/api/v1/realtime?subscribe=notes&ticket=${ticket}`);
    const second = await openSse(`${a.baseUrl}/api/v1/realtime?subscribe=notes&ticket=${ticket}`);
    first.close();
    expect([first.status, second.status]).toEqual([200, 401]);
  });
});
