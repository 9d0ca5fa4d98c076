import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import type { OpenAPIObject } from '@nestjs/swagger';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { parseCsv } from '@backlot/testing/csv';
import { OpenApiContract } from '@backlot/testing/openapi-contract';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Group {
  key: Record<string, unknown>;
  [metric: string]: unknown;
}
interface Report {
  groups: Group[];
  truncated: boolean;
}
interface Problem {
  status: number;
  errors?: { path: string; code: string; message: string }[];
}

const ORDERS = 'agg_orders';
const ADMIN_ONLY = 'agg_admin_only';

describe('reports: aggregate records under the list rule', () => {
  let t: TestApp;
  let admin: UserSession;
  let alice: UserSession;
  let bob: UserSession;
  let aliceCreated: string[];

  const path = (collection: string, query: Record<string, string>) =>
    `/collections/${collection}/aggregate?${new URLSearchParams(query).toString()}`;
  const aggregate = (caller: UserSession | null, query: Record<string, string>, init: RequestInit = {}, collection = ORDERS) =>
    caller ? caller.request(path(collection, query), init) : t.request(`/api/v1${path(collection, query)}`, init);
  const report = async (caller: UserSession | null, query: Record<string, string>, collection = ORDERS): Promise<Report> => {
    const response = await aggregate(caller, query, {}, collection);
    expect({ status: response.status, body: response.status === 200 ? undefined : await response.text() }).toEqual({
      status: 200,
      body: undefined,
    });
    return json<Report>(response);
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', CORS_ORIGINS: 'https://app.example.test' } });
    admin = await signedInUser(t, { role: 'admin' });
    alice = await signedInUser(t);
    bob = await signedInUser(t);
    const owned = OWNER_ONLY_RULES;
    const orders = await admin.json('POST', '/collections', {
      name: ORDERS,
      fields: [
        { name: 'region', type: 'select', values: ['north', 'south'] },
        { name: 'amount', type: 'number' },
        { name: 'qty', type: 'integer' },
        { name: 'paid', type: 'boolean' },
        { name: 'closed', type: 'datetime' },
        { name: 'note', type: 'text' },
        { name: 'tags', type: 'select', values: ['a', 'b'], multiple: true },
        { name: 'meta', type: 'json' },
        { name: 'secret', type: 'text', encrypted: true },
        { name: 'cost', type: 'number', hidden: true },
      ],
      rules: owned,
    });
    expect(orders.status).toBe(201);
    const adminOnly = await admin.json('POST', '/collections', { name: ADMIN_ONLY, fields: [{ name: 'title', type: 'text' }] });
    expect(adminOnly.status).toBe(201);

    const create = async (session: UserSession, data: Record<string, unknown>) => {
      const response = await session.json('POST', `/collections/${ORDERS}/records`, data);
      expect(response.status).toBe(201);
      return (await json<{ created: string }>(response)).created;
    };
    aliceCreated = [
      await create(alice, { region: 'north', amount: 10, qty: 1, paid: true, closed: '2026-11-01T08:00:00Z', note: 'plain' }),
      await create(alice, {
        region: 'north',
        amount: 2.5,
        qty: 2,
        paid: false,
        closed: '2026-11-01T23:59:59Z',
        note: 'a, "quoted"\r\nnote',
        secret: 's',
      }),
      await create(alice, { region: 'south', amount: 4, qty: 3, paid: true, closed: '2026-11-02T00:00:00+00:00', note: 'plain' }),
      await create(alice, { region: 'south', amount: 6, qty: 4, paid: true, closed: '2026-12-15T13:00:00+01:00' }),
      await create(alice, { amount: 1, qty: 5 }),
    ];
    await create(bob, { region: 'north', amount: 1000, qty: 100, paid: false, closed: '2026-11-01T10:00:00Z', note: 'plain' });
    await create(bob, { region: 'south', amount: 2000, qty: 200, paid: true, closed: '2026-11-20T10:00:00Z' });
  });
  afterAll(() => t.close());

  it('counts, sums, averages and finds extremes per group, ordered by the group key with nulls last', async () => {
    const result = await report(alice, { groupBy: 'region', metrics: 'count,sum(amount),avg(amount),min(amount),max(amount)' });
    expect(result).toEqual({
      groups: [
        { key: { region: 'north' }, count: 2, 'sum(amount)': 12.5, 'avg(amount)': 6.25, 'min(amount)': 2.5, 'max(amount)': 10 },
        { key: { region: 'south' }, count: 2, 'sum(amount)': 10, 'avg(amount)': 5, 'min(amount)': 4, 'max(amount)': 6 },
        { key: { region: null }, count: 1, 'sum(amount)': 1, 'avg(amount)': 1, 'min(amount)': 1, 'max(amount)': 1 },
      ],
      truncated: false,
    });
  });

  it('groups by several keys, booleans included', async () => {
    const result = await report(alice, { groupBy: 'region,paid', metrics: 'count,sum(qty)' });
    expect(result.groups).toEqual([
      { key: { region: 'north', paid: false }, count: 1, 'sum(qty)': 2 },
      { key: { region: 'north', paid: true }, count: 1, 'sum(qty)': 1 },
      { key: { region: 'south', paid: true }, count: 2, 'sum(qty)': 7 },
      { key: { region: null, paid: null }, count: 1, 'sum(qty)': 5 },
    ]);
  });

  it('buckets a datetime field by UTC day and month', async () => {
    const days = await report(alice, { groupBy: 'closed:day', metrics: 'count,sum(qty)' });
    expect(days.groups).toEqual([
      { key: { closed: '2026-11-01T00:00:00.000Z' }, count: 2, 'sum(qty)': 3 },
      { key: { closed: '2026-11-02T00:00:00.000Z' }, count: 1, 'sum(qty)': 3 },
      { key: { closed: '2026-12-15T00:00:00.000Z' }, count: 1, 'sum(qty)': 4 },
      { key: { closed: null }, count: 1, 'sum(qty)': 5 },
    ]);
    const months = await report(alice, { groupBy: 'closed:month', metrics: 'count,min(closed),max(closed)' });
    expect(months.groups).toEqual([
      {
        key: { closed: '2026-11-01T00:00:00.000Z' },
        count: 3,
        'min(closed)': '2026-11-01T08:00:00.000Z',
        'max(closed)': '2026-11-02T00:00:00.000Z',
      },
      {
        key: { closed: '2026-12-01T00:00:00.000Z' },
        count: 1,
        'min(closed)': '2026-12-15T12:00:00.000Z',
        'max(closed)': '2026-12-15T12:00:00.000Z',
      },
      { key: { closed: null }, count: 1, 'min(closed)': null, 'max(closed)': null },
    ]);
  });

  it('buckets the created time, and reads its extremes as the records show them', async () => {
    const result = await report(alice, { groupBy: 'created:day', metrics: 'count,min(created),max(created)' });
    const days = [...new Set(aliceCreated.map((created) => `${created.slice(0, 10)}T00:00:00.000Z`))].sort();
    expect(result.groups.map((group) => group.key.created)).toEqual(days);
    expect(result.groups.reduce((sum, group) => sum + (group.count as number), 0)).toBe(5);
    const sorted = [...aliceCreated].sort();
    expect(result.groups[0]['min(created)']).toBe(sorted[0]);
    expect(result.groups.at(-1)!['max(created)']).toBe(sorted.at(-1));
  });

  it("never includes another user's records: each caller aggregates only what the list rule lets them list", async () => {
    const metrics = { metrics: 'count,sum(amount)' };
    expect((await report(alice, metrics)).groups).toEqual([{ key: {}, count: 5, 'sum(amount)': 23.5 }]);
    expect((await report(bob, metrics)).groups).toEqual([{ key: {}, count: 2, 'sum(amount)': 3000 }]);
    expect((await report(admin, metrics)).groups).toEqual([{ key: {}, count: 7, 'sum(amount)': 3023.5 }]);
    expect((await report(alice, { groupBy: 'owner' })).groups).toEqual([{ key: { owner: alice.userId }, count: 5 }]);
    const owners = [alice.userId, bob.userId].sort();
    expect((await report(admin, { groupBy: 'owner' })).groups.map((group) => group.key.owner)).toEqual(owners);
    // A filter cannot reach past the rule either.
    expect((await report(alice, { filter: 'amount >= 1000', metrics: 'count,sum(amount)' })).groups).toEqual([
      { key: {}, count: 0, 'sum(amount)': null },
    ]);
  });

  it('applies the filter before grouping', async () => {
    const result = await report(alice, { groupBy: 'region', metrics: 'count,sum(amount)', filter: "amount > 3 && region != 'north'" });
    expect(result.groups).toEqual([{ key: { region: 'south' }, count: 2, 'sum(amount)': 10 }]);
    const paid = await report(alice, { groupBy: 'region', filter: 'paid = true' });
    expect(paid.groups).toEqual([
      { key: { region: 'north' }, count: 1 },
      { key: { region: 'south' }, count: 2 },
    ]);
  });

  it('returns at most limit groups and says when there were more', async () => {
    const response = await aggregate(alice, { groupBy: 'region', limit: '2' });
    expect(response.headers.get('x-truncated')).toBe('true');
    expect(await json(response)).toEqual({
      groups: [
        { key: { region: 'north' }, count: 2 },
        { key: { region: 'south' }, count: 2 },
      ],
      truncated: true,
    });
    expect((await report(alice, { groupBy: 'region', limit: '3' })).truncated).toBe(false);
  });

  it('answers CSV with a header row when asked for text/csv, and it parses back to the JSON groups', async () => {
    const query = { groupBy: 'note', metrics: 'count,sum(amount)' };
    const response = await aggregate(alice, query, { headers: { accept: 'text/csv', origin: 'https://app.example.test' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    // Caches must key on Accept, without losing CORS's Origin.
    expect(
      response.headers
        .get('vary')
        ?.toLowerCase()
        .split(/\s*,\s*/),
    ).toEqual(expect.arrayContaining(['origin', 'accept']));
    const rows = parseCsv(await response.text());
    expect(rows).toEqual([
      ['note', 'count', 'sum(amount)'],
      ['a, "quoted"\r\nnote', '1', '2.5'],
      ['plain', '2', '14'],
      ['', '2', '7'],
    ]);
    const groups = (await report(alice, query)).groups;
    expect(groups.map((group) => [group.key.note ?? '', String(group.count), String(group['sum(amount)'])])).toEqual(rows.slice(1));
  });

  it('lets admins aggregate hidden fields, which stay unknown to everyone else', async () => {
    expect((await report(admin, { groupBy: 'cost', metrics: 'count,sum(cost)' })).groups).toEqual([
      { key: { cost: null }, count: 7, 'sum(cost)': null },
    ]);
    const refused = await aggregate(alice, { groupBy: 'cost' });
    expect(refused.status).toBe(400);
    expect((await json<Problem>(refused)).errors).toEqual([expect.objectContaining({ path: 'groupBy', code: 'unknownField' })]);
  });

  it('gives anonymous callers only what the list rule gives them', async () => {
    // `owner = @me` matches nothing without a caller.
    expect((await report(null, { metrics: 'count' })).groups).toEqual([{ key: {}, count: 0 }]);
    for (const caller of [null, alice]) {
      const response = await aggregate(caller, {}, {}, ADMIN_ONLY);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await report(admin, {}, ADMIN_ONLY)).groups).toEqual([{ key: {}, count: 0 }]);
    expect((await aggregate(alice, {}, {}, 'agg_missing')).status).toBe(404);
  });

  it.each([
    ['an unknown field', { groupBy: 'nope' }, 'groupBy', 'unknownField'],
    ['sum of a text field', { metrics: 'sum(note)' }, 'metrics', 'typeMismatch'],
    ['a time bucket on a text field', { groupBy: 'note:day' }, 'groupBy', 'typeMismatch'],
    ['an unknown time bucket', { groupBy: 'closed:year' }, 'groupBy', 'syntax'],
    ['six group keys', { groupBy: 'region,amount,qty,paid,note,owner' }, 'groupBy', 'tooMany'],
    ['a multi-value field', { groupBy: 'tags' }, 'groupBy', 'notGroupable'],
    ['a json field', { groupBy: 'meta' }, 'groupBy', 'notGroupable'],
    ['an encrypted field', { groupBy: 'secret' }, 'groupBy', 'notAggregatable'],
    ['an unknown metric', { metrics: 'median(amount)' }, 'metrics', 'syntax'],
    ['SQL in a metric', { metrics: 'sum(amount));DROP TABLE records;--' }, 'metrics', 'syntax'],
    ['a limit of 0', { limit: '0' }, 'limit', 'min'],
    ['a limit of 5000', { limit: '5000' }, 'limit', 'max'],
    ['a filter with SQL in it', { filter: 'amount > 1; DROP TABLE records' }, 'filter', 'syntax'],
    ['an unknown parameter', { sort: 'region' }, 'sort', 'unknownProperty'],
  ])('refuses %s with a 400 problem naming the parameter', async (_, query, parameter, code) => {
    const response = await aggregate(alice, query);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect((await json<Problem>(response)).errors).toEqual([expect.objectContaining({ path: parameter, code })]);
  });

  it('still holds every record after the injection attempts', async () => {
    expect((await report(admin, {})).groups).toEqual([{ key: {}, count: 7 }]);
  });

  it('answers as its OpenAPI operation documents, in JSON, CSV and problems', async () => {
    const document = await json<OpenAPIObject>(await t.request('/docs-json'));
    const contract = new OpenApiContract(document);
    const checks: [UserSession | null, Record<string, string>, RequestInit, string][] = [
      [alice, { groupBy: 'region,closed:week', metrics: 'count,avg(amount),max(closed)' }, {}, ORDERS],
      [alice, { groupBy: 'region' }, { headers: { accept: 'text/csv' } }, ORDERS],
      [alice, { groupBy: 'nope' }, {}, ORDERS],
      [null, {}, {}, ADMIN_ONLY],
    ];
    for (const [caller, query, init, collection] of checks) {
      const response = await aggregate(caller, query, init, collection);
      const route = `/api/v1/collections/${collection}/aggregate`;
      expect({ query, problems: await contract.check('GET', route, response) }).toEqual({ query, problems: [] });
    }
  });
});
