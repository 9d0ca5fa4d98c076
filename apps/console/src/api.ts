import { createClient, type HttpRequest, ProblemError } from '@backlot/client';

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

type Query = NonNullable<HttpRequest['query']>;

/** A read of any documented route (under /api/v1), retried like every idempotent call. */
export async function get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
  return (await client.call<T>({ method: 'GET', path, query, signal, idempotent: true })).data;
}

/** A write; its answer's body (undefined for a 204). */
export async function send<T = unknown>(
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  return (await client.call<T>({ method, path, body, headers })).data;
}
