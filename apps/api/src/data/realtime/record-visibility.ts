import { Injectable, Logger } from '@nestjs/common';
import { Forbidden } from '@backlot/http';
import type { Principal } from '@backlot/security';
import { RecordAccess } from '../access/record-access';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import { type EvaluableRecord, NotEvaluable, type RecordPredicate } from '../query/filter-evaluator';
import { RecordQueriesRepository } from '../records/record-queries.repository';
import type { RecordRow } from '../records/record-row';
import type { Subscription } from './sse-connection';

/** One reader of an event: a connection's principal and its subscriptions. */
export interface Audience {
  principal: Principal | null;
  subscriptions: readonly Subscription[];
}

/** `unknown`: an error kept the answer from being established; the reader must not get the record. */
export type Verdict = 'send' | 'skip' | 'unknown';

interface Check {
  principal: Principal | null;
  subscription: Subscription;
}

const VIEW: readonly RuleAction[] = ['view'];
const LIST_AND_VIEW: readonly RuleAction[] = ['list', 'view'];
/** Answers per query on the slow path: far below PostgreSQL's column and parameter limits. */
const CHECKS_PER_QUERY = 200;

/** The rules a subscription is held to: list and view for a collection (as a listing shows it), view for one record. */
export function ruleActions(recordId: string | null): readonly RuleAction[] {
  return recordId ? VIEW : LIST_AND_VIEW;
}

/**
 * Who among an event's readers may receive its row: their rules (`ruleActions`) and
 * filters, answered in JavaScript by the same evaluator the record cache uses. Where the
 * database's collation would decide, one query answers every such reader at once, over
 * the event's own row (not the table's current one, which may have moved on or be gone
 * after a delete). A reader whose answer fails is `unknown`; the others are not affected.
 */
@Injectable()
export class RecordVisibility {
  private readonly logger = new Logger('Realtime');

  constructor(
    private readonly access: RecordAccess,
    private readonly queries: RecordQueriesRepository,
  ) {}

  /** One verdict per audience, in order: `send` when any of its subscriptions to this collection lets it see `row`. */
  async judge(schema: CollectionSchema, row: RecordRow, audiences: readonly Audience[]): Promise<Verdict[]> {
    const verdicts: Verdict[] = [];
    const open: { audience: number; check: Check }[] = [];
    for (const [index, { principal, subscriptions }] of audiences.entries()) {
      const pending: Check[] = [];
      let verdict: Verdict = 'skip';
      for (const subscription of subscriptions) {
        if (subscription.collection !== schema.name || (subscription.recordId !== null && subscription.recordId !== row.id)) continue;
        let decided: boolean | undefined;
        try {
          decided = this.decide(schema, principal, subscription, row);
        } catch (error) {
          this.failed(schema, error);
          verdict = 'unknown';
          continue;
        }
        if (decided === true) {
          verdict = 'send';
          pending.length = 0;
          break;
        }
        if (decided === undefined) pending.push({ principal, subscription });
      }
      verdicts.push(verdict);
      for (const check of pending) open.push({ audience: index, check });
    }
    if (open.length === 0) return verdicts;

    const checks = open.map((entry) => entry.check);
    const answers = await this.askAll(schema, row, checks);
    for (const [k, { audience }] of open.entries()) {
      if (answers[k] === true) verdicts[audience] = 'send';
      else if (answers[k] === undefined && verdicts[audience] !== 'send') verdicts[audience] = 'unknown';
    }
    return verdicts;
  }

  /** Sync answer, or undefined when only the database can decide. */
  private decide(schema: CollectionSchema, principal: Principal | null, subscription: Subscription, row: RecordRow): boolean | undefined {
    const record = evaluable(row);
    const context = { me: principal?.userId ?? null };
    try {
      for (const action of ruleActions(subscription.recordId)) {
        const rule = this.access.predicate(schema, action, principal);
        if (rule && !rule(record, context)) return false;
      }
      const filter = this.filter(schema, principal, subscription);
      if (filter === false) return false;
      return filter ? filter(record, context) : true;
    } catch (error) {
      // A rule closed to the caller since it subscribed: nothing more reaches it.
      if (error instanceof Forbidden) return false;
      if (error instanceof NotEvaluable) return undefined;
      throw error;
    }
  }

  /** The database's answers for the checks `decide` left open (undefined where it failed); identical checks are asked once. */
  private async askAll(schema: CollectionSchema, row: RecordRow, checks: readonly Check[]): Promise<(boolean | undefined)[]> {
    const groups = new Map<string, number[]>();
    for (const [index, { principal, subscription }] of checks.entries()) {
      // What a rule condition and a filter compile from: the caller's id and role, the rules applied, the filter.
      const key = JSON.stringify([principal?.userId, principal?.role, subscription.recordId === null, subscription.filter]);
      groups.set(key, [...(groups.get(key) ?? []), index]);
    }
    const distinct = [...groups.values()];
    const answers: (boolean | undefined)[] = [];
    for (let start = 0; start < distinct.length; start += CHECKS_PER_QUERY) {
      const chunk = distinct.slice(start, start + CHECKS_PER_QUERY);
      const representatives = chunk.map(([first]) => checks[first]);
      const results = await this.query(schema, row, representatives);
      for (const [k, indexes] of chunk.entries()) for (const index of indexes) answers[index] = results[k];
    }
    return answers;
  }

  /** The database's answers over the event's row, one per check; undefined for all of them when the query fails. */
  private async query(schema: CollectionSchema, row: RecordRow, checks: readonly Check[]): Promise<(boolean | undefined)[]> {
    try {
      return await this.queries.visibleAmong(
        schema,
        row,
        checks.map(({ principal, subscription }) => ({
          caller: principal,
          actions: ruleActions(subscription.recordId),
          filter: subscription.filter,
        })),
      );
    } catch (error) {
      this.failed(schema, error);
      return checks.map(() => undefined);
    }
  }

  /** The subscription's filter for this schema version: null (none), false (no longer compiles: nothing matches). */
  private filter(schema: CollectionSchema, principal: Principal | null, subscription: Subscription): RecordPredicate | null | false {
    if (!subscription.filter) return null;
    if (subscription.compiled?.schema !== schema) {
      try {
        subscription.compiled = { schema, predicate: this.access.clientPredicate(schema, principal, subscription.filter) };
      } catch {
        // A field the filter names was removed or retyped: the filter matches nothing any more.
        subscription.compiled = { schema, predicate: null };
        return false;
      }
    }
    return subscription.compiled.predicate ?? false;
  }

  private failed(schema: CollectionSchema, error: unknown): void {
    this.logger.error({ msg: 'realtime visibility check failed; the reader is sent resync instead', collection: schema.name, err: error });
  }
}

function evaluable(row: RecordRow): EvaluableRecord {
  return {
    id: row.id,
    owner: row.owner_id,
    // The event carries millisecond times; the database keeps microseconds (sub-millisecond rule edges are not seen).
    created: row.created_at.getTime() * 1000,
    updated: row.updated_at.getTime() * 1000,
    data: row.data,
  };
}
