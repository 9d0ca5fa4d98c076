import { type Operation, type Parameter, typeOf } from './operations';
import { positionsOf, sampleOf, withValueAt } from './samples';

/** One hostile request against one operation, and what the answer must be. */
export interface AbuseCase {
  operation: Operation;
  label: string;
  /** The answer must be a 4xx; otherwise any answer below 500 will do (the input may be legitimately ignored). */
  mustRefuse: boolean;
  /** Whatever the answer, nothing may be stored (an import reports bad lines in a 200 and imports none of them). */
  storesNothing?: boolean;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Send without credentials. */
  anonymous?: boolean;
  /** Headers that fetch() cannot send (NUL, raw bytes): the request goes over a raw socket. */
  rawHeader?: { name: string; value: Buffer };
}

/** Fills a path parameter with a real value (reads) or a well-formed one that names nothing (writes). */
export type PathValue = (operation: Operation, parameter: string) => string;

const DEEP = '['.repeat(3_000) + ']'.repeat(3_000);
const HUGE = '1e309';
const LONE_SURROGATE_UTF8 = '%ED%A0%BD';
/** Stand-ins replaced in the JSON text by what JSON.stringify cannot write. */
const DEEP_MARK = '@@deep@@';
const HUGE_MARK = '@@huge@@';

/** Every hostile variant of one operation's request: body, query, path, headers, credentials, media type. */
export function casesFor(operation: Operation, pathValue: PathValue): AbuseCase[] {
  const path = fillPath(operation, pathValue);
  const query = requiredQuery(operation);
  const baseBody = operation.body ? sampleOf(operation.body) : undefined;
  const jsonHeaders: Record<string, string> = operation.body ? { 'content-type': 'application/json' } : {};
  const base = { operation, path: withQuery(path, query), headers: jsonHeaders, body: bodyText(baseBody) };
  const cases: AbuseCase[] = [{ ...base, label: 'baseline', mustRefuse: false }];
  if (operation.needsCredentials) cases.push({ ...base, label: 'no credentials', mustRefuse: true, anonymous: true });
  if (operation.body) cases.push(...bodyCases(operation, base, baseBody));
  if (operation.rawBodyTypes.includes('application/x-ndjson')) cases.push(...uploadCases(base));
  cases.push(...queryCases(operation, path, query, base));
  cases.push(...pathCases(operation, pathValue, query, base));
  cases.push(...headerCases(operation, base));
  return cases;
}

type Base = Omit<AbuseCase, 'label' | 'mustRefuse'>;

