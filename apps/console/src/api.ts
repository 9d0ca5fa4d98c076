import { createClient, ProblemError } from '@backlot/client';

/**
 * The console's one client, on the API of the origin that served it, in cookie mode: the
 * refresh token is the httpOnly cookie, the access token lives in this page's memory only.
 */
export const client = createClient({ url: window.location.origin, mode: 'cookie' });

export interface Me {
  id: string;
  email: string;
  role: string;
}

/** What went wrong, for a person: the problem's detail and its field messages, or the error's message. */
export function describe(error: unknown): string {
  if (error instanceof ProblemError) {
    return [error.detail, ...error.errors.map((problem) => `${problem.path}: ${problem.message}`)].join(' ');
  }
  return error instanceof Error ? error.message : String(error);
}
