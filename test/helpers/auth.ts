import { UsersService } from '../../apps/api/src/users/users.service';
import { CredentialsService } from '../../apps/api/src/users/credentials.service';
import type { SmtpInbox } from './smtp-inbox';
import { linksIn, tokenFromLink } from './smtp-inbox';
import type { TestApp } from './test-app';

export const PASSWORD = 'correct horse battery staple';
let counter = 0;

export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}@example.test`;
}

export function postJson(t: TestApp, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return t.request(`/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

/** A signed-in user (novu's UserSession): an authorized client over real HTTP. */
export interface UserSession extends Tokens {
  email: string;
  password: string;
  userId: string;
  /** fetch() with the access token. */
  request(path: string, init?: RequestInit): Promise<Response>;
  json(method: string, path: string, body?: unknown): Promise<Response>;
}

/** Creates a verified account directly through the services (no mail), for tests about other things. */
export async function createUser(
  t: TestApp,
  options: { email?: string; password?: string; role?: 'user' | 'admin' } = {},
): Promise<{ email: string; password: string; userId: string }> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? PASSWORD;
  const passwordHash = await t.app.get(CredentialsService).hashPassword(password);
  const user = await t.app.get(UsersService).create({ email, passwordHash, role: options.role, verified: true });
  return { email, password, userId: user.id };
}

export async function login(t: TestApp, email: string, password: string, headers: Record<string, string> = {}): Promise<Tokens> {
  const response = await postJson(t, '/auth/login', { email, password }, headers);
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Tokens;
}

export function sessionFor(t: TestApp, account: { email: string; password: string; userId: string }, tokens: Tokens): UserSession {
  const request = (path: string, init: RequestInit = {}) =>
    t.request(`/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${tokens.accessToken}`, ...(init.headers as Record<string, string>) },
    });
  return {
    ...account,
    ...tokens,
    request,
    json: (method, path, body) =>
      body === undefined
        ? request(path, { method })
        : request(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  };
}

/** A verified user, signed in. */
export async function signedInUser(
  t: TestApp,
  options: { email?: string; password?: string; role?: 'user' | 'admin'; userAgent?: string } = {},
): Promise<UserSession> {
  const account = await createUser(t, options);
  const tokens = await login(t, account.email, account.password, options.userAgent ? { 'user-agent': options.userAgent } : {});
  return sessionFor(t, account, tokens);
}

/** Register over HTTP and follow the link in the verification mail. */
export async function registerAndVerify(
  t: TestApp,
  inbox: SmtpInbox,
  email = uniqueEmail(),
  password = PASSWORD,
): Promise<{ email: string; password: string }> {
  const after = inbox.messages.length;
  const registered = await postJson(t, '/auth/register', { email, password });
  if (registered.status !== 202) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
  const mail = await inbox.waitForMail(email, { subject: /confirm your email/i, after });
  const verified = await postJson(t, '/auth/verify-email', { token: tokenFromLink(linksIn(mail.text)[0]) });
  if (verified.status !== 204) throw new Error(`verify failed: ${verified.status} ${await verified.text()}`);
  return { email, password };
}