function bodyCases(operation: Operation, base: Base, baseBody: unknown): AbuseCase[] {
  const cases: AbuseCase[] = [
    { ...base, label: 'body nested 3,000 levels', mustRefuse: true, body: DEEP },
    { ...base, label: 'body over the size limit', mustRefuse: true, body: JSON.stringify({ x: 'x'.repeat(1_100_000) }) },
    { ...base, label: 'body as text/plain', mustRefuse: true, headers: { 'content-type': 'text/plain' }, body: 'hello' },
    { ...base, label: 'body as a form', mustRefuse: true, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' },
    { ...base, label: 'body with a __proto__ key', mustRefuse: true, body: '{"__proto__":{"role":"admin"}}' },
  ];
  for (const { path, schema } of positionsOf(operation.body)) {
    const at = `body.${path.join('.')}`;
    const put = (value: unknown) => bodyText(withValueAt(baseBody, path, value));
    cases.push(
      { ...base, label: `${at}: NUL`, mustRefuse: true, body: put('a\u0000b') },
      { ...base, label: `${at}: lone surrogate`, mustRefuse: true, body: put('\ud83d') },
      { ...base, label: `${at}: nested 3,000 levels`, mustRefuse: true, body: put(DEEP_MARK) },
      { ...base, label: `${at}: 300,000 characters`, mustRefuse: false, body: put('y'.repeat(300_000)) },
    );
    const type = typeOf(schema);
    const wrong = wrongTypeFor(type);
    if (wrong !== undefined && !schema.nullable)
      cases.push({ ...base, label: `${at}: ${JSON.stringify(wrong)} for a ${type}`, mustRefuse: true, body: put(wrong) });
    if (type === 'number' || type === 'integer') {
      cases.push({ ...base, label: `${at}: 1e309`, mustRefuse: true, body: put(HUGE_MARK) });
      cases.push({ ...base, label: `${at}: -1e300`, mustRefuse: schema.minimum !== undefined, body: put(-1e300) });
    }
  }
  return cases;
}

/** Uploads whose every line is hostile: each must fail on its own line, none be imported. */
function uploadCases(base: Base): AbuseCase[] {
  const headers = { 'content-type': 'application/x-ndjson' };
  const csv = { 'content-type': 'text/csv' };
  const cells = ['"a\u0000b",', `x,"${DEEP.replaceAll('"', '""')}"`, '"=1+1",{', `"${'\ud83d'}",`];
  const lines = [
    DEEP,
    '{"title":"a\\u0000b"}',
    '{"title":"\\ud83d"}',
    '{"__proto__":{"x":1}}',
    '{"title":{"not":"text"}}',
    '[1,2]',
    '"text"',
    '{"title":',
  ];
  return [
    { ...base, headers, label: 'import: hostile NDJSON lines', mustRefuse: false, storesNothing: true, body: lines.join('\n') },
    { ...base, headers, label: 'import: one line nested 3,000 levels', mustRefuse: false, storesNothing: true, body: `{"meta":${DEEP}}` },
    {
      ...base,
      headers: csv,
      label: 'import: hostile CSV cells',
      mustRefuse: false,
      storesNothing: true,
      body: ['title,meta', ...cells].join('\r\n'),
    },
  ];
}

function wrongTypeFor(type: string | undefined): unknown {
  switch (type) {
    case 'string':
      return { not: 'a string' };
    case 'number':
    case 'integer':
      return 'not a number';
    case 'boolean':
      return 'yes';
    case 'array':
      return 'not a list';
    case 'object':
      return ['not', 'an', 'object'];
    default:
      return undefined;
  }
}

function queryCases(operation: Operation, path: string, query: Record<string, string>, base: Base): AbuseCase[] {
  const at = (extra: Record<string, string>, raw = '') => withQuery(path, { ...query, ...extra }) + raw;
  const cases: AbuseCase[] = [
    { ...base, label: 'undocumented query parameter holding %00', mustRefuse: true, path: at({}, `${sep(query)}x=%00`) },
  ];
  for (const parameter of operation.parameters.filter((p) => p.in === 'query' && !p.name.includes('.'))) {
    const name = parameter.name;
    const others = Object.fromEntries(Object.entries(query).filter(([key]) => key !== name));
    const only = (value: string) =>
      withQuery(path, others) + `${Object.keys(others).length ? '&' : '?'}${encodeURIComponent(name)}=${value}`;
    cases.push(
      { ...base, label: `query ${name}: %00`, mustRefuse: true, path: only('a%00b') },
      { ...base, label: `query ${name}: encoded lone surrogate`, mustRefuse: true, path: only(LONE_SURROGATE_UTF8) },
      { ...base, label: `query ${name}: 20,000 characters`, mustRefuse: false, path: only('z'.repeat(20_000)) },
      { ...base, label: `query ${name}: given twice`, mustRefuse: false, path: `${only('1')}&${encodeURIComponent(name)}=2` },
    );
    const type = typeOf(parameter.schema);
    if (type === 'number' || type === 'integer') {
      cases.push(
        { ...base, label: `query ${name}: not a number`, mustRefuse: true, path: only('abc') },
        { ...base, label: `query ${name}: 1e309`, mustRefuse: true, path: only('1e309') },
        {
          ...base,
          label: `query ${name}: 99999999999999999999`,
          mustRefuse: parameter.schema?.maximum !== undefined,
          path: only('99999999999999999999'),
        },
      );
    }
    if (type === 'boolean') cases.push({ ...base, label: `query ${name}: maybe`, mustRefuse: true, path: only('maybe') });
    if (parameter.schema?.enum)
      cases.push({ ...base, label: `query ${name}: outside its values`, mustRefuse: true, path: only('no-such-value') });
    if (parameter.schema?.format === 'date-time')
      cases.push({ ...base, label: `query ${name}: not a date`, mustRefuse: true, path: only('yesterday') });
    if (parameter.schema?.format === 'uuid')
      cases.push({ ...base, label: `query ${name}: not a uuid`, mustRefuse: true, path: only('nope') });
  }
  return cases;
}

function pathCases(operation: Operation, pathValue: PathValue, query: Record<string, string>, base: Base): AbuseCase[] {
  const cases: AbuseCase[] = [];
  for (const parameter of operation.parameters.filter((p) => p.in === 'path')) {
    const variant = (value: string) => withQuery(fillPath(operation, pathValue, { [parameter.name]: value }), query);
    const at = `path ${parameter.name}`;
    cases.push(
      { ...base, label: `${at}: %00`, mustRefuse: true, path: variant('a%00b') },
      { ...base, label: `${at}: encoded lone surrogate`, mustRefuse: true, path: variant(LONE_SURROGATE_UTF8) },
      { ...base, label: `${at}: 900 characters`, mustRefuse: true, path: variant('a'.repeat(900)) },
      { ...base, label: `${at}: 1,200 characters`, mustRefuse: true, path: variant('a'.repeat(1_200)) },
      { ...base, label: `${at}: punctuation`, mustRefuse: true, path: variant(encodeURIComponent(`'";--<x>`)) },
    );
    const type = typeOf(parameter.schema);
    if (type === 'number' || type === 'integer') cases.push({ ...base, label: `${at}: 1e309`, mustRefuse: true, path: variant('1e309') });
  }
  return cases;
}

function headerCases(operation: Operation, base: Base): AbuseCase[] {
  const documented = operation.parameters.filter((p): p is Parameter => p.in === 'header').map((p) => p.name.toLowerCase());
  const cases: AbuseCase[] = [];
  for (const name of [...documented, 'user-agent', 'x-request-id']) {
    cases.push(
      { ...base, label: `header ${name}: NUL`, mustRefuse: true, rawHeader: { name, value: Buffer.from('a\u0000b', 'latin1') } },
      {
        ...base,
        label: `header ${name}: UTF-8 of a lone surrogate`,
        mustRefuse: false,
        rawHeader: { name, value: Buffer.from([0xed, 0xa0, 0xbd]) },
      },
      { ...base, label: `header ${name}: 20 KB`, mustRefuse: true, rawHeader: { name, value: Buffer.from('h'.repeat(20_000)) } },
      {
        ...base,
        label: `header ${name}: junk`,
        mustRefuse: false,
        rawHeader: { name, value: Buffer.from('"W/<script>' + '\u00ff'.repeat(8), 'latin1') },
      },
    );
  }
  return cases;
}

function fillPath(operation: Operation, pathValue: PathValue, overrides: Record<string, string> = {}): string {
  return operation.template.replace(/\{([^}]+)\}/g, (_, name: string) => overrides[name] ?? encodeURIComponent(pathValue(operation, name)));
}

function requiredQuery(operation: Operation): Record<string, string> {
  return Object.fromEntries(
    operation.parameters.filter((p) => p.in === 'query' && p.required).map((p) => [p.name, String(sampleOf(p.schema))]),
  );
}

function withQuery(path: string, query: Record<string, string>): string {
  const text = new URLSearchParams(query).toString();
  return text ? `${path}?${text}` : path;
}

function sep(query: Record<string, string>): string {
  return Object.keys(query).length > 0 ? '&' : '?';
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return JSON.stringify(body).replaceAll(`"${DEEP_MARK}"`, DEEP).replaceAll(`"${HUGE_MARK}"`, HUGE);
}
