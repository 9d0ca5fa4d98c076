import { Injectable, Logger } from '@nestjs/common';
import { DatabaseConnection } from '@backlot/database';
import { ValidationFailed } from '@backlot/http';
import { type Caller, RecordAccess } from '../access/record-access';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import { clientExpression } from '../query/client-expression';
import { SqlParams } from '../query/filter-compiler';
import { RecordOrder } from '../query/record-order';
import { searchQuery } from '../query/text-search';
import { RECORD_COLUMNS, type RecordRow } from './record-row';
import { queryRecords, recordScope } from './record-scope';

/** What a caller asks of a listing: their filter, search, sort and page. */
export interface ListQuery {
  filter?: string;
  sort?: string;
  q?: string;
  cursor?: string;
  limit: number;
  trashed?: boolean;
}

export interface ListedRows {
  rows: RecordRow[];
  nextCursor: string | null;
}

/** The parts of a GROUP BY statement over `records r` a report brings (its columns come from field definitions, never from input). */
export interface AggregateClauses {
  select: string;
  /** GROUP BY … ORDER BY …, or empty for one group. */
  grouping: string;
}

/** One reader of a realtime event whose rules or filter only the database can decide. */
export interface VisibilityCheck {
  caller: Caller;
  actions: readonly RuleAction[];
  filter: string | null;
}

/** Rows per export query: at most 1,000, fewer when records may be large, so a batch's memory is bounded. */
const EXPORT_BATCH_BYTES = 32 * 1024 * 1024;
const EXPORT_MAX_BATCH = 1_000;
/** Below every id the server generates: the export's keyset starts here. */
const BEFORE_FIRST_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The records a caller reads many at a time — listings, totals, exports, reports, and which
 * realtime readers may see a change. Each method takes the collection and the caller and
 * builds its statement from the caller's scope (recordScope: collection, liveness, the rule
 * for the action), so no listing can leave the rule out. A caller's own expressions (filter,
 * sort, search, cursor) are compiled here too, with what RecordAccess lets them name; their
 * errors are 400s on their parameter.
 */
@Injectable()
export class RecordQueriesRepository {
  private readonly logger = new Logger('Records');

  constructor(
    private readonly db: DatabaseConnection,
    private readonly access: RecordAccess,
  ) {}

  /** One page under the list rule (the view rule for the trash), newest-first or as sorted; ranked when searching without a sort. */
  async list(collection: CollectionSchema, caller: Caller, query: ListQuery): Promise<ListedRows> {
    const { sql, params, order, cursorColumns, ranked } = this.listStatement(collection, caller, query);
    const rows = await queryRecords<RecordRow & Record<string, unknown>>(this.db, collection, sql, params);
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const last = page.at(-1);
    const nextCursor =
      more && last && !ranked ? order.cursorFor(Array.from({ length: cursorColumns }, (_, i) => last[`c${i}`] as string)) : null;
    return { rows: page, nextCursor };
  }

  /**
   * The plan PostgreSQL makes for the very statement `list` would send (EXPLAIN; with
   * `analyze`, also run, with timings and buffers: it only reads). For admins finding which
   * index a list needs.
   */
  async explain(
    collection: CollectionSchema,
    caller: Caller,
    query: ListQuery,
    analyze: boolean,
  ): Promise<{ sql: string; plan: string[] }> {
    const { sql, params } = this.listStatement(collection, caller, query);
    const options = analyze ? 'ANALYZE, BUFFERS, FORMAT TEXT' : 'FORMAT TEXT';
    // Not prepared: it runs once, and its text would only take a place among the hot statements.
    const rows = await queryRecords<Record<string, string>>(this.db, collection, `EXPLAIN (${options}) ${sql}`, params, {});
    return { sql: sql.replace(/\s+/g, ' ').trim(), plan: rows.map((row) => Object.values(row)[0]) };
  }

