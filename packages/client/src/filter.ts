/** A filter expression in Backlot's filter language, with every value bound as a literal. */
export class Filter {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** A field name placed into a filter (checked to be a plain name, never quoted). */
export class FieldName {
  constructor(readonly name: string) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`${JSON.stringify(name)} is not a field name.`);
  }
}

export type FilterValue = string | number | boolean | null | Date | FieldName | Filter | readonly (string | number | boolean | Date)[];

/**
 * Builds a filter from a template whose `${values}` are bound safely: a string becomes a quoted,
 * escaped literal, so user input can never change the expression around it.
 *
 *     filter`status = ${status} && title ~ ${search} && owner = @me`
 *     filter`priority in ${[1, 2]} && due < ${new Date()}`
 *
 * Numbers must be finite; a Date becomes its ISO text; an array becomes `in`'s `(…)` list;
 * `field('name')` places a field name; another Filter is nested in parentheses.
 */
export function filter(strings: TemplateStringsArray, ...values: FilterValue[]): Filter {
  let text = strings[0];
  values.forEach((value, index) => (text += literal(value) + strings[index + 1]));
  return new Filter(text);
}

export function field(name: string): FieldName {
  return new FieldName(name);
}

/** The parts that are given, joined with `&&` (falsy parts are left out, so optional conditions read plainly). */
export function and(...parts: (Filter | false | null | undefined)[]): Filter {
  return join(parts, '&&');
}

/** The parts that are given, joined with `||`. */
export function or(...parts: (Filter | false | null | undefined)[]): Filter {
  return join(parts, '||');
}

function join(parts: (Filter | false | null | undefined)[], operator: string): Filter {
  const given = parts.filter((part): part is Filter => part instanceof Filter && part.text.trim() !== '');
  return new Filter(given.length === 1 ? given[0].text : given.map((part) => `(${part.text})`).join(` ${operator} `));
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function literal(value: FilterValue): string {
  if (value instanceof Filter) return `(${value.text})`;
  if (value instanceof FieldName) return value.name;
  if (Array.isArray(value)) {
    if (value.length === 0)
      throw new TypeError('An empty list cannot be bound into a filter (in () matches nothing: leave the condition out).');
    return `(${value.map((item: string | number | boolean | Date) => literal(item)).join(', ')})`;
  }
  if (value === null) return 'null';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('An invalid Date cannot be bound into a filter.');
    return quote(value.toISOString());
  }
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return String(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be bound into a filter (numbers must be finite).`);
      return String(value);
    default:
      throw new TypeError(`A ${typeof value} cannot be bound into a filter.`);
  }
}

function quote(text: string): string {
  return `'${text.replace(/[\\'\n\r\t]/g, (char) => ESCAPES[char])}'`;
}
