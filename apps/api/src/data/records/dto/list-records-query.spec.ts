import { ValidationPipe } from '@nestjs/common';
import { createValidationPipe, MAX_CURSOR_LENGTH, VALIDATION_OPTIONS } from '@backlot/http';
import { ListRecordsQuery } from './record.dto';

const META = { type: 'query' as const, metatype: ListRecordsQuery, data: undefined };

/** The decorators' verdict: the DTO they produce, or the refusal. */
async function fullValidation(value: unknown): Promise<{ ok: true; query: unknown } | { ok: false }> {
  try {
    return { ok: true, query: await new ValidationPipe(VALIDATION_OPTIONS).transform(value, META) };
  } catch {
    return { ok: false };
  }
}

const VALUES: [string, unknown[]][] = Object.entries({
  limit: ['1', '20', '200', '201', '0', '-1', '020', '1.5', '1e2', ' 20', 'abc', '', '999', ['1', '2']],
  count: ['true', 'false', 'TRUE', '1', '', 'yes'],
  cursor: ['abc_DEF-123', 'a b', '', 'x'.repeat(MAX_CURSOR_LENGTH), 'x'.repeat(MAX_CURSOR_LENGTH + 1), 'ab=', ['a', 'b']],
  fields: [
    'title',
    'title,status',
    'Title',
    'title,',
    '',
    'a'.repeat(63),
    'a'.repeat(64),
    `${'abc,'.repeat(499)}ab`,
    `${'abc,'.repeat(500)}ab`,
  ],
  expand: ['project', 'project,owner', '1project', 'x'.repeat(60), `${'ab,'.repeat(233)}a`, `${'ab,'.repeat(234)}a`],
  filter: ["status = 'open'", '', 'x'.repeat(4_096), 'x'.repeat(4_097), '😀'.repeat(2_049), ['a', 'b']],
  sort: ['-created,title', '', 'x'.repeat(400), 'x'.repeat(401)],
  q: ['hello world', 'x'.repeat(500), 'x'.repeat(501)],
  unknown: ['1'],
  constructor: ['x'],
});
// Written here, not in the literal above, where it would set the object's prototype.
VALUES.push(['__proto__', ['1']]);

/** A parsed query string as Fastify hands it over: an object without a prototype. */
function parsedQuery(entries: [string, unknown][]): Record<string, unknown> {
  const query = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of entries) query[name] = value;
  return query;
}

/** Every single parameter, then a few hundred combinations (a seeded generator, so every run checks the same). */
function corpus(): Record<string, unknown>[] {
  const cases: Record<string, unknown>[] = [parsedQuery([])];
  for (const [name, values] of VALUES) for (const value of values) cases.push(parsedQuery([[name, value]]));
  let seed = 7;
  const pick = <T>(items: T[]) => items[(seed = (seed * 48271) % 2147483647) % items.length];
  for (let i = 0; i < 400; i++) {
    cases.push(parsedQuery(VALUES.filter(() => pick([true, false, false])).map(([name, values]) => [name, pick(values)])));
  }
  return cases;
}

describe('ListRecordsQuery.acceptQuickly', () => {
  it('accepts nothing the decorators refuse, and gives what they give for what it accepts', async () => {
    for (const value of corpus()) {
      const accepted = ListRecordsQuery.acceptQuickly(value);
      const full = await fullValidation(value);
      if (accepted === undefined) continue;
      expect({ value, full }).toEqual({ value, full: { ok: true, query: accepted } });
      expect(accepted).toBeInstanceOf(ListRecordsQuery);
    }
  });

  it.each([
    {},
    { limit: '20' },
    { filter: "status = 'open'", sort: '-created', limit: '20' },
    { cursor: 'abc_DEF-123', limit: '200', count: 'false' },
    { fields: 'title,status', expand: 'project', q: 'hello world', count: 'true' },
    { filter: '' },
  ])('takes the quick path for the usual valid query %j', (value) => {
    expect(ListRecordsQuery.acceptQuickly(parsedQuery(Object.entries(value)))).toBeInstanceOf(ListRecordsQuery);
  });

  // Left to full validation: stripped (Nest drops these names), converted, or counted otherwise by the decorators.
  it.each<Record<string, string>>([{ constructor: 'x' }, { limit: '020' }, { limit: ' 20' }, { filter: '😀'.repeat(2_049) }])(
    'leaves %j to full validation',
    (value) => {
      expect(ListRecordsQuery.acceptQuickly(parsedQuery(Object.entries(value)))).toBeUndefined();
    },
  );

  it('is what the app’s pipe uses, and its refusals still get the decorators’ errors', async () => {
    const pipe = createValidationPipe();
    expect(await pipe.transform({ filter: "status = 'open'", limit: '20', count: 'true' }, META)).toEqual(
      Object.assign(new ListRecordsQuery(), { filter: "status = 'open'", limit: 20, count: true }),
    );
    await expect(pipe.transform({ limit: '0', typo: 'x' }, META)).rejects.toMatchObject({
      errors: expect.arrayContaining([
        expect.objectContaining({ path: 'limit', code: 'min' }),
        expect.objectContaining({ path: 'typo', code: 'unknownProperty' }),
      ]),
    });
  });
});
