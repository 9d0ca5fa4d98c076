import { signedInUser, type UserSession } from './auth';
import { json, startTestApp, type TestApp } from './test-app';

/** The rules most data tests use: each user sees and changes only their own records. */
export const OWNER_ONLY_RULES = {
  list: 'owner = @me',
  view: 'owner = @me',
  create: '@me != null',
  update: 'owner = @me',
  delete: 'owner = @me',
};

/** Rules that open a collection to everyone, anonymous callers included. */
export const OPEN_RULES = { list: '', view: '', create: '', update: '', delete: '' };

/** An app with an admin and two signed-in users, Alice and Bob. */
export async function startDataTestApp(
  env: Record<string, string> = {},
): Promise<{ t: TestApp; admin: UserSession; alice: UserSession; bob: UserSession }> {
  const t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', ...env } });
  return { t, admin: await signedInUser(t, { role: 'admin' }), alice: await signedInUser(t), bob: await signedInUser(t) };
}

/** An RFC 9457 problem body as the data routes send it. */
export interface Problem {
  status: number;
  title: string;
  detail: string;
  errors?: { path: string; code: string; message: string }[];
  [member: string]: unknown;
}

/** The problem body of a response that must have `status`. */
export async function problemOf(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return json<Problem>(response);
}

/** Defines a collection as an admin (201 expected). */
export async function defineCollection(
  admin: UserSession,
  name: string,
  fields: Record<string, unknown>[],
  rules: Record<string, string | null>,
): Promise<void> {
  expect((await admin.json('POST', '/collections', { name, fields, rules })).status).toBe(201);
}

/** Creates a record as `who` (201 expected) and returns it as the API shows it. */
export async function addRecord(
  who: UserSession,
  collection: string,
  data: Record<string, unknown>,
): Promise<Record<string, unknown> & { id: string; version: number }> {
  const response = await who.json('POST', `/collections/${collection}/records`, data);
  expect(response.status).toBe(201);
  return json(response);
}
