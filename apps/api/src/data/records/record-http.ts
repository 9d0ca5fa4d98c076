import { ValidationFailed } from '@backlot/http';
import type { CollectionSchema } from '../collections/collection-schema';
import { MAX_EXPAND, type ViewOptions } from './records.service';
import { SYSTEM_VIEW_FIELDS } from './record-view';

/** A record's ETag: its version (strong: every change bumps it). */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** If-Match → the expected version; `*` or no header → none. Anything else is a 400. */
export function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*"(\d{1,10})"\s*$/.exec(ifMatch);
  if (!match || Number(match[1]) > 2_147_483_647)
    throw new ValidationFailed([{ path: 'If-Match', code: 'invalid', message: 'If-Match must be one ETag as returned, e.g. "3"' }]);
  return Number(match[1]);
}

/** Whether If-None-Match names the current version (→ 304). Weak comparison, as RFC 9110 asks for GET. */
export function notModified(ifNoneMatch: string | undefined, version: number): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(version));
}

const NAME_LIST = /^[a-z][a-z0-9_]{0,62}(,[a-z][a-z0-9_]{0,62})*$/;

/** Raw `fields` / `expand` query values, checked as RecordShapeQuery's decorators would. */
export function shapeQuery(fields: unknown, expand: unknown): { fields?: string; expand?: string } {
  const check = (value: unknown, name: string, max: number): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length > max || !NAME_LIST.test(value))
      throw new ValidationFailed([{ path: name, code: 'matches', message: `${name} must be comma-separated field names` }]);
    return value;
  };
  return { fields: check(fields, 'fields', 2_000), expand: check(expand, 'expand', 700) };
}

/** `fields` and `expand` query values → checked view options. */
export function viewOptions(collection: CollectionSchema, query: { fields?: string; expand?: string }, admin: boolean): ViewOptions {
  const options: ViewOptions = {};
  if (query.fields) {
    const names = query.fields.split(',');
    const unknown = names.filter(
      (name) =>
        !(SYSTEM_VIEW_FIELDS as readonly string[]).includes(name) &&
        name !== 'expand' &&
        (!collection.fieldsByName.has(name) || (!admin && collection.hidden.has(name))),
    );
    if (unknown.length > 0)
      throw new ValidationFailed([{ path: 'fields', code: 'unknownField', message: `unknown field(s): ${unknown.join(', ')}` }]);
    options.fields = new Set([...names, 'expand']);
  }
  if (query.expand) {
    options.expand = [...new Set(query.expand.split(','))];
    if (options.expand.length > MAX_EXPAND)
      throw new ValidationFailed([{ path: 'expand', code: 'tooMany', message: `expand at most ${MAX_EXPAND} fields` }]);
  }
  return options;
}
