import { DatabaseConnection } from '@backlot/database';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Problem {
  status: number;
  detail: string;
  position?: number;
  errors?: { path: string; code: string; message: string; position?: number }[];
}

interface Preview {
  user: { id: string; email: string; role: string };
  refused: boolean;
  bypassed: boolean;
  items: Record<string, unknown>[];
  more: boolean;
}

describe('rule preview: the records an account would list under a draft list rule (admins)', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  const preview = (body: unknown, as: UserSession = admin) => as.json('POST', '/collections/notes/rules/preview', body);

  async function previewed(body: Record<string, unknown>): Promise<Preview> {
    const response = await preview(body);
    expect(response.status).toBe(200);
    return json<Preview>(response);
  }

  async function problem(response: Response, status: number): Promise<Problem> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return json<Problem>(response);
  }

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    admin = await signedInUser(t, { role: 'admin' });
    alice = await signedInUser(t);
    bob = await signedInUser(t);
    const created = await admin.json('POST', '/collections', {
      name: 'notes',
      fields: [
        { name: 'title', type: 'text' },
        { name: 'public', type: 'boolean' },
        { name: 'secret', type: 'text', hidden: true },
      ],
      rules: { list: '', view: '', create: '@me != null' },
    });
    expect(created.status).toBe(201);
    for (const [who, title, isPublic] of [
      [alice, 'alice one', false],
      [alice, 'alice two', true],
      [bob, 'bob one', false],
    ] as const)
      expect((await who.json('POST', '/collections/notes/records', { title, public: isPublic, secret: 's' })).status).toBe(201);
  });
  afterAll(() => t.close());

  it('lists only what the draft rule lets the account see, as it would see it (no hidden fields)', async () => {
    const own = await previewed({ rule: 'owner = @me', userId: alice.userId });
    expect(own).toMatchObject({
      user: { id: alice.userId, email: alice.email, role: 'user' },
      refused: false,
      bypassed: false,
      more: false,
    });
    expect(own.items.map((item) => item.title)).toEqual(['alice one', 'alice two']);
    expect(own.items.every((item) => !('secret' in item))).toBe(true);

    const open = await previewed({ rule: 'owner = @me || public = true', userId: bob.userId });
    expect(open.items.map((item) => item.title).sort()).toEqual(['alice two', 'bob one']);
    // Rules may name hidden fields, as saved rules may.
    expect((await previewed({ rule: "secret = 'x'", userId: bob.userId })).items).toEqual([]);
  });

  it('shows the three states: "" is anyone, null refuses a non-admin, an admin bypasses rules', async () => {
    expect((await previewed({ rule: '', userId: bob.userId })).items).toHaveLength(3);
    expect(await previewed({ rule: null, userId: bob.userId })).toMatchObject({ refused: true, bypassed: false, items: [] });
    const asAdmin = await previewed({ rule: 'owner = @me', userId: admin.userId });
    expect(asAdmin).toMatchObject({ refused: false, bypassed: true });
    expect(asAdmin.items).toHaveLength(3);
  });

  it('pages with limit and says when more records match', async () => {
    const page = await previewed({ rule: '', userId: alice.userId, limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.more).toBe(true);
  });

  it('changes nothing: the saved rule, the version and the audit log stay as they were', async () => {
    const db = t.app.get(DatabaseConnection);
    const audits = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events'))[0].n;
    const before = await json<{ version: number; rules: Record<string, string | null> }>(await admin.request('/collections/notes'));
    const auditsBefore = await audits();
    await previewed({ rule: 'owner = @me', userId: bob.userId });
    const after = await json<{ version: number; rules: Record<string, string | null> }>(await admin.request('/collections/notes'));
    expect(after.version).toBe(before.version);
    expect(after.rules.list).toBe('');
    expect(await audits()).toBe(auditsBefore);
    // Bob's real listing still follows the saved rule ("" = anyone).
    expect((await json<{ items: unknown[] }>(await bob.request('/collections/notes/records'))).items).toHaveLength(3);
  });

  it('refuses a rule that does not compile with a 400 naming its position', async () => {
    const refused = await problem(await preview({ rule: "title = 'a' &&& public", userId: alice.userId }), 400);
    expect(refused.position).toBe(14);
    expect(refused.errors).toEqual([expect.objectContaining({ path: 'rule', code: 'syntax', position: 14 })]);
    const unknown = await problem(await preview({ rule: "nope = 'x'", userId: alice.userId }), 400);
    expect(unknown.errors).toEqual([expect.objectContaining({ path: 'rule', code: 'unknownField', position: 0 })]);
    // Checked for an admin account too, whom the rule would not restrict.
    await problem(await preview({ rule: 'title >', userId: admin.userId }), 400);
  });

  it('gives the position of a saved rule that does not compile too, per rule', async () => {
    const refused = await problem(await admin.json('PATCH', '/collections/notes', { rules: { view: 'public = ', update: 'x = 1' } }), 400);
    expect(refused.errors).toEqual([
      expect.objectContaining({ path: 'rules.view', position: 9 }),
      expect.objectContaining({ path: 'rules.update', code: 'unknownField', position: 0 }),
    ]);
  });

  it('refuses bad input with a 400 problem naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ rule: 'owner = @me' }, 'userId'],
      [{ rule: 'owner = @me', userId: 'not-a-uuid' }, 'userId'],
      [{ userId: alice.userId }, 'rule'],
      [{ rule: 42, userId: alice.userId }, 'rule'],
      [{ rule: 'x'.repeat(4_097), userId: alice.userId }, 'rule'],
      [{ rule: '', userId: alice.userId, limit: 0 }, 'limit'],
      [{ rule: '', userId: alice.userId, limit: 201 }, 'limit'],
      [{ rule: '', userId: alice.userId, extra: true }, 'extra'],
    ];
    for (const [body, path] of cases) {
      const refused = await problem(await preview(body), 400);
      expect(refused.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
  });

  it('answers 404 for an unknown account or collection', async () => {
    await problem(await preview({ rule: '', userId: '0190a0c4-7c1e-7cc2-9d3b-4c8f2b1a9e11' }), 404);
    await problem(await admin.json('POST', '/collections/nowhere/rules/preview', { rule: '', userId: alice.userId }), 404);
  });

  it('is for admins only: a user gets 403, an anonymous caller 401', async () => {
    await problem(await preview({ rule: '', userId: alice.userId }, alice), 403);
    const anonymous = await t.request('/api/v1/collections/notes/rules/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rule: '', userId: alice.userId }),
    });
    await problem(anonymous, 401);
  });
});