  /** The listing's statement, with what reading its page back needs (the order for cursors, how many cursor columns). */
  private listStatement(collection: CollectionSchema, caller: Caller, query: ListQuery) {
    const params = new SqlParams();
    const where = this.where(collection, caller, query, params);
    const order = clientExpression('sort', () =>
      RecordOrder.parse(query.sort, collection.filterFields, { allowHidden: this.access.seesHidden(caller) }),
    );
    // Ranked only when nothing else orders the results (a parameter no clause uses would fail the statement).
    const ranked = query.q !== undefined && query.q !== '' && !query.sort;
    const rank = ranked ? `ts_rank(r.search, ${this.tsquery(collection, query.q!, params)})` : undefined;
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
                  ORDER BY ${ranked ? `${rank} DESC, r.id` : order.orderBy()} LIMIT ${pageLimit(query.limit)}`;
    return { sql, params, order, cursorColumns: cursorColumns.length, ranked };
  }

  /** How many records the same listing (without its cursor) would go through. */
  async count(collection: CollectionSchema, caller: Caller, query: Omit<ListQuery, 'cursor' | 'limit' | 'sort'>): Promise<number> {
    const params = new SqlParams();
    const where = this.where(collection, caller, query, params);
    const sql = `SELECT count(*)::int AS total FROM records r WHERE ${where.join(' AND ')}`;
    const [{ total }] = await queryRecords<{ total: number }>(this.db, collection, sql, params);
    return total;
  }

  /**
   * Every live record the caller may list (optionally filtered), in id order, one keyset batch
   * per step. Batches are separate queries, not one long transaction: an export never holds a
   * connection (or the embedded database) for its whole duration. The filter and the rule are
   * checked on the first step.
   */
  async *exportBatches(collection: CollectionSchema, caller: Caller, filter?: string): AsyncGenerator<RecordRow[]> {
    const params = new SqlParams();
    const where = this.where(collection, caller, { filter }, params);
    const batch = Math.max(1, Math.min(EXPORT_MAX_BATCH, Math.floor(EXPORT_BATCH_BYTES / collection.options.maxRecordBytes)));
    const after = params.add(BEFORE_FIRST_ID, 'uuid');
    const cursor = params.values.length - 1;
    const sql = `SELECT ${RECORD_COLUMNS} FROM records r WHERE ${where.join(' AND ')} AND r.id > ${after}
                  ORDER BY r.id LIMIT ${params.add(batch, 'int')}`;
    for (let lastId = BEFORE_FIRST_ID; ;) {
      params.values[cursor] = lastId;
      const rows = await queryRecords<RecordRow>(this.db, collection, sql, params);
      if (rows.length > 0) yield rows;
      if (rows.length < batch) return;
      lastId = rows.at(-1)!.id;
    }
  }

  /** A report's groups under the list rule and the caller's filter; one group beyond `limit` tells the caller it is truncated. */
  async aggregate(
    collection: CollectionSchema,
    caller: Caller,
    report: { clauses: AggregateClauses; filter?: string; limit: number },
  ): Promise<Record<string, unknown>[]> {
    const params = new SqlParams();
    const where = this.where(collection, caller, { filter: report.filter }, params);
    const { select, grouping } = report.clauses;
    const sql = `SELECT ${select} FROM records r WHERE ${where.join(' AND ')}${grouping} LIMIT ${params.add(report.limit + 1, 'int')}`;
    return queryRecords(this.db, collection, sql, params);
  }

  /**
   * For one realtime event's row (the event's own, not the table's current one, which may have
   * moved on or be gone after a delete): whether each reader's rules and filter let them see it,
   * in one query with one boolean column per reader. false where a rule closes the collection
   * to the reader; undefined where their condition could not be compiled (a filter the schema
   * no longer fits), so the caller can tell "no" from "could not tell".
   */
  async visibleAmong(collection: CollectionSchema, row: RecordRow, checks: readonly VisibilityCheck[]): Promise<(boolean | undefined)[]> {
    const values: unknown[] = [
      JSON.stringify([{ id: row.id, owner_id: row.owner_id, data: row.data, created_at: row.created_at, updated_at: row.updated_at }]),
    ];
    const answers: (boolean | undefined)[] = [];
    const columns: { check: number; sql: string }[] = [];
    for (const [index, check] of checks.entries()) {
      // Each condition gets parameters of its own, kept only when it compiles (an unused parameter fails the query).
      const params = new SqlParams(values.length);
      const condition = this.readerCondition(collection, check, params);
      answers[index] = condition === null ? false : undefined;
      if (condition === null || condition === undefined) continue;
      columns.push({ check: index, sql: `COALESCE(${condition}, false) AS v${columns.length}` });
      values.push(...params.values);
    }
    if (columns.length === 0) return answers;
    const [result] = await this.db.query<Record<string, boolean>>(
      `WITH r AS (SELECT v.* FROM jsonb_to_recordset($1::jsonb)
                    AS v(id uuid, owner_id uuid, data jsonb, created_at timestamptz, updated_at timestamptz))
       SELECT ${columns.map((column) => column.sql).join(', ')} FROM r`,
      values,
    );
    for (const [k, { check }] of columns.entries()) answers[check] = result[`v${k}`];
    return answers;
  }

  /** The scope for listing (or the trash), the caller's filter and their search, as conditions over `r`. */
  private where(collection: CollectionSchema, caller: Caller, query: Pick<ListQuery, 'filter' | 'q' | 'trashed'>, params: SqlParams) {
    const where = [
      recordScope(this.access, collection, caller, query.trashed ? 'view' : 'list', params, query.trashed ? 'trashed' : 'live'),
    ];
    if (query.filter) {
      const filter = query.filter;
      where.push(clientExpression('filter', () => this.access.clientCondition(collection, caller, filter, params)));
    }
    if (query.q) where.push(`r.search @@ ${this.tsquery(collection, query.q, params)}`);
    return where;
  }

  private tsquery(collection: CollectionSchema, q: string, params: SqlParams): string {
    return searchQuery(q, collection.searchLanguage, params);
  }

  /** A reader's rules and filter as one condition over `r`: null when a rule closes the collection to them, undefined when it fails to compile. */
  private readerCondition(collection: CollectionSchema, check: VisibilityCheck, params: SqlParams): string | null | undefined {
    if (check.actions.some((action) => !this.access.isOpen(collection, action, check.caller))) return null;
    try {
      const conditions = check.actions.flatMap((action) => this.access.condition(collection, action, check.caller, params) ?? []);
      if (check.filter) conditions.push(this.access.clientCondition(collection, check.caller, check.filter, params));
      return conditions.length > 0 ? conditions.map((condition) => `(${condition})`).join(' AND ') : 'TRUE';
    } catch (error) {
      this.logger.error({ msg: 'a reader’s rules or filter no longer compile', collection: collection.name, err: error });
      return undefined;
    }
  }
}

/**
 * A page's LIMIT (one row more, to tell whether there is a next page) written into the text: a
 * prepared listing then gets a generic plan as good as a fresh one (PostgreSQL plans a LIMIT
 * parameter as an unknown share of the rows, and would plan every run again). Only a checked
 * integer gets here.
 */
function pageLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new Error(`Invalid page size ${limit}`);
  return limit + 1;
}
