import { Injectable } from '@nestjs/common';
import { DatabaseConnection } from '@backlot/database';
import { Forbidden } from '@backlot/http';
import type { Principal } from '@backlot/security';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import { compileFilter, SqlParams } from '../query/filter-compiler';
import { compilePredicate, type EvaluableRecord, NotEvaluable, type RecordPredicate } from '../query/filter-evaluator';
import type { RecordRow } from '../records/record-row';
import type { Subscription } from './sse-connection';

/**
 * Whether one subscriber may receive one changed row: its rules (list and view for a
 * collection subscription, as a listing would show it; view for a single record) and its
 * filter, answered in JavaScript by the same evaluator the record cache uses. Where the
 * database's collation would decide, one query answers it over the event's own row (not the
 * table's current one, which may have moved on or be gone after a delete).
 */
@Injectable()
export class RecordVisibility {
  constructor(private readonly db: DatabaseConnection) {}

  /** Sync answer, or undefined when only the database can decide (then call `ask`). */
  decide(schema: CollectionSchema, principal: Principal | null, subscription: Subscription, row: RecordRow): boolean | undefined {
    const actions: RuleAction[] = subscription.recordId ? ['view'] : ['list', 'view'];
    const record = evaluable(row);
    const context = { me: principal?.userId ?? null };
    try {
      for (const action of actions) {
        const rule = schema.rulePredicate(action, principal);
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

  /** The database's answer for the cases `decide` leaves open. */
  async ask(schema: CollectionSchema, principal: Principal | null, subscription: Subscription, row: RecordRow): Promise<boolean> {
    const params = new SqlParams();
    const me = principal?.userId ?? null;
    const conditions: string[] = [];
    try {
      for (const action of subscription.recordId ? (['view'] as const) : (['list', 'view'] as const)) {
        const condition = schema.ruleCondition(action, principal, params);
        if (condition) conditions.push(condition);
      }
    } catch (error) {
      if (error instanceof Forbidden) return false;
      throw error;
    }
    if (subscription.filter)
      conditions.push(
        compileFilter(subscription.filter, { fields: schema.filterFields, me, allowHidden: principal?.role === 'admin' }, params).sql,
      );
    const rows = params.add(
      JSON.stringify([{ id: row.id, owner_id: row.owner_id, data: row.data, created_at: row.created_at, updated_at: row.updated_at }]),
      'jsonb',
    );
    const [{ visible }] = await this.db.query<{ visible: boolean }>(
      `WITH r AS (SELECT v.* FROM jsonb_to_recordset(${rows})
                    AS v(id uuid, owner_id uuid, data jsonb, created_at timestamptz, updated_at timestamptz))
       SELECT count(*) > 0 AS visible FROM r WHERE ${conditions.length > 0 ? conditions.join(' AND ') : 'TRUE'}`,
      params.values,
    );
    return visible;
  }

  /** The subscription's filter for this schema version: null (none), false (no longer compiles: nothing matches). */
  private filter(schema: CollectionSchema, principal: Principal | null, subscription: Subscription): RecordPredicate | null | false {
    if (!subscription.filter) return null;
    if (subscription.compiled?.schema !== schema) {
      try {
        subscription.compiled = {
          schema,
          predicate: compilePredicate(subscription.filter, schema.filterFields, { allowHidden: principal?.role === 'admin' }),
        };
      } catch {
        // A field the filter names was removed or retyped: the filter matches nothing any more.
        subscription.compiled = { schema, predicate: null };
        return false;
      }
    }
    return subscription.compiled.predicate ?? false;
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
