import fc from 'fast-check';
import type { FilterField } from '../../apps/api/src/data/query/filter-fields';

/** Test-only generators for the filter fuzzing (unit and integration). */
export const FUZZ_FIELDS: FilterField[] = [
  { name: 'title', type: 'text' },
  { name: 'amount', type: 'number' },
  { name: 'done', type: 'boolean' },
  { name: 'due', type: 'datetime' },
  { name: 'tags', type: 'multi' },
  { name: 'meta', type: 'json' },
];

// Strings built to break out of quoting: quotes, comments, statement ends, backslashes, unicode, NUL-free.
const hostileText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom("'; DROP TABLE records; --", "\\' OR 1=1 --", '%_\\', '/* */', '$1', '::text', '\u202e\u0301😀', '"', "''"),
);
const quote = (text: string) =>
  `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
const number = fc
  .oneof(fc.integer({ min: -1e9, max: 1e9 }), fc.double({ min: -1e15, max: 1e15, noNaN: true, noDefaultInfinity: true }))
  .map((n) => String(n));
const date = fc.date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }).map((d) => quote(d.toISOString()));

const comparison = fc.oneof(
  fc.tuple(fc.constantFrom('=', '!=', '~', '!~', '>', '<'), hostileText).map(([op, text]) => `title ${op} ${quote(text)}`),
  fc.tuple(fc.constantFrom('=', '!=', '>', '>=', '<', '<='), number).map(([op, n]) => `amount ${op} ${n}`),
  fc.tuple(fc.constantFrom('=', '!='), fc.boolean()).map(([op, b]) => `done ${op} ${b}`),
  fc.tuple(fc.constantFrom('=', '!=', '>', '<='), date).map(([op, d]) => `due ${op} ${d}`),
  fc.constantFrom('due < @now', 'created > @now', 'owner = @me', 'owner != @me', '@me != null', 'meta = null', 'title != null'),
  fc.tuple(fc.constantFrom('=', '!=', '~', '!~'), hostileText).map(([op, text]) => `tags ${op} ${quote(text)}`),
  fc.array(hostileText, { minLength: 1, maxLength: 4 }).map((items) => `title in (${items.map(quote).join(', ')})`),
  fc.array(hostileText, { minLength: 1, maxLength: 4 }).map((items) => `tags not in (${items.map(quote).join(', ')})`),
  fc.array(number, { minLength: 1, maxLength: 4 }).map((items) => `amount in (${items.join(', ')})`),
);

/** Valid filters over FUZZ_FIELDS with hostile literal contents. */
export const validFilter: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    fc.tuple(tie('expr'), fc.constantFrom('&&', '||'), tie('expr')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie('expr').map((a) => `!(${a})`),
  ),
})).expr;

/** Arbitrary text, and near-miss filters made by cutting and splicing valid ones. */
export const anyInput: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc
    .tuple(validFilter, fc.nat(), fc.string({ maxLength: 5 }))
    .map(([f, at, junk]) => f.slice(0, at % (f.length + 1)) + junk + f.slice(at % (f.length + 1))),
);
