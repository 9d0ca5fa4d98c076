import { ValidationFailed } from '@backlot/http';

/** A record's ETag: its version (strong: every change bumps it). */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** If-Match → the expected version; `*` or no header → none. Anything else is a 400. */
export function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*"(\d{1,10})"\s*$/.exec(ifMatch);
  if (!match || Number(match[1]) > 2_147_483_647)
    throw new ValidationFailed([{ path: 'If-Match', code: 'invalid', message: 'If-Match must be one ETag as returned, e.g. "3"' }]);
  return Number(match[1]);
}

/** Whether If-None-Match names the current version (→ 304). Weak comparison, as RFC 9110 asks for GET. */
export function notModified(ifNoneMatch: string | undefined, version: number): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(version));
}
