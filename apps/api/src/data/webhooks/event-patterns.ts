/**
 * `<collection>.<action>` with `*` for either side, or `*` alone. Collection names need not
 * exist yet (a webhook may wait for a collection created later), but they must be names.
 */
const PATTERN = /^(\*|(\*|[a-z][a-z0-9_]{0,62})\.(\*|created|updated|deleted))$/;

export const MAX_EVENT_PATTERNS = 50;

export function isEventPattern(pattern: string): boolean {
  return PATTERN.test(pattern);
}

/** Whether an event type (`tasks.created`, `user.deleted`) is selected by one of the patterns. */
export function matchesEvent(patterns: readonly string[], type: string): boolean {
  const dot = type.lastIndexOf('.');
  const [source, action] = [type.slice(0, dot), type.slice(dot + 1)];
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    const [p, a] = pattern.split('.');
    return (p === '*' || p === source) && (a === '*' || a === action);
  });
}
