import { signedInUser, type UserSession } from './auth';
import { startTestApp, type TestApp } from './test-app';

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
