import { get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { CollectionCatalog } from '../../../apps/api/src/data/collections/collection-catalog';
import { RealtimeHub } from '../../../apps/api/src/data/realtime/realtime-hub';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { OPEN_RULES, OWNER_ONLY_RULES, startDataTestApp } from '@backlot/testing/data';
import { isChange, openSse } from '@backlot/testing/sse-client';
import { SHARED_SERVICES, startTwoInstances, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';

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

  it('caps the streams of the whole instance (many accounts cannot exhaust it): 503 with Retry-After, freed on close', async () => {
    const { t, admin, alice, bob } = await startDataTestApp({ REALTIME_MAX_CONNECTIONS: '2' });
    try {
      expect(
        (await admin.json('POST', '/collections', { name: 'posts', fields: [{ name: 'title', type: 'text' }], rules: OPEN_RULES })).status,
      ).toBe(201);
      const url = `${t.baseUrl}/api/v1/realtime?subscribe=posts`;
      const asUser = (user: UserSession) => openSse(url, { headers: { authorization: `Bearer ${user.accessToken}` } });
      const first = await asUser(alice);
      const second = await asUser(bob);
      expect([first.status, second.status]).toEqual([200, 200]);

      for (const refused of [await asUser(admin), await openSse(url)]) {
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(refused.problem).toMatchObject({ status: 503, detail: expect.stringMatching(/as many realtime connections/) });
      }
      first.close();
      await eventually('the slot freed', () => t.app.get(RealtimeHub).size === 1);
      const third = await asUser(admin);
      expect(third.status).toBe(200);
      third.close();
      second.close();
    } finally {
      await t.close();
    }
  });

  it('holds no connection slot for clients that leave while their stream is being set up', async () => {
    const { t, admin, alice } = await startDataTestApp({ REALTIME_MAX_CONNECTIONS_PER_USER: '2' });
    try {
      expect(
        (await admin.json('POST', '/collections', { name: 'posts', fields: [{ name: 'title', type: 'text' }], rules: OPEN_RULES })).status,
      ).toBe(201);
      // The collection lookup of the setup waits until every client has gone.
      const catalog = t.app.get(CollectionCatalog);
      const lookup = catalog.get.bind(catalog);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let waiting = 0;
      const stalled = jest.spyOn(catalog, 'get').mockImplementation(async (name) => {
        waiting += 1;
        await gate;
        return lookup(name);
      });
      let left = 0;
      t.app.getHttpServer().on('request', (request: IncomingMessage) => {
        if (request.url?.startsWith('/api/v1/realtime')) request.socket.once('close', () => (left += 1));
      });

      const url = `${t.baseUrl}/api/v1/realtime?subscribe=posts`;
      const headers = { authorization: `Bearer ${alice.accessToken}`, accept: 'text/event-stream' };
      const leaving = Array.from({ length: 5 }, () => get(url, { headers, agent: false }).on('error', () => undefined));
      await eventually('every setup waiting on the lookup', () => waiting === leaving.length);
      for (const request of leaving) request.destroy();
      await eventually('the server seeing every client leave', () => left === leaving.length);
      stalled.mockRestore();
      open();

      // More clients left than the limit allows streams: had they kept their slots, these would get 429.
      const streams = await Promise.all([1, 2].map(() => openSse(url, { headers })));
      try {
        expect(streams.map((s) => s.status)).toEqual([200, 200]);
        for (const stream of streams) await stream.next((e) => e.event === 'ready');
        await eventually('registered', () => t.app.get(RealtimeHub).size === 2);
      } finally {
        for (const stream of streams) stream.close();
      }
    } finally {
      await t.close();
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
      const events = await onB.take(2, isChange);
      expect(events.map((e) => `${e.event}:${(e.json!.record as { title: string }).title}`)).toEqual([
        'created:from A',
        'updated:again from A',
      ]);
      await bob.json('POST', '/collections/notes/records', { title: 'bob' });
      expect(((await bobOnB.next(isChange)).json!.record as { title: string }).title).toBe('bob');
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
