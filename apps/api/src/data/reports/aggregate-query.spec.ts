import { ValidationFailed } from '@backlot/http';
import type { FieldDefinition } from '../collections/field-definition';
import { Aggregation } from './aggregate-query';

const FIELDS: FieldDefinition[] = [
  { name: 'status', type: 'select', values: ['open', 'done'] },
  { name: 'tags', type: 'select', values: ['a', 'b'], multiple: true },
  { name: 'amount', type: 'number' },
  { name: 'qty', type: 'integer' },
  { name: 'paid', type: 'boolean' },
  { name: 'due', type: 'datetime' },
  { name: 'title', type: 'text' },
  { name: 'meta', type: 'json' },
  { name: 'secret', type: 'text', encrypted: true },
  { name: 'cost', type: 'number', hidden: true },
];

const parse = (request: { groupBy?: string; metrics?: string }, allowHidden = false) => Aggregation.parse(FIELDS, request, { allowHidden });

function problems(request: { groupBy?: string; metrics?: string }, allowHidden = false): { path: string; code: string }[] {
  try {
    parse(request, allowHidden);
  } catch (error) {
    if (error instanceof ValidationFailed) return error.errors.map(({ path, code }) => ({ path, code }));
    throw error;
  }
  throw new Error('expected a ValidationFailed');
}

describe('Aggregation', () => {
  it('counts every matching record in one group when nothing groups them', () => {
    const aggregation = parse({});
    expect(aggregation.clauses()).toEqual({ select: 'count(*) AS m0', grouping: '' });
    expect(aggregation.columns).toEqual(['count']);
  });

  it('groups by fields and orders by the group keys', () => {
    const { select, grouping } = parse({ groupBy: 'status, paid', metrics: 'count,sum(amount)' }).clauses();
    expect(select).toBe(
      "(r.data->>'status') AS k0, ((r.data->>'paid')::boolean) AS k1, count(*) AS m0, sum(((r.data->>'amount')::numeric)) AS m1",
    );
    expect(grouping).toBe(' GROUP BY k0, k1 ORDER BY k0, k1');
  });

  it('buckets datetime fields and system timestamps in UTC as ISO-8601 text', () => {
    const sql = parse({ groupBy: 'due:day,created:month' }).clauses().select;
    expect(sql).toContain(
      `to_char(date_trunc('day', (((r.data->>'due'))::timestamptz AT TIME ZONE 'UTC')), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS k0`,
    );
    expect(sql).toContain(`to_char(date_trunc('month', (r.created_at AT TIME ZONE 'UTC')), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS k1`);
  });

  it('names metrics canonically and reads min and max of datetimes as text', () => {
    const aggregation = parse({ groupBy: 'owner', metrics: 'avg( qty ),min(due),max(updated),count' });
    expect(aggregation.columns).toEqual(['owner', 'avg(qty)', 'min(due)', 'max(updated)', 'count']);
    const sql = aggregation.clauses().select;
    expect(sql).toContain('r.owner_id AS k0');
    expect(sql).toContain("min((r.data->>'due')) AS m1");
    expect(sql).toContain(`to_char(max((r.updated_at AT TIME ZONE 'UTC')), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS m2`);
  });

  it('turns driver values into JSON numbers, booleans and text', () => {
    const aggregation = parse({ groupBy: 'qty,paid,status', metrics: 'count,avg(amount),max(due)' });
    const group = aggregation.group({ k0: '3', k1: true, k2: null, m0: 4n, m1: '6.2500000000000000', m2: '2026-11-01T08:00:00.000Z' });
    expect(group).toEqual({
      key: { qty: 3, paid: true, status: null },
      count: 4,
      'avg(amount)': 6.25,
      'max(due)': '2026-11-01T08:00:00.000Z',
    });
    expect(aggregation.table([group])).toEqual([
      ['qty', 'paid', 'status', 'count', 'avg(amount)', 'max(due)'],
      [3, true, null, 4, 6.25, '2026-11-01T08:00:00.000Z'],
    ]);
  });

  it('lets admins group by hidden fields and hides them from everyone else', () => {
    expect(parse({ groupBy: 'cost', metrics: 'sum(cost)' }, true).columns).toEqual(['cost', 'sum(cost)']);
    expect(problems({ groupBy: 'cost', metrics: 'sum(cost)' })).toEqual([
      { path: 'groupBy', code: 'unknownField' },
      { path: 'metrics', code: 'unknownField' },
    ]);
  });

  it('never aggregates encrypted fields, not even for admins', () => {
    expect(problems({ groupBy: 'secret', metrics: 'min(secret)' }, true)).toEqual([
      { path: 'groupBy', code: 'notAggregatable' },
      { path: 'metrics', code: 'notAggregatable' },
    ]);
  });

  it.each([
    ['unknown field', { groupBy: 'nope' }, 'unknownField'],
    ['multi-value field', { groupBy: 'tags' }, 'notGroupable'],
    ['json field', { groupBy: 'meta' }, 'notGroupable'],
    ['record id', { groupBy: 'id' }, 'notGroupable'],
    ['timestamp without bucket', { groupBy: 'created' }, 'bucketRequired'],
    ['bucket on text', { groupBy: 'title:day' }, 'typeMismatch'],
    ['unknown bucket', { groupBy: 'due:year' }, 'syntax'],
    ['six keys', { groupBy: 'status,amount,qty,paid,title,owner' }, 'tooMany'],
    ['repeated key', { groupBy: 'due:day,due:month' }, 'duplicate'],
    ['empty key', { groupBy: 'status,,paid' }, 'syntax'],
    ['SQL in a key', { groupBy: "status'); DROP TABLE records; --" }, 'syntax'],
  ])('refuses a groupBy with a %s', (_, request, code) => {
    expect(problems(request)).toEqual([{ path: 'groupBy', code }]);
  });

  it.each([
    ['sum of text', 'sum(title)', 'typeMismatch'],
    ['avg of a datetime', 'avg(due)', 'typeMismatch'],
    ['min of a boolean', 'min(paid)', 'typeMismatch'],
    ['unknown function', 'median(amount)', 'syntax'],
    ['unknown field', 'sum(nope)', 'unknownField'],
    ['repeated metric', 'count,count', 'duplicate'],
    ['SQL in a metric', 'sum(amount));DROP TABLE records;--', 'syntax'],
    ['eleven metrics', Array.from({ length: 11 }, () => 'count').join(','), 'tooMany'],
  ])('refuses metrics with a %s', (_, metrics, code) => {
    expect(problems({ metrics })).toEqual([{ path: 'metrics', code }]);
  });

  it('reports every problem of both parameters at once', () => {
    expect(problems({ groupBy: 'nope,title:week', metrics: 'sum(title),max(meta)' })).toEqual([
      { path: 'groupBy', code: 'unknownField' },
      { path: 'groupBy', code: 'typeMismatch' },
      { path: 'metrics', code: 'typeMismatch' },
      { path: 'metrics', code: 'typeMismatch' },
    ]);
  });
});
