import fc from 'fast-check';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { anyInput, FUZZ_FIELDS, validFilter } from '@backlot/testing/filter-arbitraries';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

const RECORDS = '/collections/fuzzed/records';
const TAGS = ['a', 'b', "'; DROP TABLE records; --", '%_\\'];
// Filters go out in groups of this many concurrent requests (one fast-check run each):
// enough to overlap, modest for the embedded database. Totals are counted in filters.
const PARALLEL = 8;
const VALID_FILTERS = 1_000;
const ARBITRARY_INPUTS = 1_200;
// Room for a loaded machine: these tests make thousands of requests (nothing here measures time).
const FUZZ_TIMEOUT_MS = 180_000;

interface Page {
  items: { id: string; version: number }[];
  total: number;
}

describe('filters under fuzzing over HTTP: every answer is a 200 or a 400, and nothing changes', () => {
  let t: TestApp;
  let admin: UserSession;
  let user: UserSession;
  let before: Page;

  const list = (filter: string, extra = '') => user.request(`${RECORDS}?filter=${encodeQueryValue(filter)}&limit=200&fields=id${extra}`);
  const snapshot = async () => json<Page>(await admin.request(`${RECORDS}?limit=200&count=true&sort=id`));

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '100000' } });
    admin = await signedInUser(t, { role: 'admin' });
    user = await signedInUser(t);
    const fieldTypes = { title: 'text', amount: 'number', done: 'boolean', due: 'datetime', meta: 'json' } as const;
    const created = await admin.json('POST', '/collections', {
      name: 'fuzzed',
      // The fuzzed field list, as a collection: multi-value `tags` is a multiple select.
      fields: FUZZ_FIELDS.map((field) =>
        field.type === 'multi'
          ? { name: field.name, type: 'select', values: TAGS, multiple: true }
          : { name: field.name, type: fieldTypes[field.name as keyof typeof fieldTypes] },
      ),
      rules: { list: '', view: '', create: '@me != null', update: null, delete: null },
    });
    expect(created.status).toBe(201);
    const samples = fc.sample(
      fc.record(
        {
          title: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("'; DROP TABLE records; --", '\u202e😀', '%', "''")),
          amount: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })),
          done: fc.boolean(),
          due: fc.date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
          tags: fc.subarray(TAGS),
          meta: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: [] },
      ),
      { numRuns: 40, seed: 42 },
    );
    for (const [index, data] of samples.entries()) {
      const author = index % 2 === 0 ? user : admin;
      const response = await author.json('POST', RECORDS, data);
      expect({ data, status: response.status }).toMatchObject({ status: 201 });
    }
    before = await snapshot();
    expect(before.total).toBe(40);
  });
  afterAll(() => t.close());

  it(
    'answers valid filters with hostile literals with 200',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(validFilter, { minLength: PARALLEL, maxLength: PARALLEL }), async (filters) => {
          const responses = await Promise.all(filters.map((filter) => list(filter)));
          for (const response of responses) {
            expect(response.status).toBe(200);
            expect(Array.isArray((await json<Page>(response)).items)).toBe(true);
          }
        }),
        { numRuns: VALID_FILTERS / PARALLEL },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'answers arbitrary and near-miss input with 200 or a 400 problem on the filter, never a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(anyInput, { minLength: PARALLEL, maxLength: PARALLEL }), async (inputs) => {
          const responses = await Promise.all(inputs.map((input) => list(input)));
          for (const response of responses) {
            expect([200, 400]).toContain(response.status);
            if (response.status === 400) {
              expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
              expect((await json<{ errors: { path: string }[] }>(response)).errors[0].path).toMatch(/(^|\.)filter$/);
            } else {
              await response.arrayBuffer();
            }
          }
        }),
        { numRuns: ARBITRARY_INPUTS / PARALLEL },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'splits the records exactly in two with a filter and its negation',
    async () => {
      await fc.assert(
        fc.asyncProperty(validFilter, async (filter) => {
          const [matching, rest] = await Promise.all([list(filter, '&count=true'), list(`!(${filter})`, '&count=true')]);
          const [a, b] = [await json<Page>(matching), await json<Page>(rest)];
          expect(a.total + b.total).toBe(before.total);
          const ids = new Set([...a.items, ...b.items].map((item) => item.id));
          expect(ids.size).toBe(before.total);
        }),
        { numRuns: 100 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it('leaves every record as it was', async () => {
    expect(await snapshot()).toEqual(before);
  });
});

/**
 * encodeURIComponent, except that a lone surrogate (a near-miss input may cut a pair in two)
 * goes out as the bytes of its WTF-8 form: the server must cope with invalid UTF-8 too.
 */
function encodeQueryValue(value: string): string {
  let encoded = '';
  // Iterating a string yields code points: a lone surrogate comes out on its own.
  for (const char of value) {
    const unit = char.charCodeAt(0);
    encoded +=
      char.length === 1 && unit >= 0xd800 && unit <= 0xdfff
        ? [0xed, 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('')
        : encodeURIComponent(char);
  }
  return encoded;
}
