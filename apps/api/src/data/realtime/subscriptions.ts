import { ValidationFailed } from '@backlot/http';
import { clientExpression } from '../query/client-expression';
import { compilePredicate, type RecordPredicate } from '../query/filter-evaluator';
import type { FilterField } from '../query/filter-fields';
import { type FilterNode, type Operand, parseFilter } from '../query/filter-parser';
import { FilterError } from '../query/filter-error';

export const MAX_SUBSCRIPTIONS = 20;

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KNOWN_PARAMETERS = new Set(['subscribe', 'ticket', 'lastEventId']);

/** One `subscribe=` entry: a whole collection, or one record of it. */
export interface SubscriptionRequest {
  collection: string;
  recordId: string | null;
}

/** What the query string asks for, checked for shape only (collections are looked up later). */
export interface RealtimeQuery {
  subscriptions: SubscriptionRequest[];
  /** Per collection name: the client's filter expression. */
  filters: Map<string, string>;
  ticket?: string;
  lastEventId?: string;
}

/**
 * Reads `subscribe=<collection>[:<recordId>]` (repeated), `filter.<collection>=<expression>`,
 * `ticket` and `lastEventId`. The query has dynamic keys, so it is checked here rather than
 * by a DTO; every problem is a 400 that names the parameter.
 */
export function parseRealtimeQuery(query: Record<string, unknown>): RealtimeQuery {
  const errors: { path: string; code: string; message: string }[] = [];
  const filters = new Map<string, string>();
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('filter.')) {
      const name = key.slice('filter.'.length);
      if (!NAME.test(name)) errors.push({ path: key, code: 'matches', message: `${key}: the suffix must be a collection name` });
      else if (typeof value !== 'string' || value.trim() === '')
        errors.push({ path: key, code: 'isString', message: `${key} must be given once, as a non-empty filter expression` });
      else filters.set(name, value);
    } else if (!KNOWN_PARAMETERS.has(key)) errors.push({ path: key, code: 'unknown', message: `${key} is not a parameter of this route` });
  }
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '' || value.length > 200) {
      errors.push({ path: name, code: 'isString', message: `${name} must be given once, as a non-empty string` });
      return undefined;
    }
    return value;
  };
  const ticket = single('ticket');
  const lastEventId = single('lastEventId');

  const raw = query.subscribe === undefined ? [] : Array.isArray(query.subscribe) ? query.subscribe : [query.subscribe];
  const seen = new Set<string>();
  const subscriptions: SubscriptionRequest[] = [];
  for (const entry of raw) {
    const parsed = typeof entry === 'string' ? parseEntry(entry) : undefined;
    if (!parsed) {
      errors.push({
        path: 'subscribe',
        code: 'matches',
        message: `subscribe ${JSON.stringify(String(entry).slice(0, 100))} must be <collection> or <collection>:<record uuid>`,
      });
      continue;
    }
    const key = `${parsed.collection}:${parsed.recordId ?? '*'}`;
    if (seen.has(key)) continue;
    seen.add(key);
    subscriptions.push(parsed);
  }
  if (raw.length === 0) errors.push({ path: 'subscribe', code: 'required', message: 'subscribe: name at least one collection' });
  if (subscriptions.length > MAX_SUBSCRIPTIONS)
    errors.push({ path: 'subscribe', code: 'tooMany', message: `subscribe: at most ${MAX_SUBSCRIPTIONS} subscriptions per connection` });
  for (const name of filters.keys())
    if (!subscriptions.some((s) => s.collection === name))
      errors.push({ path: `filter.${name}`, code: 'notSubscribed', message: `filter.${name} narrows a collection that is not subscribed` });
  if (errors.length > 0) throw new ValidationFailed(errors);
  return { subscriptions, filters, ticket, lastEventId };
}

function parseEntry(entry: string): SubscriptionRequest | undefined {
  const [collection, recordId, ...rest] = entry.split(':');
  if (rest.length > 0 || !NAME.test(collection)) return undefined;
  if (recordId === undefined) return { collection, recordId: null };
  return UUID.test(recordId) ? { collection, recordId: recordId.toLowerCase() } : undefined;
}

/**
 * Compiles a client's filter for realtime: the same language, checks and 400s (with the
 * position) as the list route's `filter`, evaluated in JavaScript on each change. Comparisons
 * whose answer the database collation decides (ordering of text, non-ASCII `~`) cannot be
 * answered per event without a query per subscriber, so they are refused up front.
 */
export function compileRealtimeFilter(
  parameter: string,
  source: string,
  fields: readonly FilterField[],
  allowHidden: boolean,
): RecordPredicate {
  return clientExpression(parameter, () => {
    const predicate = compilePredicate(source, fields, { allowHidden });
    const byName = new Map(fields.map((field) => [field.name, field]));
    const refused = collationDependent(parseFilter(source), byName);
    if (refused !== undefined)
      throw new FilterError(
        'this comparison depends on the database collation and is not supported for realtime',
        refused,
        'notFilterable',
      );
    return predicate;
  });
}

function collationDependent(node: FilterNode, fields: Map<string, FilterField>): number | undefined {
  switch (node.kind) {
    case 'and':
    case 'or':
      return collationDependent(node.left, fields) ?? collationDependent(node.right, fields);
    case 'not':
      return collationDependent(node.operand, fields);
    case 'in':
      return undefined;
    case 'compare': {
      const { operator, left, right } = node;
      if (operator === '~' || operator === '!~') {
        const needle = right.kind === 'string' ? right.value : left.kind === 'string' ? left.value : '';
        return /[^\x20-\x7e]/.test(needle) ? node.position : undefined;
      }
      if (operator === '=' || operator === '!=') return undefined;
      return isText(left, fields) || isText(right, fields) ? node.position : undefined;
    }
  }
}

function isText(operand: Operand, fields: Map<string, FilterField>): boolean {
  return operand.kind === 'field' && fields.get(operand.name)?.type === 'text';
}
