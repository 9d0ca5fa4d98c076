import { Injectable } from '@nestjs/common';
import { Forbidden } from '@backlot/http';
import type { Principal } from '@backlot/security';
import type { CollectionSchema, RuleAction } from '../collections/collection-schema';
import { compileFilter, type SqlParams } from '../query/filter-compiler';
import { compilePredicate, type RecordPredicate } from '../query/filter-evaluator';

/** Who is asking: a signed-in user or API key, or null for an anonymous caller. */
export type Caller = Principal | null;

/**
 * The one home of collection access: given a collection, an action and a caller, it answers
 * in both forms the rest of the data domain needs — a SQL condition for queries and an
 * in-memory predicate for cached records and realtime events — from the same rule, so the
 * two can never disagree. It also says what a caller may name in their own expressions
 * (hidden fields are for admins only). Records, lists, exports, reports, realtime and files
 * all ask here; none reads a collection's rules itself.
 *
 * A rule is null (admins only), '' (everyone, anonymous callers included) or an expression
 * of the filter language. Admins are never restricted.
 */
@Injectable()
export class RecordAccess {
  private readonly predicates = new WeakMap<CollectionSchema, Map<RuleAction, RecordPredicate>>();

  /** The condition `action`'s rule adds to a query over `alias`, or null when nothing restricts the caller; Forbidden when closed to them. */
  condition(collection: CollectionSchema, action: RuleAction, caller: Caller, params: SqlParams, alias = 'r'): string | null {
    const rule = this.ruleFor(collection, action, caller);
    if (rule === undefined) return null;
    return compileFilter(rule, { fields: collection.filterFields, me: caller?.userId ?? null, allowHidden: true, alias }, params).sql;
  }

  /** The same rule as a predicate over one record, or null when nothing restricts the caller; Forbidden exactly as `condition`. */
  predicate(collection: CollectionSchema, action: RuleAction, caller: Caller): RecordPredicate | null {
    const rule = this.ruleFor(collection, action, caller);
    if (rule === undefined) return null;
    let byAction = this.predicates.get(collection);
    if (!byAction) this.predicates.set(collection, (byAction = new Map()));
    let predicate = byAction.get(action);
    if (!predicate) byAction.set(action, (predicate = compilePredicate(rule, collection.filterFields, { allowHidden: true })));
    return predicate;
  }

  /** Whether `action` is open to the caller for at least some records (the rule exists for them). */
  isOpen(collection: CollectionSchema, action: RuleAction, caller: Caller): boolean {
    return unrestricted(caller) || collection.row.rules[action] !== null;
  }

  /** Forbidden unless `action` is open to the caller for at least some records: checked before work that would be wasted. */
  requireOpen(collection: CollectionSchema, action: RuleAction, caller: Caller): void {
    this.ruleFor(collection, action, caller);
  }

  /** Whether the caller may read a collection's definition: admins, and anyone some of its records can be listed or viewed for. */
  mayReadDefinition(collection: CollectionSchema, caller: Caller): boolean {
    return this.isOpen(collection, 'list', caller) || this.isOpen(collection, 'view', caller);
  }

  /** Whether the caller sees hidden fields and may name them in filters, sorts, reports and expansions. */
  seesHidden(caller: Caller): boolean {
    return unrestricted(caller);
  }

  /** A caller's own filter expression as a SQL condition: hidden fields only for those who see them. */
  clientCondition(collection: CollectionSchema, caller: Caller, expression: string, params: SqlParams, alias = 'r'): string {
    const context = { fields: collection.filterFields, me: caller?.userId ?? null, allowHidden: this.seesHidden(caller), alias };
    return compileFilter(expression, context, params).sql;
  }

  /** A caller's own filter expression as a predicate (realtime subscriptions), with the same restriction. */
  clientPredicate(collection: CollectionSchema, caller: Caller, expression: string): RecordPredicate {
    return compilePredicate(expression, collection.filterFields, { allowHidden: this.seesHidden(caller) });
  }

  /** The rule expression that restricts the caller, undefined when none does; throws when the action is closed to them. */
  private ruleFor(collection: CollectionSchema, action: RuleAction, caller: Caller): string | undefined {
    if (unrestricted(caller)) return undefined;
    const rule = collection.row.rules[action];
    if (rule === null) throw new Forbidden(`Only admins may ${action} records of ${collection.name}.`);
    return rule.trim() === '' ? undefined : rule;
  }
}

function unrestricted(caller: Caller): boolean {
  return caller?.role === 'admin';
}
