import { readFile } from 'node:fs/promises';
import type { CollectionSchema, FieldSchema } from './generate.js';

/** Why a schema could not be read. `fatal` ones (refused credentials, not a Backlot server) are not worth retrying in --watch. */
export class SchemaError extends Error {
  constructor(
    message: string,
    readonly fatal = false,
  ) {
    super(message);
  }
}

export interface ServerSource {
  /** The server's root, as `createClient({ url })` takes it (a trailing `/api/v1` is accepted too). */
  url: string;
  apiKey?: string;
  token?: string;
  fetch?: typeof fetch;
}

const CREDENTIALS_HINT =
  'typegen needs an API key with the records:read scope (--api-key or BACKLOT_API_KEY) or an admin’s access token ' +
  '(--token or BACKLOT_TOKEN).';
const TIMEOUT_MS = 15_000;

/** The server's root URL, checked; the API lives under `/api/v1`. */
export function serverRoot(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/\/+$/, '').replace(/\/api\/v1$/, ''));
  } catch {
    // Not echoed: a mistyped value may be a pasted credential.
    throw new SchemaError(
      `--url must be the server's URL, like http://127.0.0.1:3000 (got ${url.length} characters that are not one).`,
      true,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new SchemaError('--url must be an http(s) URL.', true);
  return parsed;
}

/** GET /api/v1/collections: every collection the credentials may read, with its fields (hidden ones for admins). */
export async function fromServer(source: ServerSource): Promise<CollectionSchema[]> {
  const root = serverRoot(source.url);
  // Printed in messages: never the user:password a URL may carry, nor the credentials (sent as headers only).
  const endpoint = `${root.origin}${root.pathname.replace(/\/+$/, '')}/api/v1/collections`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (source.apiKey) headers['x-api-key'] = source.apiKey;
  if (source.token) headers.authorization = `Bearer ${source.token}`;
  let response: Response;
  try {
    response = await (source.fetch ?? fetch)(endpoint, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new SchemaError(`Cannot reach ${endpoint} (${reason(error)}). Is the server running, and is --url right?`);
  }
  const text = await response.text().catch(() => '');
  if (response.status === 401)
    throw new SchemaError(`The server refused the credentials (401: ${detail(text)}). ${CREDENTIALS_HINT}`, true);
  if (response.status === 403)
    throw new SchemaError(
      `The credentials may not list collections (403: ${detail(text)}). Give the API key the records:read scope, or use an admin’s ` +
        'access token (--token or BACKLOT_TOKEN).',
      true,
    );
  if (response.status === 404) throw new SchemaError(`${endpoint} was not found (404): is --url a Backlot server?`, true);
  if (!response.ok) throw new SchemaError(`${endpoint} answered ${response.status}: ${detail(text)}`);
  return parseSchema(text, `The answer of ${endpoint}`);
}

/** A file holding what GET /api/v1/collections answers (committed, for CI without a server). */
export async function fromFile(path: string): Promise<CollectionSchema[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SchemaError(`Cannot read the schema file ${path} (${reason(error)}).`);
  }
  return parseSchema(text, path);
}

/** `{ items: [...] }` as the route answers (or the bare list), checked: a message names the first thing wrong. */
export function parseSchema(text: string, origin: string): CollectionSchema[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SchemaError(`${origin} is not valid JSON: ${reason(error)}.`);
  }
  const items = Array.isArray(value) ? value : isObject(value) ? value.items : undefined;
  if (!Array.isArray(items)) throw new SchemaError(`${origin} is not a collection list: expected { "items": [ … ] }.`);
  const wrong = (path: string, what: string) => new SchemaError(`${origin}: ${path} ${what}.`);
  const seen = new Set<string>();
  return items.map((item: unknown, index): CollectionSchema => {
    const path = `items[${index}]`;
    if (!isObject(item)) throw wrong(path, 'must be an object');
    const name = stringAt(item, 'name', path, wrong, true)!;
    if (seen.has(name)) throw wrong(`${path}.name`, `repeats the collection name "${name}"`);
    seen.add(name);
    if (!Array.isArray(item.fields)) throw wrong(`${path}.fields`, 'must be a list');
    const names = new Set<string>();
    const fields = item.fields.map((field: unknown, at): FieldSchema => {
      const where = `${path}.fields[${at}]`;
      if (!isObject(field)) throw wrong(where, 'must be an object');
      const fieldName = stringAt(field, 'name', where, wrong, true)!;
      if (names.has(fieldName)) throw wrong(`${where}.name`, `repeats the field name "${fieldName}"`);
      names.add(fieldName);
      if (field.values !== undefined && !(Array.isArray(field.values) && field.values.every((v) => typeof v === 'string')))
        throw wrong(`${where}.values`, 'must be a list of strings');
      for (const flag of ['required', 'multiple', 'hidden', 'encrypted'] as const)
        if (field[flag] !== undefined && typeof field[flag] !== 'boolean') throw wrong(`${where}.${flag}`, 'must be true or false');
      return {
        name: fieldName,
        type: stringAt(field, 'type', where, wrong, true)!,
        required: field.required as boolean | undefined,
        values: field.values as string[] | undefined,
        multiple: field.multiple as boolean | undefined,
        collection: stringAt(field, 'collection', where, wrong, false),
        hidden: field.hidden as boolean | undefined,
        encrypted: field.encrypted as boolean | undefined,
        description: stringAt(field, 'description', where, wrong, false),
      };
    });
    return { name, description: stringAt(item, 'description', path, wrong, false), fields };
  });
}

function stringAt(
  object: Record<string, unknown>,
  key: string,
  path: string,
  wrong: (path: string, what: string) => SchemaError,
  required: boolean,
): string | undefined {
  const value = object[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || (required && value === '')) throw wrong(`${path}.${key}`, 'must be a non-empty string');
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The problem+json `detail` (or `title`) of an error answer, else its first characters. */
function detail(text: string): string {
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown };
    const said = body.detail ?? body.title;
    if (typeof said === 'string') return said;
  } catch {
    // not JSON: a proxy's page, say
  }
  return text.trim().slice(0, 200) || 'no details';
}

function reason(error: unknown): string {
  // fetch() says only "fetch failed"; its cause says why (ECONNREFUSED, ENOTFOUND, bad port).
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof code === 'string') return code;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  if ((error as Error).name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return (error as Error).message ?? String(error);
}
