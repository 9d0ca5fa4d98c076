import { ValidationFailed } from '@backlot/http';
import type { Principal } from '@backlot/security';
import type { CollectionSchema } from '../collections/collection-schema';
import { compileFilter, SqlParams } from '../query/filter-compiler';
import { FilterError } from '../query/filter-error';
import { RecordOrder } from '../query/record-order';
import { RECORD_COLUMNS } from './record-row';
import type { RecordsRepository } from './records.repository';

export interface ListQuery {
  filter?: string;
  sort?: string;
  q?: string;
  cursor?: string;
  limit: number;
  trashed?: boolean;
}

export interface BuiltList {
  sql: string;
  params: SqlParams;
  /** The total's query, when asked for: same conditions, no cursor. */
  count?: { sql: string; values: unknown[] };
  order: RecordOrder;
  /** Ranked full-text results have no stable cursor. */
  ranked: boolean;
  cursorWidth: number;
}

/**
 * Builds the one SQL statement behind a listing: scope and rule (row-level security), the
 * client's filter and search, keyset cursor, order and limit. Every value is a parameter;
 * any problem in the client's expressions becomes a 400 naming the parameter and position.
 */
export function buildList(
  repository: RecordsRepository,
  collection: CollectionSchema,
  principal: Principal | null,
  query: ListQuery,
  options: { withCount?: boolean } = {},
): BuiltList {
  const params = new SqlParams();
  const where = [repository.scope(collection, principal, query.trashed ? 'view' : 'list', params, query.trashed ? 'trashed' : 'live')];
  const allowHidden = principal?.role === 'admin';
  if (query.filter)
    where.push(
      clientExpression(
        'filter',
        () => compileFilter(query.filter!, { fields: collection.filterFields, me: principal?.userId ?? null, allowHidden }, params).sql,
      ),
    );
  let rank: string | undefined;
  if (query.q) {
    const tsquery = `websearch_to_tsquery('simple', ${params.add(query.q, 'text')})`;
    where.push(`r.search @@ ${tsquery}`);
    rank = `ts_rank(r.search, ${tsquery})`;
  }
  const order = clientExpression('sort', () => RecordOrder.parse(query.sort, collection.filterFields, { allowHidden }));
  const count = options.withCount
    ? { sql: `SELECT count(*)::int AS total FROM records r WHERE ${where.join(' AND ')}`, values: [...params.values] }
    : undefined;
  const ranked = rank !== undefined && !query.sort;
  if (query.cursor) {
    if (ranked)
      throw new ValidationFailed([
        { path: 'cursor', code: 'notApplicable', message: 'ranked search results have no cursor; add sort to page through matches' },
      ]);
    where.push(clientExpression('cursor', () => order.after(query.cursor!, params)));
  }
  const cursorColumns = order.cursorColumns();
  const sql = `SELECT ${RECORD_COLUMNS}, ${cursorColumns.map((c, i) => `${c} AS c${i}`).join(', ')}
                 FROM records r WHERE ${where.join(' AND ')}
                ORDER BY ${ranked ? `${rank} DESC, r.id` : order.orderBy()} LIMIT ${params.add(query.limit + 1, 'int')}`;
  return { sql, params, count, order, ranked, cursorWidth: cursorColumns.length };
}

/** Compiles one client-supplied expression; its errors become a 400 on that parameter. */
export function clientExpression<T>(parameter: string, compile: () => T): T {
  try {
    return compile();
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    const problem = new ValidationFailed(
      [{ path: parameter, code: error.code, message: error.message }],
      `Invalid ${parameter}: ${error.message}`,
    );
    problem.extensions.position = error.position;
    throw problem;
  }
}
