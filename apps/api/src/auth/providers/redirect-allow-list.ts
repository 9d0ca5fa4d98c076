import { BadRequest } from '@backlot/http';

/**
 * The SPA page a provider sign-in returns to must be on the allow-list: same origin and path as
 * an entry (its query may differ). Anything else is refused before the browser leaves, so the
 * flow cannot be turned into an open redirect or send an exchange code to someone else's page.
 */
export function allowedRedirect(redirect: string | undefined, allowList: readonly string[]): URL {
  if (!redirect) throw new BadRequest('Say where to return after the sign-in: `redirect` is required.');
  let url: URL;
  try {
    url = new URL(redirect);
  } catch {
    throw new BadRequest('`redirect` is not an absolute URL.');
  }
  const allowed = allowList.some((entry) => {
    const candidate = new URL(entry);
    return candidate.origin === url.origin && candidate.pathname === url.pathname;
  });
  if (!allowed || url.username || url.password || url.hash)
    throw new BadRequest('`redirect` is not an allowed return page (OAUTH_REDIRECT_URLS lists them).');
  return url;
}

const OUTCOME = ['code', 'link_code', 'error', 'error_description'];

/** The SPA page with the outcome in its query: a one-time code, or an error code and a sentence. */
export function returnTo(redirect: string, parameters: Record<string, string>): string {
  const url = new URL(redirect);
  // Outcome parameters the page was started with (planted by whoever crafted the link) never reach it.
  for (const name of OUTCOME) url.searchParams.delete(name);
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  return url.href;
}
