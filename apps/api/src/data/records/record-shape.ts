import { ValidationFailed } from '@backlot/http';
import type { CollectionSchema } from '../collections/collection-schema';
import { SYSTEM_VIEW_FIELDS } from './record-view';

export const MAX_EXPAND = 10;
export const NAME_LIST = /^[a-z][a-z0-9_]{0,62}(,[a-z][a-z0-9_]{0,62})*$/;
/** The most characters of `fields` and `expand`. */
export const SHAPE_LIMITS = { fields: 2_000, expand: 700 };

/** How a caller asked records to be shaped: `fields` and `expand` as sent. */
export interface RecordShape {
  fields?: string;
  expand?: string;
}

/** What a response holds of each record: some fields only, and expanded relations. */
export interface ViewOptions {
  fields?: ReadonlySet<string>;
  expand?: string[];
}

/** Raw `fields` / `expand` query values, checked as RecordShapeQuery's decorators would (the hot read takes no DTO). */
export function shapeQuery(fields: unknown, expand: unknown): RecordShape {
  const check = (value: unknown, name: string, max: number): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length > max || !NAME_LIST.test(value))
      throw new ValidationFailed([{ path: name, code: 'matches', message: `${name} must be comma-separated field names` }]);
    return value;
  };
  return { fields: check(fields, 'fields', SHAPE_LIMITS.fields), expand: check(expand, 'expand', SHAPE_LIMITS.expand) };
}

/** A shape → checked view options; hidden fields are unknown to callers who do not see them. */
export function viewOptions(collection: CollectionSchema, shape: RecordShape, seesHidden: boolean): ViewOptions {
  const options: ViewOptions = {};
  if (shape.fields) {
    const names = shape.fields.split(',');
    const unknown = names.filter(
      (name) =>
        !(SYSTEM_VIEW_FIELDS as readonly string[]).includes(name) &&
        name !== 'expand' &&
        (!collection.fieldsByName.has(name) || (!seesHidden && collection.hidden.has(name))),
    );
    if (unknown.length > 0)
      throw new ValidationFailed([{ path: 'fields', code: 'unknownField', message: `unknown field(s): ${unknown.join(', ')}` }]);
    options.fields = new Set([...names, 'expand']);
  }
  if (shape.expand) {
    options.expand = [...new Set(shape.expand.split(','))];
    if (options.expand.length > MAX_EXPAND)
      throw new ValidationFailed([{ path: 'expand', code: 'tooMany', message: `expand at most ${MAX_EXPAND} fields` }]);
  }
  return options;
}
